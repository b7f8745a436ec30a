"""Is the community structure real?  Degree-preserving rewiring and z-scores.

Random graphs have high modularity (Guimerà, Sales-Pardo & Amaral 2004): a
structureless estate with mean degree 8 still yields Q ≈ 0.33 and μ ≈ 0.5.
The test therefore runs the *same* detection pipeline on ``n_null`` rewired
copies of the graph that keep every service's degree exactly (configuration
model by double-edge swaps) and compares:

* ``z_Q = (Q_obs − mean Q_null) / sd Q_null``, empirical
  ``p = (1 + #{Q_null ≥ Q_obs}) / (n_null + 1)``;
* ``z_μ = (mean μ_null − μ_obs) / sd μ_null``, ``p = (1 + #{μ_null ≤ μ_obs}) / (n_null + 1)``.

"Same pipeline" means the same algorithm, resolution and weight, the
shared-service zone already carved out, disconnected communities split,
and the best modularity of ``n_seeds`` seeds (default 3) — applied to the
observed graph as well, so observed and null values are like for like.

Rewiring is vectorised: every round pairs up random disjoint edges
``(a, b), (c, d)`` and proposes ``(a, d), (c, b)`` (or ``(a, c), (b, d)``,
chosen at random); a proposal is rejected if it would create a self-loop,
an edge that already exists, or an edge another proposal of the same round
also creates.  Rounds repeat until ``swaps_per_edge × m`` swaps (default
10 m) have succeeded.  Weights stay with their edge slots, so a weighted
null keeps the weight distribution.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from flowgraph._arrays import GraphArrays, best_index, cross_ratio_of
from flowgraph._parallel import Workers, parallel_map
from flowgraph._random import resolved, seeded
from flowgraph.communities.detect import DEFAULT_ALGORITHM, check_algorithm, run_once
from flowgraph.communities.stability import run_many, seeds_from
from flowgraph.exceptions import ConfigError

__all__ = [
    "RewireStats",
    "NullModelResult",
    "rewire_edge_arrays",
    "degree_preserving_rewire",
    "null_model_test",
]


@dataclass(frozen=True)
class RewireStats:
    """What a rewiring did: swaps done, target, rounds, proposals."""

    swaps: int
    target: int
    rounds: int
    proposals: int


def _isin_sorted(x: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    if len(sorted_keys) == 0:
        return np.zeros(len(x), dtype=bool)
    idx = np.searchsorted(sorted_keys, x)
    idx[idx == len(sorted_keys)] = 0
    return sorted_keys[idx] == x


def rewire_edge_arrays(
    u: np.ndarray,
    v: np.ndarray,
    *,
    swaps_per_edge: float = 10.0,
    seed: int | np.random.SeedSequence | None = 0,
    max_rounds: int | None = None,
) -> tuple[np.ndarray, np.ndarray, RewireStats]:
    """Degree-preserving double-edge swaps on a simple undirected edge list.

    Parameters
    ----------
    u, v : numpy.ndarray
        Integer end points of the edges (no self-loops, no duplicate edges).
    swaps_per_edge : float
        Target number of successful swaps per edge (default 10).
    seed : int or numpy.random.SeedSequence
        Random seed.
    max_rounds : int, optional
        Safety limit on the number of rounds (default ``max(200, 60 ×
        swaps_per_edge)``); rewiring also stops after 20 consecutive rounds
        without a successful swap (e.g. a star or a complete graph).

    Returns
    -------
    (u, v, stats)
        New end-point arrays (edge slot *e* keeps its position, so weights
        indexed by slot follow the rewired edge) and :class:`RewireStats`.

    Examples
    --------
    >>> import numpy as np
    >>> u = np.array([0, 2, 4, 6, 0, 1]); v = np.array([1, 3, 5, 7, 2, 4])
    >>> u2, v2, st = rewire_edge_arrays(u, v, seed=1)
    >>> sorted(np.bincount(np.r_[u2, v2]).tolist()) == sorted(np.bincount(np.r_[u, v]).tolist())
    True
    >>> st.swaps >= st.target
    True
    """
    u = np.asarray(u, dtype=np.int64).copy()
    v = np.asarray(v, dtype=np.int64).copy()
    m = len(u)
    target = int(round(swaps_per_edge * m))
    if m < 2 or target <= 0:
        return u, v, RewireStats(0, target, 0, 0)
    if np.any(u == v):
        raise ValueError("rewiring needs a graph without self-loops")
    rng = np.random.default_rng(seed)
    N = int(max(u.max(), v.max())) + 1

    def keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.minimum(a, b) * N + np.maximum(a, b)

    current = np.sort(keys(u, v))
    if np.any(current[1:] == current[:-1]):
        raise ValueError("rewiring needs a graph without duplicate edges")
    limit = max(200, int(60 * swaps_per_edge)) if max_rounds is None else int(max_rounds)
    done = rounds = proposals = idle = 0
    half = m // 2
    while done < target and rounds < limit and idle < 20:
        rounds += 1
        perm = rng.permutation(m)
        k = half
        e1, e2 = perm[:k], perm[k:2 * k]
        a, b, c, d = u[e1], v[e1], u[e2], v[e2]
        flip = rng.random(k) < 0.5
        c, d = np.where(flip, d, c), np.where(flip, c, d)
        proposals += k
        k1, k2 = keys(a, d), keys(c, b)
        ok = (a != d) & (c != b) & (k1 != k2)
        ok &= ~_isin_sorted(k1, current) & ~_isin_sorted(k2, current)
        idx = np.flatnonzero(ok)
        if len(idx):
            new = np.concatenate([k1[idx], k2[idx]])
            _, inv, cnt = np.unique(new, return_inverse=True, return_counts=True)
            dup = cnt[inv] > 1
            ok[idx[dup[:len(idx)] | dup[len(idx):]]] = False
        # do not overshoot the target by more than one round's worth of need
        acc = np.flatnonzero(ok)
        need = target - done
        if len(acc) > need:
            acc = acc[:need]
        if len(acc) == 0:
            idle += 1
            continue
        idle = 0
        u[e1[acc]], v[e1[acc]] = a[acc], d[acc]
        u[e2[acc]], v[e2[acc]] = c[acc], b[acc]
        done += len(acc)
        current = np.sort(keys(u, v))
    return u, v, RewireStats(done, target, rounds, proposals)


@seeded()
def degree_preserving_rewire(G: nx.Graph, *, swaps_per_edge: float = 10.0, seed: int = 0,
                             weight: str | None = "weight") -> nx.Graph:
    """A rewired copy of ``G`` with every node's degree unchanged.

    Node attributes are kept; edge weights (``weight``) travel with their
    edge slots.  Self-loops are not allowed.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.random_regular_graph(4, 30, seed=2)
    >>> H = degree_preserving_rewire(G, seed=3)
    >>> dict(H.degree()) == dict(G.degree()), nx.number_of_selfloops(H)
    (True, 0)
    """
    arrays = GraphArrays.from_networkx(G, weight)
    u, v, _ = rewire_edge_arrays(arrays.u, arrays.v, swaps_per_edge=swaps_per_edge, seed=seed)
    H = nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    names = arrays.nodes
    if weight is None:
        H.add_edges_from((names[a], names[b]) for a, b in zip(u.tolist(), v.tolist(), strict=True))
    else:
        H.add_weighted_edges_from(
            ((names[a], names[b], x) for a, b, x in zip(u.tolist(), v.tolist(), arrays.w.tolist(), strict=True)),
            weight=weight)
    return H


def null_seed(seed: int | None, i: int) -> np.random.SeedSequence:
    """Independent rewiring seed of null graph ``i`` (internal)."""
    return np.random.SeedSequence([0 if seed is None else int(seed), 7919, i])


@dataclass
class NullModelResult:
    """Observed vs rewired modularity and μ.

    ``observed_*`` come from the same best-of-``n_seeds`` pipeline as the
    null values.  z-scores are ``None``-like (NaN) when fewer than two null
    graphs were run, ±inf when the null values do not vary.
    """

    n_null: int
    n_seeds: int
    algorithm: str
    resolution: float
    swaps_per_edge: float
    observed_modularity: float
    observed_cross_ratio: float
    null_modularity: list[float] = field(default_factory=list)
    null_cross_ratio: list[float] = field(default_factory=list)
    swaps: list[int] = field(default_factory=list, repr=False)

    @staticmethod
    def _z(diff: float, sd: float) -> float:
        if math.isnan(diff) or math.isnan(sd):
            return float("nan")
        if sd > 0:
            return diff / sd
        return float("nan") if diff == 0 else math.copysign(math.inf, diff)

    def _stats(self, values: list[float]) -> tuple[float, float]:
        arr = np.asarray([x for x in values if not math.isnan(x)], dtype=float)
        if len(arr) == 0:
            return float("nan"), float("nan")
        sd = float(arr.std(ddof=1)) if len(arr) > 1 else float("nan")
        return float(arr.mean()), sd

    @property
    def modularity_null_mean(self) -> float:
        return self._stats(self.null_modularity)[0]

    @property
    def modularity_null_sd(self) -> float:
        return self._stats(self.null_modularity)[1]

    @property
    def cross_ratio_null_mean(self) -> float:
        return self._stats(self.null_cross_ratio)[0]

    @property
    def cross_ratio_null_sd(self) -> float:
        return self._stats(self.null_cross_ratio)[1]

    @property
    def modularity_zscore(self) -> float:
        mean, sd = self._stats(self.null_modularity)
        return self._z(self.observed_modularity - mean, sd)

    @property
    def cross_ratio_zscore(self) -> float:
        mean, sd = self._stats(self.null_cross_ratio)
        return self._z(mean - self.observed_cross_ratio, sd)

    @property
    def modularity_pvalue(self) -> float:
        if not self.null_modularity:
            return float("nan")
        hits = sum(1 for q in self.null_modularity if q >= self.observed_modularity)
        return (1 + hits) / (len(self.null_modularity) + 1)

    @property
    def cross_ratio_pvalue(self) -> float:
        if not self.null_cross_ratio:
            return float("nan")
        hits = sum(1 for x in self.null_cross_ratio if x <= self.observed_cross_ratio)
        return (1 + hits) / (len(self.null_cross_ratio) + 1)

    def to_dict(self) -> dict[str, Any]:
        """``{"rewirings", "modularity", "cross_ratio", "observed_modularity", "observed_cross_ratio"}``."""
        return {"rewirings": self.n_null, "modularity": list(self.null_modularity),
                "cross_ratio": list(self.null_cross_ratio),
                "observed_modularity": self.observed_modularity,
                "observed_cross_ratio": self.observed_cross_ratio}


def _null_task(arrays: GraphArrays, item: tuple[int, str, float, list, float, int | None]) -> tuple[float, float, int]:
    i, algorithm, resolution, seeds, swaps_per_edge, base_seed = item
    _ = arrays.rank  # computed once per process, shared with every rewired copy
    u, v, st = rewire_edge_arrays(arrays.u, arrays.v, swaps_per_edge=swaps_per_edge,
                                  seed=null_seed(base_seed, i))
    g = arrays.with_edges(u, v)
    runs = [run_once(g, algorithm, resolution, s) for s in seeds]
    best = runs[best_index([r.modularity for r in runs])]
    return best.modularity, cross_ratio_of(g, best.labels), st.swaps


def null_on_arrays(arrays: GraphArrays, *, n_null: int, algorithm: str, resolution: float,
                   seed: int, n_seeds: int = 3, swaps_per_edge: float = 10.0,
                   n_jobs: int | Workers | None = 1, progress: Callable[[str, int, int], None] | None = None,
                   step: str = "null-model", cache: dict | None = None) -> NullModelResult:
    """:func:`null_model_test` on prepared arrays (internal)."""
    if n_null < 0:
        raise ConfigError(f"n_null must be ≥ 0, not {n_null}")
    if n_seeds < 1:
        raise ConfigError(f"the null model needs at least one seed per graph, not {n_seeds}")
    seeds = seeds_from(seed, n_seeds)
    obs = run_many(arrays, algorithm, [(resolution, s) for s in seeds], cache=cache)
    best = obs[best_index([r.modularity for r in obs])]
    result = NullModelResult(n_null=n_null, n_seeds=n_seeds, algorithm=algorithm,
                             resolution=float(resolution), swaps_per_edge=swaps_per_edge,
                             observed_modularity=best.modularity,
                             observed_cross_ratio=cross_ratio_of(arrays, best.labels))
    if n_null == 0:
        return result
    loops = np.flatnonzero(arrays.u == arrays.v)
    base = arrays if len(loops) == 0 else GraphArrays(
        arrays.nodes, np.delete(arrays.u, loops), np.delete(arrays.v, loops), np.delete(arrays.w, loops))
    cb = None if progress is None else (lambda d, t: progress(step, d, t))
    items = [(i, algorithm, float(resolution), seeds, swaps_per_edge, seed) for i in range(n_null)]
    for q, mu, swaps in parallel_map(_null_task, items, shared=base, n_jobs=n_jobs, progress=cb):
        result.null_modularity.append(q)
        result.null_cross_ratio.append(mu)
        result.swaps.append(swaps)
    return result


@seeded()
def null_model_test(
    G: nx.Graph,
    *,
    n_null: int = 50,
    algorithm: str = DEFAULT_ALGORITHM,
    resolution: float = 1.0,
    seed: int | None = 0,
    weight: str | None = "weight",
    n_seeds: int = 3,
    swaps_per_edge: float = 10.0,
    n_jobs: int | None = 1,
    progress: Callable[[str, int, int], None] | None = None,
) -> NullModelResult:
    """Compare modularity and μ with ``n_null`` degree-preserving rewirings of ``G``.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph, already without the shared-service zone.
    n_null : int
        Number of rewired graphs (default 50).
    algorithm, resolution, weight
        Detection settings, identical for the observed and the null graphs.
    seed : int
        Seeds rewiring (null graph *i* uses ``SeedSequence([seed, 7919, i])``)
        and detection (``seed … seed + n_seeds − 1``).
    n_seeds : int
        Detection runs per graph; the best modularity is kept (default 3).
    swaps_per_edge : float
        Successful swaps per edge (default 10).

    Returns
    -------
    NullModelResult

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.planted_partition_graph(4, 20, 0.5, 0.02, seed=1)
    >>> res = null_model_test(G, n_null=10)
    >>> res.modularity_zscore > 10, res.modularity_pvalue
    (True, 0.0909...)
    """
    check_algorithm(algorithm)
    arrays = GraphArrays.from_networkx(G, weight)
    return null_on_arrays(arrays, n_null=n_null, algorithm=algorithm, resolution=resolution,
                          seed=resolved(seed), n_seeds=n_seeds, swaps_per_edge=swaps_per_edge,
                          n_jobs=n_jobs, progress=progress)
