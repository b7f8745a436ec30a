"""Import optional dependencies with a helpful message when they are missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from .exceptions import MissingDependencyError

__all__ = ["import_optional"]


def import_optional(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra.

    Examples
    --------
    >>> import_optional("json", extra="none", purpose="testing").__name__
    'json'
    >>> import_optional("no_such_module_xyz", extra="spark", purpose="the Spark engine")
    Traceback (most recent call last):
    ...
    flowgraph.exceptions.MissingDependencyError: the Spark engine needs the optional 'spark' extra: pip install 'flowgraph[spark]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the optional '{extra}' extra: pip install 'flowgraph[{extra}]'"
        ) from exc
