"""Shared-service zone, node classes and declared domains."""

from __future__ import annotations

import networkx as nx
import pytest
from _assess_helpers import add_hubs, node_name, planted_graph, service_graph_from_nx

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
    assert all("reaches" in e.reason for e in zone.entries)
    assert zone.share_of_services == pytest.approx(5 / 105)
    assert all(e.reach >= 0.8 * 100 / 104 for e in zone.entries)


def test_community_reach_rule_needs_participation_and_degree() -> None:
    # 6 cliques of 8; "bus" links to two members of every clique: reach 12/48 < 30 %,
    # but it touches 6/6 communities with P = 5/6
    G = nx.Graph()
    for c in range(6):
        G.add_edges_from(((c, i), (c, j)) for i in range(8) for j in range(i + 1, 8))
        G.add_edges_from([("bus", (c, 0)), ("bus", (c, 1))])
    part = {n: (n[0] if isinstance(n, tuple) else 0) for n in G}
    scores = shared_service_scores(G, part)
    assert scores.loc["bus", "reach"] == pytest.approx(12 / 48)
    assert scores.loc["bus", "community_reach"] == 1.0
    assert scores.loc["bus", "participation"] == pytest.approx(1 - 6 * (1 / 6) ** 2)
    # degree 12 < 3 × median degree (7): not remarkable enough with the default factor
    assert detect_shared_services(G, part).services == []
    lenient = Thresholds(shared_degree_factor=1.5)
    zone = detect_shared_services(G, part, thresholds=lenient)
    assert zone.services == ["bus"] and "touches 100%" in zone.entries[0].reason
    # raise the absolute degree floor: not flagged any more
    assert detect_shared_services(G, part, thresholds=Thresholds(
        shared_degree_factor=1.5, shared_min_degree=13)).services == []
    # too few communities for the rule
    assert detect_shared_services(G, part, thresholds=Thresholds(
        shared_degree_factor=1.5, shared_min_communities=7)).services == []


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


def test_zone_above_the_cap_is_infeasible() -> None:
    G = planted_graph(0.1, blocks=4, size=15, degree=8)
    sg = service_graph_from_nx(G)
    many = [node_name(i) for i in range(10)]            # 10 of 60 = 16.7 %
    a = assess(sg, shared_services=many, detect_shared=False, **FAST)
    assert a.verdict == "infeasible"
    assert [r.code for r in a.reasons if r.effect == "fail"] == ["shared_zone_too_large"]


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
