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
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .fields import INTEGER_FIELDS, column_name, field_name, is_known_field
from .summary import ReadSummary
from .text import _DIGITS, make_layout, tally_batch

__all__ = ["read_parquet", "PARQUET_BATCH_ROWS"]

PARQUET_BATCH_ROWS = 65_536
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


def read_parquet(source, summary: ReadSummary, entry: dict) -> Iterator[pa.RecordBatch]:
    """Stream a Parquet flow-log file as narrow batches (present columns + ``_line``).

    Parameters
    ----------
    source : str or pyarrow.NativeFile
        Local path or random-access file.
    summary, entry : ReadSummary, dict
        Counters to update (``entry`` is this file's ``per_file`` dict).
    """
    pf = pq.ParquetFile(source)
    file_columns = pf.schema_arrow.names
    layout = make_layout(file_columns, "parquet")
    summary._set_layout(entry, "parquet", layout.fields, list(layout.extras))
    wanted = [(name, col) for name, col in zip(file_columns, layout.columns, strict=True) if col is not None]
    row0 = 0
    for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=[w[0] for w in wanted],
                                 use_threads=False):
        n = batch.num_rows
        lines = np.arange(row0 + 1, row0 + n + 1, dtype=np.int64)
        row0 += n
        arrays, names = [], []
        bad = None
        reasons: dict[int, str] = {}
        for (src_name, col_name), arr in zip(wanted, batch.columns, strict=True):
            if isinstance(arr, pa.ChunkedArray):  # pragma: no cover - defensive
                arr = arr.combine_chunks()
            known = is_known_field(src_name)
            if known and field_name(src_name) in INTEGER_FIELDS:
                arr, wrong = _int_column(arr)
                if wrong is not None:
                    for i in np.flatnonzero(wrong).tolist():
                        reasons.setdefault(i, f"{src_name}={batch.column(src_name)[i].as_py()!r}")
                    bad = wrong if bad is None else (bad | wrong)
            else:
                arr = _string_column(arr, column_name(src_name) if known else col_name)
            arrays.append(arr)
            names.append(col_name)
        if bad is not None:
            for i, text in sorted(reasons.items()):
                summary._invalid(entry, "non_numeric", int(lines[i]), text)
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
