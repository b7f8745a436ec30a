"""Shared-service zone, node classes and declared domains."""

from __future__ import annotations

import networkx as nx
import pytest
from _assess_helpers import add_hubs, node_name, planted_graph, service_graph_from_nx
from scipy.stats import binom

from flowgraph.assessment import (
    Thresholds,
    assess,
    compare_declared,
    detect_shared_services,
    dominant_domains,
    shared_service_scores,
)
from flowgraph.communities import detect_communities

FAST = {"n_seeds": 4, "n_null": 6, "sweep_seeds": 3, "secondary_seeds": 2, "secondary_null": 3,
        "resolutions": (0.5, 1.0, 2.0)}


def test_hubs_are_detected_by_reach() -> None:
    G = add_hubs(planted_graph(0.1, blocks=5, size=20))
    first = detect_communities(G, seed=0)
    zone = detect_shared_services(G, first)
    assert zone.services == [f"hub{i}" for i in range(5)] or sorted(zone.services) == [f"hub{i}" for i in range(5)]
    assert all("called by" in e.reason for e in zone.entries)
    assert zone.share_of_services == pytest.approx(5 / 105)
    assert all(e.caller_reach >= 0.8 * 100 / 104 for e in zone.entries)   # undirected: both ways


def test_community_reach_rule_needs_a_surprising_number_of_cross_callers() -> None:
    # 6 cliques of 8; "bus" links to two members of every clique: reach 12/48 < 30 %,
    # but callers from 5/5 other communities, 10 of its 12 callers cross
    G = nx.Graph()
    for c in range(6):
        G.add_edges_from(((c, i), (c, j)) for i in range(8) for j in range(i + 1, 8))
        G.add_edges_from([("bus", (c, 0)), ("bus", (c, 1))])
    part = {n: (n[0] if isinstance(n, tuple) else 0) for n in G}
    scores = shared_service_scores(G, part)
    assert scores.loc["bus", "caller_reach"] == pytest.approx(12 / 48)
    assert scores.loc["bus", "caller_community_reach"] == 1.0
    assert scores.loc["bus", "caller_cross"] == 10
    # estate cross share: 10 of 6 × 28 + 12 = 180 pairs; P(X ≥ 10 | 12, 10/180)
    assert scores.loc["bus", "caller_pvalue"] == pytest.approx(binom.sf(9, 12, 10 / 180))
    zone = detect_shared_services(G, part)
    assert zone.services == ["bus"] and "called from 100% of the other 5" in zone.entries[0].reason
    # not surprising enough at a stricter level, too few callers, too few communities: not shared
    strict = Thresholds(shared_alpha=binom.sf(9, 12, 10 / 180) / 2)
    assert detect_shared_services(G, part, thresholds=strict).services == []
    assert detect_shared_services(G, part, thresholds=Thresholds(shared_min_callers=13)).services == []
    assert detect_shared_services(G, part, thresholds=Thresholds(shared_min_communities=7)).services == []


def test_an_orchestrator_is_not_shared_but_a_platform_service_is() -> None:
    G = nx.DiGraph()
    for t in range(8):
        team = [f"t{t}-{i}" for i in range(5)]
        G.add_edges_from((a, b) for a in team for b in team if a < b)
        G.add_edges_from([(team[0], "idp"), (team[2], "idp")])
        G.add_edges_from([("booking", team[1]), ("booking", team[3])])
    G.add_edges_from([("t0-4", "booking"), ("t0-3", "booking")])
    part = {n: int(n[1]) if n.startswith("t") else 0 for n in G}
    zone = detect_shared_services(G, part)
    assert zone.services == ["idp"]
    s = zone.scores
    assert (int(s.loc["booking", "callers"]), int(s.loc["booking", "callees"])) == (2, 16)
    assert s.loc["booking", "callee_community_reach"] == 1.0


def test_tiny_or_uniform_graphs_flag_nothing() -> None:
    ring = nx.circulant_graph(12, [1, 2])
    assert detect_shared_services(ring, detect_communities(ring)).services == []
    dense = planted_graph(0.6, blocks=5, size=20)
    assert detect_shared_services(dense, detect_communities(dense)).services == []


def test_allow_list_and_aws_endpoints() -> None:
    G = planted_graph(0.1, blocks=4, size=10, degree=6)
    part = detect_communities(G)
    zone = detect_shared_services(G, part, allow_list=["3", "nope"], aws_services=[], detect=False)
    assert zone.services == ["3"] and zone.allow_listed == ["3"]
    assert zone.allow_list_missing == ["nope"]
    assert zone.share_of_services == pytest.approx(1 / 40)


