"""The report's figures, drawn from the report dict alone (PNG bytes).

Figures are drawn with matplotlib's object-oriented API on an explicit Agg
canvas (:class:`matplotlib.figure.Figure` + ``FigureCanvasAgg``): no pyplot,
no global backend switch (so importing flowgraph in a notebook does not
change its plotting backend), nothing to leak — each figure is cleared after
saving.  Untrusted names only ever become pixels; ``$`` is escaped so a name
cannot trigger matplotlib's math parser.

Every figure has a title, a one-sentence caption saying what to read from it,
and alternative text.

Examples
--------
>>> label("pay $x$ api-with-a-really-long-name-indeed", 20)
'pay \\\\$x\\\\$ api-with-a-…'
>>> figs = make_figures({"communities": [{"id": 0, "services": ["a", "b"], "internal_edges": 1,
...     "external_edges": 0}], "flows": {}})
>>> [f.name for f in figs], figs[0].png[:4] == b"\\x89PNG"
(['community-map', 'community-exceptions'], True)
"""

from __future__ import annotations

import contextvars
import io
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

from ._util import fmt_pct

__all__ = ["Figure", "FIGURES", "label", "make_figures"]

log = logging.getLogger(__name__)

BLUE = "#2563eb"
ORANGE = "#ea580c"
PURPLE = "#7c3aed"
GREY = "#9ca3af"
DARK = "#1f2937"
RED = "#dc2626"
GREEN = "#16a34a"
CLASS_COLORS = {"service": BLUE, "internet": ORANGE, "aws-service": "#0891b2", "unknown": RED}
DPI = 110
MAX_GROUPS = 20  # communities / domains shown individually; the rest become "other"
MAX_LINKS = 40  # heaviest cross-community links drawn on the community map

_RC: dict[RcKeyType, Any] = {
    "font.size": 9.5, "axes.titlesize": 11, "axes.titleweight": "bold", "axes.labelsize": 9.5,
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#6b7280",
    "axes.labelcolor": DARK, "xtick.color": "#374151", "ytick.color": "#374151",
    "axes.grid": False, "grid.color": "#e5e7eb", "legend.frameon": False,
}


@dataclass(frozen=True)
class Figure:
    """One rendered figure: file stem, title, caption, alt text and PNG bytes."""

    name: str
    title: str
    caption: str
    alt: str
    png: bytes


def label(text: object, max_len: int = 28) -> str:
    """A figure-safe label: truncated with an ellipsis, ``$`` escaped for mathtext."""
    s = " ".join(str(text).split())
    if len(s) > max_len:
        s = s[: max_len - 1] + "…"
    return s.replace("$", r"\$")


_TARGET: contextvars.ContextVar = contextvars.ContextVar("flowgraph_plot_target", default=None)
"""When set (by :mod:`flowgraph.plot`), figures draw into this matplotlib ``Axes`` instead of a new figure."""


