"""Benchmark: ingest + resolution + aggregation vs a bare pyarrow.csv parse of the same file.

    python benchmarks/graph.py [--lines 5000000] [--repeat 3]

Each measurement runs in its own subprocess so peak RSS is per step.  Prints records/s,
seconds and peak RSS for the bare parse and for ``build_graph`` on the same gzip file.
The two steps alternate ``--repeat`` times; the table shows each step's fastest run
(all runs are listed), so a burst of load on the machine does not decide the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"

CHILD = r"""
import json, sys, time
mode, path, inv = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.perf_counter()
if mode == "bare":
    import gzip
    import pyarrow.csv as csv
    with gzip.open(path, "rt") as f:
        names = f.readline().split()
    tab = csv.read_csv(path, read_options=csv.ReadOptions(skip_rows=1, column_names=names),
                       parse_options=csv.ParseOptions(delimiter=" "))
    n = tab.num_rows
    extra = {}
else:
    from flowgraph.graph import build_graph
    g = build_graph(path, inv)
    n = g.quality["read"]["records"]
    extra = {"edges": len(g.edges), "connections": int(g.edges["connections"].sum())}
dt = time.perf_counter() - t
# VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec and would report the parent's peak.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"records": n, "seconds": dt, "rss_mib": hwm / 1024, **extra}))
"""


def make_input(lines: int) -> tuple[Path, Path]:
    """A multi-million-line gzip flow log with an S3 header, from the synthetic estate generator."""
    from flowgraph.synth import generate_estate, write_estate

    out = DATA / f"graph-{lines}"
    marker = out / "inventory.csv"
    if not marker.exists():
        est = generate_estate(domains=12, services=300, connections=max(lines // 4, 1000), seed=7)
        write_estate(est, out, overwrite=True)
    logs = sorted((out / "logs").rglob("*.log.gz"))
    merged = out / "all.log.gz"
    if not merged.exists():
        import gzip

        with gzip.open(merged, "wb", compresslevel=6) as w:
            for i, p in enumerate(logs):
                with gzip.open(p, "rb") as r:
                    header = r.readline()
                    if i == 0:
                        w.write(header)
                    w.write(r.read())
    return merged, marker


def run(mode: str, path: Path, inv: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(inv)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs per step (fastest is shown)")
    args = ap.parse_args()
    t = time.perf_counter()
    path, inv = make_input(args.lines)
    print(f"input: {path} ({path.stat().st_size / 2**20:.1f} MiB gzip), prepared in {time.perf_counter() - t:.1f}s; "
          f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    runs: dict[str, list[dict]] = {"bare": [], "flowgraph": []}
    for _ in range(max(1, args.repeat)):
        for mode in runs:
            runs[mode].append(run(mode, path, inv))
    bare, full = (min(runs[m], key=lambda r: r["seconds"]) for m in ("bare", "flowgraph"))
    print(f"{'step':<34}{'records':>12}{'seconds':>10}{'records/s':>14}{'peak RSS MiB':>14}  runs (s)")
    for name, mode, r in (("bare pyarrow.csv.read_csv", "bare", bare), ("flowgraph build_graph (full path)", "flowgraph", full)):
        every = ", ".join(f"{x['seconds']:.2f}" for x in runs[mode])
        print(f"{name:<34}{r['records']:>12,}{r['seconds']:>10.2f}{r['records'] / r['seconds']:>14,.0f}"
              f"{max(x['rss_mib'] for x in runs[mode]):>14.0f}  [{every}]")
    print(f"ratio full path / bare parse (fastest runs): {full['seconds'] / bare['seconds']:.2f}x  "
          f"(edges {full['edges']}, connections {full['connections']:,}); peak RSS is the highest of the runs")


if __name__ == "__main__":
    main()
