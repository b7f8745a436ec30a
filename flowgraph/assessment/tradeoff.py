"""What zones isolate and what they cost: the curve the verdict is read from.

Segmentation trades *isolation* (service pairs that can no longer talk)
against *exceptions* (talking pairs that cross a zone boundary and must be
named).  For a family of candidate zonings — the best Leiden modularity
partition at each resolution γ of a grid that starts at 0.25 and is
extended (×2, up to :data:`MAX_RESOLUTION`) until the number of zones stops
changing, which sidesteps the resolution limit of modularity at any single
γ (Fortunato & Barthélemy 2007) — :func:`tradeoff_on_arrays` measures:

``isolation`` *I*
    1 − reachable pairs / all pairs, over the *N* = zoned workloads + shared
    services.  Reachable under the zone policy: pairs inside one zone, every
    pair with a shared service (the shared zone is reachable from every
    zone), and every cross-zone talking pair (an exception allows exactly
    that pair).  *I* = 0 for one zone; *I* → 1 − 1/K for K equal zones
    with few exceptions.
``mu``, ``rho``
    Share of talking pairs crossing zones; ρ = μ / (1 − μ) exceptions per
    local connection.
``largest_zone_share`` *L*
    The largest zone's share of the zoned workloads.
``all_weak``
    Every zone keeps more of its members' pairs inside than it sends out
    (Radicchi et al. 2004, weak sense).

A candidate is **eligible** when it has at least two zones, positive
modularity at γ = 1, and *I* ≥ ``min_isolation`` (0.25, a policy choice: a
zoning that leaves three quarters of the estate mutually reachable
isolates little).  :func:`choose_operating` takes the eligible candidate at
γ = 1 (otherwise the nearest eligible γ), then moves to the finest eligible
candidate at γ ≥ that one whose zones are all weak and whose μ band is no
worse — finer zones for free.  Failing that, when the base zoning is not
on a *plateau* (no neighbouring γ of the grid gives as many zones with an
ARI of at least ``plateau_ari``) it moves to the first finer eligible zoning
that is, if that costs at most ``plateau_mu_slack`` more μ and stays in
the base's μ band — a zoning that persists over a range of resolutions
rather than one γ's compromise (Arenas, Fernández & Gómez 2008; Traag,
Krings & Van Dooren 2013).  No eligible candidate means no zoning
isolates anything: ``infeasible``.

The same grid on degree-preserving rewirings of the graph gives the *null
band* (what degrees alone produce), and an edge bootstrap at the chosen γ
gives intervals for μ, ρ and *I* (:func:`bootstrap_on_arrays`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from flowgraph._arrays import GraphArrays, best_index, modularity_of
from flowgraph._parallel import parallel_map
from flowgraph._random import resolved, seeded
from flowgraph.communities.detect import check_algorithm, run_once
from flowgraph.communities.stability import adjusted_rand, run_many, seeds_from
from flowgraph.graph.windows import TimeWindows

from .nullmodel import null_seed, rewire_edge_arrays
from .verdict import Thresholds, band_of

__all__ = ["TRADEOFF_RESOLUTIONS", "MAX_RESOLUTION", "Candidate", "TradeOff", "Uncertainty",
           "isolation_of", "tradeoff_curve", "choose_operating"]

TRADEOFF_RESOLUTIONS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
"""Base resolution grid of the trade-off curve (extended while the partition keeps changing)."""

MAX_RESOLUTION = 1024.0
"""The grid is never extended beyond this γ."""

Progress = Callable[[str, int, int], None]


def isolation_of(arrays: GraphArrays, labels: np.ndarray, n_shared: int = 0) -> float:
    """Share of service pairs the zones make unreachable, net of exceptions and the shared zone.

    ``arrays`` holds the distinct talking pairs among the zoned workloads,
    ``labels`` their zones, ``n_shared`` the size of the shared zone.

    Examples
    --------
    >>> import numpy as np
    >>> g = GraphArrays(list("abcdef"), np.array([0, 1, 3, 4, 2]), np.array([1, 2, 4, 5, 3]))
    >>> isolation_of(g, np.array([0, 0, 0, 1, 1, 1]))      # 15 pairs: 3 + 3 inside, 1 exception
    0.5333333333333333
    >>> isolation_of(g, np.zeros(6, dtype=int))
    0.0
    """
    n = arrays.n + int(n_shared)
    total = n * (n - 1) / 2.0
    if total <= 0:
        return float("nan")
    size = np.bincount(labels).astype(np.float64) if len(labels) else np.zeros(0)
    inside = float((size * (size - 1) / 2.0).sum())
    s = float(n_shared)
    shared = s * (n - s) + s * (s - 1) / 2.0
    u, v = arrays.u, arrays.v
    cross = (labels[u] != labels[v]) & (u != v)
    if cross.any():
        lo, hi = np.minimum(u[cross], v[cross]), np.maximum(u[cross], v[cross])
        exceptions = float(len(np.unique(lo * max(arrays.n, 1) + hi)))
    else:
        exceptions = 0.0
    return float(max(0.0, 1.0 - (inside + shared + exceptions) / total))


@dataclass
class Candidate:
    """One candidate zoning on the trade-off curve."""

    resolution: float
    communities: int
    mu: float
    rho: float
    isolation: float
    largest_zone_share: float
    modularity: float            # at γ = 1, whatever the candidate's γ
    all_weak: bool
    eligible: bool
    why_not: str = ""
    chosen: bool = False
    labels: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.int64))
    neighbour_ari: float = math.nan  # highest ARI with an adjacent γ's zoning of as many zones

    def to_dict(self) -> dict[str, Any]:
        return {"resolution": self.resolution, "communities": self.communities, "mu": self.mu,
                "rho": self.rho, "isolation": self.isolation,
                "largest_zone_share": self.largest_zone_share, "modularity": self.modularity,
                "all_weak": self.all_weak, "eligible": self.eligible, "why_not": self.why_not,
                "chosen": self.chosen, "neighbour_ari": self.neighbour_ari}


def _rho(mu: float) -> float:
    return math.inf if mu >= 1 else (math.nan if math.isnan(mu) else mu / (1 - mu))


def candidate_of(arrays: GraphArrays, labels: np.ndarray, resolution: float, n_shared: int,
                 thresholds: Thresholds) -> Candidate:
    """Figures of one zoning of ``arrays`` (binary, distinct pairs) (internal)."""
    k = int(labels.max()) + 1 if len(labels) else 0
    m = arrays.m
    u, v = arrays.u, arrays.v
    cross_mask = labels[u] != labels[v]
    mu = float(cross_mask.sum() / m) if m else math.nan
    size = np.bincount(labels, minlength=k)
    inside = np.bincount(labels[u[~cross_mask]], minlength=k) * 2.0
    out = np.bincount(labels[u[cross_mask]], minlength=k) + np.bincount(labels[v[cross_mask]], minlength=k)
    vol = inside + out
    real = vol > 0
    all_weak = bool(np.all(inside[real] > out[real])) if real.any() else False
    q1 = modularity_of(arrays, labels, 1.0, np.ones(m)) if m else math.nan
    iso = isolation_of(arrays, labels, n_shared)
    largest = float(size.max() / arrays.n) if arrays.n else math.nan
    why = []
    if k < 2:
        why.append("one zone")
    if not q1 > 0:
        why.append(f"modularity {q1:.3f} ≤ 0")
    if not iso >= thresholds.min_isolation:
        why.append(f"isolates {iso:.0%} < {thresholds.min_isolation:.0%} of pairs")
    return Candidate(resolution=float(resolution), communities=k, mu=mu, rho=_rho(mu), isolation=iso,
                     largest_zone_share=largest, modularity=q1, all_weak=all_weak, eligible=not why,
                     why_not="; ".join(why), labels=labels)


def neighbour_similarity(cands: Sequence[Candidate]) -> None:
    """Set every candidate's ``neighbour_ari`` (internal).

    That is its highest ARI with the zoning at an adjacent γ of the grid
    that has the same number of zones; NaN when neither neighbour has (or
    has no labels).  ``cands`` are ordered by resolution.

    Examples
    --------
    >>> c = lambda r, lab: Candidate(r, max(lab) + 1, 0.1, 0.1, 0.5, 0.5, 0.3, True, True,
    ...                              labels=np.array(lab))
    >>> cands = [c(1.0, [0, 0, 0, 0, 1, 1]), c(1.5, [0, 0, 0, 1, 1, 1]), c(2.0, [0, 0, 0, 1, 1, 1]),
    ...          c(3.0, [0, 0, 1, 1, 2, 2])]
    >>> neighbour_similarity(cands)
    >>> [round(x.neighbour_ari, 3) for x in cands]
    [0.324, 1.0, 1.0, nan]
    """
    for i, c in enumerate(cands):
        aris = [adjusted_rand(c.labels, cands[j].labels) for j in (i - 1, i + 1)
                if 0 <= j < len(cands) and cands[j].communities == c.communities
                and len(c.labels) and len(cands[j].labels) == len(c.labels)]
        c.neighbour_ari = max(aris) if aris else math.nan


def _band_index(mu: float, t: Thresholds) -> int:
    return ("feasible", "feasible_with_exceptions", "marginal", "infeasible").index(band_of(mu, t))


def choose_operating(cands: Sequence[Candidate], thresholds: Thresholds | None = None,
                     fixed: float | None = None) -> tuple[int | None, str]:
    """Index of the operating zoning on the curve and why (``None``: nothing is eligible).

    The base is the eligible candidate at γ = 1 (plain modularity), else the
    smallest eligible γ above 1, else the largest below 1.  It is refined to
    the candidate at a larger γ that isolates most (ties: the smaller γ)
    among those that are all-weak, isolate more than the base and sit in
    the base's μ band or a better one.  Without such a candidate, a base
    that is not on a plateau (no adjacent γ gives as many zones with ARI ≥
    ``plateau_ari``, see :func:`neighbour_similarity`) moves to
    the eligible candidate at the smallest larger γ that is on one, isolates
    more, costs at most ``plateau_mu_slack`` more μ and stays in the base's
    μ band.  A ``fixed`` resolution takes the nearest candidate as is
    (eligible or not: the verdict then says so).

    Examples
    --------
    >>> c = lambda r, k, mu, iso, weak: Candidate(r, k, mu, mu / (1 - mu), iso, 0.2, 0.5, weak, True)
    >>> cands = [c(0.5, 3, 0.02, 0.6, True), c(1.0, 5, 0.05, 0.75, True), c(4.0, 9, 0.12, 0.85, True),
    ...          c(8.0, 20, 0.40, 0.9, False)]
    >>> choose_operating(cands)[0]
    2

    Zones that are not all weak: the base (γ = 1) changes with γ, the
    zoning at γ 1.5–2 does not, at 0.01 more μ.

    >>> cands = [c(0.75, 12, 0.55, 0.88, False), c(1.0, 20, 0.59, 0.93, False),
    ...          c(1.5, 24, 0.60, 0.935, False), c(2.0, 24, 0.60, 0.935, False), c(3.0, 27, 0.61, 0.94, False)]
    >>> for x, ari in zip(cands, [0.7, 0.8, 0.99, 0.99, 0.9]):
    ...     x.neighbour_ari = ari
    >>> i, why = choose_operating(cands)
    >>> cands[i].resolution, why.split("; ")[1]
    (1.5, 'moved to the plateau at γ = 1.5: 24 zones, ARI 0.99 with a neighbouring γ, μ +0.010')
    """
    t = thresholds or Thresholds()
    if fixed is not None:
        i = min(range(len(cands)), key=lambda j: abs(cands[j].resolution - fixed))
        return i, f"resolution fixed by the caller (γ = {cands[i].resolution:g})"
    ok = [i for i, c in enumerate(cands) if c.eligible]
    if not ok:
        return None, "no candidate zoning isolates anything"
    at_one = [i for i in ok if math.isclose(cands[i].resolution, 1.0)]
    above = [i for i in ok if cands[i].resolution > 1.0]
    base = at_one[0] if at_one else (min(above, key=lambda i: cands[i].resolution) if above
                                     else max(ok, key=lambda i: cands[i].resolution))
    b = cands[base]
    why = f"modularity zoning at γ = {b.resolution:g} ({b.communities} zones, isolation {b.isolation:.0%})"
    limit = _band_index(b.mu, t)
    finer = [i for i in ok if cands[i].resolution > b.resolution and cands[i].all_weak
             and _band_index(cands[i].mu, t) <= limit and cands[i].isolation > b.isolation]
    if finer:
        pick = max(finer, key=lambda i: (cands[i].isolation, -cands[i].resolution))
        p = cands[pick]
        return pick, (why + f"; refined to γ = {p.resolution:g}: {p.communities} zones, every one weak, "
                      f"isolation {p.isolation:.0%} in the same μ band")

    def on_plateau(c: Candidate) -> bool:
        return bool(c.neighbour_ari >= t.plateau_ari)      # NaN: no neighbour, no plateau

    if not on_plateau(b):
        plateau = [i for i in ok if cands[i].resolution > b.resolution and on_plateau(cands[i])
                   and cands[i].isolation > b.isolation and cands[i].mu <= b.mu + t.plateau_mu_slack
                   and _band_index(cands[i].mu, t) <= limit]
        if plateau:
            pick = min(plateau, key=lambda i: cands[i].resolution)
            p = cands[pick]
            return pick, (why + f"; moved to the plateau at γ = {p.resolution:g}: {p.communities} zones, "
                          f"ARI {p.neighbour_ari:.2f} with a neighbouring γ, μ {p.mu - b.mu:+.3f}")
    return base, why


@dataclass
class TradeOff:
    """The trade-off curve, its null band and the operating point.

    ``candidates`` are ordered by resolution; ``null_band`` has, per
    resolution, the median and range of isolation and ρ over the rewired
    graphs.
    """

    candidates: list[Candidate]
    chosen: int | None
    choice: str
    n_shared: int
    algorithm: str
    n_seeds: int
    null_band: list[dict[str, Any]] = field(default_factory=list)
    n_null: int = 0

    @property
    def operating(self) -> Candidate | None:
        return None if self.chosen is None else self.candidates[self.chosen]

    @property
    def resolutions(self) -> list[float]:
        return [c.resolution for c in self.candidates]

    def frame(self) -> pd.DataFrame:
        """The curve as a table (one row per resolution)."""
        return pd.DataFrame([c.to_dict() for c in self.candidates]).set_index("resolution")

    def to_dict(self) -> dict[str, Any]:
        return {"candidates": [c.to_dict() for c in self.candidates],
                "chosen_resolution": None if self.operating is None else self.operating.resolution,
                "choice": self.choice, "n_shared": self.n_shared, "algorithm": self.algorithm,
                "n_seeds": self.n_seeds, "null_band": self.null_band, "n_null": self.n_null}

    def _repr_html_(self) -> str:
        return self.frame().drop(columns=["why_not"]).to_html(float_format=lambda x: f"{x:.3f}")


def _grid_runs(arrays: GraphArrays, algorithm: str, grid: list[float], seeds: list[int], *,
               n_jobs: Any, cache: dict | None, progress: Progress | None) -> dict[float, Any]:
    runs = run_many(arrays, algorithm, [(r, s) for r in grid for s in seeds], n_jobs=n_jobs,
                    progress=progress, step="trade-off", cache=cache)
    out = {}
    for i, r in enumerate(grid):
        rr = runs[i * len(seeds):(i + 1) * len(seeds)]
        out[r] = rr[best_index([x.modularity for x in rr])]
    return out


def _past_any_choice(mu: float, base_mu: float, t: Thresholds) -> bool:
    """Whether zonings at larger γ can no longer be the operating point.

    Past the infeasible edge (μ ≥ ``mu_infeasible``) and more than the plateau slack
    above the base (the eligible zoning at γ = 1), a finer split is neither all-weak
    (a zoning whose every zone is weak has μ < 0.5) nor within ``plateau_mu_slack`` of
    the base, so :func:`choose_operating` cannot move to it: extending the grid beyond
    only costs runs (on LFR graphs it used to double γ up to 512).

    >>> _past_any_choice(0.62, 0.40, Thresholds()), _past_any_choice(0.45, 0.40, Thresholds())
    (True, False)
    """
    return mu >= t.mu_infeasible and mu > base_mu + t.plateau_mu_slack


def tradeoff_on_arrays(arrays: GraphArrays, *, n_shared: int, algorithm: str, seed: int,
                       n_seeds: int, thresholds: Thresholds,
                       resolutions: Sequence[float] = TRADEOFF_RESOLUTIONS,
                       fixed_resolution: float | None = None, extend: bool = True, n_jobs: Any = 1,
                       cache: dict | None = None, progress: Progress | None = None) -> TradeOff:
    """The curve on prepared arrays (detection weight in ``arrays.w``) (internal)."""
    grid = sorted({float(r) for r in resolutions} | ({float(fixed_resolution)} if fixed_resolution else set()))
    seeds = seeds_from(seed, n_seeds)
    best = _grid_runs(arrays, algorithm, grid, seeds, n_jobs=n_jobs, cache=cache, progress=progress)
    binary = arrays.with_edges(arrays.u, arrays.v, np.ones(arrays.m))
    cands = [candidate_of(binary, best[r].labels, r, n_shared, thresholds) for r in grid]
    at_one = [c for c in cands if math.isclose(c.resolution, 1.0) and c.eligible]
    while extend and len(grid) >= 2 and grid[-1] * 2 <= MAX_RESOLUTION and arrays.m:
        if best[grid[-1]].n_communities == best[grid[-2]].n_communities:
            break
        if at_one and _past_any_choice(cands[-1].mu, at_one[0].mu, thresholds):
            break
        r = grid[-1] * 2
        grid.append(r)
        best.update(_grid_runs(arrays, algorithm, [r], seeds, n_jobs=n_jobs, cache=cache, progress=progress))
        cands.append(candidate_of(binary, best[r].labels, r, n_shared, thresholds))
    neighbour_similarity(cands)
    chosen, why = choose_operating(cands, thresholds, fixed_resolution)
    if chosen is not None:
        cands[chosen].chosen = True
    return TradeOff(cands, chosen, why, n_shared, algorithm, n_seeds)


def _band_task(arrays: GraphArrays, item: tuple[int, str, list[float], int | None, float, int, Thresholds]
               ) -> list[tuple[float, float]]:
    i, algorithm, grid, seed, swaps, n_shared, t = item
    u, v, _ = rewire_edge_arrays(arrays.u, arrays.v, swaps_per_edge=swaps, seed=null_seed(seed, 10_000 + i))
    g = arrays.with_edges(u, v, np.ones(len(u)))
    out = []
    for r in grid:
        run = run_once(g, algorithm, r, None if seed is None else seed + i)
        c = candidate_of(g, run.labels, r, n_shared, t)
        out.append((c.isolation, c.rho))
    return out


def null_band_on_arrays(arrays: GraphArrays, tradeoff: TradeOff, *, n_null: int, seed: int | None,
                        swaps_per_edge: float, thresholds: Thresholds, n_jobs: Any = 1,
                        progress: Progress | None = None) -> None:
    """Fill ``tradeoff.null_band`` from ``n_null`` degree-preserving rewirings (internal)."""
    if n_null <= 0 or arrays.m < 2:
        return
    keep = arrays.u != arrays.v
    base = arrays if keep.all() else GraphArrays(arrays.nodes, arrays.u[keep], arrays.v[keep], arrays.w[keep])
    grid = tradeoff.resolutions
    items = [(i, tradeoff.algorithm, grid, seed, swaps_per_edge, tradeoff.n_shared, thresholds)
             for i in range(n_null)]
    cb = None if progress is None else (lambda d, n: progress("trade-off-null", d, n))
    res = np.array(parallel_map(_band_task, items, shared=base, n_jobs=n_jobs, progress=cb))  # (n, grid, 2)
    band = []
    for j, r in enumerate(grid):
        iso, rho = res[:, j, 0], res[:, j, 1]
        band.append({"resolution": r, "isolation_median": float(np.median(iso)),
                     "isolation_low": float(iso.min()), "isolation_high": float(iso.max()),
                     "rho_median": float(np.median(rho)), "rho_low": float(rho.min()),
                     "rho_high": float(rho.max())})
    tradeoff.null_band = band
    tradeoff.n_null = n_null


@dataclass
class Uncertainty:
    """Resampling intervals of μ, ρ and isolation at the operating resolution.

    ``mu_sampling`` is the interval of the operating zoning's cost when the
    talking pairs are resampled (the zoning held fixed: what enforcing *this*
    zoning costs); ``mu_redetected`` the interval of the cost of zonings
    re-detected on resampled data.  ``mu`` — the interval the verdict reads —
    spans both.
    """

    method: str
    n: int
    level: float
    mu: tuple[float, float]
    rho: tuple[float, float]
    isolation: tuple[float, float]
    communities: tuple[float, float]
    note: str = ""
    mu_sampling: tuple[float, float] = (math.nan, math.nan)
    mu_redetected: tuple[float, float] = (math.nan, math.nan)
    unit: str = "pairs"   # what was resampled: "windows" (time windows) or "pairs" (edge bootstrap)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "unit": self.unit, "n": self.n, "level": self.level, "mu": list(self.mu),
                "mu_sampling": list(self.mu_sampling), "mu_redetected": list(self.mu_redetected),
                "rho": list(self.rho), "isolation": list(self.isolation),
                "communities": list(self.communities), "note": self.note}


def window_weights(masks: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Replicate weight of each pair: the draws of its windows over its number of windows.

    ``masks`` are per-pair bit masks of the windows a pair was seen in, ``counts``
    how often each window was drawn (a multinomial bootstrap over windows, mean 1).
    A pair seen in every window keeps weight 1 whatever is drawn; one seen in a
    single window gets 0 when that window is not drawn.

    >>> window_weights(np.array([0b11, 0b01, 0b10], dtype=np.uint64), np.array([2, 0])).tolist()
    [1.0, 2.0, 0.0]
    """
    masks = np.asarray(masks, dtype=np.uint64)
    drawn = np.zeros(len(masks))
    seen = np.zeros(len(masks))
    for j, c in enumerate(np.asarray(counts)):
        bit = ((masks >> np.uint64(j)) & np.uint64(1)).astype(np.float64)
        drawn += c * bit
        seen += bit
    return np.divide(drawn, seen, out=np.zeros(len(masks)), where=seen > 0)


