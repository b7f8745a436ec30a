"""CloudWatch Logs exports: flow-log records wrapped in JSON.

Accepted shapes, one JSON value per line:

* ``{"message": "<record>", ...}`` (CloudWatch Logs events, forwarders);
* subscription envelopes ``{"messageType": "DATA_MESSAGE", "logEvents": [{"message": ...}, ...]}``
  (a ``CONTROL_MESSAGE`` envelope is counted as invalid ``control_message``);
* ``{"events": [{"message": ...}, ...]}`` (``aws logs filter-log-events`` output),
  also as one pretty-printed document spanning many lines;
* a bare JSON string holding the record.

The messages are turned into a stream of text lines and parsed by
:mod:`flowgraph.read.text` (a header message is honoured like a header line).
Line numbers reported (``_line``, examples) are the JSON file's lines; all
records of one envelope share its line.  A line that is not JSON counts as
``invalid_json`` (as does JSON nested too deep to parse); a line that is not
UTF-8 as ``bad_bytes``; JSON without a message as ``json_no_message``; a
message longer than :data:`~flowgraph.read.streams.MAX_LINE` as
``line_too_long``.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from .streams import MAX_LINE, StreamState

__all__ = ["LineMap", "sniff_json", "json_messages", "document_messages", "DOCUMENT_MAX"]

DOCUMENT_MAX = 256 << 20
"""Largest multi-line JSON document parsed as a whole (decompressed bytes)."""

_ENVELOPE_KEYS = ("logEvents", "events")


class LineMap:
    """Maps the line numbers of the generated message stream to JSON-file lines.

    Filled by the producer thread, read by the parser; segments the parser no
    longer needs are dropped with :meth:`prune`, so memory stays bounded.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._starts: list[int] = []
        self._lines: list[np.ndarray] = []

    def add(self, first: int, physical: list[int]) -> None:
        """Record that message lines ``first, first+1, ...`` come from ``physical``."""
        if physical:
            with self._lock:
                self._starts.append(first)
                self._lines.append(np.asarray(physical, dtype=np.int64))

    def __call__(self, lines: np.ndarray) -> np.ndarray:
        lines = np.asarray(lines, dtype=np.int64)
        with self._lock:
            starts = np.asarray(self._starts, dtype=np.int64)
            segments = list(self._lines)
        seg = np.searchsorted(starts, lines, side="right") - 1
        out = np.empty_like(lines)
        for s in np.unique(seg).tolist():
            sel = seg == s
            out[sel] = segments[s][lines[sel] - starts[s]]
        return out

    def prune(self, upto: int) -> None:
        """Forget segments whose lines are all <= ``upto``."""
        with self._lock:
            while len(self._starts) > 1 and self._starts[0] + len(self._lines[0]) - 1 <= upto:
                self._starts.pop(0)
                self._lines.pop(0)


def _message(value) -> bytes | str:
    """The record line of an event ``message`` (bytes) or an invalid reason (str)."""
    if not isinstance(value, str):
        return "json_no_message"
    value = value.strip().lstrip("\ufeff")
    if len(value) > MAX_LINE:
        return "line_too_long"
    if "\n" in value or "\r" in value:
        value = value.replace("\r", " ").replace("\n", " ")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        return "bad_bytes"


def _messages(obj) -> list[bytes | str]:
    """Record lines (bytes) or invalid reasons (str) held by one JSON value."""
    if isinstance(obj, str):
        return [_message(obj)]
    if isinstance(obj, list):
        out: list[bytes | str] = []
        for item in obj:
            out.extend(_messages(item))
        return out or [b""]
    if not isinstance(obj, dict):
        return ["json_no_message"]
    if obj.get("messageType") == "CONTROL_MESSAGE":
        return ["control_message"]
    if "message" in obj:
        return [_message(obj["message"])]
    for key in _ENVELOPE_KEYS:
        events = obj.get(key)
        if isinstance(events, list):
            if not events:
                return [b""]
            return [_message(e.get("message")) if isinstance(e, dict) else "json_no_message"
                    for e in events]
    return ["json_no_message"]


def sniff_json(first_line: bytes) -> str:
    """How to read a JSON file, judged from its first non-blank line.

    Returns ``"lines"`` (one JSON value per line), ``"document"`` (one value
    spanning lines, parse it whole) or ``"skip"`` (JSON that holds no
    CloudWatch Logs messages, e.g. a manifest).

    Examples
    --------
    >>> sniff_json(b'{"timestamp": 1, "message": "2 123 eni-1 ..."}')
    'lines'
    >>> sniff_json(b'{')
    'document'
    >>> sniff_json(b'{"records": 3}')
    'skip'
    """
    try:
        obj = json.loads(first_line)
    except (ValueError, RecursionError):
        return "document" if first_line.lstrip()[:1] in (b"{", b"[") else "lines"
    if isinstance(obj, str):
        return "lines"
    if isinstance(obj, dict) and (
        "message" in obj or "messageType" in obj or any(k in obj for k in _ENVELOPE_KEYS)
    ):
        return "lines"
    if isinstance(obj, list) and obj and isinstance(obj[0], dict) and "message" in obj[0]:
        return "lines"
    return "skip"


