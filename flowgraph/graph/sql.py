"""The aggregation from resolved records to connections and edges, as SQL text.

This is the single description of de-duplication, client/server direction and
edge aggregation.  The local engine runs it on DuckDB; the Spark engine runs
the very same text with ``spark.sql``.  It therefore sticks to the SQL both
dialects share (CTEs, ``CASE``, window frames, ``BIT_OR``, ``COUNT(DISTINCT)``,
no quoted identifiers, no engine-specific functions); the equivalence tests in
``tests/spark`` keep the two in step.

Input: a table ``resolved`` with the columns of
:data:`flowgraph.resolve.RESOLVED_SCHEMA` (integer-coded nodes, addresses,
ports, counters, epoch-second times, ``accept``, ``flags``, ``eni`` and the
provenance ``file``, ``line``, ``seq``).

What one connection is
----------------------
Each connection appears up to four times in VPC flow logs: at the client ENI
and at the server ENI, each in both directions; long connections add records
per aggregation interval.  Records are keyed by the unordered 5-tuple
(address and port of both ends, protocol).  Within a key, records are ordered
by start time and a *new connection* begins when a record starts more than
``gap`` seconds after every earlier record of that key has ended (default
60 s, the capture lag AWS documents).  Packets and bytes of one direction are
taken from the interface that saw the most of it, so a connection logged at
both ENIs is counted once.

Who is the client
-----------------
1. ``tcp_flags`` (OR-ed over each direction): the side that sent SYN without
   ACK, or received SYN-ACK, is the client (``tcp_flags``);
2. an endpoint (address, port, protocol) that some other connection showed to
   be a TCP server by its handshake is the server (``listening_port``);
3. ports: an ephemeral port (32768–65535, covering Linux's 32768–60999 and
   IANA's 49152–65535) against a non-ephemeral one, then a well-known port
   (< 1024) against a higher one: the other side is the client (``port``);
4. otherwise ``unresolved``: the side that sent first is taken as client (ties:
   the higher port, then the node that sorts first), and the connection is
   counted in the unresolved share.

Sample records
--------------
Each connection also keeps its *first record* as logged (the evidence a
reviewer can look up): among the records that open the connection (they all
start in its first second), the one first in reading order — the smallest
``file * FILE_STRIDE + seq`` (file id in reading order, position of the record
in its file).  It is picked inside the same aggregation with ``MIN_BY`` (no
extra pass over the records) and carried as the ``s_*`` columns of
``connections``; :func:`samples_sql` then keeps the first few connections of
every edge (by start, then record key) with ``ROW_NUMBER``.  ``MIN_BY`` skips
rows whose *value* is null on DuckDB but not on Spark, so every ``MIN_BY``
argument is non-null on the local engine (ids and numbers; null interfaces
are ``-1`` there), and Spark's null interface is then the row's own.

Engine independence
-------------------
The result must not depend on how an engine codes nodes and addresses (the
local engine uses per-run integer ids, Spark uses names) nor on the order of
rows with equal sort keys.  Hence: the orientation of a key (``a``/``b``) only
labels the two ends, and every rule above is symmetric in them; no rule
compares two *addresses* by order; sessions are cut with ``RANGE`` frames over
``t_start``, so records that start in the same second always fall into the same
connection whatever order the engine gives to ties.  Where the records of one
connection name different nodes for one end (an address known only through an
ENI, a connection spanning an address-reuse boundary) ``MIN`` picks one; the
Spark engine gives the nodes the very ids the local engine gives them (see
:mod:`flowgraph.spark.tasks`), so both pick the same.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .windows import TimeWindows, choose_windows

__all__ = ["connections_sql", "samples_sql", "edges_sql", "windows_of", "SPAN_SQL", "EDGES_SQL",
           "DECIDE_SQL", "CONNECTIONS_SELECT_SQL", "DIRECTION_SQL", "REJECTED_SQL", "EPHEMERAL_MIN",
           "FILE_STRIDE", "SAMPLE_SQL_COLUMNS"]

EPHEMERAL_MIN = 32768
FILE_STRIDE = 1 << 36
"""Record key ``file * FILE_STRIDE + seq``: unique while a file holds fewer than 2^36 records."""

_KEY = "a_addr, a_port, b_addr, b_port, proto"


DECIDE_SQL = f"""flagged AS (
  SELECT *,
    CASE WHEN ((flags_ab & 18) = 2 OR (flags_ba & 18) = 18)
              AND NOT ((flags_ba & 18) = 2 OR (flags_ab & 18) = 18) THEN 'a'
         WHEN ((flags_ba & 18) = 2 OR (flags_ab & 18) = 18)
              AND NOT ((flags_ab & 18) = 2 OR (flags_ba & 18) = 18) THEN 'b'
         ELSE NULL END AS flag_client
  FROM conn
),
listening AS (
  SELECT DISTINCT CASE WHEN flag_client = 'a' THEN b_addr ELSE a_addr END AS addr,
                  CASE WHEN flag_client = 'a' THEN b_port ELSE a_port END AS port,
                  proto
  FROM flagged WHERE flag_client IS NOT NULL
),
undecided AS (
  SELECT f.*,
    CASE WHEN la.addr IS NOT NULL AND lb.addr IS NULL THEN 'b'
         WHEN lb.addr IS NOT NULL AND la.addr IS NULL THEN 'a'
         WHEN f.a_port >= {EPHEMERAL_MIN} AND f.b_port < {EPHEMERAL_MIN} THEN 'a'
         WHEN f.b_port >= {EPHEMERAL_MIN} AND f.a_port < {EPHEMERAL_MIN} THEN 'b'
         WHEN f.a_port < 1024 AND f.b_port >= 1024 THEN 'b'
         WHEN f.b_port < 1024 AND f.a_port >= 1024 THEN 'a'
         WHEN f.first_ba IS NULL THEN 'a'
         WHEN f.first_ab IS NULL THEN 'b'
         WHEN f.first_ab < f.first_ba THEN 'a'
         WHEN f.first_ba < f.first_ab THEN 'b'
         WHEN f.a_port > f.b_port THEN 'a'
         WHEN f.b_port > f.a_port THEN 'b'
         WHEN f.a_node <= f.b_node THEN 'a'
         ELSE 'b' END AS client_side,
    CASE WHEN (la.addr IS NOT NULL AND lb.addr IS NULL) OR (lb.addr IS NOT NULL AND la.addr IS NULL) THEN 'listening_port'
         WHEN (f.a_port >= {EPHEMERAL_MIN} AND f.b_port < {EPHEMERAL_MIN})
           OR (f.b_port >= {EPHEMERAL_MIN} AND f.a_port < {EPHEMERAL_MIN})
           OR (f.a_port < 1024 AND f.b_port >= 1024)
           OR (f.b_port < 1024 AND f.a_port >= 1024) THEN 'port'
         ELSE 'unresolved' END AS method
  FROM flagged f
  LEFT JOIN listening la ON la.addr = f.a_addr AND la.port = f.a_port AND la.proto = f.proto
  LEFT JOIN listening lb ON lb.addr = f.b_addr AND lb.port = f.b_port AND lb.proto = f.proto
  WHERE f.flag_client IS NULL
),
decided AS (
  SELECT *, flag_client AS client_side, 'tcp_flags' AS method FROM flagged WHERE flag_client IS NOT NULL
  UNION ALL
  SELECT * FROM undecided
)"""
"""The direction rules as CTEs ``flagged``, ``listening``, ``undecided``, ``decided``, reading ``conn``
(one row per connection); shared by :func:`connections_sql` and the local engine's sorted path."""

