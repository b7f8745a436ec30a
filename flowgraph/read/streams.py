"""Byte streams: gzip decompression, whole-line chunking, sanitising, prefetching.

The text reader feeds :mod:`pyarrow.csv` with chunks of *whole lines* that
are guaranteed to be valid UTF-8 and free of control characters, so that the
CSV parser never aborts.  The stages, all block-wise (memory stays bounded):

1. :func:`raw_blocks` reads the stored bytes (counting them);
2. :func:`decompressed_blocks` inflates gzip itself (``zlib``, multi-member,
   a truncated or corrupt stream ends the data instead of raising);
3. :func:`whole_lines` cuts the data at the last newline of each block, counts
   physical lines and sets aside over-long lines and a partial last line of a
   truncated file;
4. :func:`sanitized_chunks` makes each chunk safe for the CSV parser: ``\\r\\n`` -> ``\\n``,
   tab / vertical tab / form feed / lone ``\\r`` -> space, and a line holding
   other control characters or bytes that are not UTF-8 is replaced by an empty
   line and flagged (``bad_bytes``) with its original bytes;
5. :class:`PrefetchReader` runs stages 1-4 in a background thread (``zlib`` and
   ``numpy`` release the GIL) and serves the chunks as a file object; once the
   parser knows how many fields a line has, a chunk whose space count shows
   irregular whitespace (double, leading, trailing spaces) is rewritten with
   single spaces, so such lines need not go through Python one by one.

Every flagged line keeps its physical line number, so nothing is lost from the
line count.
"""

from __future__ import annotations

import io
import queue
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

__all__ = [
    "RAW_BLOCK",
    "CHUNK",
    "MAX_LINE",
    "MAX_FILE_BYTES",
    "MAX_GZIP_RATIO",
    "GZIP_RATIO_AFTER",
    "BOM",
    "strip_bom",
    "StreamState",
    "raw_blocks",
    "decompressed_blocks",
    "whole_lines",
    "sanitized_chunks",
    "SanitizedChunk",
    "normalise_spaces",
    "count_lines",
    "PrefetchReader",
]

RAW_BLOCK = 1 << 20
"""Bytes read from storage per call."""
CHUNK = 8 << 20
"""Target size of decompressed / sanitised chunks (the CSV block size)."""
MAX_LINE = 64 << 10
"""Lines longer than this (64 KiB) are not flow-log records (``line_too_long``).

The longest real record (version 11, every field, four tags of 128 + 256
characters) is a few KiB.  An over-long line is discarded as it streams by:
only its first KiB is kept (for the example), never the whole line.
"""
MAX_FILE_BYTES = 16 << 30
"""Decompressed bytes read from one file at most (16 GiB); the rest is not read (``truncated``)."""
MAX_GZIP_RATIO = 250
"""Decompressed / compressed size beyond which a gzip file is taken for a decompression bomb.

Flow logs compress 5-30 times; 1 GiB of newlines compresses about 1,000 times
(deflate's limit is ~1,032).  Checked once :data:`GZIP_RATIO_AFTER` bytes were
inflated, so small, very repetitive files are read whole.
"""
GZIP_RATIO_AFTER = 64 << 20
"""Decompressed bytes (64 MiB) after which :data:`MAX_GZIP_RATIO` applies."""
BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte-order mark some editors and exporters write before the first line."""

GZIP_MAGIC = b"\x1f\x8b"

# tab, vertical tab, form feed, carriage return -> space; other controls -> NUL marker
_TABLE = bytearray(range(256))
for _b in [*range(0, 9), *range(14, 32), 127]:
    _TABLE[_b] = 0
for _b in (9, 11, 12, 13):
    _TABLE[_b] = 32
_TRANSLATE = bytes(_TABLE)


@dataclass
class StreamState:
    """Facts one file's byte pipeline reports to the reader."""

    bytes_read: int = 0
    bytes_decompressed: int = 0
    truncated: str | None = None
    """Why the gzip data ended early (``None`` when intact)."""
    lines: int = 0
    """Physical lines produced so far."""
    flags: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    """Line number -> (invalid reason, original bytes) for lines replaced by an empty line."""
    trailing_garbage: int = 0
    """Bytes after the last gzip member that are not gzip data (ignored)."""


