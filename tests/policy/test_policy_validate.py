"""Held-out validation on a planted two-day estate, and the commands' bad-input behaviour."""

from __future__ import annotations

import json

import pytest

from flowgraph.cli import main
from flowgraph.policy import validate_graph, validate_policy

DAY = 86_400  # the planted estate (conftest.py) spans two days


def test_held_out_day_blocks_only_unseen_cross_zone_edges(planted, day_one):
    policy, g1 = day_one
    est = planted["estate"]
    res = validate_policy(policy, planted["dir"] / "logs", planted["dir"] / "inventory.csv",
                          since=est.start + DAY, until=est.start + 2 * DAY)
    seen = set(map(tuple, g1.edges[["client", "server", "server_port", "protocol"]].astype(str).to_numpy()))
    dom = est.truth.service_domain
    for r in res.blocked.itertuples(index=False):
        assert (str(r.client), str(r.server), str(r.server_port), str(r.protocol)) not in seen
        assert dom.get(r.client) != dom.get(r.server)  # intra-domain flows are never blocked
    assert 0 < res.blocked_connections < res.total_connections
    assert res.blocked_pairs == len(res.blocked[["client", "server"]].drop_duplicates())
    assert [c["day"] for c in res.curve] == ["2024-03-02"]
    assert res.curve[0]["new_edges"] == len(res.blocked)


def test_policy_of_the_whole_window_blocks_nothing(planted):
    res = validate_graph(planted["policy"], planted["graph"])
    assert res.blocked_connections == 0 and res.total_connections == int(planted["graph"].edges["connections"].sum())


def test_learning_curve_counts_new_edges_per_day(planted, day_one):
    policy, _ = day_one
    res = validate_policy(policy, planted["dir"] / "logs", planted["dir"] / "inventory.csv")
    first, second = res.curve
    assert first["new_edges"] == 0  # the policy was learnt on day one
    assert second["cumulative_edges"] == first["cumulative_edges"] + second["new_edges"]


def test_cli_validate_json(planted, day_one, tmp_path, capsys):
    policy, _ = day_one
    (tmp_path / "p.json").write_text(json.dumps(policy))
    rc = main(["validate", str(tmp_path / "p.json"), str(planted["dir"] / "logs"), "--inventory",
               str(planted["dir"] / "inventory.csv"), "--since", "2024-03-02T00:00:00Z", "--no-curve", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["blocked_connections"] > 0 and out["examples"]


@pytest.mark.parametrize("text, item", [
    ("{not json", "not valid JSON"),
    (json.dumps({"zones": []}), "has no 'zones' list"),
    (json.dumps({"zones": [{"name": "a", "services": ["x"]}], "exceptions": [
        {"name": "e", "from_zone": "a", "to_zone": "nowhere", "from_service": "x", "to_service": "x"}]}),
     "exception #1 'e' names unknown zone 'nowhere'"),
    (json.dumps({"zones": [{"name": "a", "services": ["x"]}], "exceptions": [
        {"name": "e", "from_zone": "a", "to_zone": "a", "from_service": "x", "to_service": "ghost"}]}),
     "unknown service 'ghost'"),
])
def test_bad_policy_exit_3_nothing_written(tmp_path, capsys, text, item):
    (tmp_path / "p.json").write_text(text)
    out = tmp_path / "out" / "sg.json"
    assert main(["policy", "compile", str(tmp_path / "p.json"), "--to", "cloudformation", "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert item in err and "p.json" in err and "Traceback" not in err
    assert not out.exists() and not any(out.parent.glob("*")) if out.parent.exists() else True


def test_cli_compile_writes_atomically(planted, tmp_path):
    (tmp_path / "p.json").write_text(json.dumps(planted["policy"]))
    for fmt in ("cloudformation", "terraform", "kubernetes", "cilium"):
        out = tmp_path / f"{fmt}.out"
        assert main(["policy", "compile", str(tmp_path / "p.json"), "--to", fmt, "--out", str(out)]) == 0
        assert out.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_cli_bad_sg_file_exit_3(planted, tmp_path, capsys):
    (tmp_path / "sg.json").write_text('{"SecurityGroups": [{"GroupName": "x"}]}')
    (tmp_path / "ni.json").write_text('{"NetworkInterfaces": []}')
    rc = main(["audit", str(planted["dir"] / "logs"), "--security-groups", str(tmp_path / "sg.json"),
               "--network-interfaces", str(tmp_path / "ni.json")])
    err = capsys.readouterr().err
    assert rc == 3 and "security group #1 has no GroupId" in err and "sg.json" in err
