"""The Spark engine: flow logs -> edge table on a cluster, same result as the local engine.

Steps (see ``docs/spark.md``):

1. **List.**  Spark lists the sources (``binaryFile`` with ``recursiveFileLookup``).
   Local sources are also listed on the driver with the local reader's rules,
   which fix the files read, their names, their order and the skipped files;
   the tasks ignore anything else.  URIs (``s3://`` rewritten to ``s3a://``,
   ``hdfs://``, ``abfss://``, ``gs://``, ``file://``) are filtered in the tasks
   with the reader's name rules and ordered by path.
2. **Read and resolve in the tasks.**  ``mapInArrow`` runs
   :func:`flowgraph.spark.tasks.resolve_files`: the local reader on each
   file's bytes and the resolver with ``names=True``.  Records and one summary
   row per file come back in one DataFrame, which is persisted.
3. **Aggregate with the shared SQL.**  The records become the temporary view
   ``resolved``; :func:`~flowgraph.graph.sql.connections_sql`,
   :func:`~flowgraph.graph.sql.edges_sql`, :data:`~flowgraph.graph.sql.DIRECTION_SQL`
   and :data:`~flowgraph.graph.sql.REJECTED_SQL` run unchanged with ``spark.sql``.
   Before that, node names are replaced by the integer ids the local engine
   would give them (see :mod:`flowgraph.spark.tasks`, *Node order*), so that
   ``MIN(node)`` and the last direction tie-break pick the same node, and file
   names by their position in the local reader's order, so that
   :func:`~flowgraph.graph.sql.samples_sql` picks the same sample records.
4. **Assemble on the driver.**  The per-file summaries are merged in the local
   reader's file order; the node table, quality dict and
   :class:`~flowgraph.graph.ServiceGraph` are built by the same code as the
   local engine (:func:`flowgraph.graph.build.assemble_graph`).
"""

from __future__ import annotations

import glob
import json
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._optional import import_optional
from ..exceptions import ConfigError, InputError
from ..graph.aggregate import SAMPLES_PER_EDGE, Aggregation, direction_table
from ..graph.build import WindowStats, as_inventory, assemble_graph, name_samples, to_epoch_seconds
from ..graph.service_graph import ServiceGraph
from ..graph.sql import (
    DIRECTION_SQL,
    REJECTED_SQL,
    SPAN_SQL,
    connections_sql,
    edges_sql,
    samples_sql,
    windows_of,
)
from ..resolve.addresses import InternetGranularity
from ..resolve.resolver import KIND_NAMES, Resolver, load_ip_ranges
from .tasks import SPARK_DDL, TaskConfig, display_path, file_key, resolve_files

__all__ = ["edges", "build_graph_spark", "spark_uri"]

_GLOB_CHARS = frozenset("*?[")
_GLOB = str.maketrans({c: "\\" + c for c in "\\{}[]*?"})
_URI_SCHEMES = ("s3://", "s3a://", "s3n://", "hdfs://", "abfs://", "abfss://", "gs://", "wasbs://",
                "file://", "dbfs:/")


EXAMPLE_LIMITS = {"unknown": 10, "internet": 5}
"""Examples of unmapped addresses the resolver keeps per class (mirrors ``Resolver.resolve``)."""

TRAFFIC_SQL = """
SELECT rec_class, COUNT(*) AS records, CAST(SUM(bytes) AS BIGINT) AS bytes FROM resolved GROUP BY rec_class
"""
"""Records and bytes by the least-known class of their endpoints (``traffic_by_class``)."""

WINDOW_SQL = """
SELECT MIN(t_start) AS first, MAX(t_end) AS last, COUNT(*) AS records,
       SUM(CASE WHEN accept THEN 1 ELSE 0 END) AS accepted,
       SUM(CASE WHEN accept AND rec_class = 3 THEN 1 ELSE 0 END) AS unknown
FROM resolved
"""
"""Span and unmapped share of the analysed records (``window``, ``unmapped_share``)."""