def raw_blocks(f, state: StreamState, first: bytes = b"", size: int = RAW_BLOCK) -> Iterator[bytes]:
    """Yield the stored bytes of an open binary file, counting them.

    ``first`` holds bytes already read (e.g. for magic-number sniffing).
    """
    if first:
        state.bytes_read += len(first)
        yield first
    while True:
        block = f.read(size)
        if not block:
            return
        state.bytes_read += len(block)
        yield bytes(block)


def _over_limit(state: StreamState, gzip: bool) -> str | None:
    """Why reading must stop here (:data:`MAX_FILE_BYTES`, :data:`MAX_GZIP_RATIO`), else ``None``."""
    out = state.bytes_decompressed
    if out > MAX_FILE_BYTES:
        return (f"stopped after {out:,} bytes: more than the {MAX_FILE_BYTES:,} bytes read "
                "from one file at most")
    if gzip and out > GZIP_RATIO_AFTER and out > MAX_GZIP_RATIO * max(state.bytes_read, 1):
        return (f"stopped after {out:,} bytes inflated from {state.bytes_read:,}: a ratio over "
                f"{MAX_GZIP_RATIO} is a decompression bomb, not flow logs")
    return None


def decompressed_blocks(blocks: Iterable[bytes], state: StreamState, gzip: bool) -> Iterator[bytes]:
    """Inflate gzip data (every member) or pass plain data through.

    A stream that ends inside a member, or whose data is corrupt, sets
    ``state.truncated`` and ends after yielding everything that could be
    decompressed before the damage.  So does a file beyond
    :data:`MAX_FILE_BYTES` or a gzip file inflating more than
    :data:`MAX_GZIP_RATIO` times (the reason says which).
    """
    if not gzip:
        for block in blocks:
            state.bytes_decompressed += len(block)
            yield block
            stop = _over_limit(state, False)
            if stop:
                state.truncated = stop
                return
        return
    d = zlib.decompressobj(31)
    in_member = False  # bytes of the current member were fed
    finished = False  # trailing garbage seen: ignore the rest
    for block in blocks:
        if finished:
            state.trailing_garbage += len(block)
            continue
        data = block
        while data or in_member:
            if not in_member:
                if data[:1] != b"\x1f":
                    # not the start of another gzip member: zero padding or garbage
                    state.trailing_garbage += len(data)
                    finished = True
                    break
                in_member = True
            saved = d.copy()
            try:
                out = d.decompress(data, CHUNK)
            except zlib.error as exc:
                # salvage what precedes the damage: re-feed this input in small pieces
                for piece in _salvage(saved, data):
                    state.bytes_decompressed += len(piece)
                    yield piece
                state.truncated = f"corrupt gzip data ({exc})"
                return
            if out:
                state.bytes_decompressed += len(out)
                yield out
                stop = _over_limit(state, True)
                if stop:
                    state.truncated = stop
                    return
            if d.eof:
                data = d.unused_data
                d = zlib.decompressobj(31)
                in_member = False
                continue
            data = d.unconsumed_tail
            if not data and len(out) < CHUNK:
                break  # need more input
    if in_member:
        try:
            out = d.flush()
        except zlib.error:  # pragma: no cover - flush on truncated input does not raise
            out = b""
        if out:
            state.bytes_decompressed += len(out)
            yield out
        state.truncated = "truncated gzip data (the file ends inside a compressed member)"


