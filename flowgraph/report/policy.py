"""The draft "almost least privilege" segmentation policy (policy.json / policy.yaml).

Default deny; free traffic inside each zone; a shared-services zone every
zone may reach; and one named exception per observed cross-zone
service-level flow (client service, server service, server port, protocol)
with its evidence.  Zones are the detected communities, or the declared
domains of the inventory with ``zones="domains"``.

It is a *draft* for the teams who enforce it: every exception is backed by
observed traffic, nothing else is allowed, and flows to the internet, AWS
services and unmapped addresses are listed apart (``external_flows``)
because zone rules do not cover them.

Examples
--------
>>> import pandas as pd
>>> from flowgraph.graph import ServiceGraph
>>> e = pd.DataFrame({"client": ["a", "a"], "server": ["b", "c"], "server_port": [80, 5432],
...     "protocol": [6, 6], "connections": [3, 4], "packets": [1, 1], "bytes": [10, 20],
...     "first_seen": [0, 0], "last_seen": [60, 60], "hours_seen": [1, 1], "days_seen": [1, 1]})
>>> r = {"verdict": "feasible", "generated_at": "2024-05-01T00:00:00Z", "shared_services": [],
...      "communities": [{"id": 0, "services": ["a", "b"], "dominant_domain": "shop"},
...                      {"id": 1, "services": ["c"], "dominant_domain": None}],
...      "services": [{"service": "a", "community": 0}, {"service": "b", "community": 0},
...                   {"service": "c", "community": 1}]}
>>> p = build_policy(r, ServiceGraph(e))
>>> [z["name"] for z in p["zones"]], p["default"]
(['shop', 'zone-1'], 'deny')
>>> x = p["exceptions"][0]
>>> x["name"], x["from_zone"], x["to_zone"], x["port"], x["protocol"], x["evidence"]["connections"]
('a-to-c-5432-tcp', 'shop', 'zone-1', 5432, 'tcp', 4)
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .._version import __version__
from ..exceptions import ConfigError
from ..graph import ServiceGraph
from ._util import as_assessment_dict, iso_utc, json_safe, protocol_name, sanitize_name
from .flows import ZoneMode, classify_flows, shared_service_names

__all__ = ["POLICY_VERSION", "build_policy", "policy_json", "policy_yaml", "write_policy"]

POLICY_VERSION = "1"
_RESERVED_ZONES = {"shared", "shared-zone", "internet", "aws-service", "unknown", "unassigned", "all"}


def _unique(base: str, used: set[str]) -> str:
    name, i = base, 2
    while name in used:
        name = f"{base}-{i}"
        i += 1
    used.add(name)
    return name


def _community_zone_names(communities: list[Mapping]) -> dict[int, str]:
    """``zone-<id>``, or the sanitised dominant domain when it names one community only."""
    hints: dict[int, str | None] = {}
    for c in communities:
        dom = c.get("dominant_domain")
        hints[int(c["id"])] = sanitize_name(dom, fallback="") if dom else None
    counts = pd.Series([h for h in hints.values() if h]).value_counts().to_dict()
    names: dict[int, str] = {}
    used: set[str] = set()
    for cid in sorted(hints):
        h = hints[cid]
        if h and counts.get(h, 0) == 1 and h.lower() not in _RESERVED_ZONES:
            base = h
        elif h:
            base = f"{h}-zone-{cid}"
        else:
            base = f"zone-{cid}"
        names[cid] = _unique(base, used)
    return names


def _domain_zone_names(domains: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    used: set[str] = set()
    for d in sorted(domains):
        base = sanitize_name(d, fallback="domain")
        if base.lower() in _RESERVED_ZONES:
            base = f"domain-{base}"
        names[d] = _unique(base, used)
    return names


def _evidence(rec: Mapping) -> dict:
    return {
        "connections": json_safe(rec.get("connections")),
        "bytes": json_safe(rec.get("bytes")),
        "first_seen": iso_utc(rec.get("first_seen")),
        "last_seen": iso_utc(rec.get("last_seen")),
        "days_seen": json_safe(rec.get("days_seen")),
    }


def _port(value: Any) -> int | None:
    return None if value is None else int(value)


def build_policy(
    report: Any, graph: ServiceGraph, *, zones: ZoneMode = "communities", flows: pd.DataFrame | None = None,
) -> dict:
    """Build the draft policy from a report (or assessment) dict and the graph.

    Parameters
    ----------
    report : mapping or object with ``to_dict()``
        ``build_report`` output or ``Assessment.to_dict()``: provides the
        communities, the service -> community map and the shared zone.
    graph : ServiceGraph
        Its edge table is the evidence for every exception.
    zones : {"communities", "domains"}
        One zone per detected community (named after its dominant declared
        domain when unique, else ``zone-<id>``), or one zone per declared
        domain (exceptions are then the cross-domain flows).
    flows : pandas.DataFrame, optional
        Precomputed ``classify_flows(graph, report, zones=zones)``.

    Returns
    -------
    dict
        ``policy_version, generated_from, default ("deny"), zones,
        shared_zone, exceptions, external_flows, unassigned_services, notes``.

    Raises
    ------
    ConfigError
        ``zones="domains"`` but no service has a declared domain.
    """
    r = as_assessment_dict(report)
    if zones not in ("communities", "domains"):
        raise ConfigError(f"policy zones must be 'communities' or 'domains', not {zones!r}")
    if flows is None:
        flows = classify_flows(graph, r, zones=zones)
    shared = shared_service_names(r)

    # workloads: classified as "service" on either end of a flow, or listed by the assessment
    workloads: dict[str, Any] = {}
    for side in ("source", "destination"):
        sel = flows[flows[f"{side}_class"] == "service"]
        workloads.update(zip(sel[f"{side}_service"], sel[f"{side}_zone"], strict=True))
    for s in r.get("services") or []:
        name = str(s.get("service"))
        if name in shared or name in workloads or (s.get("kind") not in (None, "service")):
            continue
        workloads[name] = s.get("community") if zones == "communities" else s.get("domain")
    if zones == "communities":
        for c in r.get("communities") or []:
            for name in c.get("services") or []:
                if name not in shared:
                    workloads[str(name)] = int(c["id"])

    zone_list: list[dict] = []
    names: dict[int, str] | dict[str, str]  # zone name by community id, or by domain
    if zones == "communities":
        names = _community_zone_names(list(r.get("communities") or []))
        for c in sorted(r.get("communities") or [], key=lambda c: int(c["id"])):
            members = sorted(n for n, z in workloads.items() if z == int(c["id"]))
            zone_list.append({"name": names[int(c["id"])], "community": int(c["id"]),
                              "dominant_domain": c.get("dominant_domain"),
                              "services": members, "intra_zone": "allow"})
    else:
        domains = sorted({str(z) for z in workloads.values() if z is not None})
        if not domains:
            raise ConfigError("policy zones 'domains' needs declared domains: give an inventory "
                              "with a domain column, or use zones 'communities'")
        names = _domain_zone_names(domains)
        for d in domains:
            members = sorted(n for n, z in workloads.items() if z == d)
            zone_list.append({"name": names[d], "domain": d, "services": members, "intra_zone": "allow"})
    unassigned = sorted(n for n, z in workloads.items() if z is None)

    def zone_name(key: Any) -> str:
        return "unassigned" if key is None else names.get(key, "unassigned")

    # exceptions: one per cross-zone (client, server, port, protocol)
    exceptions = []
    used: set[str] = set()
    for rec in flows[flows["category"] == "exception"].to_dict("records"):
        proto = protocol_name(rec["protocol"])
        port = _port(rec["server_port"])
        base = sanitize_name(
            f"{rec['source_service']}-to-{rec['destination_service']}-"
            f"{'any' if port is None else port}-{proto if proto is not None else 'any'}",
            max_len=120, fallback="exception")
        exceptions.append({
            "name": _unique(base, used),
            "from_zone": zone_name(rec["source_zone"]), "to_zone": zone_name(rec["destination_zone"]),
            "from_service": rec["source_service"], "to_service": rec["destination_service"],
            "port": port, "protocol": proto, "evidence": _evidence(rec),
        })

    # shared zone: observed flows per shared service, direction, port, protocol
    observed: dict[tuple, dict] = {}
    peers: dict[tuple, set] = defaultdict(set)
    for rec in flows[flows["category"] == "shared_zone"].to_dict("records"):
        inbound = rec["destination_class"] == "shared"
        svc = rec["destination_service"] if inbound else rec["source_service"]
        peer = rec["source_service"] if inbound else rec["destination_service"]
        key = (svc, "to_shared" if inbound else "from_shared", _port(rec["server_port"]),
               protocol_name(rec["protocol"]))
        peers[key].add(peer)
        ev = observed.setdefault(key, {"connections": 0, "bytes": 0, "first_seen": None, "last_seen": None})
        ev["connections"] += int(rec["connections"] or 0)
        ev["bytes"] += int(rec["bytes"] or 0)
        for k, pick in (("first_seen", min), ("last_seen", max)):
            if rec[k] is not None:
                ev[k] = rec[k] if ev[k] is None else pick(ev[k], rec[k])
    shared_flows = []
    for key in sorted(observed, key=lambda k: (k[0], k[1], -1 if k[2] is None else k[2], str(k[3]))):
        ev = observed[key]
        shared_flows.append({
            "service": key[0], "direction": key[1], "port": key[2], "protocol": key[3],
            "peers": len(peers[key]),
            "evidence": {"connections": ev["connections"], "bytes": ev["bytes"],
                         "first_seen": iso_utc(ev["first_seen"]), "last_seen": iso_utc(ev["last_seen"])},
        })

    # external: internet / AWS services / unmapped addresses
    external = []
    used_ext: set[str] = set()
    for rec in flows[flows["category"] == "external"].to_dict("records"):
        egress = rec["destination_class"] in ("internet", "aws-service", "unknown")
        inside, outside = ("source", "destination") if egress else ("destination", "source")
        if rec[f"{inside}_class"] == "shared":
            zone = "shared"
        elif rec[f"{inside}_class"] in ("internet", "aws-service", "unknown"):
            zone = rec[f"{inside}_class"]
        else:
            zone = zone_name(rec[f"{inside}_zone"])
        proto = protocol_name(rec["protocol"])
        port = _port(rec["server_port"])
        base = sanitize_name(
            f"{rec['source_service']}-to-{rec['destination_service']}-"
            f"{'any' if port is None else port}-{proto if proto is not None else 'any'}",
            max_len=120, fallback="external")
        external.append({
            "name": _unique(base, used_ext), "direction": "egress" if egress else "ingress",
            "zone": zone, "service": rec[f"{inside}_service"],
            "external": rec[f"{outside}_service"], "class": rec[f"{outside}_class"],
            "port": port, "protocol": proto, "evidence": _evidence(rec),
        })

    notes = [
        "Draft generated from observed ACCEPT traffic: review every exception before enforcing.",
        "default deny: any flow not allowed by a zone, the shared zone or an exception is blocked.",
        "shared_zone.reachable_from 'all': every zone may connect to the shared services on the "
        "ports listed in observed_flows (direction to_shared); flows started by a shared service "
        "(direction from_shared) need their own allowance.",
        "external_flows (internet, AWS services, unmapped addresses) are not zone rules; decide "
        "them with the egress/ingress controls.",
    ]
    if unassigned:
        notes.append("unassigned_services have no zone; each of their flows is listed as an "
                     "exception from or to zone 'unassigned'.")
    return json_safe({
        "policy_version": POLICY_VERSION,
        "generated_from": {
            "tool": "flowgraph", "version": __version__,
            "report_generated_at": r.get("generated_at"), "verdict": r.get("verdict"),
            "zones_from": zones, "inputs": r.get("inputs") or {},
        },
        "default": "deny",
        "zones": zone_list,
        "shared_zone": {"services": sorted(shared), "reachable_from": "all", "observed_flows": shared_flows},
        "exceptions": exceptions,
        "external_flows": external,
        "unassigned_services": unassigned,
        "notes": notes,
    })


def policy_json(policy: Mapping) -> str:
    """The policy as indented, strict JSON text."""
    return json.dumps(policy, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def policy_yaml(policy: Mapping) -> str:
    """The policy as YAML (safe dumper only; loads back with ``yaml.safe_load``).

    Examples
    --------
    >>> p = {"default": "deny", "evidence": {"first_seen": "2024-05-01T00:00:00Z"}}
    >>> yaml.safe_load(policy_yaml(p)) == p
    True
    """
    # yaml.safe_dump semantics (SafeDumper); the libyaml C emitter when available is ~10x faster
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(dict(policy), Dumper=dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)


def write_policy(policy: Mapping, out_dir: str | Path) -> dict[str, Path]:
    """Write ``policy.json`` and ``policy.yaml`` into ``out_dir``."""
    out_dir = Path(out_dir)
    pj, py = out_dir / "policy.json", out_dir / "policy.yaml"
    pj.write_text(policy_json(policy), encoding="utf-8")
    py.write_text(policy_yaml(policy), encoding="utf-8")
    return {"policy.json": pj, "policy.yaml": py}
