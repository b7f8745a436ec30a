"""report.html: one self-contained HTML file, readable without JavaScript.

Rendered with Jinja2 and HTML autoescaping switched on for the template, so
every service name, tag, domain, file name and message is escaped; nothing
untrusted is ever marked safe.  Figures are embedded as base64 PNG data
URIs, the CSS is inline, and the only scripts are inline too: the explorer
data as JSON (``<script type="application/json">``, escaped by
:func:`~flowgraph.report.interactive.script_json`) and the small vanilla-JS
viewer (``static/explorer.js``).  The file references no URL at all, and a
Content-Security-Policy meta tag (``default-src 'none'`` plus the viewer's
SHA-256 hash as ``script-src``) makes browsers refuse any other script and
every remote load even if something slipped through.

Examples
--------
>>> html = render_html({"verdict": "feasible", "summary": {"headline": "<b>ok</b>"}}, [])
>>> "&lt;b&gt;ok&lt;/b&gt;" in html, "<b>ok</b>" in html
(True, False)
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from . import interactive
from ._util import fmt_int, fmt_num, fmt_pct, protocol_name
from .figures import Figure

__all__ = ["render_html", "template_context", "jinja_environment"]

TOP_RULES = 25
TOP_SERVICES = 15
MAX_COMMUNITY_MEMBERS = 12


@cache
def jinja_environment() -> jinja2.Environment:
    """The Jinja2 environment for report templates (HTML autoescaped)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("flowgraph.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "htm"),
                                            default_for_string=True, default=True),
        undefined=jinja2.ChainableUndefined,
        finalize=_none_as_dash,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=_defined(fmt_num), int=_defined(fmt_int), pct=_defined(fmt_pct), proto=_defined(_proto))
    return env


def _none_as_dash(value: Any) -> Any:
    """Missing values (``None``) print as an em dash instead of ``None``."""
    return "—" if value is None else value


def _defined(fn: Any) -> Any:
    """Treat Jinja's Undefined (a missing key) as ``None`` in a formatting filter."""
    def wrapper(value: Any, *args: Any) -> str:
        return fn(None if isinstance(value, jinja2.Undefined) else value, *args)

    wrapper.__name__ = fn.__name__
    return wrapper


_PROTO_DISPLAY = {1: "icmp (1)", 58: "icmpv6 (58)", 47: "gre (47)", 50: "esp (50)"}


def _proto(value: Any) -> str:
    p = protocol_name(value)
    if p is None:
        return "any"
    return _PROTO_DISPLAY.get(p, str(p)) if isinstance(p, int) else str(p)


def _port(value: Any) -> str:
    return "any" if value is None else str(value)


def _zone_label(zone_names: Mapping, cid: Any) -> str:
    if cid is None or isinstance(cid, jinja2.Undefined):
        return "unassigned"
    try:
        return zone_names.get(int(cid)) or f"C{int(cid)}"
    except (TypeError, ValueError):
        return str(cid)


