"""Sniffing and shared plumbing for the Azure and GCP flow-log readers.

:func:`sniff_cloud` looks at the first bytes of a JSON file and tells
whether it is an Azure flow-log blob (``PT1H.json``: ``{"records": [...]}``)
or GCP VPC Flow Logs (Cloud Logging entries, one JSON value per line, or a
``gcloud logging read --format=json`` array).  :func:`read_cloud` reads such
a file with :mod:`flowgraph.read.azure` or :mod:`flowgraph.read.gcp` and
keeps the :class:`~flowgraph.read.summary.ReadSummary` the way the AWS
readers do (one ``per_file`` entry, invalid items counted with a reason and a
``file:line`` example, bytes and time span).

Both readers produce *narrow* batches: the canonical columns they fill
(:data:`flowgraph.read.CANONICAL_COLUMNS` names and types) plus ``_line``,
plus optional string columns that have no AWS counterpart (see
``docs/reading-azure-gcp.md``); :class:`~flowgraph.read.scan.FlowScan`
widens them like any other file's batches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from itertools import chain

import numpy as np
import pandas as pd
import pyarrow as pa

from .fields import arrow_type, field_name, is_known_field
from .streams import StreamState
from .summary import ReadSummary
from .text import tally_batch

__all__ = ["sniff_cloud", "sniff_cloud_blocks", "read_cloud", "CLOUD_DOCUMENT_MAX", "to_batch"]

CLOUD_DOCUMENT_MAX = 256 << 20
"""Largest JSON document (decompressed bytes) parsed as a whole (an Azure blob, a JSON array)."""

_AZURE_START = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"records"\s*:\s*\[')
_ARRAY_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*\[")
_GCP_HINT = re.compile(rb'"connection"\s*:\s*\{[^{}]*"(?:src_ip|dest_ip)"')


def _is_gcp_entry(obj) -> bool:
    if not isinstance(obj, dict):
        return False
    payload = obj.get("jsonPayload", obj.get("json_payload", obj))
    if not isinstance(payload, dict):
        return False
    conn = payload.get("connection")
    return isinstance(conn, dict) and ("src_ip" in conn or "dest_ip" in conn)


def sniff_cloud(data: bytes) -> str | None:
    """Which cloud reader a JSON file needs: ``"azure"``, ``"gcp"`` or ``None``.

    Parameters
    ----------
    data : bytes
        The first bytes of the (decompressed) file; at least its first line.

    Examples
    --------
    >>> sniff_cloud(b'{\\n  "records": [\\n    {"time": "2022-09-14T09:00:52Z"')
    'azure'
    >>> sniff_cloud(b'{"connection": {"src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}, "reporter": "SRC"}\\n')
    'gcp'
    >>> sniff_cloud(b'{"message": "2 123456789010 eni-1 ..."}\\n') is None
    True
    """
    if _AZURE_START.match(data):
        return "azure"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _ARRAY_START.match(head):
        return "gcp" if _GCP_HINT.search(head[: 1 << 20]) else None
    end = head.find(b"\n")
    line = head if end < 0 else head[:end]
    try:
        obj = json.loads(line)
    except ValueError:
        # a first line longer than the bytes seen: judge from its keys
        return "gcp" if end < 0 and head[:1] == b"{" and _GCP_HINT.search(head) else None
    return "gcp" if _is_gcp_entry(obj) else None


SNIFF_BYTES = 1 << 16
"""Bytes looked at by :func:`sniff_cloud_blocks`."""


def sniff_cloud_blocks(blocks: Iterable[bytes]) -> tuple[str | None, Iterator[bytes]]:
    """:func:`sniff_cloud` on the first :data:`SNIFF_BYTES` of ``blocks``; returns the blocks intact.

    Examples
    --------
    >>> kind, blocks = sniff_cloud_blocks(iter([b"{", b'"records": [', b"]}"]))
    >>> kind, b"".join(blocks)
    ('azure', b'{"records": []}')
    """
    it = iter(blocks)
    head: list[bytes] = []
    size = 0
    for block in it:
        head.append(block)
        size += len(block)
        if size >= SNIFF_BYTES:
            break
    return sniff_cloud(b"".join(head)), chain(head, it)


def read_document(blocks: Iterable[bytes], limit: int = CLOUD_DOCUMENT_MAX) -> bytes | None:
    """All bytes of ``blocks`` joined, or ``None`` when they exceed ``limit``."""
    parts, size = [], 0
    for block in blocks:
        parts.append(block)
        size += len(block)
        if size > limit:
            return None
    return b"".join(parts)


def line_starts(data: bytes) -> np.ndarray:
    """Byte offsets where lines start (line ``i + 1`` starts at ``out[i]``)."""
    nl = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    return np.concatenate([[0], nl + 1]).astype(np.int64)


def lines_of(starts: np.ndarray, offsets) -> np.ndarray:
    """1-based line numbers of byte ``offsets`` given :func:`line_starts`."""
    return np.searchsorted(starts, np.asarray(offsets, dtype=np.int64), side="right").astype(np.int64)


def _column(name: str, values) -> pa.Array:
    typ = arrow_type(name) if is_known_field(name) else pa.string()
    if isinstance(values, pa.Array):
        return values if values.type == typ else values.cast(typ)
    if isinstance(values, pd.Series):
        if typ == pa.int64():
            return pa.array(values.astype("Int64"), type=typ, from_pandas=True)
        if isinstance(values.dtype, pd.StringDtype) or values.dtype == object:
            try:
                arr = pa.array(values, type=typ, from_pandas=True)
                return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                pass
        return pa.array(values.astype(object).where(values.notna(), None), type=typ, from_pandas=True)
    return pa.array(values, type=typ, from_pandas=True)


def to_batch(columns: dict, lines) -> pa.RecordBatch:
    """Narrow batch from ``{column: values}`` (canonical columns get canonical types) and ``_line``."""
    arrays = [_column(name, values) for name, values in columns.items()]
    names = list(columns)
    arrays.append(pa.array(np.asarray(lines, dtype=np.int64), type=pa.int64()))
    names.append("_line")
    return pa.RecordBatch.from_arrays(arrays, names=names)


class CloudFile:
    """Bookkeeping of one cloud flow-log file: the summary entry and its invalid items."""

    def __init__(self, summary: ReadSummary, path: str, fmt: str) -> None:
        self.summary = summary
        self.path = path
        self.entry = summary._start_file(path, fmt)
        self._layout_set = False

    def invalid(self, reason: str, line: int, text: str | bytes) -> None:
        """Count one invalid item (a tuple, an entry, a record) with its line."""
        self.summary._invalid(self.entry, reason, int(line), text)

    def layout(self, name: str, columns: Iterable[str]) -> None:
        """Record the file's layout once: canonical fields present and extra columns."""
        if self._layout_set:
            return
        self._layout_set = True
        cols = [c for c in columns if c != "_line"]
        fields = tuple(field_name(c) for c in cols if is_known_field(c))
        extras = [c for c in cols if not is_known_field(c)]
        self.summary._set_layout(self.entry, name, fields, extras)

    def emit(self, batch: pa.RecordBatch) -> pa.RecordBatch | None:
        """Tally a narrow batch of valid records; ``None`` when it is empty."""
        if batch.num_rows == 0:
            return None
        batch = tally_batch(self.summary, self.entry, batch)
        return batch if batch.num_rows else None


