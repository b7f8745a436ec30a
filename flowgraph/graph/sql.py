"""The aggregation from resolved records to connections and edges, as SQL text.

This is the single description of de-duplication, client/server direction and
edge aggregation.  The local engine runs it on DuckDB; the Spark engine runs
the very same text with ``spark.sql``.  It therefore sticks to the SQL both
dialects share (CTEs, ``CASE``, window frames, ``BIT_OR``, ``COUNT(DISTINCT)``,
no quoted identifiers, no engine-specific functions); the equivalence tests in
``tests/spark`` keep the two in step.

Input: a table ``resolved`` with the columns of
:data:`flowgraph.resolve.RESOLVED_SCHEMA` (integer-coded nodes, addresses,
ports, counters, epoch-second times, ``accept`` and ``flags``).

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

__all__ = ["connections_sql", "EDGES_SQL", "DIRECTION_SQL", "REJECTED_SQL", "EPHEMERAL_MIN"]

EPHEMERAL_MIN = 32768

_KEY = "a_addr, a_port, b_addr, b_port, proto"


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
         proto, fwd, packets, bytes, t_start, t_end, accept, flags, eni
  FROM keyed
),
prev AS (
  SELECT *, MAX(t_end) OVER (PARTITION BY {_KEY} ORDER BY t_start
                             RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
  FROM k2
),
sess AS (
  SELECT *, SUM(CASE WHEN prev_end IS NULL OR t_start > prev_end + {gap} THEN 1 ELSE 0 END)
            OVER (PARTITION BY {_KEY} ORDER BY t_start
                  RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS conn_seq
  FROM prev
),
per_eni AS (
  SELECT {_KEY}, conn_seq, eni, fwd,
         CAST(SUM(packets) AS BIGINT) AS packets, CAST(SUM(bytes) AS BIGINT) AS bytes, BIT_OR(flags) AS flags,
         MIN(t_start) AS t_start, MAX(t_end) AS t_end,
         MAX(CASE WHEN accept THEN 1 ELSE 0 END) AS accepted,
         MIN(a_node) AS a_node, MIN(b_node) AS b_node
  FROM sess
  GROUP BY {_KEY}, conn_seq, eni, fwd
),
conn AS (
  SELECT {_KEY}, conn_seq,
         MIN(a_node) AS a_node, MIN(b_node) AS b_node,
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
flagged AS (
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
)
SELECT CASE WHEN client_side = 'a' THEN a_node ELSE b_node END AS client,
       CASE WHEN client_side = 'a' THEN b_node ELSE a_node END AS server,
       CASE WHEN client_side = 'a' THEN b_port ELSE a_port END AS server_port,
       proto AS protocol, packets, bytes, t_start, t_end, accepted, method
FROM decided
"""


EDGES_SQL = """
SELECT client, server, server_port, protocol,
       COUNT(*) AS connections, CAST(SUM(packets) AS BIGINT) AS packets, CAST(SUM(bytes) AS BIGINT) AS bytes,
       MIN(t_start) AS first_seen, MAX(t_end) AS last_seen,
       COUNT(DISTINCT CAST(FLOOR(t_start / 3600.0) AS BIGINT)) AS hours_seen,
       COUNT(DISTINCT CAST(FLOOR(t_start / 86400.0) AS BIGINT)) AS days_seen,
       CAST(SUM(CASE WHEN method = 'tcp_flags' THEN 1 ELSE 0 END) AS BIGINT) AS by_flags,
       CAST(SUM(CASE WHEN method = 'listening_port' THEN 1 ELSE 0 END) AS BIGINT) AS by_listening_port,
       CAST(SUM(CASE WHEN method = 'port' THEN 1 ELSE 0 END) AS BIGINT) AS by_port,
       CAST(SUM(CASE WHEN method = 'unresolved' THEN 1 ELSE 0 END) AS BIGINT) AS unresolved
FROM connections
WHERE accepted = 1
GROUP BY client, server, server_port, protocol
"""
"""One row per (client, server, server port, protocol) of accepted connections."""

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
