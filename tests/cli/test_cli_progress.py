"""Progress on a terminal, silence off it, and Ctrl-C with the partial read summary.

Real subprocesses (``python -m flowgraph``, from this checkout); a
pseudo-terminal (``pty``) stands in for the user's terminal on stderr while
stdout stays a pipe.
"""

from __future__ import annotations

import gzip
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowgraph.cli import EXIT_INTERRUPTED

REPO = Path(__file__).resolve().parents[2]
LINE = b"2 123456789012 eni-1 10.0.0.1 10.0.0.2 50000 443 6 10 1000 1700000000 1700000059 ACCEPT OK\n"
FILES, PER_FILE = 5, 200_000  # ~3 s of reading: long enough to interrupt in the middle
PARTIAL = re.compile(r"flowgraph: read before the interrupt: (\d+) of (\d+) files done, ([\d,]+) lines read: "
                     r"([\d,]+) valid records, ([\d,]+) invalid")
PROGRESS = re.compile(r"\r(?:reading|[a-z][a-z ]+ \d+/\d+)  ([\d,]+) records  files (\d+)/(\d+)  ([\d,]+) records/s")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


@pytest.fixture(scope="module")
def many_files(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("many")
    data = gzip.compress(LINE * PER_FILE, compresslevel=1)
    for i in range(FILES):
        (root / f"flows-{i:02d}.log.gz").write_bytes(data)
    (root.parent / "inventory.csv").write_text("ip,service\n10.0.0.1,web\n10.0.0.2,api\n")
    small = [f"2 123456789012 eni-1 10.0.0.1 10.0.0.2 {40000 + i} 443 6 10 1000 {1700000000 + 60 * i} "
             f"{1700000030 + 60 * i} ACCEPT OK" for i in range(2000)]
    (root.parent / "small.log").write_text("\n".join(small) + "\n")
    return root


def _start(args: list[str], *, tty: bool) -> tuple[subprocess.Popen, int | None]:
    """Start ``python -m flowgraph ARGS``; with ``tty`` its stderr is a pseudo-terminal (master fd returned)."""
    master = slave = None
    if tty:
        import pty

        master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "flowgraph", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=slave if tty else subprocess.PIPE, start_new_session=True)
    if slave is not None:
        os.close(slave)
    return proc, master


def _read_tty(master: int, until, timeout: float) -> str:
    """Read the terminal until ``until(text)`` holds, the child closes it, or ``timeout`` passes."""
    out = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its side
                break
            if not chunk:
                break
            out += chunk
            if until(out.decode(errors="replace")):
                break
    return out.decode(errors="replace")


def _open_inputs(pid: int, folder: Path) -> bool | None:
    """Whether the child has a file of ``folder`` open (``None`` once it is gone)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(str(folder)):
                return True
        except OSError:
            continue
    return False


def _wait_until_reading(pid: int, folder: Path, timeout: float) -> bool:
    """Poll the child's open files until one lies in ``folder`` (False if it ended first)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        reading = _open_inputs(pid, folder)
        if reading is not False:  # True: reading; None: the child is gone
            return bool(reading)
        time.sleep(0.01)
    return False


def _counts(match: re.Match) -> list[int]:
    return [int(g.replace(",", "")) for g in match.groups()]