def template_context(report: Mapping, figures: Sequence[Figure], flow_table: pd.DataFrame | None = None,
                     samples: pd.DataFrame | None = None) -> dict:
    """Everything the HTML and Markdown templates need, derived from the report.

    Lists are cut to what a reader can take in (top rules, top services,
    first members of each community); the complete data is in the CSV and
    JSON files, which the page says.  ``flow_table`` (:func:`classify_flows`
    output) feeds the zone map and the exception explorer; without it they
    show the report's ``top_exceptions`` only.  ``samples``
    (:attr:`ServiceGraph.samples <flowgraph.graph.ServiceGraph.samples>`) gives
    the explorer's exceptions their sample flow-log records.
    """
    m = report.get("metrics") or {}
    comms = sorted(report.get("communities") or [], key=lambda c: (-len(c.get("services") or []), c.get("id", 0)))
    from .headline import zone_names as _zone_names  # one naming scheme: the draft policy's zones

    zone_names = _zone_names(report)
    community_rows = []
    for c in comms:
        members = sorted(str(s) for s in c.get("services") or [])
        community_rows.append({
            **c, "label": zone_names[int(c["id"])], "members": members[:MAX_COMMUNITY_MEMBERS],
            "more": max(0, len(members) - MAX_COMMUNITY_MEMBERS), "size": c.get("size") or len(members),
        })
    services = [s for s in report.get("services") or [] if not s.get("shared") and s.get("community") is not None]
    connectors = sorted(
        (s for s in services if (s.get("mu") or 0) > 0),
        key=lambda s: (-(s.get("mu") or 0) * (s.get("degree") or 0), -(s.get("participation") or 0), str(s.get("service"))),
    )[:TOP_SERVICES]
    rules = sorted(report.get("exception_rules") or [], key=lambda r: -(r.get("connections") or 0))
    flows = report.get("flows") or {}
    shared_rows = []
    by_service = {r.get("service"): r for r in (report.get("shared_zone") or {}).get("services") or []
                  if isinstance(r, Mapping)}
    for name in report.get("shared_services") or []:
        shared_rows.append({"service": name, **(by_service.get(name) or {})})
    metric_keys = [k for k in (report.get("metrics") or {})]
    dd = report.get("declared_domains")
    return {
        "r": report,
        "m": m,
        "s": report.get("summary") or {},
        "dq": report.get("data_quality") or {},
        "flows": flows,
        "figures": {f.name: f for f in figures},
        "figure_data": {f.name: base64.b64encode(f.png).decode("ascii") for f in figures},
        "communities": community_rows,
        "zone_names": zone_names,
        "connectors": connectors,
        "rules": rules[:TOP_RULES],
        "rules_total": len(rules),
        "top_exceptions": flows.get("top_exceptions") or [],
        "exceptions_total": (flows.get("counts") or {}).get("exception"),
        "shared_rows": shared_rows,
        "metric_rows": [
            {"key": k, "value": (report.get("metrics") or {}).get(k),
             "including": (report.get("metrics_including_shared") or {}).get(k)}
            for k in metric_keys
        ],
        "by_weight": report.get("metrics_by_weight") or {},
        "declared": dd,
        "misplaced": (dd or {}).get("misplaced") or [],
        "parameters_json": json.dumps(report.get("parameters") or {}, indent=2, ensure_ascii=False, sort_keys=True),
        "versions": report.get("versions") or {},
        "inputs_json": json.dumps(report.get("inputs") or {}, indent=2, ensure_ascii=False, sort_keys=True),
        "port": _port,
        "zone_label": lambda cid: _zone_label(zone_names, cid),
        "TOP_RULES": TOP_RULES,
        **_interactive_context(report, flow_table, samples),
    }


def _interactive_context(report: Mapping, flows: pd.DataFrame | None, samples: pd.DataFrame | None = None) -> dict:
    """Zone map, explorer JSON and the inline script with its CSP hash."""
    source = interactive.script_source()
    data = interactive.explorer_data(report, flows, samples=samples)
    return {
        "zmap": interactive.zone_map(report, flows),
        "explorer": data,
        # safe by construction: script_json escapes < > & U+2028 U+2029, so no value can end the element
        "explorer_json": Markup(interactive.script_json(data)),  # noqa: S704
        # our own file (checked to contain no '</script'), never report data
        "explorer_js": Markup(source),  # noqa: S704
        "script_hash": interactive.script_hash(source),
        "flows_per_exception": interactive.FLOWS_PER_EXCEPTION,
        "samples_per_exception": interactive.SAMPLES_PER_EXCEPTION if data["sample_files"] else 0,
    }


def render_html(report: Mapping, figures: Sequence[Figure], flows: pd.DataFrame | None = None,
                samples: pd.DataFrame | None = None) -> str:
    """Render report.html from the report dict and its figures.

    Parameters
    ----------
    report : mapping
        :func:`~flowgraph.report.build.build_report` output.
    figures : sequence of Figure
        :func:`~flowgraph.report.figures.make_figures` output, embedded as
        ``data:image/png;base64`` URIs.
    flows : pandas.DataFrame, optional
        :func:`~flowgraph.report.flows.classify_flows` output: every exception
        flow for the interactive table (else only ``top_exceptions``).
    samples : pandas.DataFrame, optional
        The graph's sample records (``ServiceGraph.samples``), shown when an
        exception is expanded.

    Returns
    -------
    str
        The complete HTML document.
    """
    return jinja_environment().get_template("report.html.j2").render(**template_context(report, figures, flows, samples))
