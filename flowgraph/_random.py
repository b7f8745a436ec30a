"""One seed policy for every random step (the role of networkx's ``py_random_state``).

Every public function with a ``seed`` parameter is decorated with :func:`seeded`,
which turns the caller's value into one concrete integer *before* the function
runs:

* an integer ``0 <= seed < 2**32`` is used as given — the same seed gives the same
  numbers on every machine and whatever optional extras are installed;
* ``None`` draws a fresh seed from the operating system's entropy, once, at the
  public call.  The drawn integer is what every inner step receives (detection runs
  ``seed, seed + 1, …``, rewired graph ``i`` from ``SeedSequence([seed, 7919, i])``,
  igraph under a private ``random.Random(seed)``) and what the result records, so a
  ``None`` run is random *and* can be repeated from its recorded seed;
* anything else (a negative or too large integer, a bool, a float, a string) is a
  :class:`~flowgraph.exceptions.ConfigError` naming the value.

Inner functions therefore take ``seed: int`` and never see ``None``.

Examples
--------
>>> @seeded("seed")
... def draw(n, seed=0):
...     return seed
>>> draw(3, seed=7)
7
>>> draw(3)
0
>>> 0 <= draw(3, seed=None) < 2**32
True
>>> draw(3, seed=-1)
Traceback (most recent call last):
...
flowgraph.exceptions.ConfigError: seed must be an integer between 0 and 4294967295 or None, not -1
"""

from __future__ import annotations

import functools
import inspect
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from .exceptions import ConfigError

__all__ = ["SEED_MAX", "check_seed", "resolve_seed", "resolved", "seeded"]

SEED_MAX = 2**32 - 1
"""The largest seed (numpy's legacy ``RandomState`` and igraph accept 32-bit seeds)."""

F = TypeVar("F", bound=Callable[..., Any])


def check_seed(seed: object) -> None:
    """Raise :class:`ConfigError` unless ``seed`` is ``None`` or an integer in ``0..SEED_MAX``.

    >>> check_seed(None); check_seed(0); check_seed(np.int64(5))
    >>> check_seed(True)
    Traceback (most recent call last):
    ...
    flowgraph.exceptions.ConfigError: seed must be an integer between 0 and 4294967295 or None, not True
    """
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) <= SEED_MAX:
        raise ConfigError(f"seed must be an integer between 0 and {SEED_MAX} or None, not {seed!r}")


def resolve_seed(seed: object) -> int:
    """The integer a run uses: ``seed`` itself, or a fresh one from OS entropy when it is ``None``.

    >>> resolve_seed(42)
    42
    >>> isinstance(resolve_seed(None), int)
    True
    """
    check_seed(seed)
    if seed is None:
        return secrets.randbits(32)
    assert isinstance(seed, int | np.integer)  # checked above
    return int(seed)


def resolved(seed: int | None) -> int:
    """``seed`` inside a :func:`seeded` function, typed as the integer it always is there.

    >>> resolved(7)
    7
    >>> resolved(None)
    Traceback (most recent call last):
    ...
    RuntimeError: a seed reached an inner step unresolved; the public function must be @seeded
    """
    if seed is None:
        raise RuntimeError("a seed reached an inner step unresolved; the public function must be @seeded")
    return int(seed)


def seeded(name: str = "seed") -> Callable[[F], F]:
    """Decorator: resolve the argument ``name`` with :func:`resolve_seed` before the call.

    The decorated function keeps its signature, docstring and defaults; the argument
    may be passed by position or keyword, or left at its default.

    >>> @seeded()
    ... def f(*, seed=None):
    ...     return type(seed).__name__
    >>> f(), f(seed=3)
    ('int', 'int')
    """

    def decorate(func: F) -> F:
        sig = inspect.signature(func)
        if name not in sig.parameters:
            raise TypeError(f"{func.__qualname__} has no parameter {name!r}")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            bound.arguments[name] = resolve_seed(bound.arguments[name])
            return func(*bound.args, **bound.kwargs)

        return cast(F, wrapper)

    return decorate
