"""The few exceptions flowgraph raises on purpose.

Every error a user can cause with bad input derives from :class:`FlowgraphError`
and carries one plain sentence; the CLI prints that sentence and exits non-zero
without a traceback.
"""

from __future__ import annotations

__all__ = [
    "FlowgraphError",
    "InputError",
    "InventoryError",
    "MissingDependencyError",
    "ConfigError",
    "UsageError",
]


class FlowgraphError(Exception):
    """Base class of every error flowgraph raises deliberately."""


class InputError(FlowgraphError):
    """The flow-log input is unusable (empty, not a flow log, unreadable)."""


class InventoryError(FlowgraphError):
    """The inventory cannot be used (missing column, unreadable file)."""


class ConfigError(FlowgraphError):
    """A parameter or configuration file is invalid."""


class MissingDependencyError(FlowgraphError, ImportError):
    """An optional extra is needed for the requested feature."""


class UsageError(ConfigError):
    """The command line is incomplete (exit code 2, as argparse's usage errors)."""