def test_assess_node_classes() -> None:
    G = planted_graph(0.1, blocks=4, size=15, degree=8)
    G.add_node("aws:s3", kind="aws-service")
    G.add_node("internet", kind="internet")
    G.add_node("unknown:10.9.0.0/16", kind="unknown")
    for i in range(0, 60, 3):
        G.add_edge(i, "aws:s3")
    G.add_edges_from([(0, "internet"), (1, "internet"), (2, "unknown:10.9.0.0/16")])
    sg = service_graph_from_nx(G)
    a = assess(sg, shared_services=["s007", "ghost"], **FAST)
    d = a.to_dict()
    assert d["external_nodes"] == {"internet": ["internet"], "unknown": ["unknown:10.9.0.0/16"], "edges": 3}
    zone = {e["service"]: e["reason"] for e in d["shared_zone"]["services"]}
    assert zone["aws:s3"] == "AWS service endpoint" and zone["s007"] == "allow-list"
    assert d["shared_zone"]["share_of_services"] == pytest.approx(1 / 60, abs=1e-6)   # AWS is not a workload
    assert d["metrics"]["services"] == 59
    assert d["metrics_including_shared"]["services"] == 61                  # + aws:s3 + s007
    assert {r["code"]: r["effect"] for r in d["reasons"]}["allow_list_unknown"] == "warn"
    rows = {s["service"]: s for s in d["services"]}
    assert rows["internet"]["community"] is None and rows["internet"]["shared"] is False
    assert rows["aws:s3"]["shared"] is True and rows["aws:s3"]["degree"] == 20
    assert rows["s000"]["community"] is not None
    assert all(c["dominant_domain"] for c in d["communities"])


def test_detection_stops_at_the_pair_cap_and_an_allow_list_above_it_is_infeasible() -> None:
    G = planted_graph(0.1, blocks=4, size=15, degree=8)
    sg = service_graph_from_nx(G)
    few = [node_name(i) for i in range(10)]             # 10 of 60 workloads (> 10 %) → a warning
    a = assess(sg, shared_services=few, detect_shared=False, **FAST)
    assert a.shared_zone.pair_share < 0.5 and a.shared_zone.share_of_services == pytest.approx(1 / 6)
    assert {r.code: r.effect for r in a.reasons}["shared_zone_large"] == "warn"
    assert a.verdict != "infeasible"
    many = [node_name(i) for i in range(40)]            # 40 of 60: more than three quarters of the pairs
    b = assess(sg, shared_services=many, detect_shared=False, **FAST)
    assert b.shared_zone.pair_share > 0.75
    assert b.verdict == "infeasible"
    assert "shared_zone_too_large" in [r.code for r in b.reasons if r.effect == "fail"]
    # detection itself never exceeds the cap: a hub-only estate keeps its extra hubs as workloads
    hubs = nx.Graph()
    hubs.add_edges_from((f"h{h}", f"w{w}") for h in range(6) for w in range(40))
    zone = detect_shared_services(hubs, {n: 0 for n in hubs})
    assert zone.pair_share == pytest.approx(4 / 6) and len(zone.capped) == 2   # each hub: 1/6 of the pairs
    assert len(zone.services) + len(zone.capped) == 6


def test_compare_declared() -> None:
    G = nx.Graph([("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("e", "f"), ("a", "c")])
    part = {"a": 0, "b": 0, "c": 0, "d": 1, "e": 1, "f": 1}
    dom = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "y", "f": None}
    r = compare_declared(G, part, dom)
    assert r.domains == 2 and r.declared_services == 5
    assert r.exceptions == 2                       # b–c and a–c
    assert r.considered_edges == 5                 # e–f has an undeclared end
    assert r.cross_domain_edge_ratio == pytest.approx(2 / 5)
    assert [m["service"] for m in r.misplaced] == ["c"]
    assert compare_declared(G, part, {n: "same" for n in G}) is None
    same = compare_declared(G, part, {"a": "p", "b": "p", "c": "p", "d": "q", "e": "q", "f": "q"})
    assert same.ami == pytest.approx(1.0) and same.ari == pytest.approx(1.0) and same.misplaced == []
    assert dominant_domains(part, dom) == {0: "x", 1: "y"}


def test_declared_domains_in_the_assessment() -> None:
    G = planted_graph(0.1, blocks=4, size=15, degree=8)
    a = assess(service_graph_from_nx(G), **FAST)
    dd = a.to_dict()["declared_domains"]
    assert dd["domains"] == 4 and dd["ami"] == pytest.approx(1.0) and dd["misplaced"] == []
    assert dd["cross_domain_edge_ratio"] == pytest.approx(a.metrics["cross_community_edge_ratio"], abs=1e-6)
    # without declared domains the section is None
    for n in G:
        G.nodes[n]["block"] = None
    assert assess(service_graph_from_nx(G), **FAST).to_dict()["declared_domains"] is None
