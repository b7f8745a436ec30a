"""Headline figures: one name, one definition, one value for every output.

:func:`headline` reads a built report (``report.json`` content) and returns
the figures every output states — the HTML page, ``report.md``, the CSVs, the
CLI summary and ``_repr_html_`` — together with the caveats that could change
the verdict.  Callers print these values instead of recomputing them, so the
counts reconcile everywhere.  :data:`GLOSSARY` is the single definition of
each figure (also rendered in the page and in ``docs/report.md``).

Examples
--------
>>> r = {"verdict": "marginal", "metrics": {"edges": 10, "exceptions": 4, "communities": 3,
...      "cross_community_edge_ratio": 0.4, "exception_rules": 3},
...      "flows": {"counts": {"exception": 5}}, "communities": [{"id": 0}, {"id": 1}, {"id": 2}],
...      "shared_services": ["dns"], "shared_zone": {"share_of_services": 0.1}}
>>> h = headline(r)
>>> h["figures"]["exceptions"]["value"], h["figures"]["exception_flows"]["value"]
(4, 5)
>>> h["figures"]["zones"]["value"], h["figures"]["shared_zone_services"]["value"]
(3, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["GLOSSARY", "headline", "caveats", "zone_names"]

GLOSSARY: dict[str, tuple[str, str]] = {
    "talking_pairs": (
        "Talking pairs",
        "Distinct unordered pairs of services that exchanged at least one accepted connection in the "
        "window (shared-services zone and external nodes excluded). metrics.edges."),
    "exceptions": (
        "Exceptions",
        "Talking pairs whose two ends are in different zones: each would need an allow rule across a "
        "zone boundary. metrics.exceptions."),
    "exception_flows": (
        "Exception flows",
        "Rows of exceptions.csv: one (client, server, server port, protocol) service-level rule per "
        "exception, so one exception pair can need several. flows.counts.exception."),
    "exception_rules": (
        "Exception rules (zone-pair/port)",
        "Distinct (client zone, server zone, port, protocol) rules that cover every exception flow. "
        "metrics.exception_rules."),
    "local_edges": (
        "Local pairs", "Talking pairs whose two ends are in the same zone. metrics.local_edges."),
    "mu": (
        "Crossing share (μ)",
        "exceptions ÷ talking pairs: the share of talking pairs that cross a zone boundary."),
    "zones": (
        "Zones",
        "Communities found by the community detection; each becomes one zone of the draft policy, "
        "named by its dominant domain when that domain names only one zone, else <domain>-zone-<id>."),
    "shared_zone_services": (
        "Shared-services zone",
        "Platform services (DNS, logging, identity…) reached from nearly every zone, carved out into "
        "one zone reachable from all; their connections are shared-service rules, not exceptions."),
    "shared_zone_share": (
        "Shared-zone share", "Shared-zone services ÷ all analysed services (shared_zone.share_of_services)."),
    "inside_heavy": (
        "Inside-heavy zones (was 'weak')",
        "Zones whose members together keep more connections inside than they send out (Radicchi weak "
        "community). Passing this is good."),
    "all_inside_heavy": (
        "Cohesive zones (was 'strong')",
        "Zones where every member individually talks more inside than outside (Radicchi strong "
        "community): the strictest test."),
    "role": (
        "Role",
        "Guimerà–Amaral role from within-zone degree z-score (hub if z ≥ 2.5) and participation P "
        "(spread of a service's links across zones): ultra-peripheral P ≤ 0.05, peripheral ≤ 0.62, "
        "connector ≤ 0.80, kinless above (links spread over many zones — a likely exception source)."),
}
"""Name → (label, definition) of every headline figure."""


def _get(d: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(d, Mapping):
            return None
        d = d.get(p)
    return d


def zone_names(report: Mapping) -> dict[int, str]:
    """The one zone name of each community (same as the draft policy's zone names).

    >>> zone_names({"communities": [{"id": 0, "dominant_domain": "a"}, {"id": 1, "dominant_domain": "b"},
    ...     {"id": 2, "dominant_domain": "b"}]})
    {0: 'a', 1: 'b-zone-1', 2: 'b-zone-2'}
    """
    from .policy import _community_zone_names

    return _community_zone_names(list(report.get("communities") or []))


def caveats(report: Mapping) -> list[dict]:
    """What could change the verdict, most decisive first: ``[{"key", "text"}]``.

    Reads ``borderline``, ``uncertainty``, ``weight_sensitive``/``metrics_by_weight``,
    the data window, the learning curve of the exceptions (``enforcement.learning``, when they
    are still appearing), ``unmapped_share`` and the shared-zone share; each is skipped when absent.
    """
    out: list[dict] = []
    b = report.get("borderline")
    if isinstance(b, Mapping) and b.get("between"):
        a_, b_ = (list(b["between"]) + ["?", "?"])[:2]
        out.append({"key": "borderline",
                    "text": f"Borderline between {a_} and {b_}: {b.get('reason') or 'close to a band edge'}."})
    u = report.get("uncertainty")
    if isinstance(u, Mapping) and u.get("mu"):
        lo, hi = u["mu"][:2]
        verdicts = u.get("verdicts") or {}
        vs = ", ".join(f"{k} {v}" for k, v in verdicts.items())
        out.append({"key": "uncertainty",
                    "text": f"μ interval {lo:.3f}–{hi:.3f} over {u.get('n')} resamples "
                            f"({u.get('method')}){'; verdicts: ' + vs if vs else ''}."})
    if report.get("weight_sensitive"):
        byw = report.get("metrics_by_weight") or {}
        alt = ", ".join(f"{k}: {(v or {}).get('verdict')}" for k, v in byw.items())
        weight = _get(report, "parameters", "weight") or "binary"
        out.append({"key": "weight",
                    "text": f"The verdict uses {weight} weights (one count per talking pair: a rule is needed "
                            f"whatever the volume, and binary recovers planted zones best); other weightings "
                            f"give a different verdict ({alt})."})
    dq = report.get("data_quality") or {}
    days = _get(dq, "time_span", "days")
    if isinstance(days, (int, float)) and days < 7:
        out.append({"key": "window",
                    "text": f"Only {days:g} day(s) of logs: weekly or monthly jobs may be missing, "
                            "so exceptions can be under-counted."})
    learn = _get(report, "enforcement", "learning")
    if isinstance(learn, Mapping) and learn.get("holdout") and learn.get("total_exceptions"):
        h, total = learn["holdout"], learn["total_exceptions"]
        hours = learn["bin_seconds"] / 3600
        period = "day" if hours == 24 else f"{hours:g} hours"
        if not learn.get("saturated"):
            out.append({"key": "learning",
                        "text": f"Exceptions are still appearing: {h['new_exceptions']} of {total} "
                                f"({h['new_exceptions'] / total:.1%}) were first seen in the last {period}, and a "
                                f"policy drafted before then would have blocked their {h['blocked_connections']} "
                                "connections. Observe longer before enforcing."})
    unm = dq.get("unmapped_share", _get(dq, "other", "unmapped_share"))
    if isinstance(unm, (int, float)) and unm > 0:
        out.append({"key": "inventory",
                    "text": f"{unm:.1%} of in-window records have an end the inventory does not name "
                            "(partial inventory): those services are missing from the zones."})
    share = _get(report, "shared_zone", "share_of_services")
    if isinstance(share, (int, float)) and report.get("shared_services"):
        k = len(report["shared_services"])
        noun, verb, pron = ("service", "is", "its") if k == 1 else ("services", "are", "their")
        out.append({"key": "shared_zone",
                    "text": f"{k} shared-zone {noun} ({share:.1%} of services) {verb} reachable from every "
                            f"zone; {pron} traffic is not counted as exceptions."})
    return out


def headline(report: Mapping) -> dict:
    """Headline figures and caveats of a built report.

    Parameters
    ----------
    report : mapping
        ``build_report`` output (or ``report.json`` parsed).

    Returns
    -------
    dict
        ``{"verdict", "figures": {name: {"label", "value", "definition"}}, "caveats": [...],
        "zone_names": {id: name}, "uncertainty", "borderline"}``.
    """
    m = report.get("metrics") or {}
    values = {
        "talking_pairs": m.get("edges"),
        "exceptions": m.get("exceptions"),
        "exception_flows": _get(report, "flows", "counts", "exception"),
        "exception_rules": m.get("exception_rules"),
        "local_edges": m.get("local_edges"),
        "mu": m.get("cross_community_edge_ratio"),
        "zones": len(report.get("communities") or []),
        "shared_zone_services": len(report.get("shared_services") or []),
        "shared_zone_share": _get(report, "shared_zone", "share_of_services"),
        "inside_heavy": m.get("weak_communities_share"),
        "all_inside_heavy": m.get("strong_communities_share"),
    }
    figures = {k: {"label": GLOSSARY[k][0], "value": v, "definition": GLOSSARY[k][1]}
               for k, v in values.items() if v is not None}
    return {
        "verdict": report.get("verdict"),
        "figures": figures,
        "caveats": caveats(report),
        "zone_names": zone_names(report),
        "uncertainty": report.get("uncertainty"),
        "borderline": report.get("borderline"),
    }