def _boot_task(arrays: GraphArrays, item: tuple[int, str, float, int, int, np.ndarray | None, int]
               ) -> tuple[float, float, float, float]:
    i, algorithm, resolution, seed, n_shared, fixed, n_windows = item
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 4241, i]))
    if algorithm in ("leiden", "leidenalg", "igraph-louvain"):
        arrays.to_igraph()                       # built once per worker; replicates copy it, new weights only
    if n_windows >= 2 and arrays.windows is not None:
        # time windows resampled with replacement: a pair seen only in windows not drawn drops out
        draw = np.full(n_windows, 1.0 / n_windows)
        weight = window_weights(arrays.windows, rng.multinomial(n_windows, draw))
        measure = window_weights(arrays.windows, rng.multinomial(n_windows, draw))
    else:
        weight = rng.exponential(1.0, arrays.m)      # Bayesian bootstrap: every pair kept, reweighted
        measure = rng.exponential(1.0, arrays.m)     # an independent draw to measure re-detected zones on
    g = arrays.with_edges(arrays.u, arrays.v, arrays.w * weight)
    lab = run_once(g, algorithm, resolution, seed + i).labels
    # re-detected zones are measured on the pairs whose two services the replicate saw
    seen = g.strength(weight) > 0
    both = seen[g.u] & seen[g.v]
    cross = lab[g.u] != lab[g.v]
    total = float(measure[both].sum())
    mu_redetected = float(measure[cross & both].sum() / total) if total > 0 else math.nan
    mu_fixed = math.nan
    if fixed is not None and weight.sum() > 0:
        fixed_cross = fixed[arrays.u] != fixed[arrays.v]
        mu_fixed = float(weight[fixed_cross].sum() / weight.sum())
    present = weight > 0
    iso = isolation_of(arrays.with_edges(arrays.u[present], arrays.v[present]), lab, n_shared)
    return mu_fixed, mu_redetected, iso, float(int(lab.max()) + 1 if len(lab) else 0)


