"""write_report: the file set, graph exports, PDF (missing and present), figures, reproducibility."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import types

import pytest

from flowgraph.exceptions import MissingDependencyError
from flowgraph.graph import ServiceGraph
from flowgraph.report import OUTPUT_FILES, build_report, write_report
from flowgraph.report.figures import FIGURES, label, make_figures

from .conftest import GENERATED_AT
from .fixtures import fake_case

FIGURE_NAMES = {"community-map", "community-heatmap", "community-exceptions", "resolution-sweep",
                "null-model", "shared-zone", "declared-vs-detected", "traffic-by-class"}


def test_write_report_file_set(written):
    out, files = written
    assert set(OUTPUT_FILES) <= set(files)
    assert {k.removeprefix("figures/").removesuffix(".png") for k in files if k.startswith("figures/")} == FIGURE_NAMES
    for key, path in files.items():
        assert path == out / key and path.is_file() and path.stat().st_size > 0, key
    leftovers = [p.name for p in out.rglob("*.tmp")]
    assert leftovers == []
    umask = os.umask(0)
    os.umask(umask)
    assert files["report.html"].stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    assert "report.pdf" not in files


def test_graph_exports_load_back(written, hostile_case):
    out, files = written
    _, g = hostile_case
    back = ServiceGraph.read_graphml(files["graph.graphml"])
    # names are kept, except XML-invalid control characters, which become U+FFFD
    assert sorted(back.services) == sorted(s.replace("\x01", "\ufffd") for s in g.services)
    assert len(back.edges) == len(g.edges)
    data = json.loads(files["graph.json"].read_text(encoding="utf-8"))
    assert len(ServiceGraph.read_json(data).edges) == len(g.edges)


def test_pdf_without_weasyprint_raises_helpful_error(tmp_path, case):
    if importlib.util.find_spec("weasyprint") is not None:
        pytest.skip("weasyprint is installed; the missing-dependency path cannot be exercised")
    a, g = case
    with pytest.raises(MissingDependencyError) as info:
        write_report(a, g, tmp_path / "out", pdf=True)
    msg = str(info.value)
    assert "PDF export" in msg and "pip install 'flowgraph[pdf]'" in msg
    assert isinstance(info.value, ImportError)
    assert not (tmp_path / "out").exists()  # checked before anything is written


def test_pdf_with_weasyprint_renders_the_html(tmp_path, case, monkeypatch):
    calls = {}

    class FakeHTML:
        def __init__(self, string=None, **kwargs):
            calls["html"] = string
            calls["kwargs"] = kwargs

        def write_pdf(self, target):
            with open(target, "wb") as fh:
                fh.write(b"%PDF-1.7 fake\n")

    def default_url_fetcher(url, *args, **kwargs):
        return {"string": b"", "mime_type": "image/png"}

    fake = types.SimpleNamespace(HTML=FakeHTML, default_url_fetcher=default_url_fetcher,
                                 __name__="weasyprint")
    monkeypatch.setitem(sys.modules, "weasyprint", fake)
    a, g = case
    files = write_report(a, g, tmp_path, pdf=True, generated_at=GENERATED_AT)
    assert files["report.pdf"].read_bytes().startswith(b"%PDF")
    assert calls["html"] == files["report.html"].read_text(encoding="utf-8")
    fetch = calls["kwargs"]["url_fetcher"]
    assert fetch("data:image/png;base64,AAAA")["mime_type"] == "image/png"
    with pytest.raises(ValueError, match="refusing"):
        fetch("https://example.com/x.png")


def test_report_is_reproducible(tmp_path, hostile_case, written):
    a, g = hostile_case
    _, f1 = written
    f2 = write_report(a, g, tmp_path, generated_at=GENERATED_AT,
                      inputs={"logs": ["s3://bucket/AWSLogs/"], "inventory": "inventory.csv"})
    for name in ("report.json", "report.md", "exceptions.csv", "policy.yaml", "report.html"):
        assert f1[name].read_bytes() == f2[name].read_bytes(), name


def test_stale_figures_are_removed(tmp_path, case):
    a, g = case
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "declared-vs-detected.png").write_bytes(b"old")
    (tmp_path / "figures" / "mine.png").write_bytes(b"keep")  # not ours: left alone
    files = write_report({**a, "declared_domains": None, "resolution_sweep": []}, g, tmp_path)
    assert "figures/declared-vs-detected.png" not in files
    assert not (tmp_path / "figures" / "declared-vs-detected.png").exists()
    assert (tmp_path / "figures" / "mine.png").exists()
    assert "figures/resolution-sweep.png" not in files


# -- figures -----------------------------------------------------------------------------
def test_figure_registry_names_match_files():
    # cost-curve is drawn only when the assessment has a cost_curve (not the fake estate)
    assert {fn.__name__.replace("_", "-") for fn in FIGURES} == FIGURE_NAMES | {"cost-curve"}


def test_figure_labels_are_safe_for_mathtext():
    assert label("a$b") == r"a\$b"
    assert label("x" * 40, 10) == "x" * 9 + "…"
    assert label("multi\nline") == "multi line"


def test_figures_with_many_communities_and_hostile_labels():
    """25 communities collapse to 19 + 'other'; '$' and '<' in names never break drawing."""
    comms = [{"id": i, "services": [f"s{i}-{j}" for j in range(1 + i % 4)], "internal_edges": 3,
              "external_edges": 2, "conductance": 0.3, "strong": i % 2 == 0, "weak": True,
              "dominant_domain": f"dom$\\frac{{{i}" if i % 3 == 0 else None} for i in range(25)]
    between = [{"source_community": i, "destination_community": (i + 1) % 25, "pairs": 2}
               for i in range(25)] + [{"source_community": None, "destination_community": 0, "pairs": 1}]
    services = [{"service": s, "community": c["id"], "domain": f"team<{c['id'] % 7}>$"}
                for c in comms for s in c["services"]]
    report = {"communities": comms, "services": services, "shared_services": ["dns"],
              "declared_domains": {"ami": 0.5, "ari": 0.4},
              "shared_zone": {"services": [{"service": "$dns$", "reach": 0.9, "community_reach": 1.0}]},
              "flows": {"between_communities": between,
                        "shared_zone": [{"community": i, "pairs": 1} for i in range(25)]}}
    figs = make_figures(report)
    assert {f.name for f in figs} == {"community-map", "community-heatmap", "community-exceptions",
                                      "shared-zone", "declared-vs-detected"}
    assert all(f.png.startswith(b"\x89PNG") for f in figs)


def test_make_figures_non_strict_skips_broken_figure(caplog):
    bad = {"communities": [{"id": 0, "services": ["a"], "internal_edges": "many"}]}
    with pytest.raises(ValueError):
        make_figures(bad)
    figs = make_figures(bad, strict=False)
    assert "community-exceptions" not in {f.name for f in figs}
    assert "could not be drawn" in caplog.text


def test_build_report_on_hostile_case_keeps_raw_names():
    a, g = fake_case(hostile=True)
    r = build_report(a, g)
    names = {s["service"] for s in r["services"]}
    assert "<script>alert(1)</script>" in names  # JSON keeps data verbatim; renderers escape
