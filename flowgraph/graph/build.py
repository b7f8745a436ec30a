"""Flow logs -> service graph: read, resolve, aggregate (the local engine).

Examples
--------
>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> log = os.path.join(d, "flows.log")
>>> _ = open(log, "w").write(
...     "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags\\n"
...     "5 123456789012 eni-a 10.0.0.1 10.0.0.2 40000 5432 6 5 500 1700000000 1700000060 ACCEPT OK 3\\n"
...     "5 123456789012 eni-a 10.0.0.2 10.0.0.1 5432 40000 6 4 800 1700000000 1700000060 ACCEPT OK 19\\n"
...     "5 123456789012 eni-b 10.0.0.1 10.0.0.2 40000 5432 6 5 500 1700000001 1700000061 ACCEPT OK 3\\n"
...     "5 123456789012 eni-b 10.0.0.2 10.0.0.1 5432 40000 6 4 800 1700000001 1700000061 ACCEPT OK 19\\n")
>>> inv = os.path.join(d, "inventory.csv")
>>> _ = open(inv, "w").write("ip,service,domain\\n10.0.0.1,web,shop\\n10.0.0.2,db,shop\\n")
>>> g = build_graph(log, inv)
>>> g.edges[["client", "server", "server_port", "connections", "bytes"]].to_dict("records")
[{'client': 'web', 'server': 'db', 'server_port': 5432, 'connections': 1, 'bytes': 1300}]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from ..exceptions import ConfigError, InputError
from ..resolve import Inventory, Resolver, load_inventory
from ..resolve.resolver import RESOLVER_INPUT_COLUMNS
from .aggregate import aggregate
from .service_graph import ServiceGraph

# as_inventory and assemble_graph are the interface the Spark engine shares with the local one
__all__ = ["build_graph", "graph_from_batches", "name_samples", "to_epoch_seconds", "WindowStats", "as_inventory",
           "assemble_graph"]


class WindowStats:
    """Running figures of the records actually analysed (kept by the resolver, in the window).

    Feeds the ``ServiceGraph.quality`` keys ``time_span_seconds``, ``window`` and
    ``unmapped_share`` (contract shared with the assessment, CLI and report).
    ``unknown`` counts accepted records with at least one end of class ``unknown``.

    >>> w = WindowStats(since=100, until=200)
    >>> w.add_arrays(np.array([90, 150]), np.array([300, 160]), np.array([True, True]), np.array([3, 0]))
    >>> w.first, w.last, w.unmapped_share
    (100, 200, 0.5)
    """

    def __init__(self, since: int | None = None, until: int | None = None) -> None:
        self.since, self.until = since, until
        self.first: int | None = None
        self.last: int | None = None
        self.records = 0
        self.accepted = 0
        self.unknown = 0

    def add_arrays(self, t_start: np.ndarray, t_end: np.ndarray, accept: np.ndarray, rec_class: np.ndarray) -> None:
        """Add one batch: start/end seconds, accept flags, least-known class (3 = unknown) per record."""
        n = len(t_start)
        if n == 0:
            return
        self.records += n
        lo, hi = int(t_start.min()), int(t_end.max())
        if self.since is not None:
            lo = max(lo, self.since)
        if self.until is not None:
            hi = min(hi, self.until)
        self.first = lo if self.first is None else min(self.first, lo)
        self.last = hi if self.last is None else max(self.last, hi)
        self.accepted += int(accept.sum())
        self.unknown += int((accept & (rec_class == 3)).sum())

    def add_totals(self, first, last, records: int, accepted: int, unknown: int) -> None:
        """Add figures computed elsewhere (the Spark engine's SQL); ``first``/``last`` unclipped."""
        if records:
            self.add_arrays(np.array([first]), np.array([last]), np.zeros(1, bool), np.zeros(1, np.int64))
            self.records += int(records) - 1
            self.accepted += int(accepted)
            self.unknown += int(unknown)

    @property
    def unmapped_share(self) -> float:
        """Share of accepted in-window records with at least one ``unknown`` end."""
        return round(self.unknown / self.accepted, 6) if self.accepted else 0.0

    def window(self, records_outside: int) -> dict:
        """The ``window`` quality entry."""
        return {"since": self.since, "until": self.until, "first": self.first, "last": self.last,
                "records_in_window": int(self.records), "records_outside_window": int(records_outside)}


def to_epoch_seconds(value: int | float | str | datetime | pd.Timestamp | None) -> int | None:
    """Epoch seconds from a number, an ISO-8601 string or a datetime (UTC if naive).

    >>> to_epoch_seconds("2024-03-01T00:00:00Z")
    1709251200
    >>> to_epoch_seconds(None) is None
    True
    """
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"not a time: {value!r}") from exc
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int((ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1))


