"""Would a policy drafted earlier have held?  Exceptions over time, from the edge table.

Every flow of the analysis carries the time it was first and last seen.  Cut
the window into bins — UTC days when it spans at least a day and a half (two
days of logs never span a full 48 hours), otherwise six hours when it spans at
least twelve, otherwise nothing — and count the
*exceptions* (flows between zones, see :mod:`flowgraph.report.flows`) first
seen in each bin.  That is the **learning curve** of the draft policy: when the
last bins add almost nothing, the observation window was long enough.

The last bin is the **held-out** part: a policy holding the exceptions seen
before it would have blocked, during it, exactly the exceptions first seen in
it — their connections all fall in that bin, so the blocked connections are
exact.  The zones are the ones found on the whole window (the exceptions are
held out, the zoning is not); ``flowgraph validate`` on a policy learnt with
``--until`` is the fully held-out check (docs/policy.md).

Fields of :func:`exception_learning`:

``bin_seconds``, ``bins``
    the bin width and, per bin, ``start``/``end`` (ISO-8601 UTC),
    ``new_exceptions`` (flows first seen in the bin), ``new_rules`` (zone-level
    rules — source zone, destination zone, port, protocol — first needed in the
    bin), ``active_exceptions`` (flows seen in the bin) and ``cumulative``.
``holdout``
    the last bin: ``new_exceptions``, ``active_exceptions``, ``share``
    (new / active), ``blocked_connections``, ``blocked_pairs`` (distinct
    service pairs), ``new_rules`` and up to five ``examples``.
``saturated``
    ``True`` when the held-out bin's new exceptions are at most
    ``SATURATION_SHARE`` (5 %) of all exceptions.  A policy choice, not a
    statistic: one new exception in twenty per added bin is what a team can
    still review by hand.

Examples
--------
>>> import pandas as pd
>>> H = 3600
>>> flows = pd.DataFrame({
...     "source_service": ["a", "a", "b", "c"], "destination_service": ["x", "y", "y", "x"],
...     "source_zone": [0, 0, 0, 2], "destination_zone": [1, 1, 1, 1],
...     "server_port": [80, 80, 80, 443], "protocol": [6, 6, 6, 6], "connections": [9, 4, 2, 5],
...     "first_seen": [0, 2 * H, 20 * H, 21 * H], "last_seen": [23 * H, 3 * H, 22 * H, 22 * H],
...     "category": ["exception"] * 4})
>>> r = exception_learning(flows, (0, 24 * H - 1))
>>> [b["new_exceptions"] for b in r["bins"]], r["holdout"]["blocked_connections"]
([2, 0, 0, 2], 7)
>>> r["holdout"]["new_rules"], r["holdout"]["share"], r["saturated"]
(1, 0.6667, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._util import iso_utc, json_safe

__all__ = ["exception_learning", "enforcement_section", "SATURATION_SHARE"]

SATURATION_SHARE = 0.05
"""Held-out share of all exceptions at or below which the window is called long enough."""

DAY = 86_400
QUARTER_DAY = 6 * 3_600


def _bin_seconds(span: int) -> int | None:
    if span >= 3 * DAY // 2:
        return DAY
    if span >= 2 * QUARTER_DAY:
        return QUARTER_DAY
    return None


def exception_learning(flows: pd.DataFrame, window: tuple[Any, Any] | None = None) -> dict | None:
    """Exceptions first seen per time bin and the held-out last bin; see the module docstring.

    Parameters
    ----------
    flows : pandas.DataFrame
        :func:`~flowgraph.report.flows.classify_flows` output.
    window : (first, last), optional
        Epoch seconds of the analysed window; the flows' own first/last times
        when omitted.

    Returns
    -------
    dict or None
        ``None`` when the window is shorter than twelve hours or there are no flows.
    """
    if flows.empty:
        return None
    first_seen = pd.to_numeric(flows["first_seen"], errors="coerce")
    last_seen = pd.to_numeric(flows["last_seen"], errors="coerce")
    lo, hi = (window if window is not None else (None, None))
    lo = int(first_seen.min()) if lo is None or pd.isna(lo) else int(lo)
    hi = int(last_seen.max()) if hi is None or pd.isna(hi) else int(hi)
    width = _bin_seconds(hi - lo + 1)
    if width is None:
        return None
    exc = flows["category"].to_numpy() == "exception"
    fs = first_seen.to_numpy(dtype=float)[exc]
    ls = last_seen.to_numpy(dtype=float)[exc]
    conns = pd.to_numeric(flows["connections"], errors="coerce").fillna(0).to_numpy()[exc]
    start = lo // width * width
    n_bins = int((hi - start) // width) + 1
    bin_of = np.clip(((fs - start) // width).astype(np.int64), 0, n_bins - 1) if len(fs) else np.zeros(0, int)
    last_bin = np.clip(((ls - start) // width).astype(np.int64), 0, n_bins - 1) if len(ls) else np.zeros(0, int)
    new = np.bincount(bin_of, minlength=n_bins)
    # a flow is active in every bin from its first to its last: +1 at its first, -1 after its last
    delta = np.bincount(bin_of, minlength=n_bins + 1) - np.bincount(last_bin + 1, minlength=n_bins + 1)
    active = np.cumsum(delta)[:n_bins]
    sub = flows.loc[exc, ["source_service", "destination_service", "server_port", "protocol"]].reset_index(drop=True)
    rule = flows.loc[exc, ["source_zone", "destination_zone", "server_port", "protocol"]].astype(str)
    rule = rule.reset_index(drop=True).assign(bin=bin_of)
    rule_first = rule.groupby(["source_zone", "destination_zone", "server_port", "protocol"], sort=False)["bin"].min()
    new_rules = np.bincount(rule_first.to_numpy(dtype=np.int64), minlength=n_bins)
    bins = []
    for i in range(n_bins):
        b0 = start + i * width
        bins.append({"start": iso_utc(b0), "end": iso_utc(b0 + width), "new_exceptions": int(new[i]),
                     "new_rules": int(new_rules[i]), "active_exceptions": int(active[i]),
                     "cumulative": int(new[: i + 1].sum())})
    held = bin_of == n_bins - 1
    total = int(exc.sum())
    ex = sub.loc[held].assign(connections=conns[held]).sort_values(
        ["connections", "source_service", "destination_service"], ascending=[False, True, True], kind="stable")
    holdout = {
        "start": bins[-1]["start"], "end": bins[-1]["end"],
        "new_exceptions": int(held.sum()), "active_exceptions": int(active[-1]),
        "share": round(float(held.sum()) / float(active[-1]), 4) if active[-1] else 0.0,
        "blocked_connections": int(conns[held].sum()),
        "blocked_pairs": int(len(ex[["source_service", "destination_service"]].drop_duplicates())),
        "new_rules": int(new_rules[-1]),
        "examples": [{"client": r.source_service, "server": r.destination_service,
                      "server_port": json_safe(r.server_port), "protocol": json_safe(r.protocol),
                      "connections": int(r.connections)} for r in ex.head(5).itertuples(index=False)],
    }
    return {"bin_seconds": width, "bins": bins, "holdout": holdout, "total_exceptions": total,
            "saturated": bool(total and held.sum() <= SATURATION_SHARE * total),
            "saturation_share": SATURATION_SHARE}


def enforcement_section(policy: Mapping, flows: pd.DataFrame, window: Mapping | None = None) -> dict:
    """The ``enforcement`` section of report.json: rules per format and the learning curve.

    ``rule_counts`` is :func:`flowgraph.policy.rule_counts` of the draft policy
    (security-group ingress rules for CloudFormation and Terraform, policy
    rules for Kubernetes and Cilium); ``learning`` is :func:`exception_learning`
    over the analysed ``window`` (``graph.quality["window"]``), ``None`` below
    twelve hours.
    """
    from ..policy.compile import rule_counts  # the draft policy is this report's output

    w = window or {}
    bounds = (w.get("first"), w.get("last")) if w.get("first") is not None else None
    # A draft with no zones (one service, or nothing resolved) has nothing to compile.
    counts = rule_counts(policy) if policy.get("zones") else {}
    return {"rule_counts": counts, "learning": exception_learning(flows, bounds)}
