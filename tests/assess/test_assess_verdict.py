"""The verdict logic, branch by branch, and its thresholds."""

from __future__ import annotations

import math

import pytest

from flowgraph.assessment import VERDICTS, Thresholds, VerdictInputs, decide_verdict
from flowgraph.exceptions import ConfigError


def inputs(**kw: object) -> VerdictInputs:
    base = {"services": 100, "edges": 500, "communities": 8, "mu": 0.1, "modularity_z": 30.0,
            "stability_ari": 0.95, "concentration": 0.9}
    base.update(kw)
    return VerdictInputs(**base)  # type: ignore[arg-type]


def fails(reasons: list) -> list[str]:
    return [r.code for r in reasons if r.effect == "fail"]


@pytest.mark.parametrize(("mu", "verdict"), [
    (0.0, "feasible"), (0.2, "feasible"), (0.2001, "feasible_with_exceptions"),
    (0.35, "feasible_with_exceptions"), (0.3501, "marginal"), (0.4999, "marginal"),
    (0.5, "infeasible"), (0.8, "infeasible"),
])
def test_mu_bands(mu: float, verdict: str) -> None:
    v, reasons = decide_verdict(inputs(mu=mu))
    assert v == verdict
    assert v in VERDICTS
    if verdict == "infeasible":
        assert fails(reasons) == ["cross_ratio_high"]
        assert "a graph, not a tree" in reasons[0].message


def test_each_infeasibility_condition() -> None:
    v, r = decide_verdict(inputs(eligible=False, no_zoning="every candidate keeps one zone"))
    assert (v, fails(r)) == ("infeasible", ["no_isolating_zoning"])
    assert "every candidate keeps one zone" in r[0].message
    v, r = decide_verdict(inputs(mu=0.6, eligible=False))
    assert set(fails(r)) == {"no_isolating_zoning", "cross_ratio_high"}


def test_significance_and_stability_warn_but_do_not_decide() -> None:
    # a forest of stars is no more modular than its rewirings, yet perfectly segmentable
    v, r = decide_verdict(inputs(mu=0.0, modularity_z=0.1))
    assert v == "feasible"
    assert {x.code: x.effect for x in r}["structure_not_beyond_degrees"] == "warn"
    v, r = decide_verdict(inputs(mu=0.1, stability_ari=0.3))
    assert v == "feasible"
    assert {x.code: x.effect for x in r}["unstable"] == "warn"
    codes = {x.code for x in decide_verdict(inputs(mu=0.1, stability_ari=0.95, modularity_z=30.0))[1]}
    assert {"stable", "significant"} <= codes


def test_a_dominant_zone_and_a_large_shared_zone_are_flagged() -> None:
    _, r = decide_verdict(inputs(largest_zone_share=0.7))
    assert {x.code: x.effect for x in r}["dominant_zone"] == "warn"
    _, r = decide_verdict(inputs(shared_pair_share=0.3))
    msg = next(x.message for x in r if x.code == "shared_zone_large")
    assert "30.0 % of talking pairs" in msg
    _, r = decide_verdict(inputs(shared_share=0.12))
    assert "12.0 % of workloads" in next(x.message for x in r if x.code == "shared_zone_large")
    assert "dominant_zone" not in {x.code for x in decide_verdict(inputs(largest_zone_share=0.4))[1]}


def test_borderline_interval_names_both_sides() -> None:
    v, r = decide_verdict(inputs(mu=0.34, mu_interval=(0.31, 0.38)))
    assert v == "feasible_with_exceptions"
    msg = next(x.message for x in r if x.code == "borderline")
    assert "[0.310, 0.380]" in msg and "feasible_with_exceptions and marginal" in msg
    assert "borderline" not in {x.code for x in decide_verdict(inputs(mu=0.3, mu_interval=(0.28, 0.33)))[1]}


def test_every_community_must_be_weak_for_feasible() -> None:
    v, r = decide_verdict(inputs(mu=0.1, all_weak=False, weak_share=0.9))
    assert v == "feasible_with_exceptions" and "not_all_weak" in fails(r)
    v, r = decide_verdict(inputs(mu=0.3, all_weak=False, weak_share=0.9))
    assert v == "feasible_with_exceptions" and "not_all_weak" not in fails(r)
    relaxed = Thresholds(require_weak_for_feasible=False)
    assert decide_verdict(inputs(mu=0.1, all_weak=False, weak_share=0.9), relaxed)[0] == "feasible"


