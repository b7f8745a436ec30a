"""``flowgraph inspect``: text and JSON output, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from readtest_helpers import V2_ACCEPT, V2_HEADER, V2_NODATA, lines_of, write

from flowgraph.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_inspect_text(tmp_path, capsys):
    path = write(tmp_path / "a.log", lines_of(V2_HEADER, V2_ACCEPT, V2_NODATA, "bogus line"))
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "records" in out and "NODATA 1" in out and "token_count 1" in out
    assert f"{path}:4: bogus line" in out


def test_inspect_json_and_fields(tmp_path, capsys):
    path = write(tmp_path / "a.log", lines_of("10.0.0.1 443", "10.0.0.2 -"))
    assert main(["inspect", str(path), "--fields", "${srcaddr} ${dstport}", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["records"] == 2 and data["invalid"] == 0
    assert isinstance(data["records"], int) and isinstance(data["invalid"], int)
    assert data["formats"] == {"srcaddr dstport": 1}


def test_inspect_several_sources(tmp_path, capsys):
    a = write(tmp_path / "a.log", lines_of(V2_ACCEPT))
    b = write(tmp_path / "b.log.gz", lines_of(V2_ACCEPT), gz=True)
    assert main(["inspect", str(a), str(b), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == 2


@pytest.mark.parametrize("content", [b"", bytes(range(256)) * 20], ids=["empty", "random"])
def test_inspect_unusable_input_exit_3(tmp_path, capsys, content):
    path = write(tmp_path / "bad.log", content)
    assert main(["inspect", str(path)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("flowgraph: error: no valid flow-log record found in")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["inspect"]) == 2
    assert main(["no-such-command"]) == 2
    assert main(["--help"]) == 0
    capsys.readouterr()


def test_cli_subprocess_no_traceback(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    missing = tmp_path / "missing.log"
    proc = subprocess.run([sys.executable, "-m", "flowgraph.cli", "inspect", str(missing)],
                          capture_output=True, text=True, env=env, cwd=REPO)
    assert proc.returncode == 3
    assert proc.stderr == f"flowgraph: error: no such file or directory: '{missing}'\n"
    good = write(tmp_path / "a.log", lines_of(V2_ACCEPT))
    proc = subprocess.run([sys.executable, "-m", "flowgraph.cli", "inspect", "--json", str(good)],
                          capture_output=True, text=True, env=env, cwd=REPO)
    assert proc.returncode == 0 and json.loads(proc.stdout)["records"] == 1
