"""flowgraph.plot draws the report's figures into the caller's axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from flowgraph import plot  # noqa: E402
from flowgraph.report.figures import make_figures  # noqa: E402

COST = {"observed": [
    {"method": "leiden", "resolution": r, "zones": z, "rho": rho, "exception_rules": n, "isolation": iso,
     "largest_zone_share": 1 - iso, "chosen": r == 1.0}
    for r, z, rho, n, iso in ((0.5, 2, 0.10, 4, 0.40), (1.0, 3, 0.25, 7, 0.62), (2.0, 5, 0.45, 12, 0.80))],
    "null_band": [{"isolation": i, "rho_lo": lo, "rho_hi": hi}
                  for i, lo, hi in ((0.4, 0.30, 0.40), (0.62, 0.50, 0.60), (0.8, 0.65, 0.75))]}


@pytest.mark.parametrize("fn", [plot.community_map, plot.heatmap, plot.resolution_sweep,
                                plot.data_quality, plot.community_exceptions, plot.shared_zone])
def test_each_plot_draws_into_the_given_axes(report, fn):
    fig, ax = plt.subplots()
    out = fn(report, ax=ax)
    assert out is ax
    assert ax.has_data() or ax.patches or ax.images or ax.collections, fn.__name__
    assert ax.get_title() or ax.get_xlabel() or ax.get_ylabel()
    plt.close(fig)


def test_plot_takes_an_assessment_with_its_graph(case):
    a, g = case
    fig, ax = plt.subplots()
    assert plot.community_map(a, ax=ax, graph=g) is ax and ax.has_data()
    plt.close(fig)


def test_cost_curve_plot_and_report_figure(report):
    r = dict(report, cost_curve=COST)
    fig, ax = plt.subplots()
    assert plot.cost_curve(r, ax=ax) is ax
    by_label = {ln.get_label(): ln for ln in ax.lines}
    points = by_label["this estate, one point per partition"]
    assert list(points.get_xdata()) == [0.40, 0.62, 0.80] and list(points.get_ydata()) == [0.10, 0.25, 0.45]
    front = by_label["frontier: least cost for that isolation"]
    assert list(front.get_xdata()) == [0.40, 0.62, 0.80]
    bars = [ln for ln in ax.lines if list(ln.get_xdata())[:1] * 2 == list(ln.get_xdata())]
    assert [list(b.get_ydata()) for b in bars] == [[0.30, 0.40], [0.50, 0.60], [0.65, 0.75]]
    assert "chosen: 3 zones, 7 exception rules" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)
    # a partition that costs more than one isolating more is off the frontier
    dominated = dict(COST, observed=[*COST["observed"], {"resolution": 3.0, "zones": 4, "rho": 0.5,
                                                         "isolation": 0.7, "chosen": False}])
    fig, ax = plt.subplots()
    plot.cost_curve(dict(report, cost_curve=dominated), ax=ax)
    front = {ln.get_label(): ln for ln in ax.lines}["frontier: least cost for that isolation"]
    assert list(front.get_xdata()) == [0.40, 0.62, 0.80]
    plt.close(fig)
    assert plot.cost_curve(report) is None  # absent from this assessment
    names = [f.name for f in make_figures(r)]
    assert "cost-curve" in names and "cost-curve" not in [f.name for f in make_figures(report)]
