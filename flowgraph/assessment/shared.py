"""Shared services: the platform every domain calls (DNS, identity, event bus, shared stores).

A service that every team *calls* is not an exception between two domains:
architecturally it lives in a *shared-services zone* reachable from all
segments (AWS Transit Gateway hub-and-spoke guidance).  Left in the graph,
a handful of such hubs turns a clearly modular estate into a tangle, so
they are found first and carved out.  A service that *calls* into many
domains — an orchestrator, a gateway, a backend-for-frontend — is the
opposite: its reach is outbound, it is a workload of one domain, and its
calls into other domains are exactly the exceptions a policy must name.
Detection is therefore **direction-aware**.

Which nodes are analysed
------------------------
* ``service`` nodes are the workloads;
* ``aws-service`` nodes (AWS endpoints) always go to the shared zone;
* ``internet`` and ``unknown`` nodes are not workloads: they are left out
  of the community analysis and reported separately (external edges).

Detection (first pass)
----------------------
A first-pass partition of the workload graph gives, per workload *i*,
counted over distinct workload peers and talking pairs (client → server):

* callers ``c_i`` — distinct workloads that call *i*;
* caller reach ``c_i / (workloads − 1)``;
* caller-community reach — first-pass communities *other than its own*
  with a caller of *i*, divided by (first-pass communities − 1);
* callees and callee-community reach, the same outbound (reported, never
  a reason to be shared);
* pair share — the share of all talking pairs that have *i* as an end.

A workload is a candidate when it has at least ``shared_min_callers`` (3)
callers **and** either its caller reach is ≥ ``shared_reach`` (0.30) with
more than ``shared_caller_factor`` (1.5) × the median callers of a workload
(in a uniform estate nobody is remarkable), or —
with at least ``shared_min_communities`` (3) first-pass communities — its
caller-community reach is ≥ ``shared_community_reach`` (0.50) and its
cross-community callers are more than the estate's own cross share
explains: ``P(X ≥ cross callers)`` for ``X ~ Binomial(callers, cross share
of the first-pass talking pairs)`` is below ``shared_alpha`` (0.001).
Candidates join the zone in order of caller-community reach, then callers,
while the zone absorbs at most ``max_shared_pair_share`` (0.75) of the
talking pairs: a "shared zone" holding most of the traffic would hide the
very entanglement the assessment measures.  Candidates left out by that
bound stay workloads and are named in the zone's ``capped`` list.

Names on the caller's allow-list, and AWS endpoints, are shared regardless
of the bound.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.stats import binom

from flowgraph._arrays import GraphArrays

from .verdict import Thresholds

__all__ = ["SharedService", "SharedZone", "shared_service_scores", "detect_shared_services",
           "SHARED_THRESHOLD_FIELDS"]

SHARED_THRESHOLD_FIELDS = ("shared_min_callers", "shared_reach", "shared_caller_factor",
                           "shared_community_reach", "shared_alpha",
                           "shared_min_communities", "max_shared_pair_share", "warn_shared_pair_share",
                           "warn_shared_share")
"""The :class:`~flowgraph.assessment.Thresholds` fields used for the shared zone."""


@dataclass(frozen=True)
class SharedService:
    """One member of the shared-services zone and why it is there."""

    service: str
    reason: str
    callers: int
    caller_reach: float
    caller_community_reach: float
    pair_share: float
    reach: float = 0.0
    community_reach: float = 0.0
    participation: float = 0.0
    degree: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "reason": self.reason, "callers": self.callers,
                "caller_reach": self.caller_reach, "caller_community_reach": self.caller_community_reach,
                "pair_share": self.pair_share, "reach": self.reach,
                "community_reach": self.community_reach, "participation": self.participation}


@dataclass
class SharedZone:
    """The shared-services zone.

    ``share_of_services`` counts workloads only: allow-listed and detected
    workloads divided by all workloads (AWS endpoints are in the zone but are
    not workloads and are left out of both counts).  ``pair_share`` is the
    share of all talking pairs with an end in the zone, ``cross_pair_share``
    the share of the first-pass *cross-community* pairs it absorbs — what
    the carve-out removed from the exceptions.  ``capped`` names candidates
    left as workloads because the zone had reached ``max_shared_pair_share``.
    """

    entries: list[SharedService]
    share_of_services: float
    workloads: int
    allow_listed: list[str]
    allow_list_missing: list[str]
    thresholds: dict[str, Any]
    first_pass_communities: int
    pair_share: float = 0.0
    cross_pair_share: float = 0.0
    talking_pairs: int = 0
    capped: list[str] = field(default_factory=list)
    scores: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def services(self) -> list[str]:
        return [e.service for e in self.entries]

    def to_dict(self) -> dict[str, Any]:
        """``{"services", "share_of_services", "pair_share", "cross_pair_share", "capped", …}``."""
        return {"services": [e.to_dict() for e in self.entries],
                "share_of_services": self.share_of_services,
                "pair_share": self.pair_share, "cross_pair_share": self.cross_pair_share,
                "talking_pairs": self.talking_pairs, "capped": list(self.capped),
                "first_pass_communities": self.first_pass_communities,
                "allow_listed": list(self.allow_listed),
                "thresholds": dict(self.thresholds)}


def scores_on_arrays(arrays: GraphArrays, labels: np.ndarray, assigned: np.ndarray) -> pd.DataFrame:
    """Undirected degree, reach, community reach and participation (internal).

    ``labels[i]`` is node i's community (ignored where ``assigned`` is
    False); only edges to assigned nodes count.
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
        # weighted bincount is float64 (numpy's stub types every bincount as intp)
        sq: np.ndarray = np.bincount(owner, weights=cnt.astype(float) ** 2, minlength=n)
        au, av = u[keep], v[keep]
        inner = assigned[au] & assigned[av]
        k_active = len(np.unique(np.concatenate([labels[au[inner]], labels[av[inner]]])))
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


