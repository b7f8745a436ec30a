"""The weighted service graph: who talks to whom, on which port, how much.

A :class:`ServiceGraph` wraps the *edge table* built from flow logs (one row
per client service, server service, server port and protocol) and the *node
table* (one row per service with its domain, account, address count and
class).  It offers the directed graph, an undirected projection for community
detection with a choice of weights, and GraphML / node-link JSON export.

Why ``binary`` is the default weight
------------------------------------
A segmentation rule is needed for a service pair whether it carries one
connection or a million, so the unit that matters for "how many exceptions"
is the talking pair.  Volume weights that carry no information about the
domains also make communities harder to find: on planted estates with 25 %
cross-domain calls and heavy-tailed volumes, Louvain recovered the domains with
NMI 0.85–0.90 on binary edges and 0.64–0.70 on connection counts
(``tests/graph/test_weighting.py``; see ``docs/graph.md``).  ``connections``, ``log_bytes``
and ``bytes`` remain available as sensitivity checks.

Examples
--------
>>> import pandas as pd
>>> edges = pd.DataFrame({
...     "client": ["web", "web", "api"], "server": ["api", "db", "db"],
...     "server_port": [8080, 5432, 5432], "protocol": [6, 6, 6],
...     "connections": [10, 1, 100], "packets": [100, 10, 1000],
...     "bytes": [10_000, 1_000, 99_999], "first_seen": [0, 0, 0],
...     "last_seen": [60, 60, 60], "hours_seen": [1, 1, 1], "days_seen": [1, 1, 1]})
>>> g = ServiceGraph(edges)
>>> sorted(g.services)
['api', 'db', 'web']
>>> u = g.undirected("binary")
>>> u["web"]["db"]["weight"], u.number_of_edges()
(1.0, 3)
>>> g.undirected("connections")["api"]["db"]["weight"]
100.0
>>> g.drop(["db"]).undirected().number_of_edges()
1
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import networkx as nx
import numpy as np
import pandas as pd

__all__ = [
    "ServiceGraph",
    "EDGE_COLUMNS",
    "NODE_COLUMNS",
    "NODE_KINDS",
    "SAMPLE_COLUMNS",
    "WEIGHTS",
    "Weight",
    "node_kind",
]

EDGE_COLUMNS: dict[str, str] = {
    "client": "string",          # client service (initiates the connection)
    "server": "string",          # server service (accepts it)
    "server_port": "Int64",      # destination port on the server side
    "protocol": "Int64",         # IANA protocol number (6 TCP, 17 UDP, 1 ICMP)
    "connections": "Int64",      # de-duplicated connections
    "packets": "Int64",          # packets in both directions, counted once
    "bytes": "Int64",            # bytes in both directions, counted once
    "first_seen": "Int64",       # earliest record start (epoch seconds)
    "last_seen": "Int64",        # latest record end (epoch seconds)
    "hours_seen": "Int64",       # distinct UTC hours with at least one connection
    "days_seen": "Int64",        # distinct UTC days with at least one connection
}
"""Required edge-table columns and their pandas dtypes.  Extra columns
(for example the direction-method counts ``by_flags``, ``by_port``,
``unresolved``) are kept."""

SAMPLE_COLUMNS: dict[str, str] = {
    "client": "string", "server": "string", "server_port": "Int64", "protocol": "Int64",  # the edge
    "sample": "Int64",       # 1 = the edge's earliest connection, 2 = the next, ...
    "start": "Int64",        # the record's start (epoch seconds)
    "src_addr": "string",    # source address as logged (pkt-srcaddr when present)
    "src_port": "Int64",
    "dst_addr": "string",    # destination address as logged (pkt-dstaddr when present)
    "dst_port": "Int64",
    "packets": "Int64",      # the record's own counters (one direction, one interface)
    "bytes": "Int64",
    "interface": "string",   # interface-id of the capturing interface (NA if not logged)
    "file": "string",        # file the record was read from (path or URI, as the reader names it)
    "line": "Int64",         # 1-based line in the decompressed file (Parquet: row); 0 if unknown
}
"""Columns of :attr:`ServiceGraph.samples`: the first record of each edge's earliest
connections, the evidence behind the aggregated row (see :mod:`flowgraph.graph.sql`)."""

NODE_COLUMNS: dict[str, str] = {
    "kind": "string",       # one of NODE_KINDS
    "domain": "string",     # declared domain / team from the inventory (NA if unknown)
    "account": "string",    # AWS account (NA if unknown)
    "addresses": "Int64",   # distinct addresses seen for the node
}
NODE_KINDS = ("service", "internet", "aws-service", "unknown")
WEIGHTS = ("binary", "connections", "log_bytes", "bytes")
Weight = Literal["binary", "connections", "log_bytes", "bytes"]


def node_kind(name: str) -> str:
    """Class of a node from its name: ``internet``, ``aws-service``, ``unknown`` or ``service``.

    >>> node_kind("aws:S3"), node_kind("unknown:10.1.2.0/24"), node_kind("web")
    ('aws-service', 'unknown', 'service')
    """
    if name == "internet" or name.startswith("internet:"):
        return "internet"
    if name.startswith("aws:"):
        return "aws-service"
    if name.startswith("unknown:"):
        return "unknown"
    return "service"


class ServiceGraph:
    """Directed, weighted service graph built from an edge table.

    Parameters
    ----------
    edges : pandas.DataFrame
        One row per (client, server, server_port, protocol) with at least the
        columns of :data:`EDGE_COLUMNS`.
    nodes : pandas.DataFrame, optional
        Indexed by service name, columns of :data:`NODE_COLUMNS`.  Services
        that appear in ``edges`` but not here get a row with ``kind`` derived
        from the name (``internet``, ``aws:...``, ``unknown:...``).
    rejected : pandas.DataFrame, optional
        REJECT traffic, kept apart: it shows segmentation that already exists.
    quality : dict, optional
        Data-quality figures from reading and resolution (read summary,
        unmapped traffic by class, unresolved direction share).
    samples : pandas.DataFrame, optional
        Sample records per edge (:data:`SAMPLE_COLUMNS`), kept apart from
        ``edges`` so the edge table and its exports do not change; empty when
        the graph was not built from flow logs (e.g. read back from GraphML).
    """

    def __init__(
        self,
        edges: pd.DataFrame,
        nodes: pd.DataFrame | None = None,
        *,
        rejected: pd.DataFrame | None = None,
        quality: dict | None = None,
        samples: pd.DataFrame | None = None,
    ) -> None:
        missing = [c for c in EDGE_COLUMNS if c not in edges.columns]
        if missing:
            raise ValueError(f"edge table lacks columns: {', '.join(missing)}")
        edges = edges.reset_index(drop=True).copy()
        for col, dtype in EDGE_COLUMNS.items():
            edges[col] = edges[col].astype(dtype)
        self.edges: pd.DataFrame = edges
        names = pd.unique(pd.concat([edges["client"], edges["server"]], ignore_index=True))
        if nodes is None:
            nodes = pd.DataFrame(index=pd.Index([], name="service", dtype="string"))
        nodes = nodes.copy()
        nodes.index = nodes.index.astype("string").rename("service")
        extra = [n for n in names if n not in nodes.index]
        if extra:
            nodes = pd.concat([nodes, pd.DataFrame(index=pd.Index(extra, name="service", dtype="string"))])
        for col, dtype in NODE_COLUMNS.items():
            if col not in nodes.columns:
                nodes[col] = pd.NA
            nodes[col] = nodes[col].astype(dtype)
        kinds = pd.Series([node_kind(str(n)) for n in nodes.index], index=nodes.index, dtype="string")
        nodes["kind"] = nodes["kind"].fillna(kinds)
        self.nodes: pd.DataFrame = nodes
        self.rejected = rejected
        self.quality: dict = dict(quality or {})
        if samples is None:
            samples = pd.DataFrame({c: pd.Series(dtype=t) for c, t in SAMPLE_COLUMNS.items()})
        missing = [c for c in SAMPLE_COLUMNS if c not in samples.columns]
        if missing:
            raise ValueError(f"sample table lacks columns: {', '.join(missing)}")
        self.samples: pd.DataFrame = samples[list(SAMPLE_COLUMNS)].astype(SAMPLE_COLUMNS).reset_index(drop=True)

    # -- views ---------------------------------------------------------------------------
    @property
    def services(self) -> list[str]:
        """Every node name (services, internet, AWS services, unknown ranges)."""
        return [str(n) for n in self.nodes.index]

    def pairs(self) -> pd.DataFrame:
        """Edge table aggregated to one row per directed (client, server) pair."""
        e = self.edges
        g = e.groupby(["client", "server"], sort=True, observed=True)
        out = g.agg(
            connections=("connections", "sum"), packets=("packets", "sum"), bytes=("bytes", "sum"),
            first_seen=("first_seen", "min"), last_seen=("last_seen", "max"),
            rules=("server_port", "size"),
        ).reset_index()
        return out

    def digraph(self) -> nx.DiGraph:
        """Directed graph, one edge per (client, server) pair with summed traffic."""
        g = nx.DiGraph()
        for name, row in self.nodes.iterrows():
            g.add_node(str(name), **_clean_attrs(row.to_dict()))
        p = self.pairs()
        ports = self.edges.groupby(["client", "server"], observed=True).apply(
            lambda d: ",".join(f"{int(a)}/{int(b)}" for a, b in sorted(zip(d["server_port"].fillna(0), d["protocol"].fillna(0)))),
            include_groups=False,
        )
        for row in p.itertuples(index=False):
            g.add_edge(
                row.client, row.server, connections=int(row.connections), packets=int(row.packets),
                bytes=int(row.bytes), first_seen=int(row.first_seen), last_seen=int(row.last_seen),
                ports=ports.get((row.client, row.server), ""),
            )
        return g

    def undirected(self, weight: Weight = "binary") -> nx.Graph:
        """Undirected projection for community detection.

        ``binary``: 1 per talking pair; ``connections``: connections in both
        directions; ``log_bytes``: ``log1p`` of bytes; ``bytes``: raw bytes.
        Self-loops (a service calling itself) are dropped: they never need a rule.
        """
        if weight not in WEIGHTS:
            raise ValueError(f"weight must be one of {', '.join(WEIGHTS)}, not {weight!r}")
        p = self.pairs()
        p = p[p["client"] != p["server"]]
        a = np.where(p["client"].to_numpy() < p["server"].to_numpy(), p["client"], p["server"])
        b = np.where(p["client"].to_numpy() < p["server"].to_numpy(), p["server"], p["client"])
        und = pd.DataFrame({"u": a, "v": b, "connections": p["connections"].to_numpy(dtype=float),
                            "bytes": p["bytes"].to_numpy(dtype=float)})
        und = und.groupby(["u", "v"], sort=True).sum().reset_index()
        if weight == "binary":
            w = np.ones(len(und))
        elif weight == "connections":
            w = und["connections"].to_numpy()
        elif weight == "log_bytes":
            w = np.log1p(und["bytes"].to_numpy())
        else:
            w = und["bytes"].to_numpy()
        g = nx.Graph()
        for name, row in self.nodes.iterrows():
            g.add_node(str(name), **_clean_attrs(row.to_dict()))
        g.add_weighted_edges_from(zip(und["u"].tolist(), und["v"].tolist(), w.astype(float).tolist()))
        return g

    def drop(self, services: Iterable[str]) -> ServiceGraph:
        """A new graph without ``services`` and their edges (e.g. the shared-services zone)."""
        gone = set(services)
        e = self.edges[~self.edges["client"].isin(gone) & ~self.edges["server"].isin(gone)]
        n = self.nodes[~self.nodes.index.isin(gone)]
        s = self.samples[~self.samples["client"].isin(gone) & ~self.samples["server"].isin(gone)]
        return ServiceGraph(e, n, rejected=self.rejected, quality=self.quality, samples=s)

    # -- export --------------------------------------------------------------------------
    def _multidigraph(self) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        for name, row in self.nodes.iterrows():
            g.add_node(str(name), **_clean_attrs(row.to_dict()))
        for rec in self.edges.to_dict("records"):
            attrs = _clean_attrs({k: v for k, v in rec.items() if k not in ("client", "server")})
            g.add_edge(rec["client"], rec["server"], **attrs)
        return g

    def to_graphml(self, path: str | Path) -> None:
        """Write GraphML: one node per service, one edge per edge-table row."""
        nx.write_graphml(self._multidigraph(), str(path))

    def to_json(self, path: str | Path | None = None) -> dict:
        """Node-link JSON (networkx format); written to ``path`` when given."""
        data = nx.node_link_data(self._multidigraph(), edges="edges")
        if path is not None:
            Path(path).write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
        return data

    @classmethod
    def _from_multidigraph(cls, g: nx.MultiDiGraph) -> ServiceGraph:
        rows = [{"client": u, "server": v, **d} for u, v, d in g.edges(data=True)]
        edges = pd.DataFrame(rows, columns=list(dict.fromkeys(["client", "server", *EDGE_COLUMNS, *(k for r in rows for k in r)])))
        nodes = pd.DataFrame.from_dict({n: d for n, d in g.nodes(data=True)}, orient="index")
        nodes.index.name = "service"
        return cls(edges, nodes if len(nodes.columns) else None)

    @classmethod
    def read_graphml(cls, path: str | Path) -> ServiceGraph:
        """Load a graph written by :meth:`to_graphml`."""
        g = nx.read_graphml(str(path), force_multigraph=True)
        return cls._from_multidigraph(nx.MultiDiGraph(g))

    @classmethod
    def read_json(cls, path_or_data: str | Path | dict) -> ServiceGraph:
        """Load a graph written by :meth:`to_json` (a path or the parsed dict)."""
        data = path_or_data if isinstance(path_or_data, dict) else json.loads(Path(path_or_data).read_text(encoding="utf-8"))
        g = nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")
        return cls._from_multidigraph(g)

    # -- display -------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (f"ServiceGraph({len(self.nodes)} nodes, {len(self.pairs())} talking pairs, "
                f"{len(self.edges)} (pair, port) edges)")

    def _repr_html_(self) -> str:
        kinds = self.nodes["kind"].value_counts()
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{int(v)}</td></tr>" for k, v in kinds.items())
        return (f"<div><strong>{html.escape(repr(self))}</strong>"
                f"<table><tr><th>node class</th><th>nodes</th></tr>{rows}</table></div>")


def _clean_attrs(d: dict) -> dict:
    """GraphML-safe attributes: drop NA, turn numpy scalars into Python ones."""
    out = {}
    for k, v in d.items():
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out
