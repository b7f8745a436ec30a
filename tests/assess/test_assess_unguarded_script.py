"""A user's plain script — no ``if __name__ == "__main__":`` guard — can run the parallel assessment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from flowgraph._parallel import AUTO_PARALLEL_EDGES, effective_jobs

SCRIPT = textwrap.dedent("""
    import json
    import networkx as nx
    import pandas as pd
    from flowgraph.assessment import assess
    from flowgraph.graph import ServiceGraph

    print("top level", flush=True)          # must be printed once: workers do not re-run this file
    G = nx.planted_partition_graph(6, 20, 0.5, 0.02, seed=2)
    edges = pd.DataFrame({"client": [f"s{u}" for u, _ in G.edges], "server": [f"s{v}" for _, v in G.edges],
                          "server_port": 443, "protocol": 6, "connections": 3, "packets": 3, "bytes": 3,
                          "first_seen": 0, "last_seen": 86_400, "hours_seen": 24, "days_seen": 1})
    a = assess(ServiceGraph(edges), seed=0, n_seeds=4, n_null=6, n_jobs=JOBS)
    print(json.dumps({"verdict": a.verdict, "mu": a.metrics["cross_community_edge_ratio"],
                      "z": a.metrics["modularity_zscore"], "jobs": a.parameters["n_jobs_used"]}))
""")


def _run(tmp_path: Path, jobs: int) -> tuple[list[str], str]:
    path = tmp_path / f"plain_{jobs}.py"
    path.write_text(SCRIPT.replace("JOBS", str(jobs)))
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=180,
                          cwd=tmp_path, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout.splitlines(), proc.stderr


def test_an_unguarded_script_runs_in_worker_processes_once(tmp_path: Path) -> None:
    out2, _ = _run(tmp_path, 2)
    assert out2.count("top level") == 1
    par = json.loads(out2[-1])
    assert par["jobs"] == 2
    out1, _ = _run(tmp_path, 1)
    seq = json.loads(out1[-1])
    assert seq["jobs"] == 1
    assert {k: par[k] for k in ("verdict", "mu", "z")} == {k: seq[k] for k in ("verdict", "mu", "z")}


def test_the_automatic_threshold_uses_the_same_pool() -> None:
    assert effective_jobs(None, AUTO_PARALLEL_EDGES - 1) == 1
    assert effective_jobs(None, AUTO_PARALLEL_EDGES) == len(os.sched_getaffinity(0))
