"""report.json: content, strict JSON, schema (positive and negative)."""

from __future__ import annotations

import copy
import json
import math

import jsonschema
import pytest

from flowgraph import __version__
from flowgraph.report import ReportValidationError, build_report, load_schema, validate_report
from flowgraph.report.build import METRICS_REQUIRED, REQUIRED_TOP, build_data_quality

from .conftest import GENERATED_AT
from .fixtures import fake_case


def test_report_validates_against_schema(report):
    jsonschema.Draft202012Validator.check_schema(load_schema())
    jsonschema.validate(report, load_schema(), cls=jsonschema.Draft202012Validator)
    validate_report(report)  # the same check through the public helper


def test_written_report_json_validates(written):
    out, files = written
    data = json.loads(files["report.json"].read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema()).validate(data)


def test_schema_requires_the_contract_keys():
    schema = load_schema()
    assert set(schema["required"]) == {
        "schema_version", "verdict", "reasons", "metrics", "metrics_including_shared",
        "shared_services", "communities", "declared_domains", "data_quality", "parameters", "versions"}
    assert set(schema["$defs"]["metrics_required"]["required"]) == set(METRICS_REQUIRED)
    assert schema["$schema"].endswith("2020-12/schema")
    # every top-level property is documented
    undocumented = [k for k, v in schema["properties"].items() if "description" not in v]
    assert undocumented == []


@pytest.mark.parametrize("key", REQUIRED_TOP)
def test_missing_required_key_fails(report, key):
    broken = copy.deepcopy(report)
    del broken[key]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, load_schema(), cls=jsonschema.Draft202012Validator)
    with pytest.raises(ReportValidationError, match=key):
        validate_report(broken)


@pytest.mark.parametrize("key", METRICS_REQUIRED)
def test_missing_required_metric_fails(report, key):
    broken = copy.deepcopy(report)
    del broken["metrics"][key]
    with pytest.raises(ReportValidationError, match=key):
        validate_report(broken)


@pytest.mark.parametrize("mutate, where", [
    (lambda r: r.update(verdict="probably"), "verdict"),
    (lambda r: r["communities"][0].pop("services"), "communities/0"),
    (lambda r: r.update(declared_domains="yes"), "declared_domains"),
    (lambda r: r["reasons"][0].update(effect="panic"), "reasons/0/effect"),
])
def test_schema_negative_cases(report, mutate, where):
    broken = copy.deepcopy(report)
    mutate(broken)
    with pytest.raises(ReportValidationError, match=where):
        validate_report(broken)


def test_declared_domains_may_be_null(case):
    a, g = case
    a = {**a, "declared_domains": None}
    validate_report(build_report(a, g, generated_at=GENERATED_AT))
    a.pop("declared_domains")  # missing -> null
    assert build_report(a, g)["declared_domains"] is None


def test_report_content(report, case):
    a, g = case
    assert report["schema_version"] == "1.0"
    assert report["generated_at"] == GENERATED_AT
    assert report["tool"] == {"name": "flowgraph", "version": __version__}
    for key in a:  # everything from to_dict() is carried over unchanged
        assert report[key] == json.loads(json.dumps(a[key])), key
    assert list(report)[:7] == ["schema_version", "generated_at", "tool", "inputs", "verdict",
                                "weight_sensitive", "reasons"]
    assert report["summary"]["verdict_label"] == "Feasible with exceptions"
    assert {k["key"] for k in report["summary"]["key_numbers"]} >= {
        "cross_community_edge_ratio", "exceptions_per_local_edge", "modularity_zscore", "stability_ari",
        "shared_zone_share"}
    flows = report["flows"]
    assert flows["counts"] == {"intra_zone": 16, "exception": 5, "shared_zone": 13, "external": 4}
    assert sum(r["pairs"] for r in flows["between_communities"]) == a["metrics"]["exceptions"]
    assert flows["top_exceptions"][0]["connections"] == 21_000


def test_report_is_strict_json(case):
    a, g = case
    a = copy.deepcopy(a)
    a["metrics"]["modularity_pvalue"] = float("nan")
    a["metrics"]["cross_ratio_zscore"] = math.inf
    r = build_report(a, g)
    text = json.dumps(r, allow_nan=False)  # would raise on NaN / inf
    assert json.loads(text)["metrics"]["modularity_pvalue"] is None


