"""A small planted estate over two days, its graph and its draft policy (zones = declared domains)."""

from __future__ import annotations

import pytest

import flowgraph as fg
from flowgraph.report.policy import build_policy
from flowgraph.synth import generate_estate, write_estate


@pytest.fixture(scope="session")
def planted(tmp_path_factory):
    out = tmp_path_factory.mktemp("planted")
    est = generate_estate(domains=4, services=30, shared_services=2, connections=3000, hours=48, mu=0.15,
                          seed=7, scanners=2, reused_addresses=0, unknown_addresses=0)
    write_estate(est, out)
    graph = fg.build_graph(out / "logs", out / "inventory.csv")
    report = {"shared_services": list(est.truth.shared_services), "services": [], "communities": []}
    policy = build_policy(report, graph, zones="domains")
    return {"dir": out, "estate": est, "graph": graph, "policy": policy}


@pytest.fixture(scope="session")
def day_one(planted):
    """The draft policy learnt on the first day only (zones = declared domains) and its graph."""
    est = planted["estate"]
    g1 = fg.build_graph(planted["dir"] / "logs", planted["dir"] / "inventory.csv", until=est.start + 86_400)
    report = {"shared_services": list(est.truth.shared_services), "services": [], "communities": []}
    return build_policy(report, g1, zones="domains"), g1
