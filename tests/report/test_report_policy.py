"""policy.json / policy.yaml: zones, shared zone, exceptions with evidence, domain zones."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import yaml

from flowgraph.exceptions import ConfigError
from flowgraph.report import build_policy, write_report

from .fixtures import FORMULA_NAME, SCRIPT_NAME, fake_case

NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")


@pytest.fixture(scope="module")
def policy(written):
    out, files = written
    return json.loads(files["policy.json"].read_text(encoding="utf-8"))


def test_policy_yaml_equals_json(written, policy):
    out, files = written
    assert yaml.safe_load(files["policy.yaml"].read_text(encoding="utf-8")) == policy


def test_policy_header(policy):
    assert policy["policy_version"] == "1"
    assert policy["default"] == "deny"
    gen = policy["generated_from"]
    assert gen["tool"] == "flowgraph" and gen["zones_from"] == "communities"
    assert gen["verdict"] == "feasible_with_exceptions" and gen["report_generated_at"] == "2024-06-01T12:00:00Z"
    assert gen["inputs"]["inventory"] == "inventory.csv"
    assert list(policy)[:6] == ["policy_version", "generated_from", "default", "zones", "shared_zone", "exceptions"]


def test_policy_zones(policy):
    zones = policy["zones"]
    assert [z["name"] for z in zones] == ["payments", "catalog", "accounts"]  # dominant domains
    assert all(z["intra_zone"] == "allow" for z in zones)
    assert zones[1]["services"] == sorted(["catalog-api", "catalog-db", "search", SCRIPT_NAME])
    assert FORMULA_NAME in zones[2]["services"]
    every = [s for z in zones for s in z["services"]]
    assert len(every) == len(set(every)) == 12 and "log-collector" not in every


def test_policy_shared_zone(policy):
    sz = policy["shared_zone"]
    assert sz["services"] == ["log-collector"] and sz["reachable_from"] == "all"
    inbound = [f for f in sz["observed_flows"] if f["direction"] == "to_shared"]
    assert inbound == [{"service": "log-collector", "direction": "to_shared", "port": 514, "protocol": "udp",
                        "peers": 12, "evidence": inbound[0]["evidence"]}]
    # 12 workloads ship 1000 + 37 * i connections each (i = position in the sorted name list, the
    # collector itself at position 4 excluded)
    assert inbound[0]["evidence"]["connections"] == sum(1_000 + 37 * i for i in range(13) if i != 4)
    outbound = [f for f in sz["observed_flows"] if f["direction"] == "from_shared"]
    assert [(f["port"], f["protocol"], f["peers"]) for f in outbound] == [(8443, "tcp", 1)]


def test_policy_exceptions(policy):
    exc = policy["exceptions"]
    assert len(exc) == 5
    by_pair = {(x["from_service"], x["to_service"]): x for x in exc}
    x = by_pair[("catalog-api", "user-api")]
    assert x == {
        "name": "catalog-api-to-user-api-8443-tcp", "from_zone": "catalog", "to_zone": "accounts",
        "from_service": "catalog-api", "to_service": "user-api", "port": 8443, "protocol": "tcp",
        "evidence": {"connections": 21_000, "bytes": 105_000_000, "first_seen": "2024-05-01T00:00:00Z",
                     "last_seen": "2024-05-14T23:59:00Z", "days_seen": 14},
    }
    icmp = by_pair[("pay-api", "search")]
    assert icmp["protocol"] == 1 and icmp["port"] is None and icmp["name"] == "pay-api-to-search-any-1"
    hostile = by_pair[("pay-worker", FORMULA_NAME)]
    assert hostile["name"] == "pay-worker-to-HYPERLINK-x-8080-tcp"  # sanitised
    names = [x["name"] for x in exc]
    assert len(set(names)) == len(names) and all(NAME_RE.match(n) for n in names)
    zones = {z["name"] for z in policy["zones"]}
    assert all(x["from_zone"] in zones and x["to_zone"] in zones and x["from_zone"] != x["to_zone"] for x in exc)


def test_policy_external_flows(policy):
    ext = {(f["direction"], f["external"]): f for f in policy["external_flows"]}
    assert set(ext) == {("egress", "internet"), ("ingress", "internet"), ("egress", "aws:s3"),
                        ("egress", "unknown:10.9.0.0/16")}
    assert ext[("ingress", "internet")]["zone"] == "catalog"
    assert ext[("egress", "aws:s3")]["class"] == "aws-service"
    assert ext[("egress", "aws:s3")]["service"] == SCRIPT_NAME
    assert policy["unassigned_services"] == []


def test_policy_domains_mode():
    a, g = fake_case()
    p = build_policy(a, g, zones="domains")
    assert p["generated_from"]["zones_from"] == "domains"
    assert [z["name"] for z in p["zones"]] == ["accounts", "catalog", "finance", "payments"]
    assert {z["name"]: z["domain"] for z in p["zones"]}["finance"] == "finance"
    pairs = {(x["from_service"], x["to_service"]) for x in p["exceptions"]}
    # cross-DOMAIN flows: ledger (finance) <-> payments, search (accounts) <-> catalog
    assert ("pay-api", "ledger") in pairs and ("search", "catalog-db") in pairs
    assert ("catalog-api", "user-api") in pairs  # catalog -> accounts is cross-domain too
    assert ("catalog-api", "search") in pairs
    assert ("pay-api", "pay-db") not in pairs
    assert yaml.safe_load(yaml.safe_dump(p, sort_keys=False)) == p


def test_policy_domains_sanitised_and_unique():
    a, g = fake_case(hostile=True)
    p = build_policy(a, g, zones="domains")
    names = [z["name"] for z in p["zones"]]
    assert all(NAME_RE.match(n) for n in names) and len(set(names)) == len(names)
    assert "ops-img-src-x-onerror-alert-2-x" in names


def test_policy_domains_needs_domains(tmp_path):
    a, g = fake_case()
    g.nodes["domain"] = pd.NA  # no declared domains at all
    a = {**a, "services": [{**s, "domain": None} for s in a["services"]]}
    with pytest.raises(ConfigError, match="declared domains"):
        build_policy(a, g, zones="domains")
    with pytest.raises(ConfigError):
        write_report(a, g, tmp_path / "out", policy_zones="domains")
    assert not (tmp_path / "out").exists()  # nothing written
    with pytest.raises(ConfigError):
        write_report(a, g, tmp_path / "out", policy_zones="teams")


def test_zone_names_fall_back_and_disambiguate():
    a, g = fake_case()
    a = {**a, "communities": [dict(c) for c in a["communities"]]}
    a["communities"][0]["dominant_domain"] = None
    a["communities"][1]["dominant_domain"] = "accounts"  # same as community 2
    p = build_policy(a, g)
    assert [z["name"] for z in p["zones"]] == ["zone-0", "accounts-zone-1", "accounts-zone-2"]


def test_unassigned_services_become_exceptions():
    a, g = fake_case()
    a = {**a, "services": [dict(s) for s in a["services"]],
         "communities": [dict(c, services=[s for s in c["services"] if s != "user-db"]) for c in a["communities"]]}
    for s in a["services"]:
        if s["service"] == "user-db":
            s["community"] = None
    p = build_policy(a, g)
    assert p["unassigned_services"] == ["user-db"]
    to_db = [x for x in p["exceptions"] if x["to_service"] == "user-db"]
    assert {x["to_zone"] for x in to_db} == {"unassigned"} and len(to_db) == 2
