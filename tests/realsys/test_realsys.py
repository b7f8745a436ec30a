"""Real-system regression suite: call graphs of public microservice reference architectures.

Each ``data/<system>.json`` holds edges derived from a public repository at a
recorded commit (``docs/realsys.md``), what a careful architect concludes about
strict segmentation, and the verdicts that conclusion allows.  The tests check
(a) the provenance and shape of every corpus file, (b) that replaying it — as an
edge table and as VPC flow-log text through the real reader — gives exactly the
services and talking pairs derived from the code, that the figures quoted in the
rationale are what the architect's zones give, and (c) that
:func:`flowgraph.assessment.assess` reaches one of the allowed verdicts.
"""

from __future__ import annotations

import collections
import re
import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import replay  # noqa: E402

import flowgraph as fg  # noqa: E402
from flowgraph.assessment import assess  # noqa: E402
from flowgraph.assessment.verdict import VERDICTS  # noqa: E402

FILES = replay.corpus_files()
IDS = [p.stem for p in FILES]
DOCS = {p.stem: replay.load(p) for p in FILES}

SIZE = {  # system: (services, directed talking pairs, undirected pairs) — counted from the derivation
    "dsb-hotel-reservation": (23, 31, 31),
    "dsb-media-microservices": (31, 36, 36),
    "dsb-social-network": (25, 33, 32),
    "eshop": (13, 25, 25),
    "lakeside-mutual": (6, 13, 9),
    "online-boutique": (11, 15, 15),
    "robot-shop": (12, 19, 19),
    "sock-shop": (14, 15, 15),
    "spring-petclinic-microservices": (11, 34, 34),
    "teastore": (7, 13, 13),
    "train-ticket": (64, 154, 152),
}

ZONE_FIGURES = {  # system: (local pairs, cross-zone pairs, pairs touching the "shared" zone) under architect_zones
    "dsb-hotel-reservation": (14, 7, 10),
    "dsb-media-microservices": (26, 10, 0),
    "dsb-social-network": (18, 14, 0),
    "eshop": (2, 5, 18),
    "lakeside-mutual": (0, 9, 0),
    "online-boutique": (6, 9, 0),
    "robot-shop": (3, 16, 0),
    "sock-shop": (8, 7, 0),
    "spring-petclinic-microservices": (7, 9, 18),
    "teastore": (1, 7, 5),
    "train-ticket": (58, 94, 0),
}

REQUIRED = ("system", "repository", "commit", "files_read", "derivation", "edges", "expected")
FILE_LINE = re.compile(r"^[\w./*{},+-]+:\d+\b")
REPO_AT = re.compile(r"\b[\w.-]+/[\w.-]+@[0-9a-f]{40}\b")


def _pairs(doc: dict) -> set[tuple[str, str]]:
    return {(e["client"], e["server"]) for e in doc["edges"]}


def _services(doc: dict) -> set[str]:
    return {n for p in _pairs(doc) for n in p}


def test_corpus_is_complete():
    assert len(FILES) >= 6
    assert sorted(IDS) == sorted(SIZE) == sorted(ZONE_FIGURES)
    assert len({d["repository"] for d in DOCS.values()}) >= 8
    assert sum(d["expected"]["abstention_acceptable"] is False for d in DOCS.values()) >= 1


@pytest.mark.parametrize("name", IDS)
def test_corpus_file_is_well_formed(name):
    doc = DOCS[name]
    assert [k for k in REQUIRED if k not in doc] == []
    assert doc["system"] == name
    assert re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", doc["repository"])
    assert re.fullmatch(r"[0-9a-f]{40}", doc["commit"])
    assert doc["files_read"] and all(isinstance(f, str) and f for f in doc["files_read"])
    assert len(doc["derivation"]) > 100
    keys = set()
    for e in doc["edges"]:
        assert set(e) == {"client", "server", "port", "evidence"}, e
        assert e["client"] != e["server"], f"self-loop {e}"
        assert isinstance(e["port"], int) and 1 <= e["port"] <= 65535, e
        assert e["evidence"] and all(isinstance(x, str) and len(x) > 10 for x in e["evidence"]), e
        assert any(FILE_LINE.match(x) or REPO_AT.search(x) for x in e["evidence"]), f"no file:line or repo@commit: {e}"
        key = (e["client"], e["server"], e["port"])
        assert key not in keys, f"duplicate edge {key}"
        keys.add(key)
    services = _services(doc)
    zones = doc.get("architect_zones", {})
    assert set(zones) == services
    assert set(doc.get("domains", {})) <= services
    x = doc["expected"]
    assert x["verdict_any_of"] and set(x["verdict_any_of"]) <= set(VERDICTS)
    assert len(set(x["verdict_any_of"])) == len(x["verdict_any_of"])
    assert ("insufficient_data" in x["verdict_any_of"]) == x["abstention_acceptable"]
    assert len(x["rationale"]) > 200 and x["zones_approx"]


