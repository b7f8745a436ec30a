"""Step 3 of the pipeline: resolved flow records -> edge table -> service graph."""

from .service_graph import EDGE_COLUMNS, NODE_COLUMNS, NODE_KINDS, WEIGHTS, ServiceGraph

__all__ = ["ServiceGraph", "EDGE_COLUMNS", "NODE_COLUMNS", "NODE_KINDS", "WEIGHTS"]