def _fast_messages(chunk: bytes, n_lines: int) -> tuple[bytes, list[int]] | None:
    """Vectorised path for a chunk of plain ``{"message": ...}`` lines (``None``: not applicable).

    Returns the record lines (one per JSON line) and the 0-based indices of
    the lines without a string message.
    """
    if b"\n\n" in chunk or chunk[:1] in (b"\n", b" ") or b"\r" in chunk or b"\n " in chunk:
        return None
    if not chunk.isascii():
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            return None  # the line-by-line path names the lines that are not UTF-8
    try:
        return _fast_table(chunk, n_lines)
    except pa.ArrowException:
        return None


def _fast_table(chunk: bytes, n_lines: int) -> tuple[bytes, list[int]] | None:
    table = pa_json.read_json(io.BytesIO(chunk), read_options=pa_json.ReadOptions(
        use_threads=False, block_size=len(chunk) + 1))
    names = set(table.column_names)
    if (table.num_rows != n_lines or "message" not in names
            or names & {"messageType", *_ENVELOPE_KEYS}
            or not pa.types.is_string(table.schema.field("message").type)):
        return None
    msgs = table.column("message").combine_chunks()
    if len(msgs) and (pc.max(pc.binary_length(msgs)).as_py() or 0) > MAX_LINE:
        return None
    missing = np.flatnonzero(msgs.is_null().to_numpy(zero_copy_only=False)).tolist() \
        if msgs.null_count else []
    msgs = pc.utf8_trim_whitespace(pc.fill_null(msgs, ""))
    if pc.any(pc.match_substring_regex(msgs, "[\r\n]")).as_py():
        msgs = pc.replace_substring_regex(msgs, "[\r\n]", " ")
    lines = pc.binary_join_element_wise(msgs, pa.scalar(""), "\n")
    offsets = lines.buffers()[1]
    start, end = (np.frombuffer(offsets, dtype=np.int32)[[lines.offset, lines.offset + len(lines)]]
                  .tolist())
    return lines.buffers()[2].to_pybytes()[start:end], missing


def json_messages(chunks: Iterable[bytes], physical: StreamState, out: StreamState,
                  line_map: LineMap) -> Iterator[bytes]:
    """Turn chunks of whole JSON lines into chunks of record lines.

    Invalid JSON lines and events without a message become empty lines
    flagged in ``out.flags`` (keyed by message line); lines flagged by the
    byte pipeline (``physical.flags``: truncation, over-long) carry over.
    Chunks of plain ``{"message": ...}`` lines take a vectorised path
    (:mod:`pyarrow.json`); anything else is parsed line by line.
    """
    phys = 0
    msg = 0
    for chunk in chunks:
        first = msg + 1
        n_lines = chunk.count(b"\n")
        fast = None
        if not any(phys < k <= phys + n_lines for k in physical.flags):
            fast = _fast_messages(chunk, n_lines)
        if fast is not None:
            data, missing = fast
            if missing:
                raw_lines = chunk.split(b"\n")
                for i in missing:
                    out.flags[first + i] = ("json_no_message", raw_lines[i])
            line_map.add(first, list(range(phys + 1, phys + n_lines + 1)))
            phys += n_lines
            msg += n_lines
            yield data
            continue
        lines_out: list[bytes] = []
        phys_of: list[int] = []
        raw_lines = chunk.split(b"\n")
        if raw_lines and raw_lines[-1] == b"":
            raw_lines.pop()
        for raw in raw_lines:
            phys += 1
            flag = physical.flags.pop(phys, None)
            items: list[bytes | str]
            if flag is not None:
                items = [flag[0]]
                text = flag[1]
            else:
                text = raw
                stripped = raw.strip()
                if not stripped:
                    items = [b""]
                else:
                    try:
                        items = _messages(json.loads(stripped))
                    except UnicodeDecodeError:
                        items = ["bad_bytes"]
                    except (ValueError, RecursionError):  # RecursionError: nested too deep
                        items = ["invalid_json"]
            for item in items:
                msg += 1
                phys_of.append(phys)
                if isinstance(item, str):
                    out.flags[msg] = (item, text)
                    lines_out.append(b"")
                else:
                    lines_out.append(item)
        line_map.add(first, phys_of)
        if lines_out:
            yield b"\n".join(lines_out) + b"\n"


_MESSAGE_KEY = re.compile(rb'"message"\s*:')


def document_messages(doc, data: bytes, out: StreamState, line_map: LineMap) -> Iterator[bytes]:
    """Record lines of one JSON document spanning many lines (``filter-log-events`` output).

    Each record's line is the line of its ``"message"`` key when the keys can
    be matched one to one with the events, else the document's first line.
    """
    items = _messages(doc)
    positions = [m.start() for m in _MESSAGE_KEY.finditer(data)]
    phys_of: list[int]
    if len(positions) == len(items):
        phys_of, line, last = [], 1, 0
        for pos in positions:
            line += data.count(b"\n", last, pos)
            last = pos
            phys_of.append(line)
    else:
        first = len(data) - len(data.lstrip())
        phys_of = [data.count(b"\n", 0, first) + 1] * len(items)
    lines_out = []
    for i, item in enumerate(items, 1):
        if isinstance(item, str):
            out.flags[i] = (item, b"(JSON document event)")
            lines_out.append(b"")
        else:
            lines_out.append(item)
    line_map.add(1, phys_of)
    if lines_out:
        yield b"\n".join(lines_out) + b"\n"
