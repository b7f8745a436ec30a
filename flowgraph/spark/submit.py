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
>>> parser().parse_args(["logs/", "--inventory", "inv.csv", "--out", "o"]).session_gap
60
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main", "parser", "write_graph"]


def parser() -> argparse.ArgumentParser:
    """The command line of the Spark application."""
    p = argparse.ArgumentParser(
        prog="flowgraph-spark",
        description="Build the flowgraph service graph with Spark (flows -> edge table) and write it.")
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="file, directory, glob, or URI Spark can list (s3://, s3a://, hdfs://, abfss://, gs://)")
    p.add_argument("--inventory", metavar="FILE", help="address -> service inventory (read on the driver)")
    p.add_argument("--out", metavar="DIR", default="reports/flowgraph-spark", help="output directory")
    p.add_argument("--master", metavar="URL", default="local[*]",
                   help="Spark master when run with python (spark-submit's --master wins)")
    p.add_argument("--fields", metavar="FORMAT", help="field order of files without a header line")
    p.add_argument("--since", metavar="TIME", help="keep records starting at or after TIME")
    p.add_argument("--until", metavar="TIME", help="keep records starting before TIME")
    p.add_argument("--ip-ranges", metavar="FILE", help="AWS ip-ranges.json to name AWS-service addresses")
    p.add_argument("--internet", choices=["single", "/16"], default="single", help="one internet node or one per /16")
    p.add_argument("--session-gap", type=int, default=60, help="seconds of silence that end a connection")
    p.add_argument("--endpoint-url", metavar="URL", help="S3-compatible endpoint (MinIO, LocalStack)")
    p.add_argument("--report", action="store_true",
                   help="also assess the graph and write the full report (as flowgraph analyze)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the assessment")
    return p


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
    """Entry point of ``spark-submit .../submit.py`` and ``python -m flowgraph.spark``."""
    from flowgraph.exceptions import FlowgraphError

    args = parser().parse_args(argv)
    s3 = {"endpoint_override": args.endpoint_url} if args.endpoint_url else None
    try:
        from flowgraph.spark.session import spark_session

        spark = spark_session(args.master, s3=s3 if any(str(s).startswith(("s3://", "s3a://")) for s in args.sources)
                              else None)
        spark.sparkContext.setLogLevel("WARN")
        if args.report:
            from flowgraph.pipeline import AnalysisConfig, analyze

            cfg = AnalysisConfig(sources=list(args.sources), inventory=args.inventory, out=args.out,
                                 fields=args.fields, since=args.since, until=args.until, ip_ranges=args.ip_ranges,
                                 internet=args.internet, session_gap=args.session_gap, engine="spark",
                                 spark_master=args.master, endpoint_url=args.endpoint_url, seed=args.seed)
            assessment, graph, _ = analyze(cfg)
            print(f"verdict: {assessment.verdict}")
        else:
            from flowgraph.spark.engine import build_graph_spark

            graph = build_graph_spark(args.sources, args.inventory, spark=spark, fields=args.fields,
                                      since=args.since, until=args.until, ip_ranges=args.ip_ranges,
                                      internet=args.internet, session_gap=args.session_gap, s3=s3)
        write_graph(graph, args.out)
    except FlowgraphError as exc:
        print(f"flowgraph: {exc}", file=sys.stderr)
        return 3
    print(f"{graph!r}; written to {Path(args.out).resolve()}")
    return 0


if __name__ == "__main__":  # spark-submit runs this file as a script
    sys.exit(main())