ADDRESSES_SQL = """
SELECT node, COUNT(DISTINCT addr) AS addresses
FROM (SELECT src_node AS node, src_addr AS addr FROM resolved
      UNION ALL SELECT dst_node AS node, dst_addr AS addr FROM resolved) AS ends
GROUP BY GROUPING SETS ((node), ())
"""
"""Distinct addresses per node, and in all (the row with a null node)."""


def spark_uri(source: str) -> str:
    """The URI Spark reads for a source item: ``s3://`` becomes ``s3a://``.

    >>> spark_uri("s3://my-logs/AWSLogs/123456789012/vpcflowlogs/")
    's3a://my-logs/AWSLogs/123456789012/vpcflowlogs/'
    >>> spark_uri("hdfs://nn/logs")
    'hdfs://nn/logs'
    """
    return "s3a://" + source[len("s3://"):] if source.startswith("s3://") else source


def _items(source) -> list[str]:
    if isinstance(source, str | os.PathLike):
        return [os.fspath(source)]
    try:
        items = [os.fspath(s) for s in source]
    except TypeError:
        raise ConfigError(f"a source must be a path, URI or list of them, not {type(source).__name__}") from None
    if not items:
        raise InputError("no source given")
    return items


class _Plan:
    """Which paths Spark reads, what the files are called, in which order they count."""

    def __init__(self, source) -> None:
        from ..read.sources import resolve_sources

        self.items = _items(source)
        self.spark_paths: list[str] = []
        self.names: dict[str, str] = {}      # local absolute path -> reader's name
        self.explicit: set[str] = set()
        self.order: dict[str, tuple] = {}    # reader's name -> sort key (local files)
        self.skipped: list[tuple[tuple, dict]] = []
        self.uri_items: list[tuple[int, str]] = []
        seen: set[str] = set()
        local_roots: list[str] = []
        for idx, item in enumerate(self.items):
            if item.startswith(_URI_SCHEMES) or "://" in item:
                uri = spark_uri(item)
                self.spark_paths.append(uri)
                self.explicit.add(uri)
                self.uri_items.append((idx, display_path(uri).rstrip("/")))
                continue
            files, skipped = resolve_sources(item)
            for n, d in enumerate(skipped):
                self.skipped.append(((idx, 0, n), dict(d)))
            for n, f in enumerate(files):
                if f.path in seen:
                    continue
                seen.add(f.path)
                full = os.path.abspath(f.fs_path)
                self.names[full] = f.path
                self.order[f.path] = (idx, 1, n)
            # Spark lists directories itself (one listing, not one per file); files it finds
            # that the local reader's rules leave out are ignored by the tasks.
            roots = [item] if not (_GLOB_CHARS & set(item)) else sorted(glob.glob(item, recursive=True))
            for root in roots:
                local_roots.append(os.path.abspath(root))
        self.roots: list[str] = []
        for root in sorted(set(local_roots)):
            if any(root.startswith(r.rstrip(os.sep) + os.sep) for r in self.roots):
                continue  # already under a listed directory
            self.roots.append(root)
            self.spark_paths.append("file://" + root.translate(_GLOB))

    def key(self, name: str) -> list:
        return file_key(name, order=self.order, uri_items=self.uri_items)


def _lazy_kind(name: str) -> str:
    """Kind of a node the resolver registers as it meets it (never an inventory service).

    >>> [_lazy_kind(n) for n in ("internet", "internet:198.51.0.0/16", "aws:S3", "unknown:10.0.0.0/24")]
    ['internet', 'internet', 'aws-service', 'unknown']
    """
    if name.startswith("aws:"):
        return "aws-service"
    if name == "internet" or name.startswith("internet:"):
        return "internet"
    return "unknown"


