"""The local engine's sorted formulation of :func:`flowgraph.graph.sql.connections_sql`.

:mod:`flowgraph.graph.sql` is the specification (the Spark engine runs it as is,
and ``aggregate(..., method="sql")`` runs it on DuckDB); this module computes the
same connections with one sort per record instead of two window passes and two
wide aggregations, using what only the local engine has: integer-coded
addresses, nodes, interfaces and files, and no nulls in ``resolved``.
``tests/graph/test_fast_path.py`` checks that both give identical tables.

How it maps to the specification
--------------------------------
- Records are keyed and oriented exactly as in ``keyed``/``k2`` and sorted by
  (key, ``t_start``).  Records of a key that start in the same second (a *tie
  group*) always share a connection, because the specification's ``RANGE``
  frames treat them alike; so ``prev_end`` is the running maximum of ``t_end``
  over the earlier tie groups of the key, and a tie group opens a connection
  when it has none or starts more than ``gap`` seconds after it.  Every
  connection is then one contiguous run of the sorted records.
- ``per_eni`` / ``conn``: the direction's packets and bytes are the largest
  per-interface sum (a second sort by (connection, direction, interface));
  every other column is a plain minimum, maximum or OR over the run.
- Sample records: the specification carries every sample field through both
  aggregations with ``MIN_BY``; all of them are fields of one record, the
  connection's first record ``s_rec = file * FILE_STRIDE + seq`` (unique per
  record), which is simply gathered by position here.  The edges' samples are
  then picked by the specification's own :func:`~flowgraph.graph.sql.samples_sql`.
- The direction rules (:data:`~flowgraph.graph.sql.DECIDE_SQL`) are the
  specification's own text, run on DuckDB over the connection table.

Records are processed in *buckets* of whole keys (:func:`bucket_of`, symmetric
in the two ends), so the arrays in memory are bounded by the bucket size
whatever the input size (:func:`flowgraph.graph.aggregate.aggregate` spills the
buckets to Arrow files past ``bucket_rows`` records).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .sql import CONNECTIONS_SELECT_SQL, DECIDE_SQL, FILE_STRIDE

__all__ = ["connection_table", "bucket_of", "CONNECTIONS_FROM_CONN_SQL", "CONN_SCHEMA"]

def bucket_of(c: dict[str, np.ndarray], parts: int) -> np.ndarray:
    """Bucket ``0..parts-1`` of each record: a function of its unordered 5-tuple, so all the records
    of a key (both directions) share one bucket."""
    mix = ((c["src_addr"].astype(np.int64) + c["dst_addr"]) * 1_000_003 + c["sport"].astype(np.int64) + c["dport"]
           + c["proto"].astype(np.int64) * 7)
    return (mix % parts).astype(np.int32)


CONN_SCHEMA = pa.schema([
    ("a_addr", pa.int32()), ("a_port", pa.int32()), ("b_addr", pa.int32()), ("b_port", pa.int32()),
    ("proto", pa.int32()), ("a_node", pa.int32()), ("b_node", pa.int32()), ("s_rec", pa.int64()),
    ("packets", pa.int64()), ("bytes", pa.int64()), ("flags_ab", pa.int32()), ("flags_ba", pa.int32()),
    ("first_ab", pa.int64()), ("first_ba", pa.int64()), ("t_start", pa.int64()), ("t_end", pa.int64()),
    ("accepted", pa.int32()),
    ("s_src_addr", pa.int32()), ("s_src_port", pa.int32()), ("s_dst_addr", pa.int32()), ("s_dst_port", pa.int32()),
    ("s_packets", pa.int64()), ("s_bytes", pa.int64()), ("s_eni", pa.int32()), ("s_file", pa.int32()),
    ("s_line", pa.int64()),
])
"""The specification's ``conn`` CTE (without ``conn_seq``, a label never output)."""

CONNECTIONS_FROM_CONN_SQL = f"""
WITH {DECIDE_SQL}
{CONNECTIONS_SELECT_SQL}"""
"""The specification's ``connections`` from the table ``conn`` (:data:`CONN_SCHEMA`)."""

_I64_MAX = np.iinfo(np.int64).max


