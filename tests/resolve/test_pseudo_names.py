"""Inventory services spelled like pseudo-nodes (internet, unknown, aws:...) keep their own node (issue 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from flowgraph.graph.build import build_graph
from flowgraph.resolve import Inventory

REPO = Path(__file__).resolve().parents[2]
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
T0 = 1_764_000_000


def _rec(src, dst, sport, dport, t):
    return f"2 123456789012 eni-1 {src} {dst} {sport} {dport} 6 10 1000 {t} {t + 59} ACCEPT OK"


def _estate(tmp: Path) -> tuple[Path, Path]:
    lines = [HEADER]
    for i in range(30):
        t = T0 + 60 * i
        lines.append(_rec("10.0.0.1", "10.0.0.9", 40000 + i, 8443, t))      # web -> the service named "internet"
        lines.append(_rec("10.0.0.1", "203.0.113.9", 41000 + i, 443, t))    # web -> the real internet
        lines.append(_rec("10.0.0.2", "10.0.0.8", 42000 + i, 5432, t))      # api -> the service named "aws:S3"
        lines.append(_rec("10.0.0.2", "10.0.0.7", 43000 + i, 6379, t))      # api -> the service named "Unknown"
        lines.append(_rec("10.0.0.2", "10.0.0.1", 44000 + i, 80, t))        # api -> web
    (tmp / "flows.log").write_text("\n".join(lines) + "\n")
    (tmp / "inventory.csv").write_text(
        "ip,service,domain\n10.0.0.1,web,shop\n10.0.0.2,api,shop\n10.0.0.9,internet,edge\n"
        "10.0.0.8,aws:S3,edge\n10.0.0.7,Unknown,edge\n")
    return tmp / "flows.log", tmp / "inventory.csv"


def test_colliding_names_are_renamed_and_reported():
    inv = Inventory.from_frame(pd.DataFrame({"ip": ["10.0.0.9", "10.0.0.8", "10.0.0.1"],
                                             "service": ["internet", "aws:S3", "web"],
                                             "domain": ["edge", "edge", "shop"]}))
    assert inv.services.index.tolist() == ["service:aws:S3", "service:internet", "web"]
    assert inv.services.loc["service:internet", "domain"] == "edge"
    assert inv.problems == [
        "inventory service 'aws:S3' (1 row(s)) is spelled like a pseudo-node and was renamed 'service:aws:S3'",
        "inventory service 'internet' (1 row(s)) is spelled like a pseudo-node and was renamed 'service:internet'"]


def test_describe_network_interfaces_service_tag_named_internet_is_renamed():
    data = {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddress": "10.0.0.9",
                                   "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.9"}],
                                   "TagSet": [{"Key": "service", "Value": "internet"}]}]}
    inv = Inventory.from_describe_network_interfaces(data)
    assert inv.services.index.tolist() == ["service:internet"]
    assert inv.enis["service"].tolist() == ["service:internet"]


def test_internet_flows_stay_on_the_internet_node(tmp_path):
    logs, inv = _estate(tmp_path)
    g = build_graph(logs, inv)
    edges = {(e.client, e.server, e.server_port): e.connections for e in g.edges.itertuples()}
    assert edges == {("web", "service:internet", 8443): 30, ("web", "internet", 443): 30,
                     ("api", "service:aws:S3", 5432): 30, ("api", "service:Unknown", 6379): 30,
                     ("api", "web", 80): 30}
    assert g.nodes.loc["internet", "kind"] == "internet"
    assert g.nodes.loc["service:internet", "kind"] == "service"


def test_policy_keeps_internet_egress_apart_from_the_service(tmp_path):
    logs, inv = _estate(tmp_path)
    out = tmp_path / "r"
    proc = subprocess.run([sys.executable, "-m", "flowgraph.cli", "analyze", str(logs), "--inventory", str(inv),
                           "--out", str(out), "--seeds", "3", "--rewirings", "4", "--quiet"],
                          capture_output=True, text=True, cwd=REPO, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr
    policy = json.loads((out / "policy.json").read_text())
    external = [(f["service"], f["external"], f["port"]) for f in policy["external_flows"]]
    assert ("web", "internet", 443) in external
    assert all(e != "service:internet" for _, e, _ in external)
    text = json.dumps(policy)
    assert '"service:internet"' in text  # the service named internet is a policy subject of its own
