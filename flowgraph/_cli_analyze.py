"""``flowgraph analyze``: the whole pipeline from the command line.

Exit codes: 0 analysed, 2 bad usage, 3 unusable input (one sentence on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ._options import AnalysisConfig, add_option_arguments, read_config, values_from_args
from .exceptions import UsageError

__all__ = ["add_analyze"]


def add_analyze(subparsers: Any) -> None:
    """Register ``flowgraph analyze``: one flag per option of :class:`AnalysisConfig`, plus the output mode."""
    p = subparsers.add_parser(
        "analyze", help="analyse flow logs and write the segmentation feasibility report",
        description="Read flow logs, build the service graph, find communities, judge whether strict "
                    "segmentation is feasible and write the report (HTML, Markdown, JSON, CSV, policy). "
                    "Every option can also be set in a --config file under its name with underscores "
                    "(see docs/configuration.md); flags win over the file.")
    add_option_arguments(p)
    p.add_argument("--config", metavar="FILE", help="YAML or JSON file of option: value (keys as the flags, "
                                                    "with underscores)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--quiet", action="store_true", help="print nothing but errors")
    out.add_argument("--json", action="store_true", help="print report.json to stdout")
    p.set_defaults(func=run_analyze, analyze_usage=p.format_usage())


def config_from(args: argparse.Namespace) -> AnalysisConfig:
    """Defaults, then ``--config``, then the flags given: the :class:`AnalysisConfig` of a run.

    Raises :class:`UsageError` without any source.
    """
    values: dict[str, Any] = {}
    if getattr(args, "config", None):
        file_values, notes = read_config(args.config)
        for note in notes:
            print(f"flowgraph: warning: {note}", file=sys.stderr)
        values.update(file_values)
    flags = values_from_args(args)
    if "thresholds" in flags and isinstance(values.get("thresholds"), dict):
        flags["thresholds"] = {**values["thresholds"], **flags["thresholds"]}
    values.update(flags)
    if not values.get("sources"):
        raise UsageError("the following arguments are required: SOURCE (or sources in --config)")
    return AnalysisConfig(**values)


def run_analyze(args: argparse.Namespace) -> int:
    """Run ``flowgraph analyze``; returns the exit code."""
    from .pipeline import analyze

    try:
        cfg = config_from(args)
    except UsageError as exc:
        sys.stderr.write(args.analyze_usage)
        print(f"flowgraph analyze: error: {exc}", file=sys.stderr)
        return 2
    quiet = args.quiet or args.json
    from .cli import progress_line

    with progress_line(enabled=False if quiet else None) as line:
        assessment, graph, paths = analyze(cfg, progress=line.phase, read_status=line.reading)
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
