"""Azure VNet flow logs (v4) and NSG flow logs (v1/v2): conformance corpus and hand-written blobs.

The corpus tests (``../shared/conformance/azure``) skip with a reason in a
clone without ``../shared`` (and fail under ``CI=true``); the hand-written
blobs below (written from the Microsoft documentation's schema) cover the same
cases without it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from flowgraph.exceptions import InputError
from flowgraph.read import read_flows, summarize_flows
from flowgraph.read.azure import collapse_connections, parse_blob_path, parse_flow_tuples

# ---------------------------------------------------------------------------------------------
# conformance corpus

# (srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action,
#  flow_direction, rule_name, flow_state, _line) per canonical record, in file order
VNET_V4_EXPECTED = [
    ("10.0.0.6", "52.239.184.180", 23956, 443, 6, 3, 767, 1663146003, 1663146003, "ACCEPT", "egress",
     "DefaultRule_AllowInternetOutBound", "E", 20),
    ("52.239.184.180", "10.0.0.6", 443, 23956, 6, 2, 1580, 1663146003, 1663146003, "ACCEPT", "ingress",
     "DefaultRule_AllowInternetOutBound", "E", 20),
    ("10.0.0.6", "40.74.146.17", 22730, 443, 6, 3, 705, 1663146003, 1663146003, "ACCEPT", "egress",
     "DefaultRule_AllowInternetOutBound", "E", 22),
    ("40.74.146.17", "10.0.0.6", 443, 22730, 6, 4, 4569, 1663146003, 1663146003, "ACCEPT", "ingress",
     "DefaultRule_AllowInternetOutBound", "E", 22),
    ("10.0.0.6", "40.74.146.17", 22732, 443, 6, 3, 705, 1663146004, 1663146004, "ACCEPT", "egress",
     "DefaultRule_AllowInternetOutBound", "E", 24),
    ("40.74.146.17", "10.0.0.6", 443, 22732, 6, 4, 4569, 1663146004, 1663146004, "ACCEPT", "ingress",
     "DefaultRule_AllowInternetOutBound", "E", 24),
    ("10.0.0.6", "40.74.146.17", 22734, 443, 6, 2, 134, 1663146004, 1663146004, "ACCEPT", "egress",
     "DefaultRule_AllowInternetOutBound", "E", 26),
    ("40.74.146.17", "10.0.0.6", 443, 22734, 6, 1, 108, 1663146004, 1663146004, "ACCEPT", "ingress",
     "DefaultRule_AllowInternetOutBound", "E", 26),
    ("10.0.0.6", "104.16.218.84", 36776, 443, 6, 22, 2217, 1663146017, 1663146022, "ACCEPT", "egress",
     "DefaultRule_AllowInternetOutBound", "E", 28),
    ("104.16.218.84", "10.0.0.6", 443, 36776, 6, 33, 32466, 1663146017, 1663146022, "ACCEPT", "ingress",
     "DefaultRule_AllowInternetOutBound", "E", 28),
    ("101.33.218.153", "10.0.0.6", 55188, 22, 6, 0, 0, 1663145998, 1663145998, "REJECT", "ingress",
     "BlockHighRiskTCPPortsFromInternet", "D", 40),
    ("192.241.200.164", "10.0.0.6", 35276, 119, 6, 0, 0, 1663146005, 1663146005, "REJECT", "ingress",
     "BlockHighRiskTCPPortsFromInternet", "D", 41),
    ("20.106.221.10", "10.0.0.6", 50557, 44357, 6, 0, 0, 1663145989, 1663145989, "REJECT", "ingress",
     "Internet", "D", 47),
    ("20.55.117.81", "10.0.0.6", 62797, 35945, 6, 0, 0, 1663145989, 1663145989, "REJECT", "ingress",
     "Internet", "D", 48),
    ("20.55.113.5", "10.0.0.6", 51961, 65515, 6, 0, 0, 1663145989, 1663145989, "REJECT", "ingress",
     "Internet", "D", 49),
    ("13.65.224.51", "10.0.0.6", 40497, 40129, 6, 0, 0, 1663145990, 1663145990, "REJECT", "ingress",
     "Internet", "D", 50),
    ("20.55.117.81", "10.0.0.6", 62797, 30472, 6, 0, 0, 1663145990, 1663145990, "REJECT", "ingress",
     "Internet", "D", 51),
    ("20.55.113.5", "10.0.0.6", 51961, 28184, 6, 0, 0, 1663145990, 1663145990, "REJECT", "ingress",
     "Internet", "D", 52),
    ("20.106.221.10", "10.0.0.6", 50557, 31244, 6, 0, 0, 1663146015, 1663146015, "REJECT", "ingress",
     "Internet", "D", 53),
]

N = None
NSG_V2_EXPECTED = [
    ("192.0.2.190", "10.5.16.4", 28746, 443, 17, N, N, 1542110402, 1542110402, "REJECT", "ingress",
     "DefaultRule_DenyAllInBound", "B", 18),
    ("203.0.113.10", "10.5.16.4", 56509, 59336, 6, N, N, 1542110424, 1542110424, "REJECT", "ingress",
     "DefaultRule_DenyAllInBound", "B", 19),
    ("198.51.100.8", "10.5.16.4", 48495, 8088, 6, N, N, 1542110432, 1542110432, "REJECT", "ingress",
     "DefaultRule_DenyAllInBound", "B", 20),
    ("10.5.16.4", "203.0.113.118", 59831, 443, 6, N, N, 1542110377, 1542110377, "ACCEPT", "egress",
     "DefaultRule_AllowInternetOutBound", "B", 31),
    ("10.5.16.4", "203.0.113.117", 59932, 443, 6, 1, 66, 1542110379, 1542110379, "ACCEPT", "egress",
     "DefaultRule_AllowInternetOutBound", "E", 32),
    ("203.0.113.117", "10.5.16.4", 443, 59932, 6, 1, 66, 1542110379, 1542110379, "ACCEPT", "ingress",
     "DefaultRule_AllowInternetOutBound", "E", 32),
    ("10.5.16.4", "203.0.113.115", 44931, 443, 6, 30, 16978, 1542110379, 1542110379, "ACCEPT", "egress",
     "DefaultRule_AllowInternetOutBound", "C", 33),
    ("203.0.113.115", "10.5.16.4", 443, 44931, 6, 24, 14008, 1542110379, 1542110379, "ACCEPT", "ingress",
     "DefaultRule_AllowInternetOutBound", "C", 33),
    ("10.5.16.4", "198.51.100.225", 59929, 443, 6, 15, 8489, 1542110406, 1542110406, "ACCEPT", "egress",
     "DefaultRule_AllowInternetOutBound", "E", 34),
    ("198.51.100.225", "10.5.16.4", 443, 59929, 6, 12, 7054, 1542110406, 1542110406, "ACCEPT", "ingress",
     "DefaultRule_AllowInternetOutBound", "E", 34),
    ("125.64.94.197", "10.5.16.4", 59752, 18264, 6, N, N, 1542110437, 1542110437, "REJECT", "ingress",
     "DefaultRule_DenyAllInBound", "B", 57),
    ("80.211.72.221", "10.5.16.4", 37433, 8088, 6, N, N, 1542110475, 1542110475, "REJECT", "ingress",
     "DefaultRule_DenyAllInBound", "B", 58),
    ("46.101.199.124", "10.5.16.4", 60577, 8088, 6, N, N, 1542110487, 1542110487, "REJECT", "ingress",
     "DefaultRule_DenyAllInBound", "B", 59),
    ("176.119.4.30", "10.5.16.4", 57067, 52801, 6, N, N, 1542110490, 1542110490, "REJECT", "ingress",
     "DefaultRule_DenyAllInBound", "B", 60),
]
_COLUMNS = ("srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end",
            "action", "flow_direction", "rule_name", "flow_state", "_line")

# per file: expected records, account_id, interface_id, vpc_id, layout
BLOBS = {
    "ms_docs_vnet_flow_log_v4.json": (VNET_V4_EXPECTED, "00000000-0000-0000-0000-000000000000",
                                      "00224871C205", "myVNet", "azure-vnet"),
    "ms_docs_nsg_flow_log_v2.json": (NSG_V2_EXPECTED, "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e",
                                     "000D3AF87856", None, "azure-nsg"),
}


def _value(v):
    return None if v is pd.NA or (isinstance(v, float) and pd.isna(v)) else v


def _rows(df: pd.DataFrame, columns=_COLUMNS) -> list[tuple]:
    return [tuple(_value(v) for v in row) for row in df[list(columns)].itertuples(index=False)]


def _manifest(corpus: Path) -> dict[str, dict]:
    return {e["file"]: e for e in json.loads((corpus / "azure" / "manifest.json").read_text())}


def test_manifest_lists_every_azure_file(conformance_dir):
    corpus = conformance_dir / "azure"
    on_disk = {p.name for p in corpus.iterdir() if p.name != "manifest.json"}
    assert on_disk == set(_manifest(conformance_dir))
    assert set(BLOBS) | {"ms_docs_nsg_v2_bandwidth_tuples.txt", "ms_docs_vnet_bandwidth_tuples.txt"} == on_disk


@pytest.mark.parametrize("name", sorted(BLOBS))
def test_conformance_blob(conformance_dir, name):
    expected, account, mac, vnet, layout = BLOBS[name]
    entry = _manifest(conformance_dir)[name]
    path = conformance_dir / "azure" / name
    df = read_flows(path, provenance=True)
    summary = df.attrs["read_summary"]
    per_file = summary["per_file"][0]
    # the manifest's counts: records in the blob, flow tuples in them
    assert len(json.loads(path.read_text())["records"]) == entry["records"]
    assert per_file["azure_tuples"] == entry["tuples"]
    assert summary["invalid"] == 0
    assert per_file["layout"] == layout and per_file["format"] == "azure-json"
    # value by value
    assert _rows(df) == expected
    assert summary["records"] == len(expected)
    assert set(df["account_id"]) == {account}
    assert set(df["interface_id"]) == {mac}
    assert set(df["log_status"]) == {"OK"}
    assert df["vpc_id"].isna().all() if vnet is None else set(df["vpc_id"]) == {vnet}
    for column in ("srcport", "dstport", "protocol", "packets", "bytes", "start", "end"):
        assert df[column].dtype == pd.Int64Dtype(), column


def test_vnet_blob_counts_each_connection_once(conformance_dir):
    df = read_flows(conformance_dir / "azure" / "ms_docs_vnet_flow_log_v4.json")
    summary = df.attrs["read_summary"]
    # 19 tuples: 5 B/E pairs (5 connections, each with a reverse record) and 9 denied tuples
    assert summary["per_file"][0]["azure_connections"] == 14
    accepted = df[df.action == "ACCEPT"]
    assert len(accepted) == 10 and accepted["packets"].sum() == 3 + 2 + 3 + 4 + 3 + 4 + 2 + 1 + 22 + 33
    assert (df[df.action == "REJECT"]["flow_state"] == "D").all()
    # millisecond times became seconds; the span is the blob's tuples
    assert summary["first_start"] == 1663145989 and summary["last_end"] == 1663146022
    assert summary["millisecond_timestamps"] == 0


def test_vnet_tuples_keep_raw_millisecond_times(conformance_dir):
    doc = json.loads((conformance_dir / "azure" / "ms_docs_vnet_flow_log_v4.json").read_text())
    tuples = [t for flow in doc["records"][0]["flowRecords"]["flows"] for g in flow["flowGroups"]
              for t in g["flowTuples"]]
    t = parse_flow_tuples(tuples, "vnet")
    assert t.invalid == [] and len(t.valid) == 19
    assert t.valid["time_raw"].iloc[0] == 1663146003599 and t.valid["time"].iloc[0] == 1663146003
    assert t.valid["encryption"].unique().tolist() == ["NX"]
    assert t.valid["state"].value_counts().to_dict() == {"D": 9, "B": 5, "E": 5}


@pytest.mark.parametrize("name, schema", [("ms_docs_nsg_v2_bandwidth_tuples.txt", "nsg"),
                                          ("ms_docs_vnet_bandwidth_tuples.txt", "vnet")])
def test_conformance_bandwidth_tuples(conformance_dir, name, schema):
    entry = _manifest(conformance_dir)[name]
    lines = (conformance_dir / "azure" / name).read_text().splitlines()
    assert len(lines) == entry["tuples"] == 3
    t = parse_flow_tuples(lines, schema)
    assert t.invalid == []
    assert t.valid["state"].tolist() == ["B", "C", "E"]
    # the begin tuple carries no counters (empty fields -> null)
    assert t.valid.loc[0, ["packets_sent", "bytes_sent", "packets_received", "bytes_received"]].isna().all()
    conns = collapse_connections(t.valid)
    assert len(conns) == 1 and conns.loc[0, "tuples"] == 3 and conns.loc[0, "flow_state"] == "E"
    c = conns.iloc[0]
    # the documentation's totals: 1021+52+8005+47 packets, 588096+29952+4610880+27072 bytes
    assert (c.packets_sent, c.packets_received) == (1021 + 52, 8005 + 47)
    assert (c.bytes_sent, c.bytes_received) == (588096 + 29952, 4610880 + 27072)
    assert c.packets_sent + c.packets_received == 9125
    assert c.bytes_sent + c.bytes_received == 5256000
    if schema == "vnet":
        # the doc's VNet example writes seconds (not ms) and its B tuple is the latest: kept as seconds,
        # joined in file order, span from the earliest to the latest tuple
        assert t.valid["time_raw"].tolist() == t.valid["time"].tolist() == [1493763938, 1493695838, 1493696138]
        assert (c.start, c.end) == (1493695838, 1493763938)
        assert (c.srcaddr, c.dstaddr, c.srcport, c.dstport, c.protocol) == ("185.170.185.105", "10.2.0.4",
                                                                           35370, 23, 6)
    else:
        assert (c.start, c.end, c.protocol, c.decision) == (1708978215, 1708978215, 6, "A")


# ---------------------------------------------------------------------------------------------
# hand-written blobs (no corpus needed)

SUB = "00000000-1111-2222-3333-444444444444"
VNET_PATH = ("insights-logs-flowlogflowevent/flowLogResourceID=/SUBSCRIPTIONS/" + SUB.upper()
             + "/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/"
             "NETWORKWATCHER_WESTEUROPE/FLOWLOGS/VNETLOG/y=2025/m=03/d=04/h=10/m=00/"
             "macAddress=6045BDA1B2C3/PT1H.json")
NSG_PATH = ("insights-logs-networksecuritygroupflowevent/resourceId=/SUBSCRIPTIONS/" + SUB.upper()
            + "/RESOURCEGROUPS/APP-RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WEB-NSG/"
            "y=2025/m=03/d=04/h=10/m=00/macAddress=6045BDA1B2C4/PT1H.json")


def vnet_record(tuples_by_rule: dict[str, list[str]], *, mac: str | None = "6045BDA1B2C3",
                target: str | None = None) -> dict:
    rec = {
        "time": "2025-03-04T10:01:00.0000000Z", "flowLogVersion": 4,
        "flowLogGUID": "66aa66aa-bb77-cc88-dd99-00ee00ee00ee", "category": "FlowLogFlowEvent",
        "flowLogResourceID": f"/SUBSCRIPTIONS/{SUB.upper()}/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/"
                             "MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_WESTEUROPE/FLOWLOGS/VNETLOG",
        "targetResourceID": target or f"/subscriptions/{SUB}/resourceGroups/app-rg/providers/"
                                      "Microsoft.Network/virtualNetworks/app-vnet",
        "operationName": "FlowLogFlowEvent",
        "flowRecords": {"flows": [{"aclID": "acl-1", "flowGroups": [
            {"rule": rule, "flowTuples": tuples} for rule, tuples in tuples_by_rule.items()]}]},
    }
    if mac is not None:
        rec["macAddress"] = mac
    return rec


def write_blob(root: Path, rel: str, records: list, *, compress: bool = False, indent: int | None = 2) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"records": records}, indent=indent).encode()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def test_long_connection_across_records_and_port_reuse(tmp_path):
    # one connection logged B, C, C, E across three one-minute records, then the 5-tuple reused
    flow = "10.1.0.4,10.1.1.5,50000,5432,6,O"
    records = [
        vnet_record({"allow-db": [f"1741082400000,{flow},B,NX,0,0,0,0",
                                  f"1741082460000,{flow},C,NX,10,1000,8,6000"]}),
        vnet_record({"allow-db": [f"1741082520000,{flow},C,NX,5,500,4,3000"]}),
        vnet_record({"allow-db": [f"1741082580000,{flow},E,NX,2,120,1,60",
                                  f"1741082590000,{flow},B,NX,0,0,0,0"]}),
    ]
    path = write_blob(tmp_path, VNET_PATH, records)
    df = read_flows(path, provenance=True)
    assert df.attrs["read_summary"]["per_file"][0]["azure_connections"] == 2
    first = df.iloc[0]
    assert (first.srcaddr, first.packets, first.bytes, first.start, first.end) == \
        ("10.1.0.4", 17, 1620, 1741082400, 1741082580)
    back = df.iloc[1]
    assert (back.srcaddr, back.dstport, back.packets, back.bytes, back.flow_direction) == \
        ("10.1.1.5", 50000, 13, 9060, "ingress")
    # the reused 5-tuple begins a second connection (begin tuple: zero counters, no reverse record)
    assert len(df) == 3
    assert (df.iloc[2].start, df.iloc[2].packets, df.iloc[2].flow_state) == (1741082590, 0, "B")
    assert set(df["account_id"]) == {SUB} and set(df["vpc_id"]) == {"app-vnet"}
    assert set(df["rule_name"]) == {"allow-db"} and set(df["azure_acl_id"]) == {"acl-1"}


def test_flow_that_began_in_the_previous_hour(tmp_path):
    flow = "10.1.0.4,10.1.1.5,50001,443,6,I"
    path = write_blob(tmp_path, VNET_PATH, [vnet_record({"r": [f"1741082460123,{flow},C,X,3,300,3,900",
                                                                f"1741082520456,{flow},E,X,1,60,1,60"]})])
    df = read_flows(path)
    assert len(df) == 2
    assert (df.packets.tolist(), df.bytes.tolist()) == ([4, 4], [360, 960])
    assert df.flow_direction.tolist() == ["ingress", "egress"]
    assert (df.start.iloc[0], df.end.iloc[0]) == (1741082460, 1741082520)
    assert df.azure_encryption.tolist() == ["X", "X"]


def test_gzip_blob_in_a_storage_layout_directory(tmp_path):
    # the MAC comes from the blob path when the record has none; the subscription from the flow-log id
    write_blob(tmp_path, VNET_PATH, [vnet_record({"r": ["1741082400000,10.1.0.4,10.1.1.5,50000,22,6,O,E,NX,1,2,3,4"]},
                                                 mac=None)], compress=True, indent=None)
    (tmp_path / "insights-logs-flowlogflowevent" / "_marker").write_text("")
    df = read_flows(tmp_path, provenance=True)
    assert df["interface_id"].tolist() == ["6045BDA1B2C3", "6045BDA1B2C3"]
    assert df["_file"].iloc[0].endswith("PT1H.json.gz")
    summary = df.attrs["read_summary"]
    assert summary["per_file"][0]["format"] == "azure-json/gzip"
    assert summary["per_file"][0]["bytes_read"] < summary["per_file"][0]["bytes_decompressed"]
    assert df["_line"].tolist() == [1, 1]  # a compact blob is one line


def test_nsg_v1_and_v2_tuples(tmp_path):
    rec = {"time": "2025-03-04T10:01:00Z", "category": "NetworkSecurityGroupFlowEvent",
           "resourceId": f"/SUBSCRIPTIONS/{SUB.upper()}/RESOURCEGROUPS/APP-RG/PROVIDERS/MICROSOFT.NETWORK/"
                         "NETWORKSECURITYGROUPS/WEB-NSG",
           "operationName": "NetworkSecurityGroupFlowEvents",
           "properties": {"Version": 1, "flows": [{"rule": "UserRule_allow-https", "flows": [
               {"mac": "6045BDA1B2C4", "flowTuples": ["1741082400,10.2.0.4,10.2.0.5,40000,443,T,O,A",
                                                      "1741082401,10.2.0.4,10.2.0.5,40000,443,T,O,A"]}]}]}}
    path = write_blob(tmp_path, NSG_PATH, [rec])
    df = read_flows(path)
    # version 1 has no flow state: every tuple is its own record, with no counters
    assert len(df) == 2 and df["flow_state"].isna().all() and df["packets"].isna().all()
    assert df["protocol"].tolist() == [6, 6] and df["start"].tolist() == [1741082400, 1741082401]
    assert df["rule_name"].tolist() == ["UserRule_allow-https"] * 2
    assert set(df["azure_resource_id"]) == {rec["resourceId"]}


def test_parse_blob_path_layouts():
    p = parse_blob_path(NSG_PATH)
    assert p == {"kind": "nsg", "subscription": SUB, "resource_group": "APP-RG", "resource": "WEB-NSG",
                 "hour": "2025-03-04T10:00Z", "mac": "6045BDA1B2C4"}
    # the portal's VNet layout: {subscriptionID}_{RG}/NETWORKWATCHER_{Region}_{name}-{rg}-FLOWLOGS/
    p = parse_blob_path("insights-logs-flowlogflowevent/flowLogResourceID=/" + SUB.upper()
                        + "_NETWORKWATCHERRG/NETWORKWATCHER_EASTUS_MYVNET-APP-RG-FLOWLOGS/y=2026/m=07/d=07/"
                          "h=15/m=00/macAddress=00224871C205/PT1H.json")
    assert (p["kind"], p["subscription"], p["resource_group"], p["hour"], p["mac"]) == \
        ("vnet", SUB, "NETWORKWATCHERRG", "2026-07-07T15:00Z", "00224871C205")
    assert parse_blob_path("some/other/blob.json")["kind"] is None


# ---------------------------------------------------------------------------------------------
# bad input: counted with a reason and a line, never an exception

def test_bad_tuples_are_counted_with_reason_and_line(tmp_path):
    good = "1741082400000,10.1.0.4,10.1.1.5,50000,22,6,O,E,NX,1,2,3,4"
    bad = {
        "token_count": "1741082400000,10.1.0.4,10.1.1.5,50000,22,6,O,E,NX,1,2,3",
        "non_numeric": "1741082400000,10.1.0.4,10.1.1.5,5000x,22,6,O,E,NX,1,2,3,4",
        "out_of_range": "1741082400000,10.1.0.4,10.1.1.5,70000,22,6,O,E,NX,1,2,3,4",
        "bad_value": "1741082400000,10.1.0.4,10.1.1.5,50000,22,6,Z,E,NX,1,2,3,4",
        "missing_value": "1741082400000,,10.1.1.5,50000,22,6,O,E,NX,1,2,3,4",
    }
    huge = "1741082400000,10.1.0.4,10.1.1.5,50000,22,6,O,E,NX," + "9" * 5000 + ",2,3,4"
    tuples = [good, *bad.values(), huge, 12345, None]
    path = write_blob(tmp_path, VNET_PATH, [vnet_record({"r": tuples})], indent=1)
    summary = read_flows(path).attrs["read_summary"]
    assert summary["records"] == 2  # the good tuple and its reverse
    assert summary["per_file"][0]["azure_tuples"] == 9
    assert summary["invalid_by_reason"] == {"token_count": 1, "non_numeric": 2, "out_of_range": 1,
                                            "bad_value": 1, "missing_value": 1, "wrong_type": 2}
    text = path.read_text().splitlines()
    for reason, tup in bad.items():
        line = next(i for i, t in enumerate(text, 1) if f'"{tup}"' in t)
        assert any(e.startswith(f"{path}:{line}: {tup}") for e in summary["invalid_examples"][reason]), reason
    assert any(e.startswith(f"{path}:") and "12345" in e for e in summary["invalid_examples"]["wrong_type"])


def test_bad_structure_is_counted_not_raised(tmp_path):
    records = [
        "not an object",
        {"time": "x"},  # neither VNet nor NSG
        {"flowRecords": {"flows": {"aclID": "a"}}},  # flows is not a list
        {"flowRecords": {"flows": [{"flowGroups": [{"rule": "r", "flowTuples": "nope"}]}]}},
        {"properties": {"flows": [{"rule": "r", "flows": [{"mac": 5, "flowTuples": []}]}]}},
        vnet_record({"r": ["1741082400000,10.1.0.4,10.1.1.5,50000,22,6,O,D,NX,0,0,0,0"]}),
    ]
    path = write_blob(tmp_path, VNET_PATH, records)
    df = read_flows(path)
    assert df["action"].tolist() == ["REJECT"]
    summary = df.attrs["read_summary"]
    assert summary["invalid_by_reason"] == {"wrong_type": 3, "missing_key": 1}
    examples = [e for v in summary["invalid_examples"].values() for e in v]
    assert any("records[0]" in e for e in examples) and any("records[3].flowRecords.flows[0].flowGroups[0]" in e
                                                            for e in examples)


@pytest.mark.parametrize("content, reason", [
    (b'{"records": [{"time": "2025-03-04T10:01:00Z",\n "flowRecords": {"flows": [', "invalid_json"),
    (b'{"records": [{"time": "\xff\xfe"}]}', "invalid_json"),
    (b'{"records": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "invalid_json"),
    (b'{"records": [{"category": "FlowLogFlowEvent", "flowLogVersion": 4}]}', "missing_key"),
    (b'{"records": [7]}', "wrong_type"),
])
def test_malformed_blob_is_one_invalid_item(tmp_path, content, reason):
    path = tmp_path / "PT1H.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match="no valid flow-log record"):
        summarize_flows(path)
    # with a good blob beside it the read goes on and reports the bad one
    write_blob(tmp_path, "good/PT1H.json", [vnet_record({"r": ["1741082400000,10.1.0.4,10.1.1.5,1,2,6,O,D,NX,0,0,0,0"]})])
    summary = summarize_flows(tmp_path)
    assert summary.records == 1 and summary.invalid_by_reason == {reason: 1}
    assert summary.invalid_examples[reason][0].startswith(f"{path}:")
    if content.startswith(b'{"records": [{"time": "2025'):
        assert summary.invalid_examples[reason][0].startswith(f"{path}:2:")


def test_two_nics_logging_one_connection_make_one_graph_connection(tmp_path):
    from flowgraph.graph import build_graph
    from flowgraph.resolve import Inventory

    # the client VM's NIC logs it outbound, the server VM's NIC inbound: same initiator, same counters
    client = vnet_record({"allow": ["1741082400000,10.1.0.4,10.1.1.5,50000,5432,6,O,B,NX,0,0,0,0",
                                    "1741082460000,10.1.0.4,10.1.1.5,50000,5432,6,O,E,NX,10,1000,8,6000"]},
                         mac="6045BDA1B2C3")
    server = vnet_record({"allow": ["1741082400000,10.1.0.4,10.1.1.5,50000,5432,6,I,B,NX,0,0,0,0",
                                    "1741082460000,10.1.0.4,10.1.1.5,50000,5432,6,I,E,NX,10,1000,8,6000"]},
                         mac="6045BDA1B2C9")
    write_blob(tmp_path, VNET_PATH, [client])
    write_blob(tmp_path, VNET_PATH.replace("6045BDA1B2C3", "6045BDA1B2C9"), [server])
    inv = Inventory.from_frame(pd.DataFrame({"ip": ["10.1.0.4", "10.1.1.5"], "service": ["api", "db"]}))
    edges = build_graph(tmp_path, inv).edges
    assert len(edges) == 1
    e = edges.iloc[0]
    assert (e.client, e.server, e.server_port, e.connections, e.packets, e.bytes) == ("api", "db", 5432, 1, 18, 7000)


# ---------------------------------------------------------------------------------------------
# fuzzing: mutated tuples are parsed or counted, never raised

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SEEDS = ["1663146003606,10.0.0.6,52.239.184.180,23956,443,6,O,E,NX,3,767,2,1580",
          "1542110377,10.5.16.4,203.0.113.118,59831,443,T,O,A,B,,,,",
          "1741082400,10.2.0.4,10.2.0.5,40000,443,T,O,A"]
_ALPHABET = st.sampled_from(list("0123456789,.:-ABCDEIOTUXN \t\"\\\u00e9\x00") + ["99999999999999999999", ",,"])


@st.composite
def mutated_tuples(draw):
    out = []
    for _ in range(draw(st.integers(1, 40))):
        t = list(draw(st.sampled_from(_SEEDS)))
        for _ in range(draw(st.integers(0, 4))):
            op = draw(st.sampled_from(["replace", "insert", "delete"]))
            i = draw(st.integers(0, max(len(t) - 1, 0)))
            if op == "delete" and t:
                del t[i]
            elif op == "insert":
                t.insert(i, draw(_ALPHABET))
            elif t:
                t[i] = draw(_ALPHABET)
        out.append("".join(t))
    return out


@settings(max_examples=60, deadline=None)
@given(tuples=mutated_tuples(), schema=st.sampled_from(["vnet", "nsg"]))
def test_mutated_tuples_are_valid_or_counted(tuples, schema):
    t = parse_flow_tuples(tuples, schema)
    assert len(t.valid) + len(t.invalid) == len(tuples)
    assert sorted(t.valid["index"].tolist() + [i for i, _ in t.invalid]) == list(range(len(tuples)))
    # a valid tuple has values in range
    assert t.valid["srcport"].between(0, 65535).all() and t.valid["protocol"].between(0, 255).all()
    conns = collapse_connections(t.valid)
    assert conns["tuples"].sum() == len(t.valid)


@settings(max_examples=15, deadline=None)
@given(tuples=mutated_tuples(), junk=st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["flowRecords", "flows", "flowGroups", "flowTuples", "rule", "macAddress", "properties"]), inner,
        max_size=3), max_leaves=10))
def test_mutated_blobs_never_raise(tmp_path_factory, tuples, junk):
    root = tmp_path_factory.mktemp("fuzz")
    good = vnet_record({"r": ["1741082400000,10.1.0.4,10.1.1.5,1,2,6,O,D,NX,0,0,0,0"]})
    path = write_blob(root, VNET_PATH, [good, vnet_record({"r": tuples}), junk])
    summary = summarize_flows(path)
    assert summary.records >= 1
    assert summary.per_file[0]["azure_tuples"] >= 1 + len(tuples)


# ---------------------------------------------------------------------------------------------
# Azure Blob Storage through a real client (pyarrow's AzureFileSystem) against a local Azurite

import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

# Azurite's published development account (the emulator's documented default, not a secret)
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def azurite(tmp_path_factory):
    """An Azurite blob server on 127.0.0.1 (free port); yields its connection string."""
    exe = shutil.which("azurite-blob")
    if exe is None:
        pytest.skip("azurite-blob is not installed (npm install -g azurite@3.37.0)")
    port = _free_port()
    data = tmp_path_factory.mktemp("azurite")
    proc = subprocess.Popen([exe, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(data),
                             "--silent", "--skipApiVersionCheck", "--loose"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"azurite-blob exited with {proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("azurite-blob did not listen within 30 s")
                time.sleep(0.1)
        yield (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
               f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};")
    finally:
        proc.send_signal(signal.SIGINT)  # Azurite closes on SIGINT; SIGTERM waits for idle sockets
        try:
            proc.wait(1)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def blob_env(azurite, monkeypatch):
    for name in ("AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    from flowgraph.read.azureblob import azure_filesystem
    return azure_filesystem()


def _upload(fs, path: str, data: bytes) -> None:
    container = path.split("/", 1)[0]
    fs.create_dir(container)
    with fs.open_output_stream(path, compression=None) as out:
        out.write(data)


def test_azurite_round_trip(tmp_path, blob_env):
    fs = blob_env
    flow = "10.1.0.4,10.1.1.5,50000,5432,6,O"
    vnet = {"records": [vnet_record({"allow-db": [f"1741082400000,{flow},B,NX,0,0,0,0",
                                                  f"1741082460000,{flow},E,NX,10,1000,8,6000"]})]}
    nsg = {"records": [{"time": "2025-03-04T10:01:00Z", "category": "NetworkSecurityGroupFlowEvent",
                        "resourceId": "/SUBSCRIPTIONS/" + SUB.upper() + "/RESOURCEGROUPS/APP-RG/PROVIDERS/"
                                      "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WEB-NSG",
                        "properties": {"Version": 2, "flows": [{"rule": "DefaultRule_DenyAllInBound", "flows": [
                            {"mac": "6045BDA1B2C4",
                             "flowTuples": ["1741082400,198.51.100.9,10.2.0.4,40000,22,T,I,D,B,,,,"]}]}]}}]}
    _upload(fs, VNET_PATH, json.dumps(vnet, indent=2).encode())
    _upload(fs, NSG_PATH + ".gz", gzip.compress(json.dumps(nsg).encode()))
    _upload(fs, "insights-logs-flowlogflowevent/README.md", b"not a flow log")
    # the same blobs read locally, for comparison
    write_blob(tmp_path, VNET_PATH, vnet["records"])
    local = read_flows(tmp_path, provenance=True)

    remote = read_flows("az://insights-logs-flowlogflowevent/flowLogResourceID=/", provenance=True)
    assert remote["_file"].iloc[0] == "az://insights-logs-flowlogflowevent/" + VNET_PATH.split("/", 1)[1]
    pd.testing.assert_frame_equal(remote.drop(columns=["_file"]), local.drop(columns=["_file"]))
    assert (remote.packets.tolist(), remote.bytes.tolist()) == ([10, 8], [1000, 6000])

    summary = summarize_flows(["az://insights-logs-flowlogflowevent", "az://insights-logs-networksecuritygroupflowevent"])
    assert summary.records == 3 and summary.files_read == 2, (summary.per_file, summary.invalid_examples)
    assert summary.files_skipped == [{"file": "az://insights-logs-flowlogflowevent/README.md",
                                      "reason": "unsupported suffix '.md'"}]
    assert [e["format"] for e in summary.per_file] == ["azure-json", "azure-json/gzip"]
    assert summary.per_file[1]["bytes_read"] < summary.per_file[1]["bytes_decompressed"]
    # one blob named exactly, with the account in the URI
    df = read_flows(f"abfs://insights-logs-networksecuritygroupflowevent@{AZURITE_ACCOUNT}.dfs.core.windows.net/"
                    + NSG_PATH.split("/", 1)[1] + ".gz")
    assert (df.action.tolist(), df.rule_name.tolist(), df.account_id.tolist()) == \
        (["REJECT"], ["DefaultRule_DenyAllInBound"], [SUB])


def test_azurite_missing_container_is_one_sentence(blob_env):
    with pytest.raises(InputError, match="container 'no-such-container' not found"):
        read_flows("az://no-such-container/x/")


def test_azure_unreachable_endpoint_is_one_sentence(monkeypatch):
    port = _free_port()  # nothing listens there
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING",
                       f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                       f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};")
    start = time.monotonic()
    with pytest.raises(InputError, match="cannot list 'az://logs/'"):
        read_flows("az://logs/")
    assert time.monotonic() - start < 60


def test_azure_without_account_is_a_config_error(monkeypatch):
    from flowgraph.exceptions import ConfigError

    for name in ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="no Azure storage account"):
        read_flows("az://logs/")
    assert os.environ.get("AZURE_STORAGE_ACCOUNT") is None
