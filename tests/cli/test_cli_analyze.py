"""`flowgraph analyze` end to end: the sample estate, a planted estate, and bad input."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowgraph.report import validate_report

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
FAST = ["--seeds", "4", "--rewirings", "8", "--quiet"]


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "flowgraph.cli", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def assert_one_sentence_error(proc: subprocess.CompletedProcess, code: int) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("flowgraph: error: "), proc.stderr


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    proc = run("analyze", str(SAMPLE / "logs"), "--inventory", str(SAMPLE / "inventory.csv"), "--out", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    return out


def test_sample_report_files_and_schema(sample_report):
    report = json.loads((sample_report / "report.json").read_text())
    validate_report(report)
    for name in ("report.html", "report.md", "communities.csv", "services.csv", "exceptions.csv",
                 "policy.json", "policy.yaml", "graph.graphml", "graph.json"):
        assert (sample_report / name).stat().st_size > 0, name
    assert report["verdict"] in {"feasible", "feasible_with_exceptions", "marginal", "infeasible", "insufficient_data"}
    dq = report["data_quality"]
    assert dq["records"]["records"] == 103_511 and dq["records"]["invalid"] == 0
    assert dq["records"]["nodata"] == 337 and dq["records"]["skipdata"] == 5
    assert report["declared_domains"]["domains"] == 13  # the 13 business domains; platform is the shared zone
    assert set(report["shared_services"]) >= {"dns", "metrics", "logging"}


def test_json_flag_prints_the_report(tmp_path):
    proc = run("analyze", str(SAMPLE / "logs"), "--inventory", str(SAMPLE / "inventory.csv"), "--out", str(tmp_path), "--json", "--seeds", "3", "--rewirings", "5")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["schema_version"] == "1.0"


def test_planted_estate_report_validates(tmp_path):
    from flowgraph.synth import generate_estate, write_estate

    est = generate_estate(domains=5, services=60, mu=0.1, connections=6000, seed=11)
    write_estate(est, tmp_path / "estate")
    out = tmp_path / "report"
    proc = run("analyze", str(tmp_path / "estate" / "logs"), "--inventory", str(tmp_path / "estate" / "inventory.csv"), "--out", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    validate_report(report)
    assert report["metrics"]["cross_community_edge_ratio"] < 0.35


def test_empty_file_exits_3(tmp_path):
    (tmp_path / "empty.log").write_bytes(b"")
    assert_one_sentence_error(run("analyze", str(tmp_path / "empty.log"), "--out", str(tmp_path / "r")), 3)


def test_random_bytes_exit_3(tmp_path):
    (tmp_path / "noise.log.gz").write_bytes(os.urandom(4096))
    (tmp_path / "noise.log").write_bytes(os.urandom(4096))
    for name in ("noise.log", "noise.log.gz"):
        assert_one_sentence_error(run("analyze", str(tmp_path / name), "--out", str(tmp_path / "r")), 3)


def test_inventory_with_a_missing_column_exits_3(tmp_path):
    (tmp_path / "inv.csv").write_text("address,name\n10.0.0.1,web\n")
    proc = run("analyze", str(SAMPLE / "logs"), "--inventory", str(tmp_path / "inv.csv"), "--out", str(tmp_path / "r"))
    assert_one_sentence_error(proc, 3)
    assert "service" in proc.stderr


def test_truncated_gzip_is_counted_in_the_report(tmp_path):
    logs = sorted((SAMPLE / "logs").rglob("*.log.gz"))[:40]
    src = tmp_path / "logs"
    src.mkdir()
    for i, p in enumerate(logs):
        data = p.read_bytes()
        (src / p.name).write_bytes(data[: len(data) // 2] if i == 0 else data)
    (src / "README.md").write_text("not a flow log\n")  # skipped, and counted
    out = tmp_path / "r"
    proc = run("analyze", str(src), "--inventory", str(SAMPLE / "inventory.csv"), "--out", str(out), *FAST)
    assert proc.returncode == 0, proc.stderr
    dq = json.loads((out / "report.json").read_text())["data_quality"]
    assert dq["files"]["files_skipped"] == 1 and dq["files"]["skipped_files"][0]["file"].endswith("README.md")
    truncated = dq["files"]["truncated_files"]
    assert [t["file"].endswith(logs[0].name) for t in truncated] == [True]
    with gzip.open(logs[0], "rt") as f:
        full = sum(1 for line in f) - 1
    assert 0 < truncated[0]["records_kept"] < full
    assert any("truncated" in w for w in dq["warnings"])


def test_bad_usage_exits_2_and_a_bad_config_file_exits_3(tmp_path):
    assert run("analyze").returncode == 2
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("seed: 1\nno_such_option: 3\n")
    assert_one_sentence_error(run("analyze", str(SAMPLE / "logs"), "--config", str(cfg), "--out", str(tmp_path / "r")), 3)