def as_inventory(inventory: Inventory | str | Path | None) -> Inventory | None:
    """``inventory`` itself, or the inventory loaded from a path (``None`` stays ``None``).

    >>> as_inventory(None) is None
    True
    """
    if inventory is None or isinstance(inventory, Inventory):
        return inventory
    return load_inventory(inventory)


def graph_from_batches(
    batches: Iterable[pa.RecordBatch], inventory: Inventory | str | Path | None = None, *,
    read_summary=None, since=None, until=None, ip_ranges=None, internet="single",
    session_gap: int = 60, memory_limit: str = "1GB", progress: Callable[[int], None] | None = None,
) -> ServiceGraph:
    """Build the service graph from canonical record batches (any reader, any source).

    ``read_summary`` is the reader's summary (an object with ``to_dict()``, a dict, or a
    zero-argument callable returning one, evaluated after the batches are consumed);
    ``progress`` is called with the number of records of each batch as it is resolved.
    """
    resolver = Resolver(as_inventory(inventory), ip_ranges=ip_ranges, internet=internet,
                        since=to_epoch_seconds(since), until=to_epoch_seconds(until))

    stats = WindowStats(resolver.since, resolver.until)
    kinds = np.zeros(0, dtype=np.int64)
    totals = {"packets": 0, "bytes": 0}

    def resolved() -> Iterator[pa.RecordBatch]:
        nonlocal kinds
        for b in batches:
            out = resolver.resolve(b)
            if out.num_rows:
                _check_totals(out, totals)
                if len(kinds) != len(resolver._node_kind):
                    kinds = np.array(resolver._node_kind, dtype=np.int64)
                src = out.column("src_node").to_numpy()
                dst = out.column("dst_node").to_numpy()
                stats.add_arrays(out.column("t_start").to_numpy(), out.column("t_end").to_numpy(),
                                 out.column("accept").to_numpy(zero_copy_only=False),
                                 np.maximum(kinds[src], kinds[dst]))
            if progress is not None:
                progress(b.num_rows)
            yield out

    agg = aggregate(resolved(), session_gap=session_gap, memory_limit=memory_limit)
    agg.samples = name_samples(agg.samples, addresses=list(resolver._addr_ids), interfaces=list(resolver._eni_ids),
                               files=list(resolver._file_ids))
    return assemble_graph(agg, resolver, read_summary, stats)


def _lookup(codes: pd.Series, names: list | None) -> np.ndarray:
    """``names[code]`` per row (``None`` for negative codes); ``names=None`` keeps values that are names."""
    if names is None:
        return codes.astype(object).where(codes.notna(), None).to_numpy(dtype=object)
    table = np.array([*names, None], dtype=object)
    idx = codes.to_numpy(dtype=np.int64)
    return table[np.where(idx < 0, len(names), idx)]