def _new(width: float, height: float, ncols: int = 1) -> tuple[MplFigure, list]:
    import matplotlib as mpl

    target = _TARGET.get()
    if target is not None:
        if ncols == 1:
            return target.figure, [target]
        spec = target.get_subplotspec().subgridspec(1, ncols)
        fig = target.figure
        target.remove()
        return fig, [fig.add_subplot(spec[0, i]) for i in range(ncols)]
    with mpl.rc_context(_RC):
        fig = MplFigure(figsize=(width, height), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def _png(fig: MplFigure) -> bytes:
    import matplotlib as mpl

    if _TARGET.get() is not None:  # drawing into the caller's axes: leave the figure to them
        return b""
    buf = io.BytesIO()
    with mpl.rc_context(_RC):
        fig.savefig(buf, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    fig.clear()
    return buf.getvalue()


def _styled(fn: Callable) -> Callable:
    def wrapper(report: Mapping) -> Figure | None:
        import matplotlib as mpl

        with mpl.rc_context(_RC):
            return fn(report)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _community_labels(report: Mapping) -> dict[int | str, str]:
    from .headline import zone_names  # the draft policy's zone names, unique per community

    names = zone_names(report)
    out: dict[int | str, str] = {}  # community id -> label; callers add "other", "unassigned"
    for c in report.get("communities") or []:
        out[int(c["id"])] = label(names.get(int(c["id"]), f"zone-{int(c['id'])}"), 22)
    return out


def _groups(report: Mapping) -> tuple[list, dict]:
    """Communities to show (largest first, at most MAX_GROUPS) and id -> group key."""
    comms = sorted(report.get("communities") or [],
                   key=lambda c: (-len(c.get("services") or []), int(c["id"])))
    if len(comms) <= MAX_GROUPS:
        keep = [int(c["id"]) for c in comms]
        return keep, {i: i for i in keep}
    keep = [int(c["id"]) for c in comms[: MAX_GROUPS - 1]]
    group = {int(c["id"]): (int(c["id"]) if int(c["id"]) in keep else "other") for c in comms}
    return [*keep, "other"], group


# -- 1. community map (quotient graph) ---------------------------------------------------
@_styled
def community_map(report: Mapping) -> Figure | None:
    """Quotient graph: one node per community (area ~ services), shared zone as one hub."""
    comms = report.get("communities") or []
    if not comms:
        return None
    order, group = _groups(report)
    names = _community_labels(report)
    size: dict = defaultdict(int)
    for c in comms:
        size[group[int(c["id"])]] += len(c.get("services") or [])
    n_other = sum(1 for c in comms if group[int(c["id"])] == "other")
    names["other"] = f"other ({n_other} communities)"

    flows = report.get("flows") or {}
    cross: dict = defaultdict(int)
    for row in flows.get("between_communities") or []:
        s, d = row.get("source_community"), row.get("destination_community")
        if s is None or d is None:
            continue
        a, b = group.get(int(s)), group.get(int(d))
        if a is None or b is None or a == b:
            continue
        cross[tuple(sorted((a, b), key=str))] += int(row.get("pairs") or 0)
    to_shared: dict = defaultdict(int)
    for row in flows.get("shared_zone") or []:
        c = row.get("community")
        if c is not None and int(c) in group:
            to_shared[group[int(c)]] += int(row.get("pairs") or 0)
    shared = list(report.get("shared_services") or [])

    k = len(order)
    crowded = k > 8
    fig, (ax,) = _new(9, 6.8 if crowded else (6.4 if k > 3 else 5.4))
    pos = {}
    for i, key in enumerate(order):
        angle = math.pi / 2 - 2 * math.pi * i / k
        pos[key] = (math.cos(angle), math.sin(angle)) if k > 1 else (0.0, 0.75)
    hub = (0.0, 0.0) if k > 1 else (0.0, -0.75)
    wmax = max([*cross.values(), *to_shared.values(), 1])
    n_links = len(cross)
    if n_links > MAX_LINKS:  # keep the map readable: only the heaviest links
        cross = dict(sorted(cross.items(), key=lambda kv: (-kv[1], str(kv[0])))[:MAX_LINKS])

    def width(w: float) -> float:
        return 1.0 + 9.0 * w / wmax

    if shared:
        for key, w in to_shared.items():
            (x1, y1), (x2, y2) = pos[key], hub
            ax.plot([x1, x2], [y1, y2], color=PURPLE, lw=width(w), alpha=0.35, ls=(0, (4, 2)),
                    solid_capstyle="round", zorder=1)
    for (a, b), w in cross.items():
        (x1, y1), (x2, y2) = pos[a], pos[b]
        ax.plot([x1, x2], [y1, y2], color=ORANGE, lw=width(w), alpha=0.75, solid_capstyle="round", zorder=2)
        if len(cross) <= 30 and not crowded:
            ax.text((x1 + x2) / 2, (y1 + y2) / 2, f"{w}", ha="center", va="center", fontsize=8.5,
                    color=ORANGE, fontweight="bold", zorder=5,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": ORANGE, "lw": 0.6})
    smax = max([*size.values(), 1])
    base, scale = (220, 1300) if crowded else (500, 2600)
    for key in order:
        x, y = pos[key]
        area = base + scale * size[key] / smax
        ax.scatter([x], [y], s=area, color=BLUE if key != "other" else GREY, alpha=1.0,
                   edgecolors="white", linewidths=2, zorder=3)
        r = math.sqrt(area) / 2 / 72 * DPI  # radius in pixels, roughly
        text = f"{names.get(key, key)}\n{size[key]} service{'s' if size[key] != 1 else ''}"
        box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
        if crowded:  # labels outside the ring, pointing away from the centre
            norm = math.hypot(x, y) or 1.0
            ax.annotate(text, (x, y), xytext=(x / norm * (r + 6), y / norm * (r + 6)),
                        textcoords="offset pixels", fontsize=7.5, color=DARK, zorder=6, bbox=box,
                        ha="left" if x > 0.15 else ("right" if x < -0.15 else "center"),
                        va="bottom" if y > 0.15 else ("top" if y < -0.15 else "center"))
        else:
            ax.annotate(text, (x, y), xytext=(0, -(r + 4)), textcoords="offset pixels", ha="center",
                        va="top", fontsize=8.5, color=DARK, zorder=6, bbox=box)
    if shared:
        ax.scatter([hub[0]], [hub[1]], s=base + scale * min(1.0, len(shared) / smax), marker="h", color=PURPLE,
                   alpha=1.0, edgecolors="white", linewidths=2, zorder=4)
        ax.annotate(f"shared zone\n{len(shared)} service{'s' if len(shared) != 1 else ''}", hub,
                    xytext=(0, -26), textcoords="offset points", ha="center", va="top",
                    fontsize=8.5, color=PURPLE, fontweight="bold", zorder=6,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    ys = [p[1] for p in pos.values()] + [hub[1]]
    if crowded:
        ax.set_xlim(-1.75, 1.75)
        ax.set_ylim(-1.3, 1.3)
    else:
        ax.set_xlim(-1.5, 1.5)
        ax.set_ylim(min(ys) - 0.5, max(ys) + 0.25)
    if n_links > len(cross):
        ax.text(0.0, 0.0, f"showing the {len(cross)} heaviest of {n_links} cross-community links",
                transform=ax.transAxes, fontsize=8, color="#6b7280", ha="left", va="bottom")
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Line2D([], [], color=ORANGE, lw=3, label="service pairs across communities (exceptions)"),
               Patch(color=BLUE, label="community (area ~ services)")]
    if shared:
        handles.append(Line2D([], [], color=PURPLE, lw=3, ls=(0, (4, 2)), alpha=0.5,
                              label="service pairs to / from the shared zone"))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8.5)
    ax.set_title("Community map")
    n_cross = sum(cross.values())
    return Figure(
        "community-map", "Community map",
        "Each blue circle is a detected community (candidate zone, area by number of services) and "
        "the purple hexagon is the shared-services zone; the orange lines and their numbers count "
        "service pairs calling across a boundary, so few thin lines mean a segmentable estate.",
        f"Quotient graph of {len(comms)} communities with {n_cross} cross-community service pairs"
        + (f" and a shared zone of {len(shared)} service{'s' if len(shared) != 1 else ''}." if shared else "."),
        _png(fig))


# -- 2. inter-community heatmap ----------------------------------------------------------
@_styled
def community_heatmap(report: Mapping) -> Figure | None:
    """Directed matrix of cross-community service pairs (rows call columns)."""
    comms = report.get("communities") or []
    if len(comms) < 2:
        return None
    order, group = _groups(report)
    names = _community_labels(report)
    names["other"] = "other"
    between = (report.get("flows") or {}).get("between_communities") or []
    if any(r.get("source_community") is None or r.get("destination_community") is None for r in between):
        order = [*order, "unassigned"]
        names["unassigned"] = "unassigned"
    idx = {k: i for i, k in enumerate(order)}
    mat = np.zeros((len(order), len(order)))
    for row in between:
        s, d = row.get("source_community"), row.get("destination_community")
        a = "unassigned" if s is None else group.get(int(s))
        b = "unassigned" if d is None else group.get(int(d))
        if a is None or b is None:
            continue
        mat[idx[a], idx[b]] += int(row.get("pairs") or 0)
    internal: defaultdict[int | str, int] = defaultdict(int)
    for c in comms:
        internal[group[int(c["id"])]] += int(c.get("internal_edges") or 0)
    n = len(order)
    side = min(9.0, 3.2 + 0.42 * n)
    fig, (ax,) = _new(side + 1.6, side)
    masked = np.ma.masked_where(np.eye(n, dtype=bool), mat)
    cmap = matplotlib.colormaps["Oranges"].with_extremes(bad="#f3f4f6")
    named = [i for i, key in enumerate(order) if key not in ("other", "unassigned")]
    core = mat[np.ix_(named, named)] if named else mat
    vmax = max(1.0, float(core.max()))  # "other"/"unassigned" aggregates saturate instead of washing out the rest
    im = ax.imshow(masked, cmap=cmap, vmin=0, vmax=vmax, aspect="equal")
    ticks = [label(names.get(k, k), 22) for k in order]
    ax.set_xticks(range(n), ticks, rotation=40, ha="right", fontsize=8.5)
    ax.set_yticks(range(n), ticks, fontsize=8.5)
    ax.set_xlabel("destination (server side)")
    ax.set_ylabel("source (client side)")
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    if n <= 16:
        top = vmax
        for i in range(n):
            for j in range(n):
                if i == j:
                    if order[i] in internal:
                        ax.text(j, i, f"{internal[order[i]]}\ninside", ha="center", va="center",
                                fontsize=7, color="#6b7280", style="italic")
                elif mat[i, j]:
                    ax.text(j, i, f"{int(mat[i, j])}", ha="center", va="center", fontsize=9,
                            color="white" if mat[i, j] > 0.55 * top else DARK, fontweight="bold")
    cb = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02)
    cb.set_label("service pairs crossing" + (" (aggregates saturate)" if vmax < mat.max() else ""))
    cb.outline.set_visible(False)
    cb.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Cross-community calls")
    return Figure(
        "community-heatmap", "Cross-community calls",
        "Each cell counts the distinct service pairs in which the row community calls the column "
        "community (the grey diagonal shows pairs inside each community); a few bright cells mean "
        "exceptions are concentrated and easy to review, an evenly lit matrix means they are everywhere.",
        f"Heatmap of cross-community service pairs between {len(comms)} communities.",
        _png(fig))


# -- 3. per-community exceptions ---------------------------------------------------------
@_styled
def community_exceptions(report: Mapping) -> Figure | None:
    """Stacked bars: pairs inside vs pairs crossing, per community."""
    comms = sorted(report.get("communities") or [],
                   key=lambda c: (-len(c.get("services") or []), int(c["id"])))[:30]
    if not comms:
        return None
    names = _community_labels(report)
    inside = np.array([int(c.get("internal_edges") or 0) for c in comms])
    out = np.array([int(c.get("external_edges") or 0) for c in comms])
    y = np.arange(len(comms))[::-1]
    fig, (ax,) = _new(9, 1.8 + 0.42 * len(comms))
    ax.barh(y, inside, color=BLUE, height=0.62, label="service pairs inside")
    ax.barh(y, out, left=inside, color=ORANGE, height=0.62, label="service pairs crossing (exceptions)")
    ax.set_yticks(y, [f"{names[int(c['id'])]} ({len(c.get('services') or [])})" for c in comms])
    ax.tick_params(axis="y", length=0)
    xmax = float(max(1, (inside + out).max()))
    for yi, c, i_, o_ in zip(y, comms, inside, out, strict=True):
        bits = []
        if c.get("conductance") is not None:
            bits.append(f"conductance {float(c['conductance']):.2f}")
        if c.get("strong"):
            bits.append("strong")
        elif c.get("weak") is False:
            bits.append("not even weak")
        elif c.get("weak"):
            bits.append("weak")
        ax.text(i_ + o_ + xmax * 0.01, yi, " · ".join(bits), va="center", fontsize=8, color="#4b5563")
    ax.set_xlim(0, xmax * 1.35)
    ax.set_xlabel("service pairs")
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8.5)
    ax.set_title("Inside vs crossing, per community")
    return Figure(
        "community-exceptions", "Inside vs crossing, per community",
        "For each community (services in brackets) the blue bar counts service pairs that stay "
        "inside and the orange bar pairs that cross to another community; an orange bar that "
        "rivals the blue one marks a community that is weakly separated.",
        "Stacked horizontal bars of internal and external service pairs per community.",
        _png(fig))


