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
    v, r = decide_verdict(inputs(modularity_z=2.9))
    assert (v, fails(r)) == ("infeasible", ["not_significant"])
    v, r = decide_verdict(inputs(stability_ari=0.49))
    assert (v, fails(r)) == ("infeasible", ["unstable"])
    v, r = decide_verdict(inputs(shared_share=0.16))
    assert (v, fails(r)) == ("infeasible", ["shared_zone_too_large"])
    v, r = decide_verdict(inputs(communities=1))
    assert (v, fails(r)) == ("infeasible", ["single_community"])
    v, r = decide_verdict(inputs(mu=0.6, modularity_z=1.0, stability_ari=0.2))
    assert set(fails(r)) == {"not_significant", "unstable", "cross_ratio_high"}


def test_moderate_stability_lowers_one_level() -> None:
    assert decide_verdict(inputs(mu=0.1, stability_ari=0.7))[0] == "feasible_with_exceptions"
    assert decide_verdict(inputs(mu=0.3, stability_ari=0.7))[0] == "marginal"
    v, r = decide_verdict(inputs(mu=0.4, stability_ari=0.7))
    assert v == "marginal" and "moderate_stability" not in fails(r)   # already marginal: a warning
    assert decide_verdict(inputs(mu=0.1, stability_ari=0.8))[0] == "feasible"


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
    assert fails(decide_verdict(inputs(services=9))[1]) == ["too_few_services"]
    assert fails(decide_verdict(inputs(edges=9))[1]) == ["too_few_edges"]
    assert decide_verdict(inputs(time_span_seconds=6 * 3600.0, unresolved_direction_share=0.2))[0] == "feasible"


def test_warnings_do_not_change_the_verdict() -> None:
    v, r = decide_verdict(inputs(mu=0.3, concentration=0.3, shared_share=0.12, split_communities=2))
    assert v == "feasible_with_exceptions"
    codes = {x.code: x.effect for x in r}
    assert codes["exceptions_scattered"] == "warn"
    assert codes["shared_zone_large"] == "warn"
    assert codes["split_communities"] == "info"
    v, r = decide_verdict(inputs(modularity_z=math.nan, stability_ari=math.nan))
    assert v == "feasible"
    assert {x.code for x in r} >= {"significance_not_tested", "stability_not_tested"}


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
        Thresholds(max_shared_share=2.0)
    with pytest.raises(ConfigError):
        Thresholds.from_dict({"nope": 1})
    d = Thresholds().to_dict()
    assert d["mu_infeasible"] == 0.5 and d["max_shared_share"] == 0.15
