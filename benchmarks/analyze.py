"""Benchmark: the whole ``flowgraph analyze`` next to columnar baselines on the same input.

    python benchmarks/analyze.py [--sizes 5000000 20000000] [--distinct]

Inputs are synthetic estates (``flowgraph.synth``) written in the S3 delivery layout
(``AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/*.log.gz``) under
``benchmarks/_data/`` (git-ignored) and reused when present.  Each measurement runs
in its own subprocess so the peak RSS (``VmHWM``) is per step:

- ``pyarrow``: bare ``pyarrow.csv.read_csv`` of every file;
- ``polars``: lazy scan -> inventory join on both ends -> group-by (client, server, port)
  (needs the ``bench`` extra);
- ``duckdb``: ``read_csv`` -> the same join + group-by in one query;
- ``scan``: ``flowgraph.scan_flows`` of the resolver's columns (read only);
- ``analyze``: the pipeline of ``flowgraph analyze`` step by step (``build_graph`` =
  read + resolve + the session/dedup/direction SQL, ``assess``, ``write_report``).

``--distinct`` adds a 10M-record estate whose records carry ~1M distinct addresses
(memory case).  Timings live here, never in pass/fail tests.
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
import json, sys, time, glob, os
mode, logs, inv, out = sys.argv[1:5]
def hwm():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) / 1024
files = sorted(glob.glob(os.path.join(logs, "**", "*.log.gz"), recursive=True))
t0 = time.perf_counter()
phases, extra, n = {}, {}, 0
if mode == "pyarrow":
    import gzip
    import pyarrow.csv as csv
    with gzip.open(files[0], "rt") as f:
        names = f.readline().split()
    for p in files:
        n += csv.read_csv(p, read_options=csv.ReadOptions(skip_rows=1, column_names=names),
                          parse_options=csv.ParseOptions(delimiter=" ")).num_rows
elif mode == "polars":
    import polars as pl
    invdf = pl.read_csv(inv).select(["ip", "service"])
    lf = pl.scan_csv(files, separator=" ", null_values=["-"], schema_overrides={"srcaddr": pl.Utf8, "dstaddr": pl.Utf8})
    q = (lf.join(invdf.lazy().rename({"ip": "srcaddr", "service": "client"}), on="srcaddr", how="left")
           .join(invdf.lazy().rename({"ip": "dstaddr", "service": "server"}), on="dstaddr", how="left")
           .group_by(["client", "server", "dstport"]).agg(pl.len().alias("records"), pl.col("bytes").sum()))
    res = q.collect()
    n = int(res["records"].sum()); extra["groups"] = res.height
elif mode == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute("SET memory_limit='1GB'")
    con.execute("SET enable_progress_bar=false")
    res = con.execute(
        "WITH f AS (SELECT * FROM read_csv(?, delim=' ', header=true, nullstr='-')), i AS (SELECT ip, service FROM read_csv(?)) "
        "SELECT s.service AS client, d.service AS server, f.dstport, COUNT(*) AS records, SUM(f.bytes) AS bytes "
        "FROM f LEFT JOIN i s ON s.ip = f.srcaddr LEFT JOIN i d ON d.ip = f.dstaddr GROUP BY ALL",
        [files, inv]).to_arrow_table()
    n = int(res.column("records").to_numpy().sum()); extra["groups"] = res.num_rows
elif mode == "scan":
    from flowgraph.read import scan_flows
    from flowgraph.resolve.resolver import RESOLVER_INPUT_COLUMNS
    for b in scan_flows(logs, columns=RESOLVER_INPUT_COLUMNS):
        n += b.num_rows
else:
    from flowgraph.assessment import assess
    from flowgraph.graph import build_graph
    from flowgraph.report import write_report
    t = time.perf_counter()
    g = build_graph(logs, inv)
    phases["build_graph"] = (time.perf_counter() - t, hwm())
    t = time.perf_counter()
    a = assess(g, seed=0, quality=g.quality)
    phases["assess"] = (time.perf_counter() - t, hwm())
    t = time.perf_counter()
    write_report(a, g, out)
    phases["write_report"] = (time.perf_counter() - t, hwm())
    n = g.quality["read"]["records"]
    extra = {"edges": len(g.edges), "services": len(g.nodes), "verdict": a.to_dict().get("verdict")}
dt = time.perf_counter() - t0
print(json.dumps({"records": n, "seconds": dt, "rss_mib": hwm(), "phases": phases, **extra}))
"""


