"""The command line's progress line and its interrupt summary.

On a terminal, ``inspect`` and ``analyze`` keep one self-overwriting line on
stderr -- phase, records read, files done of total, records per second --
redrawn at most twice a second (:data:`REDRAW_SECONDS`) from the read
summary's counters, which the reader hands over once per batch and per file
(never per record).  Off a terminal (a pipe, a file, CI) nothing is drawn.
Either way the last counts are kept, so Ctrl-C can print what was read so
far (:meth:`ProgressLine.partial`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["ProgressLine", "REDRAW_SECONDS"]

REDRAW_SECONDS = 0.5
"""Least time between two redraws of the progress line."""


class ProgressLine:
    """One status line on a terminal, redrawn in place.

    Parameters
    ----------
    stream : text stream, optional
        Where to draw (default ``sys.stderr``).
    enabled : bool, optional
        Draw or not; default: only when ``stream`` is a terminal.
    clock : callable
        Monotonic seconds (injectable for tests).

    Examples
    --------
    >>> import io
    >>> from flowgraph.read import ReadSummary
    >>> out = io.StringIO()
    >>> line = ProgressLine(out, enabled=True, clock=iter([0.0, 2.0, 2.1, 4.0]).__next__)
    >>> s = ReadSummary(records=1500, invalid=2)
    >>> line.reading(s, 1, 4)       # t = 2.0: drawn
    >>> line.reading(s, 2, 4)       # t = 2.1: too soon, not drawn
    >>> out.getvalue().count("\\r"), "1,502 records" in out.getvalue(), "files 1/4" in out.getvalue()
    (1, True, True)
    >>> line.partial()
    'read before the interrupt: 2 of 4 files done, 1,502 lines read: 1,500 valid records, 2 invalid'
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self._stream, "isatty", None)
            try:
                enabled = bool(isatty()) if isatty is not None else False
            except (OSError, ValueError):
                enabled = False
        self.enabled = enabled
        self._clock = clock
        self._start = clock()
        self._last_draw: float | None = None
        self._drawn = False
        self._summary: Any = None
        self._files = (0, 0)
        self._phase = "reading"

    def reading(self, summary: Any, files_done: int, files_total: int) -> None:
        """Take the reader's live counts (the ``progress`` of :func:`flowgraph.scan_flows`)."""
        self._summary = summary
        self._files = (files_done, files_total)
        self._phase = "reading"
        self._maybe_draw()

    def phase(self, name: str, done: int, total: int) -> None:
        """Show a later phase (an assessment step) with its own count."""
        self._phase = f"{name} {done}/{total}" if total else name
        self._maybe_draw()

    def _maybe_draw(self) -> None:
        if not self.enabled:
            return
        now = self._clock()
        if self._last_draw is not None and now - self._last_draw < REDRAW_SECONDS:
            return
        self._last_draw = now
        self._stream.write("\r" + self.text(now) + "\x1b[K")
        self._stream.flush()
        self._drawn = True

    def text(self, now: float | None = None) -> str:
        """The line's text: phase, records, files, rate."""
        parts = [self._phase]
        if self._summary is not None:
            lines = int(self._summary.records) + int(self._summary.invalid)
            elapsed = max((self._clock() if now is None else now) - self._start, 1e-9)
            done, total = self._files
            parts += [f"{lines:,} records", f"files {done}/{total}", f"{lines / elapsed:,.0f} records/s"]
        return "  ".join(parts)

    def close(self) -> None:
        """Erase the line (the next output starts on a clean line)."""
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._drawn = False

    def partial(self) -> str | None:
        """What was read so far, one line; ``None`` before the first batch."""
        s = self._summary
        if s is None:
            return None
        done, total = self._files
        valid, invalid = int(s.records), int(s.invalid)
        return (f"read before the interrupt: {done} of {total} files done, {valid + invalid:,} lines read: "
                f"{valid:,} valid records, {invalid:,} invalid")
