"""Run the Spark engine as a Spark application: ``spark-submit`` this file (or ``python -m flowgraph.spark``).

It builds the service graph of SOURCE with :func:`flowgraph.spark.build_graph_spark`
and writes into ``--out``:

* ``edges.parquet``, ``nodes.parquet``, ``rejected.parquet`` -- the graph's tables;
* ``graph.json`` -- node-link JSON, loadable with :meth:`flowgraph.graph.ServiceGraph.read_json`;
* ``quality.json`` -- read summary, traffic by address class, direction methods;
* with ``--report``: the full report of ``flowgraph analyze`` (assessment on the driver).

Example on EMR (``s3://`` is read through ``s3a://``; credentials from the
instance profile)::

    spark-submit --master yarn --deploy-mode client \\
        --packages org.apache.hadoop:hadoop-aws:3.4.1 \\
        "$(python -c 'import flowgraph.spark.submit as m; print(m.__file__)')" \\
        s3://my-logs/AWSLogs/123456789012/vpcflowlogs/ --inventory inventory.csv --out out/ --report

Examples
--------
>>> config(parser().parse_args(["logs/", "--inventory", "inv.csv", "--out", "o"])).session_gap
60
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from flowgraph._options import AnalysisConfig
from flowgraph.exceptions import ConfigError, UsageError

__all__ = ["main", "parser", "write_graph"]


SPARK_EXCLUDE = ("engine",)
"""Options of :class:`flowgraph.AnalysisConfig` the Spark application does not take (it *is* the Spark engine)."""

SPARK_DEFAULTS = {"out": "reports/flowgraph-spark"}


def parser() -> argparse.ArgumentParser:
    """The command line of the Spark application: every analysis option but ``engine``, generated.

    ``--master`` is kept as a second spelling of ``--spark-master``; ``--report``
    also assesses the graph and writes the full report; ``--config`` reads a
    config file as ``flowgraph analyze`` does.
    """
    from flowgraph._options import add_option_arguments

    p = argparse.ArgumentParser(
        prog="flowgraph-spark",
        description="Build the flowgraph service graph with Spark (flows -> edge table) and write it; "
                    "with --report also assess it and write the report of flowgraph analyze.")
    add_option_arguments(p, exclude=SPARK_EXCLUDE, defaults=SPARK_DEFAULTS,
                         aliases={"spark_master": ("--master",)})
    p.add_argument("--config", metavar="FILE", help="YAML or JSON file of option: value")
    p.add_argument("--report", action="store_true",
                   help="also assess the graph and write the full report (as flowgraph analyze)")
    return p


def config(args: argparse.Namespace) -> AnalysisConfig:
    """The :class:`flowgraph.AnalysisConfig` of a Spark run: defaults, ``--config``, flags; engine ``spark``.

    Options read only by the assessment or the report need ``--report``; given
    without it they are refused (they would do nothing).

    Examples
    --------
    >>> cfg = config(parser().parse_args(["logs/", "--master", "local[2]", "--tag-keys", "app"]))
    >>> cfg.engine, cfg.spark_master, cfg.out, cfg.tag_keys
    ('spark', 'local[2]', 'reports/flowgraph-spark', ['app'])
    """
    from flowgraph._options import OPTIONS, load_config, values_from_args

    values: dict = dict(SPARK_DEFAULTS)
    if args.config:
        values.update(load_config(args.config))
    flags = values_from_args(args)
    values.update(flags)
    if values.pop("engine", "spark") != "spark":
        raise ConfigError("the Spark application always runs engine spark; drop engine from the config")
    if not args.report:
        late = [OPTIONS[k].flag for k in flags if OPTIONS[k].stage != "graph" and k != "out"]
        if late:
            raise ConfigError(f"{', '.join(late)} only take effect with --report (they set the assessment "
                              "or the report, which only --report computes)")
    if not values.get("sources"):
        raise UsageError("the following arguments are required: SOURCE (or sources in --config)")
    return AnalysisConfig(engine="spark", **values)


def write_graph(graph, out: str | Path) -> dict[str, Path]:
    """Write a graph's tables, node-link JSON and quality dict into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"edges.parquet": out / "edges.parquet", "nodes.parquet": out / "nodes.parquet",
             "rejected.parquet": out / "rejected.parquet", "graph.json": out / "graph.json",
             "quality.json": out / "quality.json"}
    graph.edges.to_parquet(paths["edges.parquet"], index=False)
    graph.nodes.reset_index().to_parquet(paths["nodes.parquet"], index=False)
    if graph.rejected is not None:
        graph.rejected.to_parquet(paths["rejected.parquet"], index=False)
    graph.to_json(paths["graph.json"])
    paths["quality.json"].write_text(json.dumps(graph.quality, indent=1, default=str), encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``spark-submit .../submit.py`` and ``python -m flowgraph.spark``.

    Every option is validated before Spark starts; exit 0, 2 (usage) or 3 (one
    sentence on stderr).
    """
    from flowgraph.exceptions import FlowgraphError

    p = parser()
    args = p.parse_args(argv)
    try:
        cfg = config(args)
        cfg.validate()
    except UsageError as exc:
        p.print_usage(sys.stderr)
        print(f"flowgraph-spark: error: {exc}", file=sys.stderr)
        return 2
    except FlowgraphError as exc:
        print(f"flowgraph: error: {exc}", file=sys.stderr)
        return 3
    s3 = {"endpoint_override": cfg.endpoint_url} if cfg.endpoint_url else None
    graph: Any
    try:
        from flowgraph.spark.session import spark_session

        spark = spark_session(cfg.spark_master,
                              s3=s3 if any(str(s).startswith(("s3://", "s3a://")) for s in cfg.sources) else None)
        spark.sparkContext.setLogLevel("WARN")
        if args.report:
            from flowgraph.pipeline import analyze

            assessment, graph, _ = analyze(cfg)
            print(f"verdict: {assessment.verdict}")
        else:
            from flowgraph.pipeline import load_config_inventory
            from flowgraph.spark.engine import build_graph_spark

            graph = build_graph_spark(cfg.sources, load_config_inventory(cfg), spark=spark, fields=cfg.fields,
                                      since=cfg.since, until=cfg.until, ip_ranges=cfg.ip_ranges,
                                      internet=cfg.internet, session_gap=cfg.session_gap, s3=s3)
        write_graph(graph, cfg.out)
    except FlowgraphError as exc:
        print(f"flowgraph: error: {exc}", file=sys.stderr)
        return 3
    print(f"{graph!r}; written to {Path(cfg.out).resolve()}")
    return 0


if __name__ == "__main__":  # spark-submit runs this file as a script
    sys.exit(main())
