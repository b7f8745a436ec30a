"""Space-separated text records: headers, whitespace, bad lines, every field version."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from readtest_helpers import (
    TGW_HEADER,
    TGW_RECORD,
    V2_ACCEPT,
    V2_EXPECTED_ACCEPT,
    V2_HEADER,
    V2_IPV6,
    V2_MS,
    V2_NODATA,
    V2_REJECT,
    V2_SKIPDATA,
    V2_UNKNOWN_ACCOUNT,
    assert_line_invariant,
    lines_of,
    row,
    write,
)

from flowgraph.exceptions import ConfigError, InputError
from flowgraph.read import (
    CANONICAL_COLUMNS,
    CANONICAL_SCHEMA,
    read_flows,
    scan_flows,
    summarize_flows,
)
from flowgraph.read.fields import CANONICAL_FIELDS, INTEGER_FIELDS


def read_one(tmp_path, text, name="a.log", **kw):
    path = write(tmp_path / name, text)
    df = read_flows(path, provenance=True, **kw)
    summary = df.attrs["read_summary"]
    assert_line_invariant(summary, path.read_bytes())
    return df, summary


def test_default_format_headerless(tmp_path):
    df, s = read_one(tmp_path, lines_of(V2_ACCEPT, V2_REJECT, V2_NODATA, V2_SKIPDATA))
    assert list(df.columns) == [c.replace("-", "_") for c in V2_HEADER.split()] + ["_file", "_line"]
    got = row(df, 0)
    for k, v in V2_EXPECTED_ACCEPT.items():
        assert got[k] == v
    assert row(df, 2)["srcaddr"] is None and row(df, 2)["log_status"] == "NODATA"
    assert (s["records"], s["nodata"], s["skipdata"], s["invalid"]) == (4, 1, 1, 0)
    assert df["_line"].tolist() == [1, 2, 3, 4]
    assert s["per_file"][0]["layout"] == "default"


def test_dtypes_are_nullable(tmp_path):
    df, _ = read_one(tmp_path, lines_of(V2_NODATA, V2_ACCEPT))
    for column in df.columns:
        if column == "_file":
            continue
        want = pd.Int64Dtype() if column.replace("_", "-") in INTEGER_FIELDS or column == "_line" \
            else pd.StringDtype()
        assert df[column].dtype == want, column
    assert df["srcport"].isna().tolist() == [True, False]
    assert df["srcaddr"].iloc[0] is pd.NA


def test_header_maps_columns_by_name(tmp_path):
    # custom order (bytes before packets, no version), header wins over `fields`
    header = "srcaddr dstaddr bytes packets log-status"
    df, s = read_one(tmp_path, lines_of(header, "10.0.0.1 10.0.0.2 500 3 OK"),
                     fields="${version} ${srcaddr}")
    assert row(df, 0)["bytes"] == 500 and row(df, 0)["packets"] == 3
    assert list(df.columns[:5]) == ["srcaddr", "dstaddr", "packets", "bytes", "log_status"]
    assert s["header_lines"] == 1 and s["per_file"][0]["layout"] == "header"
    assert df["_line"].tolist() == [2]


def test_header_with_underscores_and_repeated_mid_file(tmp_path):
    header = V2_HEADER.replace("-", "_")
    text = lines_of(header, V2_ACCEPT, V2_HEADER, V2_REJECT, header, V2_NODATA)
    df, s = read_one(tmp_path, text)
    assert len(df) == 3 and s["header_lines"] == 3 and s["invalid"] == 0
    assert df["_line"].tolist() == [2, 4, 6]


def test_header_starting_with_other_fields(tmp_path):
    header = "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr"
    records = ["- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5",
               "i-01234567890123456 eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5"]
    # repeated header of a layout without integer fields is still recognised
    df, s = read_one(tmp_path, lines_of(header, records[0], header, records[1]))
    assert len(df) == 2 and s["header_lines"] == 2
    assert row(df, 0)["instance_id"] is None and row(df, 1)["instance_id"] == "i-01234567890123456"


def test_fields_format_variants(tmp_path):
    text = lines_of("10.0.0.1 443 ACCEPT", "10.0.0.2 - REJECT")
    for fields in ("${srcaddr} ${srcport} ${action}", "srcaddr srcport action",
                   ["srcaddr", "srcport", "action"], "srcaddr  srcport\taction"):
        df, _ = read_one(tmp_path, text, fields=fields)
        assert df["srcport"].tolist()[0] == 443 and df["srcport"].isna().tolist() == [False, True]
        assert list(df.columns) == ["srcaddr", "srcport", "action", "_file", "_line"]


def test_blank_lines_crlf_and_whitespace(tmp_path):
    text = ("\r\n" + V2_HEADER + "\r\n" + V2_ACCEPT + "\r\n\r\n   \r\n"
            + V2_ACCEPT.replace(" ", "  ", 3) + "\r\n"       # double spaces
            + "\t" + V2_REJECT.replace(" ", "\t", 2) + " \r\n"  # tabs, leading/trailing
            + V2_NODATA + "\n"
            + V2_SKIPDATA)                                     # no final newline
    df, s = read_one(tmp_path, text)
    assert len(df) == 5 and s["invalid"] == 0
    assert s["blank_lines"] == 3 and s["header_lines"] == 1
    assert df["_line"].tolist() == [3, 6, 7, 8, 9]
    assert row(df, 1)["srcaddr"] == "172.31.16.139" and row(df, 2)["action"] == "REJECT"


def test_aws_doc_double_space_record(tmp_path):
    fields = ("version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport "
              "dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status")
    record = ("3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 "
              "123456789010 IPv4 10.0.0.62 52.213.180.42 5001 43638  10.0.0.62 52.213.180.42 6 967 14 "
              "1566933133 1566933193 ACCEPT 19 OK")
    df, s = read_one(tmp_path, lines_of(record), fields=fields)
    got = row(df, 0)
    assert got["dstport"] == 43638 and got["pkt_srcaddr"] == "10.0.0.62" and got["tcp_flags"] == 19
    assert got["bytes"] == 967 and got["packets"] == 14


def test_invalid_lines_are_counted_not_dropped(tmp_path):
    text = lines_of(
        V2_HEADER,
        V2_ACCEPT,
        "bogus line",                                    # token count
        V2_ACCEPT.replace("20641", "2064l"),             # non numeric
        V2_ACCEPT.replace("20641", "-5"),                # negative: non numeric
        V2_ACCEPT.replace("20641", "99999999999999999999"),  # out of range
        V2_ACCEPT + " extra",                            # extra token: record kept, token counted
        V2_REJECT,
    )
    df, s = read_one(tmp_path, text)
    assert df["_line"].tolist() == [2, 7, 8]
    assert s["invalid_by_reason"] == {"token_count": 1, "non_numeric": 2, "out_of_range": 1}
    assert s["records_with_extra_tokens"] == 1 and s["extra_tokens"] == 1
    assert row(df, 1)["log_status"] == "OK" and row(df, 1)["srcport"] == 20641
    examples = s["invalid_examples"]
    assert examples["token_count"][0].endswith("a.log:3: bogus line")
    assert [e.split(":")[1] for e in examples["non_numeric"]] == ["4", "5"]


def test_19_digit_integer_within_int64_is_out_of_range_for_bytes(tmp_path):
    """int64 is not the bound: 2^63-1 bytes in one record is no flow (sums would overflow)."""
    record = V2_ACCEPT.replace(" 4249 ", " 9223372036854775807 ")
    at_bound = V2_ACCEPT.replace(" 4249 ", f" {1 << 48} ")
    df, s = read_one(tmp_path, lines_of(record, V2_ACCEPT, at_bound))
    assert df["bytes"].tolist() == [4249, 1 << 48]
    assert df["_line"].tolist() == [2, 3]
    assert s["invalid_by_reason"] == {"out_of_range": 1}


def test_garbage_bytes_and_control_characters(tmp_path):
    data = (V2_HEADER.encode() + b"\n" + V2_ACCEPT.encode() + b"\n"
            + b"\xff\xfe\x00 garbage \x81\n"
            + V2_REJECT.encode().replace(b"eni-", b"eni-\x00") + b"\n"
            + V2_ACCEPT.encode().replace(b"eni-", "eni-б".encode()) + b"\n"
            + b"caf\xe9 latin-1 line\n"
            + V2_NODATA.encode() + b"\n")
    path = write(tmp_path / "g.log", data)
    df = read_flows(path, provenance=True)
    s = df.attrs["read_summary"]
    assert_line_invariant(s, data)
    assert s["invalid_by_reason"] == {"bad_bytes": 3}
    assert df["_line"].tolist() == [2, 5, 7]
    assert row(df, 1)["interface_id"].startswith("eni-б")  # valid UTF-8 is kept
    assert all("\\x" in e for e in s["invalid_examples"]["bad_bytes"])


def test_unknown_header_field_is_kept(tmp_path):
    header = V2_HEADER + " future-field"
    df, s = read_one(tmp_path, lines_of(header, V2_ACCEPT + " abc", V2_NODATA + " -"))
    assert list(df.columns[-3:]) == ["future_field", "_file", "_line"]
    assert df["future_field"].tolist()[0] == "abc" and df["future_field"].isna().tolist()[1]
    assert s["per_file"][0]["extra_columns"] == ["future_field"]
    # streaming form: extras after the fixed schema
    batch = next(iter(scan_flows(tmp_path / "a.log")))
    assert batch.schema.names[: len(CANONICAL_COLUMNS)] == list(CANONICAL_COLUMNS)
    assert batch.schema.names[-3:] == ["_file", "_line", "future_field"]
    # a projection drops it
    batch = next(iter(scan_flows(tmp_path / "a.log", columns=["srcaddr"], provenance=False)))
    assert batch.schema.names == ["srcaddr"]


def test_header_with_no_known_field(tmp_path):
    text = lines_of("foo bar baz", V2_ACCEPT, V2_REJECT)
    df, s = read_one(tmp_path, text)
    assert s["invalid_by_reason"] == {"unknown_header": 1}
    assert s["invalid_examples"]["unknown_header"] == [f"{tmp_path / 'a.log'}:1: foo bar baz"]
    assert df["_line"].tolist() == [2, 3]
    assert s["per_file"][0]["layout"] == "default"


def test_only_header_line_raises_input_error(tmp_path):
    path = write(tmp_path / "h.log", V2_HEADER + "\n")
    with pytest.raises(InputError, match=r"no valid flow-log record found in .*1 line, 1 header"):
        read_flows(path)


def test_ipv6_unknown_account_and_leading_zeros(tmp_path):
    zero = V2_ACCEPT.replace("123456789010", "064076352821")
    df, _ = read_one(tmp_path, lines_of(V2_IPV6, V2_UNKNOWN_ACCOUNT, zero))
    assert row(df, 0)["srcaddr"] == "2001:db8:1234:a100:8d6e:3477:df66:f105"
    assert row(df, 1)["account_id"] == "unknown"
    assert row(df, 2)["account_id"] == "064076352821"


def test_millisecond_timestamps_kept_and_counted(tmp_path):
    df, s = read_one(tmp_path, lines_of(V2_MS, V2_ACCEPT))
    assert df["start"].tolist() == [1512564058000, 1418530010]
    assert s["millisecond_timestamps"] == 1
    assert s["first_start"] == 1418530010 and s["last_end"] == 1512564059


def test_transit_gateway_v6_record(tmp_path):
    df, s = read_one(tmp_path, lines_of(TGW_HEADER, TGW_RECORD))
    got = row(df, 0)
    assert got["resource_type"] == "TransitGatewayAttachment"
    assert got["tgw_pair_attachment_id"] == "tgw-attach-0fedcba9876543210"
    assert got["packets_lost_no_route"] == 0 and got["tcp_flags"] == 19
    assert got["pkt_src_aws_service"] is None
    assert "action" not in df.columns


def test_every_catalogue_field(tmp_path):
    """A header with all 72 fields in reverse order; ints and strings land in place."""
    fields = list(reversed(CANONICAL_FIELDS))
    def want(i: int, f: str):  # times must be plausible (2000 .. now)
        return (1_700_000_000 + i if f in ("start", "end") else i) if f in INTEGER_FIELDS else f"v-{f}"

    values = [str(want(i, f)) for i, f in enumerate(fields)]
    df, _ = read_one(tmp_path, lines_of(" ".join(fields), " ".join(values)))
    assert list(df.columns[:-2]) == list(CANONICAL_COLUMNS)
    got = row(df, 0)
    for i, f in enumerate(fields):
        assert got[f.replace("-", "_")] == want(i, f)


def test_v11_percent_encoded_tags(tmp_path):
    fields = "version srcaddr instance-tag interface-tag asg-tag next-hop-interface-type log-status"
    record = "11 10.0.0.1 web%20server%C3%A9 eth0 my-asg network_load_balancer OK"
    df, _ = read_one(tmp_path, lines_of(record), fields=fields)
    assert row(df, 0)["instance_tag"] == "web%20server%C3%A9"


def test_scan_schema_projection_and_provenance(tmp_path):
    write(tmp_path / "a.log", lines_of(V2_ACCEPT, V2_NODATA))
    scan = scan_flows(tmp_path / "a.log")
    batches = list(scan)
    assert scan.schema.names == [*CANONICAL_COLUMNS, "_file", "_line"]
    for b in batches:
        assert b.schema.equals(scan.schema)
        assert b.schema.field("_file").type == pa.dictionary(pa.int32(), pa.string())
    assert scan.schema.field("vpc_id").type == CANONICAL_SCHEMA.field("vpc_id").type
    assert pa.Table.from_batches(batches).column("vpc_id").null_count == 2
    scan = scan_flows(tmp_path / "a.log", columns=["dstport", "srcaddr", "vpc-id"], provenance=False)
    table = pa.Table.from_batches(list(scan))
    assert table.schema.names == ["dstport", "srcaddr", "vpc_id"]
    assert table.column("dstport").to_pylist() == [22, None]
    with pytest.raises(ConfigError, match="unknown column 'srcadr'"):
        scan_flows(tmp_path / "a.log", columns=["srcadr"])


def test_summary_updates_while_iterating(tmp_path):
    write(tmp_path / "a.log", lines_of(V2_ACCEPT))
    write(tmp_path / "b.log", lines_of(V2_REJECT, V2_REJECT))
    scan = scan_flows(tmp_path)
    it = iter(scan)
    next(it)
    assert scan.summary.records == 1
    list(it)
    assert scan.summary.records == 3 and scan.summary.files_read == 2
    # iterating again re-reads with a fresh summary
    assert sum(b.num_rows for b in scan) == 3 and scan.summary.records == 3


def test_empty_and_garbage_inputs_raise_one_sentence(tmp_path):
    empty = write(tmp_path / "empty.log", b"")
    with pytest.raises(InputError) as err:
        read_flows(empty)
    assert str(err.value) == f"no valid flow-log record found in '{empty}' (the file is empty)"
    garbage = write(tmp_path / "garbage.log", lines_of("1 2 3", "x y z"))
    with pytest.raises(InputError, match=r"\(2 lines, 2 invalid: 2 token_count\)$") as err:
        summarize_flows(garbage)
    assert "\n" not in str(err.value)
    # the streaming form raises at the end of the iteration
    scan = scan_flows(garbage)
    with pytest.raises(InputError):
        list(scan)
    assert scan.summary.invalid == 2


def test_file_without_records_is_reported(tmp_path):
    write(tmp_path / "a.log", lines_of(V2_ACCEPT))
    write(tmp_path / "b.log", lines_of("bogus line"))
    df = read_flows(tmp_path)
    assert df.attrs["read_summary"]["files_without_records"] == [str(tmp_path / "b.log")]


def test_config_errors(tmp_path):
    path = write(tmp_path / "a.log", lines_of(V2_ACCEPT))
    with pytest.raises(ConfigError):
        read_flows(path, fields="")
    with pytest.raises(ConfigError, match="repeats srcaddr"):
        read_flows(path, fields="srcaddr srcaddr")


def test_large_file_spans_many_blocks(tmp_path):
    """Invalid and recovered lines across CSV block boundaries keep file order."""
    records = []
    for i in range(60_000):
        if i % 997 == 0:
            records.append("bogus line")
        elif i % 1009 == 0:
            records.append(V2_ACCEPT.replace("20641", str(i)).replace(" ", "  ", 2))
        elif i % 1013 == 0:
            records.append("")
        else:
            records.append(V2_ACCEPT.replace("20641", str(i)))
    text = lines_of(V2_HEADER, *records)
    path = write(tmp_path / "big.log", text * 3)
    df = read_flows(path, columns=["srcport"], provenance=True)
    s = df.attrs["read_summary"]
    assert_line_invariant(s, path.read_bytes())
    expected_ports = [i for i in range(60_000) if i % 997 and (i % 1009 == 0 or i % 1013)] * 3
    assert df["srcport"].tolist() == expected_ports
    assert df["_line"].is_monotonic_increasing
    lines = path.read_text().split("\n")
    for port, line in zip(df["srcport"].tolist()[::500], df["_line"].tolist()[::500], strict=True):
        assert f" {port} " in lines[line - 1] or f"  {port} " in lines[line - 1]
    assert s["header_lines"] == 3
