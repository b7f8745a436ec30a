"""One test per mechanism of the verdict (issue 11): what an architect expects on constructed estates.

Each estate is built from client → server pairs, replayed as a ServiceGraph
spanning a day, and assessed with reduced effort (the mechanisms do not
depend on the number of seeds or rewirings).
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from _assess_helpers import planted_graph

from flowgraph.assessment import VerdictInputs, assess, decide_verdict
from flowgraph.graph import ServiceGraph

FAST = {"n_seeds": 5, "n_null": 5, "band_null": 2, "n_bootstrap": 10, "seed": 0}
ORDER = ("feasible", "feasible_with_exceptions", "marginal", "infeasible")


def estate(pairs, *, kinds: dict[str, str] | None = None, extra: tuple[str, ...] = (),
           seed: int = 0) -> ServiceGraph:
    """ServiceGraph of directed ``(client, server)`` pairs (plus edge-less ``extra`` services)."""
    rng = np.random.default_rng(seed)
    pairs = list(dict.fromkeys((str(a), str(b)) for a, b in pairs if a != b))
    conns = rng.integers(5, 500, len(pairs))
    edges = pd.DataFrame({"client": [a for a, _ in pairs], "server": [b for _, b in pairs],
                          "server_port": 443, "protocol": 6, "connections": conns, "packets": conns * 10,
                          "bytes": conns * 1000, "first_seen": 0, "last_seen": 86_400, "hours_seen": 24,
                          "days_seen": 1})
    names = sorted({n for p in pairs for n in p} | set(extra))
    kinds = kinds or {}
    nodes = pd.DataFrame({"kind": [kinds.get(n, "service") for n in names], "domain": None},
                         index=pd.Index(names, name="service"))
    return ServiceGraph(edges, nodes)


def random_direction(G: nx.Graph, seed: int = 0, prefix: str = "s"):
    rng = np.random.default_rng(seed)
    for a, b in G.edges():
        a, b = f"{prefix}{a}", f"{prefix}{b}"
        yield (a, b) if rng.random() < 0.5 else (b, a)


def domains(k: int = 6, size: int = 10, p: float = 0.5, seed: int = 0):
    """k dense domains of ``size`` services (``d<i>-<j>``)."""
    rng = np.random.default_rng(seed)
    for d in range(k):
        for i, j in itertools.combinations(range(size), 2):
            if rng.random() < p:
                yield f"d{d}-{i}", f"d{d}-{j}"


def test_hub_and_spoke_groups_are_feasible_even_though_not_beyond_degrees():
    """APIs with workers and private stores (a forest of stars joined in a chain): μ ≈ 0 → feasible."""
    pairs = []
    for g in range(12):
        api = f"api{g}"
        for w in range(5):
            pairs += [(api, f"w{g}-{w}"), (f"w{g}-{w}", f"db{g}-{w}")]
        if g:
            pairs.append((f"api{g - 1}", api))
    r = assess(estate(pairs), **FAST)
    assert r.verdict == "feasible"
    assert r.metrics["communities"] == 12
    assert r.metrics["exceptions"] == 11
    assert r.metrics["isolation"] > 0.85


def test_significance_is_evidence_not_a_gate():
    """z ≈ 0 (a forest of stars is as modular as its rewirings) warns but keeps a low-cost zoning feasible."""
    x = VerdictInputs(services=72, edges=131, communities=12, mu=0.08, isolation=0.9, modularity_z=0.2,
                      stability_ari=1.0)
    verdict, reasons = decide_verdict(x)
    assert verdict == "feasible"
    assert {r.code: r.effect for r in reasons}["structure_not_beyond_degrees"] == "warn"


def test_tangle_with_one_clean_team_is_not_feasible():
    """300 randomly wired services plus one clean team of 20: no zoning of the tangle isolates cheaply."""
    tangle = list(random_direction(nx.gnm_random_graph(300, 1500, seed=3), prefix="t"))
    team = list(random_direction(nx.gnp_random_graph(20, 0.5, seed=4), prefix="team"))
    r = assess(estate(tangle + team + [("t0", "team0")]), **FAST)
    assert r.verdict in ("marginal", "infeasible")
    assert r.metrics["cross_community_edge_ratio"] > 0.35
    assert r.metrics["largest_zone_share"] < 0.5


def test_idle_and_only_shared_services_do_not_change_the_verdict():
    G = planted_graph(0.15, blocks=6, size=20, degree=8, seed=2)
    base_pairs = list(random_direction(G, prefix="s"))
    base = assess(estate(base_pairs), **FAST)
    idle = tuple(f"idle{i}" for i in range(30))
    s3 = [(f"batch{i}", "aws:s3") for i in range(10)]
    more = assess(estate(base_pairs + s3, extra=idle, kinds={"aws:s3": "aws-service"}), **FAST)
    assert more.verdict == base.verdict
    assert more.metrics["communities"] == base.metrics["communities"]
    assert more.metrics["cross_community_edge_ratio"] == pytest.approx(base.metrics["cross_community_edge_ratio"])
    reasons = more.unassigned["reason"].value_counts().to_dict()
    assert reasons == {"idle": 30, "only-shared": 10}
    assert more.services_table.loc["idle3", "status"] == "idle"
    assert pd.isna(more.services_table.loc["batch0", "community"])


def test_orchestrator_calling_six_domains_is_a_workload_whose_calls_are_exceptions():
    pairs = list(domains(6, 10))
    pairs += [("booking", f"d{d}-0") for d in range(6)] + [("d0-1", "booking")]
    r = assess(estate(pairs), **FAST)
    assert "booking" not in r.shared_services
    row = r.services_table.loc["booking"]
    assert row["status"] == "zone" and not pd.isna(row["community"])
    # five of its six calls leave its own zone and are named exceptions
    rules = r.exception_rules
    assert int((rules["source_community"] == row["community"]).sum()) == 5
    scores = r.shared_zone.scores.loc["booking"]
    assert (int(scores["callers"]), int(scores["callees"])) == (1, 6)


def test_platform_service_called_by_every_domain_is_shared():
    pairs = list(domains(6, 10))
    pairs += [(f"d{d}-{i}", "identity") for d in range(6) for i in (2, 5)]
    r = assess(estate(pairs), **FAST)
    assert r.shared_services == ["identity"]
    entry = r.shared_zone.entries[0]
    assert entry.callers == 12 and entry.caller_community_reach == 1.0
    assert r.shared_zone.pair_share == pytest.approx(12 / r.shared_zone.talking_pairs)
    assert r.verdict == "feasible"


def test_a_private_store_per_service_moves_the_verdict_at_most_one_step():
    G = planted_graph(0.42, blocks=6, size=25, degree=10, seed=5)
    pairs = list(random_direction(G, prefix="s"))
    before = assess(estate(pairs), **FAST)
    stores = [(f"s{n}", f"s{n}-db") for n in G.nodes()]
    after = assess(estate(pairs + stores), **FAST)
    assert not any(s.endswith("-db") for s in after.shared_services)
    assert abs(ORDER.index(after.verdict) - ORDER.index(before.verdict)) <= 1
    assert before.verdict in ("marginal", "infeasible")


@pytest.mark.parametrize("cliques,size", [(40, 5), (80, 4)])
def test_ring_of_cliques_is_feasible_with_one_zone_per_clique(cliques, size):
    r = assess(estate(random_direction(nx.ring_of_cliques(cliques, size), prefix="c")), **FAST)
    assert r.verdict == "feasible"
    assert abs(r.metrics["communities"] - cliques) <= 0.1 * cliques


def test_tree_of_cliques_is_feasible_with_one_zone_per_clique():
    rng = np.random.default_rng(7)
    k, size = 50, 6
    G = nx.disjoint_union_all([nx.complete_graph(size) for _ in range(k)])
    for c in range(1, k):                      # a random tree over the cliques
        parent = int(rng.integers(0, c))
        G.add_edge(c * size + int(rng.integers(size)), parent * size + int(rng.integers(size)))
    r = assess(estate(random_direction(G, prefix="n")), **FAST)
    assert r.verdict == "feasible"
    assert abs(r.metrics["communities"] - k) <= 0.1 * k


def test_erdos_renyi_is_infeasible():
    r = assess(estate(random_direction(nx.gnm_random_graph(200, 1200, seed=11), prefix="r")), **FAST)
    assert r.verdict == "infeasible"
    assert r.metrics["cross_community_edge_ratio"] >= 0.5


def test_twelve_service_system_abstains_and_still_shows_what_was_found():
    pairs = [("front", "cart"), ("front", "catalog"), ("front", "checkout"), ("checkout", "payment"),
             ("checkout", "shipping"), ("checkout", "email"), ("checkout", "cart"), ("cart", "redis"),
             ("front", "ads"), ("front", "recs"), ("recs", "catalog"), ("front", "currency"),
             ("checkout", "currency"), ("catalog", "catalog-db")]
    r = assess(estate(pairs), **FAST)
    assert r.verdict == "insufficient_data" and r.abstained
    first = r.reasons[0]
    assert first.code == "too_small" and "14 talking pairs" in first.message
    assert r.metrics["communities"] >= 2 and r.metrics["edges"] == 14


def test_a_fixed_resolution_that_isolates_nothing_is_reported_as_such() -> None:
    G = nx.gnm_random_graph(80, 400, seed=1)
    a = assess(estate(random_direction(G)), resolution=0.01, n_seeds=3, n_null=4)
    fail = [r for r in a.reasons if r.effect == "fail"]
    assert a.verdict == "infeasible" and fail[0].code == "no_isolating_zoning"
    assert "fixed by the caller (1 zones at γ = 0.01)" in fail[0].message


def _uneven_planted(mu: float = 0.5, seed: int = 1) -> tuple[nx.Graph, np.ndarray]:
    """16 planted groups of 16–48 services, mean degree 16, a share ``mu`` of each one's pairs outside."""
    sizes = sorted(np.random.default_rng(seed).integers(15, 50, 16).tolist())
    n, deg = sum(sizes), 16
    p_out = deg * mu / (n - n / len(sizes))
    probs = [[deg * (1 - mu) / (a - 1) if i == j else p_out for j in range(len(sizes))] for i, a in enumerate(sizes)]
    G = nx.stochastic_block_model(sizes, probs, seed=seed)
    return G, np.array([G.nodes[i]["block"] for i in range(n)])


