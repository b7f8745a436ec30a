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
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .fields import (
    CANONICAL_FIELDS,
    DEFAULT_FORMAT,
    INTEGER_FIELDS,
    column_name,
    field_name,
    is_known_field,
)
from .streams import CHUNK, PrefetchReader, StreamState
from .summary import ReadSummary

__all__ = [
    "Layout",
    "make_layout",
    "header_kind",
    "classify_line",
    "read_text",
    "tally_batch",
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


def classify_line(line: bytes, layout: Layout) -> tuple[str, object]:
    """Classify one line the slow way (split on runs of ASCII whitespace).

    Returns ``("blank", None)``, ``("header", None)``, ``("invalid", reason)``
    or ``("record", values)`` with ``values`` a list of ``int``/``str``/``None``.

    Examples
    --------
    >>> lay = make_layout(["srcport", "action"], "fields")
    >>> classify_line(b" 443\\t ACCEPT  ", lay)
    ('record', [443, 'ACCEPT'])
    >>> classify_line(b"x ACCEPT", lay)
    ('invalid', 'non_numeric')
    >>> classify_line(b"srcport action", lay)
    ('header', None)
    """
    tokens = line.split()
    if not tokens:
        return "blank", None
    if header_kind(tokens) == "header":
        return "header", None
    if len(tokens) != len(layout.fields):
        return "invalid", "token_count"
    values: list = []
    for tok, is_int in zip(tokens, layout.is_int, strict=True):
        if tok == b"-":
            values.append(None)
        elif is_int:
            if not tok.isdigit():
                return "invalid", "non_numeric"
            value = int(tok)
            if value > INT64_MAX:
                return "invalid", "out_of_range"
            values.append(value)
        else:
            try:
                values.append(tok.decode("utf-8"))
            except UnicodeDecodeError:
                return "invalid", "bad_bytes"
    return "record", values


def tally_batch(summary: ReadSummary, entry: dict, batch: pa.RecordBatch) -> None:
    """Add a batch of valid records to the summary (counts, NODATA/SKIPDATA, time span)."""
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
            self._invalid(value, line, raw)
        else:
            self.pending.append((line, value))

    # -- leading lines -------------------------------------------------------
    def _leading(self) -> bool:
        """Consume blank/flagged lines and a header at the start; False at end of data."""
        header_seen = False
        while True:
            line = self.reader.peek_line()
            if line is None:
                return False
            no = self.offset + 1
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
        """Cast integer columns; return the casts and a mask of rows that failed."""
        out: dict[int, pa.Array] = {}
        bad = None
        for pos, (col_name, is_int) in enumerate(zip(self.layout.columns, self.layout.is_int, strict=True)):
            if not is_int or col_name is None:
                continue
            text = cols[pos].view(pa.string())
            try:
                ints = pc.cast(text, pa.int64())
                if ints.null_count < len(ints) and pc.min(ints).as_py() < 0:
                    raise ValueError("negative")
                out[pos] = ints
                continue
            except (pa.ArrowInvalid, ValueError):
                pass
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
        named = pc.is_in(cols[0], value_set=_KNOWN_NAMES_ARRAY)
        if pc.any(named).as_py():
            m = pc.fill_null(named, False).to_numpy(zero_copy_only=False)
            mask = m if mask is None else (mask | m)
        if mask is not None and mask.any():
            self._to_slow(cols, lines, mask)
            keep = pa.array(~mask)
            cols = [c.filter(keep) for c in cols]
            lines = lines[~mask]
        ints, bad = self._int_columns(cols)
        if bad is not None and bad.any():
            self._to_slow(cols, lines, bad)
            keep = pa.array(~bad)
            cols = [c.filter(keep) for c in cols]
            lines = lines[~bad]
            ints, bad = self._int_columns(cols)
            if bad is not None and bad.any():  # pragma: no cover - cannot happen after filtering
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
        tally_batch(self.summary, self.entry, batch)
        prune = getattr(self.map_lines, "prune", None)
        if prune is not None:
            prune(self.base)
        return batch

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
