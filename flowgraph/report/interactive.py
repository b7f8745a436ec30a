"""The interactive parts of report.html: a zone map laid out from the graph, and the explorer data.

Everything is computed in Python when the report is built:

* :func:`zone_map` lays the *zone graph* out with a seeded force-directed
  layout (``networkx.spring_layout``): one node per zone (community), one for
  the shared-services zone, one per external class (internet, AWS services,
  unmapped addresses) and one for unassigned workloads; a link between two
  nodes carries the number of distinct service pairs that talk across them.
  The template draws it as inline SVG, so the map reads without JavaScript.
* :func:`explorer_data` gathers what the page's script shows on demand: the
  services of every zone, every exception (an unordered pair of services in
  different zones — the ``exceptions`` figure) with its exception flows (rows
  of ``exceptions.csv``) and the service index for the search box.
* :func:`script_json` serialises it for ``<script type="application/json">``
  with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, so no string can close
  the element or break the parser; :func:`script_source` is the inline
  vanilla-JS viewer (``static/explorer.js``), allowed by the page's
  Content-Security-Policy through its SHA-256 hash (:func:`script_hash`) only.

What a flow row is, and its sample records
------------------------------------------
The service graph keeps one aggregated row per (client, server, server port,
protocol) — first/last seen, connections, packets, bytes, hours and days
seen — and, apart from it, a few *sample records* per row
(:attr:`flowgraph.graph.ServiceGraph.samples`): the first flow-log record of
each of its earliest connections as logged, with start time, source and
destination address and port, bytes, the capturing interface and the file and
line it was read from (picked in the aggregation, see
:mod:`flowgraph.graph.sql`).  Each exception lists its exception flows (at
most :data:`FLOWS_PER_EXCEPTION`, busiest first; all of them are in
``exceptions.csv``) and up to :data:`SAMPLES_PER_EXCEPTION` sample records
(the first sample of the busiest flows first, then their second ones; each
flow's first sample is also in ``exceptions.csv``).  File names are embedded
once (``sample_files``, after the common ``sample_file_prefix``) and
referenced by index, which keeps the page light.  Every value is estate data:
the script writes it with ``textContent`` only.

Examples
--------
>>> script_json({"name": "</script><b>x</b>", "sep": "\\u2028"})
'{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003ex\\\\u003c/b\\\\u003e","sep":"\\\\u2028"}'
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ._util import iso_utc, json_safe, protocol_name

__all__ = [
    "FLOWS_PER_EXCEPTION",
    "MAX_EXCEPTIONS",
    "SAMPLES_PER_EXCEPTION",
    "explorer_data",
    "script_hash",
    "script_json",
    "script_source",
    "zone_map",
]

MAX_EXCEPTIONS = 5000
"""Exceptions embedded in the page (busiest first); the rest are only in exceptions.csv."""
FLOWS_PER_EXCEPTION = 5
"""Exception flows kept per exception in the page (busiest first)."""
SAMPLES_PER_EXCEPTION = 3
"""Sample flow-log records kept per exception in the page (see *sample records* above)."""
LAYOUT_SEED = 7
MAP_WIDTH, MAP_HEIGHT = 960, 600
_PAD_X, _PAD_Y = 120, 60  # room for the labels under the nodes
_LABEL_PX = 8.0  # width of one label character (bold 13 px sans), px
_ROW_PX = 62.0  # height of a node with its label under it, px
_MIN_GAP = 8.0  # px kept clear between an external node's box and any node placed before it

EXTERNAL_LABELS = {"internet": "internet", "aws-service": "AWS services", "unknown": "unmapped addresses"}
_PALETTE = ("#2563eb", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#c2410c", "#4f46e5",
            "#0d9488", "#a21caf", "#b45309", "#1d4ed8")


def script_json(obj: Any) -> str:
    """JSON for an inline ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e``, ``\\u0026`` (so
    ``</script>`` or ``<!--`` in a service name cannot end the element), and
    U+2028 / U+2029 are escaped too.  ``JSON.parse`` restores the original text.

    Parameters
    ----------
    obj : Any
        JSON-serialisable data (NaN is refused).

    Returns
    -------
    str
        Compact JSON containing none of ``< > &`` U+2028 U+2029.

    Examples
    --------
    >>> s = script_json(["a<b", "&", "\\u2029"])
    >>> any(ch in s for ch in "<>&\\u2028\\u2029"), json.loads(s)
    (False, ['a<b', '&', '\\u2029'])
    """
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


@cache
def script_source() -> str:
    """The inline viewer script (``flowgraph/report/static/explorer.js``).

    Examples
    --------
    >>> "textContent" in script_source(), "innerHTML" in script_source()
    (True, False)
    """
    src = resources.files("flowgraph.report").joinpath("static/explorer.js").read_text(encoding="utf-8")
    if "</script" in src.lower() or "<!--" in src:
        raise ValueError("explorer.js must not contain '</script' or '<!--'")
    return src


def script_hash(source: str) -> str:
    """CSP source expression (``'sha256-…'``) that allows exactly this inline script.

    Examples
    --------
    >>> script_hash("")
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    """
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


# -- endpoints -> map nodes ----------------------------------------------------------------


def _node_keys(cls: pd.Series, zone: pd.Series) -> np.ndarray:
    """Map-node key of each endpoint: ``c<id>``, ``shared``, ``unassigned`` or ``x-<class>``."""
    out = np.empty(len(cls), dtype=object)
    c = cls.to_numpy(dtype=object)
    z = zone.to_numpy(dtype=object)
    for i in range(len(c)):  # a few thousand rows at most per report; clarity over speed
        if c[i] == "shared":
            out[i] = "shared"
        elif c[i] in EXTERNAL_LABELS:
            out[i] = f"x-{c[i]}"
        elif z[i] is None or (isinstance(z[i], float) and math.isnan(z[i])):
            out[i] = "unassigned"
        else:
            out[i] = f"c{int(z[i])}"
    return out


def _with_keys(flows: pd.DataFrame) -> pd.DataFrame:
    """Flows with ``ka``/``kb`` (node keys) and ``sa``/``sb`` (services), each pair ordered."""
    src = _node_keys(flows["source_class"], flows["source_zone"])
    dst = _node_keys(flows["destination_class"], flows["destination_zone"])
    s = flows["source_service"].astype(str).to_numpy(dtype=object)
    d = flows["destination_service"].astype(str).to_numpy(dtype=object)
    swap = s > d
    return flows.assign(
        ka=np.where(swap, dst, src), kb=np.where(swap, src, dst),
        sa=np.where(swap, d, s), sb=np.where(swap, s, d), _key_src=src, _key_dst=dst)


def _labels(report: Mapping) -> dict[str, str]:
    from .headline import zone_names

    names = zone_names(report)
    labels = {f"c{cid}": str(label) for cid, label in names.items()}
    labels.update({"shared": "shared services", "unassigned": "unassigned"})
    labels.update({f"x-{k}": v for k, v in EXTERNAL_LABELS.items()})
    return labels


def _empty_flows() -> pd.DataFrame:
    cols = ["source_service", "source_class", "source_zone", "destination_service", "destination_class",
            "destination_zone", "server_port", "protocol", "connections", "packets", "bytes", "first_seen",
            "last_seen", "hours_seen", "days_seen", "category"]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


def _flows_from_report(report: Mapping) -> pd.DataFrame:
    """Without the classified flows, the report's ``top_exceptions`` are all there is."""
    rows = []
    for x in (report.get("flows") or {}).get("top_exceptions") or []:
        rows.append({
            "source_service": x.get("source_service"), "source_class": "service",
            "source_zone": x.get("source_community"), "destination_service": x.get("destination_service"),
            "destination_class": "service", "destination_zone": x.get("destination_community"),
            "server_port": x.get("server_port"), "protocol": x.get("protocol"),
            "connections": x.get("connections"), "packets": None, "bytes": x.get("bytes"),
            "first_seen": x.get("first_seen"), "last_seen": x.get("last_seen"), "hours_seen": None,
            "days_seen": x.get("days_seen"), "category": "exception"})
    return pd.DataFrame(rows) if rows else _empty_flows()


