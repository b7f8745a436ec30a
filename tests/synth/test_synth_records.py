"""Ground truth holds in the generated records: logging model, edges, reuse, mu, determinism."""

from __future__ import annotations

import ipaddress
import re

import numpy as np
import pandas as pd
import pytest

from flowgraph.exceptions import ConfigError
from flowgraph.read.fields import CANONICAL_SCHEMA
from flowgraph.synth import EPHEMERAL_PORTS, LOG_FORMAT, generate_estate
from flowgraph.synth.flows import MAX_LAG

SMALL = dict(domains=4, services=36, shared_services=4, connections=4000, hours=3,
             long_share=0.2, scanners=5, reused_addresses=3, unknown_addresses=3,
             nodata_share=0.3, skipdata=4, seed=11)


@pytest.fixture(scope="module")
def estate():
    return generate_estate(**SMALL)


@pytest.fixture(scope="module")
def df(estate):
    return estate.records(with_ids=True).to_pandas()


def _service_at(estate, ips: pd.Series, start: pd.Series, end: pd.Series) -> pd.Series:
    """Inventory lookup honouring valid_from / valid_to, as a pipeline would do it."""
    inv = estate.inventory.copy()
    to_epoch = lambda s: pd.to_datetime(s, utc=True).map(lambda x: x.timestamp() if pd.notna(x) else np.nan)  # noqa: E731
    inv["lo"] = to_epoch(inv["valid_from"]).fillna(-np.inf)
    inv["hi"] = to_epoch(inv["valid_to"]).fillna(np.inf)
    q = pd.DataFrame({"ip": ips.to_numpy(), "start": start.to_numpy(), "end": end.to_numpy(),
                      "row": np.arange(len(ips))})
    m = q.merge(inv[["ip", "service", "lo", "hi"]], on="ip", how="left")
    ok = m["service"].isna() | ((m["lo"] <= m["start"]) & (m["end"] < m["hi"]))
    m = m[ok].drop_duplicates("row").set_index("row").reindex(np.arange(len(ips)))
    return m["service"]


RFC1918 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def _rfc1918(addr: str) -> bool:
    # not ipaddress.is_private: that also flags the TEST-NET ranges internet clients come from
    a = ipaddress.ip_address(addr)
    return any(a in n for n in RFC1918)


def _peer_name(svc: pd.Series, ip: pd.Series, aws: pd.Series) -> pd.Series:
    out = svc.astype(object).copy()
    for i in np.flatnonzero(svc.isna().to_numpy()):
        addr = ip.iloc[i]
        if pd.notna(aws.iloc[i]):
            out.iloc[i] = f"aws:{aws.iloc[i]}"
        elif _rfc1918(addr):
            out.iloc[i] = f"unknown:{ipaddress.ip_network(addr + '/24', strict=False)}"
        else:
            out.iloc[i] = "internet"
    return out


def test_schema_is_canonical(estate):
    t = estate.records()
    assert t.column_names == [c.replace("-", "_") for c in LOG_FORMAT]
    for f in t.schema:
        assert f.type == CANONICAL_SCHEMA.field(f.name).type, f.name


def test_four_records_per_connection_between_estate_enis(df, estate):
    ok = df[(df["log_status"] == "OK") & (df["action"] == "ACCEPT")]
    assert (ok["connection_id"] >= 0).all()
    g = ok.groupby(["connection_id", "segment"])
    n = g.size()
    n_eni = g["interface_id"].nunique()
    assert set(n.unique()) == {2, 4}
    assert ((n == 4) == (n_eni == 2)).all() and ((n == 2) == (n_eni == 1)).all()
    # every ENI logs both directions, one egress and one ingress
    per_eni = ok.groupby(["connection_id", "segment", "interface_id"])["flow_direction"].agg(
        lambda s: tuple(sorted(s)))
    assert set(per_eni) == {("egress", "ingress")}
    # client -> server records: client port ephemeral, server port below it
    cs = ok[ok["dstport"] < EPHEMERAL_PORTS[0]]
    sc = ok[ok["srcport"] < EPHEMERAL_PORTS[0]]
    assert len(cs) + len(sc) == len(ok)
    assert cs["srcport"].between(*EPHEMERAL_PORTS).all()
    assert sc["dstport"].between(*EPHEMERAL_PORTS).all()
    # the two ENIs of a connection agree on packets and bytes, lag at most MAX_LAG
    four = cs[cs.groupby(["connection_id", "segment"])["interface_id"].transform("nunique") == 2]
    agg = four.groupby(["connection_id", "segment"]).agg(
        p=("packets", "nunique"), b=("bytes", "nunique"), s0=("start", "min"), s1=("start", "max"),
        dirs=("flow_direction", lambda s: tuple(sorted(s))), src=("srcaddr", "nunique"))
    assert (agg["p"] == 1).all() and (agg["b"] == 1).all() and (agg["src"] == 1).all()
    assert ((agg["s1"] - agg["s0"]) <= MAX_LAG).all()
    assert set(agg["dirs"]) == {("egress", "ingress")}
    # egress of the client ENI: the ENI's own address is the source
    eni_ip = estate.enis.set_index("interface_id")["ip"]
    egress = ok[ok["flow_direction"] == "egress"]
    assert (egress["srcaddr"].to_numpy() == eni_ip.loc[egress["interface_id"]].to_numpy()).all()
    assert (ok["pkt_srcaddr"] == ok["srcaddr"]).all() and (ok["pkt_dstaddr"] == ok["dstaddr"]).all()


