"""Shared services: the platform every domain talks to (DNS, auth, logging, queues).

A service that every team calls is not an "exception" between two domains:
architecturally it lives in a *shared-services zone* reachable from all
segments (AWS Transit Gateway hub-and-spoke guidance).  Left in the graph,
a handful of such hubs turns a clearly modular estate into a Netflix-like
tangle (injecting 5 hubs linked to 80 % of services raised μ from 0.25 to
0.48 in a planted experiment), so they are found first and carved out.

Which nodes are analysed
------------------------
* ``service`` nodes are the workloads;
* ``aws-service`` nodes (AWS endpoints) always go to the shared zone;
* ``internet`` and ``unknown`` nodes are not workloads: they are left out
  of the community analysis and reported separately (external edges).

Detection (first pass)
----------------------
A first-pass partition of the workload graph gives, per workload *i*:

* reach ``r_i`` = distinct workload peers / (workloads − 1);
* community reach = distinct first-pass communities among its peers /
  first-pass communities that have at least one edge;
* participation coefficient ``P_i`` on the first-pass partition.

A workload is shared when its degree is at least ``max(shared_min_degree,
shared_degree_factor × median workload degree)`` (5 and 3 × median: tiny or
uniformly dense graphs do not flag everything) **and** either

* ``r_i ≥ shared_reach`` (0.30), or
* community reach ≥ ``shared_community_reach`` (0.50) with
  ``P_i ≥ shared_participation`` (0.62, the Guimerà–Amaral connector
  threshold, as supporting evidence) and at least ``shared_min_communities``
  (4) first-pass communities — touching half of two or three communities
  is not remarkable.

Names on the caller's allow-list are shared regardless.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph.communities._graph import GraphArrays

from .verdict import Thresholds

__all__ = ["SharedService", "SharedZone", "shared_service_scores", "detect_shared_services",
           "SHARED_THRESHOLD_FIELDS"]

SHARED_THRESHOLD_FIELDS = ("shared_reach", "shared_community_reach", "shared_participation",
                           "shared_min_communities", "shared_min_degree", "shared_degree_factor",
                           "max_shared_share", "warn_shared_share")
"""The :class:`~flowgraph.assessment.Thresholds` fields used for the shared zone."""


@dataclass(frozen=True)
class SharedService:
    """One member of the shared-services zone and why it is there."""

    service: str
    reason: str
    reach: float
    community_reach: float
    participation: float
    degree: int

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "reason": self.reason, "reach": self.reach,
                "community_reach": self.community_reach, "participation": self.participation}


@dataclass
class SharedZone:
    """The shared-services zone.

    ``share_of_services`` counts workloads only: allow-listed and detected
    workloads divided by all workloads (AWS endpoints are in the zone but are
    not workloads and are left out of both counts).
    """

    entries: list[SharedService]
    share_of_services: float
    workloads: int
    allow_listed: list[str]
    allow_list_missing: list[str]
    thresholds: dict[str, Any]
    first_pass_communities: int
    min_degree: float
    scores: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def services(self) -> list[str]:
        return [e.service for e in self.entries]

    def to_dict(self) -> dict[str, Any]:
        """``{"services", "share_of_services", "allow_listed", "thresholds"}``."""
        return {"services": [e.to_dict() for e in self.entries],
                "share_of_services": self.share_of_services,
                "allow_listed": list(self.allow_listed),
                "thresholds": dict(self.thresholds)}


def scores_on_arrays(arrays: GraphArrays, labels: np.ndarray, assigned: np.ndarray) -> pd.DataFrame:
    """Degree, reach, community reach and participation (internal).

    ``labels[i]`` is node i's first-pass community (ignored where
    ``assigned`` is False); only edges to assigned nodes count.
    """
    n = arrays.n
    u, v = arrays.u, arrays.v
    keep = u != v
    src = np.concatenate([u[keep], v[keep]])
    dst = np.concatenate([v[keep], u[keep]])
    to_assigned = assigned[dst]
    src, dst = src[to_assigned], dst[to_assigned]
    degree = np.bincount(src, minlength=n)
    n_assigned = int(assigned.sum())
    others = np.where(assigned, n_assigned - 1, n_assigned).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = np.where(others > 0, degree / others, 0.0)
    k = int(labels[assigned].max()) + 1 if n_assigned else 0
    comm = labels[dst]
    if len(src):
        uniq, cnt = np.unique(src * max(k, 1) + comm, return_counts=True)
        owner = uniq // max(k, 1)
        touched = np.bincount(owner, minlength=n)
        sq = np.bincount(owner, weights=cnt.astype(float) ** 2, minlength=n)
        # communities that have at least one edge among assigned nodes
        au, av = u[keep], v[keep]
        inner = assigned[au] & assigned[av]
        active = np.unique(np.concatenate([labels[au[inner]], labels[av[inner]]]))
        k_active = len(active)
    else:
        touched = np.zeros(n, dtype=np.int64)
        sq = np.zeros(n)
        k_active = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        creach = touched / k_active if k_active else np.zeros(n)
        part = np.where(degree > 0, 1.0 - sq / degree.astype(float) ** 2, 0.0)
    return pd.DataFrame({"degree": degree.astype(int), "reach": reach, "community_reach": creach,
                         "participation": np.clip(part, 0, 1), "assigned": assigned},
                        index=pd.Index(arrays.nodes, name="service")).assign(
                            first_pass_communities=k_active)


def shared_service_scores(G: nx.Graph, partition: Mapping[Hashable, int]) -> pd.DataFrame:
    """Reach, community reach and participation of every node of ``G``.

    Nodes missing from ``partition`` (e.g. AWS endpoints) get scores
    against the partitioned nodes but are not counted as peers.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph([(0, 1), (2, 3), (4, 5), (6, 7), ("hub", 0), ("hub", 2), ("hub", 4), ("hub", 6)])
    >>> part = {0: 0, 1: 0, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 3, "hub": 0}
    >>> s = shared_service_scores(G, part)
    >>> [float(x) for x in s.loc["hub", ["degree", "community_reach", "participation"]]]
    [4.0, 1.0, 0.75]
    """
    arrays = GraphArrays.from_networkx(G, None)
    assigned = np.array([n in partition for n in arrays.nodes], dtype=bool)
    labels = np.array([int(partition[n]) if n in partition else 0 for n in arrays.nodes], dtype=np.int64)
    return scores_on_arrays(arrays, labels, assigned)


def classify_shared(scores: pd.DataFrame, *, allow_list: Iterable[str] = (),
                    aws_services: Iterable[str] = (), detect: bool = True,
                    thresholds: Thresholds | None = None) -> SharedZone:
    """Apply the rules of the module documentation to precomputed scores (internal)."""
    t = thresholds or Thresholds()
    allow = [str(a) for a in allow_list]
    names = [str(n) for n in scores.index]
    present = set(names)
    allow_listed = sorted(a for a in dict.fromkeys(allow) if a in present)
    missing = sorted(a for a in dict.fromkeys(allow) if a not in present)
    aws = {str(a) for a in aws_services}
    workload_mask = scores["assigned"].to_numpy(dtype=bool)
    wdeg = scores["degree"].to_numpy()[workload_mask]
    median = float(np.median(wdeg)) if len(wdeg) else 0.0
    min_degree = max(float(t.shared_min_degree), t.shared_degree_factor * median)
    k_first = int(scores["first_pass_communities"].iloc[0]) if len(scores) else 0
    entries = []
    for name, row in zip(names, scores.itertuples(index=False), strict=True):
        reasons = []
        if name in aws:
            reasons.append("AWS service endpoint")
        if name in allow_listed:
            reasons.append("allow-list")
        if detect and row.assigned and row.degree >= min_degree:
            if row.reach >= t.shared_reach:
                reasons.append(f"reaches {row.reach:.0%} of services (≥ {t.shared_reach:.0%})")
            if (k_first >= t.shared_min_communities and row.community_reach >= t.shared_community_reach
                    and row.participation >= t.shared_participation):
                reasons.append(f"touches {row.community_reach:.0%} of {k_first} first-pass communities "
                               f"(≥ {t.shared_community_reach:.0%}) with participation "
                               f"{row.participation:.2f} (≥ {t.shared_participation:g})")
        if reasons:
            entries.append(SharedService(name, "; ".join(reasons), float(row.reach),
                                         float(row.community_reach), float(row.participation),
                                         int(row.degree)))
    entries.sort(key=lambda e: (-e.reach, e.service))
    n_work = int(workload_mask.sum())
    is_workload = dict(zip(names, workload_mask.tolist(), strict=True))
    zone_work = sum(1 for e in entries if e.service not in aws and is_workload[e.service])
    share = zone_work / n_work if n_work else 0.0
    th = {f: getattr(t, f) for f in SHARED_THRESHOLD_FIELDS}
    th["min_degree_applied"] = min_degree
    th["detect"] = bool(detect)
    return SharedZone(entries=entries, share_of_services=share, workloads=n_work,
                      allow_listed=allow_listed, allow_list_missing=missing, thresholds=th,
                      first_pass_communities=k_first, min_degree=min_degree, scores=scores)


def detect_shared_services(
    G: nx.Graph,
    partition: Mapping[Hashable, int],
    *,
    allow_list: Iterable[str] = (),
    aws_services: Iterable[str] = (),
    detect: bool = True,
    thresholds: Thresholds | None = None,
) -> SharedZone:
    """Find the shared-services zone from a first-pass partition.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph of workloads (plus, optionally, AWS endpoints).
    partition : mapping
        First-pass community of every workload (nodes of ``G`` absent from it
        — AWS endpoints — are scored but never counted as workloads).
    allow_list : iterable of str
        Services declared shared by the user.
    aws_services : iterable of str
        AWS endpoints (``aws-service`` nodes): always in the zone.
    detect : bool
        Apply the structural rules (otherwise allow-list and AWS only).
    thresholds : Thresholds, optional

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.planted_partition_graph(5, 12, 0.6, 0.01, seed=3)
    >>> G.add_edges_from(("dns", i) for i in range(0, 60, 2))        # talks to half the estate
    >>> from flowgraph.communities import detect_communities
    >>> first = detect_communities(G, seed=0)
    >>> zone = detect_shared_services(G, first)
    >>> zone.services, zone.share_of_services
    (['dns'], 0.0163...)
    """
    scores = shared_service_scores(G, partition)
    return classify_shared(scores, allow_list=allow_list, aws_services=aws_services, detect=detect,
                           thresholds=thresholds)
