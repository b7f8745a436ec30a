"""``flowgraph analyze``: the whole pipeline from the command line.

Exit codes: 0 analysed, 2 bad usage, 3 unusable input (one sentence on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .communities.detect import ALGORITHMS
from .pipeline import AnalysisConfig, analyze, load_config

__all__ = ["add_analyze"]


def add_analyze(subparsers) -> None:
    p = subparsers.add_parser(
        "analyze", help="analyse flow logs and write the segmentation feasibility report",
        description="Read flow logs, build the service graph, find communities, judge whether strict "
                    "segmentation is feasible and write the report (HTML, Markdown, JSON, CSV, policy).")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="file, directory, glob or s3://bucket/prefix")
    p.add_argument("--inventory", metavar="FILE", help="address -> service inventory (CSV, JSON, Parquet, describe-network-interfaces JSON)")
    p.add_argument("--out", metavar="DIR", help="output directory (default reports/flowgraph)")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--weight", choices=["binary", "connections", "log_bytes", "bytes"], help="edge weight for community detection (default binary)")
    p.add_argument("--resolution", type=float, help="fix the modularity resolution instead of picking the most stable")
    p.add_argument("--algorithm", choices=list(ALGORITHMS), help="community detection algorithm (default leiden)")
    p.add_argument("--shared-services", metavar="NAME,...", help="services to place in the shared-services zone")
    p.add_argument("--since", metavar="TIME", help="keep records starting at or after TIME (ISO-8601 or epoch seconds)")
    p.add_argument("--until", metavar="TIME", help="keep records starting before TIME")
    p.add_argument("--fields", metavar="FORMAT", help="field order of files without a header line")
    p.add_argument("--config", metavar="FILE", help="YAML file with any of these options")
    p.add_argument("--seeds", dest="n_seeds", type=int, help="seeds for the stability analysis (default 20)")
    p.add_argument("--rewirings", dest="n_null", type=int, help="degree-preserving rewirings for significance (default 20)")
    p.add_argument("--policy-zones", choices=["communities", "domains"], help="draft policy zones (default communities)")
    p.add_argument("--ip-ranges", metavar="FILE", help="AWS ip-ranges.json to name AWS-service addresses")
    p.add_argument("--internet", choices=["single", "/16"], help="one internet node or one per /16")
    p.add_argument("--engine", choices=["local", "spark"], help="aggregation engine (default local)")
    p.add_argument("--spark-master", metavar="URL", help="Spark master for --engine spark (default local[*])")
    p.add_argument("--endpoint-url", metavar="URL", help="S3-compatible endpoint for s3:// sources")
    p.add_argument("--pdf", action="store_true", default=None, help="also render report.pdf (needs the 'pdf' extra)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--quiet", action="store_true", help="print nothing but errors")
    out.add_argument("--json", action="store_true", help="print report.json to stdout")
    p.set_defaults(func=run_analyze)


def _config(args: argparse.Namespace) -> AnalysisConfig:
    values: dict = {}
    if args.config:
        values.update(load_config(args.config))
    for key in AnalysisConfig.__dataclass_fields__:
        v = getattr(args, key, None)
        if v is not None:
            values[key] = v
    values["sources"] = list(args.sources)
    if isinstance(values.get("shared_services"), str):
        values["shared_services"] = [s.strip() for s in values["shared_services"].split(",") if s.strip()]
    return AnalysisConfig(**values)


def run_analyze(args: argparse.Namespace) -> int:
    cfg = _config(args)
    quiet = args.quiet or args.json
    from tqdm.auto import tqdm

    bars: dict[str, tqdm] = {}
    reading = tqdm(desc="reading flow logs", unit=" records", unit_scale=True, disable=True if quiet else None, file=sys.stderr)

    def step(name: str, done: int, total: int) -> None:
        if quiet:
            return
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(desc=name, total=total, disable=None, file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()

    try:
        assessment, graph, paths = analyze(cfg, progress=step, read_progress=reading.update)
    finally:
        reading.close()
        for bar in bars.values():
            bar.close()
    if args.json:
        sys.stdout.write(Path(paths["report.json"]).read_text(encoding="utf-8"))
        sys.stdout.write("\n")
    elif not quiet:
        d = assessment.to_dict()
        m = d["metrics"]
        print(f"verdict: {d['verdict']}")
        for r in d["reasons"]:
            print(f"  - {r['message']}")
        print(f"cross-community edge ratio {m['cross_community_edge_ratio']}, exceptions {m['exceptions']}, "
              f"local edges {m['local_edges']}, communities {m['communities']}")
        print(f"report written to {Path(cfg.out).resolve()}")
    return 0
