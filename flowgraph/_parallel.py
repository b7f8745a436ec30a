"""Run independent tasks sequentially or in worker processes (internal).

Results never depend on ``n_jobs``: every task carries its own seed, and
results come back in task order.  Workers are loky processes (joblib's
process pool, installed with scikit-learn): fresh interpreters, never
forked — the pipeline that calls the assessment may hold thread pools
(polars, DuckDB, Arrow) and forking a multi-threaded process can deadlock —
and, unlike ``multiprocessing``'s spawn start method, they do not re-run
the caller's ``__main__``: a plain script without an
``if __name__ == "__main__":`` guard works at any size.  One :class:`Workers` pool can serve many calls (the
assessment opens one for all its steps); every task carries the shared
object (the graph arrays, ~1.5 MB at 10,000 services) and a token, and a
worker keeps its cached copy — with the networkx / igraph graph built from
it — for as long as the token does not change.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from typing import Any

__all__: list[str] = []

AUTO_PARALLEL_EDGES = 20_000
"""With ``n_jobs=None``, graphs with at least this many edges use every available core."""

_TOKEN: int | None = None
_SHARED: Any = None
_COUNTER = itertools.count(1)


def _call(args: tuple[int, Any, Callable[[Any, Any], Any], Any]) -> Any:
    global _TOKEN, _SHARED
    token, shared, func, item = args
    if token != _TOKEN:
        _TOKEN, _SHARED = token, shared
    return func(_SHARED, item)


def _token_of(shared: Any) -> int:
    """A token for ``shared``: the same object keeps its token across calls (internal).

    Workers then keep their cached copy — and the igraph / networkx graph
    built from it — from one call to the next (the trade-off grid, its
    extensions, stability and bootstrap all map over the same arrays).
    Shared objects are treated as immutable.  Objects that take no
    attributes (lists) get a new token per call.
    """
    token = getattr(shared, "_parallel_token", None)
    if token is None:
        token = next(_COUNTER) + (os.getpid() << 32)
        try:
            shared._parallel_token = token
        except AttributeError:
            pass
    return int(token)


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def effective_jobs(n_jobs: int | None, edges: int = 0) -> int:
    """Worker count: ``None`` → all cores for graphs with ≥ 20,000 edges, else 1; negative → cores + 1 + n."""
    if n_jobs is None:
        return available_cores() if edges >= AUTO_PARALLEL_EDGES else 1
    if n_jobs < 0:
        return max(1, available_cores() + 1 + n_jobs)
    return max(1, int(n_jobs))


class Workers:
    """A lazily started pool of spawned worker processes (context manager)."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, int(jobs))
        self._pool: Any = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(terminate=exc_type is not None)

    def close(self, *, terminate: bool = False) -> None:
        """Release the workers (``terminate``: kill them, e.g. after an error or Ctrl-C).

        Otherwise loky keeps the idle processes for the next call and stops
        them after 300 s without work.
        """
        if self._pool is not None:
            if terminate:
                self._pool.shutdown(wait=False, kill_workers=True)
            self._pool = None

    def map(self, func: Callable[[Any, Any], Any], items: list[Any], shared: Any,
            progress: Callable[[int, int], None] | None = None) -> list[Any]:
        total = len(items)
        if self.jobs <= 1 or total <= 1:
            out = []
            for i, item in enumerate(items):
                out.append(func(shared, item))
                if progress is not None:
                    progress(i + 1, total)
            return out
        if self._pool is None:
            from joblib.externals.loky import get_reusable_executor

            self._pool = get_reusable_executor(max_workers=self.jobs)
        token = _token_of(shared)
        out = []
        args = [(token, shared, func, it) for it in items]
        for i, res in enumerate(self._pool.map(_call, args)):
            out.append(res)
            if progress is not None:
                progress(i + 1, total)
        return out


def parallel_map(
    func: Callable[[Any, Any], Any],
    items: Iterable[Any],
    *,
    shared: Any,
    n_jobs: int | None | Workers = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """``[func(shared, item) for item in items]``, in worker processes when asked to.

    ``n_jobs`` may be a worker count (``None``: automatic, see
    :func:`effective_jobs`) or an open :class:`Workers` pool to reuse.
    """
    items = list(items)
    if isinstance(n_jobs, Workers):
        return n_jobs.map(func, items, shared, progress)
    jobs = min(effective_jobs(n_jobs, int(getattr(shared, "m", 0) or 0)), len(items))
    with Workers(jobs) as workers:
        return workers.map(func, items, shared, progress)