def read_cloud(kind: str, blocks: Iterable[bytes], state: StreamState, summary: ReadSummary,
               path: str, fmt: str) -> Iterator[pa.RecordBatch]:
    """Read one Azure or GCP flow-log file (``kind`` from :func:`sniff_cloud`).

    Parameters
    ----------
    kind : {"azure", "gcp"}
        The reader to use.
    blocks : iterable of bytes
        The decompressed content, from its first byte.
    state : StreamState
        Byte-pipeline facts (bytes read, truncation).
    summary : ReadSummary
        Updated in place (one ``per_file`` entry for this file).
    path : str
        Reported path.
    fmt : str
        ``"json"`` or ``"json/gzip"`` (the container); the entry's format becomes
        ``"azure-json"``, ``"gcp-json/gzip"``, ...

    Yields
    ------
    pyarrow.RecordBatch
        Narrow batches (canonical columns present, extra columns, ``_line``).
    """
    from . import azure, gcp

    cloud = CloudFile(summary, path, f"{kind}-{fmt}")
    try:
        if kind == "azure":
            yield from azure.read_blob(blocks, state, cloud)
        else:
            yield from gcp.read_entries(blocks, state, cloud)
    finally:
        if not cloud._layout_set:
            cloud.layout(f"{kind}", ())
        summary._bytes(cloud.entry, state.bytes_read, state.bytes_decompressed)
        if state.truncated:
            cloud.entry["truncated"] = state.truncated
        summary._finish_file(cloud.entry)