def name_samples(samples: pd.DataFrame, *, addresses: list | None, interfaces: list | None,
                 files: list) -> pd.DataFrame:
    """Replace an engine's codes in ``Aggregation.samples`` by addresses, interface ids and file names.

    ``addresses``/``interfaces``: names by id (the local engine) or ``None``
    where the SQL already carried strings (Spark); ``files``: names by file id.
    Nodes (``client``, ``server``) are named by :func:`assemble_graph` with the edges.

    >>> s = pd.DataFrame({"src_addr": [1], "dst_addr": [0], "interface": [-1], "file": [0], "line": [7]})
    >>> name_samples(s, addresses=["10.0.0.2", "10.0.0.1"], interfaces=["eni-1"], files=["a.log"]).to_dict("records")
    [{'src_addr': '10.0.0.1', 'dst_addr': '10.0.0.2', 'interface': None, 'file': 'a.log', 'line': 7}]
    """
    out = samples.copy()
    if not len(out):
        return out
    for col, names in (("src_addr", addresses), ("dst_addr", addresses), ("interface", interfaces), ("file", files)):
        out[col] = _lookup(out[col], names)
    return out


INT64_MAX = 2**63 - 1


def _check_totals(batch: pa.RecordBatch, totals: dict[str, int]) -> None:
    """Add the batch's packets and bytes to ``totals``; refuse input whose total passes 2^63-1.

    The aggregation sums counters in 64-bit integers.  Each record's counters are
    bounded by the reader (:data:`flowgraph.read.fields.FIELD_MAX`), but tens of
    thousands of records at the bound would still overflow a sum; since no sum
    can exceed the grand total, a grand total within int64 keeps every sum exact.
    9.2 exabytes is no real capture, so the input is refused with one sentence.

    >>> t = {"packets": 0, "bytes": 0}
    >>> _check_totals(pa.record_batch({"packets": [2**62], "bytes": [1]}), t)
    >>> _check_totals(pa.record_batch({"packets": [2**62], "bytes": [1]}), t)
    Traceback (most recent call last):
    ...
    flowgraph.exceptions.InputError: the flow records' packets total more than 2^63-1 (9.2e18), which no real capture carries; check the input for corrupt counters
    """
    for name in ("packets", "bytes"):
        col = batch.column(name)
        approx = pa.compute.sum(pa.compute.cast(col, pa.float64(), safe=False)).as_py() or 0.0  # cannot wrap
        totals[name] += int(pa.compute.sum(col).as_py() or 0) if approx < 2**62 else int(approx)
        if totals[name] > INT64_MAX:
            raise InputError(f"the flow records' {name} total more than 2^63-1 (9.2e18), which no real "
                             "capture carries; check the input for corrupt counters")


def _identity_source(resolver: Resolver) -> str:
    """Where service identities came from: ``inventory``, ``capture``, both or ``none``.

    ``capture`` is identity carried by the records themselves (a resolver that
    sets ``capture_identity_records`` > 0, e.g. VM names in a cloud's logs).
    """
    inv = resolver.inventory
    has_inv = inv is not None and (len(inv.entries) > 0 or len(getattr(inv, "enis", ())) > 0)
    has_cap = int(getattr(resolver, "capture_identity_records", 0) or 0) > 0
    return {(True, True): "inventory+capture", (True, False): "inventory",
            (False, True): "capture", (False, False): "none"}[(has_inv, has_cap)]


