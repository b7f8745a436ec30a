"""The AWS flow-log field catalogue and flowgraph's canonical record schema.

Every field AWS documents for VPC flow logs (versions 2 to 11) and Transit
Gateway flow logs (version 6) is listed here once, with the version that
introduced it and its type.  Column names are the AWS names with ``-``
replaced by ``_`` (``log-status`` -> ``log_status``), as in AWS's own
Parquet delivery.  Integer fields are ``int64``; everything else is a string
(account ids keep their leading zeros).  ``-`` in a record means "missing"
and becomes null.

Examples
--------
>>> column_name("pkt-src-aws-service")
'pkt_src_aws_service'
>>> field_name("log_status")
'log-status'
>>> CANONICAL_SCHEMA.field("dstport").type
DataType(int64)
>>> DEFAULT_FORMAT[:4]
('version', 'account-id', 'interface-id', 'srcaddr')
>>> parse_format("${version} ${vpc-id}  ${srcaddr}")
('version', 'vpc-id', 'srcaddr')
"""

from __future__ import annotations

import re

import pyarrow as pa

__all__ = [
    "FIELD_VERSIONS",
    "INTEGER_FIELDS",
    "FIELD_MAX",
    "MAX_EPOCH_MS",
    "CANONICAL_FIELDS",
    "CANONICAL_COLUMNS",
    "CANONICAL_SCHEMA",
    "DEFAULT_FORMAT",
    "column_name",
    "field_name",
    "is_known_field",
    "arrow_type",
    "parse_format",
]

# (field, version) in AWS table order: VPC fields v2..v11, then Transit Gateway-only fields.
_CATALOGUE: tuple[tuple[str, int], ...] = (
    # v2 — the default format
    ("version", 2), ("account-id", 2), ("interface-id", 2), ("srcaddr", 2), ("dstaddr", 2),
    ("srcport", 2), ("dstport", 2), ("protocol", 2), ("packets", 2), ("bytes", 2),
    ("start", 2), ("end", 2), ("action", 2), ("log-status", 2),
    # v3
    ("vpc-id", 3), ("subnet-id", 3), ("instance-id", 3), ("tcp-flags", 3), ("type", 3),
    ("pkt-srcaddr", 3), ("pkt-dstaddr", 3),
    # v4
    ("region", 4), ("az-id", 4), ("sublocation-type", 4), ("sublocation-id", 4),
    # v5
    ("pkt-src-aws-service", 5), ("pkt-dst-aws-service", 5), ("flow-direction", 5),
    ("traffic-path", 5),
    # v7 — ECS
    ("ecs-cluster-arn", 7), ("ecs-cluster-name", 7), ("ecs-container-instance-arn", 7),
    ("ecs-container-instance-id", 7), ("ecs-container-id", 7), ("ecs-second-container-id", 7),
    ("ecs-service-name", 7), ("ecs-task-definition-arn", 7), ("ecs-task-arn", 7),
    ("ecs-task-id", 7),
    # v8 .. v10
    ("reject-reason", 8), ("resource-id", 9), ("encryption-status", 10),
    # v11 — tags and next hop
    ("instance-tag", 11), ("instance-tag-2", 11), ("interface-tag", 11), ("interface-tag-2", 11),
    ("asg-tag", 11), ("asg-tag-2", 11), ("interface-type", 11), ("next-hop-interface-id", 11),
    ("next-hop-subnet-id", 11), ("next-hop-az-id", 11), ("next-hop-vpc-id", 11),
    ("next-hop-interface-type", 11),
    # v6 — Transit Gateway flow logs (fields not shared with VPC flow logs; no `action`)
    ("resource-type", 6), ("tgw-id", 6), ("tgw-attachment-id", 6),
    ("tgw-src-vpc-account-id", 6), ("tgw-dst-vpc-account-id", 6), ("tgw-src-vpc-id", 6),
    ("tgw-dst-vpc-id", 6), ("tgw-src-subnet-id", 6), ("tgw-dst-subnet-id", 6),
    ("tgw-src-eni", 6), ("tgw-dst-eni", 6), ("tgw-src-az-id", 6), ("tgw-dst-az-id", 6),
    ("tgw-pair-attachment-id", 6), ("packets-lost-no-route", 6), ("packets-lost-blackhole", 6),
    ("packets-lost-mtu-exceeded", 6), ("packets-lost-ttl-expired", 6),
)

