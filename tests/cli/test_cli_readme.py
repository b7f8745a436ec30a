"""The README quotes what `make report` computes: every figure of its sample paragraph, recomputed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"


def test_readme_quotes_the_default_sample_report(tmp_path: Path) -> None:
    # exactly the command `make report` runs (default settings)
    proc = subprocess.run([sys.executable, "-m", "flowgraph.cli", "analyze", str(SAMPLE / "logs"),
                           "--inventory", str(SAMPLE / "inventory.csv"), "--out", str(tmp_path), "--quiet"],
                          capture_output=True, text=True, cwd=REPO, timeout=600,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr
    r = json.loads((tmp_path / "report.json").read_text())
    text = (REPO / "README.md").read_text()
    para = text[text.index("### What the sample report says"):text.index("## The walkthrough")]
    para = re.sub(r"\s+", " ", para)
    m = r["metrics"]
    words = {"feasible": "feasible", "feasible_with_exceptions": "feasible with exceptions",
             "marginal": "marginal", "infeasible": "infeasible"}
    assert f"**{words[r['verdict']]}" in para
    for side in r["borderline"]:
        assert words[side] in para
    shared = [s["service"] for s in r["shared_zone"]["services"] if not s["service"].startswith("aws:")]
    assert all(s in para for s in shared) and f"the {_count(len(shared))} platform services" in para
    assert f"absorb {r['shared_zone']['pair_share'] * 100:.0f} % of the talking pairs" in para
    assert f"{m['communities']} zones make {m['isolation'] * 100:.0f} % of service pairs unreachable" in para
    assert f"{m['cross_community_edge_ratio'] * 100:.1f} % of talking pairs" in para
    assert f"{m['exceptions_per_local_edge']:.2f} exceptions per local connection" in para
    assert f"{m['exceptions']} cross-zone pairs in {m['exception_rules']}" in para
    lo, hi = r["uncertainty"]["mu"]
    assert f"[{lo:.2f}, {hi:.2f}]" in para
    assert f"modularity {m['modularity_zscore']:.0f} standard deviations" in para
    conn = r["metrics_by_weight"]["connections"]
    assert f"it would be {words[conn['verdict']]} (μ = {conn['cross_community_edge_ratio']:.2f})" in para

    # docs/policy.md quotes the same run's enforcement section (learning curve and held-out period)
    policy_doc = re.sub(r"\s+", " ", (REPO / "docs" / "policy.md").read_text())
    learn = r["enforcement"]["learning"]
    h = learn["holdout"]
    assert (f"{h['new_exceptions']} of {h['active_exceptions']} active exception flows new "
            f"({h['share'] * 100:.1f} %) | {h['blocked_connections']} | {h['blocked_pairs']} |") in policy_doc
    new = [b["new_exceptions"] for b in learn["bins"]]
    rules = [b["new_rules"] for b in learn["bins"]]
    assert f"{', '.join(map(str, new[:-1]))} and {new[-1]} new exception flows" in policy_doc
    assert f"({', '.join(map(str, rules[:-1]))} and {rules[-1]} new zone-level rules)" in policy_doc


def _count(n: int) -> str:
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}.get(n, str(n))
