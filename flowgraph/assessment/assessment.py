"""``assess()``: from a service graph to a segmentation verdict with its evidence.

Pipeline (every step recorded in the result; ``docs/metrics.md`` explains
the choices):

1. **Node classes.**  ``service`` nodes are workloads; ``aws-service`` nodes
   go to the shared zone; ``internet`` / ``unknown`` nodes are not
   workloads and are only counted as external edges.
2. **First pass + shared zone.**  Communities of the workload graph at
   γ = 1 give the direction-aware caller scores; shared services are carved
   out (:mod:`flowgraph.assessment.shared`).  Workloads with no talking
   pair left (idle, only-shared, only-external) are listed, not zoned.
3. **Trade-off curve** (:mod:`flowgraph.assessment.tradeoff`): candidate
   zonings over an extended resolution grid, each with its isolation and
   exceptions; the operating zoning is read off the curve unless the
   caller fixes the resolution.
4. **Stability**: ``n_seeds`` runs of ``algorithm`` at the operating
   resolution; the best-modularity run is *the* partition.
5. **Evidence and uncertainty**: ``n_null`` degree-preserving rewirings
   (z-scores), the curve on ``band_null`` rewirings (null band), and an
   edge bootstrap (``n_bootstrap`` resamples) for intervals of μ, ρ and
   isolation.
6. **Metrics**: μ, ρ, isolation, rules, concentration, per-community and
   per-service tables, declared domains.
7. The same on the graph **including** the shared zone and with **other
   weights** (cheaper: ``secondary_seeds`` seeds, ``secondary_null``
   rewirings at the operating resolution).
8. **Verdict** (:mod:`flowgraph.assessment.verdict`).

One engine per step: with the default ``algorithm="leiden"`` every run is
igraph's C implementation of Leiden (a core dependency).  With ``algorithm="louvain"`` (python-louvain,
pure Python) and ``fast_repeats=True`` the repeated runs use igraph's
``community_multilevel``, the same Louvain algorithm in C;
``parameters["repeated_runs_algorithm"]`` records what ran.
"""

from __future__ import annotations

import html
import importlib
import json
import math
import platform
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from time import perf_counter
from typing import Any, TypedDict, cast

import numpy as np
import pandas as pd

from flowgraph._arrays import GraphArrays, cross_ratio_of, pair_windows
from flowgraph._parallel import Workers, effective_jobs
from flowgraph._random import resolved, seeded
from flowgraph._version import __version__
from flowgraph.communities.detect import DEFAULT_ALGORITHM, algorithm_engine, check_algorithm
from flowgraph.communities.partition import Partition
from flowgraph.communities.stability import (
    StabilityResult,
    SweepResult,
    stability_on_arrays,
    sweep_on_arrays,
)
from flowgraph.exceptions import ConfigError
from flowgraph.graph.service_graph import WEIGHTS, ServiceGraph, Weight
from flowgraph.graph.windows import TimeWindows

from .declared import DeclaredComparison, declared_on_arrays, dominant_domains
from .metrics import (
    _community_frame,
    _service_frame,
    concentration_of,
    exception_rules,
    node_figures,
    rho_of,
)
from .nullmodel import NullModelResult, null_on_arrays
from .shared import SharedZone, _combined_scores, classify_shared, scores_on_arrays
from .tradeoff import (
    TRADEOFF_RESOLUTIONS,
    TradeOff,
    Uncertainty,
    bootstrap_on_arrays,
    candidate_of,
    null_band_on_arrays,
    tradeoff_on_arrays,
)
from .verdict import Reason, Thresholds, VerdictInputs, borderline_sides, decide_verdict

__all__ = ["Assessment", "assess", "METRIC_KEYS"]

METRIC_KEYS: tuple[str, ...] = (
    "services", "edges", "communities",
    "cross_community_edge_ratio", "cross_community_connection_ratio",
    "exceptions", "local_edges", "exceptions_per_local_edge",
    "exception_rules", "exception_concentration_top10",
    "modularity", "modularity_null_mean", "modularity_null_sd", "modularity_zscore", "modularity_pvalue",
    "cross_ratio_null_mean", "cross_ratio_null_sd", "cross_ratio_zscore",
    "stability_ari", "stability_ami",
    "weak_communities_share", "strong_communities_share", "split_communities",
    "isolation", "largest_zone_share",
)
"""Keys of ``Assessment.to_dict()["metrics"]`` (and ``metrics_including_shared``)."""

Progress = Callable[[str, int, int], None]

LARGE_GRAPH_EDGES = 20_000
"""Above this many edges the null model uses one seed per rewired graph by default."""


# -- JSON helpers ---------------------------------------------------------------------------
def json_safe(obj: Any) -> Any:
    """Plain JSON types; floats rounded to 6 digits; NaN, ±inf and NA → None (internal)."""
    if obj is None or obj is pd.NA:
        return None
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        x = float(obj)
        return round(x, 6) if math.isfinite(x) else None
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | np.ndarray | pd.Series):
        return [json_safe(v) for v in list(obj)]
    return str(obj)