FIELD_VERSIONS: dict[str, int] = dict(_CATALOGUE)
"""AWS field name -> flow-log version that introduced it."""

INTEGER_FIELDS: frozenset[str] = frozenset({
    "version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end",
    "tcp-flags", "traffic-path", "encryption-status",
    "packets-lost-no-route", "packets-lost-blackhole", "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired",
})
"""Fields parsed as ``int64``; every other field is a string."""

MAX_EPOCH_MS = 4_102_444_800_000
"""2100-01-01 00:00:00 UTC in milliseconds: the largest plausible ``start``/``end``.

Values up to 2147483647 are seconds, larger ones milliseconds (see
:mod:`flowgraph.read.timestamps`); anything beyond this bound is no flow-log
time (2^63-1 would crash every date conversion downstream).
"""

FIELD_MAX: dict[str, int] = {
    "version": 255,
    "srcport": 65_535, "dstport": 65_535,
    "protocol": 255,                      # IANA protocol numbers are one byte
    "tcp-flags": 511,                     # 9 TCP flag bits (NS..FIN), OR-ed over the interval
    "traffic-path": 255, "encryption-status": 255,
    "packets": 1 << 40,                   # ~1.1e12: 100 Gbit/s of 64-byte frames for 10 min is ~9e10
    "bytes": 1 << 48,                     # ~2.8e14: 100 Gbit/s for 10 min is ~7.5e12
    "packets-lost-no-route": 1 << 40, "packets-lost-blackhole": 1 << 40,
    "packets-lost-mtu-exceeded": 1 << 40, "packets-lost-ttl-expired": 1 << 40,
    "start": MAX_EPOCH_MS, "end": MAX_EPOCH_MS,
}
"""Largest valid value of every integer field (the smallest is 0).

A value beyond it is counted invalid (``out_of_range``): port 1234567 or
protocol 99999999 are no ports or protocols, and counters near 2^63 overflow
every sum downstream.  The counter bounds are far above what one interface
can carry in one aggregation interval (at most 10 minutes).
"""

CANONICAL_FIELDS: tuple[str, ...] = tuple(name for name, _ in _CATALOGUE)
"""Every known AWS field name, in canonical (AWS table) order."""

DEFAULT_FORMAT: tuple[str, ...] = CANONICAL_FIELDS[:14]
"""The fixed version-2 default format, used for headerless records."""


def column_name(field: str) -> str:
    """Column name for an AWS field name: ``-`` becomes ``_``."""
    return field.replace("-", "_")


def field_name(column: str) -> str:
    """AWS field name for a column name: ``_`` becomes ``-``."""
    return column.replace("_", "-")


def is_known_field(name: str) -> bool:
    """True for a documented AWS field, written with dashes or underscores."""
    return field_name(name) in FIELD_VERSIONS


def arrow_type(field: str) -> pa.DataType:
    """Arrow type of a field (dash or underscore spelling); unknown fields are strings."""
    return pa.int64() if field_name(field) in INTEGER_FIELDS else pa.string()


CANONICAL_COLUMNS: tuple[str, ...] = tuple(column_name(f) for f in CANONICAL_FIELDS)
CANONICAL_SCHEMA: pa.Schema = pa.schema([(column_name(f), arrow_type(f)) for f in CANONICAL_FIELDS])
"""Arrow schema of canonical flow records (every known field, canonical order)."""

_TOKEN = re.compile(r"\$\{([^}]*)\}|(\S+)")


def parse_format(fmt: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Turn a log format into a tuple of AWS field names.

    Accepts the ``LogFormat`` string AWS returns (``${version} ${srcaddr} ...``),
    a plain space-separated list, or a sequence.  Underscore spellings are
    normalised to dashes for known fields; unknown names are kept as given.
    """
    tokens = list(fmt) if not isinstance(fmt, str) else [a or b for a, b in _TOKEN.findall(fmt)]
    out = []
    for tok in tokens:
        tok = tok.strip()
        if not tok:
            continue
        out.append(field_name(tok) if is_known_field(tok) else tok)
    return tuple(out)
