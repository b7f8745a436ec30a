"""report.html and report.md: escaping, self-containment, structure."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

from flowgraph.report.figures import make_figures
from flowgraph.report.html import render_html
from flowgraph.report.markdown import md_escape, render_markdown

from .fixtures import FORMULA_NAME, HOSTILE_DOMAIN, SCRIPT_NAME


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[str] = []
        self.styles: list[str] = []
        self.imgs: list[dict] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        d = dict(attrs)
        if tag == "img":
            self.imgs.append(d)
        if tag == "style":
            self._in_style = True
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "formaction", "poster", "data", "background", "xlink:href"):
                self.urls.append((tag, name, value or ""))
            if name == "style":
                self.styles.append(value or "")
            if name.startswith("on"):
                self.urls.append((tag, name, value or ""))  # event handlers must not exist at all

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


@pytest.fixture(scope="module")
def html_text(written):
    out, files = written
    return files["report.html"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed(html_text):
    p = _Collector()
    p.feed(html_text)
    return p


@pytest.fixture(scope="module")
def md_text(written):
    out, files = written
    return files["report.md"].read_text(encoding="utf-8")


# -- HTML --------------------------------------------------------------------------------
def test_script_name_is_escaped_in_html(html_text):
    assert SCRIPT_NAME not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert "<img src=x" not in html_text  # hostile declared domain
    assert "&lt;img src=x onerror=alert(2)&gt;" in html_text
    # only the explorer's two inline scripts (escaped JSON data + the viewer), none with a src
    assert re.findall(r"<script\b[^>]*>", html_text.lower()) == ['<script type="application/json" id="fg-data">',
                                                                   "<script>"]


def test_html_references_no_external_url(parsed, html_text):
    assert parsed.urls, "expected at least the figure data URIs"
    for tag, attr, value in parsed.urls:
        assert not attr.startswith("on"), f"event handler {attr} on <{tag}>"
        v = value.strip().lower()
        assert not v.startswith(("http:", "https:", "//", "ftp:", "file:", "javascript:")), (tag, attr, value)
        if attr == "href":
            assert v.startswith("#"), f"only in-page anchors allowed, got {value!r}"
        if attr == "src":
            assert v.startswith("data:image/png;base64,"), value[:40]
    css = "\n".join(parsed.styles)
    assert "@import" not in css
    for url in re.findall(r"url\(\s*([^)]*)\)", css + html_text):
        assert url.strip("'\" ").lower().startswith("data:"), url
    assert not {"link", "iframe", "object", "embed", "base", "form"} & set(parsed.tags)
    assert parsed.tags.count("script") == 2  # inline only (src attributes are refused above)
    # defence in depth: CSP forbids every remote load and script
    assert 'http-equiv="Content-Security-Policy"' in html_text and "default-src 'none'" in html_text


def test_html_embeds_every_figure_as_png(parsed, written):
    out, files = written
    pngs = {k for k in files if k.startswith("figures/")}
    assert len(parsed.imgs) == len(pngs) == 8
    for img in parsed.imgs:
        data = base64.b64decode(img["src"].split(",", 1)[1])
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert img.get("alt")


def test_html_order_verdict_first_then_evidence_then_rules(html_text):
    order = ['id="verdict"', 'id="numbers"', 'id="policy"', 'id="fig-community-map"', 'id="fig-community-heatmap"',
             'id="fig-community-exceptions"', 'id="fig-resolution-sweep"', 'id="fig-null-model"',
             'id="fig-shared-zone"', 'id="fig-declared-vs-detected"', 'id="quality"', 'id="exceptions"',
             'id="appendix"']
    positions = [html_text.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_html_plain_language_and_numbers(html_text, written):
    assert "Segmentation is feasible with a manageable list of exceptions." in html_text
    assert "Feasible with exceptions" in html_text
    for label in ("Connections crossing a boundary", "Exceptions per local connection",
                  "Significance vs random graphs", "Stability across runs", "Shared-services zone"):
        assert label in html_text
    assert "z = 8.9" in html_text and "ARI 0.94" in html_text
    assert "exceptions.csv" in html_text  # note that the full list is in the CSV
    # each figure has a one-sentence caption
    assert html_text.count("<figcaption>") == 9  # 8 figures + the zone map


def test_html_data_quality_tables(html_text):
    for text in ("wrong field count", "logs/2024/05/03/eni-0a1.log.gz:18:", "Connections with unresolved direction",
                 "3.1%", "14.0 days", "logs/2024/05/09/eni-0b7.log.gz", "10.9.3.7", "aws-service"):
        assert text in html_text, text


def test_html_renders_without_optional_sections(case):
    a, g = case
    keep = {"verdict", "reasons", "metrics", "metrics_including_shared", "shared_services",
            "communities", "declared_domains", "parameters", "versions"}
    from flowgraph.report import build_report

    r = build_report({k: v for k, v in a.items() if k in keep} | {"declared_domains": None}, g)
    r["data_quality"] = {"warnings": []}
    figs = make_figures(r)
    assert {f.name for f in figs} == {"community-map", "community-heatmap", "community-exceptions"}
    html = render_html(r, figs)
    assert "No declared domains were given" in html and "No data-quality problems" in html
    md = render_markdown(r, figs)
    assert "No declared domains were given" in md


@pytest.mark.parametrize("verdict, badge", [("feasible", "Feasible"), ("marginal", "Marginal"),
                                            ("infeasible", "Not feasible"),
                                            ("insufficient_data", "Insufficient data")])
def test_every_verdict_renders(case, verdict, badge):
    from flowgraph.report import build_report

    a, g = case
    r = build_report({**a, "verdict": verdict, "weight_sensitive": True}, g)
    html = render_html(r, [])
    assert f'class="badge v-{verdict}"' in html and badge in html
    assert "Weight-sensitive verdict" in html


# -- Markdown ----------------------------------------------------------------------------
def test_script_name_is_escaped_in_markdown(md_text):
    assert SCRIPT_NAME not in md_text
    assert "<script" not in md_text and "<img" not in md_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md_text
    assert md_escape(HOSTILE_DOMAIN) in md_text  # '|' cannot open a new table column
    assert "\\|\\$x\\$" in md_escape(HOSTILE_DOMAIN)


@pytest.mark.parametrize("raw", ["<b>", "a|b", "[x](http://e.vil)", "`code`", "*bold*", "_it_",
                                 "~~s~~", "$x$", "![i](y)", "line\nbreak", "back\\slash"])
def test_md_escape_neutralises(raw):
    out = md_escape(raw)
    assert "<" not in out and ">" not in out and "\n" not in out
    for ch in "|[]`*_~$":
        assert re.search(r"(?<!\\)" + re.escape(ch), out) is None, (raw, out)


def test_markdown_tables_keep_their_shape(md_text):
    for line in md_text.splitlines():
        if line.startswith("| C1 · catalog | 4 |"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 8  # 7 columns -> 8 unescaped pipes


def test_markdown_links_figures_beside_it(md_text, written):
    out, files = written
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md_text)
    assert len(links) == 8
    for link in links:
        assert link.startswith("figures/") and link.endswith(".png")
        assert (out / link).is_file()
    assert "http" not in " ".join(links)


def test_markdown_same_findings(md_text):
    for text in ("## Verdict: Feasible with exceptions", "Segmentation is feasible with a manageable list",
                 "### Key numbers", "## Data quality", "## Exception rules", "exceptions.csv",
                 "wrong field count", "=HYPERLINK(\"x\")"):
        assert text in md_text, text
    assert FORMULA_NAME in md_text  # formulas are harmless in Markdown; only CSV neutralises them


def test_missing_community_renders_as_unassigned(report):
    r = {**report, "declared_domains": {**report["declared_domains"],
                                        "misplaced": [{"service": "orphan", "declared": "x", "community": None,
                                                       "community_domain": None}]}}
    html = render_html(r, [])
    row = html[html.index("orphan"):html.index("orphan") + 200]
    assert "unassigned" in row and "None" not in row
    assert "| orphan | x | unassigned |" in render_markdown(r, [])
