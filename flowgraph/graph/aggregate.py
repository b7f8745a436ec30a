"""The aggregation of resolved batches into the edge table (the local engine).

By default (``method="sorted"``) the records are grouped in buckets of whole
5-tuple keys, held in memory up to ``bucket_rows`` records and spilled to Arrow
files beyond, and each bucket is sessionised, de-duplicated and reduced to
connections with NumPy (:mod:`flowgraph.graph.local_sql`); DuckDB then decides
directions and aggregates edges, samples and the REJECT records with the
specification's SQL (:mod:`flowgraph.graph.sql`, shared with the Spark engine).
``method="sql"`` runs the whole specification on DuckDB instead, which
materialises every record in its column store (spilling past ``memory_limit``);
it is the reference the sorted path is tested against.

Examples
--------
>>> import pyarrow as pa
>>> from flowgraph.resolve import RESOLVED_SCHEMA
>>> rows = {  # one TCP connection 0 -> 1 logged at both ENIs, both directions
...     "src_node": [0, 1, 0, 1], "dst_node": [1, 0, 1, 0], "src_addr": [0, 1, 0, 1], "dst_addr": [1, 0, 1, 0],
...     "sport": [40000, 443, 40000, 443], "dport": [443, 40000, 443, 40000], "proto": [6] * 4,
...     "packets": [5, 4, 5, 4], "bytes": [500, 4000, 500, 4000], "t_start": [0, 0, 2, 2], "t_end": [50, 50, 52, 52],
...     "accept": [True] * 4, "flags": [3, 19, 3, 19], "eni": [0, 0, 1, 1],
...     "file": [0, 0, 1, 1], "line": [2, 3, 2, 3], "seq": [0, 1, 0, 1]}
>>> agg = aggregate([pa.record_batch(rows, schema=RESOLVED_SCHEMA)])
>>> agg.edges[["client", "server", "server_port", "connections", "bytes", "by_flags"]].to_dict("records")
[{'client': 0, 'server': 1, 'server_port': 443, 'connections': 1, 'bytes': 4500, 'by_flags': 1}]
>>> agg.samples[["sample", "start", "src_addr", "src_port", "dst_port", "bytes", "interface", "file", "line"]].to_dict("records")
[{'sample': 1, 'start': 0, 'src_addr': 0, 'src_port': 40000, 'dst_port': 443, 'bytes': 500, 'interface': 0, 'file': 0, 'line': 2}]
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute
import pyarrow.ipc  # noqa: F401 - pa.ipc

from ..resolve.resolver import RESOLVED_SCHEMA
from .local_sql import CONN_SCHEMA, CONNECTIONS_FROM_CONN_SQL, bucket_of, connection_table
from .sql import (
    DIRECTION_SQL,
    REJECTED_SQL,
    SAMPLE_SQL_COLUMNS,
    SPAN_SQL,
    connections_sql,
    edges_sql,
    samples_sql,
    windows_of,
)
from .windows import TimeWindows

__all__ = ["aggregate", "Aggregation", "DIRECTION_METHODS", "SAMPLES_PER_EDGE", "direction_table"]

DIRECTION_METHODS = ("tcp_flags", "listening_port", "port", "unresolved")
SAMPLES_PER_EDGE = 3
"""Sample records kept per edge (the first connections' first records)."""


@dataclass
class Aggregation:
    """Result of the aggregation, with integer node ids (names are mapped by the caller)."""

    edges: pd.DataFrame
    rejected: pd.DataFrame
    direction: dict = field(default_factory=dict)
    samples: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SAMPLE_SQL_COLUMNS))
    """Up to ``samples_per_edge`` records per edge (:func:`~flowgraph.graph.sql.samples_sql`), engine-coded
    addresses, interfaces and files."""
    windows: TimeWindows | None = None
    """The time windows of ``edges["windows"]`` (``None``: no accepted connection, no column)."""

    @property
    def unresolved_direction_share(self) -> float:
        """Share of accepted connections whose direction no rule could decide."""
        total = sum(v["connections"] for v in self.direction.values())
        return (self.direction.get("unresolved", {}).get("connections", 0) / total) if total else 0.0


def direction_table(df: pd.DataFrame) -> dict:
    """Connections and bytes per direction method, from the rows of ``DIRECTION_SQL``.

    Every method of :data:`DIRECTION_METHODS` is present (zero when no row names it);
    shared by the local and the Spark engine.

    >>> direction_table(pd.DataFrame({"method": ["port"], "connections": [3], "bytes": [None]}))["port"]
    {'connections': 3, 'bytes': 0}
    """
    out = {m: {"connections": 0, "bytes": 0} for m in DIRECTION_METHODS}
    for row in df.itertuples(index=False):
        out[str(row.method)] = {"connections": int(row.connections), "bytes": int(row.bytes or 0)}
    return out


