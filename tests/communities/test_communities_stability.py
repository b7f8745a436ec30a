"""Seed stability, resolution sweep and the choice of resolution."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from flowgraph.communities import (
    Partition,
    SweepPoint,
    adjusted_rand,
    choose_resolution,
    pairwise_similarity,
    resolution_sweep,
    seed_stability,
)
from flowgraph.exceptions import ConfigError

PLANTED = nx.planted_partition_graph(4, 25, 0.4, 0.01, seed=5)


def test_adjusted_rand_equals_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        n = int(rng.integers(2, 60))
        a = rng.integers(0, int(rng.integers(1, 8)), n)
        b = rng.integers(0, int(rng.integers(1, 8)), n)
        assert adjusted_rand(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    assert adjusted_rand([0] * 5, [0] * 5) == 1.0
    assert adjusted_rand(list(range(5)), list(range(5))) == 1.0
    assert adjusted_rand([0] * 4, [0, 1, 2, 3]) == adjusted_rand_score([0] * 4, [0, 1, 2, 3])


def test_pairwise_similarity_needs_two_runs() -> None:
    ari, ami = pairwise_similarity([[0, 1, 1]])
    assert math.isnan(ari) and math.isnan(ami)


def test_planted_partition_is_perfectly_stable() -> None:
    st = seed_stability(PLANTED, n_seeds=6, seed=3)
    assert st.seeds == [3, 4, 5, 6, 7, 8]
    assert st.ari == pytest.approx(1.0) and st.ami == pytest.approx(1.0)
    assert st.best.n_communities == 4
    assert st.best.modularity == max(st.modularity_by_seed)
    assert st.best_index == st.modularity_by_seed.index(max(st.modularity_by_seed))
    d = st.to_dict()
    assert d["n_seeds"] == 6 and len(d["modularity_by_seed"]) == 6


def test_random_graph_is_unstable() -> None:
    G = nx.gnm_random_graph(200, 800, seed=1)
    st = seed_stability(G, n_seeds=6, algorithm="igraph-louvain")
    assert st.ari < 0.5


def test_sweep_excludes_trivial_partitions_and_reports_every_point() -> None:
    calls = []
    sw = resolution_sweep(PLANTED, resolutions=(0.02, 0.5, 1.0, 2.0), n_seeds=3,
                          progress=lambda step, done, total: calls.append((step, done, total)))
    first = sw.points[0]
    assert first.communities == 1 and first.ari == 1.0        # trivially stable …
    assert sw.chosen_resolution != 0.02                       # … and never chosen
    assert sw.chosen_resolution == 1.0
    assert "more than one community" in sw.choice and "excluded" in sw.choice
    assert [p["resolution"] for p in sw.to_list()] == [0.02, 0.5, 1.0, 2.0]
    assert set(sw.to_list()[0]) == {"resolution", "communities", "modularity", "cross_ratio", "ari"}
    assert calls[-1] == ("sweep", 12, 12)
    assert sw.point(1.0).cross_ratio == pytest.approx(
        sum(sw.point(1.0).best[a] != sw.point(1.0).best[b] for a, b in PLANTED.edges())
        / PLANTED.number_of_edges())


def _point(r: float, k: int, ari: float) -> SweepPoint:
    p = Partition([[0]], algorithm="x", seed=0, resolution=r, weight=None, modularity=0.0)
    return SweepPoint(r, k, float(k), 0.3, 0.2, ari, ari, 5, p)


def test_choose_resolution_rules() -> None:
    pts = [_point(0.25, 1, 1.0), _point(0.5, 3, 0.90), _point(0.75, 4, 0.97),
           _point(1.5, 5, 0.96), _point(3.0, 9, 0.4)]
    gamma, why = choose_resolution(pts)
    assert gamma == 0.75 and "ARI 0.970" in why                # most stable non-trivial
    pts[3] = _point(1.5, 5, 0.985)
    assert choose_resolution(pts)[0] == 0.75                   # 0.985 vs 0.97: a tie → closer to 1
    assert choose_resolution(pts, tie_tolerance=0.0)[0] == 1.5
    assert choose_resolution(pts, fixed=2.0) == (2.0, "fixed by the caller")
    gamma, why = choose_resolution([_point(0.5, 1, 1.0), _point(1.0, 1, 1.0)])
    assert gamma == 1.0 and "no resolution" in why
    gamma, why = choose_resolution([_point(0.5, 2, float("nan")), _point(2.0, 3, float("nan"))])
    assert gamma == 0.5 and "not measured" in why


def test_sweep_rejects_bad_grid() -> None:
    with pytest.raises(ConfigError):
        resolution_sweep(PLANTED, resolutions=(0.0, 1.0))
    with pytest.raises(ConfigError):
        seed_stability(PLANTED, n_seeds=0)