def _versions(extra: Iterable[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {"flowgraph": __version__, "python": platform.python_version()}
    for dist in ("networkx", "python-louvain", "numpy", "scipy", "scikit-learn", "pandas", *extra):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _float_or_none(x: Any) -> float | None:
    if x is None or x is pd.NA:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _repeat_algorithm(algorithm: str, fast_repeats: bool) -> str:
    if algorithm != "louvain" or not fast_repeats:
        return algorithm
    try:
        importlib.import_module("igraph")
    except ImportError:
        return algorithm
    return "igraph-louvain"


# -- one evaluated partition ----------------------------------------------------------------
@dataclass
class _Evaluation:
    """Figures of one (graph, partition) pair (internal)."""

    metrics: dict[str, Any]
    partition: Partition
    labels: np.ndarray
    communities: pd.DataFrame
    services: pd.DataFrame
    rules: pd.DataFrame
    inputs: VerdictInputs
    stability: StabilityResult
    null: NullModelResult


def _evaluate(arrays: GraphArrays, binary: GraphArrays, conn: GraphArrays, stab: StabilityResult,
              null: NullModelResult, edges: pd.DataFrame, weight: str,
              thresholds: Thresholds, n_shared: int = 0) -> _Evaluation:
    part = stab.best
    labels = part.labels(arrays.nodes) if arrays.n else np.zeros(0, dtype=np.int64)
    cand = candidate_of(binary, labels, part.resolution or 1.0, n_shared, thresholds)
    nodes = node_figures(arrays, labels)
    comm = _community_frame(arrays, labels, nodes=nodes)
    svc = _service_frame(arrays, labels, nodes=nodes)
    local, cross = (binary.m - int((labels[binary.u] != labels[binary.v]).sum()),
                    int((labels[binary.u] != labels[binary.v]).sum()))
    mu_edges = cross_ratio_of(binary, labels)
    mu_conn = cross_ratio_of(conn, labels)
    mu_weight = cross_ratio_of(arrays, labels)
    rules = exception_rules(edges, part)
    conc = concentration_of(binary, labels, thresholds.concentration_top_share)
    active = comm["internal_edges"].to_numpy() + comm["external_edges"].to_numpy() > 0
    weak = comm["weak"].to_numpy()[active]
    strong = comm["strong"].to_numpy()[active]
    metrics = {
        "services": arrays.n,
        "edges": binary.m,
        "communities": part.n_communities,
        "cross_community_edge_ratio": mu_edges,
        "cross_community_connection_ratio": mu_conn,
        "exceptions": cross,
        "local_edges": local,
        "exceptions_per_local_edge": rho_of(local, cross),
        "exception_rules": len(rules),
        "exception_concentration_top10": conc,
        "modularity": part.modularity,
        "modularity_null_mean": null.modularity_null_mean,
        "modularity_null_sd": null.modularity_null_sd,
        "modularity_zscore": null.modularity_zscore,
        "modularity_pvalue": null.modularity_pvalue,
        "cross_ratio_null_mean": null.cross_ratio_null_mean,
        "cross_ratio_null_sd": null.cross_ratio_null_sd,
        "cross_ratio_zscore": null.cross_ratio_zscore,
        "stability_ari": stab.ari,
        "stability_ami": stab.ami,
        "weak_communities_share": float(weak.mean()) if len(weak) else float("nan"),
        "strong_communities_share": float(strong.mean()) if len(strong) else float("nan"),
        "split_communities": part.split_communities,
        "isolation": cand.isolation,
        "largest_zone_share": cand.largest_zone_share,
    }
    mu_verdict = {"binary": mu_edges, "connections": mu_conn}.get(weight, mu_weight)
    inputs = VerdictInputs(
        services=arrays.n, edges=binary.m, communities=int(active.sum()), mu=mu_verdict,
        isolation=cand.isolation, largest_zone_share=cand.largest_zone_share, eligible=cand.eligible,
        no_zoning=cand.why_not, modularity_z=null.modularity_zscore, stability_ari=stab.ari,
        all_weak=bool(weak.all()) if len(weak) else True,
        weak_share=metrics["weak_communities_share"], strong_share=metrics["strong_communities_share"],
        concentration=conc, split_communities=part.split_communities,
        mu_unit={"binary": "edges", "connections": "connections"}.get(weight, f"{weight} weight"))
    return _Evaluation(metrics, part, labels, comm, svc, rules, inputs, stab, null)


# -- the result -----------------------------------------------------------------------------
@dataclass
class Assessment:
    """Everything :func:`assess` found, and how.

    The main attributes are ``verdict``, ``reasons``, ``metrics`` (shared zone
    carved out, chosen partition, primary weight), ``partition``,
    ``communities_table``, ``services_table``, ``exception_rules``,
    ``shared_zone``, ``declared``, ``stability``, ``sweep``, ``null_model``,
    ``parameters``, ``versions`` and ``timings`` (seconds per step, not part
    of :meth:`to_dict` because it varies between runs).
    """

    verdict: str
    reasons: list[Reason]
    weight_sensitive: bool
    metrics: dict[str, Any]
    metrics_including_shared: dict[str, Any]
    metrics_by_weight: dict[str, dict[str, Any]]
    shared_zone: SharedZone
    external_nodes: dict[str, Any]
    partition: Partition
    communities_table: pd.DataFrame
    services_table: pd.DataFrame
    exception_rules: pd.DataFrame
    declared: DeclaredComparison | None
    stability: StabilityResult
    sweep: SweepResult
    null_model: NullModelResult
    parameters: dict[str, Any]
    versions: dict[str, Any]
    thresholds: Thresholds
    quality: dict[str, Any]
    partition_including_shared: Partition | None = None
    tradeoff: TradeOff | None = None
    uncertainty: Uncertainty | None = None
    borderline: tuple[str, ...] = ()
    unassigned: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["reason"]))
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def abstained(self) -> bool:
        """True when the estate is too small to tell zones from chance (the figures are still shown)."""
        return any(r.code == "too_small" and r.effect == "fail" for r in self.reasons)

    @property
    def shared_services(self) -> list[str]:
        return self.shared_zone.services

    @property
    def chosen_resolution(self) -> float:
        return self.sweep.chosen_resolution

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (the report is built from it); see ``docs/metrics.md``."""
        communities = []
        for cid, row in self.communities_table.iterrows():
            communities.append({
                "id": int(cid), "services": [str(s) for s in row["services"]], "size": int(row["size"]),
                "internal_edges": int(row["internal_edges"]), "external_edges": int(row["external_edges"]),
                "conductance": row["conductance"], "strong": bool(row["strong"]), "weak": bool(row["weak"]),
                "dominant_domain": row["dominant_domain"]})
        services = []
        for name, row in self.services_table.iterrows():
            services.append({
                "service": str(name), "community": None if pd.isna(row["community"]) else int(row["community"]),
                "shared": bool(row["shared"]), "kind": row["kind"], "domain": row["domain"],
                "degree": int(row["degree"]), "mu": row["mu"], "participation": row["participation"],
                "within_z": row["within_z"], "role": row["role"], "status": row["status"]})
        rules = [{k: (None if pd.isna(v) else int(v)) for k, v in r.items()}
                 for r in self.exception_rules.to_dict("records")]
        out = {
            "verdict": self.verdict,
            "weight_sensitive": self.weight_sensitive,
            "reasons": [r.to_dict() for r in self.reasons],
            "metrics": {k: self.metrics[k] for k in METRIC_KEYS},
            "metrics_including_shared": {k: self.metrics_including_shared[k] for k in METRIC_KEYS},
            "metrics_by_weight": self.metrics_by_weight,
            "shared_services": self.shared_zone.services,
            "shared_zone": self.shared_zone.to_dict(),
            "external_nodes": self.external_nodes,
            "communities": communities,
            "services": services,
            "exception_rules": rules,
            "declared_domains": None if self.declared is None else self.declared.to_dict(),
            "stability": {"n_seeds": self.stability.n_seeds, "ari": self.stability.ari,
                          "ami": self.stability.ami,
                          "modularity_by_seed": list(self.stability.modularity_by_seed)},
            "resolution_sweep": self.sweep.to_list(),
            "chosen_resolution": self.sweep.chosen_resolution,
            "resolution_choice": self.sweep.choice,
            "null_model": self.null_model.to_dict(),
            "tradeoff": None if self.tradeoff is None else self.tradeoff.to_dict(),
            "cost_curve": self._cost_curve(),
            "uncertainty": None if self.uncertainty is None else self.uncertainty.to_dict(),
            "borderline": list(self.borderline),
            "abstained": self.abstained,
            "unassigned_services": [{"service": str(k), "reason": str(v)}
                                    for k, v in self.unassigned["reason"].items()],
            "parameters": self.parameters,
            "versions": self.versions,
        }
        return json_safe(out)

    def _cost_curve(self) -> dict[str, Any] | None:
        if self.tradeoff is None:
            return None
        observed = [{"resolution": c.resolution, "zones": c.communities, "isolation": c.isolation,
                     "rho": c.rho, "mu": c.mu, "eligible": c.eligible, "chosen": c.chosen,
                     "exception_rules": self.metrics["exception_rules"] if c.chosen else None}
                    for c in self.tradeoff.candidates]
        band = [{"resolution": b["resolution"], "isolation": b["isolation_median"], "rho_lo": b["rho_low"],
                 "rho_hi": b["rho_high"], "rho_median": b["rho_median"]} for b in self.tradeoff.null_band]
        return {"observed": observed, "null_band": band, "choice": self.tradeoff.choice}

    def to_json(self, path: str | Path | None = None, *, indent: int | None = 1) -> str:
        """:meth:`to_dict` as JSON text, written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def __repr__(self) -> str:
        m = self.metrics
        return (f"Assessment(verdict={self.verdict!r}, services={m['services']}, edges={m['edges']}, "
                f"communities={m['communities']}, mu={m['cross_community_edge_ratio']:.3f}, "
                f"shared={len(self.shared_zone.entries)}, weight_sensitive={self.weight_sensitive})")

    def _repr_html_(self) -> str:
        esc = html.escape
        m = self.metrics
        colour = {"feasible": "#1a7f37", "feasible_with_exceptions": "#6a8f00", "marginal": "#b08800",
                  "infeasible": "#cf222e", "insufficient_data": "#57606a"}.get(self.verdict, "#57606a")

        def fmt(x: Any, digits: int = 3) -> str:
            if x is None or (isinstance(x, float) and not math.isfinite(x)):
                return "—"
            return f"{x:.{digits}f}" if isinstance(x, float) else str(x)

        reasons = "".join(
            f"<li><code>{esc(r.effect)}</code> <b>{esc(r.code)}</b>: {esc(r.message)}</li>"
            for r in self.reasons if r.effect != "info") or "<li>no concerns</li>"
        keys = [("services", "services"), ("talking pairs", "edges"), ("communities", "communities"),
                ("μ (edges)", "cross_community_edge_ratio"), ("μ (connections)", "cross_community_connection_ratio"),
                ("ρ exceptions per local edge", "exceptions_per_local_edge"),
                ("exception rules", "exception_rules"), ("modularity", "modularity"),
                ("z (modularity)", "modularity_zscore"), ("seed ARI", "stability_ari")]
        rows = "".join(f"<tr><td>{esc(label)}</td><td>{esc(fmt(m[k]))}</td></tr>" for label, k in keys)
        rows += (f"<tr><td>shared zone</td><td>{len(self.shared_zone.entries)} services "
                 f"({self.shared_zone.share_of_services:.1%} of workloads)</td></tr>")
        top = self.communities_table.head(5)
        crow = "".join(
            f"<tr><td>{cid}</td><td>{int(r['size'])}</td><td>{fmt(r['conductance'])}</td>"
            f"<td>{'yes' if r['weak'] else 'no'}</td><td>{esc(str(r['dominant_domain'] or '—'))}</td>"
            f"<td>{esc(', '.join(str(s) for s in r['services'][:5]))}{' …' if r['size'] > 5 else ''}</td></tr>"
            for cid, r in top.iterrows())
        sens = " · <b>weight-sensitive</b>" if self.weight_sensitive else ""
        return (
            f"<div><h4 style='margin:0'>Segmentation verdict: "
            f"<span style='color:{colour}'>{esc(self.verdict)}</span>{sens}</h4>"
            f"<ul>{reasons}</ul>"
            f"<table>{rows}</table>"
            "<p><b>Largest communities</b></p><table><tr><th>id</th><th>size</th><th>conductance</th>"
            f"<th>weak</th><th>dominant domain</th><th>members</th></tr>{crow}</table>"
            f"<p style='font-size:smaller'>resolution {self.sweep.chosen_resolution:g} "
            f"({esc(self.sweep.choice)})</p></div>")


