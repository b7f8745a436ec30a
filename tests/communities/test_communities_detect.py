"""Community detection: known graphs, determinism, post-processing, algorithm variants."""

from __future__ import annotations

import sys

import networkx as nx
import numpy as np
import pytest
from sklearn.metrics import homogeneity_score

from flowgraph._arrays import GraphArrays, modularity_of, split_and_canonicalize
from flowgraph.communities import ALGORITHMS, Partition, algorithm_engine, detect_communities
from flowgraph.exceptions import ConfigError, MissingDependencyError


def test_barbell_two_communities_and_mu() -> None:
    G = nx.barbell_graph(6, 0)          # two 6-cliques, one bridge
    p = detect_communities(G, seed=0)
    assert p.n_communities == 2
    assert p.communities == [list(range(6)), list(range(6, 12))]
    cross = sum(p[a] != p[b] for a, b in G.edges())
    assert cross / G.number_of_edges() == 1 / G.number_of_edges()
    assert p.modularity == pytest.approx(nx.community.modularity(G, p.communities))


def test_karate_club_best_of_seeds_matches_published_optimum() -> None:
    G = nx.karate_club_graph()
    runs = [detect_communities(G, seed=s, weight=None) for s in range(20)]
    best = max(runs, key=lambda p: p.modularity)
    # published optimum of the unweighted karate club: Q = 0.4198 (4 communities)
    assert 0.41 <= best.modularity <= 0.41979
    assert best.modularity == pytest.approx(0.4198, abs=1.5e-3)
    assert best.n_communities == 4
    for p in runs:  # our modularity equals networkx's for every run
        assert p.modularity == pytest.approx(nx.community.modularity(G, p.communities, weight=None), abs=1e-12)
    # the known structure: communities nest inside the two factions of the split
    club = [G.nodes[n]["club"] for n in G.nodes()]
    assert homogeneity_score(club, best.labels(G.nodes())) > 0.75


def test_weighted_modularity_matches_networkx() -> None:
    G = nx.karate_club_graph()           # has "weight" edge attributes
    for gamma in (0.5, 1.0, 2.0):
        p = detect_communities(G, seed=3, resolution=gamma)
        assert p.modularity == pytest.approx(
            nx.community.modularity(G, p.communities, weight="weight", resolution=gamma), abs=1e-12)


def test_partition_records_run_and_ids_are_canonical() -> None:
    G = nx.planted_partition_graph(3, 10, 0.9, 0.01, seed=4)
    p = detect_communities(G, seed=7, resolution=0.9, algorithm="louvain")
    assert (p.algorithm, p.seed, p.resolution, p.weight) == ("louvain", 7, 0.9, "weight")
    assert p.params["engine"].startswith("python-louvain")
    sizes = p.sizes
    assert sizes == sorted(sizes, reverse=True)
    firsts = [c[0] for c in p.communities]
    for a, b in zip(p.communities, p.communities[1:], strict=False):
        if len(a) == len(b):
            assert a[0] < b[0]
    assert firsts[0] == min(p.communities[0])
    # same seed, same result; relabelled graph with shuffled insertion gives the same ids
    assert detect_communities(G, seed=7, resolution=0.9, algorithm="louvain").to_dict() == p.to_dict()


def test_partition_mapping_and_output() -> None:
    p = Partition([["b", "a"], ["c"]], algorithm="manual", seed=None, resolution=1.0, weight=None,
                  modularity=float("nan"))
    assert dict(p) == {"a": 0, "b": 0, "c": 1}
    d = p.to_dict()
    assert d["modularity"] is None and d["communities"] == [["a", "b"], ["c"]]
    html = p._repr_html_()
    assert "<table>" in html and "manual" in html
    with pytest.raises(ValueError):
        Partition([["a"], ["a"]], algorithm="x", seed=0, resolution=1.0, weight=None, modularity=0.0)


