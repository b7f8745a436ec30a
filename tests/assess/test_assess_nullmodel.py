"""Degree-preserving rewiring invariants and the significance test."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from flowgraph._arrays import GraphArrays
from flowgraph.assessment import (
    NullModelResult,
    degree_preserving_rewire,
    null_model_test,
    rewire_edge_arrays,
)


def _arrays(G: nx.Graph) -> GraphArrays:
    return GraphArrays.from_networkx(G, None)


def _keys(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(u, v) * n + np.maximum(u, v)


def test_rewiring_preserves_degrees_and_simplicity_and_mixes() -> None:
    G = nx.stochastic_block_model([100] * 10, [[0.08 if i == j else 0.003 for j in range(10)]
                                               for i in range(10)], seed=3)
    a = _arrays(G)
    u, v, st = rewire_edge_arrays(a.u, a.v, seed=11)
    n = a.n
    # every degree exactly preserved
    assert np.array_equal(np.bincount(np.r_[u, v], minlength=n), np.bincount(np.r_[a.u, a.v], minlength=n))
    # still simple: no self-loop, no multi-edge
    assert not np.any(u == v)
    keys = _keys(u, v, n)
    assert len(np.unique(keys)) == len(keys) == a.m
    # ~10·m successful swaps; most edges changed
    assert st.swaps == st.target == 10 * a.m
    kept = np.isin(keys, _keys(a.u, a.v, n)).mean()
    assert kept < 0.1
    # the planted structure is gone: cross-block share near the random expectation (0.9)
    block = np.array([G.nodes[i]["block"] for i in range(n)])
    assert (block[u] != block[v]).mean() > 0.8


def test_rewiring_is_deterministic_per_seed() -> None:
    a = _arrays(nx.gnm_random_graph(300, 1200, seed=1))
    u1, v1, _ = rewire_edge_arrays(a.u, a.v, seed=5)
    u2, v2, _ = rewire_edge_arrays(a.u, a.v, seed=5)
    u3, v3, _ = rewire_edge_arrays(a.u, a.v, seed=6)
    assert np.array_equal(u1, u2) and np.array_equal(v1, v2)
    assert not (np.array_equal(u1, u3) and np.array_equal(v1, v3))


def test_rewiring_stops_when_no_swap_is_possible() -> None:
    for G in (nx.star_graph(10), nx.complete_graph(6)):
        a = _arrays(G)
        u, v, st = rewire_edge_arrays(a.u, a.v, seed=0)
        assert st.swaps == 0 and st.rounds <= 20
        assert np.array_equal(np.sort(_keys(u, v, a.n)), np.sort(_keys(a.u, a.v, a.n)))


def test_rewiring_rejects_non_simple_input() -> None:
    with pytest.raises(ValueError, match="self-loops"):
        rewire_edge_arrays(np.array([0, 1]), np.array([0, 2]))
    with pytest.raises(ValueError, match="duplicate"):
        rewire_edge_arrays(np.array([0, 1, 2]), np.array([1, 0, 3]))


def test_degree_preserving_rewire_keeps_nodes_and_weights() -> None:
    G = nx.gnm_random_graph(60, 200, seed=4)
    for i, (a, b) in enumerate(G.edges()):
        G[a][b]["weight"] = float(i)
    G.nodes[0]["domain"] = "x"
    H = degree_preserving_rewire(G, seed=2)
    assert dict(H.degree()) == dict(G.degree())
    assert H.nodes[0]["domain"] == "x"
    assert sorted(d["weight"] for *_, d in H.edges(data=True)) == sorted(
        d["weight"] for *_, d in G.edges(data=True))
    assert nx.number_of_selfloops(H) == 0


def test_null_model_separates_structure_from_noise() -> None:
    planted = nx.planted_partition_graph(5, 20, 0.5, 0.01, seed=2)
    res = null_model_test(planted, n_null=15, algorithm="igraph-louvain")
    assert res.modularity_zscore > 10 and res.cross_ratio_zscore > 10
    assert res.modularity_pvalue == pytest.approx(1 / 16)
    assert res.cross_ratio_pvalue == pytest.approx(1 / 16)
    assert len(res.null_modularity) == 15 and all(s == 10 * planted.number_of_edges() for s in res.swaps)
    random_graph = nx.gnm_random_graph(200, 800, seed=3)
    res = null_model_test(random_graph, n_null=15, algorithm="igraph-louvain")
    assert res.modularity_zscore < 3
    d = res.to_dict()
    assert set(d) == {"rewirings", "modularity", "cross_ratio", "observed_modularity", "observed_cross_ratio"}


def test_null_model_same_pipeline_with_python_louvain() -> None:
    G = nx.planted_partition_graph(3, 12, 0.6, 0.02, seed=1)
    a = null_model_test(G, n_null=3, n_seeds=2, algorithm="louvain")
    b = null_model_test(G, n_null=3, n_seeds=2, algorithm="louvain")
    assert a.null_modularity == b.null_modularity        # seeded
    assert a.algorithm == "louvain" and a.n_seeds == 2
    assert null_model_test(G, n_null=3, n_seeds=2).algorithm == "leiden"   # the default


def test_zscore_edge_cases() -> None:
    r = NullModelResult(n_null=0, n_seeds=1, algorithm="louvain", resolution=1.0, swaps_per_edge=10,
                        observed_modularity=0.4, observed_cross_ratio=0.2)
    assert math.isnan(r.modularity_zscore) and math.isnan(r.modularity_pvalue)
    r.null_modularity = [0.3, 0.3]
    r.null_cross_ratio = [0.5, 0.5]
    assert r.modularity_zscore == math.inf and r.cross_ratio_zscore == math.inf
    r.null_modularity = [0.3, 0.5]
    assert r.modularity_zscore == pytest.approx((0.4 - 0.4) / np.std([0.3, 0.5], ddof=1))
    assert r.modularity_pvalue == pytest.approx(2 / 3)
