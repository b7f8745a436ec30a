"""Compiled policies pass real validators and enforce exactly the policy (round trip on a planted estate)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import numpy as np
import pytest
import yaml

from flowgraph.policy import allowed, compile_policy, compile_text, rule_counts

SCHEMAS = Path(__file__).parent / "schemas"
PROTO = {"tcp": 6, "udp": 17, "TCP": 6, "UDP": 17, "SCTP": 132}


def _service_edges(planted):
    """Edges between services the policy places (zones or shared zone)."""
    p, e = planted["policy"], planted["graph"].edges
    known = {s for z in p["zones"] for s in z["services"]} | set(p["shared_zone"]["services"])
    return e[e["client"].isin(known) & e["server"].isin(known)].reset_index(drop=True)


def _zone_of(policy):
    out = {s: z["name"] for z in policy["zones"] for s in z["services"]}
    out.update({s: "shared" for s in policy["shared_zone"]["services"]})
    return out


def _sg_allows(template, policy, edges):
    """Read the CloudFormation template as AWS does: ingress on the server's group from the client's group."""
    zone = _zone_of(policy)
    group_of = {r["Properties"]["Tags"][0]["Value"]: name for name, r in template["Resources"].items()
                if r["Type"] == "AWS::EC2::SecurityGroup"}
    rules = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    out = []
    for c, s, port, proto in zip(edges["client"], edges["server"], edges["server_port"], edges["protocol"]):
        gc, gs = group_of[zone[c]], group_of[zone[s]]
        ok = any(r["GroupId"]["Fn::GetAtt"][0] == gs and r["SourceSecurityGroupId"]["Fn::GetAtt"][0] == gc
                 and (r["IpProtocol"] == "-1" or (int(r["IpProtocol"]) == int(proto)
                                                  and r["FromPort"] <= int(port) <= r["ToPort"])) for r in rules)
        out.append(ok)
    return np.array(out)


def _k8s_selects(sel, labels):
    if not sel:
        return True
    if any(labels.get(k) != v for k, v in (sel.get("matchLabels") or {}).items()):
        return False
    return all(e["key"] in labels for e in sel.get("matchExpressions") or [] if e["operator"] == "Exists")


def _ports_ok(ports, port, proto):
    if not ports:
        return True
    return any(PROTO.get(p.get("protocol", "TCP")) == int(proto) and int(p.get("port", port)) == int(port)
               for p in ports)


def _netpol_allows(docs, policy, edges):
    """Kubernetes semantics: egress allowed at the client AND ingress allowed at the server."""
    zone = _zone_of(policy)
    out = []
    for c, s, port, proto in zip(edges["client"], edges["server"], edges["server_port"], edges["protocol"]):
        lc = {"flowgraph.io/zone": zone[c], "flowgraph.io/service": c}
        ls = {"flowgraph.io/zone": zone[s], "flowgraph.io/service": s}
        eg = ing = False
        for d in docs:
            sp = d["spec"]
            if _k8s_selects(sp["podSelector"], lc) and "Egress" in sp["policyTypes"]:
                eg |= any(any(_k8s_selects(t["podSelector"], ls) for t in r.get("to", []))
                          and _ports_ok(r.get("ports"), port, proto) for r in sp.get("egress", []))
            if _k8s_selects(sp["podSelector"], ls) and "Ingress" in sp["policyTypes"]:
                ing |= any(any(_k8s_selects(f["podSelector"], lc) for f in r.get("from", []))
                           and _ports_ok(r.get("ports"), port, proto) for r in sp.get("ingress", []))
        out.append(eg and ing)
    return np.array(out)


def test_cloudformation_passes_cfn_lint(planted, tmp_path):
    path = tmp_path / "sg.json"
    path.write_text(compile_text(planted["policy"], "cloudformation"))
    run = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    # and cfn-lint does fail a broken template (the check can fail)
    bad = json.loads(path.read_text())
    del next(r for r in bad["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroupIngress")["Properties"]["IpProtocol"]
    path.write_text(json.dumps(bad))
    assert subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), str(path)], capture_output=True).returncode != 0


def test_terraform_json_matches_schema(planted):
    schema = json.loads((SCHEMAS / "terraform-aws-sg.schema.json").read_text())
    doc = json.loads(compile_text(planted["policy"], "terraform"))
    jsonschema.validate(doc, schema)
    groups = doc["resource"]["aws_security_group"]
    for r in doc["resource"]["aws_vpc_security_group_ingress_rule"].values():
        for k in ("security_group_id", "referenced_security_group_id"):
            assert r[k].split(".")[1] in groups
    with pytest.raises(jsonschema.ValidationError):
        bad = dict(next(iter(doc["resource"]["aws_vpc_security_group_ingress_rule"].values())), ip_protocol="tcp")
        bad.pop("from_port", None)
        jsonschema.validate({"resource": {"aws_vpc_security_group_ingress_rule": {"x": bad}}}, schema)


def test_kubernetes_passes_kubernetes_validate(planted):
    docs = list(yaml.safe_load_all(compile_text(planted["policy"], "kubernetes")))
    assert docs[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for d in docs:
        kubernetes_validate.validate(d, "1.30", strict=True)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate({**docs[1], "spec": {**docs[1]["spec"], "ingres": []}}, "1.30", strict=True)


def test_cilium_matches_crd_schema(planted):
    schema = json.loads((SCHEMAS / "cilium-network-policy.schema.json").read_text())
    docs = list(yaml.safe_load_all(compile_text(planted["policy"], "cilium")))
    for d in docs:
        jsonschema.validate(d, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**docs[0], "spec": {"endpointSelector": {}, "ingress": [{"toPorts": [{"ports": [{"port": 80}]}]}]}}, schema)


def test_round_trip_intra_domain_never_blocked(planted):
    p, est = planted["policy"], planted["estate"]
    e = _service_edges(planted)
    dom = est.truth.service_domain
    intra = np.array([dom[c] == dom[s] for c, s in zip(e["client"], e["server"])])
    assert intra.sum() > 50
    sg = _sg_allows(compile_policy(p, "cloudformation"), p, e)
    k8s = _netpol_allows(compile_policy(p, "kubernetes"), p, e)
    pol = allowed(p, e).to_numpy()
    assert sg[intra].all() and k8s[intra].all() and pol[intra].all()
    # every observed flow the draft was built from is admitted by each artefact
    assert pol.all() and sg.all() and k8s.all()


def test_removing_one_exception_blocks_exactly_its_flows(planted):
    p = planted["policy"]
    e = _service_edges(planted)
    x = p["exceptions"][0]
    mine = ((e["client"] == x["from_service"]) & (e["server"] == x["to_service"])
            & (e["server_port"] == x["port"])).to_numpy()
    assert mine.sum() == 1
    reduced = {**p, "exceptions": [y for y in p["exceptions"] if y["name"] != x["name"]]}
    assert (~allowed(reduced, e).to_numpy() == mine).all()
    assert (~_netpol_allows(compile_policy(reduced, "kubernetes"), p, e) == mine).all()
    # security groups are zone-level: pick an exception alone on its (zones, port, protocol) rule
    keys = [(y["from_zone"], y["to_zone"], y["port"], y["protocol"]) for y in p["exceptions"]]
    lone = next(y for y, k in zip(p["exceptions"], keys) if keys.count(k) == 1)
    mine = ((e["client"] == lone["from_service"]) & (e["server"] == lone["to_service"])
            & (e["server_port"] == lone["port"])).to_numpy()
    reduced = {**p, "exceptions": [y for y in p["exceptions"] if y["name"] != lone["name"]]}
    assert (~_sg_allows(compile_policy(reduced, "cloudformation"), p, e) == mine).all()


def test_rule_counts(planted):
    counts = rule_counts(planted["policy"])
    tf = compile_policy(planted["policy"], "terraform")
    assert counts["terraform"] == counts["cloudformation"] == len(tf["resource"]["aws_vpc_security_group_ingress_rule"])
    assert counts["kubernetes"] == counts["cilium"] > 2 * len(planted["policy"]["exceptions"])
