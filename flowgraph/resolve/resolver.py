"""Vectorised address resolution: flow records -> (source node, destination node).

Resolution order for each endpoint of a record (documented in ``docs/graph.md``):

1. the effective address is ``pkt-srcaddr`` / ``pkt-dstaddr`` when present
   (NAT gateways, Transit Gateway and secondary addresses), else ``srcaddr`` / ``dstaddr``;
2. the inventory: the most specific ``ip``/``cidr`` entry whose validity window
   contains the record's ``start``;
3. ``pkt-src-aws-service`` / ``pkt-dst-aws-service``, or an AWS ``ip-ranges.json``
   the caller passes -> ``aws:<SERVICE>``;
4. the capturing interface (``interface-id`` with ``flow-direction``) when the
   inventory knows the ENI but not the address; then, for the same capturing
   side, the record's own ``ecs-service-name`` (VPC flow logs v7 on an ECS
   ``awsvpc`` task ENI): capture-time identity, no inventory needed, counted
   in ``Resolver.capture_identity_records``;
5. otherwise the address is classified: public -> ``internet`` (or per /16),
   private -> ``unknown:<the /24>``.

Per-record work is NumPy/Arrow only: each distinct address is parsed once per
run (cached), records are mapped with ``take``; time-windowed addresses use a
``searchsorted`` over (address, time) keys.

Examples
--------
>>> import pandas as pd, pyarrow as pa
>>> from flowgraph.resolve import Inventory
>>> inv = Inventory.from_frame(pd.DataFrame({"ip": ["10.0.0.1", "10.0.0.2"], "service": ["web", "db"]}))
>>> r = Resolver(inv)
>>> batch = pa.record_batch({
...     "srcaddr": ["10.0.0.1", "10.0.0.2", "203.0.113.9"], "dstaddr": ["10.0.0.2", "10.0.0.1", "10.0.0.1"],
...     "srcport": [40000, 5432, 51000], "dstport": [5432, 40000, 443], "protocol": [6, 6, 6],
...     "packets": [10, 8, 3], "bytes": [900, 700, 200], "start": [100, 100, 160], "end": [160, 160, 170],
...     "action": ["ACCEPT", "ACCEPT", "REJECT"], "log_status": ["OK", "OK", "OK"]})
>>> out = r.resolve(batch)
>>> [r.node_name(i) for i in out.column("src_node").to_pylist()]
['web', 'db', 'internet']
>>> r.traffic_by_class()["internet"]["records"]
1
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .addresses import InternetGranularity, classify, parse_ip
from .inventory import TIME_MAX, TIME_MIN, Inventory, service_name

__all__ = ["Resolver", "RESOLVED_SCHEMA", "RESOLVED_NAMES_SCHEMA", "RESOLVER_INPUT_COLUMNS", "KIND_CODES",
           "KIND_NAMES", "load_ip_ranges", "normalize_epoch"]

RESOLVER_INPUT_COLUMNS = [
    "srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr", "srcport", "dstport", "protocol",
    "packets", "bytes", "start", "end", "action", "log_status", "tcp_flags", "interface_id",
    "flow_direction", "pkt_src_aws_service", "pkt_dst_aws_service", "ecs_service_name",
]
"""Canonical columns the resolver reads (absent ones may be null)."""

RESOLVED_SCHEMA = pa.schema([
    ("src_node", pa.int32()), ("dst_node", pa.int32()),
    ("src_addr", pa.int32()), ("dst_addr", pa.int32()),
    ("sport", pa.int32()), ("dport", pa.int32()), ("proto", pa.int32()),
    ("packets", pa.int64()), ("bytes", pa.int64()),
    ("t_start", pa.int64()), ("t_end", pa.int64()),
    ("accept", pa.bool_()), ("flags", pa.int32()), ("eni", pa.int32()),
    ("file", pa.int32()), ("line", pa.int64()), ("seq", pa.int64()),
])
"""Integer-coded records that feed the aggregation (same on every engine).