CONNECTIONS_SELECT_SQL = """SELECT CASE WHEN client_side = 'a' THEN a_node ELSE b_node END AS client,
       CASE WHEN client_side = 'a' THEN b_node ELSE a_node END AS server,
       CASE WHEN client_side = 'a' THEN b_port ELSE a_port END AS server_port,
       proto AS protocol, packets, bytes, t_start, t_end, accepted, method,
       s_rec, s_src_addr, s_src_port, s_dst_addr, s_dst_port, s_packets, s_bytes, s_eni, s_file, s_line
FROM decided
"""
"""The ``connections`` columns, from :data:`DECIDE_SQL`'s ``decided`` (the local sorted path shares it)."""


def connections_sql(gap: int = 60) -> str:
    """SQL producing one row per de-duplicated, oriented connection from ``resolved``."""
    gap = int(gap)
    if gap < 0:
        raise ValueError("gap must be >= 0 seconds")
    return f"""
WITH keyed AS (
  SELECT CASE WHEN src_addr < dst_addr OR (src_addr = dst_addr AND sport <= dport)
              THEN TRUE ELSE FALSE END AS fwd, *
  FROM resolved
),
k2 AS (
  SELECT CASE WHEN fwd THEN src_addr ELSE dst_addr END AS a_addr,
         CASE WHEN fwd THEN sport ELSE dport END AS a_port,
         CASE WHEN fwd THEN dst_addr ELSE src_addr END AS b_addr,
         CASE WHEN fwd THEN dport ELSE sport END AS b_port,
         CASE WHEN fwd THEN src_node ELSE dst_node END AS a_node,
         CASE WHEN fwd THEN dst_node ELSE src_node END AS b_node,
         proto, fwd, packets, bytes, t_start, t_end, accept, flags, eni, file, line, seq
  FROM keyed
),
prev AS (
  SELECT *, MAX(t_end) OVER (PARTITION BY {_KEY} ORDER BY t_start
                             RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
  FROM k2
),
opening AS (
  SELECT *, CASE WHEN prev_end IS NULL OR t_start > prev_end + {gap} THEN 1 ELSE 0 END AS opens
  FROM prev
),
sess AS (
  SELECT *, SUM(opens) OVER (PARTITION BY {_KEY} ORDER BY t_start
                             RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS conn_seq,
         CASE WHEN opens = 1 THEN CAST(file AS BIGINT) * {FILE_STRIDE} + seq ELSE NULL END AS first_rec
  FROM opening
),
per_eni AS (
  SELECT {_KEY}, conn_seq, eni, fwd,
         CAST(SUM(packets) AS BIGINT) AS packets, CAST(SUM(bytes) AS BIGINT) AS bytes, BIT_OR(flags) AS flags,
         MIN(t_start) AS t_start, MAX(t_end) AS t_end,
         MAX(CASE WHEN accept THEN 1 ELSE 0 END) AS accepted,
         MIN(a_node) AS a_node, MIN(b_node) AS b_node,
         MIN(first_rec) AS s_rec, MIN_BY(packets, first_rec) AS s_packets, MIN_BY(bytes, first_rec) AS s_bytes,
         MIN_BY(file, first_rec) AS s_file, MIN_BY(line, first_rec) AS s_line
  FROM sess
  GROUP BY {_KEY}, conn_seq, eni, fwd
),
conn AS (
  SELECT {_KEY}, conn_seq,
         MIN(a_node) AS a_node, MIN(b_node) AS b_node,
         MIN(s_rec) AS s_rec,
         MIN_BY(CASE WHEN fwd THEN a_addr ELSE b_addr END, s_rec) AS s_src_addr,
         MIN_BY(CASE WHEN fwd THEN a_port ELSE b_port END, s_rec) AS s_src_port,
         MIN_BY(CASE WHEN fwd THEN b_addr ELSE a_addr END, s_rec) AS s_dst_addr,
         MIN_BY(CASE WHEN fwd THEN b_port ELSE a_port END, s_rec) AS s_dst_port,
         MIN_BY(s_packets, s_rec) AS s_packets, MIN_BY(s_bytes, s_rec) AS s_bytes,
         MIN_BY(eni, s_rec) AS s_eni, MIN_BY(s_file, s_rec) AS s_file, MIN_BY(s_line, s_rec) AS s_line,
         MAX(CASE WHEN fwd THEN packets ELSE 0 END) + MAX(CASE WHEN fwd THEN 0 ELSE packets END) AS packets,
         MAX(CASE WHEN fwd THEN bytes ELSE 0 END) + MAX(CASE WHEN fwd THEN 0 ELSE bytes END) AS bytes,
         BIT_OR(CASE WHEN fwd THEN flags ELSE 0 END) AS flags_ab,
         BIT_OR(CASE WHEN fwd THEN 0 ELSE flags END) AS flags_ba,
         MIN(CASE WHEN fwd THEN t_start ELSE NULL END) AS first_ab,
         MIN(CASE WHEN fwd THEN NULL ELSE t_start END) AS first_ba,
         MIN(t_start) AS t_start, MAX(t_end) AS t_end, MAX(accepted) AS accepted
  FROM per_eni
  GROUP BY {_KEY}, conn_seq
),
{DECIDE_SQL}
{CONNECTIONS_SELECT_SQL}"""


