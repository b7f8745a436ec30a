"""Held-out validation: replay flows from other days against a policy.

:func:`validate_policy` builds the service graph of the held-out flows
(:func:`flowgraph.graph.build_graph`), applies :func:`flowgraph.policy.allowed`
to every edge and reports what the policy would have blocked: connections,
service pairs, services, and the edges themselves.  :func:`learning_curve`
counts, day by day, the blocked edges not seen on any earlier day: when the
count of new exceptions per added day falls towards zero the observation window
is long enough.

Examples
--------
>>> import pandas as pd
>>> from flowgraph.graph import ServiceGraph
>>> p = {"zones": [{"name": "a", "services": ["x", "y"]}, {"name": "b", "services": ["z"]}],
...      "shared_zone": {"services": []}, "exceptions": []}
>>> e = pd.DataFrame({"client": ["x", "x"], "server": ["y", "z"], "server_port": [80, 80], "protocol": [6, 6],
...     "connections": [5, 2], "packets": [1, 1], "bytes": [1, 1], "first_seen": [0, 0], "last_seen": [60, 60],
...     "hours_seen": [1, 1], "days_seen": [1, 1]})
>>> r = validate_graph(p, ServiceGraph(e))
>>> r.blocked_connections, r.total_connections, r.blocked_pairs
(2, 7, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..graph import ServiceGraph, build_graph
from .model import allowed, check_policy

__all__ = ["ValidationResult", "validate_graph", "validate_policy", "learning_curve"]


@dataclass
class ValidationResult:
    """What a policy would have blocked on held-out traffic."""

    total_connections: int
    blocked_connections: int
    blocked_pairs: int
    blocked_services: list[str]
    blocked: pd.DataFrame = field(repr=False)
    parameters: dict = field(default_factory=dict)
    curve: list[dict] | None = None

    @property
    def blocked_share(self) -> float:
        return self.blocked_connections / self.total_connections if self.total_connections else 0.0

    def to_dict(self, examples: int = 20) -> dict:
        ex = self.blocked.head(examples)
        return {"parameters": self.parameters, "total_connections": self.total_connections,
                "blocked_connections": self.blocked_connections, "blocked_share": round(self.blocked_share, 6),
                "blocked_pairs": self.blocked_pairs, "blocked_services": self.blocked_services,
                "examples": [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                             for r in ex.to_dict("records")],
                "learning_curve": self.curve}

    def to_markdown(self) -> str:
        lines = [f"Blocked {self.blocked_connections:,} of {self.total_connections:,} connections "
                 f"({self.blocked_share:.2%}), {self.blocked_pairs} service pairs, "
                 f"{len(self.blocked_services)} services.", ""]
        if len(self.blocked):
            lines += ["| client | server | port | protocol | connections | first seen |", "|---|---|---|---|---|---|"]
            for r in self.blocked.head(20).itertuples(index=False):
                lines.append(f"| {r.client} | {r.server} | {r.server_port} | {r.protocol} | {r.connections} | "
                             f"{pd.Timestamp(int(r.first_seen), unit='s', tz='UTC'):%Y-%m-%dT%H:%M:%SZ} |")
        if self.curve:
            lines += ["", "Learning curve (new blocked edges per added day):", ""]
            lines += [f"- {c['day']}: {c['new_edges']} new, {c['blocked_edges']} blocked" for c in self.curve]
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return (f"ValidationResult(blocked {self.blocked_connections}/{self.total_connections} connections, "
                f"{self.blocked_pairs} pairs)")

    def _repr_html_(self) -> str:
        import html
        return f"<pre>{html.escape(self.to_markdown())}</pre>"


def validate_graph(policy: Mapping, graph: ServiceGraph, *, exclude: set[str] | None = None) -> ValidationResult:
    """Apply ``policy`` to the accepted edges of ``graph``; see the module docstring."""
    policy = check_policy(policy)
    e = graph.edges
    ok = allowed(policy, e, exclude=exclude).to_numpy()
    blocked = e.loc[~ok, ["client", "server", "server_port", "protocol", "connections", "first_seen",
                          "last_seen"]].sort_values(["connections", "client", "server"], ascending=[False, True, True])
    pairs = blocked[["client", "server"]].drop_duplicates()
    services = sorted(set(pairs["client"].astype(str)) | set(pairs["server"].astype(str)))
    return ValidationResult(int(e["connections"].sum()), int(blocked["connections"].sum()), len(pairs),
                            services, blocked.reset_index(drop=True))


def validate_policy(policy: Mapping, source: Any, inventory: Any = None, *, since=None, until=None,
                    day_seconds: int = 86_400, curve: bool = True) -> ValidationResult:
    """Read held-out flows from ``source`` and validate ``policy`` against them.

    With ``curve=True`` the learning curve over the days of the held-out window is attached.
    """
    g = build_graph(source, inventory, since=since, until=until)
    res = validate_graph(policy, g)
    res.parameters = {"since": since, "until": until, "day_seconds": day_seconds}
    if curve:
        res.curve = learning_curve(policy, source, inventory, since=since, until=until,
                                   day_seconds=day_seconds, graph=g)
    return res


def learning_curve(policy: Mapping, source: Any, inventory: Any = None, *, since=None, until=None,
                   day_seconds: int = 86_400, graph: ServiceGraph | None = None) -> list[dict]:
    """New blocked edges ``(client, server, port, protocol)`` per added day of the window."""
    g = graph if graph is not None else build_graph(source, inventory, since=since, until=until)
    first, last = g.quality.get("window", {}).get("first"), g.quality.get("window", {}).get("last")
    if first is None:
        first, last = int(g.edges["first_seen"].min()), int(g.edges["last_seen"].max())
    start = int(first) // day_seconds * day_seconds
    seen: set = set()
    out = []
    t = start
    while t <= int(last):
        whole = t <= int(first) and int(last) < t + day_seconds
        gd = g if whole else build_graph(source, inventory, since=t, until=t + day_seconds)
        r = validate_graph(policy, gd)
        keys = set(map(tuple, r.blocked[["client", "server", "server_port", "protocol"]].astype(str).to_numpy()))
        new = keys - seen
        seen |= keys
        out.append({"day": pd.Timestamp(t, unit="s", tz="UTC").strftime("%Y-%m-%d"), "blocked_edges": len(keys),
                    "new_edges": len(new), "cumulative_edges": len(seen)})
        t += day_seconds
    return out
