"""Thresholds and the verdict: can this estate be strictly segmented?

The verdict is read off the trade-off segmentation is about
(:mod:`flowgraph.assessment.tradeoff`): what a zoning *isolates* (the share
of service pairs that could no longer talk) against what it *costs* (μ, the
share of talking pairs that cross zones; ρ = μ / (1 − μ) exceptions per
local connection).  ``docs/metrics.md`` has the full table and reasoning.

Order of evaluation:

1. ``insufficient_data`` — the data cannot support any verdict: fewer than
   ``min_talking_pairs`` (40) talking pairs or ``min_services`` (10)
   services among the zoned workloads, time span < 6 h, direction
   unresolved for > 20 % of connections, unmapped traffic > 50 %.  What was
   found is still shown.
2. ``infeasible`` — no candidate zoning isolates anything (every candidate
   keeps one zone, has modularity ≤ 0, or isolates less than
   ``min_isolation`` of the service pairs), or the operating zoning has
   μ ≥ 0.5 (ρ ≥ 1: as many exceptions as local connections).
3. Otherwise the μ band: μ ≤ 0.2 → ``feasible``; ≤ 0.35 →
   ``feasible_with_exceptions``; < 0.5 → ``marginal``.
4. Cap: a zone that is not even weak-sense (sends out as much as it keeps)
   caps the verdict at ``feasible_with_exceptions``.

Significance against degree-preserving rewirings and stability across
seeds are *evidence*: they produce warnings, never a verdict.  When the
resampling interval of μ spans a band edge the verdict is *borderline*
and the reasons name both sides.

Each reason says whether it set or lowered the verdict (``effect="fail"``),
is a concern that did not change it (``"warn"``), or is context (``"info"``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from flowgraph.exceptions import ConfigError

__all__ = ["VERDICTS", "Thresholds", "Reason", "VerdictInputs", "decide_verdict", "band_of", "borderline_sides"]

VERDICTS: tuple[str, ...] = ("feasible", "feasible_with_exceptions", "marginal", "infeasible",
                             "insufficient_data")
"""Possible verdicts, best first (``insufficient_data`` is not a judgement of the estate)."""

_LEVELS = ("feasible", "feasible_with_exceptions", "marginal", "infeasible")


@dataclass(frozen=True)
class Thresholds:
    """Every threshold of shared-service detection and of the verdict.

    Examples
    --------
    >>> t = Thresholds()
    >>> t.mu_infeasible, t.rho_infeasible, t.min_isolation, t.min_talking_pairs
    (0.5, 1.0, 0.25, 40)
    >>> Thresholds(mu_feasible=0.25).mu_feasible
    0.25
    """

    # cross-community ratio μ bands (ρ = μ / (1 − μ)) — policy choices anchored at ρ = 1
    mu_feasible: float = 0.20           # μ ≤ → feasible band
    mu_exceptions: float = 0.35         # μ ≤ → feasible_with_exceptions band, above → marginal
    mu_infeasible: float = 0.50         # μ ≥ → infeasible (ρ ≥ 1)
    # what a zoning must isolate to count (policy choice)
    min_isolation: float = 0.25         # share of service pairs a zoning must make unreachable
    # refinement to a resolution plateau (policy choice, docs/metrics.md §5)
    plateau_ari: float = 0.95           # ARI with a neighbouring γ's zoning ≥ → the zoning is on a plateau
    plateau_mu_slack: float = 0.02      # a plateau zoning may cost at most this much more μ than the base
    warn_largest_zone: float = 0.50     # largest zone holds more than this share of workloads → warning
    # evidence (warnings, never the verdict)
    min_modularity_z: float = 3.0       # z_Q < → "could be an artefact of a few busy services"
    min_stability_ari: float = 0.5      # seed ARI < → warning
    stable_ari: float = 0.8             # seed ARI ≥ → "stable" (context)
    require_weak_for_feasible: bool = True  # a non-weak zone caps at feasible_with_exceptions
    concentration_warn: float = 0.8     # top-10 % zone pairs carry < this share → warning
    concentration_top_share: float = 0.10
    interval_level: float = 0.90        # resampling interval of μ, ρ and isolation
    # shared-service zone (direction-aware)
    shared_min_callers: int = 3         # distinct workload callers needed to be shared
    shared_reach: float = 0.30          # callers / other workloads ≥ → shared
    shared_caller_factor: float = 1.5   # …and more than this × the median callers of a workload
    shared_community_reach: float = 0.50  # other first-pass communities calling it ≥ → shared
    shared_min_communities: int = 3      # community rule only with ≥ this many first-pass communities
    shared_alpha: float = 0.001          # …and only when its cross-community callers are this surprising
    max_shared_pair_share: float = 0.75  # detection stops before the zone absorbs more of the talking pairs
    warn_shared_pair_share: float = 0.25  # zone absorbs more → warning
    warn_shared_share: float = 0.10     # zone holds more than this share of workloads → warning
    # data quality → insufficient_data
    min_time_span_seconds: float = 6 * 3600.0
    max_unresolved_direction_share: float = 0.20
    max_unmapped_share: float = 0.50
    warn_unmapped_share: float = 0.10   # more → partial_inventory warning (μ may be understated)
    min_services: int = 10
    min_talking_pairs: int = 40

    def __post_init__(self) -> None:
        if not 0 <= self.mu_feasible <= self.mu_exceptions <= self.mu_infeasible <= 1:
            raise ConfigError("thresholds must satisfy 0 ≤ mu_feasible ≤ mu_exceptions ≤ mu_infeasible ≤ 1")
        if not -1 <= self.min_stability_ari <= self.stable_ari <= 1:
            raise ConfigError("thresholds must satisfy min_stability_ari ≤ stable_ari ≤ 1")
        for name in ("min_isolation", "plateau_ari", "plateau_mu_slack", "warn_largest_zone", "shared_reach",
                     "shared_community_reach",
                     "shared_alpha",
                     "max_shared_pair_share", "warn_shared_pair_share", "warn_shared_share",
                     "max_unresolved_direction_share", "max_unmapped_share", "warn_unmapped_share",
                     "concentration_warn", "concentration_top_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"threshold {name} must be between 0 and 1")
        if not 0 < self.interval_level < 1:
            raise ConfigError("threshold interval_level must be strictly between 0 and 1")
        for name in ("shared_min_callers", "shared_min_communities", "min_services", "min_talking_pairs"):
            if getattr(self, name) < 0:
                raise ConfigError(f"threshold {name} must not be negative")

    @property
    def rho_infeasible(self) -> float:
        """ρ at the infeasibility anchor (1.0 for μ = 0.5)."""
        m = self.mu_infeasible
        return math.inf if m >= 1 else m / (1 - m)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thresholds:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown threshold(s): {', '.join(sorted(unknown))}")
        return cls(**data)


def band_of(mu: float, thresholds: Thresholds | None = None) -> str:
    """The verdict band of a cross-zone ratio μ alone.

    Examples
    --------
    >>> band_of(0.1), band_of(0.3), band_of(0.42), band_of(0.6)
    ('feasible', 'feasible_with_exceptions', 'marginal', 'infeasible')
    """
    t = thresholds or Thresholds()
    if mu <= t.mu_feasible:
        return "feasible"
    if mu <= t.mu_exceptions:
        return "feasible_with_exceptions"
    if mu < t.mu_infeasible:
        return "marginal"
    return "infeasible"


@dataclass(frozen=True)
class Reason:
    """One line of the verdict's explanation."""

    code: str
    message: str
    effect: str  # "fail" (set or lowered the verdict) | "warn" | "info"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "effect": self.effect}


