"""Shared fixtures for the report tests: the fake estate, written once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowgraph.report import build_report, write_report

from .fixtures import fake_case

GENERATED_AT = "2024-06-01T12:00:00Z"


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