def strip_bom(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """Pass data through without a UTF-8 byte-order mark at its very start.

    Examples
    --------
    >>> b"".join(strip_bom([b"\\xef", b"\\xbb\\xbfversion srcaddr\\n"]))
    b'version srcaddr\\n'
    >>> b"".join(strip_bom([b"2 123\\n"]))
    b'2 123\\n'
    """
    it = iter(blocks)
    head = b""
    for block in it:
        head += block
        if len(head) >= len(BOM) or not BOM.startswith(head):
            break
    if head.startswith(BOM):
        head = head[len(BOM):]
    if head:
        yield head
    yield from it


def _has_long_line(data: bytes, max_line: int) -> bool:
    """Whether ``data`` may hold a line longer than ``max_line`` (never a false negative).

    A line longer than ``max_line`` covers a whole aligned window of
    ``max_line // 2`` bytes; windows are probed with ``bytes.find``, which
    stops at the first newline, so an 8 MiB chunk costs a few hundred calls.
    """
    step = max(1, max_line // 2)
    return any(data.find(b"\n", start, start + step) < 0
               for start in range(0, len(data) - step + 1, step))


def _long_lines(data: bytes, max_line: int) -> list[tuple[int, int]]:
    """(start, end) of the lines of ``data`` (whole lines) longer than ``max_line``."""
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], nl[:-1] + 1))
    over = np.flatnonzero(nl - starts > max_line)
    return [(int(starts[i]), int(nl[i])) for i in over]


def _salvage(d, data: bytes, step: int = 512) -> Iterator[bytes]:
    """Output of ``d`` for ``data`` fed in small pieces, up to the first zlib error."""
    for i in range(0, len(data), step):
        saved = d.copy()
        try:
            out = d.decompress(data[i:i + step])
        except zlib.error:
            if step > 1:
                yield from _salvage(saved, data[i:i + step], 1)
            return
        if out:
            yield out


def whole_lines(blocks: Iterable[bytes], state: StreamState, target: int = CHUNK,
                max_line: int = MAX_LINE) -> Iterator[bytes]:
    """Regroup data into chunks of whole ``\\n``-terminated lines of about ``target`` bytes.

    Updates ``state.lines``.  A line longer than :data:`MAX_LINE` is replaced
    by an empty line flagged ``line_too_long``.  When ``state.truncated`` is
    set at the end, a last line without newline is incomplete: it is replaced
    by an empty line flagged ``truncated`` (it might otherwise parse as a
    record with a cut value).  An intact file's last line needs no newline.
    """
    ready: list[bytes] = []  # complete lines not yet emitted
    ready_len = 0
    partial: list[bytes] = []  # bytes after the last newline seen
    partial_len = 0
    overlong: bytes | None = None  # head of an over-long line being discarded

    def flush() -> Iterator[bytes]:
        nonlocal ready, ready_len
        if ready:
            chunk = ready[0] if len(ready) == 1 else b"".join(ready)
            ready, ready_len = [], 0
            state.lines += count_lines(chunk)
            yield chunk

    def flag(reason: str, text: bytes) -> Iterator[bytes]:
        yield from flush()
        state.lines += 1
        state.flags[state.lines] = (reason, text[:1024])
        yield b"\n"

    for block in blocks:
        if overlong is not None:
            cut = block.find(b"\n")
            if cut < 0:
                continue
            yield from flag("line_too_long", overlong)
            overlong = None
            block = block[cut + 1:]
        cut = block.rfind(b"\n")
        if cut < 0:
            if block:
                partial.append(block)
                partial_len += len(block)
            if partial_len > max_line:
                overlong = b"".join(partial)[:1024]
                partial, partial_len = [], 0
            continue
        head = block[: cut + 1]
        if partial:
            first_nl = head.find(b"\n")
            if partial_len + first_nl > max_line:
                yield from flag("line_too_long", b"".join(partial)[:1024])
                head = head[first_nl + 1:]
            else:
                partial.append(head)
                head = b"".join(partial)
            partial, partial_len = [], 0
        if head and len(head) > max_line and _has_long_line(head, max_line):
            prev = 0
            for start, end in _long_lines(head, max_line):
                if start > prev:
                    ready.append(head[prev:start])
                    ready_len += start - prev
                yield from flag("line_too_long", head[start:start + 1024])
                prev = end + 1
            head = head[prev:]
        if head:
            ready.append(head)
            ready_len += len(head)
        if cut + 1 < len(block):
            partial.append(block[cut + 1:])
            partial_len += len(block) - cut - 1
        if ready_len >= target:
            yield from flush()
    if overlong is not None:
        yield from flag("line_too_long", overlong)
    elif partial:
        rest = b"".join(partial)
        if state.truncated:
            yield from flag("truncated", rest)
        elif len(rest) > max_line:
            yield from flag("line_too_long", rest)
        else:
            ready.append(rest + b"\n")
    yield from flush()