# -- assess ---------------------------------------------------------------------------------
def _quality_figures(graph: ServiceGraph, quality: dict | None) -> dict[str, Any]:
    q = dict(graph.quality if quality is None else quality)
    out: dict[str, Any] = {"provided": sorted(str(k) for k in q)}
    span = _float_or_none(q.get("time_span_seconds"))
    source = "quality"
    e = graph.edges
    if span is None and len(e):
        first, last = _float_or_none(e["first_seen"].min()), _float_or_none(e["last_seen"].max())
        if first is not None and last is not None:
            span, source = last - first, "edge table (last_seen − first_seen)"
    out["time_span_seconds"] = span
    out["time_span_source"] = source if span is not None else None
    unresolved = _float_or_none(q.get("unresolved_direction_share"))
    if unresolved is None and "unresolved" in e.columns and len(e):
        total = _float_or_none(e["connections"].sum())
        if total:
            unresolved = float(_float_or_none(e["unresolved"].sum()) or 0.0) / total
    out["unresolved_direction_share"] = unresolved
    out["unmapped_share"] = _float_or_none(q.get("unmapped_share"))
    return out


def _validate(n_seeds: int, n_null: int, algorithm: str, weight: str, seed: int | None,
              resolution: float | None, sweep_seeds: int, null_seeds: int | None, secondary_seeds: int,
              secondary_null: int) -> None:
    check_algorithm(algorithm)
    if weight not in WEIGHTS:
        raise ConfigError(f"weight must be one of {', '.join(WEIGHTS)}, not {weight!r}")
    if n_seeds < 1 or sweep_seeds < 1 or (null_seeds is not None and null_seeds < 1) or secondary_seeds < 1:
        raise ConfigError("n_seeds, sweep_seeds, null_seeds and secondary_seeds must be at least 1")
    if n_null < 0 or secondary_null < 0:
        raise ConfigError("n_null and secondary_null must not be negative")
    if resolution is not None and not resolution > 0:
        raise ConfigError(f"resolution must be positive, not {resolution!r}")


