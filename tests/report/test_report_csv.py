"""CSV outputs: formula neutralisation, numbers kept, exception list complete and correct."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from flowgraph.report.csv import EXCEPTION_COLUMNS, FLOW_COLUMNS, csv_text, safe_cell

from .fixtures import FORMULA_NAME, HOSTILE_EDGE, HOSTILE_FILE, HOSTILE_INTERFACE, SCRIPT_NAME

CSV_FILES = ("communities.csv", "services.csv", "exceptions.csv", "shared_zone_flows.csv", "external_flows.csv")
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _read(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("raw, expected", [
    ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("  =1+1", "'  =1+1"),
    ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
    ("-5", "-5"), ("+1.5e3", "+1.5e3"), ("-0.25", "-0.25"),
    ("pay-api", "pay-api"), ("", ""), ("a=b", "a=b"),
    (-5, -5), (0.25, 0.25), (None, ""), (True, "true"),
])
def test_safe_cell(raw, expected):
    assert safe_cell(raw) == expected


def test_csv_text_quotes_minimally():
    text = csv_text([{"a": 'x,"y"', "b": "=1", "c": -5}], ["a", "b", "c"])
    assert text.splitlines() == ["a,b,c", '"x,""y""",\'=1,-5']


def test_all_csv_files_exist_with_headers(written):
    out, files = written
    for name in CSV_FILES:
        rows = _read(files[name])
        assert rows, name
    assert tuple(_read(files["exceptions.csv"])[0]) == EXCEPTION_COLUMNS
    assert tuple(_read(files["external_flows.csv"])[0]) == FLOW_COLUMNS


@pytest.mark.parametrize("name", CSV_FILES)
def test_formula_name_neutralised_in_every_csv(written, name):
    out, files = written
    rows = _read(files[name])
    cells = [c for row in rows for c in row]
    for cell in cells:
        if cell.startswith(TRIGGERS):
            assert _is_number(cell), f"{name}: dangerous cell {cell!r}"
    text = files[name].read_text(encoding="utf-8")
    if name in ("communities.csv", "services.csv", "exceptions.csv", "shared_zone_flows.csv"):
        assert "'=HYPERLINK(" in text, name  # the hostile service is present, neutralised
    assert not any(c.startswith("=") for c in cells)


def test_negative_numbers_stay_numbers(written):
    out, files = written
    rows = _read(files["services.csv"])
    header = rows[0]
    z = [r[header.index("within_z")] for r in rows[1:] if r[header.index("within_z")]]
    negatives = [v for v in z if v.startswith("-")]
    assert negatives and all(_is_number(v) for v in negatives)
    assert not any(v.startswith("'") for v in z)


def test_exceptions_csv_is_every_cross_community_rule(written, hostile_case):
    out, files = written
    a, g = hostile_case
    df = pd.read_csv(files["exceptions.csv"], dtype=str, keep_default_na=False)
    comm = {s["service"]: s["community"] for s in a["services"] if s["community"] is not None}
    e = g.edges
    expected = {
        (c, s, "" if pd.isna(p) else str(int(p)), str(int(pr)))
        for c, s, p, pr in zip(e["client"], e["server"], e["server_port"], e["protocol"], strict=True)
        if c in comm and s in comm and comm[c] != comm[s]
    }
    unq = {v: v.removeprefix("'") for v in set(df["source_service"]) | set(df["destination_service"])}
    got = {(unq[r.source_service], unq[r.destination_service], r.server_port, r.protocol)
           for r in df.itertuples()}
    assert got == expected and len(df) == 5
    # shared-zone and external flows are not exceptions
    assert "log-collector" not in set(df["source_service"]) | set(df["destination_service"])
    assert not set(df["destination_service"]) & {"internet", "aws:s3", "unknown:10.9.0.0/16"}
    row = df[df["destination_service"] == "'" + FORMULA_NAME].iloc[0]
    assert (row.source_service, row.source_community, row.destination_community) == ("pay-worker", "0", "2")
    assert row.first_seen == "2024-05-01T00:00:00Z" and row.last_seen == "2024-05-14T23:59:00Z"
    assert (row.connections, row.bytes, row.protocol_name) == ("2600", "13000000", "tcp")
    icmp = df[df["protocol"] == "1"].iloc[0]
    assert icmp.server_port == "" and icmp.protocol_name == "1"
    # each flow's first sample record; the hostile file name is formula-neutralised
    i = HOSTILE_EDGE
    assert (icmp.sample_start, icmp.sample_src_addr, icmp.sample_src_port, icmp.sample_dst_addr, icmp.sample_dst_port,
            icmp.sample_bytes, icmp.sample_interface, icmp.sample_file, icmp.sample_line) == (
        "2024-05-12T00:00:00Z", f"10.0.{i}.5", str(40000 + i), f"10.1.{i}.7", "0", str(100 + i), HOSTILE_INTERFACE,
        "'" + HOSTILE_FILE, str(10 + i))
    assert (df["sample_file"] != "").all() and (df["sample_line"] != "").all()


def test_shared_and_external_flow_files(written):
    out, files = written
    shared = pd.read_csv(files["shared_zone_flows.csv"], dtype=str, keep_default_na=False)
    assert len(shared) == 13
    assert set(shared["destination_community"]) | set(shared["source_community"]) >= {"shared"}
    ext = pd.read_csv(files["external_flows.csv"], dtype=str, keep_default_na=False)
    assert sorted(ext["destination_class"].tolist() + ext["source_class"].tolist()).count("service") == 4
    assert set(ext["source_service"]) | set(ext["destination_service"]) >= {
        "internet", "aws:s3", "unknown:10.9.0.0/16", SCRIPT_NAME}


def test_communities_and_services_csv(written, hostile_case):
    out, files = written
    a, _ = hostile_case
    comms = pd.read_csv(files["communities.csv"], dtype=str, keep_default_na=False)
    assert comms["id"].tolist() == ["0", "1", "2"]
    assert comms.loc[2, "services"].startswith("'=HYPERLINK")
    assert SCRIPT_NAME in comms.loc[1, "services"]  # harmless in CSV, kept verbatim
    services = pd.read_csv(files["services.csv"], dtype=str, keep_default_na=False)
    assert len(services) == len(a["services"])
    shared = services[services["service"] == "log-collector"].iloc[0]
    assert (shared.shared, shared.community, shared.role) == ("true", "", "shared")


def test_csv_round_trips_through_csv_module():
    rows = [{"a": "line\nbreak", "b": 'quote"', "c": "=x"}]
    back = list(csv.DictReader(io.StringIO(csv_text(rows, ["a", "b", "c"]))))
    assert back == [{"a": "line\nbreak", "b": 'quote"', "c": "'=x"}]