def count_lines(chunk: bytes) -> int:
    """Number of ``\\n`` in ``chunk`` (numpy for large chunks: faster than ``bytes.count``)."""
    if len(chunk) < 65536:
        return chunk.count(b"\n")
    return int(np.count_nonzero(np.frombuffer(chunk, dtype=np.uint8) == 10))


def _blank_lines(chunk: bytes, original: bytes, indices: Iterable[int], first_line: int,
                 state: StreamState) -> bytes:
    """Replace the lines at ``indices`` (0-based within the chunk) by empty lines, flagged."""
    lines = chunk.split(b"\n")
    olines = lines if original is chunk else original.split(b"\n")
    for i in indices:
        state.flags[first_line + i] = ("bad_bytes", olines[i][:1024])
        lines[i] = b""
    return b"\n".join(lines)


def _utf8_bad_lines(chunk: bytes) -> list[int]:
    """0-based indices of the lines of ``chunk`` that are not valid UTF-8."""
    try:
        chunk.decode("utf-8")
        return []
    except UnicodeDecodeError as exc:
        start = chunk.rfind(b"\n", 0, exc.start) + 1
    bad = []
    first = chunk.count(b"\n", 0, start)
    for i, line in enumerate(chunk[start:].split(b"\n"), first):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(i)
    return bad


class SanitizedChunk(NamedTuple):
    """A chunk of whole, safe lines with its line and space counts."""

    data: bytes
    lines: int
    spaces: int


def normalise_spaces(chunk: bytes) -> bytes:
    """One space between tokens, none at line ends (line count unchanged)."""
    return b"\n".join([b" ".join(line.split()) for line in chunk.split(b"\n")])


def sanitized_chunks(chunks: Iterable[bytes], state: StreamState) -> Iterator[SanitizedChunk]:
    """Make whole-line chunks safe for the CSV parser (see the module docstring).

    Flagged lines are recorded in ``state.flags`` under their physical line
    number (the chunks must be consecutive, starting at line 1).  The space
    count lets :class:`PrefetchReader` spot chunks with irregular whitespace
    once the number of fields per line is known.
    """
    first_line = 1
    for chunk in chunks:
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n")
        n_lines = count_lines(chunk)
        arr = np.frombuffer(chunk, dtype=np.uint8)
        if int(np.count_nonzero(arr < 32)) != n_lines or b"\x7f" in chunk:
            original = chunk
            chunk = chunk.translate(_TRANSLATE)
            if b"\x00" in chunk:
                a = np.frombuffer(chunk, dtype=np.uint8)
                newlines = np.flatnonzero(a == 10)
                marks = np.flatnonzero(a == 0)
                indices = np.unique(np.searchsorted(newlines, marks)).tolist()
                chunk = _blank_lines(chunk, original, indices, first_line, state)
        if not chunk.isascii():
            bad = _utf8_bad_lines(chunk)
            if bad:
                chunk = _blank_lines(chunk, chunk, bad, first_line, state)
        spaces = int(np.count_nonzero(np.frombuffer(chunk, dtype=np.uint8) == 32))
        first_line += n_lines
        yield SanitizedChunk(chunk, n_lines, spaces)


