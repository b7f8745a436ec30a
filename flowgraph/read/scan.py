"""The public readers: :func:`scan_flows`, :func:`read_flows`, :func:`summarize_flows`.

Each file is read by the module for its content (detected from magic bytes
and the first non-blank character, not from the name): gzip or plain text
(:mod:`~flowgraph.read.text`), CloudWatch Logs JSON
(:mod:`~flowgraph.read.jsonlines`) or Parquet (:mod:`~flowgraph.read.parquet`).
Every file yields narrow batches (its own columns plus ``_line``); this module
widens them to one fixed schema and keeps the :class:`ReadSummary`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import chain

import numpy as np
import pandas as pd
import pyarrow as pa

from ..exceptions import ConfigError, InputError
from .clouds import read_cloud, sniff_cloud_blocks
from .fields import CANONICAL_COLUMNS, CANONICAL_SCHEMA, column_name, parse_format
from .jsonlines import (
    DOCUMENT_MAX,
    LineMap,
    _messages,
    document_messages,
    json_messages,
    sniff_json,
)
from .parquet import read_parquet
from .sources import SourceFile, describe, resolve_sources
from .streams import (
    CHUNK,
    GZIP_MAGIC,
    RAW_BLOCK,
    PrefetchReader,
    StreamState,
    decompressed_blocks,
    raw_blocks,
    sanitized_chunks,
    strip_bom,
    whole_lines,
)
from .summary import ReadSummary
from .text import Layout, default_layout, read_text

__all__ = ["ABSENT_KEY", "FlowScan", "scan_flows", "read_flows", "summarize_flows", "PROVENANCE_SCHEMA",
           "ReadProgress"]

PROVENANCE_SCHEMA = pa.schema([
    pa.field("_file", pa.dictionary(pa.int32(), pa.string())),
    pa.field("_line", pa.int64()),
])
"""The two provenance columns appended when ``provenance=True``."""

ABSENT_KEY = b"flowgraph.absent"
"""Schema-metadata key of a widened batch: comma-separated columns its file does not have."""

JSON_MAX_LINE = 64 << 20
"""Longest JSON line (a subscription envelope can hold thousands of events)."""

_CANONICAL_TYPES = {f.name: f.type for f in CANONICAL_SCHEMA}


def _check_fields(fields) -> tuple[str, ...] | None:
    if fields is None:
        return None
    parsed = parse_format(fields)
    if not parsed:
        raise ConfigError("the fields format names no field")
    cols = [column_name(f) for f in parsed]
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise ConfigError(f"the fields format repeats {', '.join(dupes)}")
    return parsed


def _check_columns(columns) -> tuple[str, ...] | None:
    if columns is None:
        return None
    if isinstance(columns, str):
        columns = [columns]
    out: list[str] = []
    for c in columns:
        col = column_name(str(c))
        if col not in _CANONICAL_TYPES:
            raise ConfigError(f"unknown column '{c}': columns must be canonical flow-log "
                              "columns (see flowgraph.read.CANONICAL_COLUMNS)")
        if col not in out:
            out.append(col)
    return tuple(out)


ReadProgress = Callable[[ReadSummary, int, int], None]
"""``progress(summary, files_done, files_total)``: called by a scan after every batch and every file,
with the live :class:`ReadSummary` (counts so far)."""


class _NullCache:
    """All-null arrays by type, sliced from one growing array (no per-batch allocation)."""

    def __init__(self) -> None:
        self._arrays: dict[pa.DataType, pa.Array] = {}
        self._zeros: pa.Array | None = None

    def get(self, typ: pa.DataType, n: int) -> pa.Array:
        arr = self._arrays.get(typ)
        if arr is None or len(arr) < n:
            arr = pa.nulls(max(n, 2 * len(arr) if arr is not None else n), typ)
            self._arrays[typ] = arr
        return arr.slice(0, n)

    def zeros(self, n: int) -> pa.Array:
        """``n`` int32 zeros (dictionary indices of a one-value dictionary)."""
        arr = self._zeros
        if arr is None or len(arr) < n:
            arr = self._zeros = pa.array(np.zeros(max(n, 65536), dtype=np.int32))
        return arr.slice(0, n)


def _read_file(src: SourceFile, layout: Layout, summary: ReadSummary) -> Iterator[pa.RecordBatch]:
    """Narrow batches of one file (its columns + ``_line``), updating ``summary``."""
    try:
        f = src.open_stream()
    except OSError as exc:
        summary._skip(src.path, f"unreadable: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc!r}")
        return
    owned = True
    try:
        head = f.read(4)
        if head == b"PAR1":
            f.close()
            owned = False
            yield from _read_parquet(src, summary)
            return
        gz = head[:2] == GZIP_MAGIC
        state = StreamState()
        blocks = strip_bom(decompressed_blocks(raw_blocks(f, state, head, RAW_BLOCK if gz else CHUNK),
                                               state, gz))
        # sniff: the first non-blank byte decides text or JSON; for JSON keep the first line
        first: list[bytes] = []
        kind = "text"
        size = 0
        for block in blocks:
            first.append(block)
            size += len(block)
            data = b"".join(first).lstrip() if len(first) > 1 else block.lstrip()
            if data and kind == "text" and data[:1] not in (b"{", b"["):
                break
            if data:
                kind = "json"
                if b"\n" in data or size > JSON_MAX_LINE:
                    break
        blocks = chain(first, blocks)
        fmt = f"{kind}/gzip" if gz else kind
        cloud = None
        if kind == "json" or (first and first[0].startswith(b"\xef\xbb\xbf")):
            # Azure / GCP flow logs have their own readers (flowgraph.read.clouds)
            cloud, blocks = sniff_cloud_blocks(blocks)
        if cloud is not None:
            fmt = "json/gzip" if gz else "json"
            yield from read_cloud(cloud, blocks, state, summary, src.path, fmt)
            return
        map_lines = None
        if kind == "json":
            data = b"".join(first).lstrip()
            end = data.find(b"\n")
            mode = sniff_json(data if end < 0 else data[:end])
            text_state = StreamState()
            line_map = LineMap()
            messages = None
            if mode == "document":
                parts, size = [], 0
                for block in blocks:
                    parts.append(block)
                    size += len(block)
                    if size > DOCUMENT_MAX:
                        break
                doc_bytes = b"".join(parts)
                doc = None
                if size <= DOCUMENT_MAX:
                    try:
                        doc = json.loads(doc_bytes)
                        has = _has_messages(doc)
                    except (ValueError, RecursionError):
                        doc = None
                if doc is not None:
                    if has:
                        messages = document_messages(doc, doc_bytes, text_state, line_map)
                    else:
                        mode = "skip"
                else:
                    blocks = chain([doc_bytes], blocks)
            if mode == "skip":
                summary._skip(src.path, "JSON without CloudWatch Logs 'message' fields")
                summary._bytes(None, state.bytes_read, state.bytes_decompressed)
                return
            if messages is None:
                messages = json_messages(whole_lines(blocks, state, max_line=JSON_MAX_LINE),
                                         state, text_state, line_map)
            chunks = sanitized_chunks(messages, text_state)
            map_lines = line_map
        else:
            text_state = state
            chunks = sanitized_chunks(whole_lines(blocks, state), state)
        # a background thread pays off once decompression and parsing can overlap
        background = src.size is None or src.size > RAW_BLOCK
        reader = PrefetchReader(chunks, background=background, on_close=f.close)
        owned = False
        entry = summary._start_file(src.path, fmt)
        try:
            yield from read_text(reader, text_state, layout, summary, entry, map_lines)
        except OSError as exc:
            raise InputError(f"cannot read '{src.path}': {exc}") from None
        finally:
            reader.close()
            summary._bytes(entry, state.bytes_read, state.bytes_decompressed)
            if state.truncated:
                entry["truncated"] = state.truncated
            summary._finish_file(entry)
    except OSError as exc:
        raise InputError(f"cannot read '{src.path}': {exc}") from None
    finally:
        if owned:
            f.close()


def _has_messages(doc) -> bool:
    return any(isinstance(m, bytes) for m in _messages(doc))


def _read_parquet(src: SourceFile, summary: ReadSummary) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    try:
        handle = src.open_random_access()
        pq.ParquetFile(handle).metadata  # noqa: B018 - validates the footer
    except (OSError, pa.ArrowException) as exc:
        summary._skip(src.path, f"not a readable Parquet file ({str(exc).strip().splitlines()[0]})")
        return
    entry = summary._start_file(src.path, "parquet")
    size = src.size or 0
    try:
        yield from read_parquet(handle, summary, entry, size)
    except (OSError, pa.ArrowException) as exc:
        entry["truncated"] = f"unreadable Parquet data ({str(exc).strip().splitlines()[0]})"
    finally:
        summary._bytes(entry, size, 0)
        summary._finish_file(entry)


class FlowScan:
    """Flow records of a source as a stream of :class:`pyarrow.RecordBatch`.

    Create it with :func:`scan_flows`.  Every batch has the schema
    :attr:`schema` — canonical columns (all, or the requested ``columns``)
    followed by ``_file`` and ``_line`` when ``provenance`` is on — possibly
    followed by extra string columns for unknown header fields (only when
    ``columns`` is ``None``).  :attr:`summary` is updated while iterating and
    complete at the end; iterating again re-reads the source.

    Raises
    ------
    InputError
        At the end of the iteration when no valid record was found.
    """

    def __init__(self, source, *, fields=None, columns=None, provenance: bool = True,
                 s3: dict | None = None, progress: ReadProgress | None = None):
        self._source = source
        self._progress = progress
        self._fields = _check_fields(fields)
        self._columns = _check_columns(columns)
        self._provenance = bool(provenance)
        self._layout = default_layout(self._fields)
        self._files, self._skipped = resolve_sources(source, s3)
        self._description = describe(source)
        self.summary = self._new_summary()
        if not self._files:
            raise InputError(self.summary._no_records_sentence(self._description))
        names = self._columns if self._columns is not None else CANONICAL_COLUMNS
        fields_ = [pa.field(n, _CANONICAL_TYPES[n]) for n in names]
        if self._provenance:
            fields_.extend(PROVENANCE_SCHEMA)
        self.schema: pa.Schema = pa.schema(fields_)
        self._nulls = _NullCache()

    @property
    def files(self) -> list[str]:
        """Paths/URIs of the files this scan reads, in reading order."""
        return [f.path for f in self._files]

    def _new_summary(self) -> ReadSummary:
        summary = ReadSummary()
        for d in self._skipped:
            summary._skip(d["file"], d["reason"])
        return summary

    def _narrow(self) -> Iterator[tuple[pa.RecordBatch, SourceFile]]:
        summary = self.summary = self._new_summary()
        progress, total = self._progress, len(self._files)
        for done, src in enumerate(self._files):
            for batch in _read_file(src, self._layout, summary):
                if progress is not None:
                    progress(summary, done, total)
                yield batch, src
            if progress is not None:
                progress(summary, done + 1, total)
        if summary.records == 0:
            raise InputError(summary._no_records_sentence(self._description))

    def _file_array(self, path: str, n: int) -> pa.Array:
        return pa.DictionaryArray.from_arrays(self._nulls.zeros(n), pa.array([path], pa.string()))

    def _widen(self, narrow: pa.RecordBatch, path: str) -> pa.RecordBatch:
        n = narrow.num_rows
        names = narrow.schema.names
        index = {name: i for i, name in enumerate(names)}
        arrays = []
        absent = []
        for f in self.schema:
            if f.name == "_file":
                arrays.append(self._file_array(path, n))
            elif f.name in index:
                arrays.append(narrow.column(index[f.name]))
            else:
                arrays.append(self._nulls.get(f.type, n))
                if f.name != "_line":
                    absent.append(f.name)
        schema = self.schema
        if absent:
            # absent is not null: say which projected columns this file does not have
            schema = schema.with_metadata({ABSENT_KEY: ",".join(absent).encode()})
        if self._columns is None:
            extras = [name for name in names if name not in _CANONICAL_TYPES and name != "_line"]
            if extras:
                arrays.extend(narrow.column(index[name]) for name in extras)
                schema = pa.schema([*schema, *(pa.field(name, pa.string()) for name in extras)], metadata=schema.metadata)
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for narrow, src in self._narrow():
            yield self._widen(narrow, src.path)

    def __repr__(self) -> str:
        return f"<FlowScan {self._description}: {len(self._files)} file(s), {len(self.schema)} columns>"


def scan_flows(source, *, fields=None, columns=None, provenance: bool = True,
               s3: dict | None = None, progress: ReadProgress | None = None) -> FlowScan:
    """Stream the flow records of a source as Arrow record batches.

    Parameters
    ----------
    source : str, os.PathLike or list of them
        File, directory (walked recursively, sorted), glob pattern or
        ``s3://bucket/prefix`` URI, or a list of these.
    fields : str or sequence of str, optional
        Format of files without a header line: an AWS ``LogFormat``
        (``"${version} ${srcaddr} ..."``) or plain field names.  Defaults to
        the version-2 default format.  A header line in a file wins.
    columns : sequence of str, optional
        Canonical columns to return, in this order (absent ones are null).
        Default: every canonical column in canonical order plus extra string
        columns for unknown header fields.
    provenance : bool, default True
        Append ``_file`` (dictionary-encoded path/URI) and ``_line`` (1-based
        physical line in the decompressed file; row for Parquet).
    s3 : dict, optional
        :class:`pyarrow.fs.S3FileSystem` options (``endpoint_override``,
        ``region``, ``access_key``, ``secret_key``, ``scheme``; ``endpoint_url``
        is an alias).  Credentials otherwise come from the usual AWS chain.
    progress : callable, optional
        ``progress(summary, files_done, files_total)``, called after every
        batch and after every file with the live :class:`ReadSummary` (keep
        it cheap: it runs on the reading thread; per batch, never per record).

    Returns
    -------
    FlowScan
        Iterable of :class:`pyarrow.RecordBatch`; ``.summary`` holds the
        :class:`ReadSummary`, complete once the iteration finished.

    Raises
    ------
    InputError
        A path does not exist or nothing can be read (raised at the call), or
        no valid record was found (raised at the end of the iteration).
    ConfigError
        ``fields`` or ``columns`` are invalid.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.log").write_text(
    ...     "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    ...     "packets bytes start end action log-status\\n"
    ...     "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK\\n")
    >>> scan = scan_flows(d, columns=["srcaddr", "dstport"])
    >>> [b.to_pylist() for b in scan]
    [[{'srcaddr': '10.0.0.1', 'dstport': 49152, '_file': '.../a.log', '_line': 2}]]
    >>> scan.summary.records, scan.summary.header_lines
    (1, 1)
    """
    return FlowScan(source, fields=fields, columns=columns, provenance=provenance, s3=s3, progress=progress)


_PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.string(): pd.StringDtype()}


def read_flows(source, *, fields=None, columns=None, provenance: bool = False,
               s3: dict | None = None) -> pd.DataFrame:
    """Read the flow records of a source into a pandas DataFrame.

    One row per valid record, in file order (files in reading order).
    Columns: the canonical columns of every field present in any file's
    format, in canonical order (or exactly ``columns``), then unknown header
    fields as strings, then ``_file``/``_line`` when ``provenance`` is on.
    Integer fields are ``Int64``, strings ``StringDtype()``; ``-`` is ``<NA>``.
    NODATA and SKIPDATA records are rows.  The :class:`ReadSummary` is in
    ``df.attrs["read_summary"]`` as a plain dict.

    Parameters are those of :func:`scan_flows` (``provenance`` defaults to False).

    Raises
    ------
    InputError
        Nothing to read or no valid record found.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cwl.log"
    >>> _ = p.write_text("2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA\\n"
    ...                  "bogus line\\n")
    >>> df = read_flows(p)
    >>> df[["account_id", "srcaddr", "start", "log_status"]]
         account_id  srcaddr       start log_status
    0  123456789010     <NA>  1431280876     NODATA
    >>> df.attrs["read_summary"]["invalid_by_reason"]
    {'token_count': 1}
    """
    scan = FlowScan(source, fields=fields, columns=columns, provenance=provenance, s3=s3)
    tables = []
    for narrow, src in scan._narrow():
        if scan._columns is not None:
            keep = [c for c in scan._columns if c in narrow.schema.names]
            batch = narrow.select(keep + ["_line"])
        else:
            batch = narrow
        if provenance:
            batch = batch.append_column("_file", scan._file_array(src.path, batch.num_rows))
        else:
            batch = batch.drop_columns(["_line"])
        tables.append(pa.Table.from_batches([batch]))
    summary = scan.summary
    table = pa.concat_tables(tables, promote_options="default")
    if scan._columns is not None:
        order = list(scan._columns)
    else:
        present: set[str] = set()
        extras: list[str] = []
        for entry in summary.per_file:
            for name in (entry["fields"] or "").split():
                present.add(column_name(name))
            for name in entry["extra_columns"]:
                if name not in extras:
                    extras.append(name)
        order = [c for c in CANONICAL_COLUMNS if c in present] + extras
    if provenance:
        order += ["_file", "_line"]
    arrays = []
    for name in order:
        if name in table.column_names:
            arrays.append(table.column(name))
        else:
            typ = _CANONICAL_TYPES.get(name, pa.string())
            arrays.append(pa.chunked_array([pa.nulls(table.num_rows, typ)], typ))
    table = pa.Table.from_arrays(arrays, names=order)
    df = table.to_pandas(types_mapper=_PANDAS_TYPES.get)
    df.attrs["read_summary"] = summary.to_dict()
    return df


def summarize_flows(source, *, fields=None, columns=None, provenance: bool = False,
                    s3: dict | None = None, progress: ReadProgress | None = None) -> ReadSummary:
    """Read a source completely and return only its :class:`ReadSummary`.

    Parameters are those of :func:`scan_flows` (``progress`` included); no rows are kept.

    Raises
    ------
    InputError
        Nothing to read or no valid record found.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.log"
    >>> _ = p.write_text("2 123456789010 eni-1 - - - - - - - 1512564058000 1512564059000 - SKIPDATA\\n")
    >>> s = summarize_flows(p)
    >>> s.records, s.skipdata, s.millisecond_timestamps, s.first_start
    (1, 1, 1, 1512564058)
    >>> seen = []
    >>> _ = summarize_flows(p, progress=lambda summary, done, total: seen.append((summary.records, done, total)))
    >>> seen
    [(1, 0, 1), (1, 1, 1)]
    """
    scan = FlowScan(source, fields=fields, columns=columns, provenance=provenance, s3=s3, progress=progress)
    for _ in scan._narrow():
        pass
    return scan.summary
