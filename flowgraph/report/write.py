"""``write_report``: every output file of an analysis, in one directory.

Everything is computed first (report, validation, policy, figures, pages)
and written afterwards, so a bad option or a contract break upstream fails
before any file is touched.  Each file is written to a temporary name and
renamed into place, so readers never see half-written files.

Examples
--------
>>> import tempfile, pandas as pd
>>> from flowgraph.graph import ServiceGraph
>>> e = pd.DataFrame({"client": ["a", "a"], "server": ["b", "c"], "server_port": [80, 443],
...     "protocol": [6, 6], "connections": [5, 2], "packets": [9, 9], "bytes": [99, 99],
...     "first_seen": [0, 0], "last_seen": [60, 60], "hours_seen": [1, 1], "days_seen": [1, 1]})
>>> m = {"cross_community_edge_ratio": 0.5, "exceptions": 1, "local_edges": 1,
...      "exceptions_per_local_edge": 1.0, "modularity": 0.0, "modularity_zscore": None}
>>> a = {"verdict": "infeasible", "reasons": [], "metrics": m, "metrics_including_shared": m,
...      "shared_services": [], "declared_domains": None, "parameters": {}, "versions": {},
...      "communities": [{"id": 0, "services": ["a", "b"]}, {"id": 1, "services": ["c"]}],
...      "services": [{"service": "a", "community": 0}, {"service": "b", "community": 0},
...                   {"service": "c", "community": 1}]}
>>> with tempfile.TemporaryDirectory() as d:
...     files = write_report(a, ServiceGraph(e), d, generated_at="2024-05-01T00:00:00Z")
...     print(sorted(k for k in files if not k.startswith("figures/")))
...     print(files["exceptions.csv"].read_text().splitlines()[1])
['communities.csv', 'exceptions.csv', 'external_flows.csv', 'graph.graphml', 'graph.json', 'policy.json', 'policy.yaml', 'report.html', 'report.json', 'report.md', 'services.csv', 'shared_zone_flows.csv']
a,0,c,1,443,6,2,99,1970-01-01T00:00:00Z,1970-01-01T00:01:00Z,tcp,9,1,1,,,,,,,,,,,
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from ..graph import ServiceGraph
from . import csv as report_csv
from ._util import as_assessment_dict
from .build import build_report, validate_report
from .figures import FIGURES, make_figures
from .flows import classify_flows
from .graph_export import annotated_graph, write_graph_json, write_graphml
from .headline import caveats
from .holdout import enforcement_section
from .html import render_html
from .markdown import render_markdown
from .pdf import require_weasyprint, write_pdf
from .policy import build_policy, policy_json, policy_yaml

__all__ = ["write_report", "OUTPUT_FILES"]

OUTPUT_FILES = (
    "report.json", "report.html", "report.md", "communities.csv", "services.csv", "exceptions.csv",
    "shared_zone_flows.csv", "external_flows.csv", "policy.json", "policy.yaml", "graph.graphml",
    "graph.json",
)
"""Files ``write_report`` always writes (plus ``figures/*.png`` and, with ``pdf=True``, ``report.pdf``)."""

FIGURE_DIR = "figures"


def _atomic(path: Path, write: Callable[[Path], Any]) -> Path:
    # a fresh hidden name in the same directory (not mkstemp: its 0600 mode would stick to the
    # report files); the writer creates it, so the usual umask applies
    tmp_path = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        write(tmp_path)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


def _text(path: Path, text: str) -> Path:
    return _atomic(path, lambda p: p.write_text(text, encoding="utf-8", newline=""))


def _bytes(path: Path, data: bytes) -> Path:
    return _atomic(path, lambda p: p.write_bytes(data))


def write_report(
    assessment: Any,
    graph: ServiceGraph,
    out_dir: str | Path,
    *,
    policy_zones: str = "communities",
    pdf: bool = False,
    generated_at: Any = None,
    inputs: Mapping | None = None,
    extra: Mapping | None = None,
    baseline: Mapping | str | Path | None = None,
) -> dict[str, Path]:
    """Write the full report of one analysis into ``out_dir``.

    Parameters
    ----------
    assessment : Assessment or mapping
        ``flowgraph.assessment.assess(graph)`` result (anything with ``.to_dict()``)
        or the dict itself.
    graph : ServiceGraph
        The analysed graph (edges = evidence for exceptions; ``quality`` =
        data-quality section).
    out_dir : str or Path
        Created if missing; existing files of the same names are replaced.
    policy_zones : {"communities", "domains"}
        Zones of the draft policy: detected communities (default) or the
        declared domains of the inventory.
    pdf : bool
        Also write ``report.pdf`` (needs the ``pdf`` extra, WeasyPrint).
    generated_at : str or datetime, optional
        Fixed report timestamp for reproducible output.
    inputs, extra : mapping, optional
        Passed to :func:`~flowgraph.report.build.build_report`.
    baseline : mapping or path, optional
        An earlier ``report.json`` (parsed or its path): the report gains a
        ``drift`` section (:func:`flowgraph.policy.diff_reports` of the
        baseline against this analysis — zones split or merged, services
        moved, exceptions added and removed, verdict and interval change).

    Returns
    -------
    dict of str to Path
        Relative file name (``"report.json"``, ``"figures/null-model.png"``...)
        to the path written.

    Raises
    ------
    ConfigError
        ``policy_zones`` is invalid, or ``"domains"`` without declared domains.
    MissingDependencyError
        ``pdf=True`` without WeasyPrint (checked before anything is written).
    InputError
        ``baseline`` is not a readable flowgraph ``report.json`` (checked before
        anything is written).
    ReportValidationError
        The assessment does not produce a schema-valid report.
    """
    if policy_zones not in ("communities", "domains"):
        raise ConfigError(f"policy zones must be 'communities' or 'domains', not {policy_zones!r}")
    if pdf:
        require_weasyprint()
    if baseline is not None and not isinstance(baseline, Mapping):
        from ..policy.diff import load_report  # the drift is policy's comparison of two reports

        baseline = load_report(baseline)
    out = Path(out_dir)

    # -- compute everything ------------------------------------------------------------
    a = as_assessment_dict(assessment)
    flows = classify_flows(graph, a)
    report = build_report(a, graph, inputs=inputs, extra=extra, generated_at=generated_at, flows=flows)
    validate_report(report)
    policy = build_policy(report, graph, zones=policy_zones,  # type: ignore[arg-type]
                          flows=flows if policy_zones == "communities" else None)
    zone_flows = flows if policy_zones == "communities" else classify_flows(graph, a, zones="domains")
    report["enforcement"] = enforcement_section(policy, zone_flows, graph.quality.get("window"))
    if baseline is not None:
        from ..policy.diff import diff_reports

        report["drift"] = diff_reports(baseline, report)
    report["headline"]["caveats"] = caveats(report)  # the learning curve is a caveat too
    validate_report(report)
    figures = make_figures(report, strict=False)
    html = render_html(report, figures, flows, graph.samples)
    md = render_markdown(report, figures, figure_dir=FIGURE_DIR)
    exc_rows = report_csv.flow_rows(report_csv.with_first_sample(flows, graph.samples), "exception",
                                    report_csv.EXCEPTION_COLUMNS)
    shared_rows = report_csv.flow_rows(flows, "shared_zone", report_csv.FLOW_COLUMNS)
    external_rows = report_csv.flow_rows(flows, "external", report_csv.FLOW_COLUMNS)
    annotated = annotated_graph(graph, report, flows)

    # -- write -------------------------------------------------------------------------
    out.mkdir(parents=True, exist_ok=True)
    fig_dir = out / FIGURE_DIR
    fig_dir.mkdir(exist_ok=True)
    files: dict[str, Path] = {}
    files["report.json"] = _text(
        out / "report.json", json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    files["report.html"] = _text(out / "report.html", html)
    files["report.md"] = _text(out / "report.md", md)
    produced = set()
    for f in figures:
        files[f"{FIGURE_DIR}/{f.name}.png"] = _bytes(fig_dir / f"{f.name}.png", f.png)
        produced.add(f.name)
    known = {fn.__name__.replace("_", "-") for fn in FIGURES}
    for stale in known - produced:  # a figure from an earlier run whose data is now absent
        (fig_dir / f"{stale}.png").unlink(missing_ok=True)
    files["communities.csv"] = _text(out / "communities.csv", report_csv.csv_text(
        report_csv.communities_rows(report), report_csv.COMMUNITY_COLUMNS))
    files["services.csv"] = _text(out / "services.csv", report_csv.csv_text(
        report_csv.services_rows(report), report_csv.SERVICE_COLUMNS))
    files["exceptions.csv"] = _text(out / "exceptions.csv", report_csv.csv_text(
        exc_rows, report_csv.EXCEPTION_COLUMNS))
    files["shared_zone_flows.csv"] = _text(out / "shared_zone_flows.csv", report_csv.csv_text(
        shared_rows, report_csv.FLOW_COLUMNS))
    files["external_flows.csv"] = _text(out / "external_flows.csv", report_csv.csv_text(
        external_rows, report_csv.FLOW_COLUMNS))
    files["policy.json"] = _text(out / "policy.json", policy_json(policy))
    files["policy.yaml"] = _text(out / "policy.yaml", policy_yaml(policy))
    files["graph.graphml"] = _atomic(out / "graph.graphml", lambda p: write_graphml(annotated, p))
    files["graph.json"] = _atomic(out / "graph.json", lambda p: write_graph_json(annotated, p))
    if pdf:
        files["report.pdf"] = _atomic(out / "report.pdf", lambda p: write_pdf(html, p))
    return files
