"""Shared fixtures for the report tests: the fake estate, written once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from flowgraph.report import build_report, write_report

from .fixtures import fake_case

GENERATED_AT = "2024-06-01T12:00:00Z"

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p and os.path.exists(p)), None)
CHROMEDRIVER = next((p for p in ("/usr/bin/chromedriver", shutil.which("chromedriver")) if p and os.path.exists(p)),
                    None)


def _chrome(profile: Path, monkeypatch, *, javascript: bool = True):
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
                f"--user-data-dir={profile}", "--window-size=1280,900"):
        opts.add_argument(arg)
    if not javascript:
        opts.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP violations and script errors
    drv = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    drv.set_page_load_timeout(60)
    return drv


@pytest.fixture
def driver(tmp_path, monkeypatch):
    """Headless Chromium (JavaScript on), offline."""
    drv = _chrome(tmp_path / "chrome-profile", monkeypatch)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture
def nojs_driver(tmp_path, monkeypatch):
    """Headless Chromium with JavaScript switched off."""
    drv = _chrome(tmp_path / "chrome-profile-nojs", monkeypatch, javascript=False)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="session")
def case():
    """(assessment dict, graph) of the benign fake estate."""
    return fake_case()


@pytest.fixture(scope="session")
def hostile_case():
    """(assessment dict, graph) with a <script> service, a =HYPERLINK service and a hostile domain."""
    return fake_case(hostile=True)


@pytest.fixture(scope="session")
def report(case):
    a, g = case
    return build_report(a, g, generated_at=GENERATED_AT)


@pytest.fixture(scope="session")
def written(hostile_case, tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """The full report of the hostile estate, written once: (out_dir, files)."""
    a, g = hostile_case
    out = tmp_path_factory.mktemp("report")
    files = write_report(a, g, out, generated_at=GENERATED_AT,
                         inputs={"logs": ["s3://bucket/AWSLogs/"], "inventory": "inventory.csv"})
    return out, files
