"""Declared vs observed: which security-group grants are unused, missing or over-broad.

Granted access comes from ``aws ec2 describe-security-groups`` and
``describe-network-interfaces`` (files via :func:`load_security_groups`, or the
live API via :func:`read_security_groups` with a boto3 EC2 client).  Each
ingress permission becomes one grant ``group <- source (group or CIDR),
protocol, ports``; group members are the interfaces' services (tag
``service``, else the address).

Against the observed accepted edges (:func:`flowgraph.graph.build_graph`):

- ``unused``: grants of a group with members that no observed edge matches
  (or whose last match is more than ``unused_days`` before the end), with
  ``last_seen``;
- ``used_not_granted``: edges to a member service that no grant admits (would
  be blocked), with the REJECTed connections seen on the same pair;
- ``over_broad``: matched grants wider than what was used: ``0.0.0.0/0`` without
  an internet client, a CIDR of /16 or wider, or all protocols / a port range,
  with the observed subset (client, port, protocol) that would replace them.

Examples
--------
>>> import pandas as pd
>>> from flowgraph.graph import ServiceGraph
>>> sg = {"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "db", "IpPermissions": [
...     {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": "sg-2"}]},
...     {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
...     {"GroupId": "sg-2", "GroupName": "app", "IpPermissions": []}]}
>>> ni = {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddress": "10.0.0.1",
...     "Groups": [{"GroupId": "sg-1"}], "TagSet": [{"Key": "service", "Value": "db"}]},
...     {"NetworkInterfaceId": "eni-2", "PrivateIpAddress": "10.0.0.2",
...     "Groups": [{"GroupId": "sg-2"}], "TagSet": [{"Key": "service", "Value": "app"}]}]}
>>> e = pd.DataFrame({"client": ["app"], "server": ["db"], "server_port": [5432], "protocol": [6],
...     "connections": [3], "packets": [1], "bytes": [1], "first_seen": [0], "last_seen": [60],
...     "hours_seen": [1], "days_seen": [1]})
>>> r = audit_graph(parse_security_groups(sg, ni), ServiceGraph(e))
>>> [(u["group"], u["from_port"]) for u in r["unused"]], r["used_not_granted"]
([('db', 22)], [])
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError
from ..graph import ServiceGraph, build_graph

__all__ = ["parse_security_groups", "load_security_groups", "read_security_groups", "audit_graph", "audit",
           "audit_markdown"]

_PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "-1": -1, "all": -1}


def _proto(v: Any, where: str) -> int:
    s = str(v).lower()
    if s in _PROTO:
        return _PROTO[s]
    if s.isdigit():
        return int(s)
    raise InputError(f"{where}: unknown IpProtocol {v!r}")


def parse_security_groups(sg_doc: Any, eni_doc: Any, *, where: str = "security groups") -> dict:
    """Grants and members from describe-security-groups / describe-network-interfaces documents."""
    if not isinstance(sg_doc, Mapping) or not isinstance(sg_doc.get("SecurityGroups"), list):
        raise InputError(f"{where}: not describe-security-groups output (no 'SecurityGroups' list)")
    if not isinstance(eni_doc, Mapping) or not isinstance(eni_doc.get("NetworkInterfaces"), list):
        raise InputError(f"{where}: not describe-network-interfaces output (no 'NetworkInterfaces' list)")
    names, rows = {}, []
    for i, g in enumerate(sg_doc["SecurityGroups"]):
        if not isinstance(g, Mapping) or not g.get("GroupId"):
            raise InputError(f"{where}: security group #{i + 1} has no GroupId")
        names[g["GroupId"]] = g.get("GroupName") or g["GroupId"]
    for g in sg_doc["SecurityGroups"]:
        for j, p in enumerate(g.get("IpPermissions") or []):
            item = f"group {g['GroupId']} permission #{j + 1}"
            proto = _proto(p.get("IpProtocol"), f"{where}: {item}")
            lo, hi = (p.get("FromPort"), p.get("ToPort")) if proto in (6, 17) else (None, None)
            if proto in (6, 17) and (lo is None or hi is None or lo == -1):
                lo, hi = 0, 65535
            base = {"group_id": g["GroupId"], "group": names[g["GroupId"]], "protocol": proto,
                    "from_port": lo, "to_port": hi}
            for pair in p.get("UserIdGroupPairs") or []:
                if pair.get("GroupId") not in names:
                    raise InputError(f"{where}: {item} refers to unknown group {pair.get('GroupId')!r}")
                rows.append({**base, "source_group": pair["GroupId"], "cidr": None,
                             "description": pair.get("Description")})
            for rng in p.get("IpRanges") or []:
                try:
                    ipaddress.ip_network(rng.get("CidrIp"), strict=False)
                except (TypeError, ValueError):
                    raise InputError(f"{where}: {item} has an invalid CidrIp {rng.get('CidrIp')!r}") from None
                rows.append({**base, "source_group": None, "cidr": rng["CidrIp"],
                             "description": rng.get("Description")})
    members = []
    for i, n in enumerate(eni_doc["NetworkInterfaces"]):
        if not isinstance(n, Mapping) or not n.get("NetworkInterfaceId"):
            raise InputError(f"{where}: network interface #{i + 1} has no NetworkInterfaceId")
        tags = {t.get("Key"): t.get("Value") for t in n.get("TagSet") or []}
        svc = tags.get("service") or n.get("PrivateIpAddress")
        for g in n.get("Groups") or []:
            if g.get("GroupId") not in names:
                raise InputError(f"{where}: interface {n['NetworkInterfaceId']} is in unknown group "
                                 f"{g.get('GroupId')!r}")
            for a in n.get("PrivateIpAddresses") or [{"PrivateIpAddress": n.get("PrivateIpAddress")}]:
                members.append({"group_id": g["GroupId"], "eni": n["NetworkInterfaceId"],
                                "ip": a.get("PrivateIpAddress"), "service": svc})
    return {"groups": names, "grants": pd.DataFrame(rows, columns=[
        "group_id", "group", "protocol", "from_port", "to_port", "source_group", "cidr", "description"]),
        "members": pd.DataFrame(members, columns=["group_id", "eni", "ip", "service"])}


def _read_json(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None


def load_security_groups(sg_path: str | Path, eni_path: str | Path) -> dict:
    """:func:`parse_security_groups` of two JSON files (errors name the files)."""
    return parse_security_groups(_read_json(sg_path), _read_json(eni_path), where=f"{sg_path} / {eni_path}")


def read_security_groups(ec2_client, *, vpc_ids: list[str] | None = None) -> dict:
    """The same through the EC2 API (a boto3 ``ec2`` client; paginated)."""
    filters = [{"Name": "vpc-id", "Values": list(vpc_ids)}] if vpc_ids else []
    sgs, nis = [], []
    for page in ec2_client.get_paginator("describe_security_groups").paginate(Filters=filters):
        sgs += page["SecurityGroups"]
    for page in ec2_client.get_paginator("describe_network_interfaces").paginate(Filters=filters):
        nis += page["NetworkInterfaces"]
    return parse_security_groups({"SecurityGroups": sgs}, {"NetworkInterfaces": nis}, where="EC2 API")


def _iso(t: Any) -> str | None:
    return None if t is None or pd.isna(t) else pd.Timestamp(int(t), unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def audit_graph(granted: Mapping, graph: ServiceGraph, *, unused_days: float = 0.0) -> dict:
    """Compare grants with the accepted edges of ``graph``; see the module docstring."""
    grants, members = granted["grants"], granted["members"]
    e = graph.edges
    cli, srv = e["client"].astype(str).to_numpy(), e["server"].astype(str).to_numpy()
    port = e["server_port"].astype("int64").to_numpy()
    proto = e["protocol"].astype("int64").to_numpy()
    last = e["last_seen"].astype("int64").to_numpy()
    end = int(last.max()) if len(last) else 0
    by_group = members.groupby("group_id")["service"].agg(lambda s: set(map(str, s))).to_dict()
    svc_ips: dict[str, list] = {}
    for s, ip in zip(members["service"], members["ip"]):
        svc_ips.setdefault(str(s), []).append(ipaddress.ip_address(ip))
    member_services = set(map(str, members["service"]))
    # client address sets, once per distinct client
    clients = pd.unique(cli)
    matched = np.zeros(len(e), bool)
    unused, over = [], []
    for g in grants.itertuples(index=False):
        dst = by_group.get(g.group_id, set())
        if not dst:
            continue  # no interface in the group: nothing to audit
        m = np.isin(srv, list(dst))
        if g.protocol != -1:
            m &= proto == g.protocol
            if g.from_port is not None and not pd.isna(g.from_port):
                m &= (port >= int(g.from_port)) & (port <= int(g.to_port))
        if g.source_group is not None and not pd.isna(g.source_group):
            m &= np.isin(cli, list(by_group.get(g.source_group, set())))
        else:
            net = ipaddress.ip_network(g.cidr, strict=False)
            if net.prefixlen == 0:
                ok = set(clients)
            else:
                ok = {c for c in clients if any(ip in net for ip in svc_ips.get(c, []))
                      or (c.startswith("unknown:") and ipaddress.ip_network(c.split(":", 1)[1]).overlaps(net))}
            m &= np.isin(cli, list(ok))
        matched |= m
        rec = {"group": g.group, "group_id": g.group_id, "source": g.source_group if g.cidr is None else g.cidr,
               "protocol": int(g.protocol), "from_port": None if pd.isna(g.from_port) else int(g.from_port),
               "to_port": None if pd.isna(g.to_port) else int(g.to_port), "description": g.description}
        if g.source_group is not None and not pd.isna(g.source_group):
            rec["source"] = granted["groups"].get(g.source_group, g.source_group)
        hit_last = int(last[m].max()) if m.any() else None
        if hit_last is None or (unused_days > 0 and hit_last < end - unused_days * 86_400):
            unused.append({**rec, "last_seen": _iso(hit_last), "members": len(dst)})
            continue
        wide_cidr = g.cidr is not None and not pd.isna(g.cidr) and ipaddress.ip_network(g.cidr, strict=False).prefixlen <= 16
        internet = bool(np.isin(cli[m], ["internet"]).any()) or any(str(c).startswith("internet") for c in cli[m])
        reasons = []
        if wide_cidr and not (ipaddress.ip_network(g.cidr, strict=False).prefixlen == 0 and internet):
            reasons.append("0.0.0.0/0" if ipaddress.ip_network(g.cidr, strict=False).prefixlen == 0 else "whole VPC or wider")
        if g.protocol == -1:
            reasons.append("all protocols and ports")
        elif g.from_port is not None and not pd.isna(g.from_port) and int(g.to_port) > int(g.from_port):
            if len(np.unique(port[m])) < int(g.to_port) - int(g.from_port) + 1:
                reasons.append("port range")
        if reasons:
            obs = e.loc[m, ["client", "server", "server_port", "protocol"]].drop_duplicates()
            over.append({**rec, "reasons": reasons, "observed": [
                {"client": str(r.client), "server": str(r.server), "port": int(r.server_port), "protocol": int(r.protocol)}
                for r in obs.itertuples(index=False)]})
    covered = np.isin(srv, list(member_services))
    missing = e.loc[covered & ~matched, ["client", "server", "server_port", "protocol", "connections",
                                         "first_seen", "last_seen"]]
    rej = graph.rejected
    rej_pairs: dict = {}
    if rej is not None and len(rej) and {"source", "destination"} <= set(rej.columns):
        col = "connections" if "connections" in rej.columns else "records"
        rej_pairs = rej.groupby(["source", "destination"])[col].sum().to_dict()
    used_not_granted = [{"client": str(r.client), "server": str(r.server), "port": int(r.server_port),
                         "protocol": int(r.protocol), "connections": int(r.connections),
                         "last_seen": _iso(r.last_seen),
                         "rejected": int(rej_pairs.get((r.client, r.server), 0))}
                        for r in missing.itertuples(index=False)]
    return {"parameters": {"unused_days": unused_days, "end": _iso(end)},
            "grants": len(grants), "groups": len(granted["groups"]),
            "edges_checked": int(covered.sum()), "edges_not_covered": int((~covered).sum()),
            "unused": unused, "used_not_granted": used_not_granted, "over_broad": over}


def audit(granted: Mapping, source: Any, inventory: Any = None, *, unused_days: float = 0.0,
          since=None, until=None) -> dict:
    """:func:`audit_graph` on the graph of ``source`` (read with :func:`flowgraph.graph.build_graph`)."""
    return audit_graph(granted, build_graph(source, inventory, since=since, until=until), unused_days=unused_days)


def audit_markdown(r: Mapping) -> str:
    """The audit as Markdown."""
    lines = ["# Security-group audit", "",
             f"{r['grants']} grants in {r['groups']} groups; {r['edges_checked']} observed edges checked.", "",
             f"## Granted but unused ({len(r['unused'])})", ""]
    lines += [f"- {u['group']} <- {u['source']} {u['protocol']}/{u['from_port']}-{u['to_port']} "
              f"(last seen {u['last_seen'] or 'never'})" for u in r["unused"]]
    lines += ["", f"## Used but not granted ({len(r['used_not_granted'])})", ""]
    lines += [f"- {m['client']} -> {m['server']} {m['port']}/{m['protocol']}: {m['connections']} connections, "
              f"{m['rejected']} rejected" for m in r["used_not_granted"]]
    lines += ["", f"## Over-broad ({len(r['over_broad'])})", ""]
    for o in r["over_broad"]:
        sub = ", ".join(f"{x['client']} {x['port']}/{x['protocol']}" for x in o["observed"])
        lines.append(f"- {o['group']} <- {o['source']} ({', '.join(o['reasons'])}): observed only {sub}")
    return "\n".join(lines) + "\n"
