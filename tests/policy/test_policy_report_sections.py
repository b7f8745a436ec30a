"""The report's enforcement section (rules per format, learning curve, held-out period) and drift section.

The held-out figure is read off the whole window's edge table (first/last seen of each flow); the
test checks it against the fully independent path: a policy learnt on day one only, replayed by
``validate_policy`` on day two rebuilt from the logs.
"""

from __future__ import annotations

import json

import pytest

import flowgraph as fg
from flowgraph.exceptions import InputError
from flowgraph.policy import rule_counts, validate_policy
from flowgraph.report import write_report
from flowgraph.report.flows import classify_flows
from flowgraph.report.headline import caveats
from flowgraph.report.holdout import exception_learning

DAY = 86_400


def _workload_cross_domain(blocked, dom):
    def workload(s):
        return s in dom and dom[s] != "platform"
    keep = blocked["client"].map(workload) & blocked["server"].map(workload)
    keep &= blocked["client"].map(dom.get) != blocked["server"].map(dom.get)
    return blocked[keep]


def test_held_out_day_from_the_edge_table_equals_the_replayed_day(planted, day_one):
    est, graph = planted["estate"], planted["graph"]
    report = {"shared_services": list(est.truth.shared_services), "services": [], "communities": []}
    flows = classify_flows(graph, report, zones="domains")
    w = graph.quality["window"]
    learn = exception_learning(flows, (w["first"], w["last"]))
    assert learn["bin_seconds"] == DAY
    assert [b["start"] for b in learn["bins"]] == ["2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z"]
    assert learn["total_exceptions"] == int((flows["category"] == "exception").sum()) == learn["bins"][-1]["cumulative"]

    policy, _ = day_one  # learnt on day one, replayed on day two rebuilt from the logs
    res = validate_policy(policy, planted["dir"] / "logs", planted["dir"] / "inventory.csv",
                          since=est.start + DAY, until=est.start + 2 * DAY, curve=False)
    cross = _workload_cross_domain(res.blocked, est.truth.service_domain)
    h = learn["holdout"]
    assert h["new_exceptions"] == len(cross) >= 1
    assert h["blocked_connections"] == int(cross["connections"].sum())
    assert h["blocked_pairs"] == len(cross[["client", "server"]].drop_duplicates())
    assert {(e["client"], e["server"]) for e in h["examples"]} == set(zip(cross["client"], cross["server"]))
    assert learn["saturated"] is (h["new_exceptions"] <= 0.05 * learn["total_exceptions"])


def test_learning_caveat_only_while_exceptions_still_appear():
    learn = {"bin_seconds": 21_600, "total_exceptions": 100, "saturated": False,
             "holdout": {"new_exceptions": 11, "blocked_connections": 12}}
    (c,) = [c for c in caveats({"enforcement": {"learning": learn}}) if c["key"] == "learning"]
    assert "11 of 100 (11.0%)" in c["text"] and "last 6 hours" in c["text"] and "12" in c["text"]
    learn.update(saturated=True)
    assert not [c for c in caveats({"enforcement": {"learning": learn}}) if c["key"] == "learning"]
    assert not [c for c in caveats({"enforcement": {"learning": None}}) if c["key"] == "learning"]


@pytest.fixture(scope="module")
def written(planted, tmp_path_factory):
    out = tmp_path_factory.mktemp("sections")
    a = fg.assess(planted["graph"], seed=0, n_seeds=4, n_null=4)
    write_report(a, planted["graph"], out / "a", generated_at="2024-03-03T00:00:00Z")
    return a, out


def test_report_shows_rule_counts_and_learning_curve(written):
    _, out = written
    r = json.loads((out / "a" / "report.json").read_text())
    policy = json.loads((out / "a" / "policy.json").read_text())
    enf = r["enforcement"]
    assert enf["rule_counts"] == rule_counts(policy)
    assert set(enf["rule_counts"]) == {"cloudformation", "terraform", "kubernetes", "cilium"}
    assert all(n > 0 for n in enf["rule_counts"].values())
    learn = enf["learning"]
    assert [b["start"][:10] for b in learn["bins"]] == ["2024-03-01", "2024-03-02"]
    html = (out / "a" / "report.html").read_text()
    md = (out / "a" / "report.md").read_text()
    for text in (html, md):
        assert "Would a policy drafted earlier have held?" in text
        assert f"| cloudformation | {enf['rule_counts']['cloudformation']} |" in text.replace(
            "<tr><td>", "| ").replace("</td><td class=\"n\">", " | ").replace("</td><td>", " |")
    keys = [c["key"] for c in r["headline"]["caveats"]]
    assert ("learning" in keys) is (not learn["saturated"])


def test_drift_section_against_a_baseline(written, planted):
    a, out = written
    base = json.loads((out / "a" / "report.json").read_text())
    # the baseline with one service of each of three zones in the next zone: the drift names exactly them
    zones = sorted({s["community"] for s in base["services"] if s.get("community") is not None})
    assert len(zones) >= 4
    movers = [min((s for s in base["services"] if s.get("community") == z), key=lambda s: s["service"])
              for z in zones[:3]]
    for s, z_next in zip(movers, zones[1:4], strict=True):
        s["community"] = z_next
    (out / "base.json").write_text(json.dumps(base))
    write_report(a, planted["graph"], out / "b", baseline=out / "base.json", generated_at="2024-03-03T00:00:00Z")
    r = json.loads((out / "b" / "report.json").read_text())
    d = r["drift"]
    assert sorted(m["service"] for m in d["moved"]) == sorted(s["service"] for s in movers)
    assert 0 < d["ari"] < 1 and d["verdict"]["changed"] is False
    html, md = (out / "b" / "report.html").read_text(), (out / "b" / "report.md").read_text()
    assert "Drift since the baseline" in html and "Drift since the baseline" in md
    for s in movers:
        assert s["service"] in html
    assert "drift" not in json.loads((out / "a" / "report.json").read_text())


def test_a_bad_baseline_is_one_error_and_nothing_written(written, planted, tmp_path):
    a, _ = written
    (tmp_path / "bad.json").write_text('{"verdict": "feasible"}')
    for bad in (tmp_path / "missing.json", tmp_path / "bad.json"):
        with pytest.raises(InputError, match=bad.name):
            write_report(a, planted["graph"], tmp_path / "out", baseline=bad)
        assert not (tmp_path / "out").exists()


def test_a_draft_without_zones_compiles_to_no_rules():
    import pandas as pd

    from flowgraph.report.holdout import enforcement_section

    empty = pd.DataFrame({"client": [], "server": [], "first_seen": [], "last_seen": []})
    sec = enforcement_section({"zones": [], "exceptions": []}, empty, None)
    assert sec == {"rule_counts": {}, "learning": None}