# -- 4. resolution sweep -----------------------------------------------------------------
@_styled
def resolution_sweep(report: Mapping) -> Figure | None:
    """Communities and μ (and seed ARI) against the resolution γ; chosen γ marked."""
    rows = [r for r in report.get("resolution_sweep") or [] if r.get("resolution") is not None]
    if len(rows) < 2:
        return None
    rows.sort(key=lambda r: float(r["resolution"]))
    x = [float(r["resolution"]) for r in rows]
    fig, (ax,) = _new(9, 4.2)
    k = [r.get("communities") for r in rows]
    ax.plot(x, [np.nan if v is None else v for v in k], "o-", color=BLUE, lw=2, label="communities")
    ax.set_xlabel("resolution γ (higher = smaller communities)")
    ax.set_ylabel("communities", color=BLUE)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y")
    ax2 = ax.twinx()
    ax2.spines["right"].set_visible(True)
    mu = [np.nan if r.get("cross_ratio") is None else float(r["cross_ratio"]) for r in rows]
    ax2.plot(x, mu, "s-", color=ORANGE, lw=2, label="μ (share of pairs crossing)")
    if any(r.get("ari") is not None for r in rows):
        ari = [np.nan if r.get("ari") is None else float(r["ari"]) for r in rows]
        ax2.plot(x, ari, "^:", color=GREEN, lw=1.5, label="stability (ARI across seeds)")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("μ / ARI")
    chosen = report.get("chosen_resolution")
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    if chosen is not None:
        ax.axvline(float(chosen), color=DARK, ls="--", lw=1.2)
        ax.annotate(f"chosen γ = {float(chosen):g}", (float(chosen), 1), xycoords=("data", "axes fraction"),
                    xytext=(4, -4), textcoords="offset points", va="top", fontsize=8.5, color=DARK)
        handles.append(Line2D([], [], color=DARK, ls="--", lw=1.2, label="chosen resolution"))
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=8.5)
    ax.set_title("Resolution sweep")
    return Figure(
        "resolution-sweep", "Resolution sweep",
        "How the number of communities (blue), the share of service pairs crossing a boundary "
        "(orange) and the seed stability (green) change with the resolution; the dashed line is "
        "the resolution used, and a flat stretch around it means the result does not hinge on that choice.",
        "Line chart of communities, μ and ARI against resolution with the chosen value marked.",
        _png(fig))


