"""Public plotting functions for flowgraph results.

Each function takes a result — a built report (``report.json`` content), or an
:class:`~flowgraph.assessment.Assessment` / its ``to_dict()`` together with the
:class:`~flowgraph.graph.ServiceGraph` it came from — and an optional
matplotlib ``ax`` to draw into, and returns the ``Axes`` it drew on (``None``
when the result has no data for that figure).  They are the same drawings as
the report's static figures (``flowgraph.report.figures``), so a notebook and
the report show the same picture.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import matplotlib.pyplot as plt
>>> from flowgraph import plot
>>> report = {"verdict": "marginal", "metrics": {"modularity": 0.5, "cross_community_edge_ratio": 0.3},
...           "null_model": {"modularity": [0.20, 0.22, 0.21], "cross_ratio": [0.6, 0.62, 0.61]}}
>>> fig, ax = plt.subplots()
>>> axes = plot.null_model(report, ax=ax)
>>> [a.get_xlabel() for a in axes]
['modularity', 'μ']
>>> plot.cost_curve(report) is None  # no cost curve in this result
True
>>> plt.close("all")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..report import figures as _fig

__all__ = [
    "as_report", "community_map", "heatmap", "cost_curve", "null_model", "resolution_sweep",
    "data_quality", "community_exceptions", "shared_zone", "declared_vs_detected",
]


def as_report(result: Any, graph: Any = None) -> Mapping:
    """The report dict of ``result``: a report as is, else ``build_report(result, graph)``.

    Parameters
    ----------
    result : mapping or Assessment
        A built report (has ``schema_version``), an ``Assessment`` or its ``to_dict()``.
    graph : ServiceGraph, optional
        Needed when ``result`` is an assessment.
    """
    if isinstance(result, Mapping) and ("schema_version" in result or graph is None):
        return result
    if graph is None:
        from ..exceptions import ConfigError

        raise ConfigError("plotting an Assessment needs its ServiceGraph: pass graph=")
    from ..report import build_report

    return build_report(result, graph)


def _draw(fn: Callable, result: Any, ax: Any, graph: Any) -> Any:
    report = as_report(result, graph)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    fig = ax.figure
    before = list(fig.axes)
    token = _fig._TARGET.set(ax)
    try:
        drawn = fn(report)
    finally:
        _fig._TARGET.reset(token)
    if drawn is None:
        return None
    if ax in fig.axes:  # drawn into ax (a colorbar or twin axis may have been added beside it)
        return ax
    return [a for a in fig.axes if a not in before]  # ax split into panels


def community_map(result: Any, ax: Any = None, *, graph: Any = None) -> Any:
    """Zones as bubbles (size = services), links = exceptions between zones.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> community_map({"communities": []}) is None
    True
    """
    return _draw(_fig.community_map, result, ax, graph)


def heatmap(result: Any, ax: Any = None, *, graph: Any = None) -> Any:
    """Zone × zone matrix of talking pairs (diagonal = inside a zone)."""
    return _draw(_fig.community_heatmap, result, ax, graph)


def cost_curve(result: Any, ax: Any = None, *, graph: Any = None) -> Any:
    """Exceptions against isolation per candidate partition, with the rewired null band.

    Needs ``cost_curve`` in the assessment; returns ``None`` without it.
    """
    return _draw(_fig.cost_curve, result, ax, graph)


def null_model(result: Any, ax: Any = None, *, graph: Any = None) -> Any:
    """Modularity and μ of rewired graphs against the observed values (two panels in ``ax``)."""
    return _draw(_fig.null_model, result, ax, graph)


def resolution_sweep(result: Any, ax: Any = None, *, graph: Any = None) -> Any:
    """Zones and μ across the resolution sweep, chosen resolution marked."""
    return _draw(_fig.resolution_sweep, result, ax, graph)


def data_quality(result: Any, ax: Any = None, *, graph: Any = None) -> Any:
    """Traffic by endpoint class (service, internet, AWS service, unknown)."""
    return _draw(_fig.traffic_by_class, result, ax, graph)


def community_exceptions(result: Any, ax: Any = None, *, graph: Any = None) -> Any:
    """Exceptions per zone."""
    return _draw(_fig.community_exceptions, result, ax, graph)


def shared_zone(result: Any, ax: Any = None, *, graph: Any = None) -> Any:
    """Reach of each shared-zone service."""
    return _draw(_fig.shared_zone, result, ax, graph)


def declared_vs_detected(result: Any, ax: Any = None, *, graph: Any = None) -> Any:
    """Declared domains against detected zones."""
    return _draw(_fig.declared_vs_detected, result, ax, graph)
