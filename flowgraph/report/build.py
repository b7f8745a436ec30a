"""Build the report dictionary (the content of ``report.json``) and validate it.

Everything the renderers (HTML, Markdown, figures, CSV, policy) show comes
from this one dictionary, so ``report.json`` is the machine-readable twin of
``report.html``.

Examples
--------
>>> import pandas as pd
>>> from flowgraph.graph import ServiceGraph
>>> e = pd.DataFrame({"client": ["a"], "server": ["b"], "server_port": [80], "protocol": [6],
...     "connections": [1], "packets": [1], "bytes": [1], "first_seen": [0], "last_seen": [9],
...     "hours_seen": [1], "days_seen": [1]})
>>> m = dict.fromkeys(METRICS_REQUIRED, 0.0)
>>> a = {"verdict": "insufficient_data", "reasons": [], "metrics": m, "metrics_including_shared": m,
...      "shared_services": [], "communities": [{"id": 0, "services": ["a", "b"]}],
...      "services": [{"service": "a", "community": 0}, {"service": "b", "community": 0}],
...      "declared_domains": None, "parameters": {}, "versions": {}}
>>> r = build_report(a, ServiceGraph(e), generated_at="2024-05-01T00:00:00Z")
>>> r["schema_version"], r["verdict"], r["flows"]["counts"]["intra_zone"]
('1.0', 'insufficient_data', 1)
>>> validate_report(r)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from .._version import __version__
from ..graph import ServiceGraph
from ._util import as_assessment_dict, fmt_num, fmt_pct, iso_utc, json_safe, now_iso
from .flows import classify_flows, summarize_flows

__all__ = [
    "SCHEMA_VERSION",
    "METRICS_REQUIRED",
    "VERDICTS",
    "ReportValidationError",
    "build_report",
    "build_data_quality",
    "build_summary",
    "load_schema",
    "validate_report",
]

SCHEMA_VERSION = "1.0"
VERDICTS = ("feasible", "feasible_with_exceptions", "marginal", "infeasible", "insufficient_data")
METRICS_REQUIRED = (
    "cross_community_edge_ratio", "exceptions", "local_edges", "exceptions_per_local_edge",
    "modularity", "modularity_zscore",
)
REQUIRED_TOP = (
    "schema_version", "verdict", "reasons", "metrics", "metrics_including_shared",
    "shared_services", "communities", "declared_domains", "data_quality", "parameters", "versions",
)
_RESERVED = ("schema_version", "generated_at", "tool", "inputs", "summary", "flows", "data_quality", "headline")

VERDICT_LABELS = {
    "feasible": "Feasible",
    "feasible_with_exceptions": "Feasible with exceptions",
    "marginal": "Marginal",
    "infeasible": "Not feasible",
    "insufficient_data": "Insufficient data",
}


class ReportValidationError(ValueError):
    """report.json does not match ``report.schema.json`` (a contract break upstream)."""


# -- data quality ------------------------------------------------------------------------
_CLASS_ORDER = ("service", "internet", "aws-service", "unknown")
_KNOWN_QUALITY = {
    "read", "time_span_seconds", "traffic_by_class", "unmapped_examples",
    "unresolved_direction_share", "direction_methods", "rejected_records", "inventory",
}


def _num(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def build_data_quality(quality: Mapping | None) -> dict:
    """Normalise ``graph.quality`` into the ``data_quality`` section.

    Missing keys are simply left out, unknown keys are passed through under
    ``other``, and ``warnings`` lists plain-language problems.

    Examples
    --------
    >>> dq = build_data_quality({"read": {"records": 10, "invalid": 2,
    ...     "invalid_by_reason": {"bad port": 2}, "invalid_examples": {"bad port": ["f:3: x"]}},
    ...     "time_span_seconds": 86400, "unresolved_direction_share": 0.3})
    >>> dq["invalid_by_reason"]
    [{'reason': 'bad port', 'lines': 2, 'examples': ['f:3: x']}]
    >>> dq["time_span"]["days"]
    1.0
    >>> len(dq["warnings"])
    3
    >>> build_data_quality(None)
    {'warnings': []}
    """
    q = json_safe(dict(quality or {}))
    read = q.get("read") or {}
    dq: dict[str, Any] = {}

    records = {k: read[k] for k in ("records", "nodata", "skipdata", "invalid", "header_lines",
                                     "blank_lines") if k in read}
    if records:
        dq["records"] = records
    files = {k: read[k] for k in ("files_read", "files_skipped", "bytes_read") if k in read}
    if isinstance(files.get("files_skipped"), list):  # the reader lists them: [{file, reason}]
        files["skipped_files"] = files["files_skipped"][:20]
        files["files_skipped"] = len(files["files_skipped"])
    if "truncated_files" in read:
        files["truncated_files"] = list(read.get("truncated_files") or [])
    if files:
        dq["files"] = files
    by_reason = read.get("invalid_by_reason") or {}
    examples = read.get("invalid_examples") or {}
    if by_reason or examples:
        reasons = sorted(set(by_reason) | set(examples), key=lambda r: (-(by_reason.get(r) or 0), r))
        dq["invalid_by_reason"] = [
            {"reason": r, "lines": by_reason.get(r),
             "examples": [str(x) for x in (examples.get(r) or [])]}
            for r in reasons
        ]

    first, last = read.get("first_start"), read.get("last_end")
    seconds = _num(q.get("time_span_seconds"))
    f, la = _num(first), _num(last)
    if seconds is None and f is not None and la is not None:
        if max(abs(f), abs(la)) > 1e11:  # epoch milliseconds
            f, la = f / 1000, la / 1000
        seconds = la - f
    if seconds is not None or first is not None or last is not None:
        dq["time_span"] = {
            "first_start": iso_utc(first), "last_end": iso_utc(last), "seconds": seconds,
            "days": None if seconds is None else round(seconds / 86_400, 2),
        }
    if "millisecond_timestamps" in read:
        dq["millisecond_timestamps"] = read["millisecond_timestamps"]

    tbc = q.get("traffic_by_class") or {}
    if tbc:
        total = sum((_num((v or {}).get("connections")) or 0) for v in tbc.values())
        order = [c for c in _CLASS_ORDER if c in tbc] + sorted(c for c in tbc if c not in _CLASS_ORDER)
        dq["traffic_by_class"] = [
            {"class": c, "records": (tbc[c] or {}).get("records"),
             "connections": (tbc[c] or {}).get("connections"), "bytes": (tbc[c] or {}).get("bytes"),
             "share_of_connections": ((_num((tbc[c] or {}).get("connections")) or 0) / total) if total else None,
             "share_of_records": _num((tbc[c] or {}).get("record_share")),
             "share_of_bytes": _num((tbc[c] or {}).get("byte_share"))}
            for c in order
        ]
    if "unmapped_examples" in q:
        dq["unmapped_examples"] = list(q.get("unmapped_examples") or [])
    if "unresolved_direction_share" in q:
        dq["unresolved_direction_share"] = _num(q["unresolved_direction_share"])
    # {method: connections} or {method: {"connections": n, "bytes": b}} (what build_graph records)
    methods = {m: (v if isinstance(v, dict) else {"connections": v}) for m, v in (q.get("direction_methods") or {}).items()}
    if methods:
        total = sum(_num(v.get("connections")) or 0 for v in methods.values())
        dq["direction_methods"] = [
            {"method": m, "connections": v.get("connections"), "bytes": v.get("bytes"),
             "share": (_num(v.get("connections")) or 0) / total if total else None}
            for m, v in sorted(methods.items(), key=lambda kv: -(_num(kv[1].get("connections")) or 0))
        ]
    if "rejected_records" in q:
        dq["rejected_records"] = q["rejected_records"]
    if "inventory" in q:
        dq["inventory"] = q["inventory"]
    other = {k: v for k, v in q.items() if k not in _KNOWN_QUALITY}
    if other:
        dq["other"] = other
    dq["warnings"] = _quality_warnings(dq)
    return dq


def _quality_warnings(dq: Mapping) -> list[str]:
    out: list[str] = []
    days = (dq.get("time_span") or {}).get("days")
    if days is not None and days < 7:
        out.append(f"The logs cover only {days:.1f} days; at least 7 days are needed to see "
                   "weekly jobs, so rare but legitimate flows may be missing.")
    share = dq.get("unresolved_direction_share")
    if share is not None and share > 0.05:
        level = "too many for a verdict (> 20%)" if share > 0.2 else "worth checking"
        out.append(f"Client and server could not be told apart for {fmt_pct(share, 1)} of connections "
                   f"({level}).")
    rec = dq.get("records") or {}
    if rec.get("invalid"):
        out.append(f"{int(rec['invalid']):,} log lines could not be parsed (reasons and examples below).")
    if rec.get("skipdata"):
        out.append(f"{int(rec['skipdata']):,} records are SKIPDATA: AWS dropped flow records during "
                   "capture, so some traffic is missing.")
    files = dq.get("files") or {}
    if files.get("truncated_files"):
        out.append(f"{len(files['truncated_files'])} file(s) were truncated; records after the cut "
                   "were not read.")
    if files.get("files_skipped"):
        out.append(f"{int(files['files_skipped']):,} file(s) were skipped.")
    for row in dq.get("traffic_by_class") or []:
        if row["class"] == "unknown" and (row.get("share_of_connections") or 0) > 0.05:
            out.append(f"{fmt_pct(row['share_of_connections'], 1)} of connections involve addresses "
                       "missing from the inventory; those workloads are not in the analysis.")
    inv = dq.get("inventory") or {}
    if inv.get("problems"):
        out.append(f"The inventory has {len(inv['problems'])} problem(s) (listed below).")
    return out


# -- plain-language summary --------------------------------------------------------------
def _status(value: float | None, good: float, bad: float, *, higher_is_better: bool) -> str:
    if value is None:
        return "unknown"
    if higher_is_better:
        return "good" if value >= good else ("bad" if value < bad else "warn")
    return "good" if value <= good else ("bad" if value >= bad else "warn")


def build_summary(a: Mapping) -> dict:
    """Plain-language headline, meaning and key numbers for the verdict.

    The ``status`` of each key number compares it with the reference
    thresholds of the segmentation notes (μ ≤ 0.20 good, ≥ 0.50 bad; z ≥ 3;
    seed ARI ≥ 0.8 good, < 0.5 bad; shared zone ≤ 10 % good, > 15 % bad).  It
    colours the page; the verdict itself always comes from the assessment.

    Examples
    --------
    >>> s = build_summary({"verdict": "feasible", "metrics": {"cross_community_edge_ratio": 0.1,
    ...     "communities": 4, "exceptions_per_local_edge": 0.11}})
    >>> s["verdict_label"], s["key_numbers"][0]["display"], s["key_numbers"][0]["status"]
    ('Feasible', '10%', 'good')
    """
    verdict = str(a.get("verdict"))
    m = a.get("metrics") or {}
    mu = _num(m.get("cross_community_edge_ratio"))
    rho = _num(m.get("exceptions_per_local_edge"))
    if rho is None and mu is not None and mu < 1:
        rho = mu / (1 - mu)
    k = m.get("communities")
    if k is None:
        k = len(a.get("communities") or [])
    k_txt = f"{int(k)}" if k is not None else "several"
    mu_txt = fmt_pct(mu) if mu is not None else "an unknown share"
    z = _num(m.get("modularity_zscore"))
    ari = _num(m.get("stability_ari"))
    if ari is None:
        ari = _num((a.get("stability") or {}).get("ari"))
    zone = a.get("shared_zone") or {}
    shared = list(a.get("shared_services") or [])
    share = _num(zone.get("share_of_services"))
    n_services = _num(m.get("services"))
    if share is None and n_services:
        share = len(shared) / (n_services + len(shared))

    conc = _num(m.get("exception_concentration_top10"))
    if conc is None:
        concentration = "They can be enforced as a reviewed list of named exceptions."
    elif conc >= 0.8:
        concentration = (f"{fmt_pct(conc)} of them fall in the busiest 10% of group pairs, so they can "
                         "be enforced as a short, reviewed list of named exceptions.")
    else:
        concentration = (f"They are spread out (the busiest 10% of group pairs carry only {fmt_pct(conc)} "
                         "of them), so expect a long list of named exceptions to review.")
    headlines = {
        "feasible": ("Strict segmentation is feasible.",
                     f"The services fall into {k_txt} well-separated groups. Traffic inside a group "
                     f"can be allowed freely; only {mu_txt} of service-to-service connections cross a "
                     "group boundary, and each of those becomes a named, reviewed exception."),
        "feasible_with_exceptions": (
            "Segmentation is feasible with a manageable list of exceptions.",
            f"The services form {k_txt} clear groups, but {mu_txt} of service-to-service connections "
            "cross a group boundary. " + concentration),
        "marginal": (
            "Segmentation is marginal: it would need many exceptions.",
            f"Groups exist and are not a statistical accident, but {mu_txt} of connections cross a "
            "group boundary. Enforcing zones now means maintaining a long exception list; untangle "
            "the busiest cross-group dependencies first."),
        "infeasible": (
            "Strict segmentation is not feasible as the estate is wired today.",
            "Cross-group traffic is about as common as traffic inside groups, or the groups are no "
            "stronger than in a random network with the same connection counts. Zones would mostly "
            "be a list of exceptions."),
        "insufficient_data": (
            "There is not enough reliable data for a verdict.",
            "The flow logs cover too little time, or the direction of too much traffic could not be "
            "determined. Read the reasons and the data-quality section before drawing conclusions."),
    }
    headline, meaning = headlines.get(verdict, (f"Verdict: {verdict}.", ""))

    key_numbers = [
        {"key": "cross_community_edge_ratio", "label": "Connections crossing a boundary (μ)",
         "value": mu, "display": fmt_pct(mu),
         "explanation": "Share of talking service pairs whose two ends are in different groups. "
                        "Up to 20% is comfortable; 50% means groups have dissolved.",
         "status": _status(mu, 0.2, 0.5, higher_is_better=False)},
        {"key": "exceptions_per_local_edge", "label": "Exceptions per local connection",
         "value": rho, "display": fmt_num(rho),
         "explanation": (f"{fmt_int_or(m.get('exceptions'))} exceptions against "
                         f"{fmt_int_or(m.get('local_edges'))} connections inside groups. "
                         "1.0 means as many exceptions as local connections."),
         "status": _status(rho, 0.25, 1.0, higher_is_better=False)},
        {"key": "modularity_zscore", "label": "Significance vs random graphs",
         "value": z, "display": "n/a" if z is None else f"z = {z:.1f}",
         "explanation": "How far the grouping stands out from randomly rewired graphs with the same "
                        "connection counts, in standard deviations; 3 or more is real structure.",
         "status": _status(z, 3.0, 3.0, higher_is_better=True)},
        {"key": "stability_ari", "label": "Stability across runs",
         "value": ari, "display": "n/a" if ari is None else f"ARI {ari:.2f}",
         "explanation": "Agreement of the groups found with different random seeds (1 = identical "
                        "every time; 0.8 or more is stable).",
         "status": _status(ari, 0.8, 0.5, higher_is_better=True)},
        {"key": "shared_zone_share", "label": "Shared-services zone",
         "value": share, "display": fmt_pct(share) if share is not None else str(len(shared)),
         "explanation": f"{len(shared)} platform service{'s' if len(shared) != 1 else ''} (logging, "
                        "DNS, identity...) reachable from every zone. Above 10% of services the "
                        "zone starts to hide real coupling.",
         "status": _status(share, 0.10, 0.15 + 1e-12, higher_is_better=False)},
    ]
    return {"verdict_label": VERDICT_LABELS.get(verdict, verdict), "headline": headline,
            "meaning": meaning, "key_numbers": key_numbers}


def fmt_int_or(value: Any) -> str:
    """Integer display used inside sentences (``?`` when missing).

    Examples
    --------
    >>> fmt_int_or(1200), fmt_int_or(None)
    ('1,200', '?')
    """
    v = _num(value)
    return "?" if v is None else f"{int(round(v)):,}"


# -- the report --------------------------------------------------------------------------
def build_report(
    assessment: Any,
    graph: ServiceGraph,
    *,
    inputs: Mapping | None = None,
    extra: Mapping | None = None,
    generated_at: Any = None,
    top_exceptions: int = 50,
    flows: pd.DataFrame | None = None,
) -> dict:
    """Assemble the content of ``report.json``.

    Parameters
    ----------
    assessment : Assessment or mapping
        Anything with ``.to_dict()`` (``flowgraph.assessment.Assessment``) or the
        dict itself.  All of its keys are copied to the report.
    graph : ServiceGraph
        The analysed graph: its ``quality`` dict becomes ``data_quality`` and its
        edges are classified into the ``flows`` section.
    inputs : mapping, optional
        What was analysed (paths, options); copied to ``inputs``.
    extra : mapping, optional
        Additional top-level sections.  A key that already exists raises
        ``ValueError``.
    generated_at : str or datetime, optional
        Fixed timestamp for reproducible reports (default: ``SOURCE_DATE_EPOCH``
        or now, UTC).
    top_exceptions : int
        Service-level exceptions kept in ``flows.top_exceptions``.
    flows : pandas.DataFrame, optional
        Precomputed ``classify_flows(graph, assessment)`` (community zones),
        to avoid classifying the edge table twice.

    Returns
    -------
    dict
        Strict-JSON-safe dict (no NaN, no numpy types) following
        ``report.schema.json``.
    """
    a = json_safe(as_assessment_dict(assessment))
    a.setdefault("declared_domains", None)
    if flows is None:
        flows = classify_flows(graph, a)
    flow_summary = summarize_flows(flows, top=top_exceptions)
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": now_iso(generated_at),
        "tool": {"name": "flowgraph", "version": __version__},
        "inputs": json_safe(dict(inputs or {})),
    }
    head = ("verdict", "weight_sensitive", "reasons")
    for key in head:
        if key in a:
            report[key] = a[key]
    report["summary"] = build_summary(a)
    for key, value in a.items():
        if key not in report and key not in _RESERVED:
            report[key] = value
    report["flows"] = flow_summary
    report["data_quality"] = build_data_quality(getattr(graph, "quality", None))
    from .headline import headline  # noqa: PLC0415 - headline imports policy, which imports build

    h = headline(report)
    report["headline"] = {**h, "zone_names": {str(k): v for k, v in h["zone_names"].items()}}
    for key, value in (extra or {}).items():
        if key in report:
            raise ValueError(f"extra section {key!r} would overwrite an existing report key")
        report[str(key)] = json_safe(value)
    return report


# -- schema ------------------------------------------------------------------------------
@cache
def _schema_text() -> str:
    return resources.files("flowgraph.report").joinpath("schema/report.schema.json").read_text(encoding="utf-8")


def load_schema() -> dict:
    """The JSON Schema (draft 2020-12) of report.json, from package data.

    Examples
    --------
    >>> load_schema()["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    """
    return json.loads(_schema_text())


def _import_jsonschema():
    """``jsonschema``, imported without its optional ``rfc3987_syntax``.

    When installed, ``rfc3987_syntax`` compiles some forty grammars on import
    (2-3 s, more than writing a whole report) for the ``iri`` format checkers,
    and format checkers only run when a validator is given a ``format_checker``,
    which :func:`validate_report` never does.  So the first import of jsonschema
    sees that module as absent; later imports of it, by anyone, are unaffected.
    """
    import sys

    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # import raises ImportError
        try:
            import jsonschema
        finally:
            del sys.modules["rfc3987_syntax"]
    import jsonschema

    return jsonschema


def validate_report(report: Mapping) -> None:
    """Raise :class:`ReportValidationError` unless ``report`` follows the schema.

    Uses ``jsonschema`` (Draft 2020-12) when it is installed; otherwise falls
    back to checking the required top-level keys, required metrics and the
    verdict value, which are the parts consumers rely on.
    """
    try:
        jsonschema = _import_jsonschema()
    except ImportError:  # jsonschema is a test extra; keep a minimal contract check
        _validate_minimal(report)
        return
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors[:10]]
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        raise ReportValidationError("report.json does not follow the schema: " + "; ".join(lines) + more)


def _validate_minimal(report: Mapping) -> None:
    problems = [f"missing required key {k!r}" for k in REQUIRED_TOP if k not in report]
    metrics = report.get("metrics")
    if isinstance(metrics, Mapping):
        problems += [f"metrics: missing required key {k!r}" for k in METRICS_REQUIRED if k not in metrics]
    if "verdict" in report and report.get("verdict") not in VERDICTS:
        problems.append(f"verdict: {report.get('verdict')!r} is not one of {', '.join(VERDICTS)}")
    if problems:
        raise ReportValidationError("report.json does not follow the schema: " + "; ".join(problems))
