"""Step 3 of the pipeline: resolved flow records -> edge table -> service graph."""

from .aggregate import Aggregation, aggregate
from .build import build_graph, graph_from_batches
from .service_graph import (
    EDGE_COLUMNS,
    NODE_COLUMNS,
    NODE_KINDS,
    SAMPLE_COLUMNS,
    WEIGHTS,
    ServiceGraph,
)
from .windows import TimeWindows, choose_windows

__all__ = [
    "ServiceGraph", "build_graph", "graph_from_batches", "aggregate", "Aggregation",
    "EDGE_COLUMNS", "NODE_COLUMNS", "NODE_KINDS", "SAMPLE_COLUMNS", "WEIGHTS", "TimeWindows", "choose_windows",
]