@dataclass
class VerdictInputs:
    """The figures the verdict looks at (NaN = not measured).

    ``services`` and ``edges`` count the zoned workloads and their talking
    pairs; ``eligible`` says whether any candidate zoning isolated at least
    ``min_isolation`` (``no_zoning`` explains why not); ``mu_interval`` is
    the resampling interval of μ.
    """

    services: int
    edges: int
    communities: int
    mu: float
    isolation: float = math.nan
    largest_zone_share: float = math.nan
    eligible: bool = True
    no_zoning: str = ""
    mu_interval: tuple[float, float] | None = None
    modularity_z: float = math.nan
    stability_ari: float = math.nan
    shared_share: float = 0.0
    shared_pair_share: float = 0.0
    all_weak: bool = True
    weak_share: float = math.nan
    strong_share: float = math.nan
    concentration: float = math.nan
    split_communities: int = 0
    time_span_seconds: float | None = None
    unresolved_direction_share: float | None = None
    unmapped_share: float | None = None
    mu_unit: str = "edges"


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _num(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}f}"


def decide_verdict(x: VerdictInputs, thresholds: Thresholds | None = None) -> tuple[str, list[Reason]]:
    """Apply the thresholds to the figures; return the verdict and its reasons.

    Examples
    --------
    >>> v, reasons = decide_verdict(VerdictInputs(services=50, edges=200, communities=5, mu=0.12,
    ...                                           isolation=0.7, modularity_z=25.0, stability_ari=0.95))
    >>> v
    'feasible'
    >>> v, reasons = decide_verdict(VerdictInputs(services=50, edges=200, communities=5, mu=0.27,
    ...                                           isolation=0.6, modularity_z=0.4, stability_ari=0.7))
    >>> v, [r.code for r in reasons if r.effect != "info"]
    ('feasible_with_exceptions', ['cross_ratio_moderate', 'structure_not_beyond_degrees'])
    >>> decide_verdict(VerdictInputs(services=50, edges=200, communities=5, mu=0.55, isolation=0.6))[0]
    'infeasible'
    >>> decide_verdict(VerdictInputs(services=12, edges=25, communities=3, mu=0.1))[0]
    'insufficient_data'
    """
    t = thresholds or Thresholds()
    rho = x.mu / (1 - x.mu) if x.mu < 1 else math.inf
    unit = "talking pairs" if x.mu_unit == "edges" else x.mu_unit

    # 1. data quality and size -------------------------------------------------------------
    data: list[Reason] = []
    if x.services < t.min_services or x.edges < t.min_talking_pairs:
        data.append(Reason("too_small", f"{x.services} services and {x.edges} talking pairs are too few "
                           f"to tell zones from chance (at least {t.min_services} services and "
                           f"{t.min_talking_pairs} talking pairs are needed); what was found is shown "
                           "below", "fail"))
    if x.time_span_seconds is not None and x.time_span_seconds < t.min_time_span_seconds:
        data.append(Reason("short_time_span", f"the flow logs cover {x.time_span_seconds / 3600:.1f} h; "
                           f"at least {t.min_time_span_seconds / 3600:g} h are needed to see an estate's "
                           "regular traffic", "fail"))
    if x.unresolved_direction_share is not None and x.unresolved_direction_share > t.max_unresolved_direction_share:
        data.append(Reason("unresolved_direction", f"client/server direction unresolved for "
                           f"{_pct(x.unresolved_direction_share)} of connections "
                           f"(limit {_pct(t.max_unresolved_direction_share)})", "fail"))
    if x.unmapped_share is not None and x.unmapped_share > t.max_unmapped_share:
        data.append(Reason("unmapped_traffic", f"{_pct(x.unmapped_share)} of traffic could not be mapped "
                           f"to services (limit {_pct(t.max_unmapped_share)})", "fail"))
    partial: list[Reason] = []
    if x.unmapped_share is not None and t.warn_unmapped_share < x.unmapped_share <= t.max_unmapped_share:
        partial.append(Reason("partial_inventory", f"{_pct(x.unmapped_share)} of traffic has an end no "
                              "inventory entry names: those services are missing from the zones and μ may "
                              "be understated — pass a fuller inventory (CSV, describe-network-interfaces "
                              "with tags, or capture-time identity)", "warn"))

    # 2. infeasibility ------------------------------------------------------------------------
    hard: list[Reason] = []
    if not x.eligible:
        hard.append(Reason("no_isolating_zoning", "no zoning isolates anything: " + (
            x.no_zoning or f"every candidate partition keeps one zone or removes less than "
            f"{t.min_isolation:.0%} of the service pairs"), "fail"))
    if x.shared_pair_share > t.max_shared_pair_share:
        hard.append(Reason("shared_zone_too_large", f"the shared-services zone absorbs "
                           f"{_pct(x.shared_pair_share)} of talking pairs (limit "
                           f"{_pct(t.max_shared_pair_share)}): what is left to segment is the minority "
                           "of the traffic — shorten the allow-list", "fail"))
    if x.mu >= t.mu_infeasible:
        hard.append(Reason("cross_ratio_high", f"{_pct(x.mu)} of {unit} cross zone boundaries "
                           f"(μ = {_num(x.mu, 3)} ≥ {t.mu_infeasible:g}): {_num(rho)} exceptions per local "
                           "connection — a graph, not a tree", "fail"))

    # 3. μ band and cap -----------------------------------------------------------------------------
    soft: list[Reason] = []
    info: list[Reason] = []
    band = _LEVELS.index(band_of(x.mu, t))
    if band == 0:
        info.append(Reason("cross_ratio_low", f"{_pct(x.mu)} of {unit} cross zone boundaries "
                           f"(μ = {_num(x.mu, 3)} ≤ {t.mu_feasible:g}; {_num(rho)} exceptions per local "
                           "connection)", "info"))
    elif band == 1:
        soft.append(Reason("cross_ratio_moderate", f"{_pct(x.mu)} of {unit} cross zone boundaries "
                           f"(μ = {_num(x.mu, 3)}, between {t.mu_feasible:g} and {t.mu_exceptions:g}; "
                           f"{_num(rho)} exceptions per local connection)", "fail"))
    elif band == 2:
        soft.append(Reason("cross_ratio_marginal", f"{_pct(x.mu)} of {unit} cross zone boundaries "
                           f"(μ = {_num(x.mu, 3)}, between {t.mu_exceptions:g} and {t.mu_infeasible:g}; "
                           f"{_num(rho)} exceptions per local connection)", "fail"))
    level = band
    caps: list[Reason] = list(partial)
    if not x.all_weak:
        lowered = t.require_weak_for_feasible and level == 0
        level = 1 if lowered else level
        caps.append(Reason("not_all_weak", f"not every zone keeps more traffic inside than it sends "
                           f"out (weak-sense share {_pct(x.weak_share)})", "fail" if lowered else "warn"))
    if not math.isnan(x.isolation):
        info.append(Reason("isolation", f"the zones make {_pct(x.isolation)} of service pairs unreachable "
                           "(net of exceptions and the shared zone)", "info"))
    if not math.isnan(x.largest_zone_share) and x.largest_zone_share > t.warn_largest_zone:
        caps.append(Reason("dominant_zone", f"one zone holds {_pct(x.largest_zone_share)} of the zoned "
                           "services: inside it, segmentation isolates nothing", "warn"))

    # 4. evidence: significance, stability, the shared zone -----------------------------------
    if not math.isnan(x.modularity_z):
        if x.modularity_z < t.min_modularity_z:
            caps.append(Reason("structure_not_beyond_degrees", f"modularity is only {_num(x.modularity_z, 1)} "
                               "standard deviations above degree-preserving rewired graphs: the zones may be "
                               "an artefact of a few busy services (or of a tree-like estate, which is "
                               "segmentable for the same reason)", "warn"))
        else:
            info.append(Reason("significant", f"modularity is {_num(x.modularity_z, 1)} standard deviations "
                               "above degree-preserving rewired graphs", "info"))
    if not math.isnan(x.stability_ari):
        if x.stability_ari < t.min_stability_ari:
            caps.append(Reason("unstable", f"different random seeds draw different zones (mean pairwise ARI "
                               f"{_num(x.stability_ari, 3)} < {t.min_stability_ari:g}): several zonings are "
                               "about equally good", "warn"))
        elif x.stability_ari >= t.stable_ari:
            info.append(Reason("stable", f"zones are stable across seeds (mean pairwise ARI "
                               f"{_num(x.stability_ari, 3)})", "info"))
    if x.shared_pair_share > t.warn_shared_pair_share:
        caps.append(Reason("shared_zone_large", f"the shared-services zone absorbs {_pct(x.shared_pair_share)} "
                           f"of talking pairs (above {_pct(t.warn_shared_pair_share)})", "warn"))
    elif x.shared_share > t.warn_shared_share:
        caps.append(Reason("shared_zone_large", f"the shared-services zone holds {_pct(x.shared_share)} "
                           f"of workloads (above {_pct(t.warn_shared_share)})", "warn"))
    if x.mu > t.mu_feasible and not math.isnan(x.concentration) and x.concentration < t.concentration_warn:
        caps.append(Reason("exceptions_scattered", f"the top {t.concentration_top_share:.0%} of zone "
                           f"pairs carry only {_pct(x.concentration)} of the exceptions: the rule list will "
                           "be long and spread out", "warn"))
    if x.split_communities:
        info.append(Reason("split_communities", f"{x.split_communities} detected communities were not "
                           "connected and were split into their connected parts", "info"))
    if not math.isnan(x.strong_share):
        info.append(Reason("strong_communities", f"{_pct(x.strong_share)} of zones are strong "
                           "(every member talks more inside than outside)", "info"))

    # assemble ---------------------------------------------------------------------------------
    def demote(rs: list[Reason]) -> list[Reason]:
        return [Reason(r.code, r.message, "warn") if r.effect == "fail" else r for r in rs]

    if data:
        return "insufficient_data", data + demote(hard) + demote(soft) + demote(caps) + info
    if hard:
        verdict, out = "infeasible", hard + demote(soft) + demote(caps)
    else:
        verdict = _LEVELS[level]
        out = (demote(soft) if level == 0 else soft) + caps
    side = borderline_sides(x, t, verdict)
    if side:
        out.append(Reason("borderline", f"borderline: the {t.interval_level:.0%} interval of μ "
                          f"[{_num(x.mu_interval[0], 3)}, {_num(x.mu_interval[1], 3)}] spans "  # type: ignore[index]
                          f"{' and '.join(side)}", "warn"))
    return verdict, out + info


def borderline_sides(x: VerdictInputs, t: Thresholds, verdict: str) -> tuple[str, ...]:
    """The bands the μ interval spans when it spans more than one (else ``()``).

    Examples
    --------
    >>> borderline_sides(VerdictInputs(50, 200, 4, 0.34, mu_interval=(0.31, 0.38)), Thresholds(),
    ...                  "feasible_with_exceptions")
    ('feasible_with_exceptions', 'marginal')
    """
    if x.mu_interval is None or verdict == "insufficient_data":
        return ()
    lo, hi = x.mu_interval
    if any(v is None or math.isnan(v) for v in (lo, hi)):
        return ()
    a, b = _LEVELS.index(band_of(lo, t)), _LEVELS.index(band_of(hi, t))
    if a == b:
        return ()
    return tuple(_LEVELS[i] for i in range(a, b + 1))
