"""A background reader thread never outlives its reader.

Files larger than one raw block are decompressed and split in a prefetch
thread (``flowgraph-read-prefetch``).  Whatever way the consumer leaves a file
-- the end, a ``break``, an exception of its own -- the thread is gone within
two seconds, and a process that dies of an exception mid-file exits.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import flowgraph as fg
from flowgraph.read.streams import PrefetchReader

PREFETCH = "flowgraph-read-prefetch"
LINE = b"2 123456789012 eni-1 10.0.0.1 10.0.0.2 50000 443 6 10 1000 1700000000 1700000059 ACCEPT OK\n"
LINES = 1_000_000  # ~90 MB: many chunks, the prefetch queue fills while the consumer is away


@pytest.fixture(scope="module")
def big_log(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "flows.log"
    path.write_bytes(LINE * LINES)
    return path


def _prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == PREFETCH]


def _gone_within(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _prefetch_threads():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_the_prefetch_thread_has_a_recognisable_name_and_ends_on_close():
    reader = PrefetchReader(itertools.repeat(b"x\n"), background=True)  # a producer that never ends
    assert reader.read(2) == b"x\n"
    assert len(_prefetch_threads()) == 1
    reader.close()
    assert _gone_within(2.0)


def test_break_mid_file_ends_the_thread(big_log):
    assert not _prefetch_threads()
    seen = 0
    for batch in fg.scan_flows(big_log):
        seen += batch.num_rows
        break
    assert 0 < seen < LINES
    assert _gone_within(2.0)


def test_exception_in_the_consumer_ends_the_thread(big_log):
    def consume() -> None:
        for batch in fg.scan_flows(big_log):
            if batch.num_rows:
                raise RuntimeError("consumer failed")

    with pytest.raises(RuntimeError, match="consumer failed"):
        consume()
    assert _gone_within(2.0)


def test_full_read_ends_the_thread(big_log):
    summary = fg.summarize_flows(big_log)
    assert summary.records == LINES
    assert _gone_within(2.0)


def test_a_read_blocked_on_a_closed_reader_returns():
    """A parser thread waiting on the queue when the reader closes gets end of file, not a hang."""
    release = threading.Event()

    def chunks():
        yield b"a\n"
        release.wait(5)  # the producer is busy while the reader closes
        yield b"b\n"

    reader = PrefetchReader(chunks(), background=True)
    assert reader.read(2) == b"a\n"
    got: list[bytes] = []
    waiter = threading.Thread(target=lambda: got.append(reader.read(2)), name="test-parser", daemon=True)
    waiter.start()
    time.sleep(0.1)
    release.set()
    reader.close()
    waiter.join(2.0)
    assert not waiter.is_alive()
    assert got in ([b""], [b"b\n"])
    assert _gone_within(2.0)


@pytest.mark.parametrize("where", ["text", "gzip"])
def test_a_process_that_raises_mid_file_exits(big_log, tmp_path, where):
    source = big_log
    if where == "gzip":
        import gzip

        source = tmp_path / "flows.log.gz"
        source.write_bytes(gzip.compress(big_log.read_bytes()[: len(LINE) * 200_000], compresslevel=1))
    script = textwrap.dedent(f"""
        import flowgraph as fg
        for batch in fg.scan_flows({str(source)!r}):
            assert batch.num_rows > 0
            raise RuntimeError("consumer failed")
    """)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, timeout=30)
    assert proc.returncode == 1, proc.stderr.decode()[-2000:]
    assert "RuntimeError: consumer failed" in proc.stderr.decode()
    assert time.monotonic() - start < 15
