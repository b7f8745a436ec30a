"""One seed policy (``flowgraph._random.seeded``): an integer is used as given, ``None`` draws one
recorded seed, anything else is a ConfigError — for every public function with a ``seed``."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from flowgraph import ConfigError, detect_communities
from flowgraph._random import SEED_MAX, resolve_seed, seeded
from flowgraph.assessment.nullmodel import degree_preserving_rewire, null_model_test
from flowgraph.communities import resolution_sweep, seed_stability

G = nx.planted_partition_graph(4, 12, 0.6, 0.05, seed=3)


def test_none_draws_one_recorded_seed_that_repeats_the_run():
    p = detect_communities(G, algorithm="leiden", seed=None)
    assert isinstance(p.seed, int) and 0 <= p.seed <= SEED_MAX
    again = detect_communities(G, algorithm="leiden", seed=p.seed)
    assert again.communities == p.communities and again.seed == p.seed


def test_stability_with_none_runs_consecutive_seeds_from_the_drawn_one():
    st = seed_stability(G, n_seeds=3, algorithm="leiden", seed=None)
    first = st.seeds[0]
    assert isinstance(first, int) and st.seeds == [first, first + 1, first + 2]
    assert seed_stability(G, n_seeds=3, algorithm="leiden", seed=first).modularity_by_seed == st.modularity_by_seed


@pytest.mark.parametrize("bad", [-1, SEED_MAX + 1, True, 1.5, "7", np.float64(2.0)])
@pytest.mark.parametrize("call", [
    lambda s: detect_communities(G, seed=s),
    lambda s: seed_stability(G, n_seeds=2, seed=s),
    lambda s: resolution_sweep(G, resolutions=[1.0], n_seeds=1, seed=s),
    lambda s: null_model_test(G, n_null=1, seed=s),
    lambda s: degree_preserving_rewire(G, seed=s),
])
def test_bad_seeds_are_one_config_error_everywhere(call, bad):
    with pytest.raises(ConfigError, match="seed must be an integer between 0 and 4294967295 or None"):
        call(bad)


def test_numpy_integers_are_plain_ints_inside():
    seen = []

    @seeded()
    def f(x, seed=0):
        seen.append(seed)

    f(1, np.uint32(9))
    f(1, seed=np.int64(SEED_MAX))
    assert seen == [9, SEED_MAX] and all(type(s) is int for s in seen)
    assert resolve_seed(0) == 0


def test_decorator_refuses_a_function_without_the_parameter():
    with pytest.raises(TypeError, match="has no parameter 'seed'"):
        seeded()(lambda x: x)
