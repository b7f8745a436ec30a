"""Parse the S3 object keys AWS uses when it delivers flow-log files.

AWS writes flow-log files to S3 under one of two key layouts, optionally below
a user prefix (``AWSLogs`` itself is reserved and cannot be the prefix)::

    [prefix/]AWSLogs/{account}/vpcflowlogs/{region}/{YYYY}/{MM}/{DD}/[{HH}/]{file}
    [prefix/]AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/
        year={YYYY}/month={MM}/day={DD}/[hour={HH}/]{file}

and names each file
``{account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz``
(``.log.parquet`` for Parquet delivery).  Keys that do not follow the
convention can sit in the same prefix; :func:`parse_object_key` reports what
it recognises and never raises.
"""

from __future__ import annotations

import re

__all__ = ["parse_object_key"]

_PLAIN_PATH = re.compile(
    r"(?:^|/)AWSLogs/(?P<account>\d{12})/vpcflowlogs/(?P<region>[a-z0-9-]+)/"
    r"(?P<year>\d{4})/(?P<month>\d{2})/(?P<day>\d{2})/(?:(?P<hour>\d{2})/)?(?P<file>[^/]+)$"
)
_HIVE_PATH = re.compile(
    r"(?:^|/)AWSLogs/aws-account-id=(?P<account>\d{12})/aws-service=vpcflowlogs/"
    r"aws-region=(?P<region>[a-z0-9-]+)/year=(?P<year>\d{4})/month=(?P<month>\d{2})/"
    r"day=(?P<day>\d{2})/(?:hour=(?P<hour>\d{2})/)?(?P<file>[^/]+)$"
)
_FILE_NAME = re.compile(
    r"^(?P<account_id>\d{12})_vpcflowlogs_(?P<region>[a-z0-9-]+)_(?P<flow_log_id>fl-[0-9a-z]+)_"
    r"(?P<file_timestamp>\d{8}T\d{4}Z)_(?P<hash>[0-9a-z]+)\.log\.(?P<ext>gz|parquet)$"
)
_FORMATS = {"gz": "text/gzip", "parquet": "parquet"}


def parse_object_key(key: str) -> dict | None:
    """Parse an S3 flow-log delivery key (path layout and file name).

    Parameters
    ----------
    key : str
        Object key, with or without a leading ``s3://bucket/``; a bare file
        name is accepted too.

    Returns
    -------
    dict or None
        ``None`` when neither the path nor the file name follows the AWS
        delivery convention.  Otherwise a dict with ``path_account_id``,
        ``path_region``, ``path_date`` (``YYYY-MM-DD``) and ``path_hour``
        (``HH`` or ``None``) — all ``None`` when the key has no delivery path —
        and ``file_name_valid``.  When the file name is valid it also holds
        ``account_id``, ``region``, ``flow_log_id``, ``file_timestamp``
        (``YYYYMMDDTHHmmZ``: the file holds records whose ``end`` falls in the 5 minutes
        starting at this time, per the AWS documentation),
        ``hash`` and ``format`` (``"text/gzip"`` or ``"parquet"``).

    Examples
    --------
    >>> info = parse_object_key(
    ...     "logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/31/"
    ...     "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20240131T1620Z_fe123456.log.gz")
    >>> info["path_date"], info["flow_log_id"], info["format"]
    ('2024-01-31', 'fl-1234abcd', 'text/gzip')
    >>> parse_object_key("AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/"
    ...                  "aws-region=eu-west-1/year=2024/month=02/day=03/hour=04/x.txt")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'path_account_id': '123456789012', 'path_region': 'eu-west-1', 'path_date': '2024-02-03',
     'path_hour': '04', 'file_name_valid': False}
    >>> parse_object_key("notes/readme.txt") is None
    True
    """
    if key.startswith("s3://"):
        key = key[5:].split("/", 1)[1] if "/" in key[5:] else ""
    match = _PLAIN_PATH.search(key) or _HIVE_PATH.search(key)
    name = match.group("file") if match else key.rsplit("/", 1)[-1]
    file_match = _FILE_NAME.match(name)
    if match is None and file_match is None:
        return None
    out: dict = {
        "path_account_id": match.group("account") if match else None,
        "path_region": match.group("region") if match else None,
        "path_date": (
            f"{match.group('year')}-{match.group('month')}-{match.group('day')}" if match else None
        ),
        "path_hour": match.group("hour") if match else None,
        "file_name_valid": file_match is not None,
    }
    if file_match is not None:
        parts = file_match.groupdict()
        out.update(
            account_id=parts["account_id"],
            region=parts["region"],
            flow_log_id=parts["flow_log_id"],
            file_timestamp=parts["file_timestamp"],
            hash=parts["hash"],
            format=_FORMATS[parts["ext"]],
        )
    return out