@seeded()
def assess(
    graph: ServiceGraph,
    *,
    seed: int = 0,
    resolution: float | None = None,
    n_seeds: int = 20,
    n_null: int = 20,
    algorithm: str = DEFAULT_ALGORITHM,
    weight: str = "binary",
    shared_services: Iterable[str] = (),
    detect_shared: bool = True,
    thresholds: Thresholds | None = None,
    quality: dict | None = None,
    progress: Progress | None = None,
    resolutions: Sequence[float] = TRADEOFF_RESOLUTIONS,
    sweep_seeds: int = 5,
    null_seeds: int | None = None,
    secondary_seeds: int = 5,
    secondary_null: int = 10,
    swaps_per_edge: float = 10.0,
    fast_repeats: bool = True,
    n_jobs: int | None = None,
    band_null: int | None = None,
    n_bootstrap: int | None = None,
) -> Assessment:
    """Can this estate be split into strictly segmented domains?  Verdict with evidence.

    Parameters
    ----------
    graph : ServiceGraph
        The service graph.
    seed : int
        Seed of every random step (detection seeds ``seed, seed + 1, …``;
        rewiring seeds derived from it).
    resolution : float, optional
        Fix the modularity resolution; by default the operating zoning is
        read off the trade-off curve.
    n_seeds : int
        Seeds for the stability of the final partition (default 20).
    n_null : int
        Degree-preserving rewired graphs for the significance test (default 20:
        significance is evidence shown as a warning, and 20 rewirings place z
        well enough against a warning threshold of 3).
    algorithm : str
        Community algorithm (default ``"leiden"``: igraph's Leiden, modularity
        with resolution); see :func:`flowgraph.communities.detect_communities`.
    weight : {"binary", "connections", "log_bytes", "bytes"}
        Primary edge weight (default ``binary``: one per talking pair).
    shared_services : iterable of str
        Allow-list: services that are shared by decision.
    detect_shared : bool
        Also detect shared services from the graph structure.
    thresholds : Thresholds, optional
        Every threshold (defaults in ``docs/metrics.md``).
    quality : dict, optional
        Data-quality figures (``time_span_seconds``,
        ``unresolved_direction_share``, ``unmapped_share``); default
        ``graph.quality``.  A missing time span is taken from the edge table.
    progress : callable, optional
        ``progress(step, done, total)``, e.g. for a progress bar.
    resolutions : sequence of float
        Base resolution grid of the trade-off curve (extended ×2 while the
        number of zones keeps changing).
    sweep_seeds : int
        Seeds per sweep point and for the first pass (default 5).
    null_seeds : int, optional
        Seeds per null graph, best modularity kept (default: 3, or 1 when
        the analysed graph has more than 20,000 edges — a Louvain run on a
        rewired 50,000-edge graph costs seconds, and observed and null
        values use the same number of seeds either way).
    secondary_seeds, secondary_null : int
        Seeds and rewirings (one seed per rewiring) for the
        including-shared and other-weight evaluations (default 5 and 10).
    swaps_per_edge : float
        Successful double-edge swaps per edge in each rewiring (default 10).
    fast_repeats : bool
        Run the repeated runs with igraph's Louvain when ``algorithm`` is
        ``"louvain"`` and igraph is installed.
    n_jobs : int, optional
        Worker processes for the repeated runs (results do not depend on
        it).  Default: every available core when the analysed graph has at
        least 20,000 edges, otherwise 1.
    band_null : int, optional
        Rewirings for the null band of the trade-off curve (default 5, or 2
        above 20,000 edges).
    n_bootstrap : int, optional
        Edge-bootstrap resamples for the intervals (default 50, or 20 above
        20,000 edges; below 2: no interval).

    Returns
    -------
    Assessment

    Examples
    --------
    >>> import networkx as nx, pandas as pd
    >>> from flowgraph.graph import ServiceGraph
    >>> G = nx.planted_partition_graph(4, 15, 0.5, 0.01, seed=2)
    >>> edges = pd.DataFrame([{"client": f"s{a:02d}", "server": f"s{b:02d}", "server_port": 443,
    ...     "protocol": 6, "connections": 10, "packets": 100, "bytes": 10_000, "first_seen": 0,
    ...     "last_seen": 86_400, "hours_seen": 24, "days_seen": 1} for a, b in G.edges()])
    >>> result = assess(ServiceGraph(edges), n_seeds=5, n_null=10)
    >>> result.verdict, result.metrics["communities"], round(result.metrics["cross_community_edge_ratio"], 3)
    ('feasible', 4, 0.046)
    """
    t_start = perf_counter()
    timings: dict[str, float] = {}
    if isinstance(shared_services, str):
        shared_services = [shared_services]
    shared_services = [str(s) for s in shared_services]
    _validate(n_seeds, n_null, algorithm, weight, seed, resolution, sweep_seeds, null_seeds,
              secondary_seeds, secondary_null)
    th = thresholds or Thresholds()
    repeat_alg = _repeat_algorithm(algorithm, fast_repeats)

    # 1. node classes and graphs -----------------------------------------------------------
    t = perf_counter()
    nc = _NodeClasses.of(graph)
    weights = list(dict.fromkeys([weight, "binary", "connections"]))
    # every weight was checked against WEIGHTS by _validate
    full = {w: GraphArrays.from_networkx(graph.undirected(cast(Weight, w)), "weight") for w in weights}
    fb = full["binary"]
    external = nc.external
    ext = np.fromiter((str(n) in external for n in fb.nodes), dtype=bool, count=fb.n)
    ext_edges = int(((ext[fb.u] | ext[fb.v]) & (fb.u != fb.v)).sum())
    external_nodes = {"internet": nc.internet, "unknown": nc.unknown, "edges": ext_edges}
    timings["graphs"] = perf_counter() - t

    # 2. first pass and shared zone (direction-aware) ---------------------------------------
    t = perf_counter()
    pre_bin = fb.subgraph(nc.pre_nodes)
    zone = _shared_zone(full[weight].subgraph(nc.workloads), pre_bin, graph.edges, nc,
                        detect=detect_shared, allow_list=shared_services, algorithm=repeat_alg,
                        n_seeds=min(sweep_seeds, n_seeds), seed=seed, weight=weight, thresholds=th,
                        progress=progress)
    zone_set = set(zone.services)
    carved = [n for n in nc.workloads if n not in zone_set]
    deg = dict(zip(fb.subgraph(carved).nodes, fb.subgraph(carved).degree().tolist(), strict=True))
    zoned = [n for n in carved if deg.get(n, 0) > 0]
    unassigned = _unassigned(carved, deg, zone_set, external, fb)
    carved_graph = graph.drop(sorted(zone_set | external | set(unassigned.index)))
    A = full[weight].subgraph(zoned)
    A_bin = fb.subgraph(zoned)
    A_conn = full["connections"].subgraph(zoned)
    windows = TimeWindows.of(graph.quality)
    if windows is not None and "windows" in graph.edges.columns:
        masks = pd.to_numeric(graph.edges["windows"], errors="coerce").fillna(0).to_numpy(dtype=np.uint64)
        A.windows = pair_windows(A, graph.edges["client"].astype(str), graph.edges["server"].astype(str), masks)
    n_zone = len(zone.entries)
    jobs = effective_jobs(n_jobs, A.m)
    large = A.m > LARGE_GRAPH_EDGES
    k_null = null_seeds if null_seeds is not None else (1 if large else 3)
    s_seeds, s_null = min(secondary_seeds, n_seeds), min(secondary_null, n_null)
    n_band = band_null if band_null is not None else (2 if large else 5)
    n_boot = n_bootstrap if n_bootstrap is not None else (20 if large else 50)
    timings["first_pass"] = perf_counter() - t

    with Workers(jobs) as workers:
        # 3. the trade-off curve and its operating point ------------------------------------
        t = perf_counter()
        cache_a: dict = {}
        curve = tradeoff_on_arrays(A, n_shared=n_zone, algorithm=repeat_alg, seed=seed, n_seeds=sweep_seeds,
                                   thresholds=th, resolutions=resolutions, fixed_resolution=resolution,
                                   n_jobs=workers, cache=cache_a, progress=progress)
        sweep = sweep_on_arrays(A, resolutions=curve.resolutions, n_seeds=sweep_seeds, algorithm=repeat_alg,
                                seed=seed, weight=weight, n_jobs=workers, cache=cache_a)
        gamma = curve.operating.resolution if curve.operating is not None else 1.0
        sweep.chosen_resolution, sweep.choice = gamma, curve.choice
        timings["tradeoff"] = perf_counter() - t

        # 4. stability of the operating partition (the chosen algorithm, n_seeds seeds) ---------
        t = perf_counter()
        stab = stability_on_arrays(A, n_seeds=n_seeds, algorithm=algorithm, resolution=gamma, seed=seed,
                                   weight=weight, n_jobs=workers, progress=progress,
                                   cache=cache_a if algorithm == repeat_alg else None, ami_against_best=True)
        timings["stability"] = perf_counter() - t

        # 5. evidence against degree-preserving rewirings, and the resampling interval ----------
        t = perf_counter()
        null = null_on_arrays(A, n_null=n_null, algorithm=repeat_alg, resolution=gamma, seed=seed,
                              n_seeds=k_null, swaps_per_edge=swaps_per_edge, n_jobs=workers,
                              progress=progress, cache=cache_a)
        null_band_on_arrays(A, curve, n_null=n_band, seed=seed, swaps_per_edge=swaps_per_edge,
                            thresholds=th, n_jobs=workers, progress=progress)
        timings["null_model"] = perf_counter() - t

        # 6. metrics ------------------------------------------------------------------------------------
        t = perf_counter()
        main = _evaluate(A, A_bin, A_conn, stab, null, carved_graph.edges, weight, th, n_zone)
        timings["metrics"] = perf_counter() - t
        t = perf_counter()
        unc = bootstrap_on_arrays(A, algorithm=repeat_alg, resolution=gamma, seed=seed, n_boot=n_boot,
                                  n_shared=n_zone, level=th.interval_level, n_jobs=workers,
                                  labels=main.labels, windows=windows, progress=progress)
        timings["bootstrap"] = perf_counter() - t
        t = perf_counter()
        main.inputs.eligible = curve.operating is not None and curve.operating.eligible
        main.inputs.no_zoning = _no_zoning(curve)
        if unc is not None:
            main.inputs.mu_interval = unc.mu
        domain_of = {str(k): (None if pd.isna(v) else str(v)) for k, v in graph.nodes["domain"].items()}
        declared = declared_on_arrays(A_bin, main.labels, [domain_of.get(str(n)) for n in A_bin.nodes])
        dominant = dominant_domains(main.partition, domain_of)
        communities_table = main.communities.assign(
            dominant_domain=[dominant.get(int(c)) for c in main.communities.index])
        timings["metrics"] = perf_counter() - t

        # 7. the same, cheaper: before the carve-out, and with other weights ----------------------
        t = perf_counter()
        secondary: _SecondaryArgs = {"algorithm": repeat_alg, "resolution": gamma, "seed": seed, "n_seeds": s_seeds,
                                     "n_null": s_null, "swaps_per_edge": swaps_per_edge, "workers": workers,
                                     "thresholds": th}
        pre_active = [n for n in nc.pre_nodes if n not in unassigned.index]
        pre_edges = graph.drop(sorted(external)).edges if external else graph.edges
        incl = _secondary(full[weight].subgraph(pre_active), fb.subgraph(pre_active),
                          full["connections"].subgraph(pre_active), pre_edges, weight, n_shared=0,
                          progress=_prefixed(progress, "including-shared:"), **secondary)
        timings["including_shared"] = perf_counter() - t
        t = perf_counter()
        others = {w: _secondary(full[w].subgraph(zoned), A_bin, A_conn, carved_graph.edges, w,
                                n_shared=n_zone, progress=_prefixed(progress, f"weight:{w}:"), **secondary)
                  for w in weights if w != weight}
        timings["other_weights"] = perf_counter() - t

    # 8. verdicts and tables ------------------------------------------------------------------------
    t = perf_counter()
    q = _quality_figures(graph, quality)
    verdict, reasons = _verdict(main, zone, q, th)
    by_weight: dict[str, dict[str, Any]] = {weight: {"cross_community_edge_ratio": main.inputs.mu, "verdict": verdict}}
    for w, ev in others.items():
        by_weight[w] = {"cross_community_edge_ratio": ev.inputs.mu, "verdict": _verdict(ev, zone, q, th)[0]}
    ordered: dict[str, dict[str, Any]] = {k: by_weight[k] for k in ("binary", "connections") if k in by_weight}
    ordered.update({k: v for k, v in by_weight.items() if k not in ordered})
    sensitive = any(v["verdict"] != verdict for v in ordered.values())
    reasons += _context_reasons(ordered, weight, verdict, zone, nc, ext_edges, unassigned, curve)
    services_table = _services_table(nc, main, zone_set, pre_bin, fb, domain_of, unassigned)
    side = borderline_sides(main.inputs, th, verdict)
    timings["verdict_and_tables"] = perf_counter() - t
    timings["total"] = perf_counter() - t_start

    parameters = {
        "seed": seed, "resolution": resolution, "n_seeds": n_seeds, "n_null": n_null,
        "algorithm": algorithm, "weight": weight, "shared_services": list(shared_services),
        "detect_shared": detect_shared, "thresholds": th.to_dict(), "quality": q,
        "progress": progress is not None, "resolutions": [float(r) for r in resolutions],
        "sweep_seeds": sweep_seeds, "null_seeds": null_seeds, "secondary_seeds": secondary_seeds,
        "secondary_null": secondary_null, "swaps_per_edge": swaps_per_edge, "fast_repeats": fast_repeats,
        "n_jobs": n_jobs, "band_null": band_null, "n_bootstrap": n_bootstrap,
        # derived settings
        "n_jobs_used": jobs, "null_seeds_used": k_null, "secondary_seeds_used": s_seeds,
        "secondary_null_used": s_null, "band_null_used": n_band, "n_bootstrap_used": n_boot,
        "engine": algorithm_engine(algorithm),
        "repeated_runs_algorithm": repeat_alg, "repeated_runs_engine": algorithm_engine(repeat_alg),
        "first_pass_resolution": 1.0, "first_pass_communities": zone.first_pass_communities,
        "resolutions_evaluated": curve.resolutions,
        "weights_evaluated": weights, "null_swaps_min": int(min(null.swaps)) if null.swaps else 0,
    }
    return Assessment(
        verdict=verdict, reasons=reasons, weight_sensitive=sensitive, metrics=main.metrics,
        metrics_including_shared=incl.metrics, metrics_by_weight=ordered, shared_zone=zone,
        external_nodes=external_nodes, partition=main.partition, communities_table=communities_table,
        services_table=services_table, exception_rules=main.rules, declared=declared, stability=stab,
        sweep=sweep, null_model=null, parameters=parameters, versions=_versions(["igraph", "leidenalg"]),
        thresholds=th, quality=q, partition_including_shared=incl.partition, tradeoff=curve,
        uncertainty=unc, borderline=side, unassigned=unassigned, timings=timings)


