"""Formula-safe CSV output: communities.csv, services.csv, exceptions.csv and friends.

Service names, tags and domains come from the estate and are untrusted.  A
cell such as ``=HYPERLINK("http://evil", "x")`` opened in a spreadsheet is
a formula, so every *text* cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return (also after leading spaces, and their full-width
forms) is prefixed with a single quote ``'`` (OWASP "CSV injection").  Real
numbers — Python numbers, or text that is a plain decimal number such as
``-5`` or ``+1.5e3`` — are left alone so they stay numbers.  Files are written
with :mod:`csv` (``QUOTE_MINIMAL``), UTF-8, ``\\n`` line ends.

Examples
--------
>>> safe_cell('=HYPERLINK("x")')
'\\'=HYPERLINK("x")'
>>> safe_cell("-5"), safe_cell(-5), safe_cell("@sum"), safe_cell("pay-api")
('-5', -5, "'@sum", 'pay-api')
>>> safe_cell("-1+2"), safe_cell(None)
("'-1+2", '')
"""

from __future__ import annotations

import csv as _csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ._util import iso_utc, json_safe

__all__ = [
    "EXCEPTION_COLUMNS",
    "FLOW_COLUMNS",
    "safe_cell",
    "csv_text",
    "write_csv",
    "communities_rows",
    "services_rows",
    "flow_rows",
    "with_first_sample",
]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

EXCEPTION_COLUMNS = (
    "source_service", "source_community", "destination_service", "destination_community",
    "server_port", "protocol", "connections", "bytes", "first_seen", "last_seen",
    # evidence and context beyond the contract columns
    "protocol_name", "packets", "days_seen", "hours_seen", "source_domain", "destination_domain",
    # the flow's first sample record: its earliest connection's first record as logged
    *(f"sample_{c}" for c in ("start", "src_addr", "src_port", "dst_addr", "dst_port", "bytes", "interface",
                              "file", "line")),
)
"""Columns of exceptions.csv: the contract columns first, then extra evidence, then the
flow's first sample record (``ServiceGraph.samples`` with ``sample == 1``; empty without one)."""

SAMPLE_FIELDS = ("start", "src_addr", "src_port", "dst_addr", "dst_port", "bytes", "interface", "file", "line")

FLOW_COLUMNS = (
    "source_service", "source_class", "source_community", "destination_service",
    "destination_class", "destination_community", "server_port", "protocol", "protocol_name",
    "connections", "packets", "bytes", "first_seen", "last_seen", "days_seen", "hours_seen",
)
"""Columns of shared_zone_flows.csv and external_flows.csv."""