def test_tcp_flags_and_intervals(df):
    ok = df[(df["log_status"] == "OK") & (df["action"] == "ACCEPT")].copy()
    ok["nseg"] = ok.groupby("connection_id")["segment"].transform("max") + 1
    ok["cs"] = ok["dstport"] < EPHEMERAL_PORTS[0]
    udp = ok[ok["protocol"] == 17]
    assert len(udp) and (udp["tcp_flags"] == 0).all() and (udp["nseg"] == 1).all()
    tcp = ok[ok["protocol"] == 6]
    single = tcp[tcp["nseg"] == 1]
    assert (single.loc[single["cs"], "tcp_flags"] == 3).all()
    assert (single.loc[~single["cs"], "tcp_flags"] == 19).all()
    multi = tcp[tcp["nseg"] > 1]
    assert len(multi), "expected some long connections"
    first, last = multi["segment"] == 0, multi["segment"] == multi["nseg"] - 1
    assert (multi.loc[first & multi["cs"], "tcp_flags"] == 2).all()
    assert (multi.loc[first & ~multi["cs"], "tcp_flags"] == 18).all()
    assert (multi.loc[last, "tcp_flags"] == 1).all()
    assert (multi.loc[~first & ~last, "tcp_flags"] == 0).all()
    assert (multi["nseg"] > 2).any()
    assert ((df["end"] - df["start"]) <= 600).all() and (df["end"] >= df["start"]).all()


def test_records_inside_the_period(df, estate):
    assert df["start"].min() >= estate.start and df["end"].max() < estate.end


def test_every_planted_edge_is_recovered_with_its_connections(df, estate):
    ok = df[(df["log_status"] == "OK") & (df["action"] == "ACCEPT")]
    cs = ok[ok["dstport"] < EPHEMERAL_PORTS[0]].reset_index(drop=True)
    client = _peer_name(_service_at(estate, cs["srcaddr"], cs["start"], cs["end"]), cs["srcaddr"],
                        cs["pkt_src_aws_service"])
    server = _peer_name(_service_at(estate, cs["dstaddr"], cs["start"], cs["end"]), cs["dstaddr"],
                        cs["pkt_dst_aws_service"])
    edges = pd.DataFrame({"client": client, "server": server, "server_port": cs["dstport"].astype(int),
                          "protocol": cs["protocol"].astype(int), "conn": cs["connection_id"]})
    seen = edges.groupby(["client", "server", "server_port", "protocol"])["conn"].nunique()
    assert set(seen.index) == estate.expected_edges()
    planted = estate.truth.edges.set_index(["client", "server", "server_port", "protocol"])["connections"]
    assert (planted >= 1).all()
    assert seen.reindex(planted.index).astype(int).tolist() == planted.astype(int).tolist()
    kinds = set(estate.truth.edges["kind"])
    assert {"intra", "cross", "shared", "internet", "aws", "unknown"} <= kinds
    names = {n for e in estate.expected_edges() for n in e[:2]}
    assert "internet" in names and "aws:S3" in names
    assert any(re.fullmatch(r"unknown:10\.250\.\d+\.0/24", n) for n in names)


def test_address_reuse(df, estate):
    reuse = estate.truth.reuse
    assert len(reuse) == SMALL["reused_addresses"]
    enis = estate.enis
    for ip, before, after, t_switch in zip(reuse["ip"], reuse["before"], reuse["after"], reuse["switch_time"]):
        at = enis[enis["ip"] == ip]
        assert sorted(at["service"]) == sorted([before, after])
        eni_a = at.loc[at["service"] == before, "interface_id"].item()
        eni_b = at.loc[at["service"] == after, "interface_id"].item()
        own_a, own_b = df[df["interface_id"] == eni_a], df[df["interface_id"] == eni_b]
        assert len(own_a) and len(own_b)
        assert own_a["end"].max() < t_switch <= own_b["start"].min()
        mention = df[(df["srcaddr"] == ip) | (df["dstaddr"] == ip)]
        early = mention[mention["end"] < t_switch]
        late = mention[mention["start"] >= t_switch]
        assert len(early) + len(late) == len(mention)
        assert set(early["connection_id"]) <= set(own_a["connection_id"])
        assert set(late["connection_id"]) <= set(own_b["connection_id"])
        inv = estate.inventory[estate.inventory["ip"] == ip].set_index("service")
        assert pd.isna(inv.loc[before, "valid_from"]) and inv.loc[after, "valid_from"] == inv.loc[before, "valid_to"]
        assert pd.isna(inv.loc[after, "valid_to"])


