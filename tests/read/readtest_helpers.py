"""Hand-written flow-log records and small helpers for the reader tests.

Written from the format notes (docs/reading.md), so the suite stands alone
where the shared conformance corpus is absent.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

V2_HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
             "bytes start end action log-status")
V2_ACCEPT = ("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
             "1418530010 1418530070 ACCEPT OK")
V2_REJECT = ("2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 "
             "1418530010 1418530070 REJECT OK")
V2_NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
V2_SKIPDATA = "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA"
V2_IPV6 = ("2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 "
           "2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK")
V2_UNKNOWN_ACCOUNT = ("2 unknown eni-0a1b2c3d4e5f60718 10.0.1.20 10.0.2.30 443 51515 6 3 180 "
                      "1700000000 1700000060 ACCEPT OK")
V2_MS = "2 123456789010 eni-4b118871 - - - - - - - 1512564058000 1512564059000 - SKIPDATA"

V2_EXPECTED_ACCEPT = {
    "version": 2, "account_id": "123456789010", "interface_id": "eni-1235b8ca123456789",
    "srcaddr": "172.31.16.139", "dstaddr": "172.31.16.21", "srcport": 20641, "dstport": 22,
    "protocol": 6, "packets": 20, "bytes": 4249, "start": 1418530010, "end": 1418530070,
    "action": "ACCEPT", "log_status": "OK",
}

TGW_HEADER = (
    "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id "
    "tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id "
    "tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr "
    "srcport dstport protocol packets bytes start end log-status type packets-lost-no-route "
    "packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region "
    "flow-direction pkt-src-aws-service pkt-dst-aws-service"
)
TGW_RECORD = (
    "6 TransitGatewayAttachment 123456789012 tgw-0123456789abcdef0 tgw-attach-0123456789abcdef0 "
    "123456789012 210987654321 vpc-0aaaaaaaaaaaaaaa1 vpc-0bbbbbbbbbbbbbbb2 subnet-0aaaaaaaaaaaaaaa1 "
    "subnet-0bbbbbbbbbbbbbbb2 eni-0aaaaaaaaaaaaaaa1 eni-0bbbbbbbbbbbbbbb2 use1-az1 use1-az2 "
    "tgw-attach-0fedcba9876543210 10.0.1.5 10.1.2.6 51234 443 6 10 5000 1700000000 1700000060 OK "
    "IPv4 0 0 0 0 19 us-east-1 egress - -"
)


def write(path: Path, text: str | bytes, *, gz: bool = False, members: int = 1) -> Path:
    """Write text/bytes, optionally gzip-compressed in ``members`` gzip members."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if gz:
        if members <= 1:
            data = gzip.compress(data)
        else:
            step = max(1, len(data) // members + 1)
            data = b"".join(gzip.compress(data[i:i + step]) for i in range(0, len(data), step))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def lines_of(*records: str, end: str = "\n") -> str:
    return end.join(records) + end


def row(df: pd.DataFrame, i: int) -> dict:
    """Row ``i`` as a dict with ``pd.NA`` turned into ``None`` and numpy ints into ints."""
    out = {}
    for k, v in df.iloc[i].items():
        if v is pd.NA or (not isinstance(v, str) and pd.isna(v)):
            out[k] = None
        elif hasattr(v, "item"):
            out[k] = v.item()
        else:
            out[k] = v
    return out


def physical_lines(data: bytes) -> int:
    """Physical lines of decompressed text: ``\\n``-separated, a last line without newline counts."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def assert_line_invariant(summary: dict, data: bytes) -> None:
    """records + invalid + header_lines + blank_lines == physical lines, for one text file."""
    total = (summary["records"] + summary["invalid"] + summary["header_lines"]
             + summary["blank_lines"])
    assert total == physical_lines(data), (summary, physical_lines(data))
