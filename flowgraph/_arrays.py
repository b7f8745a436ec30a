"""Index-based edge arrays of an undirected graph (internal).

Every repeated computation (many seeds, many rewired graphs, per-node
metrics) works on these arrays instead of on networkx objects: building a
networkx graph of 10,000 nodes costs more than the numpy work on it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from numbers import Real
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

__all__: list[str] = []  # internal module


def node_sort_key(node: Hashable) -> tuple[int, float, str]:
    """Deterministic order over mixed node names: numbers first (numeric order), then text."""
    if isinstance(node, Real) and not isinstance(node, bool):
        return (0, float(node), "")
    return (1, 0.0, str(node))


class GraphArrays:
    """Nodes plus edge arrays ``u``, ``v`` (node positions) and weights ``w``.

    Self-loops are kept (networkx conventions: a self-loop adds ``2 w`` to the
    node's strength and ``w`` to its community's internal weight).
    """

    def __init__(self, nodes: Sequence[Hashable], u: np.ndarray, v: np.ndarray,
                 w: np.ndarray | None = None) -> None:
        self.nodes: list[Hashable] = list(nodes)
        self.u = np.asarray(u, dtype=np.int64)
        self.v = np.asarray(v, dtype=np.int64)
        self.w = np.ones(len(self.u)) if w is None else np.asarray(w, dtype=np.float64)
        self.windows: np.ndarray | None = None  # per edge: uint64 bit mask of the time windows it was seen in
        self._cache: dict[str, Any] = {}

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_networkx(cls, G: nx.Graph, weight: str | None = "weight") -> GraphArrays:
        if G.is_directed():
            raise TypeError("community detection needs an undirected graph (use ServiceGraph.undirected())")
        nodes = list(G.nodes())
        index = {n: i for i, n in enumerate(nodes)}
        m = G.number_of_edges()
        u = np.empty(m, dtype=np.int64)
        v = np.empty(m, dtype=np.int64)
        w = np.ones(m)
        for k, (a, b, d) in enumerate(G.edges(data=True)):
            u[k] = index[a]
            v[k] = index[b]
            if weight is not None:
                w[k] = float(d.get(weight, 1.0))
        return cls(nodes, u, v, w)

    def subgraph(self, keep: Iterable[Hashable]) -> GraphArrays:
        """Induced subgraph on ``keep`` (node order of ``self`` preserved)."""
        keep_set = set(keep)
        mask = np.fromiter((n in keep_set for n in self.nodes), dtype=bool, count=self.n)
        new_pos = np.full(self.n, -1, dtype=np.int64)
        new_pos[mask] = np.arange(int(mask.sum()))
        emask = mask[self.u] & mask[self.v]
        nodes = [n for n, k in zip(self.nodes, mask, strict=True) if k]
        out = GraphArrays(nodes, new_pos[self.u[emask]], new_pos[self.v[emask]], self.w[emask])
        if self.windows is not None:
            out.windows = self.windows[emask]
        return out

    def with_edges(self, u: np.ndarray, v: np.ndarray, w: np.ndarray | None = None) -> GraphArrays:
        """Same nodes, new edges (used for rewired copies); node-only caches are shared.

        When ``u`` and ``v`` are this graph's own arrays (new weights on the
        same topology, as in the bootstrap), a cached igraph graph is copied
        and only its weights are replaced instead of being built again.
        """
        out = GraphArrays(self.nodes, u, v, self.w if w is None else w)
        if u is self.u and v is self.v:
            out.windows = self.windows
        for key in ("index", "rank"):
            if key in self._cache:
                out._cache[key] = self._cache[key]
        if u is self.u and v is self.v and "ig" in self._cache:
            g = self._cache["ig"].copy()
            g.es["weight"] = out.w.tolist()
            out._cache["ig"] = g
        return out

    def __getstate__(self) -> dict:
        return {"nodes": self.nodes, "u": self.u, "v": self.v, "w": self.w, "windows": self.windows}

    def __setstate__(self, state: dict) -> None:
        self.nodes, self.u, self.v, self.w = state["nodes"], state["u"], state["v"], state["w"]
        self.windows = state.get("windows")
        self._cache = {}

    # -- sizes -----------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.nodes)

    @property
    def m(self) -> int:
        return len(self.u)

    @property
    def total_weight(self) -> float:
        return float(self.w.sum())

    @property
    def index(self) -> dict[Hashable, int]:
        if "index" not in self._cache:
            self._cache["index"] = {n: i for i, n in enumerate(self.nodes)}
        return self._cache["index"]

    @property
    def rank(self) -> np.ndarray:
        """Position of every node in the deterministic name order."""
        if "rank" not in self._cache:
            order = sorted(range(self.n), key=lambda i: node_sort_key(self.nodes[i]))
            rank = np.empty(self.n, dtype=np.int64)
            rank[np.asarray(order, dtype=np.int64)] = np.arange(self.n)
            self._cache["rank"] = rank
        return self._cache["rank"]

    def degree(self) -> np.ndarray:
        """Number of incident edges (self-loop counts twice, as in networkx)."""
        return (np.bincount(self.u, minlength=self.n) + np.bincount(self.v, minlength=self.n)).astype(np.int64)

    def strength(self, w: np.ndarray | None = None) -> np.ndarray:
        w = self.w if w is None else w
        return np.bincount(self.u, weights=w, minlength=self.n) + np.bincount(self.v, weights=w, minlength=self.n)

    # -- conversions (cached) --------------------------------------------------------------
    def to_networkx(self) -> nx.Graph:
        """Integer-labelled networkx graph (node i is ``self.nodes[i]``)."""
        if "nx" not in self._cache:
            g = nx.Graph()
            g.add_nodes_from(range(self.n))
            g.add_weighted_edges_from(zip(self.u.tolist(), self.v.tolist(), self.w.tolist(), strict=True))
            self._cache["nx"] = g
        return self._cache["nx"]

    def to_igraph(self) -> Any:
        if "ig" not in self._cache:
            from flowgraph._optional import import_optional

            ig = import_optional("igraph", extra="leiden", purpose="igraph community detection")
            g = ig.Graph(n=self.n, edges=np.column_stack([self.u, self.v]).tolist())
            g.es["weight"] = self.w.tolist()
            self._cache["ig"] = g
        return self._cache["ig"]


# -- partition helpers on arrays -------------------------------------------------------------
def split_and_canonicalize(arrays: GraphArrays, raw: np.ndarray) -> tuple[np.ndarray, int]:
    """Split disconnected communities into connected components and renumber.

    Returns ``(labels, split_communities)``: ids ordered by size (largest
    first), ties broken by the smallest member in name order; the number of
    input communities that were not connected.
    """
    raw = np.asarray(raw, dtype=np.int64)
    n = arrays.n
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    inside = raw[arrays.u] == raw[arrays.v]
    adj = sparse.coo_matrix(
        (np.ones(int(inside.sum())), (arrays.u[inside], arrays.v[inside])), shape=(n, n)
    ).tocsr()
    _, comp = csgraph.connected_components(adj, directed=False)
    comp = comp.astype(np.int64)
    # communities that span more than one component
    pairs = np.unique(np.column_stack([raw, comp]), axis=0)
    _, pieces = np.unique(pairs[:, 0], return_counts=True)
    splits = int((pieces > 1).sum())
    n_comp = int(comp.max()) + 1
    size = np.bincount(comp, minlength=n_comp)
    first = np.full(n_comp, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, comp, arrays.rank)
    order = np.lexsort((first, -size))
    new_id = np.empty(n_comp, dtype=np.int64)
    new_id[order] = np.arange(n_comp)
    return new_id[comp], splits


def modularity_of(arrays: GraphArrays, labels: np.ndarray, resolution: float = 1.0,
                  w: np.ndarray | None = None) -> float:
    """Newman–Girvan modularity with resolution (networkx's formula); NaN without edges."""
    w = arrays.w if w is None else w
    m = float(w.sum())
    if arrays.m == 0 or m <= 0:
        return float("nan")
    k = int(labels.max()) + 1 if len(labels) else 0
    inside = labels[arrays.u] == labels[arrays.v]
    internal = np.bincount(labels[arrays.u[inside]], weights=w[inside], minlength=k)
    vol = np.bincount(labels, weights=arrays.strength(w), minlength=k)
    return float(internal.sum() / m - resolution * np.sum((vol / (2.0 * m)) ** 2))


def cross_ratio_of(arrays: GraphArrays, labels: np.ndarray, w: np.ndarray | None = None) -> float:
    """Share of edge weight whose ends lie in different communities (μ); NaN without edges."""
    w = arrays.w if w is None else w
    total = float(w.sum())
    if arrays.m == 0 or total <= 0:
        return float("nan")
    cross = labels[arrays.u] != labels[arrays.v]
    return float(w[cross].sum() / total)


def labels_from(arrays: GraphArrays, partition: Any) -> np.ndarray:
    """Integer labels (one per node of ``arrays``) from a mapping or a list of node sets."""
    if hasattr(partition, "keys") and hasattr(partition, "__getitem__"):
        mapping = partition
    else:
        mapping = {}
        for cid, members in enumerate(partition):
            for node in members:
                mapping[node] = cid
    missing = [n for n in arrays.nodes if n not in mapping]
    if missing:
        raise ValueError(f"partition does not cover {len(missing)} node(s), e.g. {missing[0]!r}")
    values = [mapping[n] for n in arrays.nodes]
    if values and all(isinstance(c, int | np.integer) and not isinstance(c, bool) and c >= 0 for c in values):
        if max(values) < 4 * len(values) + 16:  # dense enough: keep the caller's ids
            return np.asarray(values, dtype=np.int64)
    codes: dict[Hashable, int] = {}
    out = np.empty(len(values), dtype=np.int64)
    for i, c in enumerate(values):
        out[i] = codes.setdefault(c, len(codes))
    return out


def merge_edgeless(arrays: GraphArrays, labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Give every community an internal edge: merge edge-less singletons into a neighbour.

    After :func:`split_and_canonicalize` every community is connected, so a
    community without an internal edge is a single service.  A service with
    edges that sits alone is not a zone — every one of its connections
    would be an exception — so it joins the neighbouring community it has
    most edge weight to (ties: the smaller id).  Services whose neighbours
    are all such singletons form one community per connected group.
    Services without any edge keep their own label (the assessment lists
    them as unassigned instead of calling them communities).

    Returns ``(labels, merged)``: canonical labels and the number of
    services moved.

    Examples
    --------
    >>> import numpy as np
    >>> g = GraphArrays(["a", "b", "c", "d"], np.array([0, 1, 2]), np.array([1, 2, 3]))
    >>> merge_edgeless(g, np.array([0, 0, 1, 2]))[0].tolist()   # c and d were alone
    [0, 0, 0, 1]
    """
    labels = np.asarray(labels, dtype=np.int64)
    n = arrays.n
    if n == 0 or arrays.m == 0:
        return labels, 0
    k = int(labels.max()) + 1
    size = np.bincount(labels, minlength=k)
    deg = arrays.degree()
    lone = (size[labels] == 1) & (deg > 0)
    if not lone.any():
        return labels, 0
    u = np.r_[arrays.u, arrays.v]
    v = np.r_[arrays.v, arrays.u]
    w = np.r_[arrays.w, arrays.w].astype(np.float64)
    new = labels.copy()
    # 1. lone services with a neighbour in a real community join the heaviest such community
    sel = lone[u] & ~lone[v]
    if sel.any():
        frame = pd.DataFrame({"node": u[sel], "comm": labels[v[sel]], "w": w[sel]})
        agg = frame.groupby(["node", "comm"], sort=True)["w"].sum().reset_index()
        agg = agg.sort_values(["node", "w", "comm"], ascending=[True, False, True], kind="stable")
        best = agg.drop_duplicates("node")
        new[best["node"].to_numpy()] = best["comm"].to_numpy()
    # 2. the rest: connected groups of lone services become one community each
    rest = lone.copy()
    if sel.any():
        rest[best["node"].to_numpy()] = False
    if rest.any():
        both = rest[u] & rest[v]
        adj = sparse.coo_matrix((np.ones(int(both.sum())), (u[both], v[both])), shape=(n, n)).tocsr()
        _, comp = csgraph.connected_components(adj, directed=False)
        new[rest] = k + comp[rest]
    moved = int(lone.sum())
    out, _ = split_and_canonicalize(arrays, new)
    return out, moved


def best_index(modularities: Sequence[float]) -> int:
    """Index of the run with the highest modularity (the first one on ties; 0 if all are NaN).

    >>> best_index([0.2, float("nan"), 0.5, 0.5])
    2
    """
    arr = np.asarray(modularities, dtype=float)
    if np.all(np.isnan(arr)):
        return 0
    return int(np.nanargmax(arr))


def pair_windows(arrays: GraphArrays, client: Sequence[Any], server: Sequence[Any],
                 windows: np.ndarray) -> np.ndarray:
    """Per edge of ``arrays``: OR of the ``windows`` bit masks of the directed rows on that pair.

    Rows whose ends are not both nodes of ``arrays`` are ignored; an edge with no row gets 0.

    >>> g = GraphArrays(["a", "b", "c"], np.array([0, 1]), np.array([1, 2]))
    >>> pair_windows(g, ["a", "b", "c", "x"], ["b", "a", "b", "a"],
    ...              np.array([1, 4, 2, 8], dtype=np.uint64)).tolist()
    [5, 2]
    """
    index = pd.Index(arrays.nodes)
    a = index.get_indexer(pd.Index(list(client)))
    b = index.get_indexer(pd.Index(list(server)))
    masks = np.asarray(windows, dtype=np.uint64)
    ok = (a >= 0) & (b >= 0)
    n = max(arrays.n, 1)
    key = np.minimum(a[ok], b[ok]).astype(np.int64) * n + np.maximum(a[ok], b[ok])
    masks = masks[ok]
    out = np.zeros(arrays.m, dtype=np.uint64)
    if not len(key):
        return out
    order = np.argsort(key, kind="stable")
    key, masks = key[order], masks[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ukey, umask = key[starts], np.bitwise_or.reduceat(masks, starts)
    ekey = np.minimum(arrays.u, arrays.v) * n + np.maximum(arrays.u, arrays.v)
    pos = np.searchsorted(ukey, ekey)
    hit = (pos < len(ukey)) & (ukey[np.minimum(pos, len(ukey) - 1)] == ekey)
    out[hit] = umask[pos[hit]]
    return out
