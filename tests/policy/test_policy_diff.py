"""Drift: two windows of a planted estate where three services moved between domains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.graph import ServiceGraph
from flowgraph.policy import diff_markdown, diff_reports
from flowgraph.synth import generate_estate


def _graph(edges: pd.DataFrame) -> ServiceGraph:
    df = pd.DataFrame({"client": edges["client"].astype(str), "server": edges["server"].astype(str),
                       "server_port": edges["server_port"], "protocol": edges["protocol"],
                       "connections": edges["connections"], "packets": 1, "bytes": 1, "first_seen": 0,
                       "last_seen": 60, "hours_seen": 1, "days_seen": 1})
    keys = ["client", "server", "server_port", "protocol"]
    return ServiceGraph(df.groupby(keys, as_index=False).agg(
        {"connections": "sum", "packets": "sum", "bytes": "sum", "first_seen": "min", "last_seen": "max",
         "hours_seen": "max", "days_seen": "max"}))


@pytest.fixture(scope="module")
def windows():
    est = generate_estate(domains=4, services=48, shared_services=2, connections=3000, hours=2, mu=0.05,
                          seed=11, calls_per_service=(3, 6))
    t = est.truth
    a = t.edges[t.edges["kind"].isin(["intra", "cross"])].copy()
    dom = t.service_domain
    doms = sorted({dom[s] for s in a["client"]} - {"platform"})
    rng = np.random.default_rng(0)
    moved = {}
    for d in doms[:3]:
        cand = sorted(s for s in dom if dom[s] == d and s in set(a["client"]) | set(a["server"]))
        moved[cand[len(cand) // 2]] = doms[(doms.index(d) + 1) % len(doms)]
    b = a.copy()
    for s, d2 in moved.items():  # window B: the service now talks with its new domain instead of its old one
        targets = sorted(x for x in dom if dom[x] == d2)
        for col, other in (("client", "server"), ("server", "client")):
            m = (b[col] == s) & (b[other].map(dom) == dom[s])
            b.loc[m, other] = rng.choice(targets, size=int(m.sum()))
    b = b[b["client"] != b["server"]]
    return moved, fg.assess(_graph(a), seed=0).to_dict(), fg.assess(_graph(b), seed=0).to_dict()


def test_diff_names_exactly_the_three_moved_services(windows):
    moved, ra, rb = windows
    d = diff_reports(ra, rb)
    assert sorted(m["service"] for m in d["moved"]) == sorted(moved)
    assert d["split"] == {} and d["merged"] == {}
    assert 0.7 < d["ari"] < 1.0
    md = diff_markdown(d)
    assert all(s in md for s in moved)


def test_diff_of_a_window_with_itself_is_empty(windows):
    _, ra, _ = windows
    d = diff_reports(ra, ra)
    assert d["ari"] == 1.0 and d["moved"] == [] and d["exceptions_added"] == [] == d["exceptions_removed"]
    assert d["verdict"]["changed"] is False