def assemble_graph(agg, resolver: Resolver, read_summary, stats: WindowStats | None = None) -> ServiceGraph:
    """The :class:`ServiceGraph` from an aggregation and the resolver that coded its nodes.

    Names the integer-coded nodes, builds the node table and the data-quality dict; the
    local engine (:func:`build_graph`) and the Spark engine both end here, which is why
    their graphs agree.
    """
    if callable(read_summary):
        read_summary = read_summary()
    if read_summary is not None and hasattr(read_summary, "to_dict"):
        if hasattr(read_summary, "resolution"):
            read_summary.resolution = resolver.traffic_by_class()
        read_summary = read_summary.to_dict()
    edges = agg.edges.copy()
    names = list(resolver._node_ids)
    used = set(edges["client"].tolist()) | set(edges["server"].tolist())
    edges["client"] = [names[i] for i in edges["client"]]
    edges["server"] = [names[i] for i in edges["server"]]
    nodes = resolver.node_table(used)
    rejected = agg.rejected.copy()
    if len(rejected):
        rejected["source"] = [names[i] for i in rejected["source"]]
        rejected["destination"] = [names[i] for i in rejected["destination"]]
    samples = agg.samples.copy()
    if len(samples):
        samples["client"] = [names[i] for i in samples["client"]]
        samples["server"] = [names[i] for i in samples["server"]]
    quality = resolver.quality()
    quality["direction_methods"] = agg.direction
    quality["unresolved_direction_share"] = round(agg.unresolved_direction_share, 6)
    quality["rejected_records"] = int(rejected["records"].sum()) if len(rejected) else 0
    quality["accepted_connections"] = int(edges["connections"].sum()) if len(edges) else 0
    if agg.windows is not None:
        quality["windows"] = agg.windows.to_dict()
    if read_summary is not None:
        quality["read"] = read_summary
    if stats is None:  # callers without running figures: derive them from the tables
        stats = WindowStats(resolver.since, resolver.until)
        tables = [t for t in (edges, rejected) if len(t)]
        if tables:
            stats.add_totals(min(int(t["first_seen"].min()) for t in tables),
                             max(int(t["last_seen"].max()) for t in tables), resolver.records_used, 0, 0)
    # first and last are set together (WindowStats.add_totals)
    quality["time_span_seconds"] = (int(stats.last) - int(stats.first)) if stats.first is not None and stats.last is not None else 0
    quality["window"] = stats.window(resolver.records_outside_window)
    quality["unmapped_share"] = stats.unmapped_share
    quality["identity_source"] = _identity_source(resolver)
    return ServiceGraph(edges, nodes, rejected=rejected, quality=quality, samples=samples)


def build_graph(
    source, inventory: Inventory | str | Path | None = None, *, fields: str | None = None,
    s3: dict | None = None, since=None, until=None, ip_ranges=None, internet: str = "single",
    session_gap: int = 60, memory_limit: str = "1GB", progress: Callable[[int], None] | None = None,
    read_status: Callable[[Any, int, int], None] | None = None,
) -> ServiceGraph:
    """Read flow logs from ``source`` and build the service graph.

    Parameters
    ----------
    source : path, glob, directory, list or ``s3://`` URI
        Anything :func:`flowgraph.scan_flows` accepts.
    inventory : Inventory or path, optional
        Address → service table (:func:`flowgraph.load_inventory`).
    fields : str, optional
        Field order for files without a header line.
    s3 : dict, optional
        S3 options (``endpoint_override``, ``region``, credentials) for ``s3://`` sources.
    since, until : time, optional
        Keep records whose start is in ``[since, until)``.
    ip_ranges : path or dict, optional
        AWS ``ip-ranges.json`` to name AWS-service addresses.
    internet : {"single", "/16"}
        One ``internet`` node or one per /16.
    session_gap : int
        Seconds of silence after which a 5-tuple starts a new connection.
    progress : callable, optional
        Called with the number of records of each batch as it is resolved.
    read_status : callable, optional
        ``read_status(summary, files_done, files_total)`` after every batch and
        file, with the reader's live :class:`~flowgraph.read.ReadSummary`
        (the ``progress`` of :func:`flowgraph.scan_flows`).

    Returns
    -------
    ServiceGraph
        With ``quality`` holding the read summary, traffic by address class,
        direction methods and the unresolved-direction share.
    """
    from ..read import scan_flows

    scan = scan_flows(source, fields=fields, columns=RESOLVER_INPUT_COLUMNS, provenance=True, s3=s3,
                      progress=read_status)
    return graph_from_batches(
        scan, inventory, read_summary=lambda: scan.summary, since=since, until=until, ip_ranges=ip_ranges,
        internet=internet, session_gap=session_gap, memory_limit=memory_limit, progress=progress,
    )
