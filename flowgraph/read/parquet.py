"""Read flow logs delivered as Parquet (``.log.parquet``), streaming by batch.

AWS names Parquet columns after the fields with underscores (``log_status``)
and types them (``int32``/``int64`` for numbers).  Other writers differ: the
public flowlogs-reader sample stores counters as strings with ``'None'`` and
``'-'`` placeholders and the account id as ``int64``.  Every column is
therefore normalised to the canonical type:

* integer fields: integer columns are cast to ``int64``; string columns treat
  ``'-'``, ``'None'`` and ``''`` as null and must otherwise hold digits (a row
  with anything else is invalid, reason ``non_numeric``); float columns must
  hold whole numbers (NaN is null).
* string fields: ``'-'`` becomes null; non-string columns are cast to string
  (an integer ``account_id`` is zero-padded to 12 digits, account ids keep
  their leading zeros).
* unknown columns are kept as strings.

``_line`` is the 1-based row number in the file.

Hostile files are bounded:

* columns named like the provenance columns (``_line``, ``_file``) are
  dropped and listed in ``ReadSummary.dropped_columns`` (they would clash with
  the reader's own columns or let a file claim another file's name);
* integer values beyond :data:`~flowgraph.read.fields.FIELD_MAX` or below 0 are
  invalid (``out_of_range``), as in text logs;
* a "dictionary bomb" (a tiny file whose dictionary-encoded strings expand to
  gigabytes) is caught twice: before any decoding, a file whose row groups
  declare more than :data:`MAX_PARQUET_RATIO` times its size (``num_rows`` x
  4 bytes per value, or the declared uncompressed sizes) is skipped; while
  reading, string columns arrive dictionary-encoded and their decoded size
  (dictionary value lengths taken by index) is added up *before* decoding, and
  reading stops (``truncated``, records so far kept) once it passes the same
  ratio after :data:`PARQUET_RATIO_AFTER` bytes.  Memory stays at one batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .fields import FIELD_MAX, INTEGER_FIELDS, column_name, field_name, is_known_field
from .summary import ReadSummary
from .text import _DIGITS, make_layout, tally_batch

__all__ = ["read_parquet", "parquet_bomb_reason", "PARQUET_BATCH_ROWS", "MAX_PARQUET_RATIO",
           "PARQUET_RATIO_AFTER", "RESERVED_COLUMNS"]

PARQUET_BATCH_ROWS = 65_536
MAX_PARQUET_RATIO = 250
"""Decoded bytes / file bytes beyond which a Parquet file is a decompression bomb (as gzip)."""
PARQUET_RATIO_AFTER = 64 << 20
"""Decoded bytes (64 MiB) after which :data:`MAX_PARQUET_RATIO` applies; smaller files are read whole."""
RESERVED_COLUMNS = frozenset({"_line", "_file"})
"""Column names the reader adds itself; a Parquet column of that name is dropped."""
_MIN_VALUE_BYTES = 4  # an int32 or a string offset: the least one decoded value costs
_INT_PLACEHOLDERS = pa.array(["-", "None", ""], type=pa.string())
_ACCOUNT_COLUMNS = frozenset({"account_id", "tgw_src_vpc_account_id", "tgw_dst_vpc_account_id"})


def _int_column(col: pa.Array) -> tuple[pa.Array, np.ndarray | None]:
    """Canonical int64 column and a mask of rows that are not numbers (or None)."""
    t = col.type
    if pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_null(t):
        return pc.cast(col, pa.int64()), None
    if pa.types.is_floating(t):
        col = pc.if_else(pc.is_nan(col), pa.scalar(None, t), col)
        whole = pc.fill_null(pc.equal(pc.floor(col), col), True)
        bad = np.logical_not(whole.to_numpy(zero_copy_only=False))
        if bad.any():
            col = pc.if_else(pa.array(bad), pa.scalar(None, t), col)
        return pc.cast(col, pa.int64(), safe=False), (bad if bad.any() else None)
    text = pc.cast(col, pa.string())
    text = pc.if_else(pc.is_in(text, value_set=_INT_PLACEHOLDERS), pa.scalar(None, pa.string()), text)
    try:
        ints = pc.cast(text, pa.int64())
        if ints.null_count == len(ints) or pc.min(ints).as_py() >= 0:
            return ints, None
    except pa.ArrowInvalid:
        pass
    ok = pc.fill_null(pc.match_substring_regex(text, _DIGITS), True)
    bad = np.logical_not(ok.to_numpy(zero_copy_only=False))
    text = pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), text)
    return pc.cast(text, pa.int64()), (bad if bad.any() else None)


def _string_column(col: pa.Array, name: str) -> pa.Array:
    t = col.type
    if pa.types.is_integer(t) and name in _ACCOUNT_COLUMNS:
        text = pc.utf8_lpad(pc.cast(col, pa.string()), 12, "0")
    elif pa.types.is_dictionary(t):
        text = pc.cast(col.dictionary_decode(), pa.string())
    elif pa.types.is_large_string(t) or pa.types.is_string_view(t) or not pa.types.is_string(t):
        text = pc.cast(col, pa.string())
    else:
        text = col
    if text.null_count < len(text) and pc.any(pc.equal(text, "-")).as_py():
        text = pc.if_else(pc.equal(text, "-"), pa.scalar(None, pa.string()), text)
    return text


def _ratio_exceeded(decoded: int, size: int) -> bool:
    return decoded > PARQUET_RATIO_AFTER and decoded > MAX_PARQUET_RATIO * max(size, 1)


def parquet_bomb_reason(metadata: pq.FileMetaData, size: int, columns: list[str] | None = None) -> str | None:
    """Why a Parquet file is refused before decoding (its metadata declares too much), else ``None``.

    The estimate is, per row group, the larger of ``num_rows`` x 4 bytes per
    selected column and the selected columns' declared uncompressed sizes.

    Examples
    --------
    >>> import io
    >>> buf = io.BytesIO()
    >>> t = pa.table({"srcaddr": pa.DictionaryArray.from_arrays(pa.array(np.zeros(20_000_000, np.int32)),
    ...                                                         pa.array(["10.0.0.1"]))})
    >>> pq.write_table(t, buf, compression="zstd", row_group_size=20_000_000)
    >>> print(parquet_bomb_reason(pq.ParquetFile(buf).metadata, buf.tell()))  # doctest: +ELLIPSIS
    refused before decoding: 20,000,000 rows declare at least 80,000,000 bytes in a ... bytes file: a ratio over 250 is a decompression bomb, not flow logs
    """
    wanted = None if columns is None else set(columns)
    declared = rows = 0
    for i in range(metadata.num_row_groups):
        rg = metadata.row_group(i)
        chunks = [rg.column(j) for j in range(rg.num_columns)
                  if wanted is None or rg.column(j).path_in_schema in wanted]
        rows += rg.num_rows
        declared += max(rg.num_rows * _MIN_VALUE_BYTES * len(chunks),
                        sum(c.total_uncompressed_size for c in chunks))
    if _ratio_exceeded(declared, size):
        return (f"refused before decoding: {rows:,} rows declare at least {declared:,} bytes in a "
                f"{size:,} bytes file: a ratio over {MAX_PARQUET_RATIO} is a decompression bomb, not flow logs")
    return None


def _decoded_bytes(arr: pa.Array) -> int:
    """Bytes a column takes once decoded, computed without decoding a dictionary."""
    if pa.types.is_dictionary(arr.type):
        lengths = pc.binary_length(arr.dictionary) if (
            pa.types.is_string(arr.dictionary.type) or pa.types.is_binary(arr.dictionary.type)
            or pa.types.is_large_string(arr.dictionary.type)) else None
        per_value = arr.type.value_type.bit_width // 8 if lengths is None and hasattr(
            arr.type.value_type, "bit_width") else 0
        if lengths is None:
            return len(arr) * max(per_value, _MIN_VALUE_BYTES)
        total = pc.sum(pc.take(lengths, arr.indices)).as_py() or 0
        return int(total) + len(arr) * _MIN_VALUE_BYTES
    return int(arr.nbytes)


def read_parquet(source, summary: ReadSummary, entry: dict, size: int = 0) -> Iterator[pa.RecordBatch]:
    """Stream a Parquet flow-log file as narrow batches (present columns + ``_line``).

    Parameters
    ----------
    source : str or pyarrow.NativeFile
        Local path or random-access file.
    summary, entry : ReadSummary, dict
        Counters to update (``entry`` is this file's ``per_file`` dict).
    size : int
        The file's size in bytes (for the decompression-bomb ratio); 0 if unknown.
    """
    probe = pq.ParquetFile(source)
    schema = probe.schema_arrow
    file_columns = [n for n in schema.names if n not in RESERVED_COLUMNS]
    for name in schema.names:
        if name in RESERVED_COLUMNS:
            summary._drop_column(entry, name, "reserved for the reader's provenance column")
    layout = make_layout(file_columns, "parquet")
    summary._set_layout(entry, "parquet", layout.fields, list(layout.extras))
    wanted = [(name, col) for name, col in zip(file_columns, layout.columns, strict=True) if col is not None]
    top = [w[0] for w in wanted]
    size = size or 0
    reason = parquet_bomb_reason(probe.metadata, size, top) if size else None
    if reason is not None:
        entry["truncated"] = reason
        return
    strings = [name for name in top if pa.types.is_string(schema.field(name).type)
               or pa.types.is_large_string(schema.field(name).type) or pa.types.is_binary(schema.field(name).type)]
    pf = pq.ParquetFile(source, read_dictionary=strings) if strings else probe
    row0 = 0
    decoded = 0
    for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=top, use_threads=False):
        if size:
            decoded += sum(_decoded_bytes(a) for a in batch.columns)
            if _ratio_exceeded(decoded, size):
                entry["truncated"] = (f"stopped after {row0:,} rows: the next batch decodes to {decoded:,} bytes "
                                      f"from a {size:,} bytes file, a ratio over {MAX_PARQUET_RATIO} "
                                      "(a decompression bomb, not flow logs)")
                return
        n = batch.num_rows
        lines = np.arange(row0 + 1, row0 + n + 1, dtype=np.int64)
        row0 += n
        arrays, names = [], []
        bad = None
        reasons: dict[int, tuple[str, str]] = {}  # row -> (reason, offending value)
        for (src_name, col_name), arr in zip(wanted, batch.columns, strict=True):
            if isinstance(arr, pa.ChunkedArray):  # pragma: no cover - defensive
                arr = arr.combine_chunks()
            known = is_known_field(src_name)
            if known and field_name(src_name) in INTEGER_FIELDS:
                if pa.types.is_dictionary(arr.type):
                    arr = arr.dictionary_decode()
                raw = arr
                arr, wrong = _int_column(arr)
                if wrong is not None:
                    for i in np.flatnonzero(wrong).tolist():
                        reasons.setdefault(i, ("non_numeric", f"{src_name}={raw[i].as_py()!r}"))
                    bad = wrong if bad is None else (bad | wrong)
                high = FIELD_MAX.get(field_name(src_name))
                if high is not None and arr.null_count < len(arr) and (
                        pc.max(arr).as_py() > high or pc.min(arr).as_py() < 0):
                    out = pc.fill_null(pc.or_(pc.greater(arr, high), pc.less(arr, 0)), False)
                    out = out.to_numpy(zero_copy_only=False)
                    for i in np.flatnonzero(out).tolist():
                        reasons.setdefault(i, ("out_of_range", f"{src_name}={raw[i].as_py()!r}"))
                    bad = out if bad is None else (bad | out)
            else:
                arr = _string_column(arr, column_name(src_name) if known else col_name)
            arrays.append(arr)
            names.append(col_name)
        if bad is not None:
            for i, (why, text) in sorted(reasons.items()):
                summary._invalid(entry, why, int(lines[i]), text)
            keep = pa.array(~bad)
            arrays = [a.filter(keep) for a in arrays]
            lines = lines[~bad]
        arrays.append(pa.array(lines, type=pa.int64()))
        names.append("_line")
        out = pa.RecordBatch.from_arrays(arrays, names=names)
        if out.num_rows:
            out = tally_batch(summary, entry, out)
            if out.num_rows:
                yield out
