"""Parse space-separated flow-log text (S3 ``.log``/``.log.gz``, CloudWatch messages).

The hot path is vectorised: :mod:`pyarrow.csv` splits the (sanitised, see
:mod:`flowgraph.read.streams`) lines on single spaces into binary columns,
``-`` becomes null in the parser, and each batch is converted with a few
Arrow kernels.  Only lines that do not fit the layout reach Python: rows with
the wrong number of columns (the CSV parser hands them to an invalid-row
handler), rows with an empty value (double, leading or trailing spaces; blank
lines), rows whose first value is a field name (a repeated header) and rows
whose integer fields do not parse.  Those lines are re-split on runs of
whitespace and classified as blank, header, invalid (with a reason) or a
recovered record, which is merged back in file order.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .fields import (
    CANONICAL_FIELDS,
    DEFAULT_FORMAT,
    FIELD_MAX,
    INTEGER_FIELDS,
    column_name,
    field_name,
    is_known_field,
)
from .streams import BOM, CHUNK, PrefetchReader, StreamState
from .summary import ReadSummary

__all__ = [
    "Layout",
    "make_layout",
    "header_kind",
    "classify_line",
    "read_text",
    "tally_batch",
    "plausible_times",
    "MIN_PLAUSIBLE_EPOCH",
    "FUTURE_SLACK_SECONDS",
    "MS_THRESHOLD",
]

MS_THRESHOLD = 2_147_483_647
"""``start``/``end`` values above this are taken to be milliseconds."""
INT64_MAX = 2**63 - 1

_NAME = re.compile(rb"^[a-z][a-z0-9_-]*$")
_KNOWN_NAMES: frozenset[bytes] = frozenset(
    n.encode() for f in CANONICAL_FIELDS for n in (f, column_name(f))
)
_DIGITS = r"^[0-9]{1,18}$"
_MAX_DIGITS = 19  # significant digits of INT64_MAX; a longer token is out of range without int()


@dataclass(frozen=True)
class Layout:
    """How the tokens of a line map to columns.

    Attributes
    ----------
    fields : tuple of str
        Field names in line order (known fields spelled with dashes).
    source : str
        ``"header"`` (from a header line), ``"fields"`` (the caller's format)
        or ``"default"`` (the version-2 default format).
    columns : tuple of (str or None)
        Output column per position; ``None`` for a repeated name (ignored).
    is_int : tuple of bool
        Whether the field at each position is an integer field.
    extras : tuple of str
        Output columns of unknown field names (kept as strings).
    """

    fields: tuple[str, ...]
    source: str
    columns: tuple[str | None, ...]
    is_int: tuple[bool, ...]
    extras: tuple[str, ...]

    @property
    def format(self) -> str:
        """The field list as a space-separated string."""
        return " ".join(self.fields)


def make_layout(fields: tuple[str, ...] | list[str], source: str) -> Layout:
    """Build a :class:`Layout` from field names (dash or underscore spelling).

    Examples
    --------
    >>> lay = make_layout(["version", "log_status", "my-field", "version"], "header")
    >>> lay.columns, lay.extras
    (('version', 'log_status', 'my_field', None), ('my_field',))
    """
    names = tuple(field_name(f) if is_known_field(f) else f for f in fields)
    seen: set[str] = set()
    columns: list[str | None] = []
    extras: list[str] = []
    for name in names:
        col = column_name(name)
        if col in seen:
            columns.append(None)
            continue
        seen.add(col)
        columns.append(col)
        if not is_known_field(name):
            extras.append(col)
    is_int = tuple(n in INTEGER_FIELDS for n in names)
    return Layout(names, source, tuple(columns), is_int, tuple(extras))


def header_kind(tokens: list[bytes]) -> str | None:
    """``"header"``, ``"unknown_header"`` or ``None`` for the whitespace tokens of a line.

    A header is a line whose tokens all look like field names
    (``^[a-z][a-z0-9_-]*$``) with at least one known field among them; when
    none is known the line is an ``"unknown_header"``.

    Examples
    --------
    >>> header_kind(b"version account-id srcaddr".split())
    'header'
    >>> header_kind(b"bogus line".split())
    'unknown_header'
    >>> header_kind(b"2 123456789010 eni-1".split()) is None
    True
    """
    if not tokens or not all(_NAME.match(t) for t in tokens):
        return None
    return "header" if any(t in _KNOWN_NAMES for t in tokens) else "unknown_header"


def _header_fields(tokens: list[bytes]) -> tuple[str, ...]:
    """Field names of header tokens, spelled as in a :class:`Layout` (known fields with dashes)."""
    names = [t.decode("ascii") for t in tokens]
    return tuple(field_name(n) if is_known_field(n) else n for n in names)


def classify_line(line: bytes, layout: Layout) -> tuple[str, object]:
    """Classify one line the slow way (split on runs of ASCII whitespace).

    Returns ``("blank", None)``, ``("header", None)`` (a repeated header of
    the layout in force), ``("invalid", reason)``, ``("record", values)`` with
    ``values`` a list of ``int``/``str``/``None``, or ``("extra", (values, n))``
    for a record followed by ``n`` tokens beyond the declared fields (the
    record is kept, the extra tokens are counted).

    Integer fields must be plain decimal digits (no sign, no ``0x``) within
    :data:`~flowgraph.read.fields.FIELD_MAX`; a header-like line whose fields
    differ from the layout is ``mid_file_header``.  A UTF-8 byte-order mark at
    the start of the line is ignored.

    Examples
    --------
    >>> lay = make_layout(["srcport", "action"], "fields")
    >>> classify_line(b" 443\\t ACCEPT  ", lay)
    ('record', [443, 'ACCEPT'])
    >>> classify_line(b"x ACCEPT", lay), classify_line(b"+5 ACCEPT", lay), classify_line(b"0x1f ACCEPT", lay)
    (('invalid', 'non_numeric'), ('invalid', 'non_numeric'), ('invalid', 'non_numeric'))
    >>> classify_line(b"70000 ACCEPT", lay), classify_line(b"9" * 5000 + b" ACCEPT", lay)
    (('invalid', 'out_of_range'), ('invalid', 'out_of_range'))
    >>> classify_line(b"srcport action", lay), classify_line(b"dstport action", lay)
    (('header', None), ('invalid', 'mid_file_header'))
    >>> classify_line(b"443 ACCEPT extra data", lay)
    ('extra', ([443, 'ACCEPT'], 2))
    """
    if line.startswith(BOM):
        line = line[len(BOM):]
    tokens = line.split()
    if not tokens:
        return "blank", None
    if header_kind(tokens) == "header":
        if _header_fields(tokens) == layout.fields:
            return "header", None
        return "invalid", "mid_file_header"
    n_fields = len(layout.fields)
    if len(tokens) < n_fields:
        return "invalid", "token_count"
    values: list = []
    for tok, is_int, name in zip(tokens, layout.is_int, layout.fields, strict=False):
        if tok == b"-":
            values.append(None)
        elif is_int:
            if not tok.isdigit():  # ASCII digits only: no sign, no hex, no other scripts
                return "invalid", "non_numeric"
            if len(tok.lstrip(b"0")) > _MAX_DIGITS:
                return "invalid", "out_of_range"  # never int() a 5,000-digit token
            value = int(tok)
            if value > FIELD_MAX.get(name, INT64_MAX):
                return "invalid", "out_of_range"
            values.append(value)
        else:
            try:
                values.append(tok.decode("utf-8"))
            except UnicodeDecodeError:
                return "invalid", "bad_bytes"
    if len(tokens) > n_fields:
        return "extra", (values, len(tokens) - n_fields)
    return "record", values


MIN_PLAUSIBLE_EPOCH = 946_684_800
"""2000-01-01 00:00:00 UTC in seconds: the earliest plausible ``start``/``end``.

No cloud delivered flow logs before 2000 (AWS VPC flow logs date from 2015);
an earlier value is a zero, a placeholder or a corrupt counter.
"""
FUTURE_SLACK_SECONDS = 86_400
"""How far after the reading host's clock a ``start``/``end`` may lie (one day).

A day covers any clock skew between the producer and the reader and every
time zone mistake; a later value cannot have been captured yet.
"""


def plausible_times(batch: pa.RecordBatch, now: float | None = None) -> np.ndarray | None:
    """Mask of rows whose ``start`` or ``end`` lies outside the plausible epoch range.

    A time is plausible from :data:`MIN_PLAUSIBLE_EPOCH` (2000-01-01) to one day
    (:data:`FUTURE_SLACK_SECONDS`) after ``now`` (default: the clock), after
    converting values above :data:`MS_THRESHOLD` from milliseconds.  Null times
    are plausible (a ``NODATA`` record may have none).  Returns ``None`` when every
    row is plausible.

    Examples
    --------
    >>> b = pa.record_batch({"start": [1700000000, 1, 1700000000000, None],
    ...                      "end": [1700000060, 60, 4102444800000, None]})
    >>> plausible_times(b, now=1764720000).tolist()
    [False, True, True, False]
    """
    names = batch.schema.names
    now = time.time() if now is None else now
    high = int(now) + FUTURE_SLACK_SECONDS
    bad = None
    for name in ("start", "end"):
        if name not in names:
            continue
        col = batch.column(names.index(name))
        if col.null_count == len(col):
            continue
        values = col.to_numpy(zero_copy_only=False)
        if col.null_count:
            valid = np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            values = np.where(valid, values, MIN_PLAUSIBLE_EPOCH).astype(np.int64)
        seconds = np.where(values > MS_THRESHOLD, values // 1000, values)
        wrong = (seconds < MIN_PLAUSIBLE_EPOCH) | (seconds > high)
        if wrong.any():
            bad = wrong if bad is None else (bad | wrong)
    return bad


def tally_batch(summary: ReadSummary, entry: dict, batch: pa.RecordBatch) -> pa.RecordBatch:
    """Drop records with implausible times, then add the rest to the summary.

    A record whose ``start`` or ``end`` is outside the plausible range (see
    :func:`plausible_times`) is counted invalid, reason ``time_out_of_range``,
    with its file and line (``_line``); the counts, NODATA/SKIPDATA and time
    span cover the records kept, which are returned.
    """
    bad = plausible_times(batch) if batch.num_rows else None
    if bad is not None:
        names = batch.schema.names
        cols = {n: batch.column(names.index(n)).to_pylist() for n in ("start", "end", "_line") if n in names}
        for i in np.flatnonzero(bad).tolist():
            line = cols["_line"][i] if "_line" in cols else 0
            text = " ".join(f"{n}={cols[n][i]}" for n in ("start", "end") if n in cols)
            summary._invalid(entry, "time_out_of_range", int(line or 0), text)
        batch = batch.filter(pa.array(~bad))
    _tally(summary, entry, batch)
    return batch


def _tally(summary: ReadSummary, entry: dict, batch: pa.RecordBatch) -> None:
    n = batch.num_rows
    if n == 0:
        return
    names = batch.schema.names
    nodata = skipdata = 0
    if "log_status" in names:
        status = batch.column(names.index("log_status"))
        if status.null_count < n:
            nodata = int(pc.sum(pc.equal(status, "NODATA")).as_py() or 0)
            skipdata = int(pc.sum(pc.equal(status, "SKIPDATA")).as_py() or 0)
    first_start = last_end = None
    ms = None
    for name in ("start", "end"):
        if name not in names:
            continue
        col = batch.column(names.index(name))
        if col.null_count == n:
            continue
        is_ms = None
        if (pc.max(col).as_py() or 0) > MS_THRESHOLD:
            is_ms = pc.fill_null(pc.greater(col, MS_THRESHOLD), False)
            col = pc.if_else(is_ms, pc.divide(col, 1000), col)
            ms = is_ms if ms is None else pc.or_(ms, is_ms)
        if name == "start":
            first_start = pc.min(col).as_py()
        else:
            last_end = pc.max(col).as_py()
    n_ms = int(pc.sum(ms).as_py() or 0) if ms is not None else 0
    summary._records(entry, n, nodata, skipdata, n_ms, first_start, last_end)


def _identity(lines: np.ndarray) -> np.ndarray:
    return lines


class _TextParser:
    """State of one file's parse (see :func:`read_text`)."""

    def __init__(self, reader: PrefetchReader, state: StreamState, default: Layout,
                 summary: ReadSummary, entry: dict,
                 map_lines: Callable[[np.ndarray], np.ndarray] | None = None):
        self.reader = reader
        self.state = state
        self.layout = default
        self.summary = summary
        self.entry = entry
        self.map_lines = map_lines or _identity
        self.offset = 0  # lines consumed before the CSV parser starts
        self.skipped: list[int] = []  # handler lines after ``base``, ascending
        self.base = 0  # line number of the last batch row placed
        self.pending: list[tuple[int, list]] = []  # recovered records (line, values)
        self.schema: pa.Schema | None = None

    # -- bookkeeping -------------------------------------------------------
    def _line_no(self, line: int) -> int:
        return int(self.map_lines(np.array([line], dtype=np.int64))[0])

    def _invalid(self, reason: str, line: int, text: bytes) -> None:
        self.summary._invalid(self.entry, reason, self._line_no(line), text)

    def _slow(self, line: int, raw: bytes) -> None:
        flag = self.state.flags.pop(line, None)
        if flag is not None:
            self._invalid(flag[0], line, flag[1])
            return
        kind, value = classify_line(raw, self.layout)
        if kind == "blank":
            self.summary._blank(self.entry)
        elif kind == "header":
            self.summary._header(self.entry)
        elif kind == "invalid":
            self._invalid(cast(str, value), line, raw)  # the reason
        elif kind == "extra":
            values, n_extra = cast(tuple[list, int], value)
            self.summary._extra(self.entry, n_extra)
            self.pending.append((line, values))
        else:
            self.pending.append((line, cast(list, value)))  # a record's values

    # -- leading lines -------------------------------------------------------
    def _leading(self) -> bool:
        """Consume blank/flagged lines and a header at the start; False at end of data."""
        header_seen = False
        while True:
            line = self.reader.peek_line()
            if line is None:
                return False
            no = self.offset + 1
            if not line:
                # a run of empty lines at once: a file of newlines costs no Python per line
                run = self.reader.skip_newlines()
                if run == 0:  # pragma: no cover - an empty line ends with a newline
                    self.reader.skip_line()
                    run = 1
                self._blank_run(no, run)
                self.offset += run
                continue
            flag = self.state.flags.pop(no, None)
            if flag is not None:
                self._invalid(flag[0], no, flag[1])
            else:
                tokens = line.split()
                if tokens:
                    kind = None if header_seen else header_kind(tokens)
                    if kind == "header":
                        self.layout = make_layout([t.decode() for t in tokens], "header")
                        self.summary._header(self.entry)
                        header_seen = True
                    elif kind == "unknown_header":
                        self._invalid("unknown_header", no, line)
                        header_seen = True
                    else:
                        return True
                else:
                    self.summary._blank(self.entry)
            self.reader.skip_line()
            self.offset += 1

    def _blank_run(self, first: int, n: int) -> None:
        """Count lines ``first .. first + n - 1`` (all empty) as blank, or invalid where flagged."""
        flags = self.state.flags
        flagged = [k for k in flags if first <= k < first + n] if flags else []
        for k in sorted(flagged):
            reason, text = flags.pop(k)
            self._invalid(reason, k, text)
        if n > len(flagged):
            self.summary._blank(self.entry, n - len(flagged))

    # -- CSV handler ------------------------------------------------------------
    def _on_invalid_row(self, row) -> str:
        if row.number < 0:  # pragma: no cover - only with use_threads=True
            raise RuntimeError("the CSV parser did not report a row number")
        line = row.number + self.offset
        self.skipped.append(line)
        self._slow(line, row.text.encode("utf-8"))
        return "skip"

    def _place(self, n: int) -> np.ndarray:
        """Physical line numbers of the next ``n`` batch rows."""
        j = np.arange(n, dtype=np.int64)
        if self.skipped:
            s = np.asarray(self.skipped, dtype=np.int64)
            adj = s - self.base - np.arange(len(s), dtype=np.int64) - 1
            lines = self.base + j + 1 + np.searchsorted(adj, j, side="right")
        else:
            lines = self.base + j + 1
        if n:
            self.base = int(lines[-1])
            if self.skipped and self.skipped[0] <= self.base:
                self.skipped = [s for s in self.skipped if s > self.base]
        return lines

    # -- batches ------------------------------------------------------------------
    def _raw_row(self, cols: list[pa.Array], i: int) -> bytes:
        return b" ".join(b"-" if v is None else v for v in (c[i].as_py() for c in cols))

    def _to_slow(self, cols: list[pa.Array], lines: np.ndarray, mask: np.ndarray) -> None:
        for i in np.flatnonzero(mask).tolist():
            self._slow(int(lines[i]), self._raw_row(cols, i))

    def _int_columns(self, cols: list[pa.Array]) -> tuple[dict[int, pa.Array], np.ndarray | None]:
        """Cast integer columns; return the casts and a mask of rows that failed.

        A column is cast only when every byte of its values is a decimal
        digit and no value is longer than 18 digits (one pass over the data
        buffer); Arrow's own cast would accept ``0x1f`` and ``-0``.  Rows
        beyond :data:`~flowgraph.read.fields.FIELD_MAX` fail too.
        """
        out: dict[int, pa.Array] = {}
        bad = None
        layout = self.layout
        for pos, (col_name, is_int) in enumerate(zip(layout.columns, layout.is_int, strict=True)):
            if not is_int or col_name is None:
                continue
            text = cols[pos].view(pa.string())
            if _digits_only(cols[pos]):
                ints = pc.cast(text, pa.int64())
                out[pos] = ints
                limit = FIELD_MAX.get(layout.fields[pos])
                if limit is None or ints.null_count == len(ints) or pc.max(ints).as_py() <= limit:
                    continue
                wrong = pc.fill_null(pc.greater(ints, limit), False).to_numpy(zero_copy_only=False)
            else:
                ok = pc.fill_null(pc.match_substring_regex(text, _DIGITS), True)
                wrong = np.logical_not(ok.to_numpy(zero_copy_only=False))
            bad = wrong if bad is None else (bad | wrong)
        return out, bad

    def _convert(self, batch: pa.RecordBatch) -> pa.RecordBatch | None:
        n = batch.num_rows
        lines = self._place(n)
        if n == 0:
            return None
        cols = list(batch.columns)
        # rows for the slow path: empty values (blank line, odd spaces) and field names
        mask = None
        for col in cols:
            lengths = pc.binary_length(col)
            low = pc.min(lengths).as_py()
            if low is not None and low == 0:
                m = pc.fill_null(pc.equal(lengths, 0), False).to_numpy(zero_copy_only=False)
                mask = m if mask is None else (mask | m)
        # header-like rows: a field name first; without integer columns (which no name passes)
        # a name anywhere
        for col in (cols if not any(self.layout.is_int) else cols[:1]):
            named = pc.is_in(col, value_set=_KNOWN_NAMES_ARRAY)
            if pc.any(named).as_py():
                m = pc.fill_null(named, False).to_numpy(zero_copy_only=False)
                mask = m if mask is None else (mask | m)
        if mask is not None and mask.any():
            self._to_slow(cols, lines, mask)
            keep = pa.array(~mask)
            cols = [c.filter(keep) for c in cols]
            lines = lines[~mask]
        # at most three rounds: non-digit rows, then out-of-range rows of the now all-digit
        # columns, then nothing
        for _ in range(3):
            ints, bad = self._int_columns(cols)
            if bad is None or not bad.any():
                break
            self._to_slow(cols, lines, bad)
            keep = pa.array(~bad)
            cols = [c.filter(keep) for c in cols]
            lines = lines[~bad]
        else:  # pragma: no cover - cannot happen: the third round sees only valid digits
            raise RuntimeError("integer conversion failed after filtering")
        arrays, names = [], []
        for pos, col_name in enumerate(self.layout.columns):
            if col_name is None:
                continue
            arrays.append(ints[pos] if pos in ints else cols[pos].view(pa.string()))
            names.append(col_name)
        arrays.append(pa.array(lines, type=pa.int64()))
        names.append("_line")
        out = pa.RecordBatch.from_arrays(arrays, names=names)
        self.schema = out.schema
        return self._merge(out, self.base)

    def _schema(self) -> pa.Schema:
        if self.schema is None:
            fields = [pa.field(c, pa.int64() if i else pa.string())
                      for c, i in zip(self.layout.columns, self.layout.is_int, strict=True) if c is not None]
            self.schema = pa.schema([*fields, pa.field("_line", pa.int64())])
        return self.schema

    def _merge(self, batch: pa.RecordBatch | None, upto: int | None) -> pa.RecordBatch | None:
        """Merge recovered records with line <= ``upto`` (all if None) into ``batch``."""
        if not self.pending:
            return batch
        if upto is None:
            take, self.pending = self.pending, []
        else:
            take = [p for p in self.pending if p[0] <= upto]
            if not take:
                return batch
            self.pending = [p for p in self.pending if p[0] > upto]
        take.sort(key=lambda p: p[0])
        schema = self._schema()
        positions = [i for i, c in enumerate(self.layout.columns) if c is not None]
        data = {name: [p[1][pos] for p in take] for name, pos in zip(schema.names, positions, strict=False)}
        data["_line"] = [p[0] for p in take]
        recovered = pa.RecordBatch.from_pydict(data, schema=schema)
        if batch is None or batch.num_rows == 0:
            return recovered
        table = pa.Table.from_batches([batch, recovered]).sort_by("_line")
        return table.combine_chunks().to_batches()[0]

    def _finish(self, batch: pa.RecordBatch | None) -> pa.RecordBatch | None:
        if batch is None or batch.num_rows == 0:
            return None
        if self.map_lines is not _identity:
            idx = batch.schema.get_field_index("_line")
            mapped = self.map_lines(batch.column(idx).to_numpy())
            batch = batch.set_column(idx, "_line", pa.array(mapped, type=pa.int64()))
        batch = tally_batch(self.summary, self.entry, batch)
        prune = getattr(self.map_lines, "prune", None)
        if prune is not None:
            prune(self.base)
        return batch if batch.num_rows else None

    def batches(self) -> Iterator[pa.RecordBatch]:
        if not self._leading():
            self._record_layout()
            return
        self._record_layout()
        self.base = self.offset
        self.reader.expect_tokens(len(self.layout.fields))
        names = [f"c{i}" for i in range(len(self.layout.fields))]
        reader = pa_csv.open_csv(
            self.reader,
            read_options=pa_csv.ReadOptions(column_names=names, block_size=CHUNK, use_threads=False),
            parse_options=pa_csv.ParseOptions(
                delimiter=" ", quote_char=False, escape_char=False, double_quote=False,
                newlines_in_values=False, ignore_empty_lines=False,
                invalid_row_handler=self._on_invalid_row),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: pa.binary() for c in names}, null_values=["-"],
                strings_can_be_null=True, quoted_strings_can_be_null=False, check_utf8=False),
        )
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            out = self._finish(self._convert(batch))
            if out is not None:
                yield out
        out = self._finish(self._merge(None, None))
        if out is not None:
            yield out

    def _record_layout(self) -> None:
        self.summary._set_layout(self.entry, self.layout.source, self.layout.fields,
                                 list(self.layout.extras))