# -- steps of assess (internal) -------------------------------------------------------------------
@dataclass
class _NodeClasses:
    names: list[str]
    kind: dict[str, str]
    workloads: list[str]
    aws: list[str]
    internet: list[str]
    unknown: list[str]

    @classmethod
    def of(cls, graph: ServiceGraph) -> _NodeClasses:
        kinds = graph.nodes["kind"].astype("string").fillna("service")
        names = [str(n) for n in graph.nodes.index]
        kind = dict(zip(names, kinds.tolist(), strict=True))
        return cls(names=names, kind=kind,
                   workloads=[n for n in names if kind[n] == "service"],
                   aws=[n for n in names if kind[n] == "aws-service"],
                   internet=[n for n in names if kind[n] == "internet"],
                   unknown=[n for n in names if kind[n] not in ("service", "aws-service", "internet")])

    @property
    def external(self) -> set[str]:
        return set(self.internet) | set(self.unknown)

    @property
    def pre_nodes(self) -> list[str]:
        """Workloads and AWS endpoints: the graph before the shared-zone carve-out."""
        return [n for n in self.names if self.kind[n] in ("service", "aws-service")]


def _prefixed(progress: Progress | None, prefix: str) -> Progress | None:
    if progress is None:
        return None
    return lambda step, done, total: progress(f"{prefix}{step}", done, total)