SAMPLE_SQL_COLUMNS = ["client", "server", "server_port", "protocol", "sample", "start", "src_addr", "src_port",
                  "dst_addr", "dst_port", "packets", "bytes", "interface", "file", "line"]
"""Columns of :func:`samples_sql` (and of ``ServiceGraph.samples``)."""


def samples_sql(per_edge: int = 3) -> str:
    """SQL for the first ``per_edge`` sample records of every edge, from ``connections``.

    One row per sample: the edge key, ``sample`` (1 = earliest), and the
    connection's first record as logged — start (epoch seconds), source and
    destination address and port, packets, bytes, interface, file and line.
    Connections are taken by start time, ties by the record's position in the
    reading order (file, then record), so the choice is the same on every engine.
    """
    per_edge = int(per_edge)
    if per_edge < 1:
        raise ValueError("per_edge must be >= 1")
    return f"""
SELECT client, server, server_port, protocol, sample, t_start AS start,
       s_src_addr AS src_addr, s_src_port AS src_port, s_dst_addr AS dst_addr, s_dst_port AS dst_port,
       s_packets AS packets, s_bytes AS bytes, s_eni AS interface, s_file AS file, s_line AS line
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY client, server, server_port, protocol
                               ORDER BY t_start, s_rec) AS sample
  FROM connections
  WHERE accepted = 1
) AS ranked
WHERE sample <= {per_edge}
"""


