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


# --- the package's shape: static API, no private imports across subpackages, no cycles ----------

import ast  # noqa: E402
from pathlib import Path  # noqa: E402

PACKAGE = Path(fg.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, module_level_only: bool):
    """(line, target module, imported name) of every ``from X import name`` in ``path``."""
    name = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                yield node.lineno, target, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None


def _subpackage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else ""


def test_all_is_a_literal_list_of_the_eager_and_lazy_names():
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    (assign,) = [n for n in tree.body if isinstance(n, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)]
    names = ast.literal_eval(assign.value)  # raises if __all__ is computed
    assert len(names) == len(set(names)) == 30
    eager = {"__version__", "FlowgraphError", "InputError", "InventoryError", "ConfigError", "MissingDependencyError"}
    assert set(names) == eager | set(fg._LAZY)
    typed = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.If)
             for s in n.body if isinstance(s, ast.ImportFrom) for a in s.names}
    assert typed == set(fg._LAZY)  # what type checkers see under TYPE_CHECKING is the lazy API


def test_no_private_names_or_modules_imported_across_subpackages():
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = _subpackage(_module_name(path))
        for line, target, name in _imports(path, module_level_only=False):
            if not target.startswith("flowgraph") or (here and _subpackage(target) == here):
                continue
            tail = target.split(".")[2:] if _subpackage(target) else []
            private_module = any(part.startswith("_") for part in tail)
            private_name = name is not None and name.startswith("_") and name != "__version__"
            if _subpackage(target) and (private_module or private_name):
                offences.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {target} import {name}")
    assert offences == []


def test_no_import_cycles_between_modules():
    import networkx as nx

    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    for module, path in modules.items():
        graph.add_node(module)
        for _line, target, name in _imports(path, module_level_only=True):
            dest = f"{target}.{name}" if f"{target}.{name}" in modules else target
            # a submodule importing names from its own package's __init__ is the package's business
            if dest in modules and dest != module and not module.startswith(dest + "."):
                graph.add_edge(module, dest)
    assert graph.number_of_edges() > 100  # the scan sees the package's imports
    assert list(nx.simple_cycles(graph)) == []


def test_one_default_algorithm_everywhere():
    """detect_communities, stability, sweep, null model, assess and the CLI option agree."""
    import inspect

    from flowgraph._options import AnalysisConfig
    from flowgraph.assessment.nullmodel import null_model_test
    from flowgraph.communities import (
        DEFAULT_ALGORITHM,
        detect_communities,
        resolution_sweep,
        seed_stability,
    )

    assert DEFAULT_ALGORITHM == "leiden"
    for fn in (detect_communities, seed_stability, resolution_sweep, null_model_test, fg.assess):
        assert inspect.signature(fn).parameters["algorithm"].default == DEFAULT_ALGORITHM, fn
    assert AnalysisConfig().algorithm == DEFAULT_ALGORITHM