def _shared_zone(workload_graph: GraphArrays, pre_bin: GraphArrays, edges: pd.DataFrame,
                 nc: _NodeClasses, *, detect: bool, allow_list: list[str], algorithm: str, n_seeds: int,
                 seed: int | None, weight: str, thresholds: Thresholds,
                 progress: Progress | None) -> SharedZone:
    """First-pass partition of the workloads (γ = 1), directed scores, and the shared zone."""
    workload_set = set(nc.workloads)
    assigned = np.fromiter((n in workload_set for n in pre_bin.nodes), dtype=bool, count=pre_bin.n)
    labels = np.zeros(pre_bin.n, dtype=np.int64)
    ran = False
    if detect and workload_graph.m > 0:
        first = stability_on_arrays(workload_graph, n_seeds=n_seeds, algorithm=algorithm,
                                    resolution=1.0, seed=resolved(seed), weight=weight, n_jobs=1,
                                    progress=progress, step="first-pass", ami=False).best
        labels = np.array([first[n] if n in workload_set else 0 for n in pre_bin.nodes], dtype=np.int64)
        ran = True
    index = pd.Index([str(n) for n in pre_bin.nodes])
    src = index.get_indexer(edges["client"].astype(str)) if len(edges) else np.zeros(0, dtype=np.int64)
    dst = index.get_indexer(edges["server"].astype(str)) if len(edges) else np.zeros(0, dtype=np.int64)
    ok = (src >= 0) & (dst >= 0)
    src, dst = src[ok].astype(np.int64), dst[ok].astype(np.int64)
    scores = _combined_scores(pre_bin, src, dst, labels, assigned)
    return classify_shared(scores, src, dst, labels, allow_list=allow_list, aws_services=nc.aws,
                           detect=ran, thresholds=thresholds)


