"""Segmentation metrics of a partition: how much traffic crosses communities, and where.

All definitions are in ``docs/metrics.md``.  Notation: ``k_i`` degree (or
strength) of service *i*, ``k_i^in`` the part of it inside its own community,
``k_i^out = k_i − k_i^in``; ``L_c`` internal edges of community *c*,
``cut(c)`` edges with one end in *c*, ``vol(c) = Σ_{i∈c} k_i``.

* μ (cross-community ratio) = cross edges / all edges (edge count, or edge
  weight when a weight is given);
* ρ (exceptions per local edge) = cross / local = μ / (1 − μ);
* conductance(c) = cut(c) / min(vol(c), vol(V∖c));
* strong community: every member with an edge has ``k_in > k_out``;
  weak community: ``Σ k_in > Σ k_out`` (i.e. ``2 L_c > cut(c)``);
* participation ``P_i = 1 − Σ_s (k_{i,s}/k_i)²``;
* within-community degree z-score ``z_i = (k_i^in − mean_c) / sd_c``;
* roles R1–R7 of Guimerà & Amaral (2005) from (P, z).

Every public function takes an undirected networkx graph and a partition
(a :class:`~flowgraph.communities.Partition`, any mapping node → community,
or a list of node sets).  The assessment calls the array versions directly.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph._arrays import GraphArrays, cross_ratio_of, labels_from, modularity_of

__all__ = [
    "ROLES",
    "HUB_Z",
    "classify_role",
    "cross_ratio",
    "exceptions_per_local_edge",
    "modularity",
    "participation_coefficients",
    "within_module_zscores",
    "community_table",
    "service_table",
    "exception_rules",
    "exception_concentration",
]

HUB_Z = 2.5
"""Within-community z-score from which a service is a hub (Guimerà & Amaral 2005)."""

ROLES: dict[str, str] = {
    "R1": "ultra-peripheral",
    "R2": "peripheral",
    "R3": "non-hub connector",
    "R4": "non-hub kinless",
    "R5": "provincial hub",
    "R6": "connector hub",
    "R7": "kinless hub",
}
"""Guimerà–Amaral role codes and the names used in tables."""

PartitionLike = Mapping[Hashable, Any] | Iterable[Iterable[Hashable]]


def classify_role(participation: float, within_z: float, *, hub_z: float = HUB_Z) -> str:
    """Guimerà–Amaral role name from the participation coefficient and z-score.

    Non-hubs (z < 2.5): ultra-peripheral P ≤ 0.05, peripheral P ≤ 0.62,
    non-hub connector P ≤ 0.80, non-hub kinless above.  Hubs (z ≥ 2.5):
    provincial hub P ≤ 0.30, connector hub P ≤ 0.75, kinless hub above.

    Parameters
    ----------
    participation : float
        Participation coefficient P.
    within_z : float
        Within-community degree z-score.
    hub_z : float
        z from which a service is a hub.

    Returns
    -------
    str
        One of :data:`ROLES`' names.

    Examples
    --------
    >>> classify_role(0.0, 0.0), classify_role(0.7, 0.1), classify_role(0.5, 3.0)
    ('ultra-peripheral', 'non-hub connector', 'connector hub')
    """
    p = float(participation)
    if float(within_z) >= hub_z:
        if p <= 0.30:
            return ROLES["R5"]
        return ROLES["R6"] if p <= 0.75 else ROLES["R7"]
    if p <= 0.05:
        return ROLES["R1"]
    if p <= 0.62:
        return ROLES["R2"]
    return ROLES["R3"] if p <= 0.80 else ROLES["R4"]


# -- array implementations (internal) --------------------------------------------------------
def node_figures(arrays: GraphArrays, labels: np.ndarray, w: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per node: degree, strength, k_in, k_out, mu, participation, within_z (internal)."""
    w = arrays.w if w is None else w
    n = arrays.n
    u, v = arrays.u, arrays.v
    lu, lv = labels[u], labels[v]
    inside = lu == lv
    strength = arrays.strength(w)
    k_in = (np.bincount(u[inside], weights=w[inside], minlength=n)
            + np.bincount(v[inside], weights=w[inside], minlength=n))
    k_out = strength - k_in
    k_count = int(labels.max()) + 1 if n else 0
    if arrays.m:
        node = np.concatenate([u, v])
        comm = np.concatenate([lv, lu])
        ww = np.concatenate([w, w])
        key = node * max(k_count, 1) + comm
        uniq, inv = np.unique(key, return_inverse=True)
        sums = np.bincount(inv, weights=ww)
        # weighted bincount is float64 (numpy's stub types every bincount as intp)
        sq: np.ndarray = np.bincount(uniq // max(k_count, 1), weights=sums ** 2, minlength=n)
    else:
        sq = np.zeros(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(strength > 0, 1.0 - sq / strength ** 2, 0.0)
        mu = np.where(strength > 0, k_out / strength, np.nan)
    part = np.clip(part, 0.0, 1.0)
    size = np.bincount(labels, minlength=k_count).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(labels, weights=k_in, minlength=k_count) / size
        var = np.bincount(labels, weights=k_in ** 2, minlength=k_count) / size - mean ** 2
    sd = np.sqrt(np.clip(var, 0.0, None))
    sd_i = sd[labels] if n else sd
    scale = np.maximum(np.abs(mean[labels]) if n else mean, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd_i > 1e-12 * scale, (k_in - (mean[labels] if n else 0.0)) / sd_i, 0.0)
    return {"degree": arrays.degree(), "strength": strength, "k_in": k_in, "k_out": k_out,
            "mu": mu, "participation": part, "within_z": z}


def community_figures(arrays: GraphArrays, labels: np.ndarray, w: np.ndarray | None = None,
                      nodes: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Per community: size, internal/external edge counts, conductance, strong, weak (internal)."""
    w = arrays.w if w is None else w
    nodes = node_figures(arrays, labels, w) if nodes is None else nodes
    k = int(labels.max()) + 1 if arrays.n else 0
    lu, lv = labels[arrays.u], labels[arrays.v]
    inside = lu == lv
    cross = ~inside
    size = np.bincount(labels, minlength=k)
    internal_edges = np.bincount(lu[inside], minlength=k)
    external_edges = np.bincount(lu[cross], minlength=k) + np.bincount(lv[cross], minlength=k)
    internal_w = np.bincount(lu[inside], weights=w[inside], minlength=k)
    cut_w = (np.bincount(lu[cross], weights=w[cross], minlength=k)
             + np.bincount(lv[cross], weights=w[cross], minlength=k))
    vol = np.bincount(labels, weights=nodes["strength"], minlength=k)
    total = float(vol.sum())
    denom = np.minimum(vol, total - vol)
    with np.errstate(divide="ignore", invalid="ignore"):
        conductance = np.where(denom > 0, cut_w / denom, 0.0)
    has_edges = nodes["strength"] > 0
    violators = np.bincount(labels, weights=(has_edges & (nodes["k_in"] <= nodes["k_out"])).astype(float),
                            minlength=k)
    strong = violators == 0
    weak = (2.0 * internal_w > cut_w) | (vol == 0)
    return {"size": size, "internal_edges": internal_edges, "external_edges": external_edges,
            "internal_weight": internal_w, "cut_weight": cut_w, "volume": vol,
            "conductance": conductance, "strong": strong, "weak": weak}


def concentration_of(arrays: GraphArrays, labels: np.ndarray, top_share: float = 0.10) -> float:
    """Share of cross edges carried by the top ``top_share`` of community pairs (internal)."""
    lu, lv = labels[arrays.u], labels[arrays.v]
    cross = lu != lv
    if not cross.any():
        return float("nan")
    a, b = np.minimum(lu[cross], lv[cross]), np.maximum(lu[cross], lv[cross])
    _, counts = np.unique(a * (int(labels.max()) + 1) + b, return_counts=True)
    counts = np.sort(counts)[::-1]
    top = max(1, int(math.floor(top_share * len(counts) + 1e-9)))
    return float(counts[:top].sum() / counts.sum())


def local_and_cross(arrays: GraphArrays, labels: np.ndarray) -> tuple[int, int]:
    cross = int((labels[arrays.u] != labels[arrays.v]).sum())
    return arrays.m - cross, cross


def rho_of(local: float, cross: float) -> float:
    if local > 0:
        return cross / local
    return math.inf if cross > 0 else math.nan


# -- public API on networkx graphs -----------------------------------------------------------
def _prepare(G: nx.Graph, partition: PartitionLike, weight: str | None) -> tuple[GraphArrays, np.ndarray]:
    arrays = GraphArrays.from_networkx(G, weight)
    return arrays, labels_from(arrays, partition)


def cross_ratio(G: nx.Graph, partition: PartitionLike, *, weight: str | None = None) -> float:
    """μ: share of edges (or edge weight) between different communities.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph.
    partition : Partition, mapping or list of node sets
        Community of every node.
    weight : str, optional
        Edge attribute used as weight; ``None`` counts edges.

    Returns
    -------
    float
        ``cross / all`` in [0, 1]; NaN for a graph without edges.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.barbell_graph(5, 0)
    >>> cross_ratio(G, [set(range(5)), set(range(5, 10))]) == 1 / 21
    True
    """
    arrays, labels = _prepare(G, partition, weight)
    return cross_ratio_of(arrays, labels)


def exceptions_per_local_edge(G: nx.Graph, partition: PartitionLike, *,
                              weight: str | None = None) -> float:
    """ρ = cross / local edges (weight); ``inf`` without local edges, NaN without edges.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph.
    partition : Partition, mapping or list of node sets
        Community of every node.
    weight : str, optional
        Edge attribute used as weight; ``None`` counts edges.

    Returns
    -------
    float
        Exceptions per local edge, equal to μ / (1 − μ).

    Examples
    --------
    >>> import networkx as nx
    >>> exceptions_per_local_edge(nx.barbell_graph(5, 0), [set(range(5)), set(range(5, 10))])
    0.05
    >>> exceptions_per_local_edge(nx.path_graph(2), [{0}, {1}])
    inf
    """
    arrays, labels = _prepare(G, partition, weight)
    cross = labels[arrays.u] != labels[arrays.v]
    return rho_of(float(arrays.w[~cross].sum()), float(arrays.w[cross].sum()))


def modularity(G: nx.Graph, partition: PartitionLike, *, resolution: float = 1.0,
               weight: str | None = "weight") -> float:
    """Newman–Girvan modularity with resolution γ (same formula as networkx).

    ``Q = Σ_c [L_c/m − γ (vol(c)/2m)²]``.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph.
    partition : Partition, mapping or list of node sets
        Community of every node.
    resolution : float
        γ.
    weight : str, optional
        Edge attribute used as weight (default ``"weight"``, 1 when absent).

    Returns
    -------
    float
        Modularity (NaN without edges).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.karate_club_graph()
    >>> parts = nx.community.louvain_communities(G, seed=1)
    >>> abs(modularity(G, parts) - nx.community.modularity(G, parts)) < 1e-12
    True
    """
    arrays, labels = _prepare(G, partition, weight)
    return modularity_of(arrays, labels, resolution)


def participation_coefficients(G: nx.Graph, partition: PartitionLike, *,
                               weight: str | None = None) -> dict[Hashable, float]:
    """``P_i = 1 − Σ_s (k_{i,s}/k_i)²`` for every node (0 for isolated nodes).

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph.
    partition : Partition, mapping or list of node sets
        Community of every node.
    weight : str, optional
        Edge attribute used as weight; ``None`` counts edges.

    Returns
    -------
    dict
        node → participation coefficient in [0, 1 − 1/K].

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.star_graph(4)          # hub 0 with leaves 1..4
    >>> P = participation_coefficients(G, [{0, 1}, {2}, {3}, {4}])
    >>> P[0], P[1]
    (0.75, 0.0)
    """
    arrays, labels = _prepare(G, partition, weight)
    part = node_figures(arrays, labels)["participation"]
    return dict(zip(arrays.nodes, part.tolist(), strict=True))


def within_module_zscores(G: nx.Graph, partition: PartitionLike, *,
                          weight: str | None = None) -> dict[Hashable, float]:
    """``z_i = (k_i^in − mean_c k^in) / sd_c k^in`` (population sd; 0 when sd = 0).

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph.
    partition : Partition, mapping or list of node sets
        Community of every node.
    weight : str, optional
        Edge attribute used as weight; ``None`` counts edges.

    Returns
    -------
    dict
        node → within-community degree z-score.

    Examples
    --------
    >>> import networkx as nx
    >>> z = within_module_zscores(nx.star_graph(3), [{0, 1, 2, 3}])
    >>> round(z[0], 4), round(z[1], 4)
    (1.7321, -0.5774)
    """
    arrays, labels = _prepare(G, partition, weight)
    z = node_figures(arrays, labels)["within_z"]
    return dict(zip(arrays.nodes, z.tolist(), strict=True))


def community_table(G: nx.Graph, partition: PartitionLike, *, weight: str | None = None) -> pd.DataFrame:
    """One row per community: services, size, internal/external edges, conductance, strong, weak.

    Edge counts are numbers of edges; conductance and the strong/weak tests
    use ``weight`` (``None``: edge counts).  Communities without any edge
    count as strong and weak (they need no rule at all).

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph.
    partition : Partition, mapping or list of node sets
        Community of every node.
    weight : str, optional
        Edge attribute used as weight; ``None`` counts edges.

    Returns
    -------
    pandas.DataFrame
        Indexed by community id.

    Examples
    --------
    >>> import networkx as nx
    >>> t = community_table(nx.barbell_graph(3, 0), [{0, 1, 2}, {3, 4, 5}])
    >>> t[["size", "internal_edges", "external_edges", "strong", "weak"]].values.tolist()
    [[3, 3, 1, True, True], [3, 3, 1, True, True]]
    >>> round(float(t.loc[0, "conductance"]), 4)
    0.1429
    """
    arrays, labels = _prepare(G, partition, weight)
    return _community_frame(arrays, labels)


def _community_frame(arrays: GraphArrays, labels: np.ndarray, w: np.ndarray | None = None,
                     nodes: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    c = community_figures(arrays, labels, w, nodes)
    k = len(c["size"])
    members: list[list[Hashable]] = [[] for _ in range(k)]
    order = np.argsort(arrays.rank, kind="stable")
    for i in order.tolist():
        members[labels[i]].append(arrays.nodes[i])
    df = pd.DataFrame({
        "services": members,
        "size": c["size"].astype(int),
        "internal_edges": c["internal_edges"].astype(int),
        "external_edges": c["external_edges"].astype(int),
        "conductance": c["conductance"],
        "strong": c["strong"].astype(bool),
        "weak": c["weak"].astype(bool),
    }, index=pd.RangeIndex(k, name="community"))
    return df


def service_table(G: nx.Graph, partition: PartitionLike, *, weight: str | None = None) -> pd.DataFrame:
    """One row per service: community, degree, μ_i, participation, within-z and role.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph.
    partition : Partition, mapping or list of node sets
        Community of every node.
    weight : str, optional
        Edge attribute used as weight; ``None`` counts edges.

    Returns
    -------
    pandas.DataFrame
        Indexed by node.

    Examples
    --------
    >>> import networkx as nx
    >>> t = service_table(nx.barbell_graph(3, 0), [{0, 1, 2}, {3, 4, 5}])
    >>> int(t.loc[2, "community"]), int(t.loc[2, "degree"]), t.loc[2, "role"]
    (0, 3, 'peripheral')
    >>> round(float(t.loc[2, "mu"]), 4), round(float(t.loc[2, "participation"]), 4)
    (0.3333, 0.4444)
    """
    arrays, labels = _prepare(G, partition, weight)
    return _service_frame(arrays, labels)


def _service_frame(arrays: GraphArrays, labels: np.ndarray, w: np.ndarray | None = None,
                   nodes: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    f = node_figures(arrays, labels, w) if nodes is None else nodes
    roles = [classify_role(p, z) for p, z in zip(f["participation"].tolist(), f["within_z"].tolist(), strict=True)]
    return pd.DataFrame({
        "community": labels.astype(int),
        "degree": f["degree"].astype(int),
        "mu": f["mu"],
        "participation": f["participation"],
        "within_z": f["within_z"],
        "role": roles,
    }, index=pd.Index(arrays.nodes, name="service"))


RULE_COLUMNS = ["source_community", "destination_community", "server_port", "protocol", "pairs", "connections"]


def exception_rules(edges: pd.DataFrame, membership: Mapping[Hashable, int]) -> pd.DataFrame:
    """Distinct (source community, destination community, server port, protocol) rules.

    ``edges`` is a DIRECTED edge table (``ServiceGraph.edges``: client,
    server, server_port, protocol, connections).  Rows whose client and
    server are both in ``membership`` and in different communities become
    exception rules, client community → server community.  ``pairs`` counts
    the distinct (client, server) pairs that need the rule.

    Parameters
    ----------
    edges : pandas.DataFrame
        Directed edge table.
    membership : mapping
        Community of every analysed service.

    Returns
    -------
    pandas.DataFrame
        ``source_community, destination_community, server_port, protocol,
        pairs, connections``, most pairs first.

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"client": ["a", "a", "b", "c", "a"], "server": ["c", "c", "c", "a", "b"],
    ...                   "server_port": [443, 22, 443, 5432, 80], "protocol": [6, 6, 6, 6, 6],
    ...                   "connections": [5, 1, 2, 7, 9]})
    >>> r = exception_rules(e, {"a": 0, "b": 0, "c": 1})
    >>> r.values.tolist()
    [[0, 1, 443, 6, 2, 7], [1, 0, 5432, 6, 1, 7], [0, 1, 22, 6, 1, 1]]
    """
    cols = ["client", "server", "server_port", "protocol", "connections"]
    e = edges[cols]
    known = e["client"].isin(membership.keys()) & e["server"].isin(membership.keys()) & (e["client"] != e["server"])
    e = e[known.fillna(False).astype(bool)]
    mapping = pd.Series(membership, dtype="Int64")
    src = e["client"].map(mapping).astype("Int64")
    dst = e["server"].map(mapping).astype("Int64")
    cross = (src != dst).fillna(False).astype(bool)
    e = e.assign(source_community=src, destination_community=dst)[cross]
    if e.empty:
        return pd.DataFrame({c: pd.Series([], dtype="Int64") for c in RULE_COLUMNS})
    keys = ["source_community", "destination_community", "server_port", "protocol"]
    e = e.assign(connections=e["connections"].fillna(0).astype("int64"))
    pairs = (e.drop_duplicates(keys + ["client", "server"])
             .groupby(keys, dropna=False, sort=False).size().rename("pairs"))
    conns = e.groupby(keys, dropna=False, sort=False)["connections"].sum()
    out = pd.concat([pairs, conns], axis=1).reset_index()
    out = out.sort_values(["pairs", "connections", "source_community", "destination_community",
                           "server_port", "protocol"],
                          ascending=[False, False, True, True, True, True], na_position="last")
    out = out.reset_index(drop=True)[RULE_COLUMNS]
    for c in RULE_COLUMNS:
        out[c] = out[c].astype("Int64")
    return out


def exception_concentration(G: nx.Graph, partition: PartitionLike, *, top_share: float = 0.10) -> float:
    """Share of cross-community edges between the top ``top_share`` of community pairs.

    Pairs are unordered community pairs with at least one cross edge, ranked
    by their number of cross edges; the top ``max(1, floor(top_share × pairs))``
    count.  NaN when no edge crosses.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph.
    partition : Partition, mapping or list of node sets
        Community of every node.
    top_share : float
        Share of community pairs counted (default 0.10).

    Returns
    -------
    float

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph([(0, 1), (2, 3), (4, 5), (0, 2), (0, 3), (1, 2), (0, 4)])
    >>> exception_concentration(G, [{0, 1}, {2, 3}, {4, 5}])   # 3 of 4 cross edges on one pair
    0.75
    """
    arrays, labels = _prepare(G, partition, None)
    return concentration_of(arrays, labels, top_share)
