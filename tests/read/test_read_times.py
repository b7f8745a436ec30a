"""start/end outside the plausible epoch range (2000 .. now + 1 day) are invalid, time_out_of_range (issue 12)."""

from __future__ import annotations

import json
import time

from readtest_helpers import V2_HEADER, lines_of, write

from flowgraph.read import read_flows
from flowgraph.read.text import FUTURE_SLACK_SECONDS, MIN_PLAUSIBLE_EPOCH


def _rec(start, end, status="OK"):
    return f"2 123456789010 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 100 {start} {end} ACCEPT {status}"


def test_times_at_and_beyond_the_bounds(tmp_path):
    now = int(time.time())
    soon = now + FUTURE_SLACK_SECONDS - 3600  # within the day of slack
    late = now + FUTURE_SLACK_SECONDS + 3600
    lines = [V2_HEADER,
             _rec(MIN_PLAUSIBLE_EPOCH, MIN_PLAUSIBLE_EPOCH + 60),            # 2000-01-01: kept
             _rec(MIN_PLAUSIBLE_EPOCH - 1, MIN_PLAUSIBLE_EPOCH + 60),        # 1999-12-31: out
             _rec(1_700_000_000_000, 1_700_000_060_000),                     # milliseconds, 2023: kept
             _rec(2_147_483_648, 2_147_483_700),                             # ms of 1970: out
             _rec(soon, soon + 60),                                          # kept
             _rec(now, late),                                                # end too late: out
             "2 123456789010 eni-1 - - - - - - - - - - NODATA",              # no times: kept
             _rec(0, 0)]                                                     # out
    path = write(tmp_path / "t.log", lines_of(*lines))
    df = read_flows(path, provenance=True)
    s = df.attrs["read_summary"]
    assert df["_line"].tolist() == [2, 4, 6, 8]
    assert s["invalid_by_reason"] == {"time_out_of_range": 4}
    assert s["invalid_examples"]["time_out_of_range"] == [
        f"{path}:3: start={MIN_PLAUSIBLE_EPOCH - 1} end={MIN_PLAUSIBLE_EPOCH + 60}",
        f"{path}:5: start=2147483648 end=2147483700",
        f"{path}:7: start={now} end={late}",
        f"{path}:9: start=0 end=0"]
    assert s["first_start"] == MIN_PLAUSIBLE_EPOCH and s["last_end"] == soon + 60


def test_gcp_entry_from_1970_is_time_out_of_range(tmp_path):
    entry = {"insertId": "a", "logName": "projects/p/logs/compute.googleapis.com%2Fvpc_flows",
             "jsonPayload": {"connection": {"src_ip": "10.0.0.1", "dest_ip": "10.0.0.2", "src_port": 40000,
                                            "dest_port": 443, "protocol": 6},
                             "reporter": "SRC", "bytes_sent": "100", "packets_sent": "1",
                             "start_time": "{t}T00:00:00Z", "end_time": "{t}T00:00:05Z"}}
    text = "\n".join(json.dumps(entry).replace("{t}", t) for t in ("2025-11-24", "1970-01-02")) + "\n"
    path = write(tmp_path / "gcp.jsonl", text)
    df = read_flows(path, provenance=True)
    s = df.attrs["read_summary"]
    assert len(df) == 1 and df["_line"].tolist() == [1]
    assert s["invalid_by_reason"] == {"time_out_of_range": 1}
    assert s["invalid_examples"]["time_out_of_range"][0].startswith(f"{path}:2: start=")
