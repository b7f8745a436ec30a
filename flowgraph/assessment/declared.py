"""Declared domains (teams, apps, accounts) versus detected communities.

When the inventory declares a ``domain`` for at least two domains' worth of
workloads, three questions are answered:

1. What would segmenting along the *declared* domains cost?  μ_decl = edges
   between services of different declared domains / edges between services
   that both have a declared domain (edges with an undeclared end are left
   out), and the number of such cross-domain edges (exceptions).
2. How similar are declared and detected?  AMI and ARI over the services
   with a declared domain (chance-adjusted: NMI looks "moderate" for any two
   partitions with many small groups).
3. Who is misplaced?  Each detected community's *dominant domain* is its
   most frequent declared domain (ties: alphabetical); a service whose own
   declared domain differs from its community's dominant domain is listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

from flowgraph._arrays import GraphArrays, labels_from

__all__ = ["DeclaredComparison", "compare_declared", "dominant_domains"]


def _clean(domain: Any) -> str | None:
    if domain is None or domain is pd.NA:
        return None
    if isinstance(domain, float) and np.isnan(domain):
        return None
    text = str(domain).strip()
    return text or None


@dataclass
class DeclaredComparison:
    """Result of :func:`compare_declared`."""

    domains: int
    declared_services: int
    cross_domain_edge_ratio: float
    exceptions: int
    considered_edges: int
    ami: float
    ari: float
    dominant_domain: dict[int, str | None] = field(default_factory=dict)
    misplaced: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"domains", "cross_domain_edge_ratio", "exceptions", "ami", "ari", "misplaced"}``."""
        return {"domains": self.domains, "cross_domain_edge_ratio": self.cross_domain_edge_ratio,
                "exceptions": self.exceptions, "ami": self.ami, "ari": self.ari,
                "misplaced": [dict(m) for m in self.misplaced]}


def dominant_domains(partition: Mapping[Hashable, int],
                     domains: Mapping[Any, Any]) -> dict[int, str | None]:
    """Most frequent declared domain of every community (ties: alphabetical; None if none declared).

    Examples
    --------
    >>> dominant_domains({"a": 0, "b": 0, "c": 0, "d": 1}, {"a": "x", "b": "y", "c": "y", "d": None})
    {0: 'y', 1: None}
    """
    counts: dict[int, Counter] = {}
    for node, cid in partition.items():
        counts.setdefault(int(cid), Counter())
        d = _clean(domains.get(node))
        if d is not None:
            counts[int(cid)][d] += 1
    out: dict[int, str | None] = {}
    for cid in sorted(counts):
        c = counts[cid]
        out[cid] = min(c, key=lambda d: (-c[d], d)) if c else None
    return out


def compare_declared(G: nx.Graph, partition: Mapping[Hashable, int],
                     domains: Mapping[Hashable, Any], *, min_domains: int = 2) -> DeclaredComparison | None:
    """Cost of the declared segmentation and its agreement with the detected one.

    Parameters
    ----------
    G : networkx.Graph
        Undirected service graph (edges counted, weights ignored).
    partition : mapping
        Detected community of every node of ``G``.
    domains : mapping
        Declared domain per service (missing / NA: undeclared).
    min_domains : int
        Fewer distinct declared domains among ``G``'s nodes → ``None``.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "f")])
    >>> part = {"a": 0, "b": 0, "c": 0, "d": 1, "e": 1, "f": 1}
    >>> dom = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "y", "f": "y"}
    >>> r = compare_declared(G, part, dom)
    >>> r.domains, r.exceptions, r.cross_domain_edge_ratio, r.misplaced
    (2, 1, 0.2, [{'service': 'c', 'declared': 'y', 'community': 0, 'community_domain': 'x'}])
    """
    arrays = GraphArrays.from_networkx(G, None)
    declared = [_clean(domains.get(n)) for n in arrays.nodes]
    return declared_on_arrays(arrays, labels_from(arrays, partition), declared, min_domains=min_domains)


def declared_on_arrays(arrays: GraphArrays, labels: np.ndarray, declared: list[str | None], *,
                       min_domains: int = 2) -> DeclaredComparison | None:
    """:func:`compare_declared` on prepared arrays (``declared`` already cleaned; internal)."""
    declared = [_clean(d) for d in declared]
    distinct = sorted({d for d in declared if d is not None})
    if len(distinct) < min_domains:
        return None
    code = {d: i for i, d in enumerate(distinct)}
    dom = np.array([code[d] if d is not None else -1 for d in declared], dtype=np.int64)
    du, dv = dom[arrays.u], dom[arrays.v]
    both = (du >= 0) & (dv >= 0)
    considered = int(both.sum())
    exceptions = int((both & (du != dv)).sum())
    ratio = exceptions / considered if considered else float("nan")
    has = dom >= 0
    if has.sum() >= 2:
        ami = float(adjusted_mutual_info_score(dom[has], labels[has]))
        ari = float(adjusted_rand_score(dom[has], labels[has]))
    else:  # pragma: no cover - needs ≥ 2 domains, hence ≥ 2 services
        ami = ari = float("nan")
    membership = {n: int(c) for n, c in zip(arrays.nodes, labels.tolist(), strict=True)}
    dominant = dominant_domains(membership, dict(zip(arrays.nodes, declared, strict=True)))
    misplaced = []
    for node, d in sorted(zip(arrays.nodes, declared, strict=True), key=lambda t: str(t[0])):
        if d is None:
            continue
        cid = membership[node]
        if dominant.get(cid) is not None and dominant[cid] != d:
            misplaced.append({"service": str(node), "declared": d, "community": cid,
                              "community_domain": dominant[cid]})
    return DeclaredComparison(domains=len(distinct), declared_services=int(has.sum()),
                              cross_domain_edge_ratio=ratio, exceptions=exceptions,
                              considered_edges=considered, ami=ami, ari=ari,
                              dominant_domain=dominant, misplaced=misplaced)
