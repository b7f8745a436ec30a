"""Thresholds and the verdict: can this estate be strictly segmented?

The logic (``docs/metrics.md`` has the full table and the reasoning) is
anchored at μ = 0.5, i.e. ρ = 1 — "as many exceptions as local connections":
there strong-sense communities vanish and detected structure becomes
indistinguishable from a degree-preserving random graph.

Order of evaluation:

1. ``insufficient_data`` — the data cannot support any verdict: time span
   < 6 h, direction unresolved for > 20 % of connections, unmapped traffic
   > 50 %, fewer than 10 services or 10 edges in the analysed graph.
2. ``infeasible`` — any of: a single community at every resolution; modularity
   not significant against rewired graphs (z_Q < 3); unstable across seeds
   (ARI < 0.5); μ ≥ 0.5; shared-service zone > 15 % of services.
3. Otherwise the μ band: μ ≤ 0.2 → ``feasible``; ≤ 0.35 →
   ``feasible_with_exceptions``; < 0.5 → ``marginal``.
4. Caps: seed ARI in [0.5, 0.8) lowers the band by one level (feasible →
   feasible_with_exceptions → marginal); a community that is not even
   weak-sense caps the verdict at ``feasible_with_exceptions``.

Each reason says whether it set or lowered the verdict (``effect="fail"``),
is a concern that did not change it (``"warn"``), or is context (``"info"``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from flowgraph.exceptions import ConfigError

__all__ = ["VERDICTS", "Thresholds", "Reason", "VerdictInputs", "decide_verdict"]

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
    >>> t.mu_infeasible, t.rho_infeasible, t.min_modularity_z, t.max_shared_share
    (0.5, 1.0, 3.0, 0.15)
    >>> Thresholds(mu_feasible=0.25).mu_feasible
    0.25
    """

    # cross-community ratio μ bands (ρ = μ / (1 − μ))
    mu_feasible: float = 0.20           # μ ≤ → feasible band
    mu_exceptions: float = 0.35         # μ ≤ → feasible_with_exceptions band, above → marginal
    mu_infeasible: float = 0.50         # μ ≥ → infeasible (ρ ≥ 1)
    # is the structure real?
    min_modularity_z: float = 3.0       # z_Q < → infeasible (not significant)
    min_stability_ari: float = 0.5      # seed ARI < → infeasible (unstable)
    stable_ari: float = 0.8             # seed ARI < (but ≥ min) → one level lower
    require_weak_for_feasible: bool = True  # a non-weak community caps at feasible_with_exceptions
    concentration_warn: float = 0.8     # top-10 % community pairs carry < this share → warning
    concentration_top_share: float = 0.10
    # shared-service zone
    max_shared_share: float = 0.15      # zone > share of workloads → infeasible
    warn_shared_share: float = 0.10     # zone > share → warning
    shared_reach: float = 0.30          # distinct peers / other workloads ≥ → shared
    shared_community_reach: float = 0.50  # communities touched / first-pass communities ≥ → shared…
    shared_participation: float = 0.62   # …if also P ≥ (supporting evidence, Guimerà–Amaral R3+)
    shared_min_communities: int = 4      # community-reach rule only with ≥ this many communities
    shared_min_degree: int = 5           # never flag a service with fewer peers…
    shared_degree_factor: float = 3.0    # …or fewer than factor × median workload degree
    # data quality → insufficient_data
    min_time_span_seconds: float = 6 * 3600.0
    max_unresolved_direction_share: float = 0.20
    max_unmapped_share: float = 0.50
    min_services: int = 10
    min_edges: int = 10

    def __post_init__(self) -> None:
        if not 0 <= self.mu_feasible <= self.mu_exceptions <= self.mu_infeasible <= 1:
            raise ConfigError("thresholds must satisfy 0 ≤ mu_feasible ≤ mu_exceptions ≤ mu_infeasible ≤ 1")
        if not -1 <= self.min_stability_ari <= self.stable_ari <= 1:
            raise ConfigError("thresholds must satisfy min_stability_ari ≤ stable_ari ≤ 1")
        for name in ("max_shared_share", "warn_shared_share", "shared_reach", "shared_community_reach",
                     "shared_participation", "max_unresolved_direction_share", "max_unmapped_share",
                     "concentration_warn", "concentration_top_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"threshold {name} must be between 0 and 1")

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
    """The figures the verdict looks at (NaN = not measured)."""

    services: int
    edges: int
    communities: int
    mu: float
    modularity_z: float = math.nan
    stability_ari: float = math.nan
    shared_share: float = 0.0
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
    ...                                           modularity_z=25.0, stability_ari=0.95))
    >>> v
    'feasible'
    >>> v, reasons = decide_verdict(VerdictInputs(services=50, edges=200, communities=5, mu=0.27,
    ...                                           modularity_z=25.0, stability_ari=0.7))
    >>> v, [r.code for r in reasons if r.effect == "fail"]
    ('marginal', ['cross_ratio_moderate', 'moderate_stability'])
    >>> decide_verdict(VerdictInputs(services=50, edges=200, communities=5, mu=0.55,
    ...                              modularity_z=1.2, stability_ari=0.2))[0]
    'infeasible'
    """
    t = thresholds or Thresholds()
    rho = x.mu / (1 - x.mu) if x.mu < 1 else math.inf
    unit = "talking pairs" if x.mu_unit == "edges" else x.mu_unit

    # 1. data quality --------------------------------------------------------------------
    data: list[Reason] = []
    if x.services < t.min_services:
        data.append(Reason("too_few_services", f"only {x.services} services to segment "
                           f"(at least {t.min_services} needed for a verdict)", "fail"))
    if x.edges < t.min_edges:
        data.append(Reason("too_few_edges", f"only {x.edges} talking pairs between services "
                           f"(at least {t.min_edges} needed)", "fail"))
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
    insufficient = bool(data)

    # 2. infeasibility conditions ----------------------------------------------------------
    hard: list[Reason] = []
    if x.communities <= 1:
        hard.append(Reason("single_community", "no resolution splits the services into more than one "
                           "community: there are no domains to separate", "fail"))
    if not math.isnan(x.modularity_z) and x.modularity_z < t.min_modularity_z:
        hard.append(Reason("not_significant", f"the communities are no more modular than in randomly "
                           f"rewired copies of the graph with the same degrees (z = {_num(x.modularity_z, 1)}, "
                           f"needs ≥ {t.min_modularity_z:g})", "fail"))
    if not math.isnan(x.stability_ari) and x.stability_ari < t.min_stability_ari:
        hard.append(Reason("unstable", f"different random seeds give different communities "
                           f"(mean pairwise ARI {_num(x.stability_ari, 3)}, needs ≥ {t.min_stability_ari:g})",
                           "fail"))
    if x.mu >= t.mu_infeasible:
        hard.append(Reason("cross_ratio_high", f"{_pct(x.mu)} of {unit} cross community boundaries "
                           f"(μ = {_num(x.mu, 3)} ≥ {t.mu_infeasible:g}): {_num(rho)} exceptions per local "
                           "connection — a graph, not a tree", "fail"))
    if x.shared_share > t.max_shared_share:
        hard.append(Reason("shared_zone_too_large", f"the shared-services zone needs {_pct(x.shared_share)} "
                           f"of services (limit {_pct(t.max_shared_share)})", "fail"))

    # 3. μ band and caps ------------------------------------------------------------------------
    soft: list[Reason] = []
    info: list[Reason] = []
    if x.mu <= t.mu_feasible:
        band = 0
        info.append(Reason("cross_ratio_low", f"{_pct(x.mu)} of {unit} cross community boundaries "
                           f"(μ = {_num(x.mu, 3)} ≤ {t.mu_feasible:g}; {_num(rho)} exceptions per local "
                           "connection)", "info"))
    elif x.mu <= t.mu_exceptions:
        band = 1
        soft.append(Reason("cross_ratio_moderate", f"{_pct(x.mu)} of {unit} cross community boundaries "
                           f"(μ = {_num(x.mu, 3)}, between {t.mu_feasible:g} and {t.mu_exceptions:g}; "
                           f"{_num(rho)} exceptions per local connection)", "fail"))
    elif x.mu < t.mu_infeasible:
        band = 2
        soft.append(Reason("cross_ratio_marginal", f"{_pct(x.mu)} of {unit} cross community boundaries "
                           f"(μ = {_num(x.mu, 3)}, between {t.mu_exceptions:g} and {t.mu_infeasible:g}; "
                           f"{_num(rho)} exceptions per local connection)", "fail"))
    else:
        band = 3
    level = band
    caps: list[Reason] = []
    if (not math.isnan(x.stability_ari) and t.min_stability_ari <= x.stability_ari < t.stable_ari
            and band < 3):
        level = min(band + 1, 2)
        caps.append(Reason("moderate_stability", f"communities are only moderately stable across seeds "
                           f"(ARI {_num(x.stability_ari, 3)} < {t.stable_ari:g}): verdict lowered one level",
                           "fail" if level > band else "warn"))
    if t.require_weak_for_feasible and not x.all_weak and level == 0:
        level = 1
        caps.append(Reason("not_all_weak", f"not every community keeps more traffic inside than it sends "
                           f"out (weak-sense share {_pct(x.weak_share)})", "fail"))
    elif not x.all_weak:
        caps.append(Reason("not_all_weak", f"not every community keeps more traffic inside than it sends "
                           f"out (weak-sense share {_pct(x.weak_share)})", "warn"))

    # context and warnings
    if not math.isnan(x.modularity_z) and x.modularity_z >= t.min_modularity_z:
        info.append(Reason("significant", f"modularity is {_num(x.modularity_z, 1)} standard deviations "
                           "above degree-preserving rewired graphs", "info"))
    if math.isnan(x.modularity_z):
        caps.append(Reason("significance_not_tested", "significance against rewired graphs was not "
                           "measured (n_null < 2 or no variation)", "warn"))
    if not math.isnan(x.stability_ari) and x.stability_ari >= t.stable_ari:
        info.append(Reason("stable", f"communities are stable across seeds (mean pairwise ARI "
                           f"{_num(x.stability_ari, 3)})", "info"))
    if math.isnan(x.stability_ari):
        caps.append(Reason("stability_not_tested", "stability across seeds was not measured (one seed)",
                           "warn"))
    if t.warn_shared_share < x.shared_share <= t.max_shared_share:
        caps.append(Reason("shared_zone_large", f"the shared-services zone needs {_pct(x.shared_share)} "
                           f"of services (above {_pct(t.warn_shared_share)})", "warn"))
    if x.mu > t.mu_feasible and not math.isnan(x.concentration) and x.concentration < t.concentration_warn:
        caps.append(Reason("exceptions_scattered", f"the top {t.concentration_top_share:.0%} of community "
                           f"pairs carry only {_pct(x.concentration)} of the exceptions: the rule list will "
                           "be long and spread out", "warn"))
    if x.split_communities:
        info.append(Reason("split_communities", f"{x.split_communities} detected communities were not "
                           "connected and were split into their connected parts", "info"))
    if not math.isnan(x.strong_share):
        info.append(Reason("strong_communities", f"{_pct(x.strong_share)} of communities are strong "
                           "(every member talks more inside than outside)", "info"))

    # assemble ---------------------------------------------------------------------------------
    def demote(rs: list[Reason]) -> list[Reason]:
        return [Reason(r.code, r.message, "warn") if r.effect == "fail" else r for r in rs]

    if insufficient:
        return "insufficient_data", data + demote(hard) + demote(soft) + demote(caps) + info
    if hard:
        return "infeasible", hard + demote(soft) + demote(caps) + info
    verdict = _LEVELS[level]
    if level == 0:
        soft = demote(soft)
    return verdict, soft + caps + info
