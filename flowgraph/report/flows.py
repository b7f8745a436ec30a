"""Classify every edge-table row for the policy: inside a zone, exception, shared, external.

A *flow* here is one row of :attr:`ServiceGraph.edges` — one (client,
server, server port, protocol) tuple, i.e. one candidate firewall rule at
service level.  Each endpoint gets a class:

``service``
    a workload with a zone (its community, or its declared domain);
``shared``
    a member of the shared-services zone (``assessment["shared_services"]``
    or ``shared_zone.services``), reachable from all zones;
``internet`` / ``aws-service`` / ``unknown``
    nodes that are not workloads (from ``graph.nodes.kind``, the
    assessment's ``external_nodes`` lists or the node-name prefix).

and each flow one category, checked in this order:

``external``
    an endpoint is internet / AWS service / unknown.  These never become
    zone exceptions; they go to ``external_flows.csv`` and the policy's
    ``external_flows`` list (egress/ingress controls are a separate decision).
``shared_zone``
    an endpoint is a shared service.  Listed in ``shared_zone_flows.csv``
    and the policy's ``shared_zone.observed_flows``.
``intra_zone``
    both endpoints are in the same zone, or a service calls itself.
``exception``
    different zones, or an endpoint without a zone (``unassigned``: a
    workload the assessment gave no community / the inventory no domain).

Examples
--------
>>> import pandas as pd
>>> from flowgraph.graph import ServiceGraph
>>> e = pd.DataFrame({"client": ["a", "a", "b", "a"], "server": ["b", "c", "dns", "internet"],
...     "server_port": [80, 80, 53, 443], "protocol": [6, 6, 17, 6], "connections": [1, 2, 3, 4],
...     "packets": [1, 1, 1, 1], "bytes": [1, 1, 1, 1], "first_seen": [0, 0, 0, 0],
...     "last_seen": [9, 9, 9, 9], "hours_seen": [1, 1, 1, 1], "days_seen": [1, 1, 1, 1]})
>>> a = {"shared_services": ["dns"], "services": [
...     {"service": "a", "community": 0}, {"service": "b", "community": 0},
...     {"service": "c", "community": 1}]}
>>> classify_flows(ServiceGraph(e), a)["category"].tolist()
['intra_zone', 'exception', 'external', 'shared_zone']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd

from ..graph import ServiceGraph
from ..graph.service_graph import node_kind
from ._util import as_assessment_dict, iso_utc, json_safe, protocol_name

__all__ = [
    "CATEGORIES",
    "EXTERNAL_CLASSES",
    "ZoneMode",
    "classify_flows",
    "shared_service_names",
    "summarize_flows",
]

ZoneMode = Literal["communities", "domains"]
CATEGORIES = ("intra_zone", "exception", "shared_zone", "external")
EXTERNAL_CLASSES = ("internet", "aws-service", "unknown")

_EDGE_NUMERIC = ("connections", "packets", "bytes", "first_seen", "last_seen", "hours_seen", "days_seen")


def shared_service_names(assessment: Mapping) -> set[str]:
    """Every shared-zone member named anywhere in the assessment dict.

    Examples
    --------
    >>> sorted(shared_service_names({"shared_services": ["dns"],
    ...     "shared_zone": {"services": [{"service": "ntp"}]},
    ...     "services": [{"service": "log", "shared": True}]}))
    ['dns', 'log', 'ntp']
    """
    names = {str(s) for s in assessment.get("shared_services") or []}
    zone = assessment.get("shared_zone") or {}
    for item in zone.get("services") or []:
        if isinstance(item, Mapping) and item.get("service") is not None:
            names.add(str(item["service"]))
        elif isinstance(item, str):
            names.add(item)
    for row in assessment.get("services") or []:
        if row.get("shared"):
            names.add(str(row["service"]))
    return names


def _endpoint_tables(graph: ServiceGraph, a: Mapping) -> tuple[dict, dict, dict, dict]:
    """(class, community, domain, kind) per node name."""
    rows = {str(r["service"]): r for r in a.get("services") or [] if r.get("service") is not None}
    shared = shared_service_names(a)
    ext = a.get("external_nodes") or {}
    external = {str(n): "internet" for n in ext.get("internet") or []}
    external.update({str(n): "unknown" for n in ext.get("unknown") or []})

    member_of = {str(n): int(c["id"]) for c in a.get("communities") or [] for n in c.get("services") or []}
    names = set(graph.services) | set(rows) | set(member_of)
    kind_col = graph.nodes["kind"] if "kind" in graph.nodes.columns else pd.Series(dtype="string")
    node_domain = graph.nodes["domain"] if "domain" in graph.nodes.columns else pd.Series(dtype="string")
    cls: dict[str, str] = {}
    community: dict[str, int | None] = {}
    domain: dict[str, str | None] = {}
    kind: dict[str, str] = {}
    for name in names:
        row = rows.get(name, {})
        k = kind_col.get(name, pd.NA) if name in kind_col.index else pd.NA
        if k is pd.NA or k is None:
            k = row.get("kind") or external.get(name) or node_kind(name)
        k = str(k)
        if k == "service" and name in external:
            k = external[name]
        kind[name] = k
        if name in shared:
            cls[name] = "shared"
        elif k in EXTERNAL_CLASSES:
            cls[name] = k
        else:
            cls[name] = "service"
        c = row.get("community", member_of.get(name))
        community[name] = None if c is None else int(c)
        d = node_domain.get(name, pd.NA) if name in node_domain.index else pd.NA
        if d is pd.NA or d is None or (isinstance(d, float) and d != d):
            d = row.get("domain")
        domain[name] = None if d is None or d is pd.NA else str(d)
    return cls, community, domain, kind


def classify_flows(graph: ServiceGraph, assessment: Any, *, zones: ZoneMode = "communities") -> pd.DataFrame:
    """One row per edge-table row with endpoint classes, zones and a category.

    Parameters
    ----------
    graph : ServiceGraph
        The analysed graph (its ``edges`` are the flows).
    assessment : mapping or object with ``to_dict()``
        Provides the service -> community map and the shared zone.
    zones : {"communities", "domains"}
        What a zone is: a detected community or a declared domain.

    Returns
    -------
    pandas.DataFrame
        Columns ``source_service, source_class, source_community,
        source_domain, source_zone, destination_*`` (same five),
        ``server_port, protocol, protocol_name, connections, packets, bytes,
        first_seen, last_seen, hours_seen, days_seen`` (times in epoch
        seconds) and ``category`` (one of :data:`CATEGORIES`).  ``*_zone``
        is the community id or the domain name, ``None`` when unassigned.
    """
    if zones not in ("communities", "domains"):
        raise ValueError(f"zones must be 'communities' or 'domains', not {zones!r}")
    a = as_assessment_dict(assessment)
    cls, community, domain, _kind = _endpoint_tables(graph, a)
    e = graph.edges
    out = pd.DataFrame({
        "source_service": e["client"].astype(object).map(str),
        "destination_service": e["server"].astype(object).map(str),
    })
    for side in ("source", "destination"):
        names = out[f"{side}_service"]
        zone_of = community if zones == "communities" else domain
        out[f"{side}_class"] = [cls.get(n, "service") for n in names]
        for col, table in (("community", community), ("domain", domain), ("zone", zone_of)):
            out[f"{side}_{col}"] = pd.Series([table.get(n) for n in names], index=out.index, dtype=object)
    out["server_port"] = e["server_port"].astype(object).where(e["server_port"].notna(), None)
    out["protocol"] = e["protocol"].astype(object).where(e["protocol"].notna(), None)
    out["protocol_name"] = [protocol_name(p) for p in out["protocol"]]
    for col in _EDGE_NUMERIC:
        out[col] = e[col].astype(object).where(e[col].notna(), None)
    out = out[[
        "source_service", "source_class", "source_community", "source_domain", "source_zone",
        "destination_service", "destination_class", "destination_community", "destination_domain",
        "destination_zone", "server_port", "protocol", "protocol_name", *_EDGE_NUMERIC,
    ]]
    out["category"] = [
        _category(sc, dc, sz, dz, s == d)
        for sc, dc, sz, dz, s, d in zip(
            out["source_class"], out["destination_class"], out["source_zone"],
            out["destination_zone"], out["source_service"], out["destination_service"], strict=True)
    ]
    key = pd.DataFrame({
        "s": out["source_service"], "d": out["destination_service"],
        "p": pd.to_numeric(out["server_port"], errors="coerce").fillna(-1),
        "q": pd.to_numeric(out["protocol"], errors="coerce").fillna(-1),
    })
    order = key.sort_values(["s", "d", "p", "q"], kind="stable").index
    return out.loc[order].reset_index(drop=True)


def _category(src_cls: str, dst_cls: str, src_zone: Any, dst_zone: Any, self_loop: bool) -> str:
    if src_cls in EXTERNAL_CLASSES or dst_cls in EXTERNAL_CLASSES:
        return "external"
    if src_cls == "shared" or dst_cls == "shared":
        return "shared_zone"
    if self_loop or (src_zone is not None and src_zone == dst_zone):
        return "intra_zone"
    return "exception"


def _sum(values: pd.Series) -> int:
    return int(pd.to_numeric(values, errors="coerce").fillna(0).sum())


def _agg(df: pd.DataFrame, keys: list[str]) -> list[dict]:
    """Group by ``keys``: distinct service pairs, rules, connections, bytes (vectorised)."""
    if df.empty:
        return []
    work = pd.DataFrame({k: df[k].to_numpy(dtype=object) for k in keys})
    work["_pair"] = (df["source_service"].astype(str) + "\x00" + df["destination_service"].astype(str)).to_numpy()
    work["_c"] = pd.to_numeric(df["connections"], errors="coerce").fillna(0).to_numpy()
    work["_b"] = pd.to_numeric(df["bytes"], errors="coerce").fillna(0).to_numpy()
    g = work.groupby(keys, dropna=False, sort=True)
    out = pd.DataFrame({"pairs": g["_pair"].nunique(), "rules": g.size(), "connections": g["_c"].sum(),
                        "bytes": g["_b"].sum()}).reset_index()
    rows = []
    for rec in out.to_dict("records"):
        row = {k: json_safe(rec[k]) for k in keys}
        row.update(pairs=int(rec["pairs"]), rules=int(rec["rules"]), connections=int(rec["connections"]),
                   bytes=int(rec["bytes"]))
        rows.append(row)
    return rows


def summarize_flows(flows: pd.DataFrame, *, top: int = 50) -> dict:
    """Aggregate classified flows into the ``flows`` section of report.json.

    Parameters
    ----------
    flows : pandas.DataFrame
        Output of :func:`classify_flows` (community zones).
    top : int
        How many service-level exceptions (by connections) to keep in
        ``top_exceptions``; the full list is ``exceptions.csv``.

    Returns
    -------
    dict
        ``counts`` and ``connections`` per category, ``between_communities``
        (directed community pairs with distinct service ``pairs``, ``rules``,
        ``connections``, ``bytes``), ``shared_zone`` (per community, flows to or
        from the shared zone), ``external`` (per external node and direction)
        and ``top_exceptions``.
    """
    counts = {c: int((flows["category"] == c).sum()) for c in CATEGORIES}
    conns = {c: _sum(flows.loc[flows["category"] == c, "connections"]) for c in CATEGORIES}
    exc = flows[flows["category"] == "exception"].copy()
    exc["source_community"] = exc["source_community"].map(lambda v: -1 if v is None else v)
    exc["destination_community"] = exc["destination_community"].map(lambda v: -1 if v is None else v)
    between = _agg(exc, ["source_community", "destination_community"])
    for row in between:  # -1 marks "unassigned"
        for k in ("source_community", "destination_community"):
            row[k] = None if row[k] == -1 else row[k]

    sh = flows[flows["category"] == "shared_zone"].copy()
    sh["community"] = [
        (dc if sc == "shared" else scom)
        for sc, scom, dc in zip(sh["source_class"], sh["source_community"], sh["destination_community"], strict=True)
    ]
    sh["direction"] = ["from_shared" if sc == "shared" else "to_shared" for sc in sh["source_class"]]
    sh["community"] = sh["community"].map(lambda v: -1 if v is None else v)
    shared_rows = _agg(sh, ["community", "direction"])
    for row in shared_rows:
        row["community"] = None if row["community"] == -1 else row["community"]

    ex = flows[flows["category"] == "external"].copy()
    outbound = ex["destination_class"].isin(EXTERNAL_CLASSES)
    ex["node"] = ex["destination_service"].where(outbound, ex["source_service"])
    ex["class"] = ex["destination_class"].where(outbound, ex["source_class"])
    ex["direction"] = ["outbound" if o else "inbound" for o in outbound]
    external = _agg(ex, ["node", "class", "direction"])

    cols = ["source_service", "source_community", "destination_service", "destination_community",
            "server_port", "protocol", "connections", "bytes", "first_seen", "last_seen", "days_seen"]
    top_rows = flows[flows["category"] == "exception"][cols].copy()
    if not top_rows.empty:
        top_rows["_c"] = pd.to_numeric(top_rows["connections"], errors="coerce").fillna(0)
        top_rows = top_rows.sort_values("_c", ascending=False, kind="stable").head(top).drop(columns="_c")
    top_list = []
    for rec in top_rows.to_dict("records"):
        rec = json_safe(rec)
        rec["first_seen"] = iso_utc(rec["first_seen"])
        rec["last_seen"] = iso_utc(rec["last_seen"])
        top_list.append(rec)
    return {
        "unit": "service-level rule: one (client, server, server port, protocol) row of the edge table",
        "counts": counts,
        "connections": conns,
        "between_communities": between,
        "shared_zone": shared_rows,
        "external": external,
        "top_exceptions": top_list,
    }
