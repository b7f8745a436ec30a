"""Flows -> service graph on small hand-built estates where the right graph is known."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from flowgraph.graph.build import graph_from_batches
from flowgraph.resolve import Inventory

T0 = 1_709_251_200  # 2024-03-01T00:00:00Z

COLS = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes",
        "start", "end", "action", "log_status", "tcp_flags", "pkt_srcaddr", "pkt_dstaddr",
        "flow_direction", "pkt_src_aws_service", "pkt_dst_aws_service"]
INTS = {"srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "tcp_flags"}


def rec(eni, src, dst, sport, dport, *, proto=6, packets=1, nbytes=100, start=T0, end=None,
        action="ACCEPT", status="OK", flags=None, pkt_src=None, pkt_dst=None, direction=None,
        src_svc=None, dst_svc=None):
    return dict(interface_id=eni, srcaddr=src, dstaddr=dst, srcport=sport, dstport=dport, protocol=proto,
                packets=packets, bytes=nbytes, start=start, end=start + 30 if end is None else end,
                action=action, log_status=status, tcp_flags=flags, pkt_srcaddr=pkt_src, pkt_dstaddr=pkt_dst,
                flow_direction=direction, pkt_src_aws_service=src_svc, pkt_dst_aws_service=dst_svc)


def connection(client, server, cport, sport, *, start=T0, flags=True, c_eni="eni-c", s_eni="eni-s",
               req=(5, 500), resp=(4, 4000), proto=6, lag=2):
    """The four records VPC flow logs write for one connection between two logged ENIs."""
    f_req, f_resp = (3, 19) if flags else (None, None)
    return [
        rec(c_eni, client, server, cport, sport, proto=proto, packets=req[0], nbytes=req[1], start=start, flags=f_req, direction="egress"),
        rec(c_eni, server, client, sport, cport, proto=proto, packets=resp[0], nbytes=resp[1], start=start, flags=f_resp, direction="ingress"),
        rec(s_eni, client, server, cport, sport, proto=proto, packets=req[0], nbytes=req[1], start=start + lag, flags=f_req, direction="ingress"),
        rec(s_eni, server, client, sport, cport, proto=proto, packets=resp[0], nbytes=resp[1], start=start + lag, flags=f_resp, direction="egress"),
    ]


def batch(records):
    data = {c: [r[c] for r in records] for c in COLS}
    return pa.record_batch({c: pa.array(v, type=pa.int64() if c in INTS else pa.string()) for c, v in data.items()})


INV = Inventory.from_frame(pd.DataFrame({
    "ip": ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.5.0/24"],
    "service": ["web", "api", "db", "cache", "batch"],
    "domain": ["shop", "shop", "data", "data", "data"],
}))


def build(records, inventory=INV, **kw):
    return graph_from_batches([batch(records)], inventory, **kw)


def edge_set(g):
    return {(r.client, r.server, int(r.server_port), int(r.protocol)) for r in g.edges.itertuples()}


def test_four_records_of_one_connection_count_once():
    g = build(connection("10.0.0.1", "10.0.0.2", 41000, 8080))
    e = g.edges.iloc[0]
    assert edge_set(g) == {("web", "api", 8080, 6)}
    assert (e.connections, e.packets, e.bytes) == (1, 9, 4500)
    assert e.by_flags == 1
    assert g.quality["direction_methods"]["tcp_flags"]["connections"] == 1
    assert g.quality["unresolved_direction_share"] == 0.0


def test_records_logged_at_one_eni_only_are_not_halved():
    g = build(connection("10.0.0.1", "10.0.0.2", 41000, 8080)[:2])
    assert g.edges.iloc[0][["connections", "bytes"]].tolist() == [1, 4500]


def test_many_connections_and_direction_from_flags_even_with_misleading_ports():
    # client port 3000 (not ephemeral), server port 45000 (looks ephemeral): flags must win.
    recs = connection("10.0.0.3", "10.0.0.4", 3000, 45000)
    recs += connection("10.0.0.1", "10.0.0.2", 41001, 8080, start=T0 + 10)
    recs += connection("10.0.0.1", "10.0.0.2", 41002, 8080, start=T0 + 20)
    g = build(recs)
    assert edge_set(g) == {("db", "cache", 45000, 6), ("web", "api", 8080, 6)}
    assert g.edges.set_index("client").loc["web", "connections"] == 2


def test_port_heuristic_without_flags_udp_dns():
    recs = connection("10.0.0.1", "10.0.0.3", 53001, 53, flags=False, proto=17)
    g = build(recs)
    assert edge_set(g) == {("web", "db", 53, 17)}
    assert g.quality["direction_methods"]["port"]["connections"] == 1


def test_listening_port_learned_from_handshakes():
    # 10.0.0.2:9000 is shown to be a server by a handshake; a flagless connection from port 8443 to it
    # (both non-ephemeral, both >= 1024) is oriented by that knowledge.
    recs = connection("10.0.0.1", "10.0.0.2", 41000, 9000)
    recs += connection("10.0.0.3", "10.0.0.2", 8443, 9000, flags=False, start=T0 + 100)
    g = build(recs)
    assert ("db", "api", 9000, 6) in edge_set(g)
    assert g.quality["direction_methods"]["listening_port"]["connections"] == 1


def test_unresolved_direction_is_reported():
    # ICMP: ports 0/0, no flags: the side that sent first is the client, counted as unresolved.
    recs = [rec("eni-c", "10.0.0.1", "10.0.0.2", 0, 0, proto=1, start=T0),
            rec("eni-c", "10.0.0.2", "10.0.0.1", 0, 0, proto=1, start=T0 + 1)]
    g = build(recs)
    assert edge_set(g) == {("web", "api", 0, 1)}
    assert g.quality["unresolved_direction_share"] == 1.0


def test_session_gap_splits_reuse_of_the_same_five_tuple():
    recs = connection("10.0.0.1", "10.0.0.2", 41000, 8080) + connection("10.0.0.1", "10.0.0.2", 41000, 8080, start=T0 + 7200)
    g = build(recs)
    e = g.edges.iloc[0]
    assert (e.connections, e.hours_seen, e.days_seen) == (2, 2, 1)
    # a long connection logged over consecutive intervals stays one connection
    long = [rec("eni-c", "10.0.0.1", "10.0.0.2", 41000, 8080, start=T0 + i * 60, end=T0 + i * 60 + 59, flags=2 if i == 0 else 0) for i in range(5)]
    assert build(long).edges.iloc[0].connections == 1


def test_nat_translated_records_resolve_to_the_real_endpoints():
    # Traffic from web (10.0.0.1) through a NAT gateway ENI (10.0.9.9) to api: the NAT ENI logs its own
    # address as srcaddr but the original client in pkt-srcaddr.
    recs = [rec("eni-nat", "10.0.9.9", "10.0.0.2", 41000, 8080, flags=3, pkt_src="10.0.0.1", pkt_dst="10.0.0.2"),
            rec("eni-nat", "10.0.0.2", "10.0.9.9", 8080, 41000, flags=19, pkt_src="10.0.0.2", pkt_dst="10.0.0.1")]
    g = build(recs)
    assert edge_set(g) == {("web", "api", 8080, 6)}
    assert "unknown:10.0.9.0/24" not in g.services


def test_address_reused_by_two_services_on_one_day():
    inv = Inventory.from_frame(pd.DataFrame({
        "ip": ["10.0.0.1", "10.0.0.7", "10.0.0.7"],
        "service": ["web", "old-api", "new-api"],
        "valid_from": [None, None, "2024-03-01T12:00:00Z"],
        "valid_to": [None, "2024-03-01T12:00:00Z", None]}))
    recs = connection("10.0.0.1", "10.0.0.7", 41000, 8080, start=T0 + 3600)
    recs += connection("10.0.0.1", "10.0.0.7", 41001, 8080, start=T0 + 13 * 3600)
    g = build(recs, inv)
    assert edge_set(g) == {("web", "old-api", 8080, 6), ("web", "new-api", 8080, 6)}


def test_unmapped_public_and_private_addresses_are_classified_not_dropped():
    recs = [rec("eni-s", "198.51.100.7", "10.0.0.1", 51000, 443, flags=2, direction="ingress"),
            rec("eni-s", "10.0.0.1", "198.51.100.7", 443, 51000, flags=18, direction="egress"),
            rec("eni-c", "10.0.0.1", "10.9.8.7", 41000, 5432, flags=3),
            rec("eni-c", "10.9.8.7", "10.0.0.1", 5432, 41000, flags=19)]
    g = build(recs)
    assert edge_set(g) == {("internet", "web", 443, 6), ("web", "unknown:10.9.8.0/24", 5432, 6)}
    assert g.nodes.loc["internet", "kind"] == "internet"
    assert g.nodes.loc["unknown:10.9.8.0/24", "kind"] == "unknown"
    tbc = g.quality["traffic_by_class"]
    assert tbc["internet"]["records"] == 2 and tbc["unknown"]["records"] == 2 and tbc["service"]["records"] == 0
    assert g.quality["unmapped_examples"][0]["address"] == "10.9.8.7"
    per16 = build(recs, internet="/16")
    assert "internet:198.51.0.0/16" in per16.services


def test_aws_services_from_record_fields_and_ip_ranges():
    recs = [rec("eni-c", "10.0.0.1", "52.216.1.2", 41000, 443, flags=3, dst_svc="S3"),
            rec("eni-c", "52.216.1.2", "10.0.0.1", 443, 41000, flags=19, src_svc="S3"),
            rec("eni-c", "10.0.0.1", "3.5.1.1", 41001, 443, flags=3),
            rec("eni-c", "3.5.1.1", "10.0.0.1", 443, 41001, flags=19)]
    ranges = {"prefixes": [{"ip_prefix": "3.5.0.0/16", "service": "AMAZON"}, {"ip_prefix": "3.5.0.0/19", "service": "DYNAMODB"}]}
    g = build(recs, ip_ranges=ranges)
    assert edge_set(g) == {("web", "aws:S3", 443, 6), ("web", "aws:DYNAMODB", 443, 6)}
    assert set(g.nodes.loc[["aws:S3", "aws:DYNAMODB"], "kind"]) == {"aws-service"}


def test_reject_traffic_is_its_own_table():
    recs = connection("10.0.0.1", "10.0.0.2", 41000, 8080)
    recs += [rec("eni-s", "203.0.113.50", "10.0.0.2", 55555, p, action="REJECT", flags=2) for p in (22, 23, 3389)]
    g = build(recs)
    assert edge_set(g) == {("web", "api", 8080, 6)}
    rej = g.rejected
    assert sorted(rej["port"].tolist()) == [22, 23, 3389]
    assert set(rej["source"]) == {"internet"} and g.quality["rejected_records"] == 3


def test_nodata_and_skipdata_records_are_not_traffic():
    recs = connection("10.0.0.1", "10.0.0.2", 41000, 8080)
    recs.append(rec("eni-x", None, None, None, None, proto=None, packets=None, nbytes=None, action=None, status="NODATA"))
    g = build(recs)
    assert g.quality["records_resolved"] == 4 and len(g.edges) == 1


def test_cidr_entries_and_since_until_window():
    recs = connection("10.0.5.9", "10.0.0.3", 41000, 5432) + connection("10.0.5.9", "10.0.0.3", 41001, 5432, start=T0 + 86400 * 2)
    g = build(recs, since="2024-03-01", until="2024-03-02")
    assert edge_set(g) == {("batch", "db", 5432, 6)}
    assert g.edges.iloc[0].connections == 1
    assert g.quality["records_outside_window"] == 4


def test_eni_fallback_from_describe_network_interfaces():
    data = {"NetworkInterfaces": [
        {"NetworkInterfaceId": "eni-s", "PrivateIpAddress": "10.0.0.2", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.2"}],
         "OwnerId": "012345678901", "TagSet": [{"Key": "service", "Value": "api"}, {"Key": "team", "Value": "shop"}]},
        {"NetworkInterfaceId": "eni-c", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.1"}],
         "TagSet": [{"Key": "service", "Value": "web"}]}]}
    inv = Inventory.from_describe_network_interfaces(data)
    # a pod address on eni-c's secondary range that the inventory does not list, seen leaving eni-c
    recs = [rec("eni-c", "10.0.0.77", "10.0.0.2", 41000, 8080, flags=3, direction="egress"),
            rec("eni-c", "10.0.0.2", "10.0.0.77", 8080, 41000, flags=19, direction="ingress")]
    g = build(recs, inv)
    assert ("web", "api", 8080, 6) in edge_set(g)
    assert g.nodes.loc["api", "domain"] == "shop" and g.nodes.loc["api", "account"] == "012345678901"


def test_node_table_counts_addresses_and_carries_domains():
    recs = connection("10.0.5.1", "10.0.0.3", 41000, 5432) + connection("10.0.5.2", "10.0.0.3", 41000, 5432, start=T0 + 5)
    g = build(recs)
    assert g.nodes.loc["batch", "addresses"] == 2 and g.nodes.loc["db", "addresses"] == 1
    assert g.nodes.loc["batch", "domain"] == "data"


def test_graph_exports_round_trip(tmp_path):
    recs = connection("10.0.0.1", "10.0.0.2", 41000, 8080) + connection("10.0.0.2", "10.0.0.3", 41000, 5432)
    g = build(recs)
    g.to_graphml(tmp_path / "g.graphml")
    g.to_json(tmp_path / "g.json")
    for back in (type(g).read_graphml(tmp_path / "g.graphml"), type(g).read_json(tmp_path / "g.json")):
        assert edge_set(back) == edge_set(g)
        assert back.edges.set_index(["client", "server"])["bytes"].to_dict() == g.edges.set_index(["client", "server"])["bytes"].to_dict()
        assert back.nodes.loc["web", "domain"] == "shop"
    assert json.loads((tmp_path / "g.json").read_text())["directed"] is True


@pytest.mark.parametrize("weight,expected", [("binary", 1.0), ("connections", 2.0), ("bytes", 9000.0)])
def test_undirected_weights(weight, expected):
    recs = connection("10.0.0.1", "10.0.0.2", 41000, 8080) + connection("10.0.0.2", "10.0.0.1", 41000, 9090)
    g = build(recs).undirected(weight)
    assert g["web"]["api"]["weight"] == pytest.approx(expected)


def test_edges_carry_the_windows_they_were_seen_in():
    """Day windows over an eight-day estate: each edge's mask has one bit per day it was seen."""
    import numpy as np

    from flowgraph import synth
    from flowgraph.graph import TimeWindows

    est = synth.generate_estate(domains=3, services=18, shared_services=1, connections=3000, hours=8 * 24,
                                seed=5)
    g = graph_from_batches(est.records().to_batches(max_chunksize=4000), Inventory.from_frame(est.inventory))
    w = TimeWindows.of(g.quality)
    assert w is not None and w.seconds == 86_400 and w.origin % 86_400 == 0 and w.count in (8, 9)
    masks = g.edges["windows"].astype("int64").to_numpy()
    bits = np.array([bin(int(m)).count("1") for m in masks])
    assert (bits == g.edges["days_seen"].to_numpy()).all()
    first_day = (g.edges["first_seen"].to_numpy() - w.origin) // w.seconds
    lowest = np.array([(int(m) & -int(m)).bit_length() - 1 for m in masks])
    assert (lowest == first_day).all()
    assert masks.max() < 1 << w.count
