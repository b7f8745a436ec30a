"""The bundled sample: reproducible from the documented call, and in the promised shape."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from flowgraph.synth import SAMPLE_PARAMS, sample_estate, write_sample

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def estate():
    return sample_estate()


def test_sample_regenerates_identically(tmp_path):
    out = tmp_path / "sample"
    write_sample(out)
    fresh, committed = _files(out), _files(SAMPLE)
    assert sorted(fresh) == sorted(committed), "file set differs from data/sample: rerun write_sample"
    for rel, path in fresh.items():
        new, old = path.read_bytes(), committed[rel].read_bytes()
        if new == old:
            continue
        if rel.endswith(".gz"):  # a different zlib build may compress differently
            assert gzip.decompress(new) == gzip.decompress(old), rel
        else:
            pytest.fail(f"{rel} differs from the committed sample")


def test_sample_size_limits():
    files = _files(SAMPLE)
    sizes = [p.stat().st_size for p in files.values()]
    assert max(sizes) < 5 * 2**20
    assert sum(sizes) < 6 * 10**6
    assert "README.md" in files and "inventory.csv" in files


def test_sample_is_in_the_grey_zone(estate):
    t = estate.truth
    business = [d for d in t.domains if d != "platform"]
    assert 10 <= len(business) <= 15
    assert 150 <= len(t.service_domain) <= 250
    assert 0.25 <= t.mu <= 0.35
    realised = list(t.realised_mu.values())
    assert sum(m <= 0.1 for m in realised) >= 3
    assert sum(m >= 0.4 for m in realised) >= 3
    assert len(t.shared_services) >= 5
    assert 100_000 <= estate.records().num_rows <= 300_000
    assert estate.params == {**SAMPLE_PARAMS, "domain_mu": SAMPLE_PARAMS["domain_mu"]}


def test_sample_readme_states_the_call():
    text = (SAMPLE / "README.md").read_text()
    assert 'write_sample("data/sample", overwrite=True)' in text
    assert "python -m flowgraph.synth data/sample --sample --overwrite" in text
