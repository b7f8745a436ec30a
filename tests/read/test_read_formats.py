"""Delivery formats: gzip (multi-member, truncated), CloudWatch JSON, Parquet, sources."""

from __future__ import annotations

import gzip
import json
import os
import zlib

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from readtest_helpers import (
    V2_ACCEPT,
    V2_EXPECTED_ACCEPT,
    V2_HEADER,
    V2_NODATA,
    V2_REJECT,
    assert_line_invariant,
    lines_of,
    row,
    write,
)

from flowgraph.exceptions import InputError
from flowgraph.read import read_flows, scan_flows, summarize_flows
from flowgraph.read.streams import StreamState, whole_lines


def values(series) -> list:
    return [None if pd.isna(v) else v for v in series.tolist()]

# ---------------------------------------------------------------------------- gzip


def test_gzip_with_header_and_any_name(tmp_path):
    text = lines_of(V2_HEADER, V2_ACCEPT, V2_NODATA)
    plain = read_flows(write(tmp_path / "a.log", text))
    for name in ("a.log.gz", "b.gz", "c", "d.txt"):
        df = read_flows(write(tmp_path / "gz" / name, text, gz=True))
        assert df.equals(plain), name
        s = df.attrs["read_summary"]
        assert s["per_file"][0]["format"] == "text/gzip"
        assert s["bytes_read"] == (tmp_path / "gz" / name).stat().st_size
        assert s["bytes_decompressed"] == len(text)


def test_multi_member_gzip(tmp_path):
    text = lines_of(V2_HEADER, *[V2_ACCEPT.replace("20641", str(i)) for i in range(500)])
    path = write(tmp_path / "m.log.gz", text, gz=True, members=7)
    df = read_flows(path, provenance=True)
    assert df["srcport"].tolist() == list(range(500))
    assert df["_line"].tolist() == list(range(2, 502))
    assert df.attrs["read_summary"]["truncated_files"] == []
    # concatenated S3 objects: header repeated at each member start
    data = gzip.compress(text.encode()) + gzip.compress(text.encode())
    df = read_flows(write(tmp_path / "cat.log.gz", data))
    assert len(df) == 1000 and df.attrs["read_summary"]["header_lines"] == 2


