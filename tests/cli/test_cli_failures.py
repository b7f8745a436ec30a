"""Failures driven through the installed ``flowgraph`` console script: exit code and one sentence, never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
FLOWGRAPH = shutil.which("flowgraph", path=str(Path(sys.executable).parent)) or shutil.which("flowgraph")


def flowgraph(*args: str, stdin=None) -> subprocess.CompletedProcess:
    assert FLOWGRAPH, "the flowgraph console script is not installed in this environment"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([FLOWGRAPH, *args], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)


def one_sentence(proc: subprocess.CompletedProcess, code: int) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("flowgraph: error: "), proc.stderr
    return lines[0]


def test_inspect_json_into_a_closed_pipe_is_not_a_traceback():
    # `flowgraph inspect --json | head -1`: the reader closes the pipe after one line.
    proc = subprocess.run(f"'{FLOWGRAPH}' inspect --json '{SAMPLE / 'logs'}' | head -c 1 >/dev/null; "
                          "echo \"rc=${PIPESTATUS[0]}\"", shell=True, executable="/bin/bash",
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert proc.stdout.strip() == "rc=0"


@pytest.mark.parametrize("args, code, needle", [
    (("analyze",), 2, "usage"),                                          # missing SOURCE: argparse
    (("analyze", "x", "--seeds", "five"), 2, "invalid int value"),       # not a number: argparse
    (("analyze", "x", "--weight", "volume"), 2, "invalid choice"),
    (("inspect", "/no/such/file.log"), 3, "/no/such/file.log"),
])
def test_failure_table(args, code, needle):
    proc = flowgraph(*args)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    assert needle in proc.stderr


def test_a_config_file_with_an_unknown_key_is_one_sentence_exit_3(tmp_path):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("no_such_option: 3\n")
    line = one_sentence(flowgraph("analyze", str(SAMPLE / "logs"), "--config", str(cfg), "--out", str(tmp_path / "r")), 3)
    assert "no_such_option" in line


def test_a_non_utf8_config_file_is_one_sentence_exit_3(tmp_path):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_bytes(b"seed: \xff\xfe\n")
    one_sentence(flowgraph("analyze", str(SAMPLE / "logs"), "--config", str(cfg), "--out", str(tmp_path / "r")), 3)


def test_unexpected_exception_is_one_sentence_exit_3_and_debug_shows_it():
    # Drive main() in a child with a handler that raises a plain bug, as an unforeseen failure would.
    code = ("import sys, flowgraph.cli as c\n"
            "def boom(args):\n    raise AttributeError(\"'str' object has no attribute 'get'\")\n"
            "c._run_inspect = boom\n"
            "sys.exit(c.main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", code, "inspect", "x"], capture_output=True, text=True, timeout=120)
    line = one_sentence(proc, 3)
    assert "unexpected AttributeError" in line and "--debug" in line
    debug = subprocess.run([sys.executable, "-c", code, "--debug", "inspect", "x"], capture_output=True, text=True, timeout=120)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def _wait_until_mapped(pid: int, library: str, timeout: float = 60.0) -> bool:
    """Poll the child's memory map until ``library`` is loaded (False if it ended first)."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if library in Path(f"/proc/{pid}/maps").read_text():
                return True
        except OSError:
            return False
        time.sleep(0.002)
    return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc to see where the run is")
@pytest.mark.parametrize("after", [0.0, 0.3, 1.0, 2.0])
def test_ctrl_c_at_any_moment_is_one_line_and_exit_130(tmp_path, after):
    # A terminal's Ctrl-C signals the whole process group. `import flowgraph` and the CLI
    # module load nothing heavy, so pyarrow in the child's memory map means main() runs:
    # 0 s is while the subcommands' modules are still importing, then reading, then assessing.
    # (The interpreter's own start-up, before any flowgraph code runs, is outside our reach.)
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "flowgraph", "analyze", str(SAMPLE / "logs"), "--inventory", str(SAMPLE / "inventory.csv"),
                             "--out", str(tmp_path / "r"), "--quiet"], cwd=REPO, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    running = _wait_until_mapped(proc.pid, "libarrow")
    time.sleep(after)
    if running:
        os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    assert running and proc.returncode == 130, (proc.returncode, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    # an interrupt once reading began first says what was read (tests/cli/test_cli_progress.py)
    assert lines[-1:] == ["flowgraph: interrupted"] and len(lines) <= 2, err
    assert len(lines) == 1 or lines[0].startswith("flowgraph: read before the interrupt: "), err
    assert not (tmp_path / "r" / "report.json").exists()
