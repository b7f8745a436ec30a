"""Reading ``s3://`` prefixes through a real S3 API (moto server)."""

from __future__ import annotations

import gzip
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from readtest_helpers import V2_ACCEPT, V2_HEADER, V2_NODATA, V2_REJECT, lines_of

from flowgraph.exceptions import InputError
from flowgraph.read import parse_object_key, read_flows, scan_flows, summarize_flows

PREFIX = "AWSLogs/123456789010/vpcflowlogs/us-east-1/2024/01/01/"


def _objects(tmp_path: Path, corpus: Path) -> dict[str, bytes]:
    """Delivery keys -> bytes: hand-written files and the conformance corpus files."""
    objects: dict[str, bytes] = {
        PREFIX + "123456789010_vpcflowlogs_us-east-1_fl-0a1b2c3d_20240101T0000Z_aa11.log.gz":
            gzip.compress(lines_of(V2_HEADER, V2_ACCEPT, V2_NODATA).encode()),
        PREFIX + "123456789010_vpcflowlogs_us-east-1_fl-0a1b2c3d_20240101T0005Z_bb22.log.gz":
            gzip.compress(lines_of(V2_HEADER, V2_REJECT, "bogus line").encode()),
        PREFIX + "notes.csv": b"not a flow log",
    }
    table = pa.table({"version": pa.array([2], pa.int32()), "srcaddr": ["10.9.9.9"],
                      "log_status": ["OK"]})
    pq.write_table(table, tmp_path / "p.parquet")
    objects[PREFIX + "123456789010_vpcflowlogs_us-east-1_fl-0a1b2c3d_20240101T0010Z_cc33.log.parquet"] = \
        (tmp_path / "p.parquet").read_bytes()
    layout = corpus / "s3_layout"
    for path in layout.rglob("*.log.gz"):
        objects[path.relative_to(layout).as_posix()] = path.read_bytes()
    objects[PREFIX + "flr_v2_cloudwatch_messages.log"] = (corpus / "flr_v2_cloudwatch_messages.log").read_bytes()
    objects[PREFIX + "flr_flows.parquet"] = (corpus / "flr_flows.parquet").read_bytes()
    return objects


@pytest.fixture(scope="module")
def bucket(s3_server, tmp_path_factory, conformance_dir):
    tmp = tmp_path_factory.mktemp("s3src")
    client = boto3.client("s3", endpoint_url=s3_server["endpoint_url"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket="flowlogs")
    objects = _objects(tmp, conformance_dir / "aws_vpc")
    local = tmp / "mirror"
    for key, data in objects.items():
        client.put_object(Bucket="flowlogs", Key=key, Body=data)
        (local / key).parent.mkdir(parents=True, exist_ok=True)
        (local / key).write_bytes(data)
    return {"name": "flowlogs", "objects": objects, "local": local}


def test_s3_prefix_matches_local_read(s3_server, bucket):
    s3 = {k: v for k, v in s3_server.items() if k != "endpoint_url"}
    scan = scan_flows("s3://flowlogs/AWSLogs/", s3=s3)
    remote = pa.Table.from_batches(list(scan))
    local = pa.Table.from_batches(list(scan_flows(bucket["local"] / "AWSLogs")))
    assert remote.num_rows == local.num_rows > 0
    assert remote.drop_columns(["_file"]).equals(local.drop_columns(["_file"]))
    files = remote.column("_file").to_pylist()
    assert all(f.startswith("s3://flowlogs/AWSLogs/") for f in files)
    assert [f[len("s3://flowlogs/"):] for f in files] == \
        [Path(f).relative_to(bucket["local"]).as_posix() for f in local.column("_file").to_pylist()]
    summary = scan.summary
    assert summary.files_skipped == [{"file": "s3://flowlogs/" + PREFIX + "notes.csv",
                                      "reason": "unsupported suffix '.csv'"}]
    assert summary.invalid_by_reason.get("token_count") == 1
    assert summary.bytes_read == sum(len(v) for k, v in bucket["objects"].items()
                                     if not k.endswith(".csv"))
    for f in summary.per_file:
        info = parse_object_key(f["file"])
        assert info is not None and info["path_account_id"] is not None


def test_s3_values_and_single_object(s3_server, bucket):
    key = PREFIX + "123456789010_vpcflowlogs_us-east-1_fl-0a1b2c3d_20240101T0000Z_aa11.log.gz"
    df = read_flows(f"s3://flowlogs/{key}", s3={"endpoint_url": s3_server["endpoint_url"]},
                    provenance=True)
    assert df["action"].tolist()[0] == "ACCEPT" and df["log_status"].tolist() == ["OK", "NODATA"]
    assert df["_line"].tolist() == [2, 3]
    assert set(df["_file"].astype(str)) == {f"s3://flowlogs/{key}"}


def test_s3_conformance_layout(s3_server, bucket, conformance_dir):
    s3 = {"endpoint_url": s3_server["endpoint_url"]}
    remote = read_flows("s3://flowlogs/AWSLogs/123456789010/vpcflowlogs/pangaea-1/", s3=s3)
    local = read_flows(conformance_dir / "aws_vpc" / "s3_layout")
    assert remote.equals(local) and len(remote) == 2


def test_s3_errors_are_input_errors(s3_server, bucket):
    s3 = {"endpoint_url": s3_server["endpoint_url"]}
    with pytest.raises(InputError, match="no flow-log file found"):
        summarize_flows("s3://flowlogs/no/such/prefix/", s3=s3)
    with pytest.raises(InputError, match="cannot list 's3://missing-bucket/x'"):
        summarize_flows("s3://missing-bucket/x", s3=s3)


def test_cli_inspect_s3(s3_server, bucket, capsys):
    import json

    from flowgraph.cli import main

    code = main(["inspect", "s3://flowlogs/AWSLogs/", "--endpoint-url", s3_server["endpoint_url"],
                 "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    local = summarize_flows(bucket["local"] / "AWSLogs")
    assert data["records"] == local.records > 0 and data["invalid"] == local.invalid