def bootstrap_on_arrays(arrays: GraphArrays, *, algorithm: str, resolution: float, seed: int,
                        n_boot: int, n_shared: int, level: float = 0.90, n_jobs: Any = 1,
                        labels: np.ndarray | None = None, windows: TimeWindows | None = None,
                        progress: Progress | None = None) -> Uncertainty | None:
    """Resampling interval: time windows when ``windows`` allows, else an edge bootstrap (internal).

    With ``windows`` (``arrays.windows`` holds each pair's bit mask) the windows
    of the logs (days, or 6-hour windows in a short span) are drawn with
    replacement, the way a different stretch of the same length could have been
    observed: pairs seen in every window stay, pairs seen only in windows not
    drawn drop out.  Otherwise, a Bayesian edge bootstrap (Rubin 1981): Exp(1)
    weight per talking pair.

    Each replicate gives two costs: that of the operating zoning ``labels``
    under the replicate's weights (sampling uncertainty of the zoning that
    would be enforced), and that of zones re-detected on the replicate,
    measured on an independent draw of weights — measured on the weights
    they were fitted to, zones look cheaper than they are (on the sample
    estate that interval fell wholly below the observed μ).  A Poisson or
    multinomial bootstrap would drop about a third of the pairs, and
    re-detection on the sparser graph fits it better than the full graph;
    exponential weights keep every pair.
    """
    if n_boot < 2 or arrays.m < 2:
        return None
    fixed = None if labels is None else np.asarray(labels, dtype=np.int64)
    use = windows if windows is not None and arrays.windows is not None else None
    n_windows = use.count if use is not None else 0
    items = [(i, algorithm, float(resolution), seed, n_shared, fixed, n_windows) for i in range(n_boot)]
    cb = None if progress is None else (lambda d, n: progress("bootstrap", d, n))
    res = np.array(parallel_map(_boot_task, items, shared=arrays, n_jobs=n_jobs, progress=cb))
    a = (1 - level) / 2 * 100

    def interval(col: int) -> tuple[float, float]:
        vals = res[:, col]
        vals = vals[~np.isnan(vals)]
        if not len(vals):
            return (math.nan, math.nan)
        lo, hi = np.percentile(vals, [a, 100 - a])
        return (float(lo), float(hi))

    sampling, redetected = interval(0), interval(1)
    both = [v for v in (*sampling, *redetected) if not math.isnan(v)]
    mu = (min(both), max(both))
    if use is not None:
        method = (f"time-window bootstrap ({n_windows} windows of {use.label} drawn with replacement): "
                  "the operating zoning's cost, and that of zones re-detected on each replicate")
        note = (f"the logs span {n_windows} windows of {use.label}; a replicate keeps the pairs seen in "
                "the windows it draws")
    else:
        method = ("Bayesian edge bootstrap (Exp(1) weights per talking pair): the operating "
                  "zoning's cost, and that of zones re-detected on each replicate")
        note = ("the logs span too few time windows to resample them (or the graph carries no per-window "
                "activity); the bootstrap treats talking pairs as the sampling unit")
    return Uncertainty(method=method, n=n_boot, level=level, mu=mu, rho=(_rho(mu[0]), _rho(mu[1])),
                       isolation=interval(2), communities=interval(3),
                       mu_sampling=sampling, mu_redetected=redetected, note=note,
                       unit="windows" if n_windows else "pairs")


