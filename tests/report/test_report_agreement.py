"""Every output states the same headline figures; graph exports carry zones and stay valid XML."""

from __future__ import annotations

import csv
import json
import re

import networkx as nx

from .fixtures import CONTROL_NAME, SCRIPT_NAME


def _csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_headline_figures_agree_in_every_output(written):
    out, files = written
    r = json.loads(files["report.json"].read_text(encoding="utf-8"))
    h = r["headline"]
    fig = {k: v["value"] for k, v in h["figures"].items()}
    m = r["metrics"]
    # report.json: one value per figure, equal to the metric it names
    assert fig["talking_pairs"] == m["edges"]
    assert fig["exceptions"] == m["exceptions"]
    assert fig["zones"] == len(r["communities"]) == m["communities"]
    assert fig["shared_zone_services"] == len(r["shared_services"])
    # CSVs
    exc = _csv(out / "exceptions.csv")
    assert len(exc) == fig["exception_flows"] == r["flows"]["counts"]["exception"]
    assert len({(e["source_service"], e["destination_service"]) for e in exc}) <= fig["exception_flows"]
    assert len(_csv(out / "communities.csv")) == fig["zones"]
    assert len(_csv(out / "shared_zone_flows.csv")) == r["flows"]["counts"]["shared_zone"]
    # HTML and Markdown glossary rows state the same values
    html = files["report.html"].read_text(encoding="utf-8")
    md = files["report.md"].read_text(encoding="utf-8")
    for key, f in h["figures"].items():
        row = re.search(rf'<tr data-key="{key}"><td>[^<]*</td><td class="n">([^<]*)</td>', html)
        assert row is not None and row.group(1) == str(f["value"]), key
        assert f"| {str(f['value'])} |" in md, key
    # one zone naming scheme: unique names, same as the draft policy's zones
    names = list(h["zone_names"].values())
    assert len(names) == len(set(names)) == fig["zones"]
    policy = json.loads(files["policy.json"].read_text(encoding="utf-8"))
    assert set(names) <= set(json.dumps(policy).replace('"', " ").split()) | set(names) and all(
        n in json.dumps(policy) for n in names)
    # the caveats sit in the verdict card, above the key numbers
    assert html.index('id="caveats"') < html.index('id="glossary"')
    assert [c["key"] for c in h["caveats"]]  # the fake estate has a shared zone at least


def test_graph_exports_carry_zone_attributes_and_parse(written):
    out, files = written
    r = json.loads(files["report.json"].read_text(encoding="utf-8"))
    g = nx.read_graphml(out / "graph.graphml")  # would raise on a raw control character
    clean = CONTROL_NAME.replace("\x01", "\ufffd")
    assert clean in g.nodes and CONTROL_NAME not in g.nodes
    assert SCRIPT_NAME in g.nodes
    zones = r["headline"]["zone_names"]
    svc = {s["service"]: s for s in r["services"]}
    for n, d in g.nodes(data=True):
        assert {"kind", "community", "zone", "shared"} <= set(d), n
        s = svc.get(n)
        if s and s.get("community") is not None and not d["shared"]:
            assert d["community"] == s["community"] and d["zone"] == zones[str(s["community"])]
    shared = [n for n, d in g.nodes(data=True) if d["shared"]]
    assert shared and all(g.nodes[n]["zone"] == "shared-services" for n in shared)
    assert g.nodes["internet"]["zone"] == "external"
    cats = {d.get("category") for _, _, d in g.edges(data=True)}
    assert {"exception", "intra_zone", "shared_zone", "external"} <= cats
    data = json.loads(files["graph.json"].read_text(encoding="utf-8"))
    gj = nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")
    assert dict(gj.nodes["internet"]) == dict(g.nodes["internet"])


def test_markdown_keeps_urls_inert(written):
    _, files = written
    md = files["report.md"].read_text(encoding="utf-8")
    assert "https://evil" not in md  # a bare URL would be autolinked by code hosts
    assert "<script>" not in md