# -- cost curve ------------------------------------------------------------------------
@_styled
def cost_curve(report: Mapping) -> Figure | None:
    """Exceptions against isolation for each candidate partition, rewired null band shaded.

    Drawn from ``report["cost_curve"]`` (``observed`` points: ``isolation``,
    ``exception_rules``, ``rho``, ``chosen``; ``null_band``: ``isolation``,
    ``rho_lo``, ``rho_hi``); ``None`` when the assessment has no cost curve.
    """
    cc = report.get("cost_curve") or {}
    pts = [p for p in cc.get("observed") or [] if p.get("isolation") is not None and p.get("rho") is not None]
    if not pts:
        return None
    pts = sorted(pts, key=lambda p: float(p["isolation"]))
    fig, (ax,) = _new(9, 4.2)
    band = [b for b in cc.get("null_band") or []
            if None not in (b.get("isolation"), b.get("rho_lo"), b.get("rho_hi"))]
    # each rewired range is drawn at the isolation the rewired graphs reach at that resolution:
    # a vertical bar, not a filled area (isolation is not monotone in the resolution)
    for i, b in enumerate(band):
        ax.plot([float(b["isolation"])] * 2, [float(b["rho_lo"]), float(b["rho_hi"])], "-", color=GREY,
                lw=6, alpha=0.6, solid_capstyle="butt", label="rewired graphs (range)" if i == 0 else None)
    x = [float(p["isolation"]) for p in pts]
    y = [float(p["rho"]) for p in pts]
    ax.plot(x, y, "o", color=BLUE, ms=4, label="this estate, one point per partition")
    # the frontier: for each isolation, the cheapest partition that isolates at least as much
    front, best = [], math.inf
    for p in sorted(pts, key=lambda p: -float(p["isolation"])):
        if float(p["rho"]) < best:
            best = float(p["rho"])
            front.append(p)
    front.reverse()
    ax.plot([float(p["isolation"]) for p in front], [float(p["rho"]) for p in front], "-", color=BLUE,
            lw=1.5, label="frontier: least cost for that isolation")
    chosen = [p for p in pts if p.get("chosen")]
    for p in chosen:
        ax.plot([float(p["isolation"])], [float(p["rho"])], "o", ms=10, mfc="none", mec=RED, mew=2,
                label=f"chosen: {p.get('zones')} zones, {p.get('exception_rules')} exception rules")
    ax.set_xlabel("isolation (share of service pairs the zones make unreachable)")
    ax.set_ylabel("exceptions per local connection ρ")
    ax.set_title("What each extra zone costs in exceptions", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    c = chosen[0] if chosen else None
    return Figure(
        "cost-curve", "Exceptions against isolation",
        "Each blue point is one candidate partition (one resolution): further right isolates "
        "more, higher needs more exceptions per local connection; the line joins the cheapest "
        "partitions for their isolation. Grey bars are the range of the same resolution on "
        "degree-preserving rewired graphs; points well below them mean real structure."
        + (f" The circled point is the partition the verdict uses ({c.get('zones')} zones)." if c else ""),
        f"Line chart of exceptions against isolation for {len(pts)} partitions with a null band.",
        _png(fig))


# -- 5. null model -----------------------------------------------------------------------
@_styled
def null_model(report: Mapping) -> Figure | None:
    """Histograms of modularity and μ on rewired graphs, observed value marked."""
    nm = report.get("null_model") or {}
    m = report.get("metrics") or {}
    panels = []
    for key, obs_key, title, xlabel, z_key in (
        ("modularity", "observed_modularity", "Modularity Q", "modularity", "modularity_zscore"),
        ("cross_ratio", "observed_cross_ratio", "Share of pairs crossing μ", "μ", "cross_ratio_zscore"),
    ):
        vals = [float(v) for v in nm.get(key) or [] if v is not None]
        obs = nm.get(obs_key)
        if obs is None:
            obs = m.get("modularity" if key == "modularity" else "cross_community_edge_ratio")
        if vals:
            panels.append((vals, obs, title, xlabel, m.get(z_key)))
    if not panels:
        return None
    fig, axes = _new(9, 3.6, ncols=len(panels))
    for ax, (vals, obs, title, xlabel, z) in zip(axes, panels, strict=True):
        lo, hi = min(vals), max(vals)
        width = (hi - lo) / 20 or 0.005
        bins = np.arange(lo - width, hi + 2 * width, width)
        ax.hist(vals, bins=bins, color=GREY, edgecolor=GREY, linewidth=0.5, label=f"{len(vals)} rewired graphs")
        if obs is not None:
            lo, hi = min(lo, float(obs)), max(hi, float(obs))
        pad = (hi - lo) * 0.08 or 0.05
        ax.set_xlim(lo - pad, hi + pad)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if obs is not None:
            ax.axvline(float(obs), color=RED, lw=2.2, label=f"observed {float(obs):.2f}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("rewired graphs")
        sub = f"{title}" + (f"   (z = {float(z):.1f})" if z is not None else "")
        ax.set_title(sub, fontsize=10)
        ax.legend(fontsize=8, loc="upper center")
        ax.set_ylim(0, ax.get_ylim()[1] * 1.3)
    rw = nm.get("rewirings") or len(panels[0][0])
    return Figure(
        "null-model", "Significance against random graphs",
        f"Grey bars show modularity and μ on {rw} randomly rewired graphs with the same number of "
        "connections per service, the red line the real estate: the further the red line sits "
        "from the grey mass, the less the grouping can be explained by chance.",
        "Two histograms of null-model values with the observed values marked.",
        _png(fig))


# -- 6. shared zone ----------------------------------------------------------------------
@_styled
def shared_zone(report: Mapping) -> Figure | None:
    """Reach and community reach of each shared service."""
    rows = [r for r in (report.get("shared_zone") or {}).get("services") or [] if isinstance(r, Mapping)]
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: -(r.get("reach") or 0))[:25]
    y = np.arange(len(rows))[::-1]
    fig, (ax,) = _new(9, 1.7 + 0.4 * len(rows))
    reach = [float(r.get("reach") or 0) for r in rows]
    creach = [float(r.get("community_reach") or 0) for r in rows]
    ax.barh(y + 0.18, reach, height=0.34, color=PURPLE, label="reach (share of services)")
    ax.barh(y - 0.18, creach, height=0.34, color="#c4b5fd", label="community reach (share of communities)")
    ax.set_yticks(y, [label(r.get("service"), 32) for r in rows])
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, 1.12)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    for yi, a, b in zip(y, reach, creach, strict=True):
        ax.text(a + 0.01, yi + 0.18, fmt_pct(a), va="center", fontsize=8)
        ax.text(b + 0.01, yi - 0.18, fmt_pct(b), va="center", fontsize=8, color="#6b7280")
    th = (report.get("shared_zone") or {}).get("thresholds") or {}
    if th.get("reach") is not None:
        ax.axvline(float(th["reach"]), color=DARK, ls=":", lw=1)
        ax.text(float(th["reach"]), 0.0, f" reach threshold {fmt_pct(float(th['reach']))}",
                transform=ax.get_xaxis_transform(), fontsize=7.5, va="bottom", color=DARK)
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8.5)
    ax.set_title("Shared-services zone")
    return Figure(
        "shared-zone", "Shared-services zone",
        "How widely each shared service is used — share of all services (dark) and of all "
        "communities (light) it talks to; services reaching nearly everything are platform "
        "services and are better allowed from every zone than listed as exceptions.",
        "Bar chart of reach and community reach per shared service.",
        _png(fig))


