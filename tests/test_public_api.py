"""The public API in ``flowgraph/__init__.py``: every name resolves, imports stay lazy."""

from __future__ import annotations

import subprocess
import sys

import pytest

import flowgraph as fg


def _in_fresh_interpreter(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def test_every_public_name_resolves():
    for name in fg.__all__:
        assert getattr(fg, name) is not None, name
    assert set(fg.__all__) <= set(dir(fg))


def test_assess_is_the_function_and_assessment_the_subpackage():
    code = (
        "import flowgraph as fg, flowgraph.assessment.verdict, flowgraph.report\n"
        "import flowgraph.assessment.nullmodel\n"
        "from flowgraph.assessment import assess\n"
        "print(callable(fg.assess), fg.assess is assess, type(fg.Thresholds()).__name__)"
    )
    assert _in_fresh_interpreter(code) == "True True Thresholds"


def test_reading_and_graph_building_do_not_import_the_analysis_stack():
    code = (
        "import sys\n"
        "import flowgraph\n"
        "from flowgraph.graph import build_graph\n"
        "from flowgraph.read import read_flows\n"
        "heavy = ['sklearn', 'scipy', 'matplotlib', 'flowgraph.assessment', 'flowgraph.report', 'pyspark']\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert _in_fresh_interpreter(code) == "[]"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        fg.no_such_thing  # noqa: B018
