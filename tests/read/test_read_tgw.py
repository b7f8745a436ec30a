"""Transit Gateway logs have no ``action`` field: absent is not null.

One traffic set written as VPC flow logs (v2, every record ACCEPT) and as
Transit Gateway flow logs (v6, no action) must give the same edge table.
"""

import flowgraph as fg

PAIRS = [("10.0.1.10", "10.0.2.20", 443), ("10.0.1.10", "10.0.3.30", 5432),
         ("10.0.2.20", "10.0.3.30", 6379), ("10.0.4.40", "10.0.1.10", 8080)]
INVENTORY = "ip,service\n10.0.1.10,web\n10.0.2.20,api\n10.0.3.30,db\n10.0.4.40,batch\n"
TGW_FIELDS = ("version resource-type account-id tgw-id tgw-attachment-id srcaddr dstaddr "
              "srcport dstport protocol packets bytes start end log-status")


def _write(tmp_path):
    vpc = ["version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
           "start end action log-status"]
    tgw = [TGW_FIELDS]
    for i, (src, dst, port) in enumerate(PAIRS):
        for k in range(3):
            sport, start = 40000 + 10 * i + k, 1700000000 + 60 * k
            vpc.append(f"2 123456789012 eni-1 {src} {dst} {sport} {port} 6 10 {1000 + i} {start} {start + 59} ACCEPT OK")
            vpc.append(f"2 123456789012 eni-1 {dst} {src} {port} {sport} 6 8 {500 + i} {start} {start + 59} ACCEPT OK")
            tgw.append(f"6 TransitGateway 123456789012 tgw-1 tgw-attach-1 {src} {dst} {sport} {port} 6 10 {1000 + i} {start} {start + 59} OK")
            tgw.append(f"6 TransitGateway 123456789012 tgw-1 tgw-attach-1 {dst} {src} {port} {sport} 6 8 {500 + i} {start} {start + 59} OK")
    (tmp_path / "vpc").mkdir()
    (tmp_path / "tgw").mkdir()
    (tmp_path / "vpc" / "a.log").write_text("\n".join(vpc) + "\n")
    (tmp_path / "tgw" / "a.log").write_text("\n".join(tgw) + "\n")
    (tmp_path / "inv.csv").write_text(INVENTORY)


def test_tgw_and_vpc_give_the_same_edge_table(tmp_path):
    _write(tmp_path)
    vpc = fg.build_graph(tmp_path / "vpc", tmp_path / "inv.csv")
    tgw = fg.build_graph(tmp_path / "tgw", tmp_path / "inv.csv")
    cols = ["client", "server"]
    e_vpc = vpc.edges.sort_values(cols).reset_index(drop=True)
    e_tgw = tgw.edges.sort_values(cols).reset_index(drop=True)
    assert len(e_tgw) == len(PAIRS) == 4
    assert sorted(map(tuple, e_tgw[cols].values.tolist())) == sorted(
        [("web", "api"), ("web", "db"), ("api", "db"), ("batch", "web")])
    assert e_vpc.equals(e_tgw)


def test_absent_action_is_reported_in_batch_metadata(tmp_path):
    _write(tmp_path)
    batches = list(fg.scan_flows(tmp_path / "tgw", columns=["srcaddr", "action"]))
    absent = batches[0].schema.metadata[b"flowgraph.absent"].decode().split(",")
    assert "action" in absent and "srcaddr" not in absent
    assert batches[0].column("action").null_count == batches[0].num_rows == 24


def test_absent_action_stays_absent_when_some_records_are_dropped(tmp_path):
    """A NODATA record or a time window filters the batch; the surviving TGW records stay accepted."""
    _write(tmp_path)
    log = tmp_path / "tgw" / "a.log"
    log.write_text(log.read_text() + "6 TransitGateway 123456789012 tgw-1 tgw-attach-1 - - - - - - - "
                   "1700000000 1700000059 NODATA\n")
    g = fg.build_graph(tmp_path / "tgw", tmp_path / "inv.csv")
    assert len(g.edges) == 4 and len(g.rejected) == 0
    windowed = fg.build_graph(tmp_path / "tgw", tmp_path / "inv.csv", since=1700000060)
    assert len(windowed.edges) == 4 and len(windowed.rejected) == 0
    assert int(windowed.edges["connections"].sum()) == 8  # k = 1, 2 of each pair (k = 0 is before since)
