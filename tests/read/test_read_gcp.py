"""GCP VPC Flow Logs: conformance corpus and hand-written Cloud Logging entries.

The corpus tests (``../shared/conformance/gcp``) skip with a reason in a
clone without ``../shared`` (and fail under ``CI=true``); the hand-written
entries below (written from the GCP record-format documentation) cover the
same cases without it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from flowgraph.exceptions import InputError
from flowgraph.read import read_flows, scan_flows, summarize_flows
from flowgraph.read.gcp import GCP_EXTRA_COLUMNS

# ---------------------------------------------------------------------------------------------
# conformance corpus

GCP_EXPECTED = [
    {"srcaddr": "198.51.100.75", "dstaddr": "192.0.2.2", "srcport": 49444, "dstport": 3389, "protocol": 6,
     "packets": 4, "bytes": 491, "start": 1522763257, "end": 1522763258, "action": "ACCEPT",
     "reporter": "DEST", "flow_direction": "ingress", "interface_id": "gcp:192.0.2.2",
     "account_id": "yoyodyne-102010", "instance_id": "vm-instance-01", "vpc_id": "yoyo-vpc-1",
     "subnet_id": "yoyo-vpc-1", "region": "us-west1", "src_instance": None, "dst_instance": "vm-instance-01",
     "src_workload": None, "dst_workload": "vm-instance-01", "dst_zone": "us-west1-a", "_line": 1},
    {"srcaddr": "192.0.2.2", "dstaddr": "198.51.100.75", "srcport": 3389, "dstport": 49444, "protocol": 6,
     "packets": 6, "bytes": 756, "start": 1522763252, "end": 1522763253, "action": "ACCEPT",
     "reporter": "SRC", "flow_direction": "egress", "interface_id": "gcp:192.0.2.2",
     "account_id": "yoyodyne-102010", "instance_id": "vm-instance-01", "vpc_id": "yoyo-vpc-1",
     "subnet_id": "yoyo-vpc-1", "region": "us-west1", "src_instance": "vm-instance-01", "dst_instance": None,
     "src_workload": "vm-instance-01", "dst_workload": None, "dst_zone": None, "_line": 2},
    {"srcaddr": "192.0.2.2", "dstaddr": "192.0.2.3", "srcport": 3389, "dstport": 65535, "protocol": 6,
     "packets": 20, "bytes": 1020, "start": 1522763251, "end": 1522763313, "action": "ACCEPT",
     "reporter": "SRC", "flow_direction": "egress", "interface_id": "gcp:192.0.2.2",
     "account_id": "yoyodyne-102010", "instance_id": "vm-instance-01", "vpc_id": "yoyo-vpc-1",
     "subnet_id": "yoyo-vpc-1", "region": "us-west1", "src_instance": "vm-instance-01",
     "dst_instance": "vm-instance-02", "src_workload": "vm-instance-01", "dst_workload": "vm-instance-02",
     "dst_zone": "us-west1-a", "_line": 3},
    # ICMP: no ports; no start_time (end_time is taken as start)
    {"srcaddr": "192.0.2.2", "dstaddr": "192.0.2.3", "srcport": None, "dstport": None, "protocol": 1,
     "packets": 20, "bytes": 1020, "start": 1522763313, "end": 1522763313, "action": "ACCEPT",
     "reporter": "SRC", "flow_direction": "egress", "interface_id": "gcp:192.0.2.2",
     "account_id": "yoyodyne-102010", "instance_id": "vm-instance-01", "vpc_id": "yoyo-vpc-1",
     "subnet_id": "yoyo-vpc-1", "region": "us-west1", "src_instance": "vm-instance-01",
     "dst_instance": "vm-instance-02", "src_workload": "vm-instance-01", "dst_workload": "vm-instance-02",
     "dst_zone": "us-west1-a", "_line": 4},
]


def _value(v):
    return None if v is pd.NA or (isinstance(v, float) and pd.isna(v)) else v


def _records(df: pd.DataFrame, keys) -> list[dict]:
    return [{k: _value(row[k]) for k in keys} for _, row in df.iterrows()]


def test_manifest_lists_every_gcp_file(conformance_dir):
    corpus = conformance_dir / "gcp"
    manifest = json.loads((corpus / "manifest.json").read_text())
    assert {p.name for p in corpus.iterdir() if p.name != "manifest.json"} == {e["file"] for e in manifest}
    assert [e["file"] for e in manifest] == ["gcp_flowlogs_reader_jsonpayloads.jsonl"]


def test_conformance_jsonpayloads(conformance_dir):
    corpus = conformance_dir / "gcp"
    entry = json.loads((corpus / "manifest.json").read_text())[0]
    path = corpus / entry["file"]
    df = read_flows(path, provenance=True)
    summary = df.attrs["read_summary"]
    assert summary["records"] == entry["records"] == len(GCP_EXPECTED)
    assert summary["invalid"] == 0 and summary["blank_lines"] == 0
    assert summary["per_file"][0]["format"] == "gcp-json" and summary["per_file"][0]["layout"] == "gcp-vpc-flow"
    assert _records(df, GCP_EXPECTED[0].keys()) == GCP_EXPECTED
    for column in ("srcport", "dstport", "protocol", "packets", "bytes", "start", "end"):
        assert df[column].dtype == pd.Int64Dtype(), column
    assert summary["first_start"] == 1522763251 and summary["last_end"] == 1522763313
    # the DEST report of record 1 and the SRC report of record 2 are the two directions of one RDP session
    assert (df.srcaddr[0], df.dstport[0]) == (df.dstaddr[1], df.srcport[1])


def test_conformance_file_gzipped_with_log_entry_envelopes(conformance_dir, tmp_path):
    # the same payloads as a Cloud Storage sink writes them: LogEntry objects, gzip
    payloads = (conformance_dir / "gcp" / "gcp_flowlogs_reader_jsonpayloads.jsonl").read_text().splitlines()
    lines = [json.dumps(log_entry(json.loads(p))) for p in payloads]
    path = tmp_path / "compute.googleapis.com" / "vpc_flows" / "2018" / "04" / "03" / "13:00:00_13:59:59_S0.json.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    df = read_flows(tmp_path, provenance=True)
    assert _records(df, GCP_EXPECTED[0].keys()) == GCP_EXPECTED
    assert df.attrs["read_summary"]["per_file"][0]["format"] == "gcp-json/gzip"


# ---------------------------------------------------------------------------------------------
# hand-written entries

def log_entry(payload: dict, project: str = "shop-prod") -> dict:
    return {
        "insertId": "1a2b3c", "jsonPayload": payload,
        "logName": f"projects/{project}/logs/compute.googleapis.com%2Fvpc_flows",
        "receiveTimestamp": "2025-03-04T10:00:09.123456789Z",
        "resource": {"type": "gce_subnetwork", "labels": {"project_id": project, "location": "europe-west1-b",
                                                          "subnetwork_id": "123", "subnetwork_name": "apps"}},
        "timestamp": "2025-03-04T10:00:08.000000001Z",
    }


def gke(cluster: str, ns: str, pod: str, workload: str | None, service: str | None = None) -> dict:
    details = {"cluster": {"cluster_location": "europe-west1", "cluster_name": cluster},
               "pod": {"pod_name": pod, "pod_namespace": ns}}
    if workload is not None:
        details["pod"]["pod_workload"] = {"workload_name": workload, "workload_type": "DEPLOYMENT"}
    if service is not None:
        details["service"] = [{"service_name": service, "service_namespace": ns}]
    return details


def flow(src: str, dst: str, sport, dport, *, reporter: str, bytes_sent="1000", packets_sent="10",
         start="2025-03-04T10:00:00.100Z", end="2025-03-04T10:00:04.900Z", proto=6, **extra) -> dict:
    payload = {"connection": {"src_ip": src, "src_port": sport, "dest_ip": dst, "dest_port": dport,
                              "protocol": proto},
               "reporter": reporter, "bytes_sent": bytes_sent, "packets_sent": packets_sent,
               "start_time": start, "end_time": end, "rtt_msec": "3"}
    payload.update(extra)
    return payload


def write_lines(path: Path, items: list, *, raw: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(items if raw else [json.dumps(i) for i in items]) + "\n"
    path.write_text(text)
    return path


def test_gke_workloads_and_instance_groups_are_capture_identity(tmp_path):
    entries = [
        log_entry(flow("10.8.0.12", "10.8.1.20", 41000, 8080, reporter="SRC",
                       src_gke_details=gke("prod", "shop", "checkout-7d9f-abcde", "checkout"),
                       dest_gke_details=gke("prod", "shop", "cart-5c4b-xyz12", "cart", service="cart"),
                       src_instance={"project_id": "shop-prod", "region": "europe-west1", "vm_name": "gke-node-1",
                                     "zone": "europe-west1-b"},
                       src_vpc={"project_id": "shop-prod", "vpc_name": "shop-vpc", "subnetwork_name": "gke"})),
        log_entry(flow("10.0.0.5", "10.0.1.7", 51000, 5432, reporter="DEST",
                       dest_instance={"project_id": "data-prod", "region": "europe-west1", "vm_name": "pg-1",
                                      "zone": "europe-west1-c",
                                      "managed_instance_group": {"name": "postgres", "zone": "europe-west1-c"}},
                       dest_vpc={"project_id": "data-prod", "vpc_name": "data-vpc", "subnetwork_name": "db"}),
                  project="logging-host"),
    ]
    df = read_flows(write_lines(tmp_path / "vpc_flows.jsonl", entries))
    assert list(df.columns[-len(GCP_EXTRA_COLUMNS):]) == list(GCP_EXTRA_COLUMNS)
    a, b = df.iloc[0], df.iloc[1]
    assert (a.src_workload, a.dst_workload, a.dst_gke_service, a.src_gke_pod) == \
        ("shop/checkout", "shop/cart", "cart", "checkout-7d9f-abcde")
    assert (a.src_gke_cluster, a.src_gke_namespace, a.src_instance, a.instance_id, a.vpc_id, a.subnet_id) == \
        ("prod", "shop", "gke-node-1", "gke-node-1", "shop-vpc", "gke")
    # the DEST side reported: its VM, its managed instance group as identity, its project as account
    assert (b.dst_workload, b.dst_mig, b.instance_id, b.account_id, b.flow_direction, b.interface_id) == \
        ("postgres", "postgres", "pg-1", "data-prod", "ingress", "gcp:10.0.1.7")
    assert pd.isna(b.src_workload)
    assert (a.start, a.end, a.bytes, a.packets) == (1741082400, 1741082404, 1000, 10)


def test_both_reporters_of_one_flow_count_once_in_the_graph(tmp_path):
    from flowgraph.graph import build_graph
    from flowgraph.resolve import Inventory

    # both VMs log both directions of one TCP session: four entries, one connection
    entries = [
        flow("10.0.0.5", "10.0.1.7", 51000, 5432, reporter="SRC", bytes_sent="1200", packets_sent="12"),
        flow("10.0.0.5", "10.0.1.7", 51000, 5432, reporter="DEST", bytes_sent="1150", packets_sent="11",
             start="2025-03-04T10:00:00.300Z", end="2025-03-04T10:00:05.100Z"),
        flow("10.0.1.7", "10.0.0.5", 5432, 51000, reporter="SRC", bytes_sent="64000", packets_sent="50"),
        flow("10.0.1.7", "10.0.0.5", 5432, 51000, reporter="DEST", bytes_sent="64000", packets_sent="50"),
    ]
    path = write_lines(tmp_path / "flows.jsonl", [log_entry(e) for e in entries])
    df = read_flows(path)
    assert df["interface_id"].tolist() == ["gcp:10.0.0.5", "gcp:10.0.1.7", "gcp:10.0.1.7", "gcp:10.0.0.5"]
    inv = Inventory.from_frame(pd.DataFrame({"ip": ["10.0.0.5", "10.0.1.7"], "service": ["api", "db"]}))
    edges = build_graph(path, inv).edges
    assert len(edges) == 1
    e = edges.iloc[0]
    # each direction's counters come from one reporter (the larger): 1200 + 64000 bytes, 12 + 50 packets
    assert (e.client, e.server, e.server_port, e.connections, e.bytes, e.packets) == \
        ("api", "db", 5432, 1, 65200, 62)


def test_gcloud_json_array_and_bigquery_times(tmp_path):
    entries = [
        log_entry(flow("10.0.0.5", "10.0.1.7", 51000.0, 5432.0, reporter="SRC", proto=6.0)),
        # BigQuery exports write TIMESTAMP values this way and keep int64 as strings
        log_entry(flow("10.0.0.6", "10.0.1.7", "51001", "5432", reporter="SRC",
                       start="2025-03-04 10:00:00.1 UTC", end="2025-03-04 10:00:03 UTC")),
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(entries, indent=2))
    df = read_flows(path, provenance=True)
    assert df["srcport"].tolist() == [51000, 51001] and df["protocol"].tolist() == [6, 6]
    assert df["start"].tolist() == [1741082400, 1741082400] and df["end"].tolist() == [1741082404, 1741082403]
    lines = path.read_text().splitlines()
    for line in df["_line"].tolist():
        assert '"connection"' in lines[line - 1]


def test_disposition_and_bare_payloads_in_one_stream(tmp_path):
    entries = [flow("203.0.113.9", "10.0.1.7", 40000, 22, reporter="DEST", disposition="DROPPED"),
               flow("10.0.1.7", "203.0.113.9", 22, 40000, reporter="SRC", disposition="ALLOWED")]
    batches = list(scan_flows(write_lines(tmp_path / "a.jsonl", entries), columns=["action", "flow_direction"]))
    assert [b.to_pylist() for b in batches][0][0]["action"] == "REJECT"
    assert batches[0].column("action").to_pylist() == ["REJECT", "ACCEPT"]


def test_blank_lines_and_bom_keep_line_numbers(tmp_path):
    good = json.dumps(flow("10.0.0.5", "10.0.1.7", 51000, 5432, reporter="SRC"))
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n\n".join([good.encode(), good.encode()]) + b"\n\n")
    df = read_flows(path, provenance=True)
    summary = df.attrs["read_summary"]
    assert df["_line"].tolist() == [1, 3]
    assert summary["blank_lines"] == 2 and summary["per_file"][0]["lines"] == 4


# ---------------------------------------------------------------------------------------------
# bad input: counted with a reason and a line, never an exception

def test_bad_entries_are_counted_with_reason_and_line(tmp_path):
    good = flow("10.0.0.5", "10.0.1.7", 51000, 5432, reporter="SRC")
    bad = [
        ("invalid_json", '{"connection": {"src_ip": "10.0.0.5",'),
        ("invalid_json", '{"bytes_sent": ' + "9" * 5000 + "}"),
        ("missing_key", json.dumps({"reporter": "SRC", "bytes_sent": "1"})),
        ("missing_key", json.dumps({**good, "connection": {"src_ip": "10.0.0.5", "protocol": 6}})),
        ("missing_key", json.dumps({k: v for k, v in good.items() if k not in ("start_time", "end_time")})),
        ("wrong_type", json.dumps({**good, "connection": "10.0.0.5:51000"})),
        ("wrong_type", json.dumps([1, 2])),
        ("wrong_type", json.dumps({**good, "connection": {**good["connection"], "src_port": "http"}})),
        ("wrong_type", json.dumps({**good, "connection": {**good["connection"], "protocol": True}})),
        ("wrong_type", json.dumps({**good, "connection": {**good["connection"], "dest_port": 22.5}})),
        ("wrong_type", json.dumps({**good, "bytes_sent": str(2**64)})),
        ("wrong_type", json.dumps({**good, "packets_sent": "-3"})),
        ("wrong_type", json.dumps({**good, "connection": {**good["connection"], "src_ip": 167772165}})),
        ("out_of_range", json.dumps({**good, "connection": {**good["connection"], "dest_port": 70000}})),
        ("out_of_range", json.dumps({**good, "connection": {**good["connection"], "protocol": "300"}})),
        ("bad_time", json.dumps({**good, "start_time": "yesterday"})),
        ("bad_time", json.dumps({**good, "start_time": "2025-03-04T10:00:09Z"})),  # after end_time
        ("bad_value", json.dumps({**good, "reporter": "BOTH"})),
    ]
    lines = [json.dumps(good), *(text for _, text in bad), json.dumps(good)]
    path = write_lines(tmp_path / "bad.jsonl", lines, raw=True)
    with open(path, "ab") as f:
        f.write(b'{"connection": {"src_ip": "10.0.0.5\xff"}}\n')  # not UTF-8
    df = read_flows(path, provenance=True)
    summary = df.attrs["read_summary"]
    assert df["_line"].tolist() == [1, len(lines)]
    expected: dict[str, int] = {}
    for reason, _ in bad:
        expected[reason] = expected.get(reason, 0) + 1
    expected["invalid_json"] += 1
    assert summary["invalid_by_reason"] == expected
    assert summary["records"] + summary["invalid"] == len(lines) + 1
    for reason, examples in summary["invalid_examples"].items():
        for example in examples:
            file, line, _ = example.split(":", 2)
            assert file == str(path)
            assert bad[int(line) - 2][0] == reason if int(line) <= len(bad) + 1 else reason == "invalid_json"


def test_overlong_line_is_counted_not_read_whole(tmp_path):
    good = json.dumps(flow("10.0.0.5", "10.0.1.7", 51000, 5432, reporter="SRC"))
    path = tmp_path / "long.jsonl"
    path.write_text(good + "\n" + '{"connection": {"src_ip": "' + "1" * (2 << 20) + '"}}\n' + good + "\n")
    summary = summarize_flows(path)
    assert summary.records == 2 and summary.invalid_by_reason == {"line_too_long": 1}
    assert summary.invalid_examples["line_too_long"][0].startswith(f"{path}:2:")


@pytest.mark.parametrize("content, reason", [
    ('[{"jsonPayload": {"connection": {"src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}}', "invalid_json"),
    ('[{"jsonPayload": {"connection": {"src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}}}]', "missing_key"),
])
def test_malformed_json_array(tmp_path, content, reason):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(InputError, match="no valid flow-log record"):
        read_flows(path)
    good = write_lines(tmp_path / "good.jsonl", [flow("10.0.0.5", "10.0.1.7", 1, 2, reporter="SRC")])
    summary = summarize_flows([path, good])
    assert summary.records == 1 and summary.invalid_by_reason == {reason: 1}


def test_columnar_fast_path_and_general_path_agree(tmp_path, monkeypatch):
    import flowgraph.read.gcp as gcp

    taken = []
    real = gcp._fast_chunk
    monkeypatch.setattr(gcp, "_fast_chunk", lambda *a: taken.append(real(*a)) or taken[-1])
    # consistent field types take the pyarrow.json path; a leading blank line sends the same
    # entries through json.loads; both must give the same records
    entries = [
        log_entry(flow("10.8.0.12", "10.8.1.20", 41000, 8080, reporter="SRC",
                       src_gke_details=gke("prod", "shop", "checkout-1", "checkout"),
                       dest_gke_details=gke("prod", "shop", "cart-1", "cart", service="cart"))),
        log_entry(flow("10.8.1.20", "10.8.0.12", 8080, 41000, reporter="DEST", disposition="DROPPED",
                       src_gke_details=gke("prod", "shop", "cart-1", None),
                       dest_gke_details=gke("prod", "shop", "checkout-1", "checkout"))),
        log_entry(flow("10.8.0.12", "8.8.8.8", None, None, reporter="SRC", proto=1, start=None)),
        log_entry(flow("10.8.0.12", "10.8.1.21", 41001, 70000, reporter="SRC")),  # invalid: port
    ]
    fast = write_lines(tmp_path / "fast.jsonl", entries)
    slow = tmp_path / "slow.jsonl"
    slow.write_text("\n" + fast.read_text())
    a = read_flows(fast, provenance=True)
    assert taken and taken[-1] is not None  # the columnar path read it
    b = read_flows(slow, provenance=True)
    assert taken[-1] is None  # the general path read it
    assert a["_line"].tolist() == [1, 2, 3] and b["_line"].tolist() == [2, 3, 4]
    pd.testing.assert_frame_equal(a.drop(columns=["_file", "_line"]), b.drop(columns=["_file", "_line"]))
    assert [_value(v) for v in a["src_workload"]] == ["shop/checkout", None, None]
    assert [_value(v) for v in a["dst_gke_service"]] == ["cart", None, None]
    assert a["action"].tolist() == ["ACCEPT", "REJECT", "ACCEPT"]
    assert (a["srcport"].isna().tolist(), a["start"].iloc[2]) == ([False, False, True], 1741082404)
    for df in (a, b):
        assert df.attrs["read_summary"]["invalid_by_reason"] == {"out_of_range": 1}


# ---------------------------------------------------------------------------------------------
# fuzzing: any JSON in any field is a record or a counted invalid entry, never an exception

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=6) | st.sampled_from(["6", "443", "3389.0", "2025-03-04T10:00:00Z", "SRC", "DEST", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8)
_PATHS = [("connection",), ("connection", "src_ip"), ("connection", "dest_port"), ("connection", "protocol"),
          ("bytes_sent",), ("packets_sent",), ("start_time",), ("end_time",), ("reporter",),
          ("src_instance",), ("dest_gke_details",), ("dest_gke_details", "pod"), ("src_vpc", "vpc_name")]


@st.composite
def mutated_entries(draw):
    out = []
    for _ in range(draw(st.integers(1, 12))):
        entry = json.loads(json.dumps(flow("10.0.0.5", "10.0.1.7", 51000, 5432, reporter="SRC",
                                           dest_gke_details=gke("c", "ns", "p", "w"))))
        for _ in range(draw(st.integers(0, 3))):
            path = draw(st.sampled_from(_PATHS))
            node = entry
            for key in path[:-1]:
                node = node.setdefault(key, {}) if isinstance(node, dict) else {}
            if isinstance(node, dict):
                node[path[-1]] = draw(_JSON)
        out.append(draw(st.sampled_from([entry, log_entry(entry)])))
    return out


@settings(max_examples=40, deadline=None)
@given(entries=mutated_entries(), as_array=st.booleans())
def test_mutated_entries_are_records_or_counted(tmp_path_factory, entries, as_array):
    root = tmp_path_factory.mktemp("fuzz")
    good = flow("10.9.0.1", "10.9.0.2", 1, 2, reporter="SRC")
    items = [good, *entries]
    if as_array:
        path = root / "a.json"
        path.write_text(json.dumps(items, indent=1))
    else:
        path = write_lines(root / "a.jsonl", items)
    df = read_flows(path)
    summary = df.attrs["read_summary"]
    assert summary["records"] + summary["invalid"] == len(items)
    assert df["srcport"].dropna().between(0, 65535).all() and df["protocol"].between(0, 255).all()
    assert (df["start"] <= df["end"]).all()


# ---------------------------------------------------------------------------------------------
# the same traffic written by three clouds gives the same service graph

CONNECTIONS = [  # client, server, client port, server port, start, end, packets/bytes each way
    ("10.0.0.10", "10.0.1.20", 51000, 5432, 1741082400, 1741082430, 12, 1500, 10, 64000),
    ("10.0.2.30", "10.0.0.10", 40100, 443, 1741082410, 1741082412, 6, 700, 5, 3200),
    ("10.0.2.30", "10.0.0.10", 40200, 443, 1741082700, 1741082705, 8, 900, 7, 4100),
]


def _aws(root: Path) -> Path:
    lines = ["version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
             "action log-status"]
    for c, s, cp, sp, t0, t1, p1, b1, p2, b2 in CONNECTIONS:
        for eni in (f"eni-{c.replace('.', '')}", f"eni-{s.replace('.', '')}"):  # logged at both ENIs
            lines.append(f"2 123456789012 {eni} {c} {s} {cp} {sp} 6 {p1} {b1} {t0} {t1} ACCEPT OK")
            lines.append(f"2 123456789012 {eni} {s} {c} {sp} {cp} 6 {p2} {b2} {t0} {t1} ACCEPT OK")
    return write_lines(root / "aws" / "flows.log", lines, raw=True)


def _azure(root: Path) -> Path:
    by_nic: dict[str, list[str]] = {}
    for c, s, cp, sp, t0, t1, p1, b1, p2, b2 in CONNECTIONS:
        for ip, d in ((c, "O"), (s, "I")):  # both NICs log it; the tuple's source is the initiator
            by_nic.setdefault(ip, []).extend([f"{t0}000,{c},{s},{cp},{sp},6,{d},B,NX,0,0,0,0",
                                              f"{t1}000,{c},{s},{cp},{sp},6,{d},E,NX,{p1},{b1},{p2},{b2}"])
    root = root / "azure"
    for ip, tuples in by_nic.items():
        rec = {"time": "2025-03-04T10:01:00Z", "flowLogVersion": 4, "category": "FlowLogFlowEvent",
               "macAddress": "MAC" + ip.replace(".", ""),
               "flowRecords": {"flows": [{"aclID": "a", "flowGroups": [{"rule": "allow", "flowTuples": tuples}]}]}}
        path = root / f"macAddress={ip}" / "PT1H.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"records": [rec]}))
    return root


def _gcp(root: Path) -> Path:
    def t(epoch: int) -> str:
        return pd.Timestamp(epoch, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    entries = []
    for c, s, cp, sp, t0, t1, p1, b1, p2, b2 in CONNECTIONS:
        for reporter in ("SRC", "DEST"):  # both ends report each direction
            entries.append(log_entry(flow(c, s, cp, sp, reporter=reporter, bytes_sent=str(b1),
                                          packets_sent=str(p1), start=t(t0), end=t(t1))))
            entries.append(log_entry(flow(s, c, sp, cp, reporter=reporter, bytes_sent=str(b2),
                                          packets_sent=str(p2), start=t(t0), end=t(t1))))
    return write_lines(root / "gcp" / "vpc_flows.jsonl", entries)


def test_three_clouds_same_edges(tmp_path):
    from flowgraph.graph import build_graph
    from flowgraph.resolve import Inventory

    inv = Inventory.from_frame(pd.DataFrame({"ip": ["10.0.0.10", "10.0.1.20", "10.0.2.30"],
                                             "service": ["api", "db", "web"]}))
    keys = ["client", "server", "server_port", "protocol", "connections", "packets", "bytes",
            "first_seen", "last_seen"]
    tables = {}
    for name, writer in (("aws", _aws), ("azure", _azure), ("gcp", _gcp)):
        edges = build_graph(writer(tmp_path), inv).edges
        tables[name] = edges[keys].sort_values(["client", "server"]).reset_index(drop=True)
    assert tables["aws"].to_dict("records") == [
        {"client": "api", "server": "db", "server_port": 5432, "protocol": 6, "connections": 1,
         "packets": 22, "bytes": 65500, "first_seen": 1741082400, "last_seen": 1741082430},
        {"client": "web", "server": "api", "server_port": 443, "protocol": 6, "connections": 2,
         "packets": 26, "bytes": 8900, "first_seen": 1741082410, "last_seen": 1741082705},
    ]
    pd.testing.assert_frame_equal(tables["azure"], tables["aws"], check_dtype=False)
    pd.testing.assert_frame_equal(tables["gcp"], tables["aws"], check_dtype=False)


def test_first_entry_longer_than_the_sniffed_bytes(tmp_path):
    # 100 KB of metadata before the end of the first line: still recognised as GCP
    big = flow("10.0.0.5", "10.0.1.7", 51000, 5432, reporter="SRC", labels={"k": "v" * 100_000})
    path = write_lines(tmp_path / "a.jsonl", [big, flow("10.0.0.6", "10.0.1.7", 1, 2, reporter="SRC")])
    df = read_flows(path)
    assert df["srcaddr"].tolist() == ["10.0.0.5", "10.0.0.6"]
