"""Drift between two analyses (two ``report.json`` or two windows).

Zones of A and B are matched one to one by maximum service overlap (Hungarian
assignment on the contingency table of the services present in both).  Then:

- ``ari``: adjusted Rand index between the two partitions (common services,
  shared services as one block);
- ``split``: a zone of A whose services land in two or more zones of B, each
  holding at least ``max(2, 20 %)`` of them; ``merged``: the converse;
- ``moved``: services whose zone in B is not the match of their zone in A
  (services of split/merged zones excepted), with both zone ids and the
  reports' zone names (``headline.zone_names``; the id when absent);
- ``exceptions_added`` / ``exceptions_removed``: exception rules
  (source zone, destination zone, port, protocol) in A's zone labels;
- ``verdict`` and ``interval`` (the uncertainty ``mu`` interval when present).

Examples
--------
>>> a = {"verdict": "feasible", "services": [{"service": s, "community": c} for s, c in
...      [("a1", 0), ("a2", 0), ("a3", 0), ("b1", 1), ("b2", 1), ("b3", 1)]], "exception_rules": []}
>>> b = {"verdict": "marginal", "services": [{"service": s, "community": c} for s, c in
...      [("a1", 5), ("a2", 5), ("a3", 7), ("b1", 7), ("b2", 7), ("b3", 7)]], "exception_rules": []}
>>> d = diff_reports(a, b)
>>> d["moved"], d["verdict"]
([{'service': 'a3', 'from_zone': '0', 'to_zone': '7', 'from_zone_name': '0', 'to_zone_name': '7'}], {'a': 'feasible', 'b': 'marginal', 'changed': True})
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import InputError
from ..report.markdown import md_escape

__all__ = ["diff_reports", "diff_markdown", "load_report"]


def load_report(path: str | Path) -> dict:
    """Read a ``report.json``; InputError naming the file when it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the report ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):  # JSON objects load as dict
        raise InputError(f"{path}: not a flowgraph report.json (no 'services' list)")
    for i, s in enumerate(data["services"]):
        if not isinstance(s, Mapping) or not isinstance(s.get("service"), str):
            raise InputError(f"{path}: services item #{i + 1} has no service name")
    return data


def _labels(r: Mapping) -> pd.Series:
    rows = {}
    for s in r.get("services") or []:
        if s.get("kind", "service") not in (None, "service"):
            continue
        c = s.get("community")
        rows[str(s["service"])] = "shared" if s.get("shared") or c is None else str(c)
    return pd.Series(rows, dtype=object)


def _interval(r: Mapping):
    u = r.get("uncertainty") or {}
    return u.get("mu")


def _zone_names(r: Mapping) -> dict[str, str]:
    """Community id -> the report's zone name (``headline.zone_names``), when the report has them."""
    names = (r.get("headline") or {}).get("zone_names") or {}
    out = {str(k): str(v) for k, v in names.items()} if isinstance(names, Mapping) else {}
    out.setdefault("shared", "shared")
    return out


def diff_reports(a: Mapping, b: Mapping, *, min_share: float = 0.2) -> dict:
    """Compare two report dicts; see the module docstring for every field."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score

    la, lb = _labels(a), _labels(b)
    common = la.index.intersection(lb.index)
    la_c, lb_c = la[common], lb[common]
    ct = pd.crosstab(la_c, lb_c)
    rows, cols = linear_sum_assignment(-ct.to_numpy())
    match = {ct.index[i]: ct.columns[j] for i, j in zip(rows, cols) if ct.iat[i, j] > 0}
    inv = {v: k for k, v in match.items()}

    def parts(table: pd.DataFrame) -> dict:
        out = {}
        for z, row in table.iterrows():
            need = max(2, int(np.ceil(min_share * row.sum())))
            big = row[row >= need]
            if len(big) >= 2 and z != "shared":
                out[str(z)] = {str(k): int(v) for k, v in big.sort_values(ascending=False).items()}
        return out

    split = parts(ct)
    merged = parts(ct.T)
    moved = []
    for s in sorted(common):
        za, zb = la_c[s], lb_c[s]
        if match.get(za) == zb or za in split or zb in merged:
            continue
        moved.append({"service": s, "from_zone": str(za), "to_zone": str(zb)})

    def exc(r: Mapping, translate: dict | None) -> set:
        out = set()
        for x in r.get("exception_rules") or []:
            src, dst = str(x.get("source_community")), str(x.get("destination_community"))
            if translate is not None:
                src, dst = translate.get(src, f"B:{src}"), translate.get(dst, f"B:{dst}")
            out.add((src, dst, x.get("server_port"), x.get("protocol")))
        return out

    ea, eb = exc(a, None), exc(b, inv)
    key = ("source_zone", "destination_zone", "server_port", "protocol")
    names_a, names_b = _zone_names(a), _zone_names(b)
    for m in moved:
        m["from_zone_name"] = names_a.get(m["from_zone"], m["from_zone"])
        m["to_zone_name"] = names_b.get(m["to_zone"], m["to_zone"])
    return {
        "services": {"a": len(la), "b": len(lb), "common": len(common),
                     "only_a": sorted(set(la.index) - set(common)), "only_b": sorted(set(lb.index) - set(common))},
        "ari": float(adjusted_rand_score(la_c.to_numpy(), lb_c.to_numpy())) if len(common) else None,
        "zone_match": {str(k): str(v) for k, v in match.items()},
        "split": split, "merged": merged, "moved": moved,
        "exceptions_added": [dict(zip(key, t)) for t in sorted(eb - ea, key=str)],
        "exceptions_removed": [dict(zip(key, t)) for t in sorted(ea - eb, key=str)],
        "verdict": {"a": a.get("verdict"), "b": b.get("verdict"), "changed": a.get("verdict") != b.get("verdict")},
        "interval": {"a": _interval(a), "b": _interval(b)},
    }


def diff_markdown(d: Mapping) -> str:
    """The drift as Markdown."""
    v = d["verdict"]
    ari = "n/a" if d["ari"] is None else f"{d['ari']:.3f}"
    lines = ["# Drift", "", f"- verdict: {v['a']} -> {v['b']}{' (changed)' if v['changed'] else ''}",
             f"- interval (mu): {d['interval']['a']} -> {d['interval']['b']}",
             f"- partition agreement (ARI, {d['services']['common']} common services): {ari}",
             f"- zones split: {len(d['split'])}, merged: {len(d['merged'])}",
             f"- services moved: {len(d['moved'])}",
             f"- exceptions added: {len(d['exceptions_added'])}, removed: {len(d['exceptions_removed'])}", ""]
    e = md_escape  # service and zone names are untrusted text: inert in Markdown
    if d["moved"]:
        lines += ["| service | from zone | to zone |", "|---|---|---|"]
        lines += [f"| {e(m['service'])} | {e(m.get('from_zone_name', m['from_zone']))} | "
                  f"{e(m.get('to_zone_name', m['to_zone']))} |" for m in d["moved"]]
    for name in ("split", "merged"):
        for z, parts in d[name].items():
            lines.append(f"- zone {e(z)} {name}: " + ", ".join(f"{e(k)} ({n})" for k, n in parts.items()))
    return "\n".join(lines) + "\n"
