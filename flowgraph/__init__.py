"""flowgraph — can this cloud estate be strictly segmented?

The pipeline, one subpackage per step, data flowing one way::

    read  ->  resolve  ->  graph  ->  communities  ->  assess  ->  report

Public API (everything else is private and may change):
"""

from ._version import __version__
from .exceptions import (
    ConfigError,
    FlowgraphError,
    InputError,
    InventoryError,
    MissingDependencyError,
)
from .graph import ServiceGraph

__all__ = [
    "__version__",
    "FlowgraphError",
    "InputError",
    "InventoryError",
    "ConfigError",
    "MissingDependencyError",
    "ServiceGraph",
]