def test_nodata_skipdata_and_rejects(df):
    status = df["log_status"].value_counts()
    assert status.get("NODATA", 0) > 0 and status.get("SKIPDATA", 0) > 0
    meta = df[df["log_status"] != "OK"]
    assert meta[["srcaddr", "dstaddr", "srcport", "packets", "action", "tcp_flags"]].isna().all().all()
    assert meta[["interface_id", "account_id", "vpc_id", "start", "end"]].notna().all().all()
    # a NODATA minute really is idle on that ENI
    nodata = df[df["log_status"] == "NODATA"]
    traffic = df[df["log_status"] == "OK"]
    for eni, s, e in zip(nodata["interface_id"], nodata["start"], nodata["end"]):
        t = traffic[traffic["interface_id"] == eni]
        assert not ((t["start"] <= e) & (t["end"] >= s)).any()
    rej = df[df["action"] == "REJECT"]
    assert len(rej) and (rej["flow_direction"] == "ingress").all() and (rej["connection_id"] == -1).all()
    assert not rej["srcaddr"].map(_rfc1918).any()


def test_ids_and_accounts(estate):
    accounts = estate.accounts["account"].tolist()
    assert all(re.fullmatch(r"\d{12}", a) for a in accounts) and accounts[0].startswith("0")
    enis = estate.enis
    assert enis["interface_id"].str.fullmatch(r"eni-[0-9a-f]{17}").all()
    assert enis["instance_id"].str.fullmatch(r"i-[0-9a-f]{17}").all()
    assert enis["ip"].map(lambda a: ipaddress.ip_address(a) in ipaddress.ip_network("10.0.0.0/8")).all()
    assert enis.groupby("service").size().between(1, 5).all()


def test_shared_services_reach_most_services(estate):
    e = estate.truth.edges
    sd = estate.truth.service_domain
    business = [s for s, d in sd.items() if d != "platform"]
    for s in estate.truth.shared_services:
        clients = set(e.loc[e["server"] == s, "client"]) & set(business)
        assert len(clients) >= 0.8 * len(business), s
    assert estate.truth.shared_services[0] == "dns"
    assert (e.loc[e["server"] == "dns", ["server_port", "protocol"]] == [53, 17]).all().all()


def test_uneven_domains_in_shared_subnets():
    est = generate_estate(connections=1, hours=1, scanners=0, seed=2)
    sizes = [n for d, n in est.truth.domain_sizes.items() if d != "platform"]
    assert max(sizes) >= 3 * min(sizes)
    # domains do not own subnets: every subnet hosts instances of several domains
    assert (est.enis.groupby("subnet_id")["domain"].nunique() >= 3).all()


@pytest.mark.parametrize("mu", [0.1, 0.35])
def test_realised_mu_matches_planted(mu):
    est = generate_estate(services=600, domains=15, mu=mu, connections=1, hours=1, scanners=0, seed=5)
    e = est.truth.edges
    sd = est.truth.service_domain
    biz = e[e["kind"].isin(["intra", "cross"])]
    cross = (biz["client"].map(sd) != biz["server"].map(sd)).to_numpy()
    assert (cross == (biz["kind"] == "cross").to_numpy()).all()
    assert abs(cross.mean() - mu) <= 0.05
    assert abs(est.truth.mu - cross.mean()) < 1e-12


def test_domain_mu_per_domain():
    est = generate_estate(services=500, domains=8, mu=0.2, connections=1, hours=1, scanners=0, seed=9,
                          domain_mu={"checkout": 0.05, 1: 0.6})
    assert est.params["domain_mu"] == {"checkout": 0.05, "catalog": 0.6}
    r = est.truth.realised_mu
    assert abs(r["checkout"] - 0.05) <= 0.03 and abs(r["catalog"] - 0.6) <= 0.05
    assert abs(r["payments"] - 0.2) <= 0.05


def test_determinism():
    a = generate_estate(**SMALL)
    b = generate_estate(**SMALL)
    c = generate_estate(**{**SMALL, "seed": 12})
    assert a.records().equals(b.records())
    assert a.inventory.equals(b.inventory) and a.truth.edges.equals(b.truth.edges)
    assert not a.records().equals(c.records())


@pytest.mark.parametrize("bad", [
    dict(mu=1.5), dict(domains=0), dict(services=10, domains=8), dict(accounts=0),
    dict(instances_per_service=(3, 1)), dict(domain_mu={"nowhere": 0.1}), dict(start="yesterday"),
])
def test_bad_parameters(bad):
    with pytest.raises(ConfigError):
        generate_estate(**bad)


def test_a_larger_estate_logs_every_connection():
    # Speed is measured in benchmarks/graph.py ("prepared in"), never asserted here.
    est = generate_estate(services=400, domains=20, connections=60_000, seed=4)
    summary = est.summary()
    assert summary["connections"] == 60_000 and summary["services"] == 400
    assert est.records().num_rows > 250_000
    assert summary["accept_records"] + summary["reject_records"] + summary["nodata_records"] \
        + summary["skipdata_records"] == summary["records"]
