"""End to end on planted estates: recovery, measured μ, verdicts across mixing, shared hubs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _assess_helpers import add_hubs, node_name, planted_graph, service_graph_from_nx
from sklearn.metrics import normalized_mutual_info_score

from flowgraph.assessment import METRIC_KEYS, VERDICTS, Assessment, assess

SETTINGS = {"n_seeds": 8, "n_null": 12, "secondary_seeds": 3, "secondary_null": 5}
MIXING = (0.05, 0.15, 0.28, 0.42, 0.55, 0.70)
# verdicts measured with these seeds (blocks of 30, mean degree 12, SBM seed 1, assess seed 0)
EXPECTED = {
    0.05: "feasible",
    0.15: "feasible",
    0.28: "feasible_with_exceptions",
    0.42: "marginal",
    0.55: "infeasible",
    0.70: "infeasible",
}
SEVERITY = {v: i for i, v in enumerate(VERDICTS[:4])}


@pytest.fixture(scope="module")
def series() -> dict[float, tuple[object, Assessment, np.ndarray]]:
    out = {}
    for mu in MIXING:
        G = planted_graph(mu)
        truth = np.array([G.nodes[i]["block"] for i in G.nodes()])
        out[mu] = (G, assess(service_graph_from_nx(G), **SETTINGS), truth)
    return out


def _labels(a: Assessment, G: object) -> np.ndarray:
    return a.partition.labels([node_name(i) for i in G.nodes()])  # type: ignore[attr-defined]


def _planted_mu(G: object, truth: np.ndarray) -> float:
    return float(np.mean([truth[u] != truth[v] for u, v in G.edges()]))  # type: ignore[attr-defined]


def test_verdicts_across_mixing(series: dict) -> None:
    got = {mu: series[mu][1].verdict for mu in MIXING}
    assert got == EXPECTED
    levels = [SEVERITY[got[mu]] for mu in MIXING]
    assert levels == sorted(levels)                     # never improves as mixing rises
    assert got[MIXING[0]] == "feasible" and got[MIXING[-1]] == "infeasible"


def test_recovery_and_measured_mu(series: dict) -> None:
    for mu in MIXING:
        G, a, truth = series[mu]
        nmi = normalized_mutual_info_score(truth, _labels(a, G))
        measured = a.metrics["cross_community_edge_ratio"]
        planted = _planted_mu(G, truth)
        if mu <= 0.42:
            assert nmi >= 0.9, (mu, nmi)
            assert measured == pytest.approx(planted, abs=0.02), (mu, measured, planted)
            assert a.metrics["modularity_zscore"] >= 3
            assert a.metrics["stability_ari"] >= 0.9
            assert a.metrics["communities"] == 6
        else:   # past the boundary the structure is not recoverable and the verdict says why
            codes = {r.code for r in a.reasons if r.effect == "fail"}
            assert codes & {"cross_ratio_high", "no_isolating_zoning"}
            assert measured >= 0.5


def test_weight_sensitivity_is_reported(series: dict) -> None:
    for mu in MIXING:
        a = series[mu][1]
        d = a.to_dict()
        by = d["metrics_by_weight"]
        assert set(by) == {"binary", "connections"}
        assert by["binary"]["verdict"] == a.verdict
        assert d["weight_sensitive"] == (by["connections"]["verdict"] != a.verdict)
        if d["weight_sensitive"]:
            assert any(r["code"] == "weight_sensitive" for r in d["reasons"])


@pytest.mark.parametrize("mu", [0.15, 0.28])
def test_shared_hubs_are_carved_out_and_the_verdict_is_unchanged(series: dict, mu: float) -> None:
    G, plain, _ = series[mu]
    hubbed = assess(service_graph_from_nx(add_hubs(G)), **SETTINGS)
    assert sorted(hubbed.shared_services) == [f"hub{i}" for i in range(5)]
    assert hubbed.verdict == plain.verdict
    assert hubbed.metrics["cross_community_edge_ratio"] == pytest.approx(
        plain.metrics["cross_community_edge_ratio"])
    # left in, the hubs would have made the estate look like a tangle
    assert hubbed.metrics_including_shared["cross_community_edge_ratio"] > 0.4
    assert hubbed.shared_zone.share_of_services == pytest.approx(5 / 185)


def test_to_dict_structure_is_exact_and_json_safe(series: dict) -> None:
    a = series[0.28][1]
    d = a.to_dict()
    assert set(d) == {
        "verdict", "weight_sensitive", "reasons", "metrics", "metrics_including_shared",
        "metrics_by_weight", "shared_services", "shared_zone", "external_nodes", "communities",
        "services", "exception_rules", "declared_domains", "stability", "resolution_sweep",
        "chosen_resolution", "resolution_choice", "null_model", "parameters", "versions",
        "tradeoff", "cost_curve", "uncertainty", "borderline", "abstained", "unassigned_services"}
    assert set(d["metrics"]) == set(METRIC_KEYS) == set(d["metrics_including_shared"])
    assert set(d["reasons"][0]) == {"code", "message", "effect"}
    assert {r["effect"] for r in d["reasons"]} <= {"fail", "warn", "info"}
    assert set(d["shared_zone"]) == {"services", "share_of_services", "allow_listed", "thresholds",
                                     "pair_share", "cross_pair_share", "talking_pairs", "capped",
                                     "first_pass_communities"}
    assert set(d["tradeoff"]) == {"algorithm", "candidates", "choice", "chosen_resolution", "n_null",
                                  "n_seeds", "n_shared", "null_band"}
    assert set(d["uncertainty"]) == {"communities", "isolation", "level", "method", "mu", "mu_sampling",
                                     "mu_redetected", "n", "note", "rho", "unit"}
    assert set(d["cost_curve"]) == {"observed", "null_band", "choice"}
    assert d["abstained"] is False and isinstance(d["borderline"], list)
    assert set(d["external_nodes"]) == {"internet", "unknown", "edges"}
    assert set(d["communities"][0]) == {"id", "services", "size", "internal_edges", "external_edges",
                                        "conductance", "strong", "weak", "dominant_domain"}
    assert set(d["services"][0]) == {"service", "community", "shared", "kind", "domain", "degree",
                                     "mu", "participation", "within_z", "role", "status"}
    assert set(d["exception_rules"][0]) == {"source_community", "destination_community",
                                            "server_port", "protocol", "pairs", "connections"}
    assert set(d["declared_domains"]) == {"domains", "cross_domain_edge_ratio", "exceptions", "ami",
                                          "ari", "misplaced"}
    assert set(d["stability"]) == {"n_seeds", "ari", "ami", "modularity_by_seed"}
    assert set(d["resolution_sweep"][0]) == {"resolution", "communities", "modularity", "cross_ratio", "ari"}
    assert set(d["null_model"]) == {"rewirings", "modularity", "cross_ratio", "observed_modularity",
                                    "observed_cross_ratio"}
    assert {"networkx", "python-louvain", "numpy", "scikit-learn", "flowgraph"} <= set(d["versions"])
    assert {"seed", "resolution", "n_seeds", "n_null", "algorithm", "weight", "shared_services",
            "detect_shared", "thresholds", "quality", "progress"} <= set(d["parameters"])
    json.dumps(d, allow_nan=False)

    def floats(x: object) -> list[float]:
        if isinstance(x, float):
            return [x]
        if isinstance(x, dict):
            return [f for v in x.values() for f in floats(v)]
        if isinstance(x, list):
            return [f for v in x for f in floats(v)]
        return []
    assert all(round(f, 6) == f and math.isfinite(f) for f in floats(d))
    # the headline figures are consistent with each other
    m = d["metrics"]
    assert m["exceptions"] + m["local_edges"] == m["edges"]
    assert m["exceptions_per_local_edge"] == pytest.approx(m["exceptions"] / m["local_edges"], abs=1e-6)
    assert m["exception_rules"] == len(d["exception_rules"])
    assert sum(c["size"] for c in d["communities"]) == m["services"]
    assert len(d["stability"]["modularity_by_seed"]) == 8 and d["null_model"]["rewirings"] == 12
    assert d["chosen_resolution"] in [p["resolution"] for p in d["resolution_sweep"]]
    html = a._repr_html_()
    assert a.verdict in html and "<table>" in html


def test_same_seed_same_result_and_jobs_do_not_matter() -> None:
    G = planted_graph(0.2, blocks=4, size=15, degree=8, seed=3)
    sg = service_graph_from_nx(G)
    kw = {"n_seeds": 3, "n_null": 4, "secondary_seeds": 2, "secondary_null": 2,
          "resolutions": (0.5, 1.0, 2.0)}
    one = assess(sg, **kw, n_jobs=1).to_dict()
    assert assess(sg, **kw, n_jobs=1).to_dict() == one
    two = assess(sg, **kw, n_jobs=2).to_dict()
    for d in (one, two):
        d["parameters"].pop("n_jobs")
        d["parameters"].pop("n_jobs_used")
    assert two == one
    other = assess(sg, **{**kw, "seed": 1}).to_dict()
    assert other["null_model"]["modularity"] != one["null_model"]["modularity"]
