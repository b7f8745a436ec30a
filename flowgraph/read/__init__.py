"""Read AWS VPC flow logs (text, gzip, CloudWatch Logs JSON, Parquet; local or S3).

The entry points are :func:`scan_flows` (stream of Arrow record batches in
one fixed schema), :func:`read_flows` (pandas DataFrame) and
:func:`summarize_flows` (counts only); each keeps a :class:`ReadSummary` of
what it met.  See ``docs/reading.md`` for the formats and rules.
"""

from __future__ import annotations

from .fields import CANONICAL_COLUMNS, CANONICAL_SCHEMA, DEFAULT_FORMAT, parse_format
from .keys import parse_object_key
from .scan import FlowScan, read_flows, scan_flows, summarize_flows
from .summary import ReadSummary
from .timestamps import epoch_to_datetime

__all__ = [
    "scan_flows",
    "read_flows",
    "summarize_flows",
    "FlowScan",
    "ReadSummary",
    "epoch_to_datetime",
    "parse_object_key",
    "parse_format",
    "CANONICAL_SCHEMA",
    "CANONICAL_COLUMNS",
    "DEFAULT_FORMAT",
]