def safe_cell(value: Any) -> Any:
    """Neutralise a value for a spreadsheet cell (see module docstring).

    ``None``/NaN become the empty string, booleans ``true``/``false``,
    numbers are returned unchanged.
    """
    value = json_safe(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if not isinstance(value, str):
        value = str(value)
    stripped = value.lstrip(" ")
    if stripped.startswith(_TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as formula-safe CSV text with a header line.

    Examples
    --------
    >>> print(csv_text([{"a": "=1+1", "b": -5, "c": "x,y"}], ["a", "b", "c"]), end="")
    a,b,c
    '=1+1,-5,"x,y"
    """
    buf = io.StringIO()
    writer = _csv.writer(buf, quoting=_csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return buf.getvalue()


def write_csv(path: str | Path, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> Path:
    """Write :func:`csv_text` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(csv_text(rows, columns), encoding="utf-8", newline="")
    return path


# -- row builders ------------------------------------------------------------------------
COMMUNITY_COLUMNS = (
    "id", "size", "internal_edges", "external_edges", "conductance", "strong", "weak",
    "dominant_domain", "services",
)
SERVICE_COLUMNS = (
    "service", "community", "shared", "kind", "domain", "degree", "mu", "participation",
    "within_z", "role",
)


def communities_rows(report: Mapping) -> list[dict]:
    """communities.csv rows: one per community, members joined with ``"; "``.

    Examples
    --------
    >>> communities_rows({"communities": [{"id": 0, "services": ["b", "a"], "size": 2}]})[0]["services"]
    'a; b'
    """
    rows = []
    for c in report.get("communities") or []:
        row = {k: c.get(k) for k in COMMUNITY_COLUMNS}
        row["services"] = "; ".join(sorted(str(s) for s in c.get("services") or []))
        if row["size"] is None:
            row["size"] = len(c.get("services") or [])
        rows.append(row)
    return rows


def services_rows(report: Mapping) -> list[dict]:
    """services.csv rows: one per service with its community, role and metrics."""
    return [{k: s.get(k) for k in SERVICE_COLUMNS} for s in report.get("services") or []]


def with_first_sample(flows: pd.DataFrame, samples: pd.DataFrame | None) -> pd.DataFrame:
    """Flows with ``sample_*`` columns: the first sample record of each (client, server, port, protocol).

    One row per flow still (a left join on the edge key); ``sample_start`` is
    ISO UTC; flows without a sample get ``None``.

    Examples
    --------
    >>> f = pd.DataFrame({"source_service": ["a"], "destination_service": ["b"], "server_port": [443],
    ...                   "protocol": [6]})
    >>> s = pd.DataFrame({"client": ["a", "a"], "server": ["b", "b"], "server_port": [443, 443], "protocol": [6, 6],
    ...     "sample": [2, 1], "start": [60, 0], "src_addr": ["10.0.0.1"] * 2, "src_port": [40001, 40000],
    ...     "dst_addr": ["10.0.0.2"] * 2, "dst_port": [443, 443], "bytes": [9, 8], "interface": ["eni-1"] * 2,
    ...     "file": ["=x.log"] * 2, "line": [3, 2]})
    >>> r = with_first_sample(f, s).iloc[0]
    >>> r["sample_start"], r["sample_src_port"], r["sample_file"], r["sample_line"]
    ('1970-01-01T00:00:00Z', 40000, '=x.log', 2)
    """
    out = flows.copy()
    cols = [f"sample_{c}" for c in SAMPLE_FIELDS]
    if samples is None or not len(samples) or not len(out):
        for c in cols:
            out[c] = None
        return out
    first = samples[samples["sample"] == 1]

    def key(df: pd.DataFrame, a: str, b: str) -> pd.Series:
        port = pd.to_numeric(df["server_port"], errors="coerce").fillna(-1).astype("int64").astype(str)
        proto = pd.to_numeric(df["protocol"], errors="coerce").fillna(-1).astype("int64").astype(str)
        return (df[a].astype(str) + "\x00" + df[b].astype(str) + "\x00" + port + "\x00" + proto).to_numpy()

    table = pd.DataFrame({f"sample_{c}": first[c].astype(object).where(first[c].notna(), None).to_numpy()
                          for c in SAMPLE_FIELDS}, index=key(first, "client", "server"))
    table = table[~table.index.duplicated()]
    picked = table.reindex(key(out, "source_service", "destination_service"))
    for c in cols:
        out[c] = picked[c].astype(object).where(picked[c].notna(), None).to_numpy()
    out["sample_start"] = [iso_utc(v) for v in out["sample_start"]]
    return out


def flow_rows(flows: pd.DataFrame, category: str, columns: Sequence[str]) -> list[dict]:
    """Rows of one category of :func:`~flowgraph.report.flows.classify_flows`, times as ISO UTC.

    Shared-zone endpoints get ``shared`` as their community, external
    endpoints their class (``internet``, ``aws-service``, ``unknown``).
    """
    sel = flows[flows["category"] == category]
    rows = []
    for rec in sel.to_dict("records"):
        for side in ("source", "destination"):
            if rec[f"{side}_community"] is None and rec[f"{side}_class"] != "service":
                rec[f"{side}_community"] = rec[f"{side}_class"]
        rec["first_seen"] = iso_utc(rec["first_seen"])
        rec["last_seen"] = iso_utc(rec["last_seen"])
        rows.append({c: rec.get(c) for c in columns})
    return rows