# -- 7. declared vs detected -------------------------------------------------------------
@_styled
def declared_vs_detected(report: Mapping) -> Figure | None:
    """Contingency heatmap: declared domains (rows) x detected communities (columns)."""
    if not report.get("declared_domains"):
        return None
    counts: dict = defaultdict(int)
    for s in report.get("services") or []:
        if s.get("shared") or s.get("community") is None:
            continue
        dom = s.get("domain") if s.get("domain") is not None else "(no domain)"
        counts[(str(dom), int(s["community"]))] += 1
    if not counts:
        return None
    dom_tot: defaultdict[str, int] = defaultdict(int)
    com_tot: defaultdict[int, int] = defaultdict(int)
    for (d, c), v in counts.items():
        dom_tot[d] += v
        com_tot[c] += v
    doms = sorted(dom_tot, key=lambda d: (-dom_tot[d], d))
    by_size = sorted(com_tot, key=lambda c: (-com_tot[c], c))
    coms: list[int | str] = list(by_size)  # community ids, then possibly "other"
    if len(doms) > MAX_GROUPS:
        doms = doms[: MAX_GROUPS - 1] + ["(other domains)"]
    if len(coms) > MAX_GROUPS:
        coms = coms[: MAX_GROUPS - 1] + ["other"]
    di = {d: i for i, d in enumerate(doms)}
    ci = {c: i for i, c in enumerate(coms)}
    mat = np.zeros((len(doms), len(coms)))
    for (d, c), v in counts.items():
        mat[di.get(d, len(doms) - 1), ci.get(c, len(coms) - 1)] += v
    names = _community_labels(report)
    fig, (ax,) = _new(min(10, max(7.5, 3.5 + 0.55 * len(coms))), min(9, 2.2 + 0.45 * len(doms)))
    im = ax.imshow(mat, cmap="Blues", vmin=0, vmax=max(1.0, float(mat.max())), aspect="auto")
    ax.set_xticks(range(len(coms)), [label(names.get(c, c) if c != "other" else "other", 20) for c in coms],
                  rotation=40, ha="right", fontsize=8.5)
    ax.set_yticks(range(len(doms)), [label(d, 26) for d in doms], fontsize=8.5)
    ax.set_xlabel("detected community")
    ax.set_ylabel("declared domain")
    ax.tick_params(length=0)
    for sp in ax.spines.values():
        sp.set_visible(False)
    if mat.size <= 400:
        top = max(1.0, float(mat.max()))
        for i in range(mat.shape[0]):
            for j in range(mat.shape[1]):
                if mat[i, j]:
                    ax.text(j, i, f"{int(mat[i, j])}", ha="center", va="center", fontsize=9,
                            color="white" if mat[i, j] > 0.55 * top else DARK)
    cb = fig.colorbar(im, ax=ax, shrink=0.85, pad=0.02)
    cb.set_label("services")
    cb.outline.set_visible(False)
    cb.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    dd = report["declared_domains"]
    ami, ari = dd.get("ami"), dd.get("ari")
    ax.set_title("Declared domains vs detected communities"
                 + (f"\nAMI {float(ami):.2f} · ARI {float(ari):.2f}" if ami is not None and ari is not None else ""))
    return Figure(
        "declared-vs-detected", "Declared domains vs detected communities",
        "Rows are the domains declared in the inventory and columns the communities found in the "
        "traffic, each cell counting services; one dark cell per row means the organisation "
        "matches the traffic, rows spread over several columns point at misplaced services.",
        "Contingency heatmap of declared domains against detected communities.",
        _png(fig))


