"""`flowgraph analyze` on records whose values are outside their fields' ranges (issue 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FAST = ["--seeds", "3", "--rewirings", "4", "--quiet"]
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
BASE = 1_764_000_000  # 2025-11-24
BIG = 2**63 - 1


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "flowgraph.cli", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=300)


def rec(src: str, dst: str, sport, dport, proto=6, packets=10, nbytes=1000, start=BASE, end=BASE + 60) -> str:
    return f"2 123456789012 eni-1 {src} {dst} {sport} {dport} {proto} {packets} {nbytes} {start} {end} ACCEPT OK"


def good_lines() -> list[str]:
    out = []
    for i in range(60):
        c, s = f"10.0.0.{1 + i % 4}", f"10.0.1.{1 + i % 3}"
        out.append(rec(c, s, 40000 + i, 443, start=BASE + 60 * i, end=BASE + 60 * i + 59))
        out.append(rec(f"10.0.2.{1 + i % 4}", f"10.0.3.{1 + i % 2}", 41000 + i, 5432,
                       start=BASE + 60 * i, end=BASE + 60 * i + 59))
        out.append(rec(c, "203.0.113.9", 42000 + i, 443, start=BASE + 60 * i, end=BASE + 60 * i + 59))
    return out


HOSTILE = {
    # line text -> the reason it must be counted under
    rec("10.0.0.1", "10.0.1.1", 40000, 443, start=BIG, end=BIG): "out_of_range",
    rec("10.0.0.1", "10.0.1.1", 40000, 443, packets=BIG - 5, nbytes=BIG - 7): "out_of_range",
    rec("10.0.0.1", "10.0.1.1", 40000, 1_234_567): "out_of_range",
    rec("10.0.0.1", "10.0.1.1", 40000, 443, proto=99_999_999): "out_of_range",
    rec("10.0.0.1", "10.0.1.1", 40000, 443, start=1, end=2): "time_out_of_range",  # 1970
    rec("10.0.0.1", "10.0.1.1", 40000, 443, start=946_684_799, end=946_684_850): "time_out_of_range",  # 1999
    rec("10.0.0.1", "10.0.1.1", 40000, 443, start=4_102_444_799_000, end=4_102_444_800_000): "time_out_of_range",
    rec("10.0.0.1", "10.0.1.1", 40000, 8080, start=BASE, end=BIG // 10**7): "time_out_of_range",  # year 2262
}


def inventory(tmp: Path) -> Path:
    rows = ["ip,service,domain"]
    rows += [f"10.0.0.{i},web{i},shop" for i in range(1, 5)] + [f"10.0.1.{i},api{i},shop" for i in range(1, 4)]
    rows += [f"10.0.2.{i},job{i},billing" for i in range(1, 5)] + [f"10.0.3.{i},db{i},billing" for i in range(1, 3)]
    path = tmp / "inventory.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_values_near_2_63_and_implausible_times_are_counted_not_crashing(tmp_path):
    good = good_lines()
    lines = [HEADER, *good[:90], *HOSTILE, *good[90:]]
    (tmp_path / "flows.log").write_text("\n".join(lines) + "\n")
    out = tmp_path / "r"
    proc = run("analyze", str(tmp_path / "flows.log"), "--inventory", str(inventory(tmp_path)), "--out", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    dq = json.loads((out / "report.json").read_text())["data_quality"]
    assert dq["records"]["records"] == len(good) == 180
    assert dq["records"]["invalid"] == len(HOSTILE) == 8
    reasons = {r["reason"]: r["lines"] for r in dq["invalid_by_reason"]}
    assert reasons == {"out_of_range": 4, "time_out_of_range": 4}
    examples = [e for r in dq["invalid_by_reason"] for e in r["examples"]]
    # file:line of every hostile record (header is line 1, the hostile block starts at line 92)
    assert sorted(int(e.split(":")[1]) for e in examples) == list(range(92, 100))
    span = dq["time_span"]
    assert span["first_start"] == "2025-11-24T16:00:00Z" and span["last_end"] == "2025-11-24T16:59:59Z"

    # port 1234567 and protocol 99999999 never reach the policy
    policy = json.loads((out / "policy.json").read_text())
    text = (out / "policy.json").read_text()
    assert "1234567" not in text and "99999999" not in text and "8080" not in text
    ports = set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("port", "server_port") and isinstance(v, int):
                    ports.add(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(policy)
    assert 443 in ports and ports <= {443, 5432}  # only ports of valid records


def test_counter_totals_beyond_int64_exit_3_with_one_sentence(tmp_path):
    # every record is within FIELD_MAX (bytes 2^48), but 40,000 of them sum past 2^63 - 1
    lines = [HEADER] + [rec("10.0.0.1", "10.0.1.1", 40000 + i % 1000, 443, packets=2**40, nbytes=2**48,
                            start=BASE + i, end=BASE + i + 60) for i in range(40_000)]
    (tmp_path / "sum.log").write_text("\n".join(lines) + "\n")
    proc = run("analyze", str(tmp_path / "sum.log"), "--out", str(tmp_path / "r"), *FAST)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "ConversionException" not in proc.stderr
    err = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert err == ["flowgraph: error: the flow records' bytes total more than 2^63-1 (9.2e18), which no real "
                   "capture carries; check the input for corrupt counters"]
