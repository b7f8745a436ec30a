"""Fixtures of the assessment tests (helpers live in ``_assess_helpers.py``)."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import pytest
from _assess_helpers import planted_graph, service_graph_from_nx

from flowgraph.graph import ServiceGraph


@pytest.fixture
def to_service_graph() -> Callable[..., ServiceGraph]:
    """``to_service_graph(G)``: nx.Graph with a ``block`` node attribute → ServiceGraph."""
    return service_graph_from_nx


@pytest.fixture
def planted() -> Callable[..., nx.Graph]:
    """``planted(mu)``: stochastic block model with expected cross-block share ``mu``."""
    return planted_graph
