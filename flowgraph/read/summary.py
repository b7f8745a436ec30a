"""What a read saw: counts of records, invalid lines by reason, files, bytes, time span.

:class:`ReadSummary` is filled while flow logs are read (see
:func:`flowgraph.read.scan_flows`) and is complete once the read finished.
Nothing the reader meets is dropped without being counted here: for every
text file ``records + invalid + header_lines + blank_lines`` equals the number
of physical lines read.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["ReadSummary", "MAX_EXAMPLES", "EXAMPLE_CHARS"]

MAX_EXAMPLES = 5
"""Examples kept per invalid-line reason."""
EXAMPLE_CHARS = 120
"""Characters of an invalid line kept in an example."""



def _example_text(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    text = text.rstrip("\r\n")
    # keep examples on one line whatever they contain
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text[:EXAMPLE_CHARS]


def _utc(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    try:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return str(seconds)


def _human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


@dataclass
class ReadSummary:
    """Counts and facts about one read of flow logs.

    Attributes
    ----------
    records : int
        Valid records (NODATA and SKIPDATA records included).
    nodata, skipdata : int
        Records whose ``log-status`` is ``NODATA`` / ``SKIPDATA``.
    invalid : int
        Lines (Parquet: rows) that are not valid records.
    invalid_by_reason : dict[str, int]
        ``invalid`` broken down by reason (``token_count``, ``non_numeric``,
        ``out_of_range``, ``time_out_of_range`` (``start``/``end`` before 2000 or
        more than a day after the clock), ``bad_bytes``, ``line_too_long``, ``unknown_header``,
        ``mid_file_header``, ``truncated``, ``invalid_json``, ``json_no_message``).
    invalid_examples : dict[str, list[str]]
        Up to five ``"file:line: <first 120 characters>"`` examples per reason.
    header_lines, blank_lines : int
        Header lines (first line, or the same header repeated, as in
        concatenated delivered objects) and blank lines skipped.
    records_with_extra_tokens, extra_tokens : int
        Records followed by tokens beyond the declared fields (kept: the
        declared fields are read), and how many such tokens there were.
    files_read : int
        Files opened and read.
    files_skipped : list[dict]
        ``{"file", "reason"}`` for each file not read (unsupported suffix,
        hidden or marker file, JSON that is no CloudWatch Logs export, unreadable).
    files_without_records : list[str]
        Files read that held no valid record.
    bytes_read : int
        Bytes read from storage (compressed size).
    bytes_decompressed : int
        Bytes after decompression (text and JSON files).
    dropped_columns : list[dict]
        ``{"file", "column", "reason"}`` for each column of a file not read
        (a Parquet column named ``_line`` or ``_file``, the reader's own names).
    truncated_files : list[dict]
        ``{"file", "records_kept", "reason"}`` for gzip files that ended early
        or are corrupt; every record before the damage is kept.
    first_start, last_end : int or None
        Earliest ``start`` and latest ``end`` in epoch seconds (millisecond
        values are divided by 1000 for this span only).
    millisecond_timestamps : int
        Records whose ``start`` or ``end`` exceeds 2147483647, i.e. looks like
        milliseconds; the values themselves are kept as given.
    formats : dict[str, int]
        Field list (space-separated AWS names) -> number of files using it.
    per_file : list[dict]
        One entry per file read with its own counts, format and layout.
    resolution : dict or None
        Filled by a later pipeline stage (traffic by address class).

    Examples
    --------
    >>> s = ReadSummary(records=3, nodata=1)
    >>> s.merge(ReadSummary(records=2, invalid=1, invalid_by_reason={"token_count": 1})).records
    5
    >>> s.to_dict()["invalid_by_reason"]
    {'token_count': 1}
    """

    records: int = 0
    nodata: int = 0
    skipdata: int = 0
    invalid: int = 0
    invalid_by_reason: dict[str, int] = field(default_factory=dict)
    invalid_examples: dict[str, list[str]] = field(default_factory=dict)
    header_lines: int = 0
    blank_lines: int = 0
    records_with_extra_tokens: int = 0
    extra_tokens: int = 0
    files_read: int = 0
    files_skipped: list[dict] = field(default_factory=list)
    files_without_records: list[str] = field(default_factory=list)
    bytes_read: int = 0
    bytes_decompressed: int = 0
    truncated_files: list[dict] = field(default_factory=list)
    dropped_columns: list[dict] = field(default_factory=list)
    first_start: int | None = None
    last_end: int | None = None
    millisecond_timestamps: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    per_file: list[dict] = field(default_factory=list)
    resolution: dict | None = None

    # ------------------------------------------------------------------ public
    def merge(self, other: ReadSummary) -> ReadSummary:
        """Add ``other`` into this summary (in place) and return ``self``."""
        for name in ("records", "nodata", "skipdata", "invalid", "header_lines", "blank_lines",
                     "records_with_extra_tokens", "extra_tokens", "files_read", "bytes_read", "bytes_decompressed", "millisecond_timestamps"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, count in other.invalid_by_reason.items():
            self.invalid_by_reason[reason] = self.invalid_by_reason.get(reason, 0) + count
        for reason, examples in other.invalid_examples.items():
            mine = self.invalid_examples.setdefault(reason, [])
            mine.extend(examples[: MAX_EXAMPLES - len(mine)])
        for fmt, count in other.formats.items():
            self.formats[fmt] = self.formats.get(fmt, 0) + count
        self.files_skipped.extend(dict(d) for d in other.files_skipped)
        self.files_without_records.extend(other.files_without_records)
        self.truncated_files.extend(dict(d) for d in other.truncated_files)
        self.dropped_columns.extend(dict(d) for d in other.dropped_columns)
        self.per_file.extend(dict(d) for d in other.per_file)
        self._span(other.first_start, other.last_end)
        if self.resolution is None and other.resolution is not None:
            self.resolution = dict(other.resolution)
        return self

    def to_dict(self) -> dict:
        """Plain JSON-safe dict (ints stay ints, no numpy or pandas types)."""
        out = {
            "records": int(self.records),
            "nodata": int(self.nodata),
            "skipdata": int(self.skipdata),
            "invalid": int(self.invalid),
            "invalid_by_reason": {str(k): int(v) for k, v in self.invalid_by_reason.items()},
            "invalid_examples": {str(k): [str(e) for e in v] for k, v in self.invalid_examples.items()},
            "header_lines": int(self.header_lines),
            "blank_lines": int(self.blank_lines),
            "records_with_extra_tokens": int(self.records_with_extra_tokens),
            "extra_tokens": int(self.extra_tokens),
            "files_read": int(self.files_read),
            "files_skipped": [dict(d) for d in self.files_skipped],
            "files_without_records": list(self.files_without_records),
            "bytes_read": int(self.bytes_read),
            "bytes_decompressed": int(self.bytes_decompressed),
            "truncated_files": [dict(d) for d in self.truncated_files],
            "dropped_columns": [dict(d) for d in self.dropped_columns],
            "first_start": None if self.first_start is None else int(self.first_start),
            "last_end": None if self.last_end is None else int(self.last_end),
            "millisecond_timestamps": int(self.millisecond_timestamps),
            "formats": {str(k): int(v) for k, v in self.formats.items()},
            "per_file": [dict(d) for d in self.per_file],
        }
        if self.resolution is not None:
            out["resolution"] = dict(self.resolution)
        return out

    def _rows(self) -> list[tuple[str, str, list[str]]]:
        """(label, value, detail lines) rows shared by the text and HTML renderings."""
        rows: list[tuple[str, str, list[str]]] = []
        skipped = ""
        if self.files_skipped:
            reasons: dict[str, int] = {}
            for d in self.files_skipped:
                reasons[d["reason"]] = reasons.get(d["reason"], 0) + 1
            skipped = f"  ({len(self.files_skipped)} skipped: " + ", ".join(
                f"{n} {r}" for r, n in reasons.items()) + ")"
        rows.append(("files read", f"{self.files_read:,}{skipped}", []))
        rows.append(("records", f"{self.records:,}  (NODATA {self.nodata:,}, SKIPDATA {self.skipdata:,})", []))
        by_reason = ", ".join(f"{r} {n:,}" for r, n in sorted(self.invalid_by_reason.items()))
        examples = [e for r in sorted(self.invalid_examples) for e in self.invalid_examples[r]]
        rows.append(("invalid lines", f"{self.invalid:,}" + (f"  ({by_reason})" if by_reason else ""),
                     examples))
        rows.append(("header lines", f"{self.header_lines:,}", []))
        rows.append(("blank lines", f"{self.blank_lines:,}", []))
        if self.records_with_extra_tokens:
            rows.append(("extra tokens", f"{self.extra_tokens:,} after the declared fields in "
                         f"{self.records_with_extra_tokens:,} records (records kept)", []))
        rows.append(("bytes read", f"{_human_bytes(self.bytes_read)}  (decompressed "
                     f"{_human_bytes(self.bytes_decompressed)})", []))
        if self.first_start is not None or self.last_end is not None:
            rows.append(("time span (UTC)", f"{_utc(self.first_start)} to {_utc(self.last_end)}", []))
        if self.millisecond_timestamps:
            rows.append(("ms timestamps", f"{self.millisecond_timestamps:,} records "
                         "(start/end > 2147483647, kept as given)", []))
        if self.truncated_files:
            rows.append(("truncated files", f"{len(self.truncated_files)}",
                         [f"{d['file']}: {d.get('reason', 'truncated')}, kept {d['records_kept']:,} records"
                          for d in self.truncated_files]))
        if self.dropped_columns:
            rows.append(("dropped columns", f"{len(self.dropped_columns)}",
                         [f"{d['file']}: {d['column']} ({d['reason']})" for d in self.dropped_columns[:20]]))
        if self.files_without_records:
            rows.append(("files without records", f"{len(self.files_without_records)}",
                         list(self.files_without_records)))
        if self.files_skipped:
            rows.append(("files skipped", f"{len(self.files_skipped)}",
                         [f"{d['file']}: {d['reason']}" for d in self.files_skipped[:20]]
                         + (["..."] if len(self.files_skipped) > 20 else [])))
        if self.formats:
            rows.append(("formats", f"{len(self.formats)}",
                         [f"{n} file(s): {fmt}" for fmt, n in self.formats.items()]))
        if self.resolution is not None:
            rows.append(("resolution", "", [f"{k}: {v}" for k, v in self.resolution.items()]))
        return rows

    def __str__(self) -> str:
        lines = ["flow-log read summary"]
        for label, value, details in self._rows():
            lines.append(f"  {label:<22}{value}".rstrip())
            lines.extend(f"      {d}" for d in details)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = []
        for label, value, details in self._rows():
            detail = "".join(f"<br><code>{html.escape(d)}</code>" for d in details)
            cells.append(f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
                         f"<td style='text-align:left'>{html.escape(value)}{detail}</td></tr>")
        return ("<table class='flowgraph-read-summary'><caption>flow-log read summary</caption>"
                + "".join(cells) + "</table>")

    # ----------------------------------------------------------------- private
    def _span(self, first_start: int | None, last_end: int | None) -> None:
        if first_start is not None:
            self.first_start = first_start if self.first_start is None else min(self.first_start, first_start)
        if last_end is not None:
            self.last_end = last_end if self.last_end is None else max(self.last_end, last_end)

    def _start_file(self, path: str, fmt: str) -> dict:
        entry: dict[str, Any] = {"file": path, "format": fmt, "layout": None, "fields": None, "lines": 0,
                 "records": 0, "nodata": 0, "skipdata": 0, "invalid": 0, "invalid_by_reason": {},
                 "header_lines": 0, "blank_lines": 0, "records_with_extra_tokens": 0,
                 "extra_tokens": 0, "bytes_read": 0, "bytes_decompressed": 0,
                 "truncated": None, "extra_columns": [], "millisecond_timestamps": 0,
                 "first_start": None, "last_end": None}
        self.per_file.append(entry)
        self.files_read += 1
        return entry

    def _set_layout(self, entry: dict, layout: str, fields: tuple[str, ...], extras: list[str]) -> None:
        entry["layout"] = layout
        entry["fields"] = " ".join(fields)
        entry["extra_columns"] = list(extras)
        self.formats[entry["fields"]] = self.formats.get(entry["fields"], 0) + 1

    def _invalid(self, entry: dict, reason: str, line: int, text: bytes | str) -> None:
        self.invalid += 1
        entry["invalid"] += 1
        self.invalid_by_reason[reason] = self.invalid_by_reason.get(reason, 0) + 1
        entry["invalid_by_reason"][reason] = entry["invalid_by_reason"].get(reason, 0) + 1
        examples = self.invalid_examples.setdefault(reason, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(f"{entry['file']}:{line}: {_example_text(text)}")

    def _header(self, entry: dict, n: int = 1) -> None:
        self.header_lines += n
        entry["header_lines"] += n

    def _extra(self, entry: dict, tokens: int) -> None:
        self.records_with_extra_tokens += 1
        self.extra_tokens += tokens
        entry["records_with_extra_tokens"] += 1
        entry["extra_tokens"] += tokens

    def _blank(self, entry: dict, n: int = 1) -> None:
        self.blank_lines += n
        entry["blank_lines"] += n

    def _records(self, entry: dict, n: int, nodata: int, skipdata: int, ms: int,
                 first_start: int | None, last_end: int | None) -> None:
        self.records += n
        self.nodata += nodata
        self.skipdata += skipdata
        self.millisecond_timestamps += ms
        entry["records"] += n
        entry["nodata"] += nodata
        entry["skipdata"] += skipdata
        entry["millisecond_timestamps"] += ms
        self._span(first_start, last_end)
        if first_start is not None:
            entry["first_start"] = (first_start if entry["first_start"] is None
                                    else min(entry["first_start"], first_start))
        if last_end is not None:
            entry["last_end"] = last_end if entry["last_end"] is None else max(entry["last_end"], last_end)

    def _bytes(self, entry: dict | None, read: int, decompressed: int) -> None:
        self.bytes_read += read
        self.bytes_decompressed += decompressed
        if entry is not None:
            entry["bytes_read"] += read
            entry["bytes_decompressed"] += decompressed

    def _finish_file(self, entry: dict) -> None:
        entry["lines"] = sum(entry[k] for k in ("records", "invalid", "header_lines", "blank_lines"))
        if entry["truncated"]:
            self.truncated_files.append({"file": entry["file"], "records_kept": entry["records"],
                                         "reason": entry["truncated"]})
        if entry["records"] == 0:
            self.files_without_records.append(entry["file"])

    def _drop_column(self, entry: dict, column: str, reason: str) -> None:
        self.dropped_columns.append({"file": entry["file"], "column": column, "reason": reason})

    def _skip(self, path: str, reason: str) -> None:
        self.files_skipped.append({"file": path, "reason": reason})

    def _no_records_sentence(self, description: str) -> str:
        """One sentence explaining why no record came out of ``description``."""
        if self.files_read == 0:
            if self.files_skipped:
                reasons = sorted({d["reason"] for d in self.files_skipped})
                return (f"no flow-log file to read in {description} ({len(self.files_skipped)} "
                        f"file(s) skipped: {'; '.join(reasons)})")
            return f"no flow-log file found in {description}"
        lines = self.invalid + self.header_lines + self.blank_lines
        if lines == 0 and self.truncated_files:
            first = self.truncated_files[0]
            more = f"; {len(self.truncated_files) - 1} more file(s) cut short" if len(self.truncated_files) > 1 else ""
            return f"no valid flow-log record found in {description} ({first['file']}: {first['reason']}{more})"
        if lines == 0:
            what = "the file is empty" if self.files_read == 1 else "all files are empty"
            return f"no valid flow-log record found in {description} ({what})"
        parts = []
        if self.header_lines:
            parts.append(f"{self.header_lines} header")
        if self.blank_lines:
            parts.append(f"{self.blank_lines} blank")
        if self.invalid:
            parts.append(f"{self.invalid} invalid: " + ", ".join(
                f"{n} {r}" for r, n in sorted(self.invalid_by_reason.items(), key=lambda x: -x[1])))
        return (f"no valid flow-log record found in {description} "
                f"({lines} line{'s' if lines != 1 else ''}, {', '.join(parts)})")