def _load(con: duckdb.DuckDBPyConnection, batches: Iterable[pa.RecordBatch], chunk_rows: int) -> None:
    """Insert resolved batches into the DuckDB table ``resolved`` in bounded chunks."""
    con.register("empty_resolved", RESOLVED_SCHEMA.empty_table())
    con.execute("CREATE TEMP TABLE resolved AS SELECT * FROM empty_resolved")
    con.unregister("empty_resolved")
    buf: list[pa.RecordBatch] = []
    rows = 0

    def flush() -> None:
        nonlocal buf, rows
        if buf:
            con.register("resolved_chunk", pa.Table.from_batches(buf, schema=RESOLVED_SCHEMA))
            con.execute("INSERT INTO resolved SELECT * FROM resolved_chunk")
            con.unregister("resolved_chunk")
        buf, rows = [], 0

    for b in batches:
        buf.append(b)
        rows += b.num_rows
        if rows >= chunk_rows:
            flush()
    flush()


class _Buckets:
    """Resolved records grouped in buckets of whole keys: in memory up to ``bucket_rows`` records,
    then spilled to ``parts`` Arrow files under ``directory``.

    Spilling partitions ``spill_rows`` records at a time (one sort, one contiguous write per
    part).  :meth:`tables` yields the records again as tables of whole keys of at most about
    ``bucket_rows`` records (one part may hold more when keys are very unevenly spread).
    """

    def __init__(self, directory: str, bucket_rows: int, parts: int = 64, spill_rows: int = 1_000_000) -> None:
        self.directory, self.bucket_rows, self.parts = directory, max(int(bucket_rows), 1), parts
        self.spill_rows = max(min(int(spill_rows), self.bucket_rows), 1)
        self.memory: list[pa.RecordBatch] = []
        self.held = 0
        self.spilled = False
        self.part_rows = [0] * parts
        self.writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}

    def add(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        self.memory.append(batch)
        self.held += batch.num_rows
        if self.held > (self.spill_rows if self.spilled else self.bucket_rows):
            self.spilled = True
            self._spill()

    def _spill(self) -> None:
        if not self.memory:
            return
        table = pa.Table.from_batches(self.memory, schema=RESOLVED_SCHEMA).combine_chunks()
        self.memory, self.held = [], 0
        part = bucket_of({n: table.column(n).to_numpy() for n in ("src_addr", "dst_addr", "sport", "dport", "proto")},
                         self.parts)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(self.parts + 1))
        table = table.take(pa.array(order))
        for p in range(self.parts):
            lo, hi = int(bounds[p]), int(bounds[p + 1])
            if hi > lo:
                if p not in self.writers:
                    self.writers[p] = pa.ipc.new_file(os.path.join(self.directory, f"part-{p}.arrow"), RESOLVED_SCHEMA)
                self.writers[p].write_table(table.slice(lo, hi - lo))
                self.part_rows[p] += hi - lo

    def tables(self) -> Iterator[pa.Table]:
        if not self.spilled:
            if self.memory:
                yield pa.Table.from_batches(self.memory, schema=RESOLVED_SCHEMA)
            self.memory = []
            return
        self._spill()
        for w in self.writers.values():
            w.close()
        group: list[int] = []
        rows = 0
        for p in [p for p in range(self.parts) if self.part_rows[p]]:
            if group and rows + self.part_rows[p] > self.bucket_rows:
                yield self._read(group)
                group, rows = [], 0
            group.append(p)
            rows += self.part_rows[p]
        if group:
            yield self._read(group)

    def _read(self, group: list[int]) -> pa.Table:
        tables = []
        for p in group:
            path = os.path.join(self.directory, f"part-{p}.arrow")
            with pa.OSFile(path) as f:
                tables.append(pa.ipc.open_file(f).read_all())
            os.unlink(path)
        return pa.concat_tables(tables)