def _distinct_pairs(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    keep = src != dst
    key = np.unique(src[keep].astype(np.int64) * n + dst[keep])
    return key // n, key % n


def _unordered_pairs(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct unordered pairs ``(lo, hi)`` of directed pairs ``a[j] → b[j]`` (a talking pair either way)."""
    key = np.unique(np.minimum(a, b) * n + np.maximum(a, b))
    return key // n, key % n


def directed_scores(nodes: list[Hashable], src: np.ndarray, dst: np.ndarray, labels: np.ndarray,
                    assigned: np.ndarray) -> pd.DataFrame:
    """Caller and callee figures from directed talking pairs (internal).

    ``src[j] → dst[j]`` are node positions of client → server pairs
    (duplicates and self-pairs are ignored).  Only assigned (workload) peers
    count; AWS endpoints and other unassigned nodes are scored as servers.
    """
    n = len(nodes)
    a, b = _distinct_pairs(np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64), n)
    lab = np.asarray(labels, dtype=np.int64)
    n_assigned = int(assigned.sum())
    # communities with an internal pair (real first-pass communities)
    inner = assigned[a] & assigned[b] & (lab[a] == lab[b])
    k = len(np.unique(lab[a[inner]])) if inner.any() else 0
    kk = max(int(lab.max()) + 1 if n else 1, 1)

    def side(me: np.ndarray, peer: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ok = assigned[peer]
        me, peer = me[ok], peer[ok]
        count = np.bincount(me, minlength=n)
        other = ~assigned[me] | (lab[peer] != lab[me])
        key = np.unique(me[other] * kk + lab[peer[other]])
        comms = np.bincount(key // kk, minlength=n)
        return count, comms, np.bincount(me[other], minlength=n)

    callers, caller_comms, caller_cross = side(b, a)
    callees, callee_comms, _ = side(a, b)
    # how surprising are the cross-community callers, given the estate's own cross share?
    ww = assigned[a] & assigned[b]
    base = float((lab[a[ww]] != lab[b[ww]]).mean()) if ww.any() else 0.0
    if 0 < base < 1:
        pvalue = binom.sf(caller_cross - 1, callers, base)
    else:
        pvalue = np.where(caller_cross > 0, 0.0 if base == 0 else 1.0, 1.0)
    others = np.where(assigned, n_assigned - 1, n_assigned).astype(float)
    denom_k = np.where(assigned, k - 1, k).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        caller_reach = np.where(others > 0, callers / others, 0.0)
        callee_reach = np.where(others > 0, callees / others, 0.0)
        ccr = np.where(denom_k > 0, caller_comms / denom_k, 0.0)
        ecr = np.where(denom_k > 0, callee_comms / denom_k, 0.0)
    # talking pairs are unordered for the pair share
    plo, phi = _unordered_pairs(a, b, n)
    incident = np.bincount(plo, minlength=n) + np.bincount(phi, minlength=n)
    total = len(plo)
    return pd.DataFrame({
        "callers": callers.astype(int), "caller_reach": np.clip(caller_reach, 0, 1),
        "caller_community_reach": np.clip(ccr, 0, 1), "caller_cross": caller_cross.astype(int),
        "caller_pvalue": np.clip(pvalue, 0, 1), "callees": callees.astype(int),
        "callee_reach": np.clip(callee_reach, 0, 1), "callee_community_reach": np.clip(ecr, 0, 1),
        "pair_share": incident / total if total else np.zeros(n)},
        index=pd.Index(nodes, name="service")).assign(first_pass_communities=k, talking_pairs=total)


def shared_service_scores(G: nx.Graph, partition: Mapping[Hashable, int]) -> pd.DataFrame:
    """Caller, callee and undirected figures of every node of ``G``.

    ``G`` may be a :class:`networkx.DiGraph` (client → server edges) or an
    undirected graph (each edge counts both ways).  Nodes missing from
    ``partition`` (e.g. AWS endpoints) are scored but never counted as peers.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([(0, 1), (2, 3), (4, 5), (6, 7), (0, "idp"), (2, "idp"), (4, "idp"), (6, "idp")])
    >>> part = {0: 0, 1: 0, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 3, "idp": 0}
    >>> s = shared_service_scores(G, part)
    >>> int(s.loc["idp", "callers"]), float(s.loc["idp", "caller_community_reach"])
    (4, 1.0)
    >>> int(s.loc[0, "callers"]), int(s.loc[0, "callees"])
    (0, 2)
    """
    arrays, src, dst, labels, assigned = _inputs(G, partition)
    return _combined_scores(arrays, src, dst, labels, assigned)


def _inputs(G: nx.Graph, partition: Mapping[Hashable, int]
            ) -> tuple[GraphArrays, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arrays, directed pair positions, labels and workload mask of a networkx graph."""
    arrays = GraphArrays.from_networkx(G.to_undirected() if G.is_directed() else G, None)
    pos = {n: i for i, n in enumerate(arrays.nodes)}
    pairs = list(G.edges()) if G.is_directed() else [*G.edges(), *((b, a) for a, b in G.edges())]
    src = np.fromiter((pos[a] for a, _ in pairs), dtype=np.int64, count=len(pairs))
    dst = np.fromiter((pos[b] for _, b in pairs), dtype=np.int64, count=len(pairs))
    assigned = np.array([n in partition for n in arrays.nodes], dtype=bool)
    labels = np.array([int(partition[n]) if n in partition else 0 for n in arrays.nodes], dtype=np.int64)
    return arrays, src, dst, labels, assigned


def _combined_scores(arrays: GraphArrays, src: np.ndarray, dst: np.ndarray, labels: np.ndarray,
                     assigned: np.ndarray) -> pd.DataFrame:
    und = scores_on_arrays(arrays, labels, assigned).drop(columns="first_pass_communities")
    d = directed_scores(list(arrays.nodes), src, dst, labels, assigned)
    return pd.concat([d, und], axis=1)


def classify_shared(scores: pd.DataFrame, src: np.ndarray, dst: np.ndarray, labels: np.ndarray, *,
                    allow_list: Iterable[str] = (), aws_services: Iterable[str] = (),
                    detect: bool = True, thresholds: Thresholds | None = None) -> SharedZone:
    """Apply the rules of the module documentation to precomputed scores (internal).

    ``src``/``dst`` are the directed talking pairs (positions in
    ``scores.index``) and ``labels`` the first-pass communities, used to
    bound the zone by the talking pairs it absorbs.
    """
    t = thresholds or Thresholds()
    allow = [str(a) for a in allow_list]
    names = [str(x) for x in scores.index]
    n = len(names)
    present = set(names)
    allow_listed = sorted(a for a in dict.fromkeys(allow) if a in present)
    missing = sorted(a for a in dict.fromkeys(allow) if a not in present)
    aws = {str(a) for a in aws_services}
    workload = scores["assigned"].to_numpy(dtype=bool)
    k_first = int(scores["first_pass_communities"].iloc[0]) if n else 0
    # unordered talking pairs, for the bound
    a, b = _distinct_pairs(np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64), max(n, 1))
    plo, phi = _unordered_pairs(a, b, max(n, 1))
    lab = np.asarray(labels, dtype=np.int64)
    total = len(plo)
    cross = workload[plo] & workload[phi] & (lab[plo] != lab[phi]) if total else np.zeros(0, dtype=bool)
    in_zone = np.zeros(n, dtype=bool)
    reasons: dict[int, list[str]] = {}
    for i, name in enumerate(names):
        r = []
        if name in aws:
            r.append("AWS service endpoint")
        if name in allow_listed:
            r.append("allow-list")
        if r:
            reasons[i] = r
            in_zone[i] = True
    capped: list[str] = []
    if detect and n:
        callers = scores["callers"].to_numpy()
        creach = scores["caller_reach"].to_numpy()
        ccr = scores["caller_community_reach"].to_numpy()
        typical = float(np.median(callers[workload])) if workload.any() else 0.0
        by_reach = (creach >= t.shared_reach) & (callers > t.shared_caller_factor * typical)
        by_comm = ((k_first >= t.shared_min_communities) & (ccr >= t.shared_community_reach)
                   & (scores["caller_pvalue"].to_numpy() < t.shared_alpha))
        cand = np.flatnonzero(workload & ~in_zone & (callers >= t.shared_min_callers) & (by_reach | by_comm))
        order = sorted(cand.tolist(), key=lambda i: (-ccr[i], -callers[i], names[i]))
        absorbed = in_zone[plo] | in_zone[phi] if total else np.zeros(0, dtype=bool)
        limit = t.max_shared_pair_share * total
        for i in order:
            grow = absorbed | (plo == i) | (phi == i)
            if int(grow.sum()) > limit:
                capped.append(names[i])
                continue
            absorbed = grow
            in_zone[i] = True
            why = []
            if by_comm[i]:
                why.append(f"called from {ccr[i]:.0%} of the other {max(k_first - 1, 0)} first-pass "
                           f"communities (≥ {t.shared_community_reach:.0%}), more cross-community callers "
                           f"than the estate's own cross share explains (p = "
                           f"{float(scores['caller_pvalue'].iloc[i]):.1e})")
            if by_reach[i]:
                why.append(f"called by {creach[i]:.0%} of workloads (≥ {t.shared_reach:.0%}; the median "
                           f"workload has {typical:g} callers)")
            reasons[i] = [f"{int(callers[i])} distinct callers; " + " and ".join(why)]
    absorbed = in_zone[plo] | in_zone[phi] if total else np.zeros(0, dtype=bool)
    pair_share = float(absorbed.sum() / total) if total else 0.0
    n_cross = int(cross.sum())
    cross_share = float((absorbed & cross).sum() / n_cross) if n_cross else 0.0
    entries = []
    for i in sorted(reasons, key=lambda i: (-float(scores["caller_reach"].iloc[i]), names[i])):
        row = scores.iloc[i]
        entries.append(SharedService(
            names[i], "; ".join(reasons[i]), int(row["callers"]), float(row["caller_reach"]),
            float(row["caller_community_reach"]), float(row["pair_share"]), float(row["reach"]),
            float(row["community_reach"]), float(row["participation"]), int(row["degree"])))
    n_work = int(workload.sum())
    zone_work = int((in_zone & workload).sum())
    th = {f: getattr(t, f) for f in SHARED_THRESHOLD_FIELDS}
    th["detect"] = bool(detect)
    return SharedZone(entries=entries, share_of_services=zone_work / n_work if n_work else 0.0,
                      workloads=n_work, allow_listed=allow_listed, allow_list_missing=missing,
                      thresholds=th, first_pass_communities=k_first, pair_share=pair_share,
                      cross_pair_share=cross_share, talking_pairs=total, capped=capped, scores=scores)


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
    G : networkx.DiGraph or networkx.Graph
        Client → server graph of workloads (plus, optionally, AWS
        endpoints); an undirected graph counts every edge both ways.
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
    An identity provider called from every team is shared; an orchestrator
    calling into every team is not:

    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> for t in range(8):
    ...     team = [f"t{t}-{i}" for i in range(4)]
    ...     G.add_edges_from((a, b) for a in team for b in team if a < b)
    ...     G.add_edge(team[0], "idp")
    ...     G.add_edge("orchestrator", team[1])
    >>> G.add_edge("t0-3", "orchestrator")
    >>> part = {n: int(n[1]) if n.startswith("t") else 0 for n in G}
    >>> zone = detect_shared_services(G, part)
    >>> zone.services, round(zone.pair_share, 3)
    (['idp'], 0.123)
    """
    arrays, src, dst, labels, assigned = _inputs(G, partition)
    scores = _combined_scores(arrays, src, dst, labels, assigned)
    return classify_shared(scores, src, dst, labels, allow_list=allow_list, aws_services=aws_services,
                           detect=detect, thresholds=thresholds)
