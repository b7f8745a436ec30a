"""Every record of the shared conformance corpus (``<repo>/../shared/conformance/aws_vpc``).

Skipped with a reason when the corpus is not there (a user's clone); the
hand-written tests in this directory cover the same cases.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from readtest_helpers import assert_line_invariant, row

from flowgraph.read import parse_object_key, read_flows, scan_flows
from flowgraph.read.fields import FIELD_MAX

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "aws_vpc"


def _manifest() -> list[dict]:
    if not (CORPUS / "manifest.json").is_file():  # a collection error, never an empty (skipped) parametrisation
        raise FileNotFoundError(f"conformance corpus not found at {CORPUS}: clone the repo beside ../shared")
    return json.loads((CORPUS / "manifest.json").read_text())


def _expected(name: str) -> list[dict]:
    return [json.loads(line) for line in (CORPUS / name).read_text().splitlines() if line.strip()]


def _fields(entry: dict) -> str | None:
    fmt = entry.get("format")
    return None if fmt in (None, "parquet") else fmt


def _beyond_range(record: dict) -> bool:
    return any(isinstance(v, int) and not isinstance(v, bool) and v > FIELD_MAX.get(k, v)
               for k, v in record.items() if not k.startswith("_"))


def test_peer_values_beyond_range_are_counted_out_of_range():
    df = read_flows(CORPUS / "flr_flows.parquet", provenance=True)
    summary = df.attrs["read_summary"]
    assert summary["invalid_by_reason"] == {"out_of_range": 1}
    assert summary["invalid_examples"]["out_of_range"] == [f"{CORPUS / 'flr_flows.parquet'}:3: protocol='8080'"]


def test_manifest_lists_every_data_file():
    listed = {e["file"] for e in _manifest()}
    on_disk = {p.name for p in CORPUS.iterdir()
               if p.is_file() and p.suffix in (".log", ".parquet")}
    assert on_disk <= listed


@pytest.mark.parametrize("entry", _manifest(), ids=lambda e: e["file"])
def test_conformance_file(entry):
    path = CORPUS / entry["file"]
    expected = _expected(entry["expected"])
    # flowgraph is stricter than the peers: an integer beyond its field's range (protocol 8080 in
    # flowlogs-reader's Parquet sample) is invalid, out_of_range (flowgraph.read.fields.FIELD_MAX)
    expected = [{**e, "_invalid": "out_of_range"} if _beyond_range(e) else e for e in expected]
    valid = [e for e in expected if not e.get("_invalid")]
    invalid = [e for e in expected if e.get("_invalid")]
    df = read_flows(path, fields=_fields(entry), provenance=True)
    summary = df.attrs["read_summary"]

    assert len(expected) == entry["records"]
    assert len(df) == len(valid)
    assert summary["records"] == len(valid)
    assert summary["invalid"] == len(invalid)
    for i, exp in enumerate(valid):
        got = row(df, i)
        assert got["_line"] == exp.get("_line", exp.get("_row"))
        for key, value in exp.items():
            if key.startswith("_"):
                continue
            column = key.replace("-", "_")
            assert column in df.columns, column
            assert got[column] == value, (entry["file"], i, key)
    # every integer field is Int64, every string field StringDtype
    for column in df.columns:
        if column == "_file":
            continue
        assert df[column].dtype in (pd.Int64Dtype(), pd.StringDtype()), column
    if path.suffix == ".log":
        assert_line_invariant(summary, path.read_bytes())
        invalid_lines = sorted(e["_line"] for e in invalid)
        if invalid_lines:
            examples = [x for v in summary["invalid_examples"].values() for x in v]
            assert [int(x.split(":")[1]) for x in examples] == invalid_lines


@pytest.mark.parametrize("entry", [e for e in _manifest() if e.get("format") not in (None, "parquet")],
                         ids=lambda e: e["file"])
def test_conformance_headerless_file_gzip_and_with_header(entry, tmp_path):
    """The same records gzip-compressed, and with an S3 header line instead of ``fields``."""
    data = (CORPUS / entry["file"]).read_bytes()
    plain = read_flows(CORPUS / entry["file"], fields=entry["format"])
    gz = tmp_path / "x.log.gz"
    gz.write_bytes(gzip.compress(data))
    pd.testing.assert_frame_equal(read_flows(gz, fields=entry["format"]), plain, check_like=False)
    with_header = tmp_path / "h.log"
    with_header.write_bytes(entry["format"].encode() + b"\n" + data)
    df = read_flows(with_header)
    pd.testing.assert_frame_equal(df, plain)


def test_conformance_s3_layout_directory():
    root = CORPUS / "s3_layout"
    gz = next(root.rglob("*.log.gz"))
    batches = list(scan_flows(root))
    assert sum(b.num_rows for b in batches) == 2
    assert {str(f) for b in batches for f in b.column("_file").to_pylist()} == {str(gz)}
    key = gz.relative_to(root).as_posix()
    info = parse_object_key(key)
    assert info["file_name_valid"] and info["account_id"] == "123456789010"
    assert info["path_date"] == "2015-08-12"
    expected = _expected("flr_s3_v3_header_custom_order.expected.jsonl")
    df = read_flows(root)
    for i, exp in enumerate(expected):
        got = row(df, i)
        for k, v in exp.items():
            if not k.startswith("_"):
                assert got[k.replace("-", "_")] == v


def test_conformance_object_keys():
    for exp in _expected("s3_object_keys.expected.jsonl"):
        want = {k: v for k, v in exp.items() if not k.startswith("_") and k != "key"}
        assert parse_object_key(exp["key"]) == want, exp["key"]
    keys = (CORPUS / "s3_object_keys.txt").read_text().split()
    assert len(keys) == len(_expected("s3_object_keys.expected.jsonl"))
