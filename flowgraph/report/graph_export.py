"""GraphML and node-link JSON of the analysed graph, annotated with the assessment.

Each node carries ``kind``, ``community`` (-1 when none), ``zone`` (the policy
zone name: community zone, ``shared-services`` or ``external``), ``shared``
(bool) and ``domain``; each edge carries ``category`` (``intra_zone``,
``exception``, ``shared_zone``, ``external``).  Every string is cleaned of
characters XML 1.0 cannot hold (control characters become U+FFFD), so the
file parses whatever the service names contain.

Examples
--------
>>> clean_text("a\\x01b")
'a\\ufffdb'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["clean_text", "annotated_graph", "write_graphml", "write_graph_json"]

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean_text(value: Any) -> str:
    """``str(value)`` with characters invalid in XML 1.0 replaced by U+FFFD."""
    return _BAD_XML.sub("\ufffd", str(value))


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, (bool, int, float)):
        return v
    return clean_text(v)


def annotated_graph(graph: Any, report: Mapping, flows: pd.DataFrame | None = None) -> nx.MultiDiGraph:
    """MultiDiGraph of ``graph`` (one edge per edge-table row) with community/zone attributes."""
    from .headline import zone_names

    names = zone_names(report)
    svc = {str(s["service"]): s for s in report.get("services") or []}
    shared = {str(s.get("service") if isinstance(s, Mapping) else s) for s in report.get("shared_services") or []}
    g = nx.MultiDiGraph()
    for name, row in graph.nodes.iterrows():
        attrs = {str(k): _clean(v) for k, v in row.to_dict().items()}
        s = svc.get(str(name), {})
        cid = s.get("community")
        kind = attrs.get("kind") or s.get("kind") or "service"
        attrs["kind"] = kind
        attrs["community"] = int(cid) if cid is not None else -1
        attrs["shared"] = str(name) in shared
        attrs["zone"] = ("shared-services" if attrs["shared"] else
                         names.get(int(cid)) if cid is not None and int(cid) in names else
                         "external" if kind in ("internet", "unknown", "aws-service") else "unassigned")
        if s.get("domain") is not None:
            attrs["domain"] = clean_text(s["domain"])
        g.add_node(clean_text(name), **{k: v for k, v in attrs.items() if v is not None})
    cat = None
    if flows is not None and "category" in flows.columns and len(flows) == len(graph.edges):
        cat = flows["category"].astype(str).tolist()
    for i, rec in enumerate(graph.edges.to_dict("records")):
        attrs = {str(k): _clean(v) for k, v in rec.items() if k not in ("client", "server")}
        if cat is not None:
            attrs["category"] = cat[i]
        g.add_edge(clean_text(rec["client"]), clean_text(rec["server"]),
                   **{k: v for k, v in attrs.items() if v is not None})
    return g


def write_graphml(g: nx.MultiDiGraph, path: str | Path) -> None:
    """Write ``g`` as GraphML (valid XML: strings already cleaned)."""
    nx.write_graphml(g, str(path))


def write_graph_json(g: nx.MultiDiGraph, path: str | Path) -> None:
    """Write ``g`` as networkx node-link JSON (``edges`` key)."""
    data = nx.node_link_data(g, edges="edges")
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
