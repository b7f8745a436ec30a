"""Fixtures shared by every test directory (keep this file small and generic)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = REPO.parent / "shared" / "conformance"
"""The shared conformance corpus (``<repo>/../shared/conformance``); may be absent."""

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
"""Under CI (``CI=true``) the corpus must be there: its absence fails instead of skipping."""

NO_CORPUS = (f"conformance corpus not found at {CONFORMANCE} (a clone without ../shared); "
             "the suite's own records cover every format, and CI (CI=true) runs these tests")
"""The one reason every corpus-based test skips with."""


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """Turn "the corpus is absent" at a test module's import into a skip with :data:`NO_CORPUS`.

    Some modules parametrise over the corpus manifest at import time; without
    ``../shared`` they raise ``FileNotFoundError``.  Outside CI that is a skip
    with one reason; under ``CI=true`` it stays a collection error.
    """
    report = yield
    if report.failed and not IN_CI and isinstance(collector, pytest.Module):
        if not CONFORMANCE.is_dir() and "FileNotFoundError: conformance corpus not found" in str(report.longrepr):
            report.outcome = "skipped"
            report.longrepr = (str(collector.path), 0, f"Skipped: {NO_CORPUS}")
            report.result = []
    return report


def pytest_ignore_collect(collection_path: Path, config):
    """Do not collect ``conftest.py`` files as doctest modules.

    ``--doctest-modules`` (set in pyproject.toml) would import every
    ``conftest.py`` as a module named ``conftest``; two test directories with
    their own ``conftest.py`` then fail with "import file mismatch".  Pytest
    still loads them as conftests.
    """
    if collection_path.name == "conftest.py":
        return True
    return None


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """Path of the conformance corpus (``../shared/conformance`` beside the repo).

    Absent (a user's clone): the test skips with :data:`NO_CORPUS`.  Absent under
    ``CI=true``: the test fails, so CI always proves the corpus tests ran.
    """
    if not CONFORMANCE.is_dir():
        if IN_CI:
            pytest.fail(f"conformance corpus not found at {CONFORMANCE} and CI=true: "
                        "CI must check out ../shared beside the repo")
        pytest.skip(NO_CORPUS)
    return CONFORMANCE


@pytest.fixture(scope="session")
def s3_server():
    """A moto S3 server on 127.0.0.1 (free port) with dummy credentials in the environment.

    Yields the options dict for ``scan_flows(..., s3=...)`` /
    :class:`pyarrow.fs.S3FileSystem`: ``endpoint_override`` (``host:port``),
    ``scheme``, ``region``, ``access_key``, ``secret_key``, plus
    ``endpoint_url`` (``http://host:port``, for boto3; drop it before passing
    the dict to pyarrow directly).  Create buckets with
    ``boto3.client("s3", endpoint_url=opts["endpoint_url"])``.
    """
    from moto import server as moto_server  # the `test` extra installs moto[server]
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }.items():
            mp.setenv(name, value)
        mp.delenv("AWS_PROFILE", raising=False)
        server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield {
                "endpoint_override": f"{host}:{port}",
                "scheme": "http",
                "region": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "endpoint_url": f"http://{host}:{port}",
            }
        finally:
            server.stop()
