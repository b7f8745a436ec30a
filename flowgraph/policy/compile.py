"""Compile a flowgraph policy into enforceable artefacts.

Formats (``FORMATS``):

``cloudformation``
    One ``AWS::EC2::SecurityGroup`` per zone (plus ``shared``), an
    ``AWS::EC2::SecurityGroupIngress`` allowing the group from itself (intra-zone
    allow by group reference), one ingress per shared-zone port from every zone
    group, and one ingress per exception (zone group -> zone group, port and
    protocol; the description names the exceptions and their evidence).  Identical
    zone-level rules are merged.  Egress stays the AWS default (all).
``terraform``
    The same groups as Terraform JSON (``.tf.json``): ``aws_security_group`` and
    ``aws_vpc_security_group_ingress_rule`` resources, ``var.vpc_id``.
``kubernetes``
    ``networking.k8s.io/v1`` NetworkPolicies: default deny (ingress and egress),
    one per zone (pods labelled ``flowgraph.io/zone``) allowing the zone to
    itself and to the shared zone, and one per exception selecting the client and
    server pods by ``flowgraph.io/service`` with the port.
``cilium``
    ``cilium.io/v2`` CiliumNetworkPolicies with the same rules.

Examples
--------
>>> p = {"zones": [{"name": "a", "services": ["x"]}, {"name": "b", "services": ["z"]}],
...      "shared_zone": {"services": []}, "exceptions": [{"name": "x-to-z-80-tcp", "from_zone": "a",
...      "to_zone": "b", "from_service": "x", "to_service": "z", "port": 80, "protocol": "tcp",
...      "evidence": {"connections": 3, "last_seen": "2024-03-01T10:00:00Z"}}]}
>>> rule_counts(p)
{'cloudformation': 3, 'terraform': 3, 'kubernetes': 6, 'cilium': 6}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, cast

import yaml

from ..exceptions import ConfigError
from .model import PROTOCOLS, check_policy

__all__ = ["FORMATS", "compile_policy", "compile_text", "rule_counts", "security_group_rules",
           "ZONE_LABEL", "SERVICE_LABEL"]

FORMATS = ("cloudformation", "terraform", "kubernetes", "cilium")
ZONE_LABEL = "flowgraph.io/zone"
SERVICE_LABEL = "flowgraph.io/service"
_K8S_PROTOCOLS = {"tcp": "TCP", "udp": "UDP", "sctp": "SCTP"}


def _label(v: str) -> str:
    """A Kubernetes label value (<= 63 chars of ``[A-Za-z0-9._-]``, alphanumeric ends)."""
    out = re.sub(r"[^A-Za-z0-9._-]+", "-", str(v))[:63].strip("-._")
    return out or "x"


def _dns(v: str, max_len: int = 253) -> str:
    out = re.sub(r"[^a-z0-9.-]+", "-", str(v).lower())[:max_len].strip("-.")
    return out or "x"


def _logical(v: str) -> str:
    return "".join(w.capitalize() for w in re.split(r"[^A-Za-z0-9]+", str(v)) if w) or "X"


def _sg_text(s: str, n: int = 255) -> str:
    """A security-group description (AWS allows ``a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*``)."""
    return re.sub(r"[^a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]", "_", s)[:n]


def _proto(p: Any) -> str:
    return "-1" if p is None else str(PROTOCOLS.get(str(p).lower(), p))


def _zones(policy: Mapping) -> list[str]:
    names = [z["name"] for z in policy["zones"]]
    extra = sorted({x[k] for x in policy.get("exceptions") or [] for k in ("from_zone", "to_zone")}
                   - set(names) - {"shared"})
    return names + extra + (["shared"] if (policy.get("shared_zone") or {}).get("services") else [])


def security_group_rules(policy: Mapping) -> list[dict]:
    """Zone-level ingress rules: ``group, source_group, protocol, from_port, to_port, description, exceptions``."""
    zones = _zones(policy)
    rules: list[dict] = [{"group": z, "source_group": z, "protocol": "-1", "from_port": None, "to_port": None,
                          "description": f"intra-zone allow {z}", "exceptions": []} for z in zones]
    if "shared" in zones:
        ports = sorted({(f.get("port"), _proto(f.get("protocol")))
                        for f in (policy["shared_zone"].get("observed_flows") or [])
                        if f.get("direction", "to_shared") == "to_shared"}, key=lambda t: (str(t[1]), t[0] or -1))
        if not ports:
            ports = [(None, "-1")]
        for z in zones:
            if z == "shared":
                continue
            for port, proto in ports:
                rules.append({"group": "shared", "source_group": z, "protocol": proto, "from_port": port,
                              "to_port": port, "description": f"shared zone from {z}", "exceptions": []})
        back = sorted({(f.get("port"), _proto(f.get("protocol")))
                       for f in (policy["shared_zone"].get("observed_flows") or [])
                       if f.get("direction") == "from_shared"}, key=lambda t: (str(t[1]), t[0] or -1))
        for z in zones:
            if z == "shared":
                continue
            for port, proto in back:
                rules.append({"group": z, "source_group": "shared", "protocol": proto, "from_port": port,
                              "to_port": port, "description": f"from shared zone to {z}", "exceptions": []})
    merged: dict[tuple, dict] = {}
    for x in policy.get("exceptions") or []:
        proto = _proto(x.get("protocol"))
        port = x.get("port") if proto != "-1" else None
        key = (x["to_zone"], x["from_zone"], proto, port)
        if key[0] == key[1]:
            continue
        r = merged.setdefault(key, {"group": key[0], "source_group": key[1], "protocol": proto,
                                    "from_port": port, "to_port": port, "exceptions": []})
        r["exceptions"].append(x)
    for r in merged.values():
        ev = r["exceptions"]
        conns = sum(int((x.get("evidence") or {}).get("connections") or 0) for x in ev)
        last = max((str((x.get("evidence") or {}).get("last_seen") or "") for x in ev), default="")
        r["description"] = f"{len(ev)} exception(s) {conns} conn last {last}: " + ", ".join(x["name"] for x in ev)
    return rules + sorted(merged.values(), key=lambda r: (r["group"], r["source_group"], r["protocol"],
                                                          r["from_port"] or -1))


def _cloudformation(policy: Mapping) -> dict:
    zones = _zones(policy)
    res: dict[str, Any] = {}
    for z in zones:
        res[f"Zone{_logical(z)}SG"] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": _sg_text(f"flowgraph zone {z}"), "VpcId": {"Ref": "VpcId"},
            "Tags": [{"Key": "flowgraph:zone", "Value": z}]}}
    for i, r in enumerate(security_group_rules(policy)):
        props: dict[str, Any] = {"GroupId": {"Fn::GetAtt": [f"Zone{_logical(r['group'])}SG", "GroupId"]},
                                 "SourceSecurityGroupId": {"Fn::GetAtt": [f"Zone{_logical(r['source_group'])}SG",
                                                                          "GroupId"]},
                                 "IpProtocol": r["protocol"], "Description": _sg_text(r["description"])}
        if r["protocol"] != "-1":
            props["FromPort"], props["ToPort"] = (r["from_port"], r["to_port"]) if r["from_port"] is not None \
                else (0, 65535)
        res[f"Rule{i + 1:04d}"] = {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": props}
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Description": "flowgraph segmentation policy: one security group per zone",
            "Parameters": {"VpcId": {"Type": "AWS::EC2::VPC::Id", "Description": "VPC of the groups"}},
            "Resources": res,
            "Outputs": {f"Zone{_logical(z)}SGId": {"Value": {"Fn::GetAtt": [f"Zone{_logical(z)}SG", "GroupId"]}}
                        for z in zones}}


def _tf_name(v: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_-]+", "_", str(v))
    return out if re.match(r"[A-Za-z_]", out) else f"z_{out}"


def _terraform(policy: Mapping) -> dict:
    zones = _zones(policy)
    groups = {f"zone_{_tf_name(z)}": {"name": f"flowgraph-{_dns(z, 200)}",
                                      "description": _sg_text(f"flowgraph zone {z}"),
                                      "vpc_id": "${var.vpc_id}", "tags": {"flowgraph:zone": z}} for z in zones}
    rules = {}
    for i, r in enumerate(security_group_rules(policy)):
        body: dict[str, Any] = {
            "security_group_id": f"${{aws_security_group.zone_{_tf_name(r['group'])}.id}}",
            "referenced_security_group_id": f"${{aws_security_group.zone_{_tf_name(r['source_group'])}.id}}",
            "ip_protocol": r["protocol"], "description": _sg_text(r["description"])}
        if r["protocol"] != "-1":
            body["from_port"], body["to_port"] = (r["from_port"], r["to_port"]) if r["from_port"] is not None \
                else (0, 65535)
        rules[f"rule_{i + 1:04d}"] = body
    return {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.0"}}},
            "variable": {"vpc_id": {"type": "string", "description": "VPC of the groups"}},
            "resource": {"aws_security_group": groups, "aws_vpc_security_group_ingress_rule": rules}}


def _k8s_ports(x: Mapping) -> list[dict] | None:
    proto = _K8S_PROTOCOLS.get(str(x.get("protocol")).lower()) if x.get("protocol") is not None else None
    if x.get("protocol") is not None and proto is None:
        return None  # icmp and others: not expressible, see notes
    if x.get("port") is None:
        return [{"protocol": proto}] if proto else []
    return [{"protocol": proto or "TCP", "port": int(x["port"])}]


def _shared_ports(policy: Mapping, direction: str = "to_shared") -> list[dict]:
    out = []
    for f in (policy.get("shared_zone") or {}).get("observed_flows") or []:
        if f.get("direction", "to_shared") != direction:
            continue
        ports = _k8s_ports(f)
        if ports:
            for p in ports:
                if p not in out:
                    out.append(p)
    return sorted(out, key=lambda p: (p.get("protocol") or "", p.get("port") or -1))


def _kubernetes(policy: Mapping, namespace: str) -> list[dict]:
    def meta(name: str) -> dict:
        return {"name": _dns(name), "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "flowgraph"}}

    zones = [z for z in _zones(policy) if z != "shared"]
    has_shared = bool((policy.get("shared_zone") or {}).get("services"))
    sp = _shared_ports(policy)
    bp = _shared_ports(policy, "from_shared")
    shared_pods = {"podSelector": {"matchLabels": {ZONE_LABEL: "shared"}}}
    docs = [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("default-deny"),
             "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}]
    for z in zones:
        sel = {"matchLabels": {ZONE_LABEL: _label(z)}}
        egress = [{"to": [{"podSelector": sel}]}]
        if has_shared:
            egress.append({"to": [{"podSelector": {"matchLabels": {ZONE_LABEL: "shared"}}}], **({"ports": sp} if sp else {})})
        ingress = [{"from": [{"podSelector": sel}]}]
        if has_shared and bp:
            ingress.append({"from": [shared_pods], "ports": bp})
        docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(f"zone-{z}"),
                     "spec": {"podSelector": sel, "policyTypes": ["Ingress", "Egress"],
                              "ingress": ingress, "egress": egress}})
    if has_shared:
        docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("zone-shared"),
                     "spec": {"podSelector": {"matchLabels": {ZONE_LABEL: "shared"}},
                              "policyTypes": ["Ingress", "Egress"],
                              "ingress": [{"from": [{"podSelector": {"matchExpressions": [
                                  {"key": ZONE_LABEL, "operator": "Exists"}]}}], **({"ports": sp} if sp else {})}],
                              "egress": [{"to": [shared_pods]}] + ([{"to": [{"podSelector": {"matchExpressions": [
                                  {"key": ZONE_LABEL, "operator": "Exists"}]}}], "ports": bp}] if bp else [])}})
    for x in policy.get("exceptions") or []:
        ports = _k8s_ports(x)
        if ports is None:
            continue
        src = {"matchLabels": {SERVICE_LABEL: _label(x["from_service"])}}
        dst = {"matchLabels": {SERVICE_LABEL: _label(x["to_service"])}}
        pp = {"ports": ports} if ports else {}
        ann = {"flowgraph.io/evidence": json.dumps(x.get("evidence") or {}, sort_keys=True)}
        m = meta(f"x-{x['name']}-egress")
        m["annotations"] = ann
        docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": m,
                     "spec": {"podSelector": src, "policyTypes": ["Egress"], "egress": [{"to": [{"podSelector": dst}], **pp}]}})
        m = meta(f"x-{x['name']}-ingress")
        m["annotations"] = ann
        docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": m,
                     "spec": {"podSelector": dst, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": src}], **pp}]}})
    return docs


def _cilium(policy: Mapping, namespace: str) -> list[dict]:
    def to_ports(ports: list[dict]) -> list[dict]:
        return [{"ports": [{"port": str(p.get("port", 0)), "protocol": p.get("protocol") or "ANY"} for p in ports]}] \
            if ports else []

    def cnp(name: str, selector: dict, spec: dict, ann: dict | None = None) -> dict:
        md: dict[str, Any] = {"name": _dns(name), "namespace": namespace}
        if ann:
            md["annotations"] = ann
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": md,
                "spec": {"endpointSelector": selector, **spec}}

    zones = [z for z in _zones(policy) if z != "shared"]
    has_shared = bool((policy.get("shared_zone") or {}).get("services"))
    sp = _shared_ports(policy)
    bp = _shared_ports(policy, "from_shared")
    shared_sel = {"matchLabels": {ZONE_LABEL: "shared"}}
    any_zone = {"matchExpressions": [{"key": ZONE_LABEL, "operator": "Exists"}]}
    # Cilium: an endpoint selected by any policy is default-deny in the selected direction
    docs = []
    for z in zones:
        sel = {"matchLabels": {ZONE_LABEL: _label(z)}}
        egress = [{"toEndpoints": [sel]}]
        if has_shared:
            egress.append({"toEndpoints": [shared_sel], **({"toPorts": to_ports(sp)} if sp else {})})
        ingress = [{"fromEndpoints": [sel]}]
        if has_shared and bp:
            ingress.append({"fromEndpoints": [shared_sel], "toPorts": to_ports(bp)})
        docs.append(cnp(f"zone-{z}", sel, {"ingress": ingress, "egress": egress}))
    if has_shared:
        docs.append(cnp("zone-shared", shared_sel, {
            "ingress": [{"fromEndpoints": [any_zone], **({"toPorts": to_ports(sp)} if sp else {})}],
            "egress": [{"toEndpoints": [shared_sel]}] + ([{"toEndpoints": [any_zone], "toPorts": to_ports(bp)}]
                                                          if bp else [])}))
    for x in policy.get("exceptions") or []:
        ports = _k8s_ports(x)
        if ports is None:
            continue
        src = {"matchLabels": {SERVICE_LABEL: _label(x["from_service"])}}
        dst = {"matchLabels": {SERVICE_LABEL: _label(x["to_service"])}}
        tp = {"toPorts": to_ports(ports)} if ports else {}
        ann = {"flowgraph.io/evidence": json.dumps(x.get("evidence") or {}, sort_keys=True)}
        docs.append(cnp(f"x-{x['name']}", dst, {"ingress": [{"fromEndpoints": [src], **tp}]}, ann))
        docs.append(cnp(f"x-{x['name']}-egress", src, {"egress": [{"toEndpoints": [dst], **tp}]}, ann))
    return docs


def compile_policy(policy: Mapping, to: str, *, namespace: str = "default") -> dict | list[dict]:
    """Compile ``policy`` to ``to`` (one of :data:`FORMATS`): a template dict or a list of manifests.

    Raises
    ------
    ConfigError
        Unknown format.
    InputError
        The policy is malformed (see :func:`flowgraph.policy.check_policy`).
    """
    if to not in FORMATS:
        raise ConfigError(f"unknown policy format {to!r}: choose one of {', '.join(FORMATS)}")
    policy = check_policy(policy)
    if to == "cloudformation":
        return _cloudformation(policy)
    if to == "terraform":
        return _terraform(policy)
    if to == "kubernetes":
        return _kubernetes(policy, namespace)
    return _cilium(policy, namespace)


def compile_text(policy: Mapping, to: str, *, namespace: str = "default") -> str:
    """:func:`compile_policy` as file text (JSON for AWS formats, multi-document YAML for Kubernetes)."""
    out = compile_policy(policy, to, namespace=namespace)
    if isinstance(out, dict):
        return json.dumps(out, indent=2, sort_keys=False) + "\n"
    return yaml.safe_dump_all(out, sort_keys=False, default_flow_style=False, width=120)


def rule_counts(policy: Mapping) -> dict[str, int]:
    """Number of enforceable rules per format: ingress rules (AWS) or policy rules (Kubernetes, Cilium)."""
    counts = {}
    for fmt in FORMATS:
        out = compile_policy(policy, fmt)
        if fmt == "cloudformation":  # the AWS formats compile to one template dict
            template = cast(dict, out)
            counts[fmt] = sum(r["Type"] == "AWS::EC2::SecurityGroupIngress" for r in template["Resources"].values())
        elif fmt == "terraform":
            counts[fmt] = len(cast(dict, out)["resource"]["aws_vpc_security_group_ingress_rule"])
        else:
            counts[fmt] = sum(len(d["spec"].get("ingress", [])) + len(d["spec"].get("egress", [])) for d in out)
    return counts
