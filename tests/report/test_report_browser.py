"""Open report.html in headless Chromium: images load and show, the verdict is visible, no script runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p and os.path.exists(p)), None)
CHROMEDRIVER = next((p for p in ("/usr/bin/chromedriver", shutil.which("chromedriver")) if p and os.path.exists(p)),
                    None)


@pytest.fixture
def driver(tmp_path, monkeypatch):
    if CHROMIUM is None and CHROMEDRIVER is None:
        pytest.skip("neither chromium nor chromedriver is installed (run tests/setup_system.sh as root)")
    assert CHROMIUM is not None, "chromedriver found but chromium is missing (run tests/setup_system.sh)"
    assert CHROMEDRIVER is not None, "chromium found but chromedriver is missing (run tests/setup_system.sh)"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never download anything
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp_path / 'chrome-profile'}", "--window-size=1280,900"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


def test_report_renders_in_chromium(driver, written, tmp_path):
    from selenium.webdriver.common.by import By

    out, files = written
    driver.get(Path(files["report.html"]).resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    # no script element exists, and none ran (an alert would make every call below fail)
    assert driver.find_elements(By.TAG_NAME, "script") == []
    # the hostile service name is shown as text
    assert "<script>alert(1)</script>" in driver.find_element(By.ID, "evidence").text

    badge = driver.find_element(By.ID, "verdict-badge")
    title = driver.find_element(By.ID, "verdict-title")
    assert badge.is_displayed() and title.is_displayed()
    assert badge.text == "FEASIBLE WITH EXCEPTIONS"  # CSS upper-cases the label
    assert title.text == "Segmentation is feasible with a manageable list of exceptions."
    assert driver.execute_script("return arguments[0].getBoundingClientRect().top", badge) < 300

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