class PrefetchReader(io.RawIOBase):
    """A read-only file object over an iterator of byte chunks.

    With ``background=True`` the iterator runs in a daemon thread that keeps
    up to ``depth`` chunks ready, so decompression overlaps parsing.  Errors
    raised by the iterator are re-raised from :meth:`read`.  :meth:`peek_line`
    and :meth:`skip_line` let a caller consume the first lines before handing
    the object to a parser.

    :meth:`close` stops the thread (named ``flowgraph-read-prefetch``) and
    waits for it; a :meth:`read` still waiting on the queue in another thread
    (a parser's) then returns end of file instead of blocking for ever.

    Examples
    --------
    >>> r = PrefetchReader(iter([b"a\\n", b"b\\n"]), background=True)
    >>> r.read(2), r.read(2), r.read(2)
    (b'a\\n', b'b\\n', b'')
    >>> r.close(); r._thread.is_alive()
    False
    """

    _END = object()

    def __init__(self, chunks: Iterator[bytes | SanitizedChunk], *, background: bool = True,
                 depth: int = 2, on_close: Callable[[], None] | None = None):
        super().__init__()
        self._chunks = chunks
        self._tokens: int | None = None
        self._buf = b""
        self._pos = 0
        self._done = False
        self._on_close = on_close
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        if background:
            self._queue: queue.Queue = queue.Queue(maxsize=depth)
            self._thread = threading.Thread(target=self._produce, daemon=True,
                                            name="flowgraph-read-prefetch")
            self._thread.start()

    def _produce(self) -> None:
        try:
            for chunk in self._chunks:
                while not self._stop.is_set():
                    try:
                        self._queue.put(chunk, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            item = self._END
        except BaseException as exc:  # handed to the consumer
            item = exc
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _next_chunk(self) -> bytes | SanitizedChunk | None:
        if self._done:
            return None
        if self._thread is None:
            chunk = next(self._chunks, None)
        else:
            while True:
                try:
                    item = self._queue.get(timeout=0.1)
                    break
                except queue.Empty:
                    if self._stop.is_set():  # closed while waiting (a parser thread): end of file
                        self._done = True
                        return None
            if isinstance(item, BaseException):
                self._done = True
                raise item
            chunk = None if item is self._END else item
        if chunk is None:
            self._done = True
        return chunk

    def _fill(self) -> bool:
        while self._pos >= len(self._buf):
            item = self._next_chunk()
            if item is None:
                return False
            if isinstance(item, SanitizedChunk):
                chunk = item.data
                if self._tokens and item.spaces != (self._tokens - 1) * item.lines:
                    chunk = normalise_spaces(chunk)
            else:
                chunk = item
            self._buf, self._pos = chunk, 0
        return True

    def expect_tokens(self, tokens: int) -> None:
        """From now on, normalise chunks whose space count shows irregular whitespace.

        A line of ``tokens`` fields has ``tokens - 1`` single spaces; a chunk
        with any other total (double, leading or trailing spaces, blank or
        invalid lines) is rewritten with one space between tokens, so the CSV
        parser does not hand each such line to Python.
        """
        self._tokens = tokens
        rest = self._buf[self._pos:]
        if rest:
            arr = np.frombuffer(rest, dtype=np.uint8)
            lines = int(np.count_nonzero(arr == 10))
            if int(np.count_nonzero(arr == 32)) != (tokens - 1) * lines:
                self._buf, self._pos = normalise_spaces(rest), 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while self._fill():
                parts.append(self._buf[self._pos:])
                self._pos = len(self._buf)
            return b"".join(parts)
        if size == 0 or not self._fill():
            return b""
        if self._pos == 0 and size >= len(self._buf):
            out = self._buf
        else:
            out = self._buf[self._pos:self._pos + size]
        self._pos += len(out)
        return out

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def peek_line(self) -> bytes | None:
        """The next whole line (without its newline), not consumed; ``None`` at the end."""
        if not self._fill():
            return None
        end = self._buf.find(b"\n", self._pos)
        if end < 0:
            return self._buf[self._pos:]
        return self._buf[self._pos:end]

    def skip_newlines(self) -> int:
        """Consume the run of empty lines at the current position (in this chunk); return its length."""
        if not self._fill():
            return 0
        arr = np.frombuffer(self._buf, dtype=np.uint8, offset=self._pos)
        other = arr != 10
        run = int(other.argmax()) if other.any() else len(arr)
        self._pos += run
        return run

    def skip_line(self) -> None:
        """Consume the line :meth:`peek_line` returned."""
        if not self._fill():
            return
        end = self._buf.find(b"\n", self._pos)
        self._pos = len(self._buf) if end < 0 else end + 1

    def close(self) -> None:
        if not self.closed:
            self._stop.set()
            if self._thread is not None:
                # unblock a producer waiting on a full queue, then let it finish
                while self._thread.is_alive():
                    try:
                        self._queue.get(timeout=0.05)
                    except queue.Empty:
                        pass
                self._thread.join()
            if self._on_close is not None:
                self._on_close()
        super().close()