``file``, ``line`` and ``seq`` are the record's provenance: the file's id
(numbered in reading order: the first file met is 0), the 1-based line
(Parquet: row; 0 when the batch carries no ``_line``) and the record's
0-based position among the valid records of its file (unique per file even
where one line holds many records, as CloudWatch or Azure JSON can)."""

RESOLVED_NAMES_SCHEMA = pa.schema([
    ("src_node", pa.string()), ("dst_node", pa.string()),
    ("src_addr", pa.string()), ("dst_addr", pa.string()),
    ("sport", pa.int32()), ("dport", pa.int32()), ("proto", pa.int32()),
    ("packets", pa.int64()), ("bytes", pa.int64()),
    ("t_start", pa.int64()), ("t_end", pa.int64()),
    ("accept", pa.bool_()), ("flags", pa.int32()), ("eni", pa.string()),
    ("file", pa.string()), ("line", pa.int64()), ("seq", pa.int64()),
    ("rec_class", pa.int8()),
])
"""The same records with node names, address strings and interface ids instead of
per-process integer ids (``resolve(batch, names=True)``) — ``file`` is the file's
name (``_file``), numbered by the engine in reading order before the SQL — plus ``rec_class``: the
least-known class of the two endpoints (0 service, 1 aws-service, 2 internet,
3 unknown; see :data:`KIND_CODES`).  Used where resolvers run in many processes
(the Spark engine): strings are the same in every process, integer ids are not."""

KIND_CODES = {"service": 0, "aws-service": 1, "internet": 2, "unknown": 3}
KIND_NAMES = list(KIND_CODES)
_NONE = -1
_TIMED = -2
_MS_THRESHOLD = 2_147_483_647


def normalize_epoch(values: np.ndarray) -> np.ndarray:
    """Epoch seconds; values above 2**31-1 are taken as milliseconds.

    >>> normalize_epoch(np.array([1512564058000, 1431280876]))
    array([1512564058, 1431280876])
    """
    v = np.asarray(values, dtype=np.int64)
    return np.where(v > _MS_THRESHOLD, v // 1000, v)


class _PrefixTable:
    """Longest-prefix lookup over a set of networks, by prefix length."""

    def __init__(self, networks: list, payload: list) -> None:
        self.levels: dict[tuple[int, int], dict[int, list]] = defaultdict(lambda: defaultdict(list))
        for net, item in zip(networks, payload):
            self.levels[(net.version, net.prefixlen)][int(net.network_address)].append(item)
        self.order = sorted(self.levels, key=lambda k: -k[1])

    def matches(self, ip) -> list[tuple[int, list]]:
        """(prefixlen, items) for every level containing ``ip``, most specific first."""
        out = []
        bits = 32 if ip.version == 4 else 128
        value = int(ip)
        for version, plen in self.order:
            if version != ip.version:
                continue
            key = value & (((1 << plen) - 1) << (bits - plen)) if plen else 0
            items = self.levels[(version, plen)].get(key)
            if items:
                out.append((plen, items))
        return out


class Resolver:
    """Resolve flow-record endpoints to graph nodes, batch by batch.

    Parameters
    ----------
    inventory : Inventory, optional
        Address → service table.  Without one every address is classified.
    ip_ranges : path or dict, optional
        AWS ``ip-ranges.json``; public addresses in its prefixes become
        ``aws:<SERVICE>`` (the most specific prefix, preferring a named service
        over the catch-all ``AMAZON``).
    internet : {"single", "/16"}
        One ``internet`` node, or one node per /16.
    since, until : int, optional
        Keep records whose ``start`` is in ``[since, until)`` (epoch seconds).
    """

    # built lazily (by node_name and _named), when first needed
    _names: list[str]
    _name_array: pa.Array

    def __init__(
        self, inventory: Inventory | None = None, *, ip_ranges: str | Path | dict | None = None,
        internet: InternetGranularity = "single", since: int | None = None, until: int | None = None,
    ) -> None:
        self.inventory = inventory
        self.internet = internet
        self.since, self.until = since, until
        self._node_ids: dict[str, int] = {}
        self._node_kind: list[int] = []
        self._addr_ids: dict[str, int] = {}
        self._addr_cache: dict[str, tuple[int, int, int]] = {}  # addr -> (addr_id, inventory node|_NONE|_TIMED, fallback node)
        self._segments: list[tuple[int, int, int, int]] = []
        self._seg_arrays: tuple[np.ndarray, ...] | None = None
        self._eni_ids: dict[str, int] = {}
        self._file_ids: dict[str | None, int] = {}  # file name (None: batch without _file) -> id
        self._file_array: pa.Array | None = None  # the names of _file_ids, rebuilt when a file is added
        self._file_records: list[int] = []          # valid records met so far, per file id
        self._eni_node: dict[str, int] = {}
        self._node_addrs: set[int] = set()
        self.problems: list[str] = list(inventory.problems) if inventory is not None else []
        self.stats = {k: {"records": 0, "bytes": 0} for k in KIND_NAMES}
        self.unmapped_examples: list[dict] = []
        self._example_counts: dict[int, int] = {}
        self._example_addrs: set[int] = set()
        self.records_in = 0
        self.records_used = 0
        self.records_outside_window = 0
        self.records_no_address = 0
        self.capture_identity_records = 0
        self._inv = None
        if inventory is not None:
            ent = inventory.entries
            self._inv = _PrefixTable(list(ent["network"]), list(range(len(ent))))
            self._inv_plen = [n.prefixlen for n in ent["network"]]
            self._inv_vf = ent["valid_from"].to_numpy()
            self._inv_vt = ent["valid_to"].to_numpy()
            self._inv_node = [self._node(s, "service") for s in ent["service"]]
            for row in inventory.enis.itertuples(index=False):
                self._eni_node[str(row.interface_id)] = self._node(str(row.service), "service")
        self._aws = load_ip_ranges(ip_ranges) if ip_ranges is not None else None

    # -- registries -----------------------------------------------------------------
    def _node(self, name: str, kind: str) -> int:
        nid = self._node_ids.get(name)
        if nid is None:
            nid = self._node_ids[name] = len(self._node_kind)
            self._node_kind.append(KIND_CODES[kind])
        return nid

    def node_name(self, node_id: int) -> str:
        """Name of a node id."""
        if not hasattr(self, "_names") or len(self._names) != len(self._node_ids):
            self._names = list(self._node_ids)
        return self._names[node_id]

    def _lookup(self, addr: str) -> tuple[int, int, int]:
        hit = self._addr_cache.get(addr)
        if hit is not None:
            return hit
        addr_id = self._addr_ids.setdefault(addr, len(self._addr_ids))
        ip = parse_ip(addr)
        inv_node = _NONE
        if ip is not None and self._inv is not None:
            inv_node = self._inventory_node(addr_id, ip)
        kind, name = classify(addr, internet=self.internet)
        if kind == "internet" and self._aws is not None and ip is not None:
            svc = self._aws_service(ip)
            if svc:
                kind, name = "aws-service", f"aws:{svc}"
        fallback = self._node(name, kind)
        hit = self._addr_cache[addr] = (addr_id, inv_node, fallback)
        return hit

    def _inventory_node(self, addr_id: int, ip) -> int:
        assert self._inv is not None  # only called with an inventory
        cands = [(plen, i) for plen, items in self._inv.matches(ip) for i in items]
        if not cands:
            return _NONE
        timed = [c for c in cands if self._inv_vf[c[1]] != TIME_MIN or self._inv_vt[c[1]] != TIME_MAX]
        if not timed:
            best = max(p for p, _ in cands)
            top = [i for p, i in cands if p == best]
            names = {self._inv_node[i] for i in top}
            if len(names) > 1 and len(self.problems) < 200:
                self.problems.append(f"address {ip} is listed for {len(names)} services without time windows; the first is used")
            return self._inv_node[top[0]]
        # Time-windowed: cut the time axis at every window edge, pick the most specific valid entry.
        edges = sorted({int(self._inv_vf[i]) for _, i in cands} | {int(self._inv_vt[i]) for _, i in cands} | {TIME_MIN, TIME_MAX})
        last = None
        for lo, hi in zip(edges[:-1], edges[1:]):
            valid = [(p, int(self._inv_vf[i]), i) for p, i in cands if self._inv_vf[i] <= lo < self._inv_vt[i]]
            node = self._inv_node[max(valid)[2]] if valid else _NONE
            if last is not None and last[3] == node and last[2] == lo:
                last = (last[0], last[1], hi, node)
                self._segments[-1] = last
                continue
            last = (addr_id, lo, hi, node)
            self._segments.append(last)
        self._seg_arrays = None
        return _TIMED

    def _aws_service(self, ip) -> str | None:
        assert self._aws is not None  # only called with ip-ranges loaded
        for _, names in self._aws.matches(ip):
            named = [n for n in names if n != "AMAZON"]
            return sorted(named)[0] if named else "AMAZON"
        return None

    def _timed_nodes(self, addr: np.ndarray, t: np.ndarray) -> np.ndarray:
        if self._seg_arrays is None:
            seg = np.array(sorted(self._segments), dtype=np.int64).reshape(-1, 4)
            lo = np.clip(seg[:, 1], 0, (1 << 33) - 1)
            self._seg_arrays = (seg[:, 0] * (1 << 33) + lo, seg[:, 0], seg[:, 2], seg[:, 3])
        keys, seg_addr, seg_end, seg_node = self._seg_arrays
        k = addr.astype(np.int64) * (1 << 33) + np.clip(t, 0, (1 << 33) - 1)
        idx = np.searchsorted(keys, k, side="right") - 1
        idx_c = np.clip(idx, 0, len(keys) - 1)
        ok = (idx >= 0) & (seg_addr[idx_c] == addr) & (t < seg_end[idx_c])
        return np.where(ok, seg_node[idx_c], _NONE)

    # -- per batch ------------------------------------------------------------------
    def _side(self, col: pa.Array, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        enc = pc.dictionary_encode(col.fill_null("-"))
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.combine_chunks()
        uniq = enc.dictionary.to_pylist()
        looked = np.array([self._lookup(a) for a in uniq], dtype=np.int64).reshape(-1, 3)
        idx = enc.indices.to_numpy(zero_copy_only=False)
        addr_id, inv_node, fallback = looked[idx, 0], looked[idx, 1], looked[idx, 2]
        timed = inv_node == _TIMED
        if timed.any():
            inv_node = inv_node.copy()
            inv_node[timed] = self._timed_nodes(addr_id[timed], t[timed])
        return addr_id, inv_node, fallback

    def _map_strings(self, col: pa.Array | None, n: int, mapping) -> np.ndarray:
        """Per-record node ids from a string column via its distinct values (``_NONE`` for null)."""
        if col is None or col.null_count == len(col):
            return np.full(n, _NONE, dtype=np.int64)
        enc = pc.dictionary_encode(col)
        if isinstance(enc, pa.ChunkedArray):
            enc = enc.combine_chunks()
        lut = np.array([mapping(v) for v in enc.dictionary.to_pylist()] + [_NONE], dtype=np.int64)
        idx = enc.indices.fill_null(len(lut) - 1).to_numpy(zero_copy_only=False)
        return lut[idx]

    def resolve(self, batch: pa.RecordBatch, *, names: bool = False) -> pa.RecordBatch:
        """Resolve one canonical batch (only ``OK`` records with addresses are kept).

        Parameters
        ----------
        batch : pyarrow.RecordBatch
            Canonical columns (:data:`RESOLVER_INPUT_COLUMNS`; absent ones count as null).
        names : bool
            ``False`` (default): :data:`RESOLVED_SCHEMA`, integer ids local to this
            resolver.  ``True``: :data:`RESOLVED_NAMES_SCHEMA`, node names, address
            strings and interface ids plus ``rec_class``, comparable across processes.
            Resolution and the statistics kept by the resolver are the same either way.

        Examples
        --------
        >>> r = Resolver()
        >>> b = pa.record_batch({"srcaddr": ["10.0.0.1"], "dstaddr": ["198.51.100.7"], "srcport": [40000],
        ...                      "dstport": [443], "protocol": [6], "start": [100], "end": [160],
        ...                      "interface_id": ["eni-1"]})
        >>> out = r.resolve(b, names=True)
        >>> out.column("src_node")[0].as_py(), out.column("dst_addr")[0].as_py(), out.column("rec_class")[0].as_py()
        ('unknown:10.0.0.0/24', '198.51.100.7', 3)
        >>> out.column("eni")[0].as_py()
        'eni-1'
        """
        as_names = bool(names)
        present = set(batch.schema.names)
        meta = batch.schema.metadata or {}
        absent = meta.get(b"flowgraph.absent")
        if absent:
            # a column the file does not have (e.g. TGW logs have no action) is absent, not null
            present -= set(absent.decode().split(","))

        def col(name):
            return batch.column(name) if name in present else None

        n_in = batch.num_rows
        self.records_in += n_in
        status = col("log_status")
        keep = pc.fill_null(pc.equal(status, "OK"), False) if status is not None else pa.array(np.ones(n_in, bool))
        src_raw = pc.coalesce(*(c for c in (col("pkt_srcaddr"), col("srcaddr")) if c is not None))
        dst_raw = pc.coalesce(*(c for c in (col("pkt_dstaddr"), col("dstaddr")) if c is not None))
        has_addr = pc.and_(pc.is_valid(src_raw), pc.is_valid(dst_raw))
        no_addr = pc.sum(pc.and_(keep, pc.invert(has_addr))).as_py() or 0
        self.records_no_address += no_addr
        keep = pc.and_(keep, has_addr)
        start_raw = col("start")
        start = normalize_epoch(start_raw.fill_null(0).to_numpy(zero_copy_only=False))
        if self.since is not None or self.until is not None:
            win = np.ones(n_in, bool)
            if self.since is not None:
                win &= start >= self.since
            if self.until is not None:
                win &= start < self.until
            outside = int((keep.to_numpy(zero_copy_only=False) & ~win).sum())
            self.records_outside_window += outside
            keep = pc.and_(keep, pa.array(win))
        keep_np = keep.to_numpy(zero_copy_only=False)
        prov = self._provenance(batch, present)  # counted over every record of the file, kept or not
        if not keep_np.all():
            batch = batch.filter(keep)
            src_raw, dst_raw = src_raw.filter(keep), dst_raw.filter(keep)
            start = start[keep_np]
            prov = tuple(a[keep_np] for a in prov)  # the columns, and which are absent, stay as they were
        n = batch.num_rows
        self.records_used += n

        def ints(name, dtype=np.int64):
            c = col(name)
            if c is None:
                return np.zeros(n, dtype=dtype)
            return c.fill_null(0).to_numpy(zero_copy_only=False).astype(dtype, copy=False)

        src_addr, src_inv, src_fb = self._side(src_raw, start)
        dst_addr, dst_inv, dst_fb = self._side(dst_raw, start)
        src_node, dst_node = src_inv, dst_inv
        # AWS service named in the record
        for side_node, field_name in ((src_node, "pkt_src_aws_service"), (dst_node, "pkt_dst_aws_service")):
            aws = self._map_strings(col(field_name), n, lambda v: self._node(f"aws:{v}", "aws-service"))
            m = (side_node == _NONE) & (aws != _NONE)
            side_node[m] = aws[m]
        # The capturing ENI, when the inventory knows it but not the address
        if self._eni_node and col("interface_id") is not None and col("flow_direction") is not None:
            eni_node = self._map_strings(col("interface_id"), n, lambda v: self._eni_node.get(v, _NONE))
            direction = col("flow_direction")
            egress = pc.fill_null(pc.equal(direction, "egress"), False).to_numpy(zero_copy_only=False)
            ingress = pc.fill_null(pc.equal(direction, "ingress"), False).to_numpy(zero_copy_only=False)
            m = (src_node == _NONE) & egress & (eni_node != _NONE)
            src_node[m] = eni_node[m]
            m = (dst_node == _NONE) & ingress & (eni_node != _NONE)
            dst_node[m] = eni_node[m]
        # ECS: the record names the service of the task whose ENI captured it (the local side)
        if col("ecs_service_name") is not None and col("flow_direction") is not None:
            ecs = self._map_strings(col("ecs_service_name"), n,
                                    lambda v: self._node(service_name(v), "service") if v.strip() else _NONE)
            direction = col("flow_direction")
            egress = pc.fill_null(pc.equal(direction, "egress"), False).to_numpy(zero_copy_only=False)
            ingress = pc.fill_null(pc.equal(direction, "ingress"), False).to_numpy(zero_copy_only=False)
            m_src = (src_node == _NONE) & egress & (ecs != _NONE)
            m_dst = (dst_node == _NONE) & ingress & (ecs != _NONE)
            src_node[m_src] = ecs[m_src]
            dst_node[m_dst] = ecs[m_dst]
            self.capture_identity_records += int(m_src.sum() + m_dst.sum())
        src_node = np.where(src_node == _NONE, src_fb, src_node)
        dst_node = np.where(dst_node == _NONE, dst_fb, dst_node)

        nbytes = ints("bytes")
        kinds = np.array(self._node_kind, dtype=np.int64)
        rec_class = np.maximum(kinds[src_node], kinds[dst_node])
        rc = np.bincount(rec_class, minlength=4)
        rb = np.bincount(rec_class, weights=nbytes, minlength=4)
        for k, name in enumerate(KIND_NAMES):
            self.stats[name]["records"] += int(rc[k])
            self.stats[name]["bytes"] += int(rb[k])
        for code, limit in ((3, 10), (2, 5)):  # unknown private addresses, then internet peers
            if rc[code] and self._example_counts.get(code, 0) < limit:
                self._examples(batch, code, limit, rec_class, src_node, dst_node, src_raw, dst_raw, src_addr, dst_addr)
        pairs = np.unique(np.concatenate([src_node * (1 << 32) + src_addr, dst_node * (1 << 32) + dst_addr]))
        self._node_addrs.update(pairs.tolist())

        action = col("action")
        accept = pc.fill_null(pc.equal(action, "ACCEPT"), False) if action is not None else pa.array(np.ones(n, bool))
        end = normalize_epoch(ints("end"))
        file_id, line, seq = prov
        if as_names:
            if self._file_array is None or len(self._file_array) != len(self._file_ids):
                self._file_array = pa.array(list(self._file_ids), type=pa.string())
            prov_cols = [self._file_array.take(pa.array(file_id)), pa.array(line), pa.array(seq)]
            return self._named(batch, col, ints, src_node, dst_node, src_raw, dst_raw, nbytes, start, end,
                               accept, rec_class, prov_cols)
        eni = self._map_strings(col("interface_id"), n, lambda v: self._eni_ids.setdefault(v, len(self._eni_ids)))
        return pa.record_batch([
            pa.array(src_node.astype(np.int32)), pa.array(dst_node.astype(np.int32)),
            pa.array(src_addr.astype(np.int32)), pa.array(dst_addr.astype(np.int32)),
            pa.array(ints("srcport", np.int32)), pa.array(ints("dstport", np.int32)),
            pa.array(ints("protocol", np.int32)), pa.array(ints("packets")), pa.array(nbytes),
            pa.array(start), pa.array(np.maximum(end, start)), accept,
            pa.array(ints("tcp_flags", np.int32)), pa.array(eni.astype(np.int32)),
            pa.array(file_id), pa.array(line), pa.array(seq),
        ], schema=RESOLVED_SCHEMA)

    def _provenance(self, batch: pa.RecordBatch, names: set[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(file id, line, position among the file's valid records) of every record of ``batch``.

        File ids follow the order in which files are met (reading order); a batch
        without ``_file`` counts as one file named ``None``, without ``_line`` as line 0.
        Work is per distinct file of the batch (one, from the readers), never per record.
        """
        n = batch.num_rows
        files = batch.column("_file") if "_file" in names else None
        if files is None or files.null_count == n:
            codes = np.full(n, self._file_id(None), dtype=np.int32)
        else:
            enc = files if pa.types.is_dictionary(files.type) else pc.dictionary_encode(files)
            if isinstance(enc, pa.ChunkedArray):
                enc = enc.combine_chunks()
            lut = np.array([self._file_id(v) for v in enc.dictionary.to_pylist()] + [self._file_id(None)],
                           dtype=np.int32)
            codes = lut[enc.indices.fill_null(len(lut) - 1).to_numpy(zero_copy_only=False)]
        seq = np.empty(n, dtype=np.int64)
        distinct = np.unique(codes).tolist()
        for code in distinct:
            rows = np.flatnonzero(codes == code) if len(distinct) > 1 else None
            count = n if rows is None else len(rows)
            ids = np.arange(self._file_records[code], self._file_records[code] + count, dtype=np.int64)
            if rows is None:
                seq[:] = ids
            else:
                seq[rows] = ids
            self._file_records[code] += count
        lines = batch.column("_line") if "_line" in names else None
        line = (np.zeros(n, dtype=np.int64) if lines is None
                else lines.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64, copy=False))
        return codes, line, seq

    def _file_id(self, name: str | None) -> int:
        fid = self._file_ids.get(name)
        if fid is None:
            fid = self._file_ids[name] = len(self._file_ids)
            self._file_records.append(0)
        return fid

    def _named(self, batch, col, ints, src_node, dst_node, src_raw, dst_raw, nbytes, start, end,
               accept, rec_class, prov_cols) -> pa.RecordBatch:
        """The :data:`RESOLVED_NAMES_SCHEMA` form of a resolved batch."""
        n = batch.num_rows
        if getattr(self, "_name_array", None) is None or len(self._name_array) != len(self._node_ids):
            self._name_array = pa.array(list(self._node_ids), type=pa.string())
        eni = col("interface_id")
        eni = pa.nulls(n, pa.string()) if eni is None else eni.cast(pa.string())
        return pa.record_batch([
            self._name_array.take(pa.array(src_node.astype(np.int32))),
            self._name_array.take(pa.array(dst_node.astype(np.int32))),
            src_raw.cast(pa.string()), dst_raw.cast(pa.string()),
            pa.array(ints("srcport", np.int32)), pa.array(ints("dstport", np.int32)),
            pa.array(ints("protocol", np.int32)), pa.array(ints("packets")), pa.array(nbytes),
            pa.array(start), pa.array(np.maximum(end, start)), accept,
            pa.array(ints("tcp_flags", np.int32)), eni, *prov_cols, pa.array(rec_class.astype(np.int8)),
        ], schema=RESOLVED_NAMES_SCHEMA)

    def _examples(self, batch, code, limit, rec_class, src_node, dst_node, src_raw, dst_raw, src_addr, dst_addr) -> None:
        """Keep up to ``limit`` examples of distinct unmapped addresses of class ``code``, with file and line."""
        kinds = np.array(self._node_kind, dtype=np.int64)
        rows = np.flatnonzero(rec_class == code)
        src_side = kinds[src_node[rows]] == code
        addr = np.where(src_side, src_addr[rows], dst_addr[rows])
        _, first = np.unique(addr, return_index=True)
        files = batch.column("_file") if "_file" in batch.schema.names else None
        lines = batch.column("_line") if "_line" in batch.schema.names else None
        for j in np.sort(first).tolist():
            if self._example_counts.get(code, 0) >= limit:
                break
            i, on_src = int(rows[j]), bool(src_side[j])
            if int(addr[j]) in self._example_addrs:
                continue
            self._example_addrs.add(int(addr[j]))
            self._example_counts[code] = self._example_counts.get(code, 0) + 1
            self.unmapped_examples.append({
                "address": (src_raw if on_src else dst_raw)[i].as_py(), "class": KIND_NAMES[code],
                "node": self.node_name(int(src_node[i] if on_src else dst_node[i])),
                "file": str(files[i].as_py()) if files is not None else None,
                "line": int(lines[i].as_py()) if lines is not None and lines[i].as_py() is not None else None,
            })

    # -- results --------------------------------------------------------------------
    def node_table(self, used: set[int] | None = None) -> pd.DataFrame:
        """Node table (index ``service``) with kind, domain, account and address count."""
        names = list(self._node_ids)
        counts = np.zeros(len(names), dtype=np.int64)
        if self._node_addrs:
            nodes = np.fromiter((p >> 32 for p in self._node_addrs), dtype=np.int64)
            counts = np.bincount(nodes, minlength=len(names))
        df = pd.DataFrame({
            "kind": [KIND_NAMES[k] for k in self._node_kind], "addresses": counts,
        }, index=pd.Index(names, name="service", dtype="string"))
        df["domain"] = pd.Series(pd.NA, index=df.index, dtype="string")
        df["account"] = pd.Series(pd.NA, index=df.index, dtype="string")
        if self.inventory is not None:
            meta = self.inventory.services.reindex(df.index)
            df["domain"] = meta["domain"].astype("string")
            df["account"] = meta["account"].astype("string")
        if used is not None:
            df = df.iloc[sorted(used)]
        return df

    def traffic_by_class(self) -> dict:
        """Records and bytes by the least-known class of their two endpoints."""
        total_r = sum(v["records"] for v in self.stats.values()) or 1
        total_b = sum(v["bytes"] for v in self.stats.values()) or 1
        return {k: {"records": v["records"], "bytes": v["bytes"],
                    "record_share": round(v["records"] / total_r, 6), "byte_share": round(v["bytes"] / total_b, 6)}
                for k, v in self.stats.items()}

    def quality(self) -> dict:
        """Resolution figures for the data-quality section."""
        return {
            "records_resolved": int(self.records_used),
            "records_without_address": int(self.records_no_address),
            "records_outside_window": int(self.records_outside_window),
            "traffic_by_class": self.traffic_by_class(),
            "unmapped_examples": list(self.unmapped_examples),
            "distinct_addresses": len(self._addr_ids),
            "inventory": self.inventory.to_dict() | {"problems": list(self.problems)} if self.inventory is not None else None,
        }


def load_ip_ranges(src: str | Path | dict) -> _PrefixTable:
    """The prefix table of an AWS ``ip-ranges.json`` (a path or the parsed document)."""
    data = src if isinstance(src, dict) else json.loads(Path(src).read_text(encoding="utf-8"))
    nets, names = [], []
    for p in data.get("prefixes", []):
        nets.append(ipaddress.ip_network(p["ip_prefix"], strict=False))
        names.append(p.get("service", "AMAZON"))
    for p in data.get("ipv6_prefixes", []):
        nets.append(ipaddress.ip_network(p["ipv6_prefix"], strict=False))
        names.append(p.get("service", "AMAZON"))
    return _PrefixTable(nets, names)
