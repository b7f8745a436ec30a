"""Small helpers shared by the report writers (private).

Examples
--------
>>> iso_utc(0)
'1970-01-01T00:00:00Z'
>>> protocol_name(6), protocol_name(17), protocol_name(1), protocol_name(None)
('tcp', 'udp', 1, None)
>>> sanitize_name("pay api/<v2>")
'pay-api-v2'
>>> json_safe({"a": float("nan"), "b": (1, 2)})
{'a': None, 'b': [1, 2]}
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "as_assessment_dict",
    "iso_utc",
    "json_safe",
    "protocol_name",
    "sanitize_name",
    "now_iso",
    "fmt_num",
    "fmt_pct",
    "fmt_int",
]

_PROTOCOLS = {6: "tcp", 17: "udp"}


def as_assessment_dict(assessment: Any) -> dict:
    """Return the assessment as a plain dict (``.to_dict()`` or a mapping).

    Examples
    --------
    >>> as_assessment_dict({"verdict": "feasible"})["verdict"]
    'feasible'
    >>> class A:
    ...     def to_dict(self):
    ...         return {"verdict": "marginal"}
    >>> as_assessment_dict(A())["verdict"]
    'marginal'
    """
    if hasattr(assessment, "to_dict") and callable(assessment.to_dict):
        data = assessment.to_dict()
    else:
        data = assessment
    if not isinstance(data, Mapping):
        raise TypeError(
            "assessment must be a mapping or an object with .to_dict() returning one, "
            f"not {type(assessment).__name__}"
        )
    return dict(data)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return not math.isfinite(float(value))
    return False


def json_safe(value: Any) -> Any:
    """Recursively convert ``value`` into strict JSON types.

    numpy scalars become Python numbers, NaN/inf/NA become ``None``, tuples and
    sets become lists (sets sorted), paths and timestamps become strings and
    mapping keys become strings.
    """
    if _is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return [json_safe(v) for v in sorted(value, key=str)]
    if isinstance(value, list | tuple | np.ndarray | pd.Series | pd.Index):
        return [json_safe(v) for v in list(value)]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime | pd.Timestamp):
        return iso_utc(value)
    return str(value)


def iso_utc(value: Any) -> str | None:
    """Epoch seconds (or a datetime) as ``YYYY-MM-DDTHH:MM:SSZ``; ``None`` when missing.

    Values above 10^11 are taken as epoch *milliseconds* (flow logs written
    by some collectors use them).
    """
    if _is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, str):
        return value
    seconds = float(value)
    if abs(seconds) > 1e11:
        seconds /= 1000.0
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso(override: Any = None) -> str:
    """The report timestamp: ``override`` if given, else ``SOURCE_DATE_EPOCH``, else now.

    Examples
    --------
    >>> now_iso("2024-05-01T00:00:00Z")
    '2024-05-01T00:00:00Z'
    >>> now_iso(datetime(2024, 5, 1, tzinfo=UTC))
    '2024-05-01T00:00:00Z'
    """
    if override is not None:
        if isinstance(override, str):
            return override
        return str(iso_utc(override))
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde and sde.strip().isdigit():
        return str(iso_utc(int(sde.strip())))
    return datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def protocol_name(proto: Any) -> str | int | None:
    """``"tcp"`` for 6, ``"udp"`` for 17, else the IANA number (``None`` if missing)."""
    if _is_missing(proto):
        return None
    try:
        number = int(proto)
    except (TypeError, ValueError):
        return str(proto)
    return _PROTOCOLS.get(number, number)


def sanitize_name(text: Any, *, max_len: int = 63, fallback: str = "x") -> str:
    """A policy-safe identifier: ``[A-Za-z0-9._-]`` only, runs of others become ``-``."""
    out = re.sub(r"[^A-Za-z0-9._]+", "-", str(text)).strip("-._")
    out = re.sub(r"-{2,}", "-", out)[:max_len].strip("-._")
    return out or fallback


# -- display formatting (shared by the HTML and Markdown renderers) ----------------------
def fmt_num(value: Any, digits: int = 2) -> str:
    """A number with ``digits`` decimals, ``n/a`` when missing.

    Examples
    --------
    >>> fmt_num(0.123456), fmt_num(None), fmt_num(12)
    ('0.12', 'n/a', '12')
    """
    if _is_missing(value):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def fmt_int(value: Any) -> str:
    """An integer with thousands separators, ``n/a`` when missing.

    Examples
    --------
    >>> fmt_int(1234567), fmt_int(None), fmt_int(2.0)
    ('1,234,567', 'n/a', '2')
    """
    if _is_missing(value):
        return "n/a"
    try:
        return f"{int(round(float(value))):,}"
    except (TypeError, ValueError):
        return str(value)


def fmt_pct(value: Any, digits: int = 0) -> str:
    """A share (0..1) as a percentage, ``n/a`` when missing.

    Examples
    --------
    >>> fmt_pct(0.234), fmt_pct(0.0049, 1), fmt_pct(None)
    ('23%', '0.5%', 'n/a')
    """
    if _is_missing(value):
        return "n/a"
    try:
        return f"{100 * float(value):.{digits}f}%"
    except (TypeError, ValueError):
        return str(value)