@pytest.mark.parametrize("attempt", range(3))
def test_ctrl_c_during_inspect_prints_the_partial_summary(many_files, attempt):
    proc, master = _start(["inspect", str(many_files)], tty=True)
    assert master is not None
    try:
        seen = _read_tty(master, lambda t: any(_counts(m)[0] > 0 for m in PROGRESS.finditer(t)), 60)
        assert PROGRESS.search(seen), seen
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        rest = _read_tty(master, lambda t: "flowgraph: interrupted" in t, 10)
        code = proc.wait(timeout=10)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    err = seen + rest
    assert code == EXIT_INTERRUPTED, err
    assert took < 5, took
    assert "Traceback" not in err
    m = PARTIAL.search(err)
    assert m, err
    done, total, lines, valid, invalid = _counts(m)
    assert total == FILES and 0 <= done < FILES
    assert 0 < valid == lines < FILES * PER_FILE and invalid == 0
    assert err.rstrip().endswith("flowgraph: interrupted")
    assert proc.stdout is not None and proc.stdout.read() == b""  # no summary printed as if complete


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to see that the run is reading")
def test_ctrl_c_during_analyze_without_a_terminal(many_files, tmp_path):
    proc, _ = _start(["analyze", str(many_files), "--inventory", str(many_files.parent / "inventory.csv"),
                      "--out", str(tmp_path / "r")], tty=False)
    assert _wait_until_reading(proc.pid, many_files, 90), "the run never opened an input file"
    time.sleep(3.0)  # the sources are opened when listed; DuckDB's import and the first batches follow
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = err.decode()
    assert proc.returncode == EXIT_INTERRUPTED, text
    assert "Traceback" not in text and "\r" not in text  # no progress line off a terminal
    m = PARTIAL.search(text)
    assert m, text
    assert _counts(m)[1] == FILES and _counts(m)[3] > 0
    assert text.splitlines()[-1] == "flowgraph: interrupted"
    assert not (tmp_path / "r" / "report.json").exists()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to see that the run is reading")
def test_ctrl_c_after_reading_while_duckdb_aggregates(many_files, tmp_path):
    """DuckDB reports Ctrl-C as its own error ('Query interrupted'); it is still an interrupt: exit 130."""
    proc, _ = _start(["analyze", str(many_files), "--inventory", str(many_files.parent / "inventory.csv"),
                      "--out", str(tmp_path / "r")], tty=False)
    try:
        assert _wait_until_reading(proc.pid, many_files, 90)
        quiet_since = None  # reading is over once no input file has been open for a second
        while True:
            state = _open_inputs(proc.pid, many_files)
            assert state is not None, "the run ended before it was interrupted"
            now = time.monotonic()
            quiet_since = None if state else (quiet_since or now)
            if quiet_since is not None and now - quiet_since > 1.0:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = err.decode()
    assert proc.returncode == EXIT_INTERRUPTED, text
    assert "Traceback" not in text and "unexpected" not in text
    m = PARTIAL.search(text)
    assert m and _counts(m)[:2] == [FILES, FILES] and _counts(m)[3] == FILES * PER_FILE, text
    assert text.splitlines()[-1] == "flowgraph: interrupted"


def test_progress_line_on_a_terminal_redrawn_at_most_twice_a_second(many_files):
    proc, master = _start(["inspect", str(many_files)], tty=True)
    assert master is not None
    start = time.monotonic()
    try:
        err = _read_tty(master, lambda t: False, 120)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    elapsed = time.monotonic() - start
    assert code == 0, err
    draws = [_counts(m) for m in PROGRESS.finditer(err)]
    assert len(draws) >= 2, err
    assert len(draws) <= 2 * elapsed + 1
    records = [d[0] for d in draws]
    files_done = [d[1] for d in draws]
    assert records == sorted(records) and records[-1] > 0
    assert files_done == sorted(files_done) and all(d[2] == FILES for d in draws)
    assert err.count("\x1b[K") >= len(draws)  # each draw erases the rest of the line; the last is wiped
    summary = proc.stdout.read().decode() if proc.stdout else ""
    assert f"{FILES * PER_FILE:,}" in summary


def test_no_progress_without_a_terminal(many_files):
    proc = subprocess.run([sys.executable, "-m", "flowgraph", "inspect", str(many_files.parent / "small.log")],
                          cwd=REPO, capture_output=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stderr == b""
    assert b"2,000" in proc.stdout


def test_no_progress_with_quiet_even_on_a_terminal(many_files, tmp_path):
    proc, master = _start(["analyze", str(many_files.parent / "small.log"), "--inventory",
                           str(many_files.parent / "inventory.csv"), "--out", str(tmp_path / "r"), "--quiet",
                           "--seeds", "2", "--rewirings", "2"],
                          tty=True)
    assert master is not None
    try:
        err = _read_tty(master, lambda t: False, 120)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert code == 0, err
    assert not PROGRESS.search(err) and "\r" not in err, err
    assert (tmp_path / "r" / "report.json").exists()