class _Resolution(Resolver):
    """Driver-side stand-in for the local engine's resolver, filled from Spark's results.

    It registers the inventory's services exactly as every resolver does, then
    the other nodes in the order the local engine meets them, so node ids,
    the node table and the quality dict come out as the local engine's (built
    by the same code, :func:`flowgraph.graph.build.assemble_graph`).
    """

    def __init__(self, inventory, *, internet: InternetGranularity, since, until, lazy_names, files: list[dict]) -> None:
        super().__init__(inventory, internet=internet, since=since, until=until)
        for name in lazy_names:
            self._node(name, _lazy_kind(name))
        self._address_counts: dict[int, int] = {}
        self._distinct = 0
        seen = set(self.problems)
        example_addrs: set[str] = set()
        counts: dict[str, int] = {}
        for f in files:
            res = f["resolver"]
            self.records_in += res["records_in"]
            self.records_no_address += res["records_without_address"]
            self.records_outside_window += res["records_outside_window"]
            for ex in res["unmapped_examples"]:
                # Replay the resolver's rule: distinct addresses, up to a limit per class.  Each
                # file's list holds the first `limit` distinct addresses of a class in that file,
                # so it always has the ones a run-wide resolver would still take from it.
                cls = ex.get("class")
                if ex["address"] in example_addrs or counts.get(cls, 0) >= EXAMPLE_LIMITS.get(cls, 0):
                    continue
                example_addrs.add(ex["address"])
                counts[cls] = counts.get(cls, 0) + 1
                self.unmapped_examples.append(ex)
            for p in res["problems"]:
                if p not in seen and len(self.problems) < 200:
                    seen.add(p)
                    self.problems.append(p)

    def set_counts(self, stats: dict[int, tuple[int, int]], addresses: dict[int, int], distinct: int) -> None:
        for k, (records, nbytes) in stats.items():
            self.stats[KIND_NAMES[k]] = {"records": records, "bytes": nbytes}
        self.records_used = sum(r for r, _ in stats.values())
        self._address_counts = addresses
        self._distinct = distinct

    def node_table(self, used=None) -> pd.DataFrame:
        df = super().node_table(used)
        ids = sorted(used) if used is not None else range(len(self._node_ids))
        df["addresses"] = np.array([self._address_counts.get(i, 0) for i in ids], dtype=np.int64)
        return df

    def quality(self) -> dict:
        q = super().quality()
        q["distinct_addresses"] = int(self._distinct)
        return q


def _to_arrow(df) -> pa.Table:
    if hasattr(df, "toArrow"):
        return df.toArrow()
    return pa.Table.from_pandas(df.toPandas(), preserve_index=False)  # pragma: no cover - pyspark < 4