SPAN_SQL = """
SELECT MIN(t_start) AS first_start, MAX(t_start) AS last_start
FROM connections
WHERE accepted = 1
"""
"""Earliest and latest start of accepted connections (to choose the time windows)."""


def edges_sql(windows: TimeWindows | None = None) -> str:
    """One row per (client, server, server port, protocol) of accepted connections.

    With ``windows``, a ``windows`` column holds the bit mask of the windows the edge
    had a connection start in (the sum of distinct powers of two: the same on DuckDB
    and Spark, which spell bit operations differently).

    >>> "windows" in edges_sql(TimeWindows(86400, 0, 7)), "windows" in edges_sql()
    (True, False)
    """
    window = ""
    if windows is not None:
        seconds, origin = int(windows.seconds), int(windows.origin)
        window = (f",\n       CAST(SUM(DISTINCT CAST(POW(2, CAST(FLOOR((t_start - {origin}) / {seconds}.0) AS BIGINT))"
                  f" AS BIGINT)) AS BIGINT) AS windows")
    return f"""
SELECT client, server, server_port, protocol,
       COUNT(*) AS connections, CAST(SUM(packets) AS BIGINT) AS packets, CAST(SUM(bytes) AS BIGINT) AS bytes,
       MIN(t_start) AS first_seen, MAX(t_end) AS last_seen,
       COUNT(DISTINCT CAST(FLOOR(t_start / 3600.0) AS BIGINT)) AS hours_seen,
       COUNT(DISTINCT CAST(FLOOR(t_start / 86400.0) AS BIGINT)) AS days_seen,
       CAST(SUM(CASE WHEN method = 'tcp_flags' THEN 1 ELSE 0 END) AS BIGINT) AS by_flags,
       CAST(SUM(CASE WHEN method = 'listening_port' THEN 1 ELSE 0 END) AS BIGINT) AS by_listening_port,
       CAST(SUM(CASE WHEN method = 'port' THEN 1 ELSE 0 END) AS BIGINT) AS by_port,
       CAST(SUM(CASE WHEN method = 'unresolved' THEN 1 ELSE 0 END) AS BIGINT) AS unresolved{window}
FROM connections
WHERE accepted = 1
GROUP BY client, server, server_port, protocol
"""


EDGES_SQL = edges_sql()
"""One row per (client, server, server port, protocol) of accepted connections (no windows)."""


def windows_of(first_start: Any, last_start: Any) -> TimeWindows | None:
    """The windows for a :data:`SPAN_SQL` row (``None`` when there is no accepted connection)."""
    if first_start is None or last_start is None or pd.isna(first_start) or pd.isna(last_start):
        return None
    return choose_windows(int(first_start), int(last_start))


DIRECTION_SQL = """
SELECT method, COUNT(*) AS connections, CAST(SUM(bytes) AS BIGINT) AS bytes
FROM connections
WHERE accepted = 1
GROUP BY method
"""
"""How the direction of accepted connections was decided."""

REJECTED_SQL = """
SELECT src_node AS source, dst_node AS destination, dport AS port, proto AS protocol,
       COUNT(*) AS records, CAST(SUM(packets) AS BIGINT) AS packets, CAST(SUM(bytes) AS BIGINT) AS bytes,
       MIN(t_start) AS first_seen, MAX(t_end) AS last_seen
FROM resolved
WHERE NOT accept
GROUP BY src_node, dst_node, dport, proto
"""
"""REJECT records, as logged (source -> destination port): segmentation already in force."""