def test_truncated_gzip_keeps_records_before_the_cut(tmp_path):
    records = [V2_ACCEPT.replace("20641", str(i)) for i in range(20_000)]
    text = lines_of(V2_HEADER, *records).encode()
    full = zlib.compressobj(6, zlib.DEFLATED, 31)
    data = full.compress(text) + full.flush()
    cut = data[: len(data) // 2]
    path = write(tmp_path / "t.log.gz", cut)
    df = read_flows(path, provenance=True)
    s = df.attrs["read_summary"]
    # what a streaming decompressor can recover before the cut
    recovered = zlib.decompressobj(31).decompress(cut)
    complete_lines = recovered.count(b"\n")
    assert len(df) == complete_lines - 1  # minus the header
    assert df["srcport"].tolist() == list(range(len(df)))
    assert s["truncated_files"] == [{"file": str(path), "records_kept": len(df),
                                     "reason": s["truncated_files"][0]["reason"]}]
    assert "truncated" in s["truncated_files"][0]["reason"]
    partial = recovered[recovered.rfind(b"\n") + 1:]
    if partial:  # the cut line is invalid, never a record
        assert s["invalid_by_reason"] == {"truncated": 1}
        assert_line_invariant(s, recovered)
    else:
        assert s["invalid"] == 0


def test_truncated_gzip_cut_inside_the_last_value(tmp_path):
    """A cut inside 'OK' must not produce a record with log_status 'O'."""
    text = lines_of(V2_ACCEPT, V2_REJECT).encode()
    comp = zlib.compressobj(0, zlib.DEFLATED, 31)  # stored blocks: bytes map 1:1
    data = comp.compress(text) + comp.flush()
    header_len = 10 + 5  # gzip header + stored-block header
    cut = data[: header_len + len(text) - 2]
    df = read_flows(write(tmp_path / "c.log.gz", cut))
    s = df.attrs["read_summary"]
    assert len(df) == 1 and s["invalid_by_reason"] == {"truncated": 1}
    assert s["invalid_examples"]["truncated"][0].endswith(":2: " + V2_REJECT[:-1])


def test_corrupt_gzip_and_trailing_garbage(tmp_path):
    text = lines_of(*[V2_ACCEPT] * 100).encode()
    data = bytearray(gzip.compress(text))
    data[-6] ^= 0xFF  # break the CRC / size trailer
    df = read_flows(write(tmp_path / "bad.log.gz", bytes(data)))
    s = df.attrs["read_summary"]
    assert len(df) == 100 and "corrupt" in s["truncated_files"][0]["reason"]
    df = read_flows(write(tmp_path / "pad.log.gz", gzip.compress(text) + b"\0" * 100))
    assert len(df) == 100 and df.attrs["read_summary"]["truncated_files"] == []


def test_random_bytes_raise(tmp_path):
    rng = __import__("random").Random(3)
    data = bytes(rng.randrange(256) for _ in range(20_000))
    path = write(tmp_path / "random.bin.log", data)
    with pytest.raises(InputError, match=r"^no valid flow-log record found in '.*random\.bin\.log' \("):
        read_flows(path)
    gz = write(tmp_path / "random.log.gz", b"\x1f\x8b" + data)
    with pytest.raises(InputError):
        read_flows(gz)


def test_overlong_line(tmp_path):
    text = V2_ACCEPT + "\n" + "x" * (2 << 20) + "\n" + V2_REJECT + "\n"
    df = read_flows(write(tmp_path / "long.log", text), provenance=True)
    s = df.attrs["read_summary"]
    assert df["_line"].tolist() == [1, 3] and s["invalid"] == 1
    assert len(s["invalid_examples"][next(iter(s["invalid_examples"]))][0]) < 300


def test_whole_lines_bounds_memory_on_overlong_lines():
    state = StreamState()
    blocks = [b"a b\nxx", b"x" * 700, b"x" * 700, b"x\nc d\n", b"y" * 2000]
    out = b"".join(whole_lines(iter(blocks), state, target=4, max_line=1000))
    assert out == b"a b\n\nc d\n\n"
    assert state.lines == 4
    assert [v[0] for v in state.flags.values()] == ["line_too_long", "line_too_long"]
    assert list(state.flags) == [2, 4]

# ---------------------------------------------------------------------------- JSON


def _event(message: str, ts: int = 1439387263000) -> str:
    return json.dumps({"timestamp": ts, "message": message, "ingestionTime": ts + 5000})


def test_cloudwatch_json_lines(tmp_path):
    text = lines_of(_event(V2_ACCEPT), "", _event(V2_NODATA), '{"message": "2 123 broken', _event(V2_REJECT),
                    json.dumps({"foo": 1}), json.dumps({"message": "bogus line"}))
    path = write(tmp_path / "cwl.json", text)
    df = read_flows(path, provenance=True)
    s = df.attrs["read_summary"]
    assert df["_line"].tolist() == [1, 3, 5]
    assert {k: v for k, v in row(df, 0).items() if k in V2_EXPECTED_ACCEPT} == V2_EXPECTED_ACCEPT
    assert s["invalid_by_reason"] == {"invalid_json": 1, "json_no_message": 1, "token_count": 1}
    assert s["invalid_examples"]["invalid_json"] == [f"{path}:4: " + '{"message": "2 123 broken']
    assert s["blank_lines"] == 1
    assert s["per_file"][0]["format"] == "json"
    assert_line_invariant(s, path.read_bytes())
    gz = write(tmp_path / "cwl.jsonl.gz", text, gz=True)
    df_gz = read_flows(gz, provenance=True)
    assert df_gz.drop(columns="_file").equals(df.drop(columns="_file"))
    assert df_gz.attrs["read_summary"]["per_file"][0]["format"] == "json/gzip"


def test_cloudwatch_json_fast_path_edge_cases(tmp_path):
    """Clean chunks take the vectorised path: missing messages, embedded newlines, padding."""
    text = lines_of(_event(V2_ACCEPT), json.dumps({"timestamp": 1}), _event("  " + V2_REJECT + "\n"),
                    json.dumps({"message": None}), _event(V2_NODATA.replace(" ", "\n", 1)))
    path = write(tmp_path / "fast.json", text)
    df = read_flows(path, provenance=True)
    s = df.attrs["read_summary"]
    assert df["_line"].tolist() == [1, 3, 5]
    assert values(df["action"]) == ["ACCEPT", "REJECT", None]
    assert s["invalid_by_reason"] == {"json_no_message": 2}
    assert s["invalid_examples"]["json_no_message"][0] == f"{path}:2: " + '{"timestamp": 1}'
    assert_line_invariant(s, path.read_bytes())


def test_cloudwatch_subscription_envelopes(tmp_path):
    envelope = {"messageType": "DATA_MESSAGE", "owner": "123456789010", "logGroup": "vpc-flow",
                "logStream": "eni-1235b8ca123456789-all", "subscriptionFilters": ["f"],
                "logEvents": [{"id": "1", "timestamp": 1, "message": V2_ACCEPT},
                              {"id": "2", "timestamp": 2, "message": V2_REJECT}]}
    control = {"messageType": "CONTROL_MESSAGE", "logEvents": [
        {"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE: Checking health of destination"}]}
    text = lines_of(json.dumps(control), json.dumps(envelope), _event(V2_NODATA))
    df = read_flows(write(tmp_path / "sub.log", text), provenance=True)
    assert df["_line"].tolist() == [2, 2, 3]
    assert df["action"].tolist()[:2] == ["ACCEPT", "REJECT"]
    assert df.attrs["read_summary"]["invalid_by_reason"] == {"control_message": 1}


def test_filter_log_events_document(tmp_path):
    doc = {"events": [{"logStreamName": "eni-1-all", "timestamp": 1, "message": V2_ACCEPT,
                       "ingestionTime": 2, "eventId": "1"},
                      {"logStreamName": "eni-1-all", "timestamp": 1, "message": V2_NODATA,
                       "ingestionTime": 2, "eventId": "2"}],
           "searchedLogStreams": []}
    path = write(tmp_path / "events.json", json.dumps(doc, indent=4))
    df = read_flows(path, provenance=True)
    lines = path.read_text().splitlines()
    assert len(df) == 2
    for line_no in df["_line"].tolist():
        assert '"message"' in lines[line_no - 1]
    # the same output on one line
    df1 = read_flows(write(tmp_path / "one.json", json.dumps(doc)))
    assert len(df1) == 2


def test_json_that_is_not_a_flow_log_is_skipped(tmp_path):
    write(tmp_path / "d" / "manifest.json", json.dumps([{"file": "a.log", "records": 3}], indent=1))
    write(tmp_path / "d" / "meta.json", json.dumps({"records": 3}))
    write(tmp_path / "d" / "a.log", lines_of(V2_ACCEPT))
    s = summarize_flows(tmp_path / "d")
    assert s.records == 1 and s.files_read == 1
    assert sorted(d["reason"] for d in s.files_skipped) == ["JSON without CloudWatch Logs 'message' fields"] * 2
    with pytest.raises(InputError, match="no flow-log file to read"):
        read_flows(tmp_path / "d" / "meta.json")

# ---------------------------------------------------------------------------- Parquet


AWS_PARQUET_SCHEMA = pa.schema([
    ("version", pa.int32()), ("account_id", pa.string()), ("interface_id", pa.string()),
    ("srcaddr", pa.string()), ("dstaddr", pa.string()), ("srcport", pa.int32()),
    ("dstport", pa.int32()), ("protocol", pa.int32()), ("packets", pa.int64()),
    ("bytes", pa.int64()), ("start", pa.int64()), ("end", pa.int64()), ("action", pa.string()),
    ("log_status", pa.string()), ("vpc_id", pa.string()), ("tcp_flags", pa.int32()),
    ("traffic_path", pa.int32()),
])


def test_parquet_as_aws_delivers(tmp_path):
    rows = [
        [2, "123456789010", "eni-1", "10.0.0.1", "10.0.0.2", 443, 49152, 6, 10, 840, 1439387263,
         1439387264, "ACCEPT", "OK", "vpc-1", 2, 1],
        [2, "064076352821", "eni-2", None, None, None, None, None, None, None, 1439387263,
         1439387264, None, "NODATA", "-", None, None],
    ]
    table = pa.Table.from_pylist([dict(zip(AWS_PARQUET_SCHEMA.names, r, strict=True)) for r in rows],
                                 schema=AWS_PARQUET_SCHEMA)
    path = tmp_path / "123456789010_vpcflowlogs_us-east-1_fl-1_20240101T0000Z_ab.log.parquet"
    pq.write_table(table, path, compression="gzip", row_group_size=1)
    df = read_flows(path, provenance=True)
    assert df["_line"].tolist() == [1, 2]
    got = row(df, 0)
    assert got["srcport"] == 443 and got["traffic_path"] == 1 and got["account_id"] == "123456789010"
    assert row(df, 1)["account_id"] == "064076352821" and row(df, 1)["vpc_id"] is None
    s = df.attrs["read_summary"]
    assert s["nodata"] == 1 and s["per_file"][0]["format"] == "parquet"
    batches = list(scan_flows(path))
    assert sum(b.num_rows for b in batches) == 2


def test_parquet_with_string_counters_and_placeholders(tmp_path):
    table = pa.table({
        "version": pa.array([2, 2, 2], pa.int64()),
        "account_id": pa.array([123456789010, 64076352821, 1], pa.int64()),
        "srcport": pa.array(["443", "None", "x1"]),
        "bytes": pa.array(["840", "-", "5"]),
        "packets": pa.array([1.0, float("nan"), 3.0]),
        "action": pa.array(["ACCEPT", "-", "REJECT"]),
        "log_status": pa.array(["OK", "NODATA", "OK"]),
        "custom_col": pa.array([1, 2, 3]),
    })
    path = tmp_path / "flows.parquet"
    pq.write_table(table, path)
    df = read_flows(path, provenance=True)
    s = df.attrs["read_summary"]
    assert df["_line"].tolist() == [1, 2]
    assert row(df, 0)["account_id"] == "123456789010" and row(df, 1)["account_id"] == "064076352821"
    assert row(df, 1)["srcport"] is None and row(df, 1)["bytes"] is None and row(df, 1)["packets"] is None
    assert row(df, 1)["action"] is None and row(df, 0)["custom_col"] == "1"
    assert s["invalid_by_reason"] == {"non_numeric": 1}
    assert s["invalid_examples"]["non_numeric"] == [f"{path}:3: srcport='x1'"]


def test_parquet_streams_in_batches(tmp_path):
    n = 150_000
    table = pa.table({"srcport": pa.array([i % 65536 for i in range(n)], pa.int32()),
                      "log_status": pa.array(["OK"] * n)})
    path = tmp_path / "big.parquet"
    pq.write_table(table, path, row_group_size=40_000)
    batches = list(scan_flows(path, columns=["srcport"]))
    assert len(batches) > 2
    assert pa.Table.from_batches(batches).column("_line").to_pylist() == list(range(1, n + 1))


def test_unreadable_parquet_is_skipped(tmp_path):
    write(tmp_path / "d" / "broken.parquet", b"PAR1 this is not parquet")
    write(tmp_path / "d" / "ok.log", lines_of(V2_ACCEPT))
    s = summarize_flows(tmp_path / "d")
    assert s.records == 1 and s.files_skipped[0]["reason"].startswith("not a readable Parquet file")

# ---------------------------------------------------------------------------- sources


def test_directory_walk_order_and_skip_rules(tmp_path):
    d = tmp_path / "logs"
    write(d / "b" / "2.log", lines_of(V2_REJECT))
    write(d / "a" / "1.log.gz", lines_of(V2_ACCEPT), gz=True)
    write(d / "a" / "noext", lines_of(V2_NODATA))
    write(d / "c.csv", "x")
    write(d / ".hidden.log", lines_of(V2_ACCEPT))
    write(d / "_SUCCESS", "")
    write(d / "aws-logs-write-test", "Permission Check Successful")
    write(d / ".git" / "x.log", lines_of(V2_ACCEPT))
    scan = scan_flows(d)
    assert scan.files == [str(d / "a" / "1.log.gz"), str(d / "a" / "noext"), str(d / "b" / "2.log")]
    df = read_flows(d, provenance=True)
    assert values(df["action"]) == ["ACCEPT", None, "REJECT"]
    assert df["_file"].tolist() == scan.files
    reasons = {os.path.basename(x["file"]): x["reason"] for x in df.attrs["read_summary"]["files_skipped"]}
    assert reasons == {"c.csv": "unsupported suffix '.csv'", ".hidden.log": "hidden or marker file",
                       "_SUCCESS": "hidden or marker file",
                       "aws-logs-write-test": "AWS delivery test object"}


def test_glob_list_and_duplicates(tmp_path):
    write(tmp_path / "x1.log", lines_of(V2_ACCEPT))
    write(tmp_path / "x2.log", lines_of(V2_REJECT))
    write(tmp_path / "y.log", lines_of(V2_NODATA))
    df = read_flows(str(tmp_path / "x*.log"))
    assert df["action"].tolist() == ["ACCEPT", "REJECT"]
    df = read_flows([tmp_path / "y.log", str(tmp_path / "x*.log"), tmp_path / "y.log"])
    assert values(df["action"]) == [None, "ACCEPT", "REJECT"]
    with pytest.raises(InputError, match="no file matches"):
        read_flows(str(tmp_path / "z*.log"))
    with pytest.raises(InputError, match="no such file or directory"):
        read_flows(tmp_path / "missing.log")
    with pytest.raises(InputError, match="no flow-log file found"):
        read_flows(tmp_path / "empty_dir" if (tmp_path / "empty_dir").mkdir() is None else None)


def test_columns_union_across_files(tmp_path):
    write(tmp_path / "a.log", lines_of("srcaddr dstport extra-a", "10.0.0.1 443 x"))
    write(tmp_path / "b.log", lines_of("version srcaddr", "3 10.0.0.2"))
    write(tmp_path / "c.log", lines_of("vpc-id extra-b", "bogus"))  # no records (too few tokens)
    df = read_flows(tmp_path)
    assert list(df.columns) == ["version", "srcaddr", "dstport", "vpc_id", "extra_a", "extra_b"]
    assert df["version"].tolist()[1] == 3 and df["dstport"].isna().tolist() == [False, True]