def _unassigned(carved: list[str], deg: Mapping[Hashable, int], zone_set: set[str], external: set[str],
                fb: GraphArrays) -> pd.DataFrame:
    """Workloads with no talking pair left after the carve-out, and why (internal)."""
    lone = [n for n in carved if deg.get(n, 0) == 0]
    if not lone:
        return pd.DataFrame({"reason": pd.Series(dtype=object)}, index=pd.Index([], name="service"))
    pos = fb.index
    nodes = np.asarray([str(x) for x in fb.nodes], dtype=object)
    u = np.r_[fb.u, fb.v]
    v = np.r_[fb.v, fb.u]
    peer_shared = np.isin(nodes[v], list(zone_set)) if zone_set else np.zeros(len(v), dtype=bool)
    peer_ext = np.isin(nodes[v], list(external)) if external else np.zeros(len(v), dtype=bool)
    has_shared = np.zeros(fb.n, dtype=bool)
    has_ext = np.zeros(fb.n, dtype=bool)
    has_shared[u[peer_shared]] = True
    has_ext[u[peer_ext]] = True
    reasons = []
    for n in lone:
        i = pos[n]
        reasons.append("only-shared" if has_shared[i] else ("only-external" if has_ext[i] else "idle"))
    return pd.DataFrame({"reason": reasons}, index=pd.Index(lone, name="service"))


def _no_zoning(curve: TradeOff) -> str:
    op = curve.operating
    if op is not None and op.eligible:
        return ""
    if op is not None:
        return (f"the zoning at the resolution fixed by the caller ({op.communities} zones at γ = "
                f"{op.resolution:g}) fails because: {op.why_not}")
    best = max(curve.candidates, key=lambda c: c.isolation if math.isfinite(c.isolation) else -1.0,
               default=None)
    if best is None:
        return "there is no talking pair between zoned workloads"
    return (f"across {len(curve.candidates)} resolutions (γ {curve.candidates[0].resolution:g}–"
            f"{curve.candidates[-1].resolution:g}) every candidate keeps one zone, has modularity ≤ 0 or "
            f"isolates too little; the most isolating one ({best.communities} zones at γ = "
            f"{best.resolution:g}) fails because: {best.why_not}")


class _SecondaryArgs(TypedDict):
    """The keyword arguments every :func:`_secondary` evaluation shares (internal)."""

    algorithm: str
    resolution: float
    seed: int | None
    n_seeds: int
    n_null: int
    swaps_per_edge: float
    workers: Workers
    thresholds: Thresholds


def _secondary(arrays: GraphArrays, binary: GraphArrays, conn: GraphArrays, edges: pd.DataFrame,
               weight: str, *, algorithm: str, resolution: float, seed: int | None, n_seeds: int,
               n_null: int, swaps_per_edge: float, workers: Workers, thresholds: Thresholds,
               progress: Progress | None, n_shared: int = 0) -> _Evaluation:
    """Stability, null model (one seed per graph) and metrics with reduced effort."""
    cache: dict = {}
    stab = stability_on_arrays(arrays, n_seeds=n_seeds, algorithm=algorithm, resolution=resolution,
                               seed=resolved(seed), weight=weight, n_jobs=workers, progress=progress, cache=cache,
                               ami_against_best=True)
    null = null_on_arrays(arrays, n_null=n_null, algorithm=algorithm, resolution=resolution, seed=resolved(seed),
                          n_seeds=1, swaps_per_edge=swaps_per_edge, n_jobs=workers, progress=progress,
                          cache=cache)
    return _evaluate(arrays, binary, conn, stab, null, edges, weight, thresholds, n_shared)