def test_disconnected_communities_are_split() -> None:
    # two triangles and an edge; raw labels put both triangles in community 0
    G = nx.Graph([(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (6, 7)])
    arrays = GraphArrays.from_networkx(G)
    raw = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    labels, splits = split_and_canonicalize(arrays, raw)
    assert splits == 1
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2]


def test_detect_splits_disconnected_output(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowgraph.communities import detect as detect_mod

    def glued(arrays: GraphArrays, algorithm: str, resolution: float, seed: int | None) -> np.ndarray:
        return np.zeros(arrays.n, dtype=np.int64)   # one community for two components

    monkeypatch.setattr(detect_mod, "_raw_labels", glued)
    p = detect_communities(nx.disjoint_union(nx.complete_graph(4), nx.complete_graph(3)))
    assert p.n_communities == 2 and p.split_communities == 1


def test_edgeless_graph_gives_singletons() -> None:
    G = nx.empty_graph(3)
    p = detect_communities(G)
    assert p.n_communities == 3 and np.isnan(p.modularity)


@pytest.mark.parametrize("algorithm", [a for a in ALGORITHMS if a != "louvain"])
def test_alternative_algorithms_find_the_barbell(algorithm: str) -> None:
    G = nx.barbell_graph(8, 0)
    p = detect_communities(G, algorithm=algorithm, seed=1)
    assert p.algorithm == algorithm
    assert p.communities == [list(range(8)), list(range(8, 16))]
    assert algorithm_engine(algorithm)


def test_python_louvain_resolution_is_consistent_with_igraph() -> None:
    """python-louvain 0.16 mis-scores γ ≠ 1; our wrapper optimises the documented objective."""
    G = nx.stochastic_block_model([100] * 10, [[0.08 if i == j else 0.004 for j in range(10)]
                                               for i in range(10)], seed=2)
    arrays = GraphArrays.from_networkx(G)
    for gamma in (0.25, 0.5, 2.0):
        ours = detect_communities(G, resolution=gamma, seed=0)
        ref = detect_communities(G, resolution=gamma, seed=0, algorithm="igraph-louvain")
        assert ours.modularity == pytest.approx(ref.modularity, abs=0.01)
        assert ours.modularity == pytest.approx(
            modularity_of(arrays, ours.labels(G.nodes()), gamma), abs=1e-12)
    # at γ = 0.25 merging everything beats the planted blocks: one community, not dozens
    assert detect_communities(G, resolution=0.25, seed=0).n_communities == 1
    # the library function is restored after the call
    from community import community_louvain
    assert getattr(community_louvain, "__modularity").__module__ == "community.community_louvain"


def test_bad_arguments() -> None:
    G = nx.path_graph(3)
    with pytest.raises(ConfigError):
        detect_communities(G, algorithm="magic")
    with pytest.raises(ConfigError):
        detect_communities(G, resolution=0)
    with pytest.raises(ConfigError):
        detect_communities(G, seed=-1)
    with pytest.raises(TypeError):
        detect_communities(nx.DiGraph([(0, 1)]))


def test_leidenalg_missing_gives_a_helpful_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "leidenalg", None)   # import now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"flowgraph\[leiden\]"):
        detect_communities(nx.barbell_graph(4, 0), algorithm="leidenalg")


def test_igraph_leiden_matches_leidenalg_on_a_planted_graph() -> None:
    G = nx.planted_partition_graph(8, 25, 0.5, 0.02, seed=3)
    fast = detect_communities(G, algorithm="leiden", seed=0)
    ref = detect_communities(G, algorithm="leidenalg", seed=0)
    assert fast.n_communities == ref.n_communities == 8
    assert fast.modularity == pytest.approx(ref.modularity, abs=1e-9)
    assert fast.communities == ref.communities
    again = detect_communities(G, algorithm="leiden", seed=0)
    assert again.communities == fast.communities
    assert fast.params["engine"].startswith("igraph ") and ref.params["engine"].startswith("leidenalg ")