def make_estate(records: int, distinct: bool = False) -> tuple[Path, Path]:
    """A synthetic estate of about ``records`` flow records in the S3 layout (reused if present)."""
    from flowgraph.synth import generate_estate, write_estate

    out = DATA / (f"analyze-{records}" + ("-distinct" if distinct else ""))
    marker = out / "inventory.csv"
    if not marker.exists():
        # ~4 records per connection (two ENIs x two directions)
        kw = dict(domains=12, services=300, connections=max(records // 4, 1000), seed=7)
        if distinct:
            kw.update(services=3000, domains=60)  # many addresses; see the closing note for the count reached
        write_estate(generate_estate(**kw), out, overwrite=True)
    return out / "logs", marker


def run(mode: str, logs: Path, inv: Path, out: Path) -> dict:
    p = subprocess.run([sys.executable, "-c", CHILD, mode, str(logs), str(inv), str(out)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["failed"])[-1]}
    last = p.stdout.strip().splitlines()[-1]
    return json.loads(last[last.rindex('{"records"'):])  # a stray progress bar may share the line


def report(size: int, logs: Path, inv: Path, modes: list[str]) -> None:
    res = {m: run(m, logs, inv, DATA / f"report-{size}") for m in modes}
    base = res.get("pyarrow", {}).get("seconds")
    pol = res.get("polars", {}).get("seconds")
    print(f"\n== {size:,} records requested; {logs} ==")
    print(f"{'step':<22}{'records':>12}{'seconds':>9}{'records/s':>12}{'RSS MiB':>9}{'/pyarrow':>9}{'/polars':>9}")
    for m, r in res.items():
        if "error" in r:
            print(f"{m:<22} error: {r['error']}")
            continue
        ratio = f"{r['seconds'] / base:.2f}x" if base else "-"
        rp = f"{r['seconds'] / pol:.2f}x" if pol else "-"
        print(f"{m:<22}{r['records']:>12,}{r['seconds']:>9.2f}{r['records'] / r['seconds']:>12,.0f}"
              f"{r['rss_mib']:>9.0f}{ratio:>9}{rp:>9}")
        for ph, (s, peak) in r.get("phases", {}).items():  # peak: the process's RSS high-water mark so far
            ratio = f"{s / base:.2f}x" if base else "-"
            rp = f"{s / pol:.2f}x" if pol else "-"
            print(f"  {ph:<20}{'':>12}{s:>9.2f}{r['records'] / s:>12,.0f}{peak:>9.0f}{ratio:>9}{rp:>9}")
    scan, full = res.get("scan", {}), res.get("analyze", {})
    if "seconds" in scan and "phases" in full:
        print(f"  (build_graph - scan = resolve + aggregation ~ {full['phases']['build_graph'][0] - scan['seconds']:.2f} s)")
    if "edges" in full:
        print(f"  analyze: {full['edges']} edges, {full['services']} nodes, verdict {full['verdict']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5_000_000, 20_000_000])
    ap.add_argument("--modes", nargs="+", default=["pyarrow", "polars", "duckdb", "scan", "analyze"])
    ap.add_argument("--distinct", action="store_true", help="also the 10M-record many-address memory case")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("(phase rows: seconds, records/s of the whole input, RSS high-water mark after the phase, ratios)")
    cases = [(s, False) for s in args.sizes] + ([(10_000_000, True)] if args.distinct else [])
    for size, distinct in cases:
        t = time.perf_counter()
        logs, inv = make_estate(size, distinct)
        print(f"input prepared in {time.perf_counter() - t:.1f}s")
        report(size, logs, inv, args.modes)
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