def _ints(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            df[c] = df[c].astype("int64")
    return df


def _merge_read(plan: _Plan, files: list[dict], skips: list[dict]):
    from ..read import ReadSummary

    total = ReadSummary()
    # The local reader reports the files it skips while listing first, in listing order.
    entries = [(list(k), d) for k, d in plan.skipped]
    entries += [([plan.key(s["file"])[0], 0, s["file"]], {"file": s["file"], "reason": s["skipped"]}) for s in skips]
    for _, d in sorted(entries, key=lambda e: e[0]):
        total._skip(d["file"], d["reason"])
    fields = set(ReadSummary.__dataclass_fields__)
    for f in files:
        total.merge(ReadSummary(**{k: v for k, v in f["read"].items() if k in fields and k != "resolution"}))
    return total


def _compute(spark, source, inventory=None, *, fields=None, since=None, until=None, ip_ranges=None,
             internet: str = "single", session_gap: int = 60, s3: dict | None = None) -> ServiceGraph:
    import_optional("pyspark", extra="spark", purpose="the Spark engine")
    from ..read.sources import describe
    from .session import s3a_conf

    if internet not in ("single", "/16"):
        raise ConfigError(f"internet must be 'single' or '/16', not {internet!r}")
    connections_sql(session_gap)  # validates the gap before any work
    inv = as_inventory(inventory)
    ranges = None
    if ip_ranges is not None:
        ranges = ip_ranges if isinstance(ip_ranges, dict) else json.loads(Path(ip_ranges).read_text(encoding="utf-8"))
        load_ip_ranges(ranges)  # fail on the driver, not in every task
    since_s, until_s = to_epoch_seconds(since), to_epoch_seconds(until)
    plan = _Plan(source)
    if not plan.uri_items and not plan.names:  # nothing to read: the local reader's message
        raise InputError(_merge_read(plan, [], [])._no_records_sentence(describe(source)))
    if s3 is not None and any(p.startswith("s3a://") for p in plan.spark_paths):
        for k, v in s3a_conf(s3).items():
            spark.conf.set(k, v)
    cfg = TaskConfig(inventory=inv, ip_ranges=ranges, internet=internet, since=since_s, until=until_s,
                     fields=fields, names=plan.names, roots=plan.roots, order=plan.order,
                     uri_items=plan.uri_items, explicit=plan.explicit)
    try:
        shipped = spark.sparkContext.broadcast(cfg)
    except Exception:  # Spark Connect has no SparkContext: ship the config in the closure
        shipped = None

    def run(batches):
        yield from resolve_files(batches, shipped.value if shipped is not None else cfg)

    try:
        files_df = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(plan.spark_paths)
    except Exception as exc:
        raise InputError(f"Spark cannot list {describe(source)}: {str(exc).strip().splitlines()[0]}") from None
    with warnings.catch_warnings():
        # pyspark warns about pandas >= 3 whenever Arrow is used; the engine hands it Arrow, never pandas
        warnings.filterwarnings("ignore", message=".*does not yet fully support pandas.*", category=FutureWarning)
        return _run(spark, source, plan, cfg, shipped, files_df, run, inv, since_s, until_s, internet, session_gap)


def _run(spark, source, plan, cfg, shipped, files_df, run, inv, since_s, until_s, internet, session_gap):
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from ..read.sources import describe

    out = files_df.select("path", "content").mapInArrow(run, SPARK_DDL).persist(StorageLevel.MEMORY_AND_DISK)
    conn = None
    try:
        infos = [json.loads(r[0]) for r in out.where("_summary IS NOT NULL").select("_summary").collect()]
        records = out.where("_summary IS NULL").drop("_summary")
        extra = _unlisted_files(plan, infos, cfg)
        if extra is not None:
            infos += extra[0]
            if extra[1] is not None:
                records = records.unionByName(_spark_frame(spark, extra[1]))
        files = sorted((i for i in infos if "read" in i), key=lambda i: plan.key(i["file"]))
        read = _merge_read(plan, files, [i for i in infos if "skipped" in i])
        if read.records == 0:
            raise InputError(read._no_records_sentence(describe(source)))
        first_seen: dict[str, list] = {}
        for info in infos:
            for node, where in info.get("nodes", {}).items():
                if node not in first_seen or where < first_seen[node]:
                    first_seen[node] = where
        resolution = _Resolution(inv, internet=internet, since=since_s, until=until_s,
                                 lazy_names=sorted(first_seen, key=first_seen.__getitem__), files=files)
        # Number the nodes as the local engine does and hand the SQL integer node ids.
        ids = spark.createDataFrame(list(resolution._node_ids.items()), "name string, id int")
        src = ids.withColumnRenamed("name", "src_node").withColumnRenamed("id", "src_id")
        dst = ids.withColumnRenamed("name", "dst_node").withColumnRenamed("id", "dst_id")
        # Number the files in the local reader's order too: the sample records are picked by it.
        file_names = [f["file"] for f in files]
        file_ids = spark.createDataFrame(list(zip(file_names, range(len(file_names)))), "file string, file_id int")
        resolved = (records.join(F.broadcast(src), "src_node").join(F.broadcast(dst), "dst_node")
                    .join(F.broadcast(file_ids), "file")
                    .drop("src_node", "dst_node", "file")
                    .withColumnRenamed("src_id", "src_node").withColumnRenamed("dst_id", "dst_node")
                    .withColumnRenamed("file_id", "file"))
        resolved.createOrReplaceTempView("resolved")
        conn = spark.sql(connections_sql(session_gap)).persist(StorageLevel.MEMORY_AND_DISK)
        conn.createOrReplaceTempView("connections")

        def from_connections():
            span = spark.sql(SPAN_SQL).collect()[0]
            windows = windows_of(span["first_start"], span["last_start"])
            e = _to_arrow(spark.sql(edges_sql(windows) + " ORDER BY client, server, server_port, protocol")).to_pandas()
            return e, direction_table(_to_arrow(spark.sql(DIRECTION_SQL)).to_pandas()), windows

        def samples():
            return _to_arrow(spark.sql(samples_sql(SAMPLES_PER_EDGE)
                                       + " ORDER BY client, server, server_port, protocol, sample")).to_pandas()

        # Independent jobs run concurrently: small inputs are bound by per-job latency.
        with ThreadPoolExecutor(max_workers=4) as pool:
            f_edges = pool.submit(from_connections)
            f_rejected = pool.submit(lambda: _to_arrow(spark.sql(
                REJECTED_SQL + " ORDER BY source, destination, port, protocol")).to_pandas())
            f_traffic = pool.submit(lambda: _to_arrow(spark.sql(TRAFFIC_SQL)).to_pylist())
            f_nodes = pool.submit(lambda: _to_arrow(spark.sql(ADDRESSES_SQL)).to_pylist())
            f_window = pool.submit(lambda: _to_arrow(spark.sql(WINDOW_SQL)).to_pylist())
            f_samples = pool.submit(samples)
            (edges_t, direction, windows), rejected_t = f_edges.result(), f_rejected.result()
            samples_t = f_samples.result()
            traffic, per_node, window = f_traffic.result(), f_nodes.result(), f_window.result()[0]
    finally:
        for view in ("connections", "resolved"):
            spark.catalog.dropTempView(view)
        if conn is not None:
            conn.unpersist()
        out.unpersist()
        if shipped is not None:
            shipped.unpersist()

    resolution.set_counts({int(r["rec_class"]): (int(r["records"]), int(r["bytes"] or 0)) for r in traffic},
                          {int(r["node"]): int(r["addresses"]) for r in per_node if r["node"] is not None},
                          next((int(r["addresses"]) for r in per_node if r["node"] is None), 0))
    used = sum(f["resolver"]["records_used"] for f in files)
    if resolution.records_used != used:  # every record's nodes must have found their ids
        raise RuntimeError(f"Spark engine: {used - resolution.records_used} resolved records lost their node id")
    agg = Aggregation(edges=_ints(edges_t), rejected=_ints(rejected_t), direction=direction,
                      samples=name_samples(_ints(samples_t), addresses=None, interfaces=None, files=file_names),
                      windows=windows)
    stats = WindowStats(since_s, until_s)
    stats.add_totals(window["first"], window["last"], int(window["records"] or 0),
                     int(window["accepted"] or 0), int(window["unknown"] or 0))
    return assemble_graph(agg, resolution, read, stats)


def _unlisted_files(plan: _Plan, infos: list[dict], cfg: TaskConfig):
    """Read on the driver the listed local files no task saw (Spark drops empty files).

    Returns ``None`` when there are none, else ``(summary dicts, Arrow table of records or None)``.
    """
    seen = {i["file"] for i in infos if "file" in i}
    missing = [full for full, name in plan.names.items() if name not in seen]
    if not missing:
        return None
    batch = pa.record_batch({"path": ["file://" + m for m in missing],
                             "content": [Path(m).read_bytes() for m in missing]})
    out = list(resolve_files([batch], cfg))
    rows = pa.Table.from_batches(out, schema=out[0].schema) if out else None
    summaries = [json.loads(s) for s in rows.column("_summary").drop_null().to_pylist()] if rows else []
    records = rows.filter(pc.is_null(rows.column("_summary"))).drop_columns(["_summary"]) if rows else None
    return summaries, records if records is not None and records.num_rows else None


def _spark_frame(spark, table: pa.Table):
    try:
        return spark.createDataFrame(table)
    except (TypeError, ValueError):  # pragma: no cover - pyspark < 4 takes no Arrow tables
        return spark.createDataFrame(table.to_pandas(), schema=", ".join(SPARK_DDL.split(", ")[:-1]))


def edges(spark, source, inventory=None, *, fields=None, since=None, until=None, ip_ranges=None,
          internet: str = "single", session_gap: int = 60, s3: dict | None = None) -> pd.DataFrame:
    """The edge table of ``source``, computed with Spark.

    Same rows, columns, dtypes and order as ``flowgraph.build_graph(...).edges``
    for every input where the local engine numbers the services of the
    inventory first (always); see ``docs/spark.md`` for the one tie the two
    engines can break differently.

    Parameters
    ----------
    spark : pyspark.sql.SparkSession
        A running session (:func:`flowgraph.spark.spark_session`).
    source : str, path or list of them
        Local files, directories and globs (listed on the driver with the local
        reader's rules), or URIs Spark can list: ``s3://`` (read as ``s3a://``),
        ``s3a://``, ``hdfs://``, ``abfss://``, ``gs://``, ``file://``.
    inventory : Inventory or path, optional
        Loaded on the driver and shipped to the tasks (broadcast).
    fields, since, until, ip_ranges, internet, session_gap
        As for :func:`flowgraph.graph.build_graph`.
    s3 : dict, optional
        S3 options (endpoint, region, keys) set as ``fs.s3a.*`` on the session.

    Returns
    -------
    pandas.DataFrame
        Columns ``client, server, server_port, protocol, connections, packets,
        bytes, first_seen, last_seen, hours_seen, days_seen, by_flags,
        by_listening_port, by_port, unresolved``.

    Examples
    --------
    >>> from flowgraph.spark import spark_session, edges
    >>> spark = spark_session("local[2]")  # doctest: +SKIP
    >>> e = edges(spark, "data/sample/logs", "data/sample/inventory.csv")  # doctest: +SKIP
    """
    return _compute(spark, source, inventory, fields=fields, since=since, until=until, ip_ranges=ip_ranges,
                    internet=internet, session_gap=session_gap, s3=s3).edges


def build_graph_spark(source, inventory=None, *, master: str = "local[*]", spark=None, fields=None,
                      since=None, until=None, ip_ranges=None, internet: str = "single",
                      session_gap: int = 60, s3: dict | None = None, conf: dict | None = None,
                      stop: bool | None = None) -> ServiceGraph:
    """Build the service graph with Spark: same graph as :func:`flowgraph.graph.build_graph`.

    Parameters
    ----------
    source, inventory, fields, since, until, ip_ranges, internet, session_gap, s3
        As for :func:`edges`.
    master : str
        Spark master when no session is given or running (``local[*]``, ``yarn``, ...).
    spark : pyspark.sql.SparkSession, optional
        Use this session instead of starting one.
    conf : dict, optional
        Extra Spark settings for a session started here.
    stop : bool, optional
        Stop the session afterwards.  Default: only if this call started it.

    Returns
    -------
    ServiceGraph
        Edges, nodes (kind, domain, account, addresses), rejected traffic and
        the quality dict (read summary, traffic by class, direction methods).

    Examples
    --------
    >>> from flowgraph.spark import build_graph_spark
    >>> g = build_graph_spark("data/sample/logs", "data/sample/inventory.csv", master="local[2]")  # doctest: +SKIP
    >>> g.quality["read"]["files_read"]  # doctest: +SKIP
    288
    """
    from .session import spark_session

    started = False
    if spark is None:
        import_optional("pyspark", extra="spark", purpose="the Spark engine")
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
        if spark is None:
            needs_s3a = any(str(i).startswith(("s3://", "s3a://")) for i in _items(source))
            spark = spark_session(master, s3=s3 if needs_s3a else None, s3a=needs_s3a, **(conf or {}))
            started = True
    try:
        return _compute(spark, source, inventory, fields=fields, since=since, until=until, ip_ranges=ip_ranges,
                        internet=internet, session_gap=session_gap, s3=s3)
    finally:
        if stop if stop is not None else started:
            spark.stop()
