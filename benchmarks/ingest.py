"""Ingestion benchmark: flowgraph's reader against a bare ``pyarrow.csv`` parse.

Generates (once, cached in ``benchmarks/_data/``) a gzip flow-log file with an
S3 header line and ``--lines`` version-2 records, then measures, each step in
its own child process so that peak RSS is per step:

* ``bare``: ``pyarrow.csv.read_csv`` of the same file (delimiter ``' '``,
  header skipped, default multi-threaded conversion) — the reference;
* ``scan``: ``flowgraph.read.scan_flows`` full canonical read (72 columns +
  provenance), every batch consumed;
* ``dataframe`` (with ``--dataframe``): ``flowgraph.read.read_flows``.

Usage::

    python benchmarks/ingest.py                 # 5,000,000 lines
    python benchmarks/ingest.py --lines 200000 --repeat 1

Each step is run ``--repeat`` times; the table shows the fastest run and the
largest peak RSS.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
import zlib
from pathlib import Path

__all__ = ["generate", "main"]

HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
          "start end action log-status")
DATA_DIR = Path(__file__).resolve().parent / "_data"


def generate(path: Path, lines: int, seed: int = 7) -> Path:
    """Write ``lines`` synthetic v2 records (1 % NODATA) with an S3 header, gzip level 6."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")

    def num(values) -> pa.Array:
        return pa.array(values).cast(pa.string())

    def ipv4(k: int) -> pa.Array:
        octets = rng.integers(0, 256, size=(k, 4))
        octets[:, 0] = rng.choice([10, 172, 192, 52, 3], size=k)
        return pc.binary_join_element_wise(*[num(octets[:, i]) for i in range(4)], ".")

    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    with open(tmp, "wb") as out:
        out.write(comp.compress((HEADER + "\n").encode()))
        done = 0
        while done < lines:
            k = min(500_000, lines - done)
            start = 1_700_000_000 + rng.integers(0, 86_400, k)
            nodata = rng.random(k) < 0.01
            dash = pa.scalar("-")

            def flow(arr: pa.Array, nodata=nodata, dash=dash) -> pa.Array:
                return pc.if_else(pa.array(nodata), dash, arr)

            cols = [
                pa.array(np.full(k, "2")),
                pa.array(rng.choice(["123456789012", "064076352821", "210987654321"], k)),
                pa.array(np.char.add("eni-0a1b2c3d", rng.integers(10**8, 10**9, k).astype(str))),
                flow(ipv4(k)), flow(ipv4(k)),
                flow(num(rng.integers(0, 65536, k))), flow(num(rng.choice([443, 80, 22, 5432, 6379], k))),
                flow(pa.array(rng.choice(["6", "17", "1"], k, p=[0.8, 0.15, 0.05]))),
                flow(num(rng.integers(1, 5000, k))), flow(num(rng.integers(40, 5_000_000, k))),
                num(start), num(start + rng.integers(0, 60, k)),
                flow(pa.array(rng.choice(["ACCEPT", "REJECT"], k, p=[0.9, 0.1]))),
                pc.if_else(pa.array(nodata), pa.scalar("NODATA"), pa.scalar("OK")),
            ]
            table = pa.table(cols, names=[f"c{i}" for i in range(len(cols))])
            buf = io.BytesIO()
            pa_csv.write_csv(table, buf, write_options=pa_csv.WriteOptions(
                include_header=False, delimiter=" ", quoting_style="none"))
            out.write(comp.compress(buf.getvalue()))
            done += k
        out.write(comp.flush())
    os.replace(tmp, path)
    return path


def _peak_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _step(name: str, path: str) -> dict:
    """Run one measurement in this (child) process."""
    cpu0 = _cpu_seconds()
    if name == "bare":
        import pyarrow.csv as pa_csv

        t0 = time.perf_counter()
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(skip_rows=1, autogenerate_column_names=True),
            parse_options=pa_csv.ParseOptions(delimiter=" "),
        )
        records = table.num_rows
    elif name == "scan":
        from flowgraph.read import scan_flows

        t0 = time.perf_counter()
        records = 0
        for batch in scan_flows(path):
            records += batch.num_rows
    elif name == "dataframe":
        from flowgraph.read import read_flows

        t0 = time.perf_counter()
        records = len(read_flows(path))
    else:
        raise SystemExit(f"unknown step {name!r}")
    seconds = time.perf_counter() - t0
    return {"step": name, "records": records, "seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu0,
            "peak_rss_mib": _peak_rss_mib()}


def _run_child(name: str, path: Path) -> dict:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, __file__, "--step", name, str(path)],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000, help="records in the test file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (fastest is shown)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--dataframe", action="store_true", help="also time read_flows()")
    parser.add_argument("--step", nargs=2, metavar=("NAME", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        print(json.dumps(_step(*args.step)))
        return 0

    path = args.data_dir / f"flows_v2_{args.lines}.log.gz"
    if not path.exists():
        t0 = time.perf_counter()
        print(f"generating {path} ...", file=sys.stderr)
        generate(path, args.lines)
        print(f"  done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    size = path.stat().st_size
    steps = ["bare", "scan"] + (["dataframe"] if args.dataframe else [])
    results = {}
    for name in steps:
        runs = [_run_child(name, path) for _ in range(max(1, args.repeat))]
        best = min(runs, key=lambda r: r["seconds"])
        best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
        best["all_seconds"] = [round(r["seconds"], 3) for r in runs]
        results[name] = best
        if best["records"] != args.lines:
            print(f"warning: {name} read {best['records']} records, expected {args.lines}",
                  file=sys.stderr)
    bare = results["bare"]["seconds"]
    print(f"file: {path} ({size / 2**20:.1f} MiB gzip, {args.lines:,} records + header), "
          f"{os.cpu_count()} CPUs, best of {args.repeat}")
    print(f"{'step':<11}{'records':>11}{'seconds':>9}{'records/s':>13}{'peak RSS MiB':>14}"
          f"{'ratio':>8}{'CPU s':>8}  runs (s)")
    for name, r in results.items():
        print(f"{name:<11}{r['records']:>11,}{r['seconds']:>9.2f}{r['records'] / r['seconds']:>13,.0f}"
              f"{r['peak_rss_mib']:>14.0f}{r['seconds'] / bare:>8.2f}{r['cpu_seconds']:>8.2f}"
              f"  {r['all_seconds']}")
    print("ratio = seconds / bare seconds; CPU s = user + system time of the step (all threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
