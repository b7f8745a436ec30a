"""The verdict's interval resamples time windows when the graph carries them (issue #11)."""
from __future__ import annotations

import numpy as np
import pytest
from _assess_helpers import planted_graph, service_graph_from_nx

from flowgraph.assessment import assess
from flowgraph.assessment.tradeoff import window_weights
from flowgraph.graph import ServiceGraph
from flowgraph.graph.windows import TimeWindows, choose_windows

DAYS = 7
EVERY_DAY = (1 << DAYS) - 1


def _with_windows(sg: ServiceGraph, cross_days: str, seed: int = 0) -> ServiceGraph:
    """The graph with a per-day mask on every edge: inside a domain seen every day; across
    domains every day (``"all"``) or on one random day each (``"one"``)."""
    e = sg.edges.copy()
    dom = sg.nodes["domain"]
    cross = (dom.reindex(e["client"]).to_numpy() != dom.reindex(e["server"]).to_numpy())
    rng = np.random.default_rng(seed)
    one_day = (np.uint64(1) << rng.integers(0, DAYS, len(e)).astype(np.uint64))
    masks = np.full(len(e), EVERY_DAY, dtype=np.uint64)
    if cross_days == "one":
        masks = np.where(cross, one_day, masks)
    e["windows"] = masks
    quality = {"windows": {"seconds": 86_400, "origin": 0, "count": DAYS}}
    return ServiceGraph(e, sg.nodes, quality=quality)


@pytest.fixture(scope="module")
def base() -> ServiceGraph:
    return service_graph_from_nx(planted_graph(0.25, blocks=4, size=16, degree=8.0, seed=3),
                                 span_seconds=DAYS * 86_400)


def _run(g: ServiceGraph):
    return assess(g, seed=0, n_jobs=1, n_seeds=5, n_null=5, n_bootstrap=40)


def test_window_weights_keep_everyday_pairs_and_drop_unseen_ones():
    masks = np.array([EVERY_DAY, 0b1, 0b100], dtype=np.uint64)
    w = window_weights(masks, np.array([0, 3, 0, 1, 1, 1, 1]))
    assert w.tolist() == [1.0, 0.0, 0.0]
    assert TimeWindows.of({"windows": {"seconds": 21_600, "origin": 0, "count": 4}}) is None  # one day: too few
    assert TimeWindows.of({"windows": {"seconds": 21_600, "origin": 0, "count": 8}}).label == "6 h"
    assert choose_windows(0, 6 * 86_400) == TimeWindows(21_600, 0, 25)      # under a week: 6-hour windows
    assert choose_windows(0, 7 * 86_400) == TimeWindows(86_400, 0, 8)       # a week or more: days
    assert choose_windows(0, 200 * 86_400).count <= 63


def test_pairs_seen_every_day_give_no_sampling_spread(base):
    r = _run(_with_windows(base, "all"))
    u = r.uncertainty
    assert u.unit == "windows" and u.method.startswith("time-window bootstrap (7 windows of 1 day")
    mu = r.metrics["cross_community_edge_ratio"]
    # every pair is seen in every window: whatever days are drawn, the zoning costs the same
    assert u.mu_sampling == pytest.approx((mu, mu), abs=1e-12)


def test_one_day_exceptions_widen_the_interval(base):
    oneday = _run(_with_windows(base, "one"))
    mu = oneday.metrics["cross_community_edge_ratio"]
    lo, hi = oneday.uncertainty.mu_sampling
    # an exception seen on one day is missing from a replicate that does not draw that day
    # and counts twice in one that draws it twice: the cost spreads around the observed μ
    assert lo < mu - 0.03 and hi > mu + 0.03
    assert oneday.uncertainty.unit == "windows"


def test_without_windows_the_edge_bootstrap_is_used(base):
    r = _run(base)
    assert r.uncertainty.unit == "pairs" and r.uncertainty.method.startswith("Bayesian edge bootstrap")
    assert r.to_dict()["uncertainty"]["unit"] == "pairs"
