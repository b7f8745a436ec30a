"""report.html interactivity: zone map, exception explorer, service search (headless Chromium), plus the data behind it.

The estate is the fake one with two workloads renamed to hostile strings that take part in exceptions:
``pay-worker`` (its exception goes to ``notifier``) and ``search`` (``pay-api`` calls it over ICMP).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flowgraph.report import build_report, write_report
from flowgraph.report.flows import classify_flows
from flowgraph.report.html import render_html
from flowgraph.report.interactive import (
    explorer_data,
    script_hash,
    script_json,
    script_source,
    zone_map,
)

from .conftest import GENERATED_AT
from .fixtures import COMMUNITIES, HOSTILE_EDGE, HOSTILE_FILE, HOSTILE_INTERFACE, fake_case

SCRIPT_CLOSE = "</script><img src=x onerror=alert(1)>"
QUOTES = "\"'><b>x"
RENAME = {"pay-worker": SCRIPT_CLOSE, "search": QUOTES}


@pytest.fixture(scope="module")
def icase():
    return fake_case(rename=RENAME)


@pytest.fixture(scope="module")
def iflows(icase):
    a, g = icase
    return classify_flows(g, a)


@pytest.fixture(scope="module")
def ireport(icase, iflows):
    a, g = icase
    return build_report(a, g, generated_at=GENERATED_AT, flows=iflows)


@pytest.fixture(scope="module")
def ipage(icase, tmp_path_factory) -> Path:
    a, g = icase
    out = tmp_path_factory.mktemp("interactive")
    return write_report(a, g, out, generated_at=GENERATED_AT)["report.html"]


# -- data and markup (no browser) -----------------------------------------------------------


def test_script_json_escapes_everything_that_could_end_the_element():
    hostile = {"n": SCRIPT_CLOSE, "q": QUOTES, "c": "<!-- x -->", "a": "a&b", "s": "\u2028\u2029"}
    text = script_json(hostile)
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == hostile


def test_every_exception_is_in_the_page_data(ireport, iflows):
    data = explorer_data(ireport, iflows)
    # one entry per exception (unordered cross-zone service pair) = the 'exceptions' figure
    assert data["total"] == len(data["exceptions"]) == ireport["metrics"]["exceptions"] == 5
    assert data["complete"] is True
    assert sum(x["n"] for x in data["exceptions"]) == ireport["flows"]["counts"]["exception"] == 5
    by_pair = {(x["a"], x["b"]): x for x in data["exceptions"]}
    icmp = by_pair[(QUOTES, "pay-api")]  # ordered by name: '"' sorts before 'p'
    assert (icmp["za"], icmp["zb"], icmp["ports"], icmp["c"], icmp["by"]) == ("c1", "c0", ["any/icmp"], 40, 3360)
    assert icmp["flows"] == [["pay-api", QUOTES, "any/icmp", 40, 3, 3360, "2024-05-12T00:00:00Z",
                              "2024-05-14T23:59:00Z", 72, 3]]
    # busiest first
    assert [x["c"] for x in data["exceptions"]] == sorted((x["c"] for x in data["exceptions"]), reverse=True)
    zones = {z["key"]: z for z in data["zones"]}
    assert zones["c0"]["services"] == sorted(["pay-api", SCRIPT_CLOSE, "pay-db", "ledger"])
    assert zones["shared"]["kind"] == "shared" and zones["shared"]["services"] == ["log-collector"]
    assert {k for k, z in zones.items() if z["kind"] == "external"} == {"x-internet", "x-aws-service", "x-unknown"}


def test_exceptions_carry_their_sample_records(ireport, iflows, icase):
    _, g = icase
    data = explorer_data(ireport, iflows, samples=g.samples)
    by_pair = {(x["a"], x["b"]): x for x in data["exceptions"]}
    icmp = by_pair[(QUOTES, "pay-api")]
    assert data["sample_file_prefix"] == "" and data["samples_per_exception"] == 3
    (s,) = icmp["samples"]
    assert s[:10] == ["pay-api", QUOTES, "any/icmp", "2024-05-12T00:00:00Z", f"10.0.{HOSTILE_EDGE}.5",
                      40000 + HOSTILE_EDGE, f"10.1.{HOSTILE_EDGE}.7", 0, 100 + HOSTILE_EDGE, HOSTILE_INTERFACE]
    assert data["sample_files"][s[10]] == HOSTILE_FILE and s[11] == 10 + HOSTILE_EDGE
    # every exception flow's sample is there (one per flow here), and no more than the bound
    assert sum(len(x["samples"]) for x in data["exceptions"]) == ireport["flows"]["counts"]["exception"]
    bounded = explorer_data(ireport, iflows, samples=g.samples, samples_per_exception=1)
    assert all(len(x["samples"]) == 1 for x in bounded["exceptions"])
    assert explorer_data(ireport, iflows)["sample_files"] == []  # no samples given, none embedded


def test_bounds_on_embedded_exceptions(ireport, iflows):
    data = explorer_data(ireport, iflows, max_exceptions=2, flows_per_exception=1)
    assert data["total"] == 5 and len(data["exceptions"]) == 2 and data["complete"] is False
    assert all(len(x["flows"]) <= 1 for x in data["exceptions"])


def test_zone_map_from_structure_is_deterministic(ireport, iflows):
    m = zone_map(ireport, iflows)
    assert m == zone_map(ireport, iflows)
    kinds = {n["key"]: n["kind"] for n in m["nodes"]}
    assert kinds == {"c0": "zone", "c1": "zone", "c2": "zone", "shared": "shared", "x-internet": "external",
                     "x-aws-service": "external", "x-unknown": "external"}
    exc = {(x["a"], x["b"]): x["pairs"] for x in m["links"] if x["kind"] == "exception"}
    assert exc == {("c0", "c1"): 2, ("c0", "c2"): 2, ("c1", "c2"): 1}
    assert sum(exc.values()) == ireport["metrics"]["exceptions"]
    shared = {(x["a"], x["b"]): x["pairs"] for x in m["links"] if x["kind"] == "shared_zone"}
    # every workload sends to the collector; its callback to user-api is the same unordered pair
    assert shared == {("c0", "shared"): 4, ("c1", "shared"): 4, ("c2", "shared"): 4}
    for n in m["nodes"]:
        assert n["r"] <= n["x"] <= m["width"] - n["r"] and n["r"] <= n["y"] <= m["height"] - n["r"]
    # services linked in the graph land closer together than unlinked ones
    pos = {n["key"]: (n["x"], n["y"]) for n in m["nodes"]}

    def dist(a, b):
        return ((pos[a][0] - pos[b][0]) ** 2 + (pos[a][1] - pos[b][1]) ** 2) ** 0.5
    assert dist("c2", "x-unknown") < dist("c0", "x-unknown")  # only accounts talks to the unmapped range
    # no external node (with its label) is drawn over a zone or another external node
    from flowgraph.report.interactive import _LABEL_PX, _ROW_PX

    def box(n):
        return max(2 * n["r"], _LABEL_PX * len(n["label"])) / 2
    outer = [n for n in m["nodes"] if n["kind"] == "external"]
    for a in outer:
        for b in m["nodes"]:
            if a is not b:
                clear_x = abs(a["x"] - b["x"]) >= box(a) + box(b)
                clear_y = abs(a["y"] - b["y"]) >= _ROW_PX
                assert clear_x or clear_y, (a["label"], b["label"])


def test_page_markup_is_self_contained(ipage):
    html = ipage.read_text(encoding="utf-8")
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="application/json" id="fg-data">', "<script>"]
    assert not re.search(r"https?://", html)
    assert not re.search(r"\s(src|href)=\"(?!data:|#)", html)
    # the CSP allows exactly the inline viewer, by hash
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert f"script-src {script_hash(script_source())}".replace("'", "&#39;") in csp
    assert csp.startswith("default-src 'none';")
    body = html.split('<script type="application/json" id="fg-data">', 1)[1].split("</script>", 1)[0]
    assert SCRIPT_CLOSE not in body and QUOTES not in body
    assert "innerHTML" not in script_source() and "insertAdjacentHTML" not in script_source()
    assert ".write(" not in script_source() and "eval(" not in script_source()


def test_render_without_flow_table_uses_top_exceptions(ireport):
    html = render_html(ireport, [])
    data = json.loads(html.split('id="fg-data">', 1)[1].split("</script>", 1)[0])
    assert data["complete"] is False and data["total"] == 5


# -- in the browser -------------------------------------------------------------------------


def _open(driver, page: Path, width: int = 1400):
    driver.set_window_size(width, 900)
    driver.get(page.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    return driver


def _no_alert(driver):
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 - raises when no alert is open


def _errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _visible_rows(driver):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#fg-exc-table tbody tr.fg-exc")




@pytest.mark.browser
def test_renders_offline_and_script_runs(driver, ipage):
    from selenium.webdriver.common.by import By

    _open(driver, ipage)
    assert "js" in driver.find_element(By.TAG_NAME, "html").get_attribute("class").split()  # CSP let it run
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert driver.find_element(By.ID, "fg-explorer").is_displayed()
    assert driver.find_element(By.ID, "fg-search-box").is_displayed()
    assert not driver.find_element(By.CSS_SELECTOR, "#exceptions .nojs").is_displayed()  # replaced by the explorer
    assert len(_visible_rows(driver)) == 5
    assert driver.find_element(By.ID, "fg-exc-count").text == "Showing 5 of 5 matching exceptions."
    assert _errors(driver) == []
    _no_alert(driver)


@pytest.mark.browser
def test_click_zone_lists_services_and_exceptions(driver, ipage, ireport):
    from selenium.webdriver.common.by import By

    _open(driver, ipage)
    panel = driver.find_element(By.ID, "fg-zone-panel")
    assert not panel.is_displayed()
    node = driver.find_element(By.CSS_SELECTOR, '#fg-map [data-zone="c0"]')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", node)
    node.click()
    assert panel.is_displayed()
    assert driver.find_element(By.ID, "fg-zone-title").text == "payments"
    names = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#fg-zone-services li")]
    expected = sorted(RENAME.get(s, s) for s in COMMUNITIES[0])
    assert names == expected
    exc = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#fg-zone-exceptions li")]
    assert len(exc) == 4  # payments takes part in 4 of the 5 exceptions
    assert any(SCRIPT_CLOSE in t and "notifier" in t and "8080/tcp" in t for t in exc)
    assert node.get_attribute("aria-pressed") == "true"
    # the shared zone is a different kind of node and says its flows are not exceptions
    driver.find_element(By.CSS_SELECTOR, '#fg-map [data-zone="shared"]').click()
    assert driver.find_element(By.ID, "fg-zone-title").text == "shared services"
    assert [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#fg-zone-services li")] == ["log-collector"]
    assert "not zone exceptions" in panel.text
    # the zone's button filters the table to it
    driver.find_element(By.CSS_SELECTOR, '#fg-map [data-zone="c2"]').click()
    driver.find_element(By.ID, "fg-zone-to-table").click()
    rows = _visible_rows(driver)
    assert len(rows) == 3 and all("accounts" in r.text for r in rows)


@pytest.mark.browser
def test_filter_and_sort_the_exception_table(driver, ipage):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(driver, ipage)
    box = driver.find_element(By.ID, "fg-exc-filter")
    box.send_keys("user-api")
    rows = _visible_rows(driver)
    assert [r.find_elements(By.TAG_NAME, "td")[6].text for r in rows] == ["21,000", "11,000"]
    assert driver.find_element(By.ID, "fg-exc-count").text == \
        "Showing 2 of 2 matching exceptions (5 in this page)."
    box.clear()
    box.send_keys("icmp")
    assert [r.find_elements(By.TAG_NAME, "td")[5].text for r in _visible_rows(driver)] == ["any/icmp"]
    box.clear()
    box.send_keys("nothing-matches-this")
    assert _visible_rows(driver) == []
    box.clear()
    box.send_keys(" ")  # an input event with an empty filter brings all rows back
    assert len(_visible_rows(driver)) == 5
    Select(driver.find_element(By.ID, "fg-exc-zone")).select_by_visible_text("catalog")
    assert len(_visible_rows(driver)) == 3
    Select(driver.find_element(By.ID, "fg-exc-zone")).select_by_visible_text("all zones")
    # sort by connections: descending by default, ascending on the second click
    conns = driver.find_element(By.CSS_SELECTOR, 'th[data-sort="c"] button')

    def column(i):
        return [int(r.find_elements(By.TAG_NAME, "td")[i].text.replace(",", "")) for r in _visible_rows(driver)]
    assert column(6) == [21_000, 11_000, 5_400, 2_600, 40]
    conns.click()
    assert column(6) == [40, 2_600, 5_400, 11_000, 21_000]
    assert driver.find_element(By.CSS_SELECTOR, 'th[data-sort="c"]').get_attribute("aria-sort") == "ascending"
    driver.find_element(By.CSS_SELECTOR, 'th[data-sort="a"] button').click()
    names = [r.find_elements(By.TAG_NAME, "td")[1].text for r in _visible_rows(driver)]
    assert names == sorted(names, key=str.lower)


@pytest.mark.browser
def test_expand_an_exception_to_its_flows(driver, ipage):
    from selenium.webdriver.common.by import By

    _open(driver, ipage)
    driver.find_element(By.ID, "fg-exc-filter").send_keys("icmp")
    row = _visible_rows(driver)[0]
    button = row.find_element(By.CSS_SELECTOR, "button.fg-expand")
    assert button.get_attribute("aria-expanded") == "false"
    assert driver.find_elements(By.CSS_SELECTOR, "tr.fg-flows") == []
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    detail = driver.find_element(By.CSS_SELECTOR, "tr.fg-flows")
    cells = [td.text for td in detail.find_elements(By.CSS_SELECTOR, "tr.fg-flow td")]
    assert cells == ["pay-api", QUOTES, "any/icmp", "40", "3", "3.4 kB", "2024-05-12T00:00:00Z",
                     "2024-05-14T23:59:00Z", "72", "3"]
    # its sample flow-log record, with time, addresses, ports, bytes, interface and file:line, as text
    sample = [td.text for td in detail.find_elements(By.CSS_SELECTOR, "tr.fg-sample td")]
    assert sample == [f"pay-api \u2192 {QUOTES} any/icmp", "2024-05-12T00:00:00Z", f"10.0.{HOSTILE_EDGE}.5:{40000 + HOSTILE_EDGE}",
                      f"10.1.{HOSTILE_EDGE}.7:0", f"{100 + HOSTILE_EDGE} B", HOSTILE_INTERFACE,
                      f"{HOSTILE_FILE}:{10 + HOSTILE_EDGE}"]
    assert detail.find_elements(By.CSS_SELECTOR, "img, b") == []
    _no_alert(driver)
    button.click()
    assert driver.find_elements(By.CSS_SELECTOR, "tr.fg-flows") == []


@pytest.mark.browser
def test_search_by_service(driver, ipage):
    from selenium.webdriver.common.by import By

    _open(driver, ipage)
    driver.find_element(By.ID, "fg-search").send_keys("catalog")
    hits = driver.find_elements(By.CSS_SELECTOR, "#fg-search-results .fg-chip")
    assert [h.text for h in hits] == ["catalog-api", "catalog-db"]
    hits[0].click()
    assert driver.find_element(By.ID, "fg-zone-title").text == "catalog"
    assert driver.find_element(By.CSS_SELECTOR, "#fg-zone-services li.hl").text == "catalog-api"
    rows = _visible_rows(driver)
    assert len(rows) == 2 and all("catalog-api" in r.text for r in rows)
    assert driver.find_element(By.ID, "fg-exc-service").text.startswith("Only exceptions of catalog-api")
    driver.find_element(By.ID, "fg-exc-service-clear").click()
    assert len(_visible_rows(driver)) == 5


@pytest.mark.browser
def test_hostile_names_stay_text(driver, ipage):
    from selenium.webdriver.common.by import By

    _open(driver, ipage)
    n_img = len(driver.find_elements(By.TAG_NAME, "img"))
    # zone panel, search results, table and expanded flows all show the hostile names
    driver.find_element(By.ID, "fg-search").send_keys("'>")
    hit = driver.find_element(By.CSS_SELECTOR, "#fg-search-results .fg-chip")
    assert hit.text == QUOTES
    hit.click()
    assert driver.find_element(By.CSS_SELECTOR, "#fg-zone-services li.hl").text == QUOTES
    driver.find_element(By.ID, "fg-exc-service-clear").click()
    driver.find_element(By.CSS_SELECTOR, '#fg-map [data-zone="c0"]').click()
    assert SCRIPT_CLOSE in [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#fg-zone-services li")]
    for b in driver.find_elements(By.CSS_SELECTOR, "#fg-exc-table button.fg-expand"):
        b.click()
    table = driver.find_element(By.ID, "fg-exc-table").text
    assert SCRIPT_CLOSE in table and QUOTES in table
    # nothing was injected: no new image, no <b>, no script beyond the two inline ones, no alert
    assert len(driver.find_elements(By.TAG_NAME, "img")) == n_img
    assert driver.find_elements(By.CSS_SELECTOR, "#fg-explorer img, #fg-zone-panel img, #fg-search-box img") == []
    assert driver.find_elements(By.CSS_SELECTOR, "#fg-explorer b, #fg-zone-panel b, #fg-search-box b, svg b") == []
    assert len(driver.find_elements(By.TAG_NAME, "script")) == 2
    spans = [s.text for s in driver.find_elements(By.CSS_SELECTOR, "#fg-exc-table .fg-svc")]
    assert QUOTES in spans and SCRIPT_CLOSE in spans
    assert all(s.is_displayed() for s in driver.find_elements(By.CSS_SELECTOR, "#fg-exc-table .fg-svc"))
    _no_alert(driver)
    assert _errors(driver) == []


_WIDEST = """
const vw = document.documentElement.clientWidth;
function scrolls(e) {  // inside a box that scrolls sideways on its own (wide tables)
  for (let p = e.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if ((o === 'auto' || o === 'scroll') && p.getBoundingClientRect().right <= vw + 0.5) return true;
  }
  return false;
}
const bad = [];
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect();
  if (r.width === 0 || scrolls(e)) continue;
  if (r.right > vw + 0.5 || r.left < -0.5) bad.push(e.tagName + '#' + e.id + '.' + e.className + ' ' + r.left + '-' + r.right);
}
return bad;
"""


@pytest.mark.browser
def test_390_and_1400_px_with_everything_open(driver, ipage, tmp_path):
    from selenium.webdriver.common.by import By

    shots = {}
    for width in (1400, 390):
        _open(driver, ipage, width)
        driver.find_element(By.ID, "fg-search").send_keys("pay")
        driver.execute_script("document.querySelector('#fg-map [data-zone=\"c0\"]').dispatchEvent(new Event('click'))")
        for b in driver.find_elements(By.CSS_SELECTOR, "#fg-exc-table button.fg-expand"):
            driver.execute_script("arguments[0].click()", b)
        assert len(driver.find_elements(By.CSS_SELECTOR, "tr.fg-flows")) == 5
        inner = driver.execute_script("return window.innerWidth")
        scroll = driver.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= inner, f"page scrolls sideways at {width}px: {scroll} > {inner}"
        assert driver.execute_script(_WIDEST) == []
        svg = driver.find_element(By.ID, "fg-map")
        wrap = driver.find_element(By.CSS_SELECTOR, "#zone-map .mapwrap")
        assert 0 < wrap.size["width"] <= inner  # the map pans inside its box on a phone
        assert svg.size["width"] == (pytest.approx(wrap.size["width"], abs=1) if width == 1400 else 560)
        driver.execute_script("arguments[0].scrollIntoView()", svg)
        shot = tmp_path / f"interactive-map-{width}.png"
        assert driver.save_screenshot(str(shot))
        driver.execute_script("document.getElementById('fg-explorer').scrollIntoView()")
        shot2 = tmp_path / f"interactive-table-{width}.png"
        assert driver.save_screenshot(str(shot2))
        shots[width] = (shot, shot2)
    assert all(p.stat().st_size > 10_000 for pair in shots.values() for p in pair)


@pytest.mark.browser
def test_page_reads_without_javascript(nojs_driver, ipage):
    from selenium.webdriver.common.by import By

    drv = _open(nojs_driver, ipage)
    assert "js" not in (drv.find_element(By.TAG_NAME, "html").get_attribute("class") or "").split()
    assert drv.find_element(By.ID, "fg-map").is_displayed()  # the map is static SVG
    labels = [t.text for t in drv.find_elements(By.CSS_SELECTOR, "#fg-map .zl")]
    assert labels[:3] == ["payments", "catalog", "accounts"] and "shared services" in labels
    assert not drv.find_element(By.ID, "fg-explorer").is_displayed()
    assert not drv.find_element(By.ID, "fg-search-box").is_displayed()
    static = drv.find_element(By.CSS_SELECTOR, "#exceptions .nojs")
    assert static.is_displayed() and SCRIPT_CLOSE in static.text


def test_page_weight(ipage, tmp_path):
    """The viewer costs a few kB; the rest of the page is the PNG figures."""
    html = ipage.read_text(encoding="utf-8")
    js = len(script_source().encode())
    data = len(html.split('id="fg-data">', 1)[1].split("</script>", 1)[0].encode())
    svg = len(html.split('<svg id="fg-map"', 1)[1].split("</svg>", 1)[0].encode())
    assert 5_000 < js < 30_000 and data < 20_000 and svg < 20_000
    (tmp_path / "weights.json").write_text(json.dumps({"page": len(html.encode()), "js": js, "data": data, "svg": svg}))