def _segment_running_max_exclusive(values: np.ndarray, seg: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Per element, the maximum of the earlier elements of its segment (undefined where ``first``)."""
    vmin = int(values.min())
    span = int(values.max()) - vmin + 1
    nseg = int(seg[-1]) + 1
    if nseg * span < 2**62:  # shift each segment above the previous one: one accumulate, no leaks
        shifted = (values - vmin) + seg.astype(np.int64) * span
        incl = np.maximum.accumulate(shifted) - seg.astype(np.int64) * span + vmin
    else:  # pragma: no cover - spans of centuries over millions of keys
        incl = values.copy()
        starts = np.flatnonzero(first)
        for lo, hi in zip(starts, [*starts[1:], len(values)]):
            incl[lo:hi] = np.maximum.accumulate(values[lo:hi])
    prev = np.empty_like(incl)
    prev[1:] = incl[:-1]
    prev[0] = 0
    return prev


def connection_table(c: dict[str, np.ndarray], gap: int) -> pa.Table:
    """The ``conn`` rows (:data:`CONN_SCHEMA`) of records ``c`` (:data:`~flowgraph.resolve.RESOLVED_SCHEMA`
    columns as NumPy arrays) that hold every record of their keys."""
    n = len(c["t_start"])
    if n == 0:
        return CONN_SCHEMA.empty_table()

    def oriented(c):
        src_addr, dst_addr, sport, dport = c["src_addr"], c["dst_addr"], c["sport"], c["dport"]
        fwd = (src_addr < dst_addr) | ((src_addr == dst_addr) & (sport <= dport))
        return (fwd, np.where(fwd, src_addr, dst_addr), np.where(fwd, sport, dport),
                np.where(fwd, dst_addr, src_addr), np.where(fwd, dport, sport))

    fwd, a_addr, a_port, b_addr, b_port = oriented(c)
    proto = c["proto"]
    if (min(int(a_port.min()), int(b_port.min()), int(proto.min()), int(a_addr.min()), int(b_addr.min())) >= 0
            and max(int(a_port.max()), int(b_port.max())) < 1 << 16 and int(proto.max()) < 1 << 8):
        # two packed integers instead of five sort keys (ids are int32, ports 16 bits, protocols 8)
        k1 = (a_addr.astype(np.int64) << 24) | (a_port.astype(np.int64) << 8) | proto.astype(np.int64)
        k2 = (b_addr.astype(np.int64) << 16) | b_port.astype(np.int64)
        order = np.lexsort((c["t_start"], k2, k1))
        del k1, k2
    else:
        order = np.lexsort((c["t_start"], proto, b_port, b_addr, a_port, a_addr))
    c = {k: v[order] for k, v in c.items()}
    fwd, a_addr, a_port, b_addr, b_port = oriented(c)
    del order
    proto, t_start, t_end = c["proto"], c["t_start"], c["t_end"]
    key_change = np.empty(n, bool)
    key_change[0] = True
    key_change[1:] = proto[1:] != proto[:-1]
    for col in (a_addr, a_port, b_addr, b_port):
        key_change[1:] |= col[1:] != col[:-1]
    # tie groups: (key, t_start)
    tie = key_change.copy()
    tie[1:] |= t_start[1:] != t_start[:-1]
    g_start = np.flatnonzero(tie)
    g_end = np.maximum.reduceat(t_end, g_start)
    g_first = key_change[g_start]
    g_key = np.cumsum(g_first) - 1
    prev_end = _segment_running_max_exclusive(g_end, g_key, g_first)
    g_ts = t_start[g_start]
    opens = g_first | (g_ts > prev_end + int(gap))
    # connections: contiguous runs of records starting at an opening tie group
    c_start = g_start[opens]
    n_conn = len(c_start)
    marks = np.zeros(n, np.int64)
    marks[c_start] = 1
    conn_of = np.cumsum(marks) - 1
    del marks
    conn_ts = t_start[c_start]

    out: dict[str, np.ndarray | pa.Array] = {}
    for name, arr in (("a_addr", a_addr), ("a_port", a_port), ("b_addr", b_addr), ("b_port", b_port),
                      ("proto", proto)):
        out[name] = arr[c_start]
    a_node = np.where(fwd, c["src_node"], c["dst_node"])
    b_node = np.where(fwd, c["dst_node"], c["src_node"])
    out["a_node"] = np.minimum.reduceat(a_node, c_start)
    out["b_node"] = np.minimum.reduceat(b_node, c_start)
    del a_node, b_node
    rec = c["file"].astype(np.int64) * FILE_STRIDE + c["seq"]
    rec = np.where(t_start == conn_ts[conn_of], rec, _I64_MAX)  # records of the opening tie group
    out["s_rec"] = np.minimum.reduceat(rec, c_start)
    # record keys are unique: exactly one record per connection holds its s_rec, in connection order
    first = np.flatnonzero(rec == out["s_rec"][conn_of])
    del rec
    for name, col in (("s_src_addr", "src_addr"), ("s_src_port", "sport"), ("s_dst_addr", "dst_addr"),
                      ("s_dst_port", "dport"), ("s_packets", "packets"), ("s_bytes", "bytes"), ("s_eni", "eni"),
                      ("s_file", "file"), ("s_line", "line")):
        out[name] = c[col][first]
    del first
    # per (connection, direction, interface) sums, then the largest interface per direction
    # (connection, direction, interface) as one sortable integer: interface ids are >= -1
    sub_key = (conn_of << 33) | (fwd.astype(np.int64) << 32) | (c["eni"].astype(np.int64) + 1)
    sub = np.argsort(sub_key, kind="stable")
    sub_key = sub_key[sub]
    pe_start = np.flatnonzero(np.r_[True, sub_key[1:] != sub_key[:-1]])
    pe_conn = sub_key[pe_start] >> 33
    pe_fwd = ((sub_key[pe_start] >> 32) & 1).astype(bool)
    pe_conn_start = np.flatnonzero(np.r_[True, pe_conn[1:] != pe_conn[:-1]])
    del sub_key, pe_conn
    for name in ("packets", "bytes"):
        sums = np.add.reduceat(c[name][sub], pe_start)
        out[name] = (np.maximum.reduceat(np.where(pe_fwd, sums, 0), pe_conn_start)
                     + np.maximum.reduceat(np.where(pe_fwd, 0, sums), pe_conn_start))
    del sub
    flags = c["flags"]
    out["flags_ab"] = np.bitwise_or.reduceat(np.where(fwd, flags, 0), c_start)
    out["flags_ba"] = np.bitwise_or.reduceat(np.where(fwd, 0, flags), c_start)
    del flags
    for name, side in (("first_ab", fwd), ("first_ba", ~fwd)):
        first = np.minimum.reduceat(np.where(side, t_start, _I64_MAX), c_start)
        out[name] = pa.array(first, mask=first == _I64_MAX)
    out["t_start"] = conn_ts
    out["t_end"] = np.maximum.reduceat(t_end, c_start)
    out["accepted"] = np.maximum.reduceat(c["accept"].astype(np.int32), c_start)
    assert len(out["t_end"]) == n_conn
    return pa.table({f.name: pa.array(out[f.name]).cast(f.type) for f in CONN_SCHEMA}, schema=CONN_SCHEMA)