def test_accepts_object_with_to_dict(case):
    a, g = case

    class Assessment:
        def to_dict(self):
            return a

    assert build_report(Assessment(), g, generated_at=GENERATED_AT)["verdict"] == a["verdict"]
    with pytest.raises(TypeError):
        build_report(42, g)


def test_inputs_and_extra(case):
    a, g = case
    r = build_report(a, g, inputs={"logs": ["a", "b"]}, extra={"runtime": {"seconds": 1.5}})
    assert r["inputs"] == {"logs": ["a", "b"]} and r["runtime"] == {"seconds": 1.5}
    with pytest.raises(ValueError, match="verdict"):
        build_report(a, g, extra={"verdict": "feasible"})


def test_generated_at_default_and_source_date_epoch(case, monkeypatch):
    a, g = case
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714521600")
    assert build_report(a, g)["generated_at"] == "2024-05-01T00:00:00Z"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert build_report(a, g)["generated_at"].endswith("Z")


def test_data_quality_sections(report):
    dq = report["data_quality"]
    assert dq["records"]["records"] == 1_482_113
    assert [r["reason"] for r in dq["invalid_by_reason"]] == ["wrong field count", "bad integer in dstport"]
    assert dq["invalid_by_reason"][0]["examples"][0].startswith("logs/2024/05/03/eni-0a1.log.gz:18:")
    assert dq["time_span"] == {"first_start": "2024-05-01T00:00:00Z", "last_end": "2024-05-14T23:59:00Z",
                               "seconds": 1_209_540.0, "days": 14.0}
    assert [r["class"] for r in dq["traffic_by_class"]] == ["service", "internet", "aws-service", "unknown"]
    assert abs(sum(r["share_of_connections"] for r in dq["traffic_by_class"]) - 1) < 1e-9
    assert dq["unresolved_direction_share"] == pytest.approx(0.031)
    assert dq["files"]["truncated_files"] == [{"file": "logs/2024/05/09/eni-0b7.log.gz", "records_kept": 8123}]
    assert dq["unmapped_examples"][0]["line"] == 99
    assert any("truncated" in w for w in dq["warnings"])


def test_data_quality_tolerates_missing_and_unknown_keys():
    assert build_data_quality({}) == {"warnings": []}
    dq = build_data_quality({"read": {"first_start": 1_714_521_600_000, "last_end": 1_714_608_000_000},
                             "shiny_new_metric": 3, "unresolved_direction_share": 0.5})
    assert dq["time_span"]["days"] == 1.0  # epoch milliseconds recognised
    assert dq["other"] == {"shiny_new_metric": 3}
    assert any("too many" in w for w in dq["warnings"])
    assert any("1.0 days" in w for w in dq["warnings"])


def test_minimal_assessment_builds_and_validates():
    a, g = fake_case()
    keep = {"verdict", "reasons", "metrics", "metrics_including_shared", "shared_services",
            "communities", "declared_domains", "parameters", "versions"}
    minimal = {k: v for k, v in a.items() if k in keep}
    minimal["metrics"] = {k: a["metrics"][k] for k in METRICS_REQUIRED}
    g.quality = {}
    r = build_report(minimal, g)
    validate_report(r)
    # no services list: the community map comes from communities[].services
    assert r["flows"]["counts"] == {"intra_zone": 16, "exception": 5, "shared_zone": 13, "external": 4}


@pytest.mark.parametrize("conc, phrase", [(0.82, "82% of them fall in the busiest 10%"),
                                          (0.4, "They are spread out"), (None, "reviewed list")])
def test_verdict_text_follows_exception_concentration(conc, phrase):
    from flowgraph.report.build import build_summary

    s = build_summary({"verdict": "feasible_with_exceptions",
                       "metrics": {"cross_community_edge_ratio": 0.25, "exception_concentration_top10": conc}})
    assert phrase in s["meaning"]


def test_shared_zone_caveat_agrees_in_number():
    from flowgraph.report.headline import caveats

    one = {"shared_services": ["dns"], "shared_zone": {"share_of_services": 1 / 13}}
    (c,) = [c for c in caveats(one) if c["key"] == "shared_zone"]
    assert c["text"] == ("1 shared-zone service (7.7% of services) is reachable from every zone; "
                         "its traffic is not counted as exceptions.")
    two = {"shared_services": ["dns", "auth"], "shared_zone": {"share_of_services": 0.1}}
    (c,) = [c for c in caveats(two) if c["key"] == "shared_zone"]
    assert c["text"].startswith("2 shared-zone services (10.0% of services) are reachable")