@seeded()
def tradeoff_curve(G: nx.Graph, *, n_shared: int = 0, algorithm: str = "leiden", seed: int | None = 0,
                   n_seeds: int = 3, resolutions: Sequence[float] = TRADEOFF_RESOLUTIONS,
                   thresholds: Thresholds | None = None, n_null: int = 0,
                   swaps_per_edge: float = 10.0) -> TradeOff:
    """Isolation against exceptions for candidate zonings of an undirected graph.

    Parameters
    ----------
    G : networkx.Graph
        Talking pairs between zoned workloads (shared services removed).
    n_shared : int
        Size of the shared zone (reachable from every zone).
    algorithm, seed, n_seeds
        Community detection per resolution (best modularity of ``n_seeds``).
    resolutions : sequence of float
        Base grid, extended ×2 while the number of zones keeps changing.
    n_null : int
        Degree-preserving rewirings for the null band (0: none).

    Examples
    --------
    A ring of 30 five-cliques: modularity at γ = 1 merges neighbouring
    cliques (the resolution limit); the curve refines to one zone per clique.

    >>> import networkx as nx
    >>> G = nx.ring_of_cliques(30, 5)
    >>> curve = tradeoff_curve(G, seed=0)
    >>> op = curve.operating
    >>> op.communities, round(op.mu, 3), round(op.isolation, 3)
    (30, 0.091, 0.97)
    """
    check_algorithm(algorithm)
    t = thresholds or Thresholds()
    arrays = GraphArrays.from_networkx(G, None)
    curve = tradeoff_on_arrays(arrays, n_shared=n_shared, algorithm=algorithm, seed=resolved(seed), n_seeds=n_seeds,
                               thresholds=t, resolutions=resolutions)
    null_band_on_arrays(arrays, curve, n_null=n_null, seed=seed, swaps_per_edge=swaps_per_edge, thresholds=t)
    return curve
