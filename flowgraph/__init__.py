"""flowgraph — can this cloud estate be strictly segmented?

The pipeline, one subpackage per step, data flowing one way::

    read  ->  resolve  ->  graph  ->  communities  ->  assessment  ->  report

Everything listed in ``__all__`` is the public API; the rest is private and may
change.  Submodules are imported on first use, so ``import flowgraph`` is cheap.

Examples
--------
>>> import flowgraph as fg
>>> fg.column_name("log-status")
'log_status'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__
from .exceptions import (
    ConfigError,
    FlowgraphError,
    InputError,
    InventoryError,
    MissingDependencyError,
)

# Nothing heavy is imported here (pyarrow, pandas, networkx arrive on first use), so the
# console script reaches its Ctrl-C handler almost at once.
_LAZY = {
    "CANONICAL_SCHEMA": "flowgraph.read.fields", "column_name": "flowgraph.read.fields",
    # assess
    "assess": "flowgraph.assessment", "Assessment": "flowgraph.assessment", "Thresholds": "flowgraph.assessment",
    # read
    "scan_flows": "flowgraph.read", "read_flows": "flowgraph.read", "summarize_flows": "flowgraph.read",
    "ReadSummary": "flowgraph.read", "epoch_to_datetime": "flowgraph.read", "parse_object_key": "flowgraph.read",
    # resolve
    "load_inventory": "flowgraph.resolve", "Inventory": "flowgraph.resolve", "Resolver": "flowgraph.resolve",
    # graph
    "build_graph": "flowgraph.graph", "graph_from_batches": "flowgraph.graph",
    "ServiceGraph": "flowgraph.graph", "aggregate": "flowgraph.graph",
    # communities
    "detect_communities": "flowgraph.communities", "Partition": "flowgraph.communities",
    # report
    "build_report": "flowgraph.report", "write_report": "flowgraph.report",
    # whole pipeline
    "analyze": "flowgraph.pipeline", "AnalysisConfig": "flowgraph.pipeline",
}

# A literal list, so type checkers and IDEs see the API without running the module;
# tests/test_public_api.py checks it is exactly the eager names plus the keys of _LAZY.
__all__ = [
    "__version__", "FlowgraphError", "InputError", "InventoryError", "ConfigError", "MissingDependencyError",
    "CANONICAL_SCHEMA", "column_name",
    "assess", "Assessment", "Thresholds",
    "scan_flows", "read_flows", "summarize_flows", "ReadSummary", "epoch_to_datetime", "parse_object_key",
    "load_inventory", "Inventory", "Resolver",
    "build_graph", "graph_from_batches", "ServiceGraph", "aggregate",
    "detect_communities", "Partition",
    "build_report", "write_report",
    "analyze", "AnalysisConfig",
]

if TYPE_CHECKING:  # pragma: no cover
    from .assessment import Assessment, Thresholds, assess  # noqa: F401
    from .communities import Partition, detect_communities  # noqa: F401
    from .graph import ServiceGraph  # noqa: F401
    from .graph.aggregate import aggregate  # noqa: F401
    from .graph.build import build_graph, graph_from_batches  # noqa: F401
    from .pipeline import AnalysisConfig, analyze  # noqa: F401
    from .read import (  # noqa: F401
        ReadSummary,
        epoch_to_datetime,
        parse_object_key,
        read_flows,
        scan_flows,
        summarize_flows,
    )
    from .read.fields import CANONICAL_SCHEMA, column_name  # noqa: F401
    from .report import build_report, write_report  # noqa: F401
    from .resolve import Inventory, Resolver, load_inventory  # noqa: F401


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flowgraph' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
