"""The ``flowgraph`` program ends through :func:`flowgraph.cli.run`: the command's exit
code, every byte of its output and the ``atexit`` handlers, without the interpreter
teardown in which Arrow's or DuckDB's native threads can abort the process (exit -6,
"terminate called without an active exception", seen once in CI on ``inspect --json``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
V2 = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
      "start end action log-status\n"
      "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
      "1418530010 1418530070 ACCEPT OK\n")


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)


def test_run_keeps_exit_code_output_and_atexit_handlers(tmp_path):
    log = tmp_path / "a.log"
    log.write_text(V2)
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('atexit ran', file=sys.stderr))\n"
            "sys.argv[0] = 'flowgraph'\n"
            "from flowgraph.cli import run\n"
            "run()\n")
    proc = _run(code, "inspect", "--json", str(log))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["records"] == 1
    assert proc.stderr == "atexit ran\n"
    proc = _run(code, "inspect", str(tmp_path / "missing.log"))
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        f"flowgraph: error: no such file or directory: '{tmp_path / 'missing.log'}'", "atexit ran"]


def test_python_dash_m_flowgraph_and_the_console_script_share_run(tmp_path):
    log = tmp_path / "a.log"
    log.write_text(V2)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for argv in ([sys.executable, "-m", "flowgraph"], [sys.executable, "-m", "flowgraph.cli"]):
        proc = subprocess.run([*argv, "inspect", "--json", str(log)], capture_output=True, text=True,
                              env=env, cwd=REPO, timeout=120)
        assert proc.returncode == 0 and proc.stderr == ""
        assert json.loads(proc.stdout)["records"] == 1
    script = Path(sys.executable).with_name("flowgraph")
    assert "from flowgraph.cli import run" in script.read_text()