def _num(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").fillna(0)


# -- the zone map --------------------------------------------------------------------------


def zone_map(report: Mapping, flows: pd.DataFrame | None = None) -> dict:
    """Nodes and links of the zone graph, laid out for an inline SVG.

    Parameters
    ----------
    report : mapping
        :func:`~flowgraph.report.build.build_report` output (communities,
        shared services, zone names).
    flows : pandas.DataFrame, optional
        :func:`~flowgraph.report.flows.classify_flows` output (community
        zones).  Without it only the report's ``top_exceptions`` are drawn.

    Returns
    -------
    dict
        ``width``, ``height``, ``nodes`` (``key, label, kind`` — ``zone``,
        ``shared``, ``external`` or ``unassigned`` — ``size, x, y, r, color``)
        and ``links`` (``a, b, kind, pairs, connections, x1, y1, x2, y2, w``);
        ``pairs`` is the number of distinct service pairs across the link
        (for two zones: their exceptions).

    Examples
    --------
    >>> r = {"communities": [{"id": 0, "services": ["a", "b"], "dominant_domain": "shop"},
    ...                      {"id": 1, "services": ["c"], "dominant_domain": "pay"}]}
    >>> f = pd.DataFrame({"source_service": ["a"], "source_class": ["service"], "source_zone": [0],
    ...     "destination_service": ["c"], "destination_class": ["service"], "destination_zone": [1],
    ...     "server_port": [443], "protocol": [6], "connections": [5], "packets": [9], "bytes": [100],
    ...     "first_seen": [0], "last_seen": [60], "hours_seen": [1], "days_seen": [1],
    ...     "category": ["exception"]})
    >>> m = zone_map(r, f)
    >>> [(n["key"], n["label"], n["size"]) for n in m["nodes"]]
    [('c0', 'shop', 2), ('c1', 'pay', 1)]
    >>> [(x["a"], x["b"], x["pairs"]) for x in m["links"]]
    [('c0', 'c1', 1)]
    """
    flows = _flows_from_report(report) if flows is None else flows
    labels = _labels(report)
    sizes: dict[str, int] = {}
    kinds: dict[str, str] = {}
    for c in report.get("communities") or []:
        key = f"c{int(c['id'])}"
        sizes[key] = int(c.get("size") or len(c.get("services") or []))
        kinds[key] = "zone"
    if report.get("shared_services"):
        sizes["shared"] = len(report["shared_services"])
        kinds["shared"] = "shared"

    links: list[dict] = []
    f = flows[flows["category"].isin(["exception", "shared_zone", "external"])] if len(flows) else flows
    if len(f):
        k = _with_keys(f)
        k = k[k["ka"] != k["kb"]]
        for side_key, side_svc in (("_key_src", "source_service"), ("_key_dst", "destination_service")):
            for key, names in k.groupby(side_key)[side_svc]:
                if key not in kinds:  # unassigned / external: size = distinct services seen
                    kinds[key] = "external" if key.startswith("x-") else "unassigned"
                if kinds[key] in ("external", "unassigned"):
                    sizes[key] = max(sizes.get(key, 0), names.nunique())
        ka, kb = k["ka"].to_numpy(dtype=object), k["kb"].to_numpy(dtype=object)
        k = k.assign(_pair=k["sa"] + "\x00" + k["sb"], _c=_num(k["connections"]),
                     _lo=np.where(ka <= kb, ka, kb), _hi=np.where(ka <= kb, kb, ka))
        g = k.groupby(["_lo", "_hi"], sort=True)
        agg = pd.DataFrame({"pairs": g["_pair"].nunique(), "connections": g["_c"].sum(),
                            "kind": g["category"].first()}).reset_index()
        for rec in agg.to_dict("records"):
            links.append({"a": rec["_lo"], "b": rec["_hi"], "kind": str(rec["kind"]), "pairs": int(rec["pairs"]),
                          "connections": int(rec["connections"])})
    order = sorted(sizes, key=_node_order)
    rmax = max([sizes[n] for n in order] or [1])
    widths = {n: max(2 * _radius(sizes[n], rmax), _LABEL_PX * len(labels.get(n, n))) for n in order}
    pos = _layout(order, links, sizes, widths)
    palette = {key: _PALETTE[i % len(_PALETTE)] for i, key in enumerate(n for n in order if kinds[n] == "zone")}
    nodes = []
    for key in order:
        x, y = pos[key]
        r = _radius(sizes[key], rmax)
        nodes.append({"key": key, "label": labels.get(key, key), "kind": kinds[key], "size": sizes[key],
                      "x": round(x, 1), "y": round(y, 1), "r": round(r, 1),
                      "color": palette.get(key, "#64748b")})
    wmax = max([link["pairs"] for link in links] or [1])
    for link in links:
        (x1, y1), (x2, y2) = pos[link["a"]], pos[link["b"]]
        link.update(x1=round(x1, 1), y1=round(y1, 1), x2=round(x2, 1), y2=round(y2, 1),
                    w=round(1.2 + 9 * math.sqrt(link["pairs"] / wmax), 2),
                    mx=round((x1 + x2) / 2, 1), my=round((y1 + y2) / 2, 1),
                    label_a=labels.get(link["a"], link["a"]), label_b=labels.get(link["b"], link["b"]))
    links.sort(key=lambda x: (x["kind"] != "exception", -x["pairs"]))
    links.reverse()  # exceptions drawn last (on top)
    return {"width": MAP_WIDTH, "height": MAP_HEIGHT, "nodes": nodes, "links": links}


def _node_order(key: str) -> tuple:
    if key.startswith("c"):
        return (0, int(key[1:]), "")
    return ({"shared": 1, "unassigned": 2}.get(key, 3), 0, key)


def _radius(size: int, largest: int) -> float:
    return 12 + 24 * math.sqrt(max(size, 1) / max(largest, 1))


def _layout(order: list[str], links: list[dict], sizes: Mapping[str, int],
            widths: Mapping[str, float] | None = None) -> dict[str, tuple[float, float]]:
    """Seeded layout, scaled into the SVG box (deterministic).

    Zones, the shared zone and unassigned workloads get a spring layout of the
    zone graph; the external nodes (internet, AWS, unmapped) then sit on a
    ring just outside it, in the direction of the zones they talk to, so they
    do not squeeze the zones into a corner, at the nearest ring position whose
    box (node and label, ``widths`` px wide) clears every node already placed.
    """
    widths = widths or {}
    if not order:
        return {}
    core = [n for n in order if not n.startswith("x-")]
    outer = [n for n in order if n.startswith("x-")]
    g = nx.Graph()
    g.add_nodes_from(core)
    for x in links:
        if x["a"] in g and x["b"] in g:
            g.add_edge(x["a"], x["b"], weight=1.0 + math.log1p(x["pairs"]))
    if len(core) > 1:
        raw = nx.spring_layout(g, pos=nx.circular_layout(core), weight="weight", seed=LAYOUT_SEED,
                               iterations=200, k=1.6 / math.sqrt(len(core)))
    else:
        raw = {n: np.array([0.0, 0.0]) for n in core}
    xy = np.array([raw[n] for n in core], dtype=float).reshape(-1, 2)
    if len(core):
        xy = xy - xy.mean(axis=0)
        xy = xy / max(float(np.abs(xy).max()), 1e-9) * (0.72 if outer else 1.0)
    pos = {n: xy[i] for i, n in enumerate(core)}
    half_w, half_h = MAP_WIDTH / 2 - _PAD_X, MAP_HEIGHT / 2 - _PAD_Y - 12
    scale = np.array([half_w, half_h])
    placed = [pos[n] * scale for n in core]  # pixel offsets from the centre
    placed_w = [float(widths.get(n, 0.0)) for n in core]
    candidates = np.linspace(-math.pi, math.pi, 72, endpoint=False)
    ring = np.stack([np.cos(candidates), np.sin(candidates)], axis=1)
    for n in outer:
        near = [pos[x["b"] if x["a"] == n else x["a"]] for x in links
                if n in (x["a"], x["b"]) and (x["b"] if x["a"] == n else x["a"]) in pos]
        v = np.mean(near, axis=0) if near else np.array([0.0, 0.0])
        want = math.atan2(float(v[1]), float(v[0])) if float(np.hypot(*v)) > 1e-6 else -math.pi / 2
        # room between this node's box and each placed one: the larger of the horizontal
        # gap between the labels and the vertical gap between the rows (px)
        if placed:
            d = np.abs((ring * scale)[:, None, :] - np.array(placed)[None, :, :])
            half = (float(widths.get(n, 0.0)) + np.array(placed_w)) / 2
            room = np.maximum(d[:, :, 0] - half[None, :], d[:, :, 1] - _ROW_PX).min(axis=1)
        else:
            room = np.full(len(ring), np.inf)
        off = np.abs((candidates - want + math.pi) % (2 * math.pi) - math.pi)
        clear = room >= _MIN_GAP
        i = int(np.argmin(np.where(clear, off, np.inf))) if clear.any() else int(np.argmax(room))
        pos[n] = ring[i]
        placed.append(ring[i] * scale)
        placed_w.append(float(widths.get(n, 0.0)))
    return {n: (MAP_WIDTH / 2 + float(np.clip(p[0], -1, 1)) * half_w,
                MAP_HEIGHT / 2 - 12 + float(np.clip(p[1], -1, 1)) * half_h) for n, p in pos.items()}


# -- the explorer data ---------------------------------------------------------------------


_PROTO_NAMES = {1: "icmp", 58: "icmpv6", 47: "gre", 50: "esp"}


def _proto_label(proto: Any) -> str:
    p = protocol_name(proto)
    return "any" if p is None else _PROTO_NAMES.get(p, str(p)) if isinstance(p, int) else str(p)


def _port_label(port: Any, proto: Any) -> str:
    p = json_safe(port)
    return f"{'any' if p is None else int(p)}/{_proto_label(proto)}"


def explorer_data(report: Mapping, flows: pd.DataFrame | None = None, *, max_exceptions: int = MAX_EXCEPTIONS,
                  flows_per_exception: int = FLOWS_PER_EXCEPTION, samples: pd.DataFrame | None = None,
                  samples_per_exception: int = SAMPLES_PER_EXCEPTION) -> dict:
    """The data the page's script shows: zones, services, every exception with its flows.

    Parameters
    ----------
    report : mapping
        :func:`~flowgraph.report.build.build_report` output.
    flows : pandas.DataFrame, optional
        :func:`~flowgraph.report.flows.classify_flows` output; without it only
        the report's ``top_exceptions`` are available (``complete`` is False).
    max_exceptions, flows_per_exception : int
        Bounds on what is embedded (busiest first); ``total`` and each
        exception's ``n`` still count everything.
    samples : pandas.DataFrame, optional
        :attr:`ServiceGraph.samples <flowgraph.graph.ServiceGraph.samples>`;
        without it the exceptions carry no sample records.
    samples_per_exception : int
        Sample records embedded per exception.

    Returns
    -------
    dict
        ``zones`` (``key, label, kind, services``), ``services`` (``[name,
        zone key, class]``), ``exceptions`` (``a, za, b, zb`` — services and
        zone keys, ordered by name — ``n`` flows, ``ports``, ``c``
        connections, ``by`` bytes, ``f``/``l`` first/last seen (ISO), and
        ``flows``: ``[client, server, port/protocol, connections, packets,
        bytes, first seen, last seen, hours seen, days seen]``) and
        ``samples``: ``[client, server, port/protocol, start (ISO), source
        address, source port, destination address, destination port, bytes,
        interface, file index, line]``), ``sample_file_prefix`` and
        ``sample_files`` (file name = prefix + ``sample_files[index]``),
        ``total``, ``complete``, ``flows_per_exception`` and ``samples_per_exception``.

    Examples
    --------
    >>> r = {"communities": [{"id": 0, "services": ["a"]}, {"id": 1, "services": ["c"]}]}
    >>> f = pd.DataFrame({"source_service": ["c"], "source_class": ["service"], "source_zone": [1],
    ...     "destination_service": ["a"], "destination_class": ["service"], "destination_zone": [0],
    ...     "server_port": [443], "protocol": [6], "connections": [5], "packets": [9], "bytes": [100],
    ...     "first_seen": [0], "last_seen": [60], "hours_seen": [1], "days_seen": [1],
    ...     "category": ["exception"]})
    >>> x = explorer_data(r, f)["exceptions"][0]
    >>> x["a"], x["za"], x["b"], x["ports"], x["flows"][0][:3]
    ('a', 'c0', 'c', ['443/tcp'], ['c', 'a', '443/tcp'])
    """
    complete = flows is not None
    flows = _flows_from_report(report) if flows is None else flows
    labels = _labels(report)
    zones: dict[str, dict] = {}
    for c in sorted(report.get("communities") or [], key=lambda c: int(c["id"])):
        key = f"c{int(c['id'])}"
        zones[key] = {"key": key, "label": labels[key], "kind": "zone",
                      "services": sorted(str(s) for s in c.get("services") or [])}
    if report.get("shared_services"):
        zones["shared"] = {"key": "shared", "label": labels["shared"], "kind": "shared",
                           "services": sorted(str(s) for s in report["shared_services"])}
    services: dict[str, list] = {}
    for z in zones.values():
        for s in z["services"]:
            services[s] = [s, z["key"], "shared" if z["kind"] == "shared" else "service"]

    exc_rows: list[dict] = []
    if len(flows):
        k = _with_keys(flows)
        for key_col, svc_col, cls_col in (("_key_src", "source_service", "source_class"),
                                          ("_key_dst", "destination_service", "destination_class")):
            for key, svc, cls in zip(k[key_col], k[svc_col].astype(str), k[cls_col], strict=True):
                if key not in zones:
                    zones[key] = {"key": key, "label": labels.get(key, key),
                                  "kind": "external" if key.startswith("x-") else "unassigned", "services": []}
                if svc not in services:
                    services[svc] = [svc, key, str(cls)]
                    if zones[key]["kind"] in ("external", "unassigned"):
                        zones[key]["services"].append(svc)
        exc_rows = _exceptions(k[k["category"] == "exception"], flows_per_exception)
    for z in zones.values():
        z["services"].sort()
    total = len(exc_rows)
    shown = exc_rows[:max_exceptions]
    prefix = ""
    files: list[str] = []
    if complete and samples is not None and len(samples) and shown:
        prefix, files = _attach_samples(shown, k[k["category"] == "exception"], samples, samples_per_exception)
    return {
        "zones": sorted(zones.values(), key=lambda z: _node_order(z["key"])),
        "services": sorted(services.values(), key=lambda r: r[0]),
        "exceptions": shown,
        "total": total,
        "complete": complete and total <= max_exceptions,
        "flows_per_exception": flows_per_exception,
        "samples_per_exception": samples_per_exception,
        "sample_file_prefix": prefix,
        "sample_files": files,
    }


def _edge_key(df: pd.DataFrame, client: str, server: str) -> pd.Series:
    port = pd.to_numeric(df["server_port"], errors="coerce").fillna(-1).astype("int64").astype(str)
    proto = pd.to_numeric(df["protocol"], errors="coerce").fillna(-1).astype("int64").astype(str)
    return df[client].astype(str) + "\x00" + df[server].astype(str) + "\x00" + port + "\x00" + proto


def _attach_samples(shown: list[dict], exc: pd.DataFrame, samples: pd.DataFrame, per: int) -> tuple[str, list[str]]:
    """Give each embedded exception its ``samples``; return the file prefix and file list they index.

    A pair's samples are taken round-robin over its flows, busiest first: the
    first sample of each flow, then the second ones, up to ``per``.
    """
    for x in shown:
        x["samples"] = []
    if per <= 0:
        return "", []
    e = pd.DataFrame({"_edge": _edge_key(exc, "source_service", "destination_service").to_numpy(),
                      "sa": exc["sa"].to_numpy(dtype=object), "sb": exc["sb"].to_numpy(dtype=object),
                      "_c": _num(exc["connections"]).to_numpy(),
                      "_port": [_port_label(p, q) for p, q in zip(exc["server_port"], exc["protocol"], strict=True)]})
    s = samples.assign(_edge=_edge_key(samples, "client", "server").to_numpy())
    m = s.merge(e, on="_edge", how="inner")
    if m.empty:
        return "", []
    m = m.sort_values(["sa", "sb", "sample", "_c", "client", "server", "_port"],
                      ascending=[True, True, True, False, True, True, True], kind="stable")
    m = m.groupby(["sa", "sb"], sort=False).head(per)
    names = m["file"].astype(object).where(m["file"].notna(), "").astype(str)
    files = sorted(set(names))
    prefix = _common_prefix(files)
    index = {f: i for i, f in enumerate(files)}
    by_pair: dict[tuple[str, str], list] = {}
    for rec, name in zip(m.to_dict("records"), names, strict=True):  # at most `per` rows per embedded pair
        by_pair.setdefault((str(rec["sa"]), str(rec["sb"])), []).append([
            str(rec["client"]), str(rec["server"]), rec["_port"], _iso(rec["start"]),
            json_safe(rec["src_addr"]), json_safe(rec["src_port"]), json_safe(rec["dst_addr"]),
            json_safe(rec["dst_port"]), json_safe(rec["bytes"]), json_safe(rec["interface"]),
            index[name], json_safe(rec["line"])])
    for x in shown:
        x["samples"] = by_pair.get((x["a"], x["b"]), [])
    return prefix, [f[len(prefix):] for f in files]


def _common_prefix(names: list[str]) -> str:
    """The directory part all ``names`` share (up to and including the last ``/``).

    >>> _common_prefix(["logs/a/x.log", "logs/a/y.log"]), _common_prefix(["a.log"]), _common_prefix([])
    ('logs/a/', '', '')
    """
    if not names:
        return ""
    common = names[0]
    for n in names[1:]:
        while not n.startswith(common):
            common = common[:-1]
    return common[:common.rfind("/") + 1]


def _exceptions(exc: pd.DataFrame, per: int) -> list[dict]:
    """One entry per unordered service pair, busiest (connections) first; flows busiest first."""
    if exc.empty:
        return []
    exc = exc.assign(_c=_num(exc["connections"]), _b=_num(exc["bytes"]),
                     _port=[_port_label(p, q) for p, q in zip(exc["server_port"], exc["protocol"], strict=True)])
    exc = exc.sort_values(["_c", "sa", "sb", "_port"], ascending=[False, True, True, True], kind="stable")
    out: list[dict[str, Any]] = []
    for (sa, sb), grp in exc.groupby(["sa", "sb"], sort=False):
        first = pd.to_numeric(grp["first_seen"], errors="coerce")
        last = pd.to_numeric(grp["last_seen"], errors="coerce")
        flows = []
        for rec in grp.head(per).to_dict("records"):
            flows.append([str(rec["source_service"]), str(rec["destination_service"]), rec["_port"],
                          json_safe(rec["connections"]), json_safe(rec["packets"]), json_safe(rec["bytes"]),
                          _iso(rec["first_seen"]), _iso(rec["last_seen"]),
                          json_safe(rec["hours_seen"]), json_safe(rec["days_seen"])])
        out.append({
            "a": str(sa), "za": str(grp["ka"].iloc[0]), "b": str(sb), "zb": str(grp["kb"].iloc[0]),
            "n": int(len(grp)), "ports": sorted(set(grp["_port"])), "c": int(grp["_c"].sum()),
            "by": int(grp["_b"].sum()),
            "f": iso_utc(first.min()) if first.notna().any() else None,
            "l": iso_utc(last.max()) if last.notna().any() else None,
            "flows": flows,
        })
    out.sort(key=lambda x: (-x["c"], x["a"], x["b"]))
    return out


def _iso(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    return iso_utc(json_safe(value))