_KNOWN_NAMES_ARRAY = pa.array(sorted(_KNOWN_NAMES), type=pa.binary())


def _digits_only(col: pa.Array) -> bool:
    """True when every value of a binary column is 1-18 ASCII digits (nulls aside).

    Examples
    --------
    >>> _digits_only(pa.array([b"443", None, b"0"], pa.binary()))
    True
    >>> _digits_only(pa.array([b"443", b"0x1f"], pa.binary())), _digits_only(pa.array([b"9" * 19], pa.binary()))
    (False, False)
    """
    n = len(col)
    if n == 0 or col.null_count == n:
        return True
    bufs = col.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[col.offset: col.offset + n + 1]
    lengths = np.diff(offsets)
    if col.null_count:
        valid = col.is_valid().to_numpy(zero_copy_only=False)
        lengths = lengths[valid]
    if lengths.min() < 1 or lengths.max() > 18:
        return False
    if col.null_count and np.diff(offsets)[~valid].any():  # pragma: no cover - Arrow's CSV nulls own no bytes
        return bool(pc.all(pc.match_substring_regex(col.view(pa.string()), _DIGITS)).as_py())
    data = np.frombuffer(bufs[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return bool(((data - 48) < 10).all())  # uint8 wraps: bytes below '0' become large


def read_text(reader: PrefetchReader, state: StreamState, default: Layout, summary: ReadSummary,
              entry: dict, map_lines: Callable[[np.ndarray], np.ndarray] | None = None,
              ) -> Iterator[pa.RecordBatch]:
    """Parse the sanitised line stream ``reader`` into narrow record batches.

    Parameters
    ----------
    reader : PrefetchReader
        Whole, sanitised lines (see :mod:`flowgraph.read.streams`).
    state : StreamState
        Where the byte pipeline flags lines it replaced (bad bytes, truncation).
    default : Layout
        Layout used unless the first content line is a header.
    summary, entry : ReadSummary, dict
        Counters to update (the entry is this file's ``per_file`` dict).
    map_lines : callable, optional
        Maps line numbers of ``reader`` to the numbers reported (JSON files).

    Yields
    ------
    pyarrow.RecordBatch
        The file's columns (canonical names of the fields present, unknown
        fields as strings) and ``_line``, in file order.
    """
    yield from _TextParser(reader, state, default, summary, entry, map_lines).batches()


def default_layout(fields: tuple[str, ...] | None) -> Layout:
    """Layout for headerless files: the caller's ``fields`` or the default format."""
    if fields:
        return make_layout(fields, "fields")
    return make_layout(DEFAULT_FORMAT, "default")
