"""Open report.html in headless Chromium: images load and show, the verdict is visible, only the inline script runs."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

def test_report_renders_in_chromium(driver, written, tmp_path):
    from selenium.webdriver.common.by import By

    out, files = written
    driver.get(Path(files["report.html"]).resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    # only the two inline scripts (data + viewer), none from outside; no alert ran (it would fail every call)
    scripts = driver.find_elements(By.TAG_NAME, "script")
    assert [(s.get_dom_attribute("type"), s.get_dom_attribute("src")) for s in scripts] == [
        ("application/json", None), (None, None)]
    assert "js" in driver.find_element(By.TAG_NAME, "html").get_attribute("class").split()
    # the hostile service name is shown as text
    assert "<script>alert(1)</script>" in driver.find_element(By.ID, "evidence").text

    badge = driver.find_element(By.ID, "verdict-badge")
    title = driver.find_element(By.ID, "verdict-title")
    assert badge.is_displayed() and title.is_displayed()
    assert badge.text == "FEASIBLE WITH EXCEPTIONS"  # CSS upper-cases the label
    assert title.text == "Segmentation is feasible with a manageable list of exceptions."
    assert driver.execute_script("return arguments[0].getBoundingClientRect().top", badge) < 300

    driver.execute_script("document.querySelectorAll('details').forEach(function (d) { d.open = true; })")
    images = driver.find_elements(By.TAG_NAME, "img")
    assert len(images) == 8
    for img in images:
        driver.execute_script("arguments[0].scrollIntoView()", img)
        natural = driver.execute_script("return [arguments[0].complete, arguments[0].naturalWidth]", img)
        assert natural[0] and natural[1] > 0, img.get_attribute("alt")
        assert img.is_displayed() and img.size["width"] > 200, img.get_attribute("alt")

    # full-page screenshot: grow the window to the document height
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(int(height) + 120, 16_000))
    shot = tmp_path / "report-full.png"
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 50_000


def test_report_at_390px_and_1400px(driver, written, tmp_path):
    """No page-level horizontal scroll at phone width; caveats sit in the verdict card."""
    from selenium.webdriver.common.by import By

    _, files = written
    shots = {}
    for width in (1400, 390):
        driver.set_window_size(width, 900)
        driver.get(Path(files["report.html"]).resolve().as_uri())
        inner = driver.execute_script("return window.innerWidth")
        scroll = driver.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= inner, f"page scrolls horizontally at {width}px: {scroll} > {inner}"
        caveats = driver.find_element(By.ID, "caveats")
        assert caveats.is_displayed() and caveats.text
        shot = tmp_path / f"report-{width}.png"
        assert driver.save_screenshot(str(shot))
        shots[width] = shot
    assert all(p.stat().st_size > 10_000 for p in shots.values())