@pytest.mark.parametrize("name", IDS)
def test_roles_match_the_call_direction(name):
    """Shared platform services are called more than they call; orchestrators call more than they are called."""
    doc = DOCS[name]
    pairs = _pairs(doc)
    callers = collections.Counter(s for _, s in pairs)
    callees = collections.Counter(c for c, _ in pairs)
    for s in doc["expected"]["shared_platform"]:
        assert callers[s] >= 2 and callers[s] > callees[s], (s, callers[s], callees[s])
    for s in doc["expected"]["orchestrators"]:
        assert callees[s] >= 3 and callees[s] > callers[s], (s, callers[s], callees[s])


@pytest.mark.parametrize("name", IDS)
def test_replay_edge_table_has_the_derived_size(name):
    doc = DOCS[name]
    g = replay.replay_graph(doc, seed=0)
    services, pairs, undirected = SIZE[name]
    assert len(g.services) == services == len(_services(doc))
    assert len(g.pairs()) == pairs
    assert g.undirected().number_of_edges() == undirected
    assert int(g.edges["connections"].min()) >= 24
    assert int(g.edges["last_seen"].max() - g.edges["first_seen"].min()) == 24 * 3600
    again = replay.replay_graph(doc, seed=0).edges
    assert again["connections"].tolist() == g.edges["connections"].tolist()
    if len(doc["edges"]) > 5:
        assert replay.replay_graph(doc, seed=1).edges["connections"].tolist() != g.edges["connections"].tolist()


@pytest.mark.parametrize("name", IDS)
def test_replay_through_flow_logs_gives_the_same_graph(name, tmp_path):
    doc = DOCS[name]
    logs, inventory = replay.write_flow_logs(doc, tmp_path, seed=0)
    g = fg.build_graph(logs, inventory)
    got = {(c, s, int(p)) for c, s, p in g.edges[["client", "server", "server_port"]].itertuples(index=False)}
    assert got == {(e["client"], e["server"], e["port"]) for e in doc["edges"]}
    assert set(g.edges["connections"].astype(int)) == {24}
    assert g.quality["unresolved_direction_share"] == 0.0
    if doc.get("domains"):
        assert g.nodes.loc["customer-core", "domain"] == doc["domains"]["customer-core"]


@pytest.mark.parametrize("name", IDS)
def test_architect_zone_figures(name):
    """The local / cross / shared pair counts quoted in each rationale, from the architect's zones."""
    doc = DOCS[name]
    z = doc["architect_zones"]
    undirected = {tuple(sorted(p)) for p in _pairs(doc)}
    shared = sum(z[a] == "shared" or z[b] == "shared" for a, b in undirected)
    local = sum(z[a] == z[b] != "shared" for a, b in undirected)
    cross = len(undirected) - shared - local
    assert (local, cross, shared) == ZONE_FIGURES[name]


_ASSESSED: dict = {}


def _assessed(name):
    if name not in _ASSESSED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _ASSESSED[name] = assess(replay.replay_graph(DOCS[name], seed=0), seed=0, n_seeds=5, n_null=10)
    return _ASSESSED[name]


# What the direction-aware shared zone finds, as a regression: all 22 orchestrators stay workloads;
# 9 of the 16 platform services the architects named are found, and the misses are named — robot-shop's datastores have 2 callers each (below the 3-caller floor),
# train-ticket's station service has 11 callers from every zone but in an estate where 45 % of
# pairs cross zones that is not surprising (p = 0.018 > 0.001), and its order services have
# 11 callers from 60 % of the zones (p = 0.83); teastore's persistence service
# would push the zone past 75 % of the talking pairs.  online-boutique's product catalogue
# (3 callers, 30 % reach) is the one service flagged that the architect did not name.
SHARED_FOUND = {
    "dsb-hotel-reservation": {"consul"},
    "dsb-media-microservices": set(),
    "dsb-social-network": set(),
    "eshop": {"eventbus", "identity-api", "postgres"},
    "lakeside-mutual": {"customer-core"},
    "online-boutique": {"productcatalogservice"},
    "robot-shop": set(),
    "sock-shop": set(),
    "spring-petclinic-microservices": {"config-server", "discovery-server", "tracing-server"},
    "teastore": {"registry"},
    "train-ticket": set(),
}


@pytest.mark.parametrize("name", IDS)
def test_shared_zone_holds_platform_services_never_orchestrators(name):
    doc = DOCS[name]
    a = _assessed(name)
    found = set(a.shared_services)
    assert not found & set(doc["expected"]["orchestrators"])
    assert found == SHARED_FOUND[name]


def test_shared_zone_recall_and_precision_over_the_corpus():
    expected = {(n, s) for n in IDS for s in DOCS[n]["expected"]["shared_platform"]}
    found = {(n, s) for n in IDS for s in SHARED_FOUND[n]}
    assert len(expected) == 16 and len(expected & found) == 9 and len(found - expected) == 1
    orchestrators = sum(len(DOCS[n]["expected"]["orchestrators"]) for n in IDS)
    assert orchestrators == 22


@pytest.mark.parametrize("name", IDS)
def test_verdict_agrees_with_the_architect(name):
    doc = DOCS[name]
    a = _assessed(name)
    m = a.metrics
    assert a.verdict in doc["expected"]["verdict_any_of"], (
        f"{name}: verdict {a.verdict} (mu={m['cross_community_edge_ratio']}, communities={m['communities']}, "
        f"shared={a.shared_services}); the architect allows {doc['expected']['verdict_any_of']}")
