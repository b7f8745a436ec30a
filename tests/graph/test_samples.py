"""Sample records per edge: the first record of each edge's earliest connections, with file and line (#16)."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowgraph.graph import SAMPLE_COLUMNS, ServiceGraph
from flowgraph.graph.build import build_graph

T0 = 1_700_000_000
V5 = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
      "action log-status tcp-flags pkt-srcaddr pkt-dstaddr flow-direction")
INVENTORY = "ip,service,domain\n10.0.0.1,web,shop\n10.0.0.2,db,data\n10.0.0.3,cache,data\n10.0.0.4,api,shop\n"


def v5(eni, src, dst, sport, dport, packets, nbytes, start, flags, pkt_src="-", pkt_dst="-", direction="-"):
    return (f"5 123456789012 {eni} {src} {dst} {sport} {dport} 6 {packets} {nbytes} {start} {start + 60} "
            f"ACCEPT OK {flags} {pkt_src} {pkt_dst} {direction}")


def v2(eni, src, dst, sport, dport, packets, nbytes, start):
    return f"2 123456789012 {eni} {src} {dst} {sport} {dport} 6 {packets} {nbytes} {start} {start + 60} ACCEPT OK"


@pytest.fixture
def estate(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    a = [V5,
         # line 2: the server ENI's reply, one second after the request
         v5("eni-server", "10.0.0.2", "10.0.0.1", 5432, 40000, 4, 800, T0 + 1, 18),
         # line 3: the request at the client ENI: the earliest record of web -> db:5432
         v5("eni-client", "10.0.0.1", "10.0.0.2", 40000, 5432, 5, 500, T0, 2),
         # line 4: the reply at the client ENI, same second: loses the tie to line 3 (reading order)
         v5("eni-client", "10.0.0.2", "10.0.0.1", 5432, 40000, 4, 800, T0, 18),
         # lines 5, 6: the third and fourth connections of web -> db:5432 (only three samples are kept)
         v5("eni-client", "10.0.0.1", "10.0.0.2", 40010, 5432, 2, 222, T0 + 1200, 2),
         v5("eni-client", "10.0.0.1", "10.0.0.2", 40011, 5432, 2, 333, T0 + 1800, 2),
         # line 7: web -> cache:6379 seen at the cache's ENI; b.log.gz line 2 logs it in the same second
         v5("eni-cache", "10.0.0.1", "10.0.0.3", 41000, 6379, 1, 70, T0 + 100, 2),
         # line 8: through a NAT: srcaddr is the NAT's, pkt-srcaddr the client's
         v5("eni-nat", "10.0.0.99", "10.0.0.4", 40002, 8080, 1, 60, T0 + 200, 2, "10.0.0.1", "10.0.0.4", "ingress")]
    (logs / "a-v5.log").write_text("\n".join(a) + "\n")
    b = [  # version-2 default format, no header line
        v2("eni-client2", "10.0.0.1", "10.0.0.2", 40001, 5432, 3, 300, T0 + 600),
        v2("eni-client2", "10.0.0.1", "10.0.0.3", 41000, 6379, 1, 70, T0 + 100)]
    with gzip.open(logs / "b.log.gz", "wt") as f:
        f.write("\n".join(b) + "\n")
    inv = tmp_path / "inventory.csv"
    inv.write_text(INVENTORY)
    return logs, inv


def _samples(g: ServiceGraph, client: str, server: str, port: int) -> list[dict]:
    s = g.samples
    rows = s[(s["client"] == client) & (s["server"] == server) & (s["server_port"] == port)]
    cols = ["sample", "start", "src_addr", "src_port", "dst_addr", "dst_port", "packets", "bytes", "interface",
            "file", "line"]
    return rows[cols].astype(object).to_dict("records")


def test_each_edge_keeps_its_earliest_records_with_file_and_line(estate):
    logs, inv = estate
    g = build_graph(logs, inv)
    a, b = str(logs / "a-v5.log"), str(logs / "b.log.gz")
    assert list(g.samples.columns) == list(SAMPLE_COLUMNS)
    assert _samples(g, "web", "db", 5432) == [
        {"sample": 1, "start": T0, "src_addr": "10.0.0.1", "src_port": 40000, "dst_addr": "10.0.0.2",
         "dst_port": 5432, "packets": 5, "bytes": 500, "interface": "eni-client", "file": a, "line": 3},
        {"sample": 2, "start": T0 + 600, "src_addr": "10.0.0.1", "src_port": 40001, "dst_addr": "10.0.0.2",
         "dst_port": 5432, "packets": 3, "bytes": 300, "interface": "eni-client2", "file": b, "line": 1},
        {"sample": 3, "start": T0 + 1200, "src_addr": "10.0.0.1", "src_port": 40010, "dst_addr": "10.0.0.2",
         "dst_port": 5432, "packets": 2, "bytes": 222, "interface": "eni-client", "file": a, "line": 5},
    ]
    # the same second in two files: the file read first wins
    assert _samples(g, "web", "cache", 6379) == [
        {"sample": 1, "start": T0 + 100, "src_addr": "10.0.0.1", "src_port": 41000, "dst_addr": "10.0.0.3",
         "dst_port": 6379, "packets": 1, "bytes": 70, "interface": "eni-cache", "file": a, "line": 7}]
    # the effective (packet-level) address, as the graph used it
    assert _samples(g, "web", "api", 8080) == [
        {"sample": 1, "start": T0 + 200, "src_addr": "10.0.0.1", "src_port": 40002, "dst_addr": "10.0.0.4",
         "dst_port": 8080, "packets": 1, "bytes": 60, "interface": "eni-nat", "file": a, "line": 8}]
    # the edge table itself is unchanged by the samples
    e = g.edges.set_index(["client", "server", "server_port"])
    assert int(e.loc[("web", "db", 5432), "connections"]) == 4
    assert "file" not in g.edges.columns and "line" not in g.edges.columns
    assert len(g.samples) == 5


def test_samples_follow_drop_and_stay_out_of_the_exports(estate, tmp_path):
    logs, inv = estate
    g = build_graph(logs, inv)
    assert set(g.drop(["db"]).samples["server"]) == {"cache", "api"}
    data = g.to_json()
    assert all("file" not in e and "interface" not in e for e in data["edges"])
    back = ServiceGraph.read_json(data)
    assert back.samples.empty and list(back.samples.columns) == list(SAMPLE_COLUMNS)


def test_records_sharing_a_line_are_told_apart(tmp_path):
    # a CloudWatch subscription envelope: many records on one JSON line
    events = [{"message": v5("eni-1", "10.0.0.1", "10.0.0.2", 40000, 5432, 9, 900, T0, 2)},
              {"message": v5("eni-1", "10.0.0.2", "10.0.0.1", 5432, 40000, 8, 800, T0, 18)},
              {"message": v5("eni-1", "10.0.0.1", "10.0.0.3", 40001, 6379, 7, 700, T0 + 5, 2)}]
    env = {"messageType": "DATA_MESSAGE", "logGroup": "flows", "logEvents": events}
    p = tmp_path / "cwl.json"
    p.write_text(json.dumps({"message": V5}) + "\n" + json.dumps(env) + "\n")
    inv = tmp_path / "inventory.csv"
    inv.write_text(INVENTORY)
    g = build_graph(p, inv)
    db, cache = _samples(g, "web", "db", 5432), _samples(g, "web", "cache", 6379)
    assert [(r["file"], r["line"], r["bytes"], r["src_port"]) for r in db] == [(str(p), 2, 900, 40000)]
    assert [(r["file"], r["line"], r["bytes"]) for r in cache] == [(str(p), 2, 700)]


def test_parquet_samples_carry_the_row_number(tmp_path):
    rows = pd.DataFrame({
        "version": [5, 5, 5], "account_id": ["1"] * 3, "interface_id": ["eni-p", "eni-p", "eni-q"],
        "srcaddr": ["10.0.0.3", "10.0.0.1", "10.0.0.1"], "dstaddr": ["10.0.0.4", "10.0.0.2", "10.0.0.2"],
        "srcport": [1, 40000, 40000], "dstport": [2, 5432, 5432], "protocol": [6, 6, 6],
        "packets": [1, 5, 5], "bytes": [10, 500, 500], "start": [T0, T0 + 30, T0 + 31], "end": [T0 + 5, T0 + 60, T0 + 61],
        "action": ["ACCEPT"] * 3, "log_status": ["OK"] * 3})
    p = tmp_path / "flows.parquet"
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), p)
    inv = tmp_path / "inventory.csv"
    inv.write_text(INVENTORY)
    g = build_graph(p, inv)
    assert [(r["file"], r["line"], r["interface"], r["start"]) for r in _samples(g, "web", "db", 5432)] == [
        (str(p), 2, "eni-p", T0 + 30)]
