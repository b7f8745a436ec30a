"""Benchmark: the local engine against the Spark engine (local mode) on the same multi-million-record input.

    python benchmarks/spark.py [--lines 2000000] [--master local[2]] [--driver-memory 4g]

The input is a synthetic estate written as AWS delivers it (one gzip file per
account and 5 minutes, a day of logs; generated once and cached in
``benchmarks/_data/graph-<lines>/``, shared with ``benchmarks/graph.py``).
Each engine runs in its own subprocess (so peak RSS is per engine):

* ``local``: :func:`flowgraph.graph.build_graph` (reader + resolver + DuckDB);
* ``spark``: :func:`flowgraph.spark.build_graph_spark` with ``--master``; the
  table shows the engine's time and, separately, the JVM/session start.

Both edge tables are written to a temporary directory and compared row for
row.  Records/s counts the valid records the read summary reports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"

CHILD = r"""
import json, os, sys, time, warnings
warnings.simplefilter("ignore", FutureWarning)
mode, logs, inv, out, master, memory = sys.argv[1:7]
t0 = time.perf_counter()
if mode == "local":
    from flowgraph.graph import build_graph
    t1 = time.perf_counter()
    g = build_graph(logs, inv)
else:
    from flowgraph.spark import build_graph_spark, spark_session
    spark = spark_session(master, **{"spark.driver.memory": memory})
    spark.sparkContext.setLogLevel("ERROR")
    t1 = time.perf_counter()
    g = build_graph_spark(logs, inv, spark=spark)
t2 = time.perf_counter()
g.edges.to_parquet(out)
r = g.quality["read"]

def hwm(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0

def descendants(root):
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                parent[int(d)] = int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out

# VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec and would report the parent's peak
# (the input generation, when it ran in this invocation).
children = sum(hwm(p) for p in descendants(os.getpid()))  # the JVM and its Python workers
print(json.dumps({"records": r["records"], "files": r["files_read"], "bytes": r["bytes_read"],
                  "start": t1 - t0, "seconds": t2 - t1, "edges": len(g.edges),
                  "connections": int(g.edges["connections"].sum()),
                  "rss_mib": hwm(os.getpid()), "child_rss_mib": children}))
"""


def make_input(lines: int) -> tuple[Path, Path]:
    """A day of synthetic flow logs (~``lines`` records) in AWS's delivery layout, cached."""
    from flowgraph.synth import generate_estate, write_estate

    out = DATA / f"graph-{lines}"
    inventory = out / "inventory.csv"
    if not inventory.exists():  # same estate as benchmarks/graph.py
        est = generate_estate(domains=12, services=300, connections=max(lines // 4, 1000), seed=7)
        write_estate(est, out, overwrite=True, compresslevel=6)
    return out / "logs", inventory


def run(mode: str, logs: Path, inv: Path, out: Path, master: str, memory: str) -> dict:
    env = dict(os.environ, PYSPARK_PYTHON=os.environ.get("PYSPARK_PYTHON", sys.executable))
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, str(logs), str(inv), str(out), master, memory],
                          check=True, capture_output=True, text=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=2_000_000, help="about this many records (default 2,000,000)")
    ap.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    ap.add_argument("--driver-memory", default="4g", help="Spark driver memory (default 4g)")
    args = ap.parse_args()
    t = time.perf_counter()
    logs, inv = make_input(args.lines)
    files = sorted(logs.rglob("*.log.gz"))
    size = sum(p.stat().st_size for p in files)
    print(f"input: {logs} ({len(files)} gzip files, {size / 2**20:.1f} MiB), prepared in "
          f"{time.perf_counter() - t:.1f}s; {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for mode in ("local", "spark"):
            results[mode] = run(mode, logs, inv, Path(tmp) / f"{mode}.parquet", args.master, args.driver_memory)
        import pandas as pd

        same = pd.read_parquet(Path(tmp) / "local.parquet").equals(pd.read_parquet(Path(tmp) / "spark.parquet"))
    print()
    print(f"{'engine':<28}{'records':>12}{'start s':>9}{'engine s':>10}{'records/s':>12}{'peak RSS MiB':>14}")
    for mode, label in (("local", "local (DuckDB)"), ("spark", f"Spark {args.master}")):
        r = results[mode]
        rss = r["rss_mib"] if mode == "local" else r["rss_mib"] + r["child_rss_mib"]
        print(f"{label:<28}{r['records']:>12,}{r['start']:>9.1f}{r['seconds']:>10.1f}"
              f"{r['records'] / r['seconds']:>12,.0f}{rss:>14,.0f}")
    lo, sp = results["local"], results["spark"]
    print(f"\nSpark / local time: {sp['seconds'] / lo['seconds']:.2f}x;  edges {lo['edges']} / {sp['edges']}, "
          f"connections {lo['connections']:,} / {sp['connections']:,};  edge tables identical: {same}")
    print("(Spark's peak RSS adds the peaks of the JVM and of its Python workers; start = JVM and session start-up.)")
    print(json.dumps({"input_files": len(files), "input_mib": round(size / 2**20, 1), **{k: v for k, v in results.items()}}))


if __name__ == "__main__":
    main()
