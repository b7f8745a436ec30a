"""Hostile Parquet files: reserved column names, out-of-range integers, dictionary bombs (issue 12)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowgraph.exceptions import InputError
from flowgraph.read import read_flows, scan_flows, summarize_flows

REPO = Path(__file__).resolve().parents[2]
T0 = 1_764_000_000


def _flows(n: int, **over) -> dict:
    cols = {"srcaddr": ["10.0.0.1"] * n, "dstaddr": ["10.0.0.2"] * n, "srcport": list(range(40000, 40000 + n)),
            "dstport": [443] * n, "protocol": [6] * n, "start": [T0] * n, "end": [T0 + 60] * n}
    cols.update(over)
    return cols


def test_line_and_file_columns_are_dropped_and_cannot_spoof_provenance(tmp_path):
    path = tmp_path / "evil.parquet"
    pq.write_table(pa.table({**_flows(3), "_line": [70, 80, 90], "_file": ["s3://other/bucket.log"] * 3}), path)
    df = read_flows(path, provenance=True)
    assert df["_file"].tolist() == [str(path)] * 3
    assert df["_line"].tolist() == [1, 2, 3]
    assert df["srcport"].tolist() == [40000, 40001, 40002]
    s = df.attrs["read_summary"]
    assert s["dropped_columns"] == [
        {"file": str(path), "column": "_line", "reason": "reserved for the reader's provenance column"},
        {"file": str(path), "column": "_file", "reason": "reserved for the reader's provenance column"}]
    assert s["per_file"][0]["extra_columns"] == []
    # the streaming form without provenance has neither column
    batches = list(scan_flows(path, provenance=False))
    assert "_line" not in batches[0].schema.names and "_file" not in batches[0].schema.names
    assert "dropped columns" in str(summarize_flows(path))


def test_integers_beyond_field_range_are_out_of_range(tmp_path):
    path = tmp_path / "range.parquet"
    pq.write_table(pa.table(_flows(5, dstport=[443, 1_234_567, 443, 443, 22], protocol=[6, 6, 99_999_999, 6, 6],
                                   srcport=pa.array([40000, 40001, 40002, -1, 40004], pa.int32()),
                                   bytes=pa.array(["10", "20", "30", "40", str(2**62)]))), path)
    df = read_flows(path, provenance=True)
    assert df["_line"].tolist() == [1]
    s = df.attrs["read_summary"]
    assert s["invalid_by_reason"] == {"out_of_range": 4}
    assert s["invalid_examples"]["out_of_range"] == [
        f"{path}:2: dstport=1234567", f"{path}:3: protocol=99999999", f"{path}:4: srcport=-1",
        f"{path}:5: bytes='{2**62}'"]


def _bomb(path: Path, rows: int, width: int, good: int = 0) -> None:
    """``good`` plain rows, then ``rows`` repeats of one ``width``-byte address, dictionary encoded."""
    writer = None
    if good:
        t = pa.table(_flows(good))
        writer = pq.ParquetWriter(path, t.schema, compression="zstd")
        writer.write_table(t)
    idx = pa.array(np.zeros(rows, dtype=np.int32))
    addr = pa.DictionaryArray.from_arrays(idx, pa.array(["10.0.0.1" + "x" * (width - 8)]))
    cols = {"srcaddr": addr, "dstaddr": addr,
            "srcport": pa.DictionaryArray.from_arrays(idx, pa.array([40000])),
            "dstport": pa.DictionaryArray.from_arrays(idx, pa.array([443])),
            "protocol": pa.DictionaryArray.from_arrays(idx, pa.array([6])),
            "start": pa.DictionaryArray.from_arrays(idx, pa.array([T0])),
            "end": pa.DictionaryArray.from_arrays(idx, pa.array([T0 + 60]))}
    t = pa.table(cols)
    if writer is not None:
        t = t.cast(writer.schema)
        writer.write_table(t, row_group_size=rows)
        writer.close()
    else:
        pq.write_table(t, path, compression="zstd", row_group_size=rows, write_statistics=False)


def test_dictionary_bomb_is_refused_from_its_metadata(tmp_path):
    path = tmp_path / "bomb.parquet"
    _bomb(path, 10_000_000, 1000)  # 20 GB of addresses once decoded
    size = path.stat().st_size
    assert size < 200_000
    with pytest.raises(InputError) as err:
        read_flows(path)
    assert f"refused before decoding: 10,000,000 rows declare at least 280,000,000 bytes in a {size:,} bytes file" \
        in str(err.value)


def test_dictionary_bomb_below_the_metadata_bound_stops_before_decoding(tmp_path):
    path = tmp_path / "bomb.parquet"
    _bomb(path, 1_000_000, 1000, good=10)  # 1M rows: 28 MB declared, 2 GB decoded
    s = summarize_flows(path)
    assert s.records == 10  # the plain row group before the bomb is kept
    assert s.truncated_files[0]["records_kept"] == 10
    assert s.truncated_files[0]["reason"].startswith("stopped after 10 rows: the next batch decodes to ")
    assert "a ratio over 250 (a decompression bomb, not flow logs)" in s.truncated_files[0]["reason"]


def test_dictionary_bomb_rss_stays_bounded(tmp_path):
    path = tmp_path / "bomb.parquet"
    _bomb(path, 2_000_000, 1000)  # 4 GB decoded; read_flows on main took 4.1 GB of RSS
    code = textwrap.dedent(f"""
        import re
        from flowgraph.read import read_flows
        try:
            read_flows({str(path)!r})
        except Exception as exc:
            print(type(exc).__name__)
        # VmHWM (peak RSS of this image): ru_maxrss would carry the parent's peak across exec
        status = open("/proc/self/status").read()
        print(int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) // 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    kind, rss_mb = out.stdout.split()
    assert kind == "InputError", out.stderr
    print("dictionary bomb peak RSS MB:", rss_mb)
    assert int(rss_mb) < 400, rss_mb
