"""ReadSummary rendering and merging, epoch_to_datetime, parse_object_key."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from readtest_helpers import V2_ACCEPT, V2_MS, V2_NODATA, lines_of, write

from flowgraph.read import ReadSummary, epoch_to_datetime, parse_object_key, summarize_flows


def test_summary_to_dict_is_json_safe(tmp_path):
    path = write(tmp_path / "a.log", lines_of(V2_ACCEPT, V2_NODATA, V2_MS, "1 2", ""))
    s = summarize_flows(path)
    d = s.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert type(d["records"]) is int and type(d["invalid"]) is int
    assert d["records"] == 3 and d["nodata"] == 1 and d["skipdata"] == 1
    assert d["invalid_by_reason"] == {"token_count": 1} and d["blank_lines"] == 1
    assert d["millisecond_timestamps"] == 1
    assert d["first_start"] == 1418530010 and d["last_end"] == 1512564059
    assert d["per_file"][0]["lines"] == 5
    assert "resolution" not in d


def test_summary_text_and_html(tmp_path):
    path = write(tmp_path / "a<b>.log", lines_of(V2_ACCEPT, "x <y> z"))
    s = summarize_flows(path)
    text = str(s)
    assert text.splitlines()[0] == "flow-log read summary"
    assert "records" in text and "token_count 1" in text and "x <y> z" in text
    assert "2014-12-14 04:06:50 to 2014-12-14 04:07:50" in text
    html = s._repr_html_()
    assert html.startswith("<table") and "x &lt;y&gt; z" in html and "<y>" not in html
    s.resolution = {"private": 10, "public": 2}
    assert "private: 10" in str(s) and "private: 10" in s._repr_html_()
    assert s.to_dict()["resolution"] == {"private": 10, "public": 2}


def test_summary_merge():
    a = ReadSummary(records=2, invalid=1, invalid_by_reason={"token_count": 1},
                    invalid_examples={"token_count": ["a:1: x"] * 4}, first_start=10, last_end=20,
                    formats={"f": 1}, files_read=1, per_file=[{"file": "a"}])
    b = ReadSummary(records=3, invalid=2, invalid_by_reason={"token_count": 1, "bad_bytes": 1},
                    invalid_examples={"token_count": ["b:1: y"] * 3}, first_start=5, last_end=15,
                    formats={"f": 2}, files_read=2, resolution={"x": 1})
    a.merge(b)
    assert (a.records, a.invalid, a.files_read) == (5, 3, 3)
    assert a.invalid_by_reason == {"token_count": 2, "bad_bytes": 1}
    assert len(a.invalid_examples["token_count"]) == 5
    assert (a.first_start, a.last_end) == (5, 20) and a.formats == {"f": 3}
    assert a.resolution == {"x": 1}


def test_epoch_to_datetime_forms():
    assert epoch_to_datetime(1418530010) == pd.Timestamp("2014-12-14 04:06:50", tz="UTC")
    assert epoch_to_datetime(np.int64(1418530010000)) == pd.Timestamp("2014-12-14 04:06:50", tz="UTC")
    assert epoch_to_datetime(None) is pd.NaT
    idx = epoch_to_datetime(np.array([2147483647, 2147483648]))
    assert isinstance(idx, pd.DatetimeIndex)
    assert idx[0] == pd.Timestamp("2038-01-19 03:14:07", tz="UTC")
    assert idx[1] == pd.Timestamp("1970-01-25 20:31:23.648", tz="UTC")
    s = pd.Series([1431280876, pd.NA], dtype="Int64", index=[7, 8])
    out = epoch_to_datetime(s)
    assert isinstance(out, pd.Series) and list(out.index) == [7, 8]
    assert out.iloc[0] == pd.Timestamp("2015-05-10 18:01:16", tz="UTC") and pd.isna(out.iloc[1])


@pytest.mark.parametrize(("key", "expected"), [
    ("AWSLogs/123456789012/vpcflowlogs/eu-west-1/2024/02/03/05/"
     "123456789012_vpcflowlogs_eu-west-1_fl-0a1b2c3d4e5f_20240203T0505Z_9f8e7d6c.log.parquet",
     {"path_account_id": "123456789012", "path_region": "eu-west-1", "path_date": "2024-02-03",
      "path_hour": "05", "file_name_valid": True, "account_id": "123456789012",
      "region": "eu-west-1", "flow_log_id": "fl-0a1b2c3d4e5f", "file_timestamp": "20240203T0505Z",
      "hash": "9f8e7d6c", "format": "parquet"}),
    ("s3://bucket/my/prefix/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/"
     "aws-region=us-east-1/year=2024/month=01/day=31/"
     "123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20240131T2355Z_fe123456.log.gz",
     {"path_account_id": "123456789012", "path_region": "us-east-1", "path_date": "2024-01-31",
      "path_hour": None, "file_name_valid": True, "account_id": "123456789012",
      "region": "us-east-1", "flow_log_id": "fl-1234abcd", "file_timestamp": "20240131T2355Z",
      "hash": "fe123456", "format": "text/gzip"}),
    ("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/31/aws-logs-write-test",
     {"path_account_id": "123456789012", "path_region": "us-east-1", "path_date": "2024-01-31",
      "path_hour": None, "file_name_valid": False}),
    ("AWSLogs/123456789012/cloudtrail/us-east-1/2024/01/31/x.json.gz", None),
    ("random/key.log.gz", None),
])
def test_parse_object_key(key, expected):
    assert parse_object_key(key) == expected
