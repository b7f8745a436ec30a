"""Helpers for the assessment tests: planted graphs turned into ServiceGraphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph.graph import ServiceGraph

PORTS = (443, 8080, 5432, 6379)


def node_name(node: object) -> str:
    return node if isinstance(node, str) else f"s{int(node):03d}"


def service_graph_from_nx(G: nx.Graph, *, seed: int = 0, block_attr: str = "block",
                          span_seconds: int = 86_400) -> ServiceGraph:
    """Turn an undirected graph into a ServiceGraph edge table.

    Each undirected edge becomes one directed (client → server) row with a
    random direction, port and connection count; the node attribute
    ``block`` becomes the declared ``domain`` (``d<block>``); a ``kind`` node
    attribute is passed through (default ``service``).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for a, b in G.edges():
        if rng.random() < 0.5:
            a, b = b, a
        conns = int(rng.integers(1, 1000))
        rows.append({"client": node_name(a), "server": node_name(b),
                     "server_port": int(rng.choice(PORTS)), "protocol": 6, "connections": conns,
                     "packets": conns * 10, "bytes": conns * 1_000, "first_seen": 0,
                     "last_seen": span_seconds, "hours_seen": 24, "days_seen": 1})
    domains, kinds = [], []
    for _, d in G.nodes(data=True):
        block = d.get(block_attr)
        domains.append(d.get("domain", None if block is None else f"d{block}"))
        kinds.append(d.get("kind", "service"))
    nodes = pd.DataFrame({"kind": kinds, "domain": domains},
                         index=pd.Index([node_name(n) for n in G.nodes()], name="service"))
    return ServiceGraph(pd.DataFrame(rows), nodes)


def planted_graph(mu: float, *, blocks: int = 6, size: int = 30, degree: float = 12.0,
                  seed: int = 1) -> nx.Graph:
    """Stochastic block model whose expected cross-block share of edges is ``mu``."""
    n = blocks * size
    p_in = degree * (1 - mu) / (size - 1)
    p_out = degree * mu / (n - size)
    probs = [[p_in if i == j else p_out for j in range(blocks)] for i in range(blocks)]
    return nx.stochastic_block_model([size] * blocks, probs, seed=seed)


def add_hubs(G: nx.Graph, count: int = 5, share: float = 0.8, seed: int = 0) -> nx.Graph:
    """Copy of ``G`` with ``count`` shared hubs, each linked to ``share`` of the nodes."""
    H = G.copy()
    rng = np.random.default_rng(seed)
    nodes = list(G.nodes())
    k = int(np.ceil(share * len(nodes)))
    for h in range(count):
        name = f"hub{h}"
        H.add_node(name, domain="platform")
        for i in rng.choice(len(nodes), size=k, replace=False):
            H.add_edge(name, nodes[int(i)])
    return H
