"""Time windows of a graph's edges: which days (or 6-hour windows) each edge was seen in.

The edge table's ``windows`` column is a bit mask: bit ``j`` is set when the edge
had a connection starting in window ``j``, ``[origin + j·seconds, origin + (j+1)·seconds)``.
The assessment resamples these windows for the verdict's interval (docs/metrics.md §7).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_WINDOWS", "MIN_WINDOWS", "TimeWindows", "choose_windows"]

DAY = 86_400
SIX_HOURS = 21_600
MAX_WINDOWS = 63
"""Most windows a mask holds (bits 0–62: the mask stays a positive 64-bit integer on every engine)."""
MIN_WINDOWS = 7
"""Fewest time windows the interval resamples (fewer: the edge bootstrap).  A percentile
interval from four 6-hour windows of one day would drop a whole night or morning from a
replicate with probability 1 − (3/4)^4 ≈ 0.68 per window; a week of days, or a day and a
half of 6-hour windows, is the least that resamples like a different stretch of logs."""


@dataclass(frozen=True)
class TimeWindows:
    """``count`` windows of ``seconds`` each from ``origin`` (epoch seconds).

    >>> w = choose_windows(0, 7 * 86_400 + 3600)
    >>> (w.seconds, w.origin, w.count, w.label)
    (86400, 0, 8, '1 day')
    """

    seconds: int
    origin: int
    count: int

    @property
    def label(self) -> str:
        if self.seconds % DAY == 0:
            days = self.seconds // DAY
            return "1 day" if days == 1 else f"{days} days"
        return f"{self.seconds / 3600:g} h"

    @property
    def usable(self) -> bool:
        """Enough windows to resample (``MIN_WINDOWS`` to ``MAX_WINDOWS``)."""
        return MIN_WINDOWS <= self.count <= MAX_WINDOWS and self.seconds > 0

    def to_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "origin": self.origin, "count": self.count, "label": self.label}

    @classmethod
    def of(cls, quality: Mapping[str, Any] | None) -> TimeWindows | None:
        """The usable windows recorded in a graph's ``quality["windows"]``, else ``None``.

        >>> TimeWindows.of({"windows": {"seconds": 21600, "origin": 0, "count": 8}}).label
        '6 h'
        >>> TimeWindows.of({"windows": {"seconds": 21600, "origin": 0, "count": 4}}) is None  # one day
        True
        """
        w = (quality or {}).get("windows")
        if not isinstance(w, Mapping):
            return None
        try:
            out = cls(int(w["seconds"]), int(w["origin"]), int(w["count"]))
        except (KeyError, TypeError, ValueError):
            return None
        return out if out.usable else None


def choose_windows(first: int, last: int) -> TimeWindows:
    """Windows for connections starting from ``first`` to ``last`` (epoch seconds).

    Whole UTC days when the starts span at least a week, else 6-hour windows;
    lengthened by whole multiples when more than :data:`MAX_WINDOWS` would be needed.

    >>> choose_windows(0, 26 * 3600)            # a day and two hours: five 6-hour windows
    TimeWindows(seconds=21600, origin=0, count=5)
    >>> choose_windows(0, 90 * 86_400).seconds  # 91 days: two-day windows
    172800
    """
    first, last = int(first), max(int(last), int(first))
    base = DAY if last - first >= 7 * DAY else SIX_HOURS
    origin = first // base * base
    needed = (last - origin) // base + 1
    seconds = base * max(1, math.ceil(needed / MAX_WINDOWS))
    while True:  # aligning the origin to the longer window can need one more window
        origin = first // seconds * seconds
        count = (last - origin) // seconds + 1
        if count <= MAX_WINDOWS:
            return TimeWindows(seconds, origin, int(count))
        seconds += base