def _sorted_connections(con: duckdb.DuckDBPyConnection, batches: Iterable[pa.RecordBatch], gap: int,
                        bucket_rows: int, chunk_rows: int, directory: str) -> None:
    """Tables ``connections`` (by :func:`~flowgraph.graph.local_sql.connection_table`, one bucket
    range at a time) and ``resolved`` (the REJECT records only: all that is read from it then)."""
    buckets = _Buckets(directory, bucket_rows)

    def rejects() -> Iterator[pa.RecordBatch]:
        for b in batches:
            buckets.add(b)
            rej = b.filter(pa.compute.invert(b.column("accept")))
            if rej.num_rows:
                yield rej

    _load(con, rejects(), chunk_rows)
    con.register("empty_conn", CONN_SCHEMA.empty_table())
    con.execute("CREATE TEMP TABLE conn AS SELECT * FROM empty_conn")
    con.unregister("empty_conn")
    for t in buckets.tables():
        cols = {name: t.column(name).to_numpy() for name in t.column_names}
        del t
        part = connection_table(cols, gap)
        del cols
        con.register("conn_chunk", part)
        con.execute("INSERT INTO conn SELECT * FROM conn_chunk")
        con.unregister("conn_chunk")
        del part
    con.execute(f"CREATE TEMP TABLE connections AS {CONNECTIONS_FROM_CONN_SQL}")
    con.execute("DROP TABLE conn")


def aggregate(
    batches: Iterable[pa.RecordBatch], *, session_gap: int = 60, memory_limit: str = "1GB",
    threads: int | None = None, temp_directory: str | None = None, chunk_rows: int = 1_000_000,
    samples_per_edge: int = SAMPLES_PER_EDGE, method: str = "sorted", bucket_rows: int = 1_000_000,
) -> Aggregation:
    """Aggregate resolved record batches into the edge table with DuckDB.

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        Batches in :data:`flowgraph.resolve.RESOLVED_SCHEMA`, consumed once.
    session_gap : int
        Seconds of silence after which the same 5-tuple is a new connection.
    memory_limit : str
        DuckDB memory limit; beyond it DuckDB spills to ``temp_directory``.
    chunk_rows : int
        Resolved records buffered in Python before each insert into DuckDB; bounds the
        Python-side memory.  (Letting DuckDB pull from a Python generator directly was
        3x slower: every pull re-enters the interpreter from DuckDB's worker threads.)
    samples_per_edge : int
        Sample records kept per edge (``Aggregation.samples``).
    method : {"sorted", "sql"}
        ``"sorted"`` (default): the sorted formulation of :mod:`flowgraph.graph.local_sql`,
        run on buckets of whole keys of about ``bucket_rows`` records each (past
        ``bucket_rows`` records the buckets are spilled to Arrow files under
        ``temp_directory``; DuckDB then only holds REJECT records and connections);
        ``"sql"``: the specification (:func:`~flowgraph.graph.sql.connections_sql`, what
        Spark runs) on DuckDB.  Both give the same tables (``tests/graph/test_fast_path.py``).
    """
    if method not in ("sorted", "sql"):
        raise ValueError(f"method must be 'sorted' or 'sql', not {method!r}")
    con = duckdb.connect(":memory:")
    tmp = temp_directory or os.path.join(tempfile.gettempdir(), "flowgraph-duckdb")
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{tmp}'")
        con.execute("SET preserve_insertion_order = false")
        try:
            con.execute("SET enable_progress_bar = false")
        except duckdb.Error:  # inside Jupyter without ipywidgets DuckDB refuses the setting (it is off there)
            pass
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if method == "sql":
            _load(con, batches, chunk_rows)
            con.execute(f"CREATE TEMP TABLE connections AS {connections_sql(session_gap)}")
        else:
            connections_sql(session_gap)  # validates the gap before any work
            os.makedirs(tmp, exist_ok=True)
            spill = tempfile.mkdtemp(prefix="buckets-", dir=tmp)
            try:
                _sorted_connections(con, batches, session_gap, bucket_rows, chunk_rows, spill)
            finally:
                shutil.rmtree(spill, ignore_errors=True)
        span = con.sql(SPAN_SQL).fetchall()[0]
        windows = windows_of(*span)
        edges = con.sql(edges_sql(windows) + " ORDER BY client, server, server_port, protocol"
                        ).to_arrow_table().to_pandas()
        samples = con.sql(samples_sql(samples_per_edge) + " ORDER BY client, server, server_port, protocol, sample"
                          ).to_arrow_table().to_pandas()
        rejected = con.sql(REJECTED_SQL + " ORDER BY source, destination, port, protocol").to_arrow_table().to_pandas()
        direction = direction_table(con.sql(DIRECTION_SQL).to_arrow_table().to_pandas())
    except (duckdb.InterruptException, RuntimeError) as exc:
        # DuckDB turns Ctrl-C during a query into its own error: it is still Ctrl-C
        if isinstance(exc, duckdb.InterruptException) or str(exc).startswith("Query interrupted"):
            raise KeyboardInterrupt from None
        raise
    finally:
        con.close()
    for df in (edges, rejected, samples):
        for c in df.columns:
            if pd.api.types.is_numeric_dtype(df[c]):
                df[c] = df[c].astype("int64")
    return Aggregation(edges=edges, rejected=rejected, direction=direction, samples=samples, windows=windows)