# -- 8. data quality: traffic by class ---------------------------------------------------
@_styled
def traffic_by_class(report: Mapping) -> Figure | None:
    """Share of records per endpoint class (service, internet, AWS, unknown); connections when given."""
    rows = (report.get("data_quality") or {}).get("traffic_by_class") or []
    key = "share_of_records" if any(r.get("share_of_records") is not None for r in rows) else "share_of_connections"
    rows = [r for r in rows if r.get(key) is not None]
    if not rows:
        return None
    y = np.arange(len(rows))[::-1]
    fig, (ax,) = _new(9, 1.1 + 0.36 * len(rows))
    shares = [float(r[key]) for r in rows]
    ax.barh(y, shares, color=[CLASS_COLORS.get(r["class"], GREY) for r in rows], height=0.6)
    ax.set_yticks(y, [label(r["class"], 20) for r in rows])
    ax.tick_params(axis="y", length=0)
    for yi, v in zip(y, shares, strict=True):
        ax.text(v + 0.01, yi, fmt_pct(v, 1), va="center", fontsize=8.5)
    ax.set_xlim(0, 1.1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    unit = "records" if key == "share_of_records" else "connections"
    ax.set_title(f"{unit.capitalize()} by endpoint class")
    return Figure(
        "traffic-by-class", f"{unit.capitalize()} by endpoint class",
        f"Share of {unit} whose least-known end is a mapped service, the internet, an AWS service or an "
        "address missing from the inventory; a large 'unknown' bar means workloads are missing "
        "from the analysis and the verdict may be incomplete.",
        f"Bar chart of the share of {unit} per endpoint class.",
        _png(fig))


FIGURES: tuple[Callable[[Mapping], Figure | None], ...] = (
    community_map, community_heatmap, community_exceptions, cost_curve, resolution_sweep, null_model,
    shared_zone, declared_vs_detected, traffic_by_class,
)
"""Figure functions in report order; each returns ``None`` when its data is absent."""


def make_figures(report: Mapping, *, strict: bool = True) -> list[Figure]:
    """Draw every figure whose data is present in ``report``.

    Parameters
    ----------
    report : mapping
        :func:`~flowgraph.report.build.build_report` output.
    strict : bool
        Re-raise drawing errors (default).  With ``strict=False`` a failing
        figure is logged and left out, so one odd value cannot stop a report.
    """
    out = []
    for fn in FIGURES:
        try:
            fig = fn(report)
        except Exception:
            if strict:
                raise
            log.warning("figure %s could not be drawn", fn.__name__, exc_info=True)
            continue
        if fig is not None:
            out.append(fig)
    return out