def _verdict(ev: _Evaluation, zone: SharedZone, q: dict[str, Any],
             thresholds: Thresholds) -> tuple[str, list[Reason]]:
    x = ev.inputs
    x.shared_share = zone.share_of_services
    x.shared_pair_share = zone.pair_share
    x.time_span_seconds = q["time_span_seconds"]
    x.unresolved_direction_share = q["unresolved_direction_share"]
    x.unmapped_share = q["unmapped_share"]
    return decide_verdict(x, thresholds)


def _context_reasons(by_weight: dict[str, dict[str, Any]], weight: str, verdict: str, zone: SharedZone,
                     nc: _NodeClasses, ext_edges: int, unassigned: pd.DataFrame,
                     curve: TradeOff) -> list[Reason]:
    out = []
    if any(v["verdict"] != verdict for v in by_weight.values()):
        others = ", ".join(f"{k}: {v['verdict']}" for k, v in by_weight.items() if k != weight)
        out.append(Reason("weight_sensitive", f"the verdict depends on how edges are weighted "
                          f"({weight}: {verdict}; {others})", "warn"))
    if zone.entries:
        out.append(Reason("shared_zone", f"{len(zone.entries)} service(s) carved out as shared "
                          f"({zone.share_of_services:.1%} of workloads, {zone.pair_share:.1%} of talking pairs, "
                          f"{zone.cross_pair_share:.1%} of the first-pass cross-community pairs); their "
                          "connections are shared-service rules, not exceptions", "info"))
    if zone.capped:
        out.append(Reason("shared_zone_capped", f"{len(zone.capped)} further service(s) look shared but stay "
                          f"workloads because the zone already absorbs its limit of talking pairs: "
                          + ", ".join(zone.capped[:5]) + (" …" if len(zone.capped) > 5 else ""), "warn"))
    if len(unassigned):
        counts = unassigned["reason"].value_counts()
        parts = ", ".join(f"{int(counts[k])} {k}" for k in ("idle", "only-shared", "only-external") if k in counts)
        out.append(Reason("unassigned_services", f"{len(unassigned)} workload(s) have no talking pair left to "
                          f"zone ({parts}); they are listed, not counted as zones", "info"))
    op = curve.operating
    if op is not None:
        out.append(Reason("operating_point", f"zoning chosen from the trade-off curve: {curve.choice}", "info"))
        band = next((b for b in curve.null_band if math.isclose(b["resolution"], op.resolution)), None)
        if band is not None:
            out.append(Reason("null_band", f"on {curve.n_null} degree-preserving rewirings the same resolution "
                              f"gives ρ {band['rho_low']:.2f}–{band['rho_high']:.2f} at isolation "
                              f"{band['isolation_median']:.0%} (this estate: ρ {op.rho:.2f})", "info"))
    if zone.allow_list_missing:
        out.append(Reason("allow_list_unknown", "allow-listed services not in the graph: "
                          + ", ".join(zone.allow_list_missing), "warn"))
    if nc.internet or nc.unknown:
        out.append(Reason("external_nodes", f"{len(nc.internet)} internet and {len(nc.unknown)} unknown "
                          f"node(s) with {ext_edges} edge(s) are outside the segmentation analysis", "info"))
    return out


def _services_table(nc: _NodeClasses, main: _Evaluation, zone_set: set[str], pre_bin: GraphArrays,
                    full_bin: GraphArrays, domain_of: dict[str, str | None],
                    unassigned: pd.DataFrame) -> pd.DataFrame:
    """One row per node: workloads from the metrics, shared and external nodes described."""
    svc = main.services
    # participation of shared services across the final communities
    final = np.full(pre_bin.n, -1, dtype=np.int64)
    pos = {n: i for i, n in enumerate(pre_bin.nodes)}
    for n, c in zip(svc.index, svc["community"].tolist(), strict=True):
        final[pos[n]] = c
    zone_scores = scores_on_arrays(pre_bin, np.maximum(final, 0), final >= 0)
    deg_full = dict(zip(full_bin.nodes, full_bin.degree().tolist(), strict=True))
    deg_pre = dict(zip(pre_bin.nodes, pre_bin.degree().tolist(), strict=True))
    rows = []
    for n in nc.names:
        status = ("zone" if n in svc.index else "shared" if n in zone_set
                  else str(unassigned.loc[n, "reason"]) if n in unassigned.index
                  else "external" if nc.kind[n] in ("internet", "unknown") else "unassigned")
        base = {"service": n, "kind": nc.kind[n], "domain": domain_of.get(n), "status": status}
        if n in svc.index:
            r = svc.loc[n]
            rows.append({**base, "community": int(r["community"]), "shared": False,
                         "degree": int(r["degree"]), "mu": float(r["mu"]),
                         "participation": float(r["participation"]), "within_z": float(r["within_z"]),
                         "role": r["role"]})
        elif n in zone_set:
            rows.append({**base, "community": None, "shared": True, "degree": int(deg_pre.get(n, 0)),
                         "mu": None, "participation": float(zone_scores.loc[n, "participation"]),
                         "within_z": None, "role": None})
        else:
            rows.append({**base, "community": None, "shared": False, "degree": int(deg_full.get(n, 0)),
                         "mu": None, "participation": None, "within_z": None, "role": None})
    cols = ["service", "community", "shared", "kind", "domain", "degree", "mu", "participation",
            "within_z", "role", "status"]
    table = pd.DataFrame(rows, columns=cols).set_index("service")
    table["community"] = table["community"].astype("Int64")
    table["shared"] = table["shared"].astype(bool)
    return table
