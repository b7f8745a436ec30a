"""Audit: the planted unused, missing and over-broad grants are found, and nothing else; files and EC2 API."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from flowgraph.exceptions import InputError
from flowgraph.policy.audit import (
    audit,
    audit_graph,
    load_security_groups,
    parse_security_groups,
    read_security_groups,
)
from flowgraph.synth.security_groups import security_group_documents

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _found(r):
    return ({(u["group"], u["source"], u["from_port"]) for u in r["unused"]},
            {(m["client"], m["server"], m["port"], m["protocol"]) for m in r["used_not_granted"]},
            {(o["group"], o["source"]) for o in r["over_broad"]})


def _planted(truth):
    return ({(u["group"], u["source"], u["from_port"]) for u in truth["unused"]},
            {tuple(m["edge"]) for m in truth["missing"]},
            {(o["group"], o["source"]) for o in truth["over_broad"]})


@pytest.fixture(scope="module")
def sample_audit():
    granted = load_security_groups(SAMPLE / "security-groups.json", SAMPLE / "network-interfaces.json")
    return audit(granted, SAMPLE / "logs", SAMPLE / "inventory.csv")


def test_sample_planted_grants_found_and_nothing_else(sample_audit):
    truth = json.loads((SAMPLE / "security-groups-truth.json").read_text())
    unused, missing, broad = _found(sample_audit)
    p_unused, p_missing, p_broad = _planted(truth)
    assert (len(p_unused), len(p_missing), len(p_broad)) == (3, 3, 2)
    assert unused == p_unused
    assert missing == p_missing
    assert broad == p_broad
    assert all(u["last_seen"] is None for u in sample_audit["unused"])
    assert sample_audit["grants"] == 669 and sample_audit["edges_checked"] == 1643


def test_over_broad_names_the_observed_subset(sample_audit):
    truth = json.loads((SAMPLE / "security-groups-truth.json").read_text())
    by_group = {o["group"]: o for o in sample_audit["over_broad"]}
    for t in truth["over_broad"]:
        c, s, port, proto = t["edge"]
        observed = by_group[t["group"]]["observed"]
        assert {"client": c, "server": s, "port": port, "protocol": proto} in observed
        assert all(o["server"] == s and o["port"] == port for o in observed)
    assert {r for o in sample_audit["over_broad"] for r in o["reasons"]} == {"all protocols and ports",
                                                                               "whole VPC or wider"}


def test_unused_days_uses_last_seen(planted):
    sg, ni, truth = security_group_documents(planted["estate"], seed=2)
    g = parse_security_groups(sg, ni)
    r0 = audit_graph(g, planted["graph"])
    r1 = audit_graph(g, planted["graph"], unused_days=1.0)  # 48-hour estate: grants last hit on day 1 are unused
    assert len(r0["unused"]) == 3
    late = [u for u in r1["unused"] if u["last_seen"] is not None]
    assert late and all(u["last_seen"] < r1["parameters"]["end"].replace("03T", "02T") or u["last_seen"][:10] <= "2024-03-02"
                        for u in late)
    assert len(r1["unused"]) > len(r0["unused"])


def _load_into_ec2(ec2, sg_doc, ni_doc, cidrs):
    vpc_ids, subnet_ids, group_ids = {}, {}, {}
    for g in sg_doc["SecurityGroups"]:
        if g["VpcId"] not in vpc_ids:
            vpc_ids[g["VpcId"]] = ec2.create_vpc(CidrBlock=cidrs[g["VpcId"]])["Vpc"]["VpcId"]
    for n in ni_doc["NetworkInterfaces"]:
        if n["VpcId"] not in vpc_ids:
            vpc_ids[n["VpcId"]] = ec2.create_vpc(CidrBlock=cidrs[n["VpcId"]])["Vpc"]["VpcId"]
        if n["VpcId"] not in subnet_ids:
            subnet_ids[n["VpcId"]] = ec2.create_subnet(VpcId=vpc_ids[n["VpcId"]], CidrBlock=cidrs[n["VpcId"]])["Subnet"]["SubnetId"]
    for g in sg_doc["SecurityGroups"]:
        group_ids[g["GroupId"]] = ec2.create_security_group(GroupName=g["GroupName"], Description=g["Description"],
                                                            VpcId=vpc_ids[g["VpcId"]])["GroupId"]
    for g in sg_doc["SecurityGroups"]:
        perms = []
        for p in g["IpPermissions"]:
            q = {k: v for k, v in p.items() if k in ("IpProtocol", "FromPort", "ToPort", "IpRanges")}
            q["UserIdGroupPairs"] = [{"GroupId": group_ids[x["GroupId"]], "Description": x.get("Description", "")}
                                     for x in p["UserIdGroupPairs"]]
            perms.append(q)
        if perms:
            ec2.authorize_security_group_ingress(GroupId=group_ids[g["GroupId"]], IpPermissions=perms)
    for n in ni_doc["NetworkInterfaces"]:
        ec2.create_network_interface(SubnetId=subnet_ids[n["VpcId"]], PrivateIpAddress=n["PrivateIpAddress"],
                                     Groups=[group_ids[x["GroupId"]] for x in n["Groups"]],
                                     TagSpecifications=[{"ResourceType": "network-interface", "Tags": n["TagSet"]}])


def test_audit_through_the_ec2_api(s3_server, planted):
    sg, ni, truth = security_group_documents(planted["estate"], seed=2)
    ec2 = boto3.client("ec2", endpoint_url=s3_server["endpoint_url"], region_name="us-east-1")
    acc = planted["estate"].accounts
    _load_into_ec2(ec2, sg, ni, dict(zip(acc["vpc_id"], acc["cidr"])))
    from_api = read_security_groups(ec2)
    r_api = audit_graph(from_api, planted["graph"])
    r_file = audit_graph(parse_security_groups(sg, ni), planted["graph"])
    unused, missing, broad = _found(r_api)
    p_unused, p_missing, p_broad = _planted(truth)
    assert missing == p_missing == _found(r_file)[1]
    assert unused == p_unused == _found(r_file)[0]
    assert broad == p_broad == _found(r_file)[2]


@pytest.mark.parametrize("doc, item", [
    ({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
                                                                 "UserIdGroupPairs": [{"GroupId": "sg-9"}]}]}]},
     "unknown group 'sg-9'"),
    ({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
                                                                 "IpRanges": [{"CidrIp": "10.0.0.300/8"}]}]}]},
     "invalid CidrIp '10.0.0.300/8'"),
    ({"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "gre?"}]}]}, "unknown IpProtocol 'gre?'"),
    ({"Groups": []}, "no 'SecurityGroups' list"),
])
def test_bad_security_groups_name_the_item(tmp_path, doc, item):
    (tmp_path / "sg.json").write_text(json.dumps(doc))
    (tmp_path / "ni.json").write_text(json.dumps({"NetworkInterfaces": []}))
    with pytest.raises(InputError) as exc:
        load_security_groups(tmp_path / "sg.json", tmp_path / "ni.json")
    assert item in str(exc.value) and "sg.json" in str(exc.value)