def test_a_resolution_plateau_gives_the_planted_zone_count_where_gamma_one_merges_groups():
    """At μ 0.5 modularity at γ = 1 merges planted groups (14 zones for 16, zones not all weak, so the
    all-weak refinement cannot help); the zoning at γ 1.5 persists at γ 2 (same 16 zones, ARI 1) for
    0.01 more μ, and the plateau rule moves there.  Without the rule (no μ slack) γ = 1 stays."""
    from sklearn.metrics import normalized_mutual_info_score

    from flowgraph.assessment import Thresholds, tradeoff_curve

    G, truth = _uneven_planted()
    curve = tradeoff_curve(G, seed=0)
    by_gamma = {c.resolution: c for c in curve.candidates}
    base, op = by_gamma[1.0], curve.operating
    assert base.communities == 14 and not base.all_weak and np.isnan(base.neighbour_ari)
    assert (op.resolution, op.communities) == (1.5, 16) and by_gamma[2.0].communities == 16
    assert op.neighbour_ari == 1.0 and 0 < op.mu - base.mu <= 0.02
    assert "moved to the plateau at γ = 1.5: 16 zones" in curve.choice
    assert normalized_mutual_info_score(truth, op.labels) > normalized_mutual_info_score(truth, base.labels) + 0.02
    assert normalized_mutual_info_score(truth, op.labels) > 0.98
    assert tradeoff_curve(G, seed=0, thresholds=Thresholds(plateau_mu_slack=0.0)).operating.communities == 14
    # the assessment reports the plateau's zoning
    r = assess(estate(random_direction(G, prefix="p")), **FAST)
    assert r.chosen_resolution == 1.5 and r.metrics["communities"] == 16
    planted_mu = np.mean([truth[a] != truth[b] for a, b in G.edges()])
    assert abs(r.metrics["cross_community_edge_ratio"] - planted_mu) < 0.01


def test_grid_stops_extending_once_no_finer_zoning_can_be_chosen(monkeypatch):
    """Past μ 0.5 and the plateau slack above γ = 1, finer zonings cannot be the operating
    point: the grid ends at its base (16), where it used to double to 256 here."""
    import networkx as nx

    import flowgraph.assessment.tradeoff as T

    G = nx.planted_partition_graph(10, 30, 0.3, 0.02, seed=3)
    new = T.tradeoff_curve(G, seed=0, n_seeds=2)
    assert max(new.resolutions) == 16.0
    assert new.candidates[-1].mu >= 0.5
    monkeypatch.setattr(T, "_past_any_choice", lambda *a: False)
    old = T.tradeoff_curve(G, seed=0, n_seeds=2)
    assert max(old.resolutions) == 256.0
    assert (new.operating.resolution, new.operating.communities) == (old.operating.resolution,
                                                                      old.operating.communities) == (1.0, 10)