def test_insufficient_data_wins_and_lists_its_reasons() -> None:
    v, r = decide_verdict(inputs(time_span_seconds=3600.0))
    assert v == "insufficient_data" and fails(r) == ["short_time_span"]
    v, r = decide_verdict(inputs(unresolved_direction_share=0.25, mu=0.7))
    assert v == "insufficient_data" and fails(r) == ["unresolved_direction"]
    assert any(x.code == "cross_ratio_high" and x.effect == "warn" for x in r)   # shown, not decisive
    assert decide_verdict(inputs(unmapped_share=0.6))[0] == "insufficient_data"
    assert fails(decide_verdict(inputs(services=9))[1]) == ["too_small"]
    v, r = decide_verdict(inputs(edges=39))
    assert v == "insufficient_data" and "39 talking pairs" in r[0].message and "40" in r[0].message
    assert decide_verdict(inputs(time_span_seconds=6 * 3600.0, unresolved_direction_share=0.2))[0] == "feasible"


def test_warnings_do_not_change_the_verdict() -> None:
    v, r = decide_verdict(inputs(mu=0.3, concentration=0.3, shared_share=0.12, split_communities=2,
                                 modularity_z=1.0, stability_ari=0.2, largest_zone_share=0.6))
    assert v == "feasible_with_exceptions"
    codes = {x.code: x.effect for x in r}
    assert codes["exceptions_scattered"] == "warn"
    assert codes["shared_zone_large"] == "warn"
    assert codes["split_communities"] == "info"
    assert codes["structure_not_beyond_degrees"] == codes["unstable"] == codes["dominant_zone"] == "warn"
    v, r = decide_verdict(inputs(modularity_z=math.nan, stability_ari=math.nan))
    assert v == "feasible"
    assert not {x.code for x in r} & {"significant", "structure_not_beyond_degrees", "stable", "unstable"}


def test_messages_carry_the_numbers() -> None:
    _, r = decide_verdict(inputs(mu=0.3))
    msg = next(x.message for x in r if x.code == "cross_ratio_moderate")
    assert "30.0 %" in msg and "0.43 exceptions per local connection" in msg


def test_thresholds_are_configurable_and_validated() -> None:
    t = Thresholds(mu_feasible=0.3)
    assert decide_verdict(inputs(mu=0.25), t)[0] == "feasible"
    assert Thresholds().rho_infeasible == pytest.approx(1.0)
    assert Thresholds.from_dict({"min_modularity_z": 2.0}).min_modularity_z == 2.0
    with pytest.raises(ConfigError):
        Thresholds(mu_feasible=0.4, mu_exceptions=0.3)
    with pytest.raises(ConfigError):
        Thresholds(stable_ari=0.4)
    with pytest.raises(ConfigError):
        Thresholds(max_shared_pair_share=2.0)
    with pytest.raises(ConfigError):
        Thresholds.from_dict({"max_shared_share": 0.1})   # removed with the first engine
    with pytest.raises(ConfigError):
        Thresholds.from_dict({"nope": 1})
    d = Thresholds().to_dict()
    assert d["mu_infeasible"] == 0.5 and d["max_shared_pair_share"] == 0.75 and d["min_isolation"] == 0.25


def test_a_partial_inventory_warns_and_past_the_limit_abstains() -> None:
    v, r = decide_verdict(inputs(unmapped_share=0.3))
    assert v == "feasible"
    msg = next(x for x in r if x.code == "partial_inventory")
    assert msg.effect == "warn" and "30.0 % of traffic" in msg.message and "fuller inventory" in msg.message
    assert "partial_inventory" not in {x.code for x in decide_verdict(inputs(unmapped_share=0.05))[1]}
    v, r = decide_verdict(inputs(unmapped_share=0.6))
    assert v == "insufficient_data" and fails(r) == ["unmapped_traffic"]
