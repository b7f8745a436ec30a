"""Every metric on hand-built graphs whose numbers are known."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

from flowgraph.assessment import (
    ROLES,
    classify_role,
    community_table,
    cross_ratio,
    exception_concentration,
    exception_rules,
    exceptions_per_local_edge,
    modularity,
    participation_coefficients,
    service_table,
    within_module_zscores,
)


@pytest.fixture
def hand() -> tuple[nx.Graph, dict[str, int]]:
    """A = {a1..a4} (4 internal edges), B = {b1..b3} (2 internal), 3 cross edges."""
    G = nx.Graph([("a1", "a2"), ("a1", "a3"), ("a1", "a4"), ("a2", "a3"),
                  ("b1", "b2"), ("b2", "b3"),
                  ("a1", "b1"), ("a4", "b1"), ("a4", "b2")])
    part = {"a1": 0, "a2": 0, "a3": 0, "a4": 0, "b1": 1, "b2": 1, "b3": 1}
    return G, part


def test_mu_and_rho(hand: tuple[nx.Graph, dict[str, int]]) -> None:
    G, part = hand
    assert cross_ratio(G, part) == pytest.approx(3 / 9)
    assert exceptions_per_local_edge(G, part) == pytest.approx(3 / 6)
    # ρ = μ / (1 − μ)
    mu = cross_ratio(G, part)
    assert exceptions_per_local_edge(G, part) == pytest.approx(mu / (1 - mu))
    # a weighted μ uses edge weights
    nx.set_edge_attributes(G, 1.0, "w")
    G["a1"]["b1"]["w"] = 7.0
    assert cross_ratio(G, part, weight="w") == pytest.approx(9 / 15)
    # no local edges: ρ is infinite; no edges at all: NaN
    assert exceptions_per_local_edge(nx.path_graph(3), [{0}, {1}, {2}]) == math.inf
    assert math.isnan(cross_ratio(nx.empty_graph(2), [{0}, {1}]))


def test_participation_coefficient(hand: tuple[nx.Graph, dict[str, int]]) -> None:
    G, part = hand
    P = participation_coefficients(G, part)
    assert P["a1"] == pytest.approx(1 - (3 / 4) ** 2 - (1 / 4) ** 2)     # 0.375
    assert P["a4"] == pytest.approx(4 / 9)
    assert P["b1"] == pytest.approx(4 / 9) and P["b2"] == pytest.approx(4 / 9)
    assert P["a2"] == 0.0 and P["b3"] == 0.0
    # uniformly spread over K communities → 1 − 1/K
    star = nx.star_graph(4)
    assert participation_coefficients(star, [{0}, {1}, {2}, {3}, {4}])[0] == pytest.approx(1 - 1 / 4)


def test_within_module_zscore(hand: tuple[nx.Graph, dict[str, int]]) -> None:
    G, part = hand
    z = within_module_zscores(G, part)
    # A: k_in = 3, 2, 2, 1 → mean 2, population sd √0.5
    assert z["a1"] == pytest.approx(1 / math.sqrt(0.5))
    assert z["a2"] == pytest.approx(0.0) and z["a4"] == pytest.approx(-1 / math.sqrt(0.5))
    # B: k_in = 1, 2, 1 → mean 4/3, sd √(2/9)
    assert z["b2"] == pytest.approx((2 - 4 / 3) / math.sqrt(2 / 9))
    assert z["b1"] == pytest.approx((1 - 4 / 3) / math.sqrt(2 / 9))
    # equal internal degrees → sd 0 → z = 0
    assert set(within_module_zscores(nx.cycle_graph(5), [set(range(5))]).values()) == {0.0}


def test_community_table_conductance_strong_weak(hand: tuple[nx.Graph, dict[str, int]]) -> None:
    G, part = hand
    t = community_table(G, part)
    assert t["size"].tolist() == [4, 3]
    assert t["internal_edges"].tolist() == [4, 2]
    assert t["external_edges"].tolist() == [3, 3]
    # vol(A) = 11, vol(B) = 7: conductance = 3 / min(vol, 18 − vol) = 3/7 for both
    assert t["conductance"].tolist() == pytest.approx([3 / 7, 3 / 7])
    assert t["strong"].tolist() == [False, False]   # a4 and b1 talk more outside than inside
    assert t["weak"].tolist() == [True, True]       # 2·4 > 3 and 2·2 > 3
    assert t.loc[0, "services"] == ["a1", "a2", "a3", "a4"]
    # strong: a triangle with one bridge; not weak: a pendant node as its own community
    G2 = nx.Graph([(0, 1), (1, 2), (0, 2), (2, 3)])
    t2 = community_table(G2, [{0, 1, 2}, {3}])
    assert t2["strong"].tolist() == [True, False]
    assert t2["weak"].tolist() == [True, False]
    # an isolated community needs no rule: strong and weak, conductance 0
    G3 = nx.Graph([(0, 1)])
    G3.add_node(2)
    t3 = community_table(G3, [{0, 1}, {2}])
    assert t3.loc[1, ["strong", "weak", "conductance"]].tolist() == [True, True, 0.0]


def test_modularity_matches_networkx(hand: tuple[nx.Graph, dict[str, int]]) -> None:
    G, part = hand
    expected = 4 / 9 + 2 / 9 - (11 / 18) ** 2 - (7 / 18) ** 2
    assert modularity(G, part) == pytest.approx(expected)
    sets = [{n for n, c in part.items() if c == k} for k in (0, 1)]
    for gamma in (0.5, 1.0, 2.5):
        assert modularity(G, part, resolution=gamma) == pytest.approx(
            nx.community.modularity(G, sets, resolution=gamma))


def test_service_table_and_roles(hand: tuple[nx.Graph, dict[str, int]]) -> None:
    G, part = hand
    t = service_table(G, part)
    assert t.loc["a4", "degree"] == 3 and t.loc["a4", "mu"] == pytest.approx(2 / 3)
    assert t.loc["a2", "role"] == "ultra-peripheral"
    assert t.loc["a1", "role"] == "peripheral"
    assert set(t.columns) == {"community", "degree", "mu", "participation", "within_z", "role"}


@pytest.mark.parametrize(("p", "z", "role"), [
    (0.05, 0.0, "ultra-peripheral"), (0.0501, 0.0, "peripheral"), (0.62, 0.0, "peripheral"),
    (0.63, 0.0, "non-hub connector"), (0.80, 2.49, "non-hub connector"), (0.81, 0.0, "non-hub kinless"),
    (0.30, 2.5, "provincial hub"), (0.31, 2.5, "connector hub"), (0.75, 3.0, "connector hub"),
    (0.76, 3.0, "kinless hub"),
])
def test_role_thresholds(p: float, z: float, role: str) -> None:
    assert classify_role(p, z) == role
    assert role in ROLES.values()


def test_exception_rules_from_a_directed_edge_table() -> None:
    edges = pd.DataFrame({
        "client":      ["a", "a", "b", "a", "c", "c", "a", "x", "a"],
        "server":      ["c", "c", "c", "d", "a", "a", "b", "a", "a"],
        "server_port": [443, 22,  443, 443, 5432, 5432, 80, 443, 9],
        "protocol":    [6,   6,   6,   6,   6,    17,   6,  6,   6],
        "connections": [5,   1,   2,   4,   7,    3,    9,  1,   1],
    })
    membership = {"a": 0, "b": 0, "c": 1, "d": 1}   # x is not analysed; a→a is a self call
    rules = exception_rules(edges, membership)
    got = {tuple(r[:4]): (r[4], r[5]) for r in rules.itertuples(index=False)}
    assert got == {
        (0, 1, 443, 6): (3, 11),    # a→c, b→c, a→d on 443/tcp: 3 pairs
        (0, 1, 22, 6): (1, 1),
        (1, 0, 5432, 6): (1, 7),    # the reverse direction is its own rule
        (1, 0, 5432, 17): (1, 3),   # and so is another protocol
    }
    assert rules.iloc[0].tolist()[:4] == [0, 1, 443, 6]   # most pairs first
    empty = exception_rules(edges, {"a": 0, "b": 0, "c": 0, "d": 0})
    assert len(empty) == 0 and list(empty.columns) == list(rules.columns)


def _pairs_graph(counts: dict[tuple[int, int], int], k: int) -> tuple[nx.Graph, list[set]]:
    """Communities of 20 nodes in a line; `counts` cross edges between community pairs."""
    G = nx.Graph()
    comms = []
    for c in range(k):
        nodes = [(c, i) for i in range(20)]
        comms.append(set(nodes))
        nx.add_path(G, nodes)
    for (a, b), n in counts.items():
        for i in range(n):
            G.add_edge((a, i), (b, i))
    return G, comms


def test_exception_concentration() -> None:
    # 5 pairs → the top max(1, floor(0.5)) = 1 pair: 5 of 10 cross edges
    G, comms = _pairs_graph({(0, 1): 5, (0, 2): 2, (1, 2): 1, (3, 4): 1, (4, 5): 1}, 6)
    assert exception_concentration(G, comms) == pytest.approx(0.5)
    # 20 pairs → the top 2 pairs
    counts = {(a, b): 1 for a in range(7) for b in range(a + 1, 7)}   # 21 pairs …
    counts.pop((5, 6))                                                # … 20
    counts[(0, 1)] = 10
    counts[(0, 2)] = 5
    G, comms = _pairs_graph(counts, 7)
    assert exception_concentration(G, comms) == pytest.approx(15 / (15 + 18))
    assert math.isnan(exception_concentration(nx.path_graph(3), [{0, 1, 2}]))
