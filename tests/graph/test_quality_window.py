"""Contract 1: ``ServiceGraph.quality`` keys time_span_seconds, window, unmapped_share, identity_source."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import numpy as np
import pyarrow.compute as pc

from flowgraph.graph import build_graph
from flowgraph.read import scan_flows

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"

# RFC 1918, shared address space, link-local (docs/graph.md: private -> unknown); IPv6 ULA and link-local
PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                                              "169.254.0.0/16", "127.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128")]

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags\n"


def _write(tmp_path: Path, lines: list[str], inventory: str) -> tuple[Path, Path]:
    log = tmp_path / "flows.log"
    log.write_text(HEADER + "".join(line + "\n" for line in lines))
    inv = tmp_path / "inventory.csv"
    inv.write_text(inventory)
    return log, inv


T = 1_700_000_000  # times are offsets from 2023-11-14 (the reader refuses times before 2000)
LINES = [
    # web -> db, accepted, T+1000..T+1060
    f"5 1 eni-a 10.0.0.1 10.0.0.2 40000 5432 6 5 500 {T + 1000} {T + 1060} ACCEPT OK 3",
    f"5 1 eni-a 10.0.0.2 10.0.0.1 5432 40000 6 4 800 {T + 1000} {T + 1060} ACCEPT OK 19",
    # web -> 10.0.0.9 (not in the inventory: unknown), accepted, 2000..2100
    f"5 1 eni-a 10.0.0.1 10.0.0.9 40001 443 6 5 500 {T + 2000} {T + 2100} ACCEPT OK 3",
    # internet -> web, accepted (internet does not count as unmapped)
    f"5 1 eni-a 198.51.100.7 10.0.0.1 51000 443 6 5 500 {T + 3000} {T + 3050} ACCEPT OK 2",
    # unknown -> db, rejected (only accepted records count)
    f"5 1 eni-a 10.0.0.8 10.0.0.2 51000 22 6 1 40 {T + 4000} {T + 4010} REJECT OK 2",
    # web -> db late record, outside a window ending at 5000
    f"5 1 eni-a 10.0.0.1 10.0.0.2 40002 5432 6 5 500 {T + 6000} {T + 6060} ACCEPT OK 3",
]
INVENTORY = "ip,service,domain\n10.0.0.1,web,shop\n10.0.0.2,db,shop\n"


def test_hand_built_without_window(tmp_path):
    log, inv = _write(tmp_path, LINES, INVENTORY)
    q = build_graph(log, inv).quality
    assert q["time_span_seconds"] == 6060 - 1000
    assert q["window"] == {"since": None, "until": None, "first": T + 1000, "last": T + 6060,
                           "records_in_window": 6, "records_outside_window": 0}
    # 5 accepted records, one (web -> 10.0.0.9) has an unknown end
    assert q["unmapped_share"] == 0.2
    assert q["identity_source"] == "inventory"


def test_hand_built_window_clips_span_and_counts_outside(tmp_path):
    log, inv = _write(tmp_path, LINES, INVENTORY)
    q = build_graph(log, inv, since=T + 1030, until=T + 5000).quality
    # kept: starts 2000, 3000, 4000; the record starting at 1000 and the one at 6000 are outside
    assert q["window"] == {"since": T + 1030, "until": T + 5000, "first": T + 2000, "last": T + 4010,
                           "records_in_window": 3, "records_outside_window": 3}
    assert q["time_span_seconds"] == 2010
    assert q["unmapped_share"] == 0.5  # accepted in window: web->unknown, internet->web
    q = build_graph(log, inv, since=T + 1000, until=T + 2050).quality
    assert q["window"]["first"] == T + 1000 and q["window"]["last"] == T + 2050  # end of 2100 clipped to until
    assert q["time_span_seconds"] == 1050


def test_no_inventory_is_identity_none_and_all_private_unmapped(tmp_path):
    log, _ = _write(tmp_path, LINES, INVENTORY)
    q = build_graph(log).quality
    assert q["identity_source"] == "none"
    assert q["unmapped_share"] == 1.0  # every accepted record has a private, unnamed end


def _sample_starts() -> np.ndarray:
    starts = []
    for b in scan_flows(SAMPLE / "logs", columns=["start", "log_status", "srcaddr", "dstaddr"]):
        ok = pc.and_(pc.fill_null(pc.equal(b.column("log_status"), "OK"), False),
                     pc.and_(pc.is_valid(b.column("srcaddr")), pc.is_valid(b.column("dstaddr"))))
        starts.append(b.column("start").filter(ok).to_numpy(zero_copy_only=False))
    return np.concatenate(starts).astype(np.int64)


def test_sample_two_hour_window():
    starts = _sample_starts()
    since = int(np.median(starts))
    until = since + 7200
    g = build_graph(SAMPLE / "logs", SAMPLE / "inventory.csv", since=since, until=until)
    q = g.quality
    inside = int(((starts >= since) & (starts < until)).sum())
    assert q["time_span_seconds"] <= 7200
    assert q["time_span_seconds"] > 7000  # a busy estate fills the window
    assert q["window"]["records_in_window"] == inside
    assert q["window"]["records_outside_window"] == len(starts) - inside
    assert since <= q["window"]["first"] and q["window"]["last"] <= until
    assert q["identity_source"] == "inventory"


def test_sample_partial_inventory_gives_true_unmapped_share(tmp_path):
    import pandas as pd

    inv = pd.read_csv(SAMPLE / "inventory.csv")
    dropped = sorted(inv["service"].unique())[:20]
    part = inv[~inv["service"].isin(dropped)]
    part.to_csv(tmp_path / "partial.csv", index=False)
    full = build_graph(SAMPLE / "logs", SAMPLE / "inventory.csv")
    g = build_graph(SAMPLE / "logs", tmp_path / "partial.csv")
    # The true share, independently: accepted records with a private end no inventory row names
    assert "ip" in inv and inv["ip"].notna().all()

    def share(named: set[str]) -> float:
        n_acc = n_unknown = 0
        private: dict[str, bool] = {}
        cols = ["srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr", "action", "log_status"]
        for b in scan_flows(SAMPLE / "logs", columns=cols):
            ok = pc.fill_null(pc.equal(b.column("log_status"), "OK"), False)
            acc = pc.and_(ok, pc.fill_null(pc.equal(b.column("action"), "ACCEPT"), False))
            src = pc.coalesce(b.column("pkt_srcaddr"), b.column("srcaddr")).filter(acc).to_pylist()
            dst = pc.coalesce(b.column("pkt_dstaddr"), b.column("dstaddr")).filter(acc).to_pylist()
            n_acc += len(src)
            for s_, d_ in zip(src, dst):
                for a_ in (s_, d_):
                    if a_ not in private:
                        private[a_] = any(ipaddress.ip_address(a_) in n for n in PRIVATE)
                n_unknown += (s_ not in named and private[s_]) or (d_ not in named and private[d_])
        return round(n_unknown / n_acc, 6)

    assert full.quality["unmapped_share"] == share(set(inv["ip"].astype(str)))
    assert g.quality["unmapped_share"] == share(set(part["ip"].astype(str)))
    assert g.quality["unmapped_share"] > full.quality["unmapped_share"] + 0.01
