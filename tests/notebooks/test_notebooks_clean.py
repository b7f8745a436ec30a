"""The notebooks in ``notebooks/`` are the user guide: they are committed clean and read as a guided analysis.

Every notebook must be committed

* without outputs, execution counts or execution timing metadata (the repository holds the
  text; running it is what ``pytest --nbmake notebooks/`` and JupyterLab are for);
* with the ``python3`` kernelspec;
* opening with a Markdown cell — a title and the question the notebook answers;
* closing with a Markdown cell that says what was learned.

These checks read the ``.ipynb`` JSON directly, so they need neither Jupyter nor a kernel.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_guide_has_notebooks():
    assert NOTEBOOKS, f"no notebook found in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path):
    nb = _load(path)
    dirty = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            dirty.append(f"cell {i}: has outputs")
        if cell.get("execution_count") is not None:
            dirty.append(f"cell {i}: execution_count {cell['execution_count']}")
        if "execution" in cell.get("metadata", {}):
            dirty.append(f"cell {i}: execution timing metadata")
    assert not dirty, (f"{path.name} is committed with execution results ({'; '.join(dirty)}); "
                       "clear them: jupyter nbconvert --clear-output --inplace " + path.name)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_python3_kernelspec(path: Path):
    spec = _load(path).get("metadata", {}).get("kernelspec", {})
    assert spec.get("name") == "python3", f"{path.name}: kernelspec name is {spec.get('name')!r}, not 'python3'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_with_the_question(path: Path):
    cells = _load(path)["cells"]
    assert cells, f"{path.name} has no cells"
    first = cells[0]
    text = _source(first)
    assert first.get("cell_type") == "markdown", f"{path.name}: the first cell must be Markdown"
    assert re.match(r"\s*#\s+\S", text), f"{path.name}: the first cell must start with a '# ' title"
    assert re.search(r"\bquestion\b", text, re.IGNORECASE) and "?" in text, (
        f"{path.name}: the first cell must state the question the notebook answers (a sentence ending in '?')")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_closes_with_what_was_learned(path: Path):
    last = _load(path)["cells"][-1]
    assert last.get("cell_type") == "markdown", f"{path.name}: the last cell must be Markdown"
    assert re.search(r"^\s*#+\s*what we learned", _source(last), re.IGNORECASE | re.MULTILINE), (
        f"{path.name}: the last cell must be a 'What we learned' section")
