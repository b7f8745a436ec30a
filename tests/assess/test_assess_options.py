"""assess() options: data quality, fixed resolution, engines, progress, tiny inputs."""

from __future__ import annotations

import pandas as pd
import pytest
from _assess_helpers import planted_graph, service_graph_from_nx

from flowgraph.assessment import Thresholds, assess
from flowgraph.exceptions import ConfigError
from flowgraph.graph import ServiceGraph

FAST = {"n_seeds": 3, "n_null": 4, "sweep_seeds": 2, "secondary_seeds": 2, "secondary_null": 2,
        "resolutions": (0.5, 1.0, 2.0)}


@pytest.fixture(scope="module")
def small() -> ServiceGraph:
    return service_graph_from_nx(planted_graph(0.1, blocks=4, size=15, degree=8, seed=2))


def test_data_quality_gates(small: ServiceGraph) -> None:
    a = assess(small, quality={"time_span_seconds": 3600}, **FAST)
    assert a.verdict == "insufficient_data"
    assert [r.code for r in a.reasons if r.effect == "fail"] == ["short_time_span"]
    a = assess(small, quality={"unresolved_direction_share": 0.3, "unmapped_share": 0.1}, **FAST)
    assert a.verdict == "insufficient_data"
    # the span comes from the edge table when not given (the helper writes one day)
    a = assess(small, **FAST)
    assert a.quality["time_span_seconds"] == 86_400 and a.verdict == "feasible"
    short = service_graph_from_nx(planted_graph(0.1, blocks=4, size=15, degree=8, seed=2), span_seconds=600)
    assert assess(short, **FAST).verdict == "insufficient_data"
    assert assess(short, thresholds=Thresholds(min_time_span_seconds=60), **FAST).verdict == "feasible"


def test_unresolved_share_from_the_edge_table(small: ServiceGraph) -> None:
    e = small.edges.copy()
    e["unresolved"] = (e["connections"] * 0.5).round().astype("int64")
    a = assess(ServiceGraph(e, small.nodes), **FAST)
    assert a.quality["unresolved_direction_share"] == pytest.approx(0.5, abs=0.01)
    assert a.verdict == "insufficient_data"


def test_too_small_an_estate() -> None:
    rows = [{"client": f"a{i}", "server": f"a{i + 1}", "server_port": 443, "protocol": 6,
             "connections": 1, "packets": 1, "bytes": 1, "first_seen": 0, "last_seen": 86_400,
             "hours_seen": 1, "days_seen": 1} for i in range(5)]
    a = assess(ServiceGraph(pd.DataFrame(rows)), **FAST)
    assert a.verdict == "insufficient_data"
    assert {r.code for r in a.reasons if r.effect == "fail"} == {"too_small"}
    a.to_json()   # still serialisable


def test_fixed_resolution_progress_and_engines(small: ServiceGraph) -> None:
    steps: list[tuple[str, int, int]] = []
    a = assess(small, resolution=2.0, progress=lambda s, d, t: steps.append((s, d, t)), **FAST)
    assert a.chosen_resolution == 2.0 and a.sweep.choice == "resolution fixed by the caller (γ = 2)"
    assert a.partition.resolution == 2.0
    names = {s for s, _, _ in steps}
    assert {"first-pass", "trade-off", "trade-off-null", "stability", "null-model", "bootstrap"} <= names
    assert any(s.startswith("including-shared:") for s in names)
    assert any(s.startswith("weight:connections:") for s in names)
    assert all(0 < d <= t for _, d, t in steps)
    assert a.parameters["algorithm"] == a.parameters["repeated_runs_algorithm"] == "leiden"
    assert a.partition.algorithm == "leiden"
    other = assess(small, algorithm="louvain", resolution=2.0, **FAST)
    assert other.parameters["repeated_runs_algorithm"] == "igraph-louvain"
    assert other.parameters["engine"].startswith("python-louvain")
    slow = assess(small, algorithm="louvain", resolution=2.0, fast_repeats=False, **FAST)
    assert slow.parameters["repeated_runs_algorithm"] == "louvain"
    assert slow.verdict == other.verdict == a.verdict


def test_connections_as_primary_weight(small: ServiceGraph) -> None:
    a = assess(small, weight="connections", **FAST)
    assert set(a.metrics_by_weight) == {"binary", "connections"}
    assert a.metrics_by_weight["connections"]["verdict"] == a.verdict
    assert a.partition.weight == "connections"


def test_bad_arguments(small: ServiceGraph) -> None:
    for kw in ({"weight": "volume"}, {"algorithm": "nope"}, {"n_seeds": 0}, {"n_null": -1},
               {"resolution": 0.0}, {"null_seeds": 0}):
        with pytest.raises(ConfigError):
            assess(small, **{**FAST, **kw})


def test_repr_and_json(small: ServiceGraph, tmp_path: object) -> None:
    a = assess(small, **FAST)
    assert repr(a).startswith("Assessment(verdict='feasible'")
    html = a._repr_html_()
    assert "feasible" in html and "Largest communities" in html
    path = tmp_path / "a.json"  # type: ignore[operator]
    text = a.to_json(path)
    assert path.read_text(encoding="utf-8").strip() == text
    assert a.services_table.loc["s000", "community"] == a.partition["s000"]
    assert a.exception_rules.columns.tolist() == ["source_community", "destination_community",
                                                  "server_port", "protocol", "pairs", "connections"]
