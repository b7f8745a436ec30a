"""Files written by write_estate: S3 layout, deterministic bytes, content equal to records()."""

from __future__ import annotations

import gzip
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from flowgraph.read.fields import CANONICAL_SCHEMA
from flowgraph.synth import LOG_FORMAT, generate_estate, write_estate
from flowgraph.synth.__main__ import main

NAME = re.compile(r"^(\d{12})_vpcflowlogs_([a-z0-9-]+)_(fl-[0-9a-z]+)_(\d{8}T\d{4}Z)_([0-9a-z]+)\.log\.gz$")
PARAMS = dict(domains=3, services=20, shared_services=3, connections=1500, hours=1, scanners=3,
              reused_addresses=2, seed=21)


@pytest.fixture(scope="module")
def estate():
    return generate_estate(**PARAMS)


@pytest.fixture(scope="module")
def written(estate, tmp_path_factory):
    out = tmp_path_factory.mktemp("estate")
    info = write_estate(estate, out)
    return out, info


def _all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_and_names(written, estate):
    out, info = written
    logs = sorted((out / "logs").rglob("*.gz"))
    assert len(logs) == info["files"] > 0
    accounts = dict(zip(estate.accounts["account"], estate.accounts["flow_log_id"]))
    for p in logs:
        m = NAME.match(p.name)
        assert m, p.name
        account, region, fl, stamp, _h = m.groups()
        assert accounts[account] == fl and region == "us-east-1"
        rel = p.relative_to(out / "logs").parts
        assert rel[:4] == ("AWSLogs", account, "vpcflowlogs", region)
        assert "".join(rel[4:7]) == stamp[:8]
        data = p.read_bytes()
        assert data[4:8] == b"\0\0\0\0"  # gzip mtime 0, no file name flag
        assert data[3] == 0
        lines = gzip.decompress(data).decode().splitlines()
        assert lines[0] == " ".join(LOG_FORMAT)
        lo = int(datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=UTC).timestamp())
        ends = [int(line.split()[11]) for line in lines[1:]]
        assert ends and all(lo <= e < lo + 300 for e in ends)


def test_files_hold_exactly_the_records(written, estate):
    out, _info = written
    types = {f.name: f.type for f in CANONICAL_SCHEMA}
    names = [c.replace("-", "_") for c in LOG_FORMAT]
    parts = []
    for p in sorted((out / "logs").rglob("*.gz")):
        parts.append(pcsv.read_csv(
            io.BytesIO(gzip.decompress(p.read_bytes())),
            read_options=pcsv.ReadOptions(skip_rows=1, column_names=names),
            parse_options=pcsv.ParseOptions(delimiter=" "),
            convert_options=pcsv.ConvertOptions(column_types={n: types[n] for n in names},
                                                null_values=["-"], strings_can_be_null=True)))
    got = pa.concat_tables(parts).to_pandas()
    want = estate.records().to_pandas()
    key = ["interface_id", "start", "end", "srcaddr", "dstaddr", "srcport", "dstport", "flow_direction",
           "log_status"]
    got = got.sort_values(key, na_position="first").reset_index(drop=True)
    want = want.sort_values(key, na_position="first").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)


def test_bytes_identical_for_same_arguments(written, tmp_path):
    out, _info = written
    write_estate(generate_estate(**PARAMS), tmp_path / "again")
    assert _all_files(out) == _all_files(tmp_path / "again")


def test_overwrite_protection(written, tmp_path, estate):
    out = tmp_path / "o"
    write_estate(estate, out)
    with pytest.raises(FileExistsError):
        write_estate(estate, out)
    (out / "keep.txt").write_text("mine")
    write_estate(estate, out, overwrite=True)
    assert (out / "keep.txt").read_text() == "mine"


def test_inventory_enis_truth(written, estate):
    out, _info = written
    inv = pd.read_csv(out / "inventory.csv", dtype=str, keep_default_na=False)
    assert inv.columns.tolist() == ["ip", "service", "domain", "account", "valid_from", "valid_to"]
    assert inv["account"].str.fullmatch(r"\d{12}").all()
    bounded = inv[inv["valid_to"] != ""]
    assert len(bounded) == PARAMS["reused_addresses"]
    assert bounded["valid_to"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()

    doc = json.loads((out / "enis.json").read_text())
    nis = doc["NetworkInterfaces"]
    assert len(nis) == estate.enis["valid_to"].isna().sum()
    first = nis[0]
    assert list(first) == ["NetworkInterfaceId", "PrivateIpAddress", "PrivateIpAddresses", "SubnetId",
                           "VpcId", "OwnerId", "Attachment", "TagSet"]
    assert first["PrivateIpAddresses"][0] == {"PrivateIpAddress": first["PrivateIpAddress"], "Primary": True}
    assert set(first["Attachment"]) == {"InstanceId"}
    assert [t["Key"] for t in first["TagSet"]] == ["service", "team"]

    text = (out / "truth.json").read_text()
    truth = json.loads(text)
    assert json.dumps(truth, sort_keys=True, indent=1) + "\n" == text
    assert truth["truth"]["mu"] == round(estate.truth.mu, 6)
    assert len(truth["truth"]["edges"]) == len(estate.truth.edges)
    assert truth["params"]["seed"] == PARAMS["seed"]


def test_cli(tmp_path, capsys):
    assert main([str(tmp_path / "c"), "--domains", "2", "--services", "10", "--connections", "200",
                 "--hours", "1", "--scanners", "1", "--reused-addresses", "1", "--seed", "3",
                 "--domain-mu", "checkout=0.1"]) == 0
    assert "records" in capsys.readouterr().out
    assert json.loads((tmp_path / "c" / "truth.json").read_text())["params"]["domain_mu"] == {"checkout": 0.1}
    assert main([str(tmp_path / "c"), "--domains", "2", "--services", "10"]) == 2  # exists
    with pytest.raises(SystemExit):
        main([str(tmp_path / "d"), "--sample", "--seed", "4"])
