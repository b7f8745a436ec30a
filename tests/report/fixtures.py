"""A small, realistic fake estate and a fake ``Assessment.to_dict()`` for report tests.

12 workloads in 3 communities (payments, catalog, accounts), one shared
service (a log collector every workload sends to), plus the internet, an AWS
S3 endpoint and an unmapped address range.  The numbers in the fake
assessment (μ, exceptions, per-community edges, roles) are computed from the
graph so that the report's figures and tables are internally consistent;
the statistics that need the real pipeline (null model, seeds, sweep) are
plausible constants.

``hostile=True`` renames two workloads to hostile strings (an HTML script tag
and a spreadsheet formula) and gives one service a hostile declared domain,
to test escaping in every output.

Examples
--------
>>> a, g = fake_case()
>>> a["verdict"], len(a["communities"]), a["shared_services"]
('feasible_with_exceptions', 3, ['log-collector'])
"""

from __future__ import annotations

import math
from collections import defaultdict

import networkx as nx
import pandas as pd

from flowgraph.graph import ServiceGraph

SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAME = '=HYPERLINK("x")'
HOSTILE_DOMAIN = "ops<img src=x onerror=alert(2)>|$x$"
CONTROL_NAME = "https://evil.example/a\x01b"  # a URL (must stay inert in Markdown) + a control char

T0 = 1_714_521_600  # 2024-05-01T00:00:00Z
DAY = 86_400

COMMUNITIES = {
    0: ["pay-api", "pay-worker", "pay-db", "ledger"],
    1: ["catalog-api", "catalog-db", "search", "images"],
    2: ["user-api", "user-db", "session-cache", "notifier"],
}
DOMAINS = {
    "pay-api": "payments", "pay-worker": "payments", "pay-db": "payments", "ledger": "finance",
    "catalog-api": "catalog", "catalog-db": "catalog", "search": "accounts", "images": "catalog",
    "user-api": "accounts", "user-db": "accounts", "session-cache": "accounts", "notifier": "accounts",
    "log-collector": "platform",
}
SHARED = "log-collector"

# (client, server, port, protocol, connections, bytes, days)
EDGES = [
    # payments
    ("pay-api", "pay-db", 5432, 6, 48_000, 9_600_000_000, 14),
    ("pay-api", "ledger", 8443, 6, 12_000, 240_000_000, 14),
    ("pay-worker", "pay-db", 5432, 6, 30_500, 6_100_000_000, 14),
    ("ledger", "pay-db", 5432, 6, 8_000, 800_000_000, 14),
    ("pay-worker", "ledger", 8443, 6, 4_100, 41_000_000, 14),
    ("pay-api", "pay-worker", 8080, 6, 9_900, 99_000_000, 14),
    # catalog
    ("catalog-api", "catalog-db", 5432, 6, 77_000, 15_400_000_000, 14),
    ("catalog-api", "search", 9200, 6, 25_000, 500_000_000, 14),
    ("catalog-api", "images", 8080, 6, 19_000, 3_800_000_000, 14),
    ("search", "catalog-db", 5432, 6, 2_300, 46_000_000, 14),
    ("images", "catalog-db", 5432, 6, 1_100, 22_000_000, 13),
    # accounts
    ("user-api", "user-db", 5432, 6, 51_000, 5_100_000_000, 14),
    ("user-api", "session-cache", 6379, 6, 160_000, 320_000_000, 14),
    ("notifier", "user-db", 5432, 6, 700, 7_000_000, 12),
    ("user-api", "notifier", 8080, 6, 3_300, 33_000_000, 14),
    ("session-cache", "session-cache", 6379, 6, 10, 10_000, 2),  # self-loop: never a rule
    # cross-community exceptions
    ("pay-api", "user-api", 8443, 6, 11_000, 55_000_000, 14),
    ("catalog-api", "user-api", 8443, 6, 21_000, 105_000_000, 14),
    ("pay-worker", "notifier", 8080, 6, 2_600, 13_000_000, 14),
    ("pay-api", "catalog-api", 8080, 6, 5_400, 54_000_000, 14),
    ("pay-api", "search", None, 1, 40, 3_360, 3),  # ICMP: protocol number in the policy
    # shared zone: every workload ships logs (syslog over UDP and TLS)
    *[(s, SHARED, 514, 17, 1_000 + 37 * i, 2_000_000 + 1_000 * i, 14)
      for i, s in enumerate(sorted(DOMAINS)) if s != SHARED],
    (SHARED, "user-api", 8443, 6, 300, 300_000, 14),  # collector calls back (auth check)
    # external
    ("pay-api", "internet", 443, 6, 6_200, 124_000_000, 14),
    ("internet", "catalog-api", 443, 6, 910_000, 45_500_000_000, 14),
    ("images", "aws:s3", 443, 6, 14_000, 28_000_000_000, 14),
    ("user-api", "unknown:10.9.0.0/16", 389, 6, 1_800, 3_600_000, 14),
]


def _edge_table(rename: dict[str, str]) -> pd.DataFrame:
    rows = []
    for c, s, port, proto, conns, nbytes, days in EDGES:
        rows.append({
            "client": rename.get(c, c), "server": rename.get(s, s), "server_port": port,
            "protocol": proto, "connections": conns, "packets": max(1, nbytes // 900),
            "bytes": nbytes, "first_seen": T0 + (14 - days) * DAY, "last_seen": T0 + 14 * DAY - 60,
            "hours_seen": min(days * 24, 336), "days_seen": days,
        })
    return pd.DataFrame(rows)


HOSTILE_FILE = "=cmd|' /C calc'!A0</script><img src=x onerror=alert(2)>.log"
"""The file name of the ICMP exception's sample record: a spreadsheet formula and markup."""
HOSTILE_INTERFACE = 'eni-"><b>y</b>'
HOSTILE_EDGE = next(i for i, e in enumerate(EDGES) if e[3] == 1)  # pay-api -> search over ICMP


def sample_file(i: int) -> str:
    """File name of edge ``i``'s sample record (the ICMP exception's is :data:`HOSTILE_FILE`)."""
    return HOSTILE_FILE if i == HOSTILE_EDGE else f"logs/2024/05/{1 + i % 14:02d}/eni-{i:04x}.log.gz"


def _sample_table(edges: pd.DataFrame) -> pd.DataFrame:
    """One sample record per edge: addresses 10.0.<i>.5 -> 10.1.<i>.7, line 10 + i."""
    n = len(edges)
    return pd.DataFrame({
        "client": edges["client"], "server": edges["server"], "server_port": edges["server_port"],
        "protocol": edges["protocol"], "sample": [1] * n, "start": edges["first_seen"],
        "src_addr": [f"10.0.{i}.5" for i in range(n)], "src_port": [40000 + i for i in range(n)],
        "dst_addr": [f"10.1.{i}.7" for i in range(n)],
        "dst_port": edges["server_port"].fillna(0).astype(int), "packets": [1] * n, "bytes": [100 + i for i in range(n)],
        "interface": [HOSTILE_INTERFACE if i == HOSTILE_EDGE else f"eni-{i:04x}" for i in range(n)],
        "file": [sample_file(i) for i in range(n)], "line": [10 + i for i in range(n)],
    })


def fake_graph(hostile: bool = False, rename: dict[str, str] | None = None) -> ServiceGraph:
    """The fake estate as a :class:`ServiceGraph` (with a realistic ``quality`` dict).

    ``rename`` maps original workload names to other (e.g. hostile) names, on top of ``hostile``.
    """
    rename = {**({"images": SCRIPT_NAME, "notifier": FORMULA_NAME, "session-cache": CONTROL_NAME}
                 if hostile else {}), **(rename or {})}
    domains = {rename.get(k, k): v for k, v in DOMAINS.items()}
    if hostile:
        domains["search"] = HOSTILE_DOMAIN
    edges = _edge_table(rename)
    nodes = pd.DataFrame(
        {"kind": "service", "domain": list(domains.values()), "account": "111122223333",
         "addresses": 2},
        index=pd.Index(list(domains), name="service"),
    )
    quality = {
        "read": {
            "records": 1_482_113, "nodata": 2_210, "skipdata": 14, "invalid": 37,
            "invalid_by_reason": {"wrong field count": 30, "bad integer in dstport": 7},
            "invalid_examples": {
                "wrong field count": ["logs/2024/05/03/eni-0a1.log.gz:18: 2 123456789012 eni-0a1 10.0.1.5"],
                "bad integer in dstport": [f"logs/x.log:7: 2 1 eni-1 10.0.0.1 10.0.0.2 443 {FORMULA_NAME} 6"],
            },
            "header_lines": 412, "blank_lines": 3, "files_read": 412, "files_skipped": 1,
            "bytes_read": 187_654_321,
            "truncated_files": [{"file": "logs/2024/05/09/eni-0b7.log.gz", "records_kept": 8123}],
            "first_start": T0, "last_end": T0 + 14 * DAY - 60, "millisecond_timestamps": False,
        },
        "time_span_seconds": 14 * DAY - 60,
        "traffic_by_class": {
            "service": {"records": 1_200_000, "connections": 560_000, "bytes": 48_000_000_000},
            "internet": {"records": 210_000, "connections": 916_200, "bytes": 45_624_000_000},
            "aws-service": {"records": 60_000, "connections": 14_000, "bytes": 28_000_000_000},
            "unknown": {"records": 12_113, "connections": 1_800, "bytes": 3_600_000},
        },
        "unmapped_examples": [
            {"address": "10.9.3.7", "class": "unknown", "file": "logs/2024/05/02/eni-0c2.log.gz", "line": 99},
        ],
        "unresolved_direction_share": 0.031,
        "direction_methods": {"tcp_flags": 1_310_000, "port": 170_000, "fan_in": 4_000, "unresolved": 47_000},
        "rejected_records": 5_532,
        "inventory": {"entries": 40, "services": 13, "problems": ["row 17: duplicate address 10.0.4.4"]},
    }
    return ServiceGraph(edges, nodes, quality=quality, samples=_sample_table(edges))


def _undirected_workload_graph(g: ServiceGraph, members: set[str]) -> nx.Graph:
    e = g.edges
    u = nx.Graph()
    u.add_nodes_from(sorted(members))
    for c, s in zip(e["client"], e["server"], strict=True):
        if c in members and s in members and c != s:
            u.add_edge(c, s)
    return u


def fake_assessment(g: ServiceGraph, verdict: str = "feasible_with_exceptions",
                    rename: dict[str, str] | None = None) -> dict:
    """A fake ``Assessment.to_dict()`` consistent with ``g`` (built with the same ``rename``)."""
    names = {n: n for n in DOMAINS}
    if SCRIPT_NAME in g.services:
        names.update({"images": SCRIPT_NAME, "notifier": FORMULA_NAME, "session-cache": CONTROL_NAME})
    names.update(rename or {})
    comm_of = {names[s]: cid for cid, ss in COMMUNITIES.items() for s in ss}
    shared = names[SHARED]
    members = set(comm_of)
    und = _undirected_workload_graph(g, members)
    domain = g.nodes["domain"].to_dict()

    internal = defaultdict(int)
    external = defaultdict(int)
    for u, v in und.edges():
        if comm_of[u] == comm_of[v]:
            internal[comm_of[u]] += 1
        else:
            external[comm_of[u]] += 1
            external[comm_of[v]] += 1
    m = und.number_of_edges()
    x = sum(1 for u, v in und.edges() if comm_of[u] != comm_of[v])
    mu = x / m

    communities = []
    for cid, ss in COMMUNITIES.items():
        svc = [names[s] for s in ss]
        vol = sum(und.degree(s) for s in svc)
        doms = pd.Series([domain[s] for s in svc]).value_counts()
        strong = all(
            sum(1 for n in und[s] if comm_of[n] == cid) > sum(1 for n in und[s] if comm_of[n] != cid)
            for s in svc)
        communities.append({
            "id": cid, "services": sorted(svc), "size": len(svc), "internal_edges": internal[cid],
            "external_edges": external[cid], "conductance": external[cid] / vol, "strong": strong,
            "weak": internal[cid] * 2 > external[cid], "dominant_domain": str(doms.index[0]),
        })

    services = []
    for s in sorted(members):
        k = und.degree(s)
        k_in = sum(1 for n in und[s] if comm_of[n] == comm_of[s])
        by_c = defaultdict(int)
        for n in und[s]:
            by_c[comm_of[n]] += 1
        p = 1 - sum((v / k) ** 2 for v in by_c.values()) if k else 0.0
        services.append({
            "service": s, "community": comm_of[s], "shared": False, "kind": "service",
            "domain": domain[s], "degree": k, "mu": (k - k_in) / k if k else 0.0,
            "participation": p, "within_z": round((k_in - 2.5) / 1.1, 3),
            "role": "R2 peripheral" if p > 0.05 else "R1 ultra-peripheral",
        })
    services.append({
        "service": shared, "community": None, "shared": True, "kind": "service",
        "domain": domain[shared], "degree": 12, "mu": None, "participation": None,
        "within_z": None, "role": "shared",
    })
    services.sort(key=lambda r: r["service"])

    rules = defaultdict(lambda: [set(), 0])
    e = g.edges
    for rec in e.to_dict("records"):
        c, s = rec["client"], rec["server"]
        if c in comm_of and s in comm_of and comm_of[c] != comm_of[s]:
            port = None if pd.isna(rec["server_port"]) else int(rec["server_port"])
            key = (comm_of[c], comm_of[s], port, int(rec["protocol"]))
            rules[key][0].add((c, s))
            rules[key][1] += int(rec["connections"])
    exception_rules = [
        {"source_community": k[0], "destination_community": k[1], "server_port": k[2],
         "protocol": k[3], "pairs": len(v[0]), "connections": v[1]}
        for k, v in sorted(rules.items(), key=lambda kv: -kv[1][1])
    ]

    def metrics(mu_: float, m_: int, x_: int, q: float, z: float) -> dict:
        return {
            "services": len(members), "edges": m_, "communities": 3,
            "cross_community_edge_ratio": mu_, "cross_community_connection_ratio": 0.071,
            "exceptions": x_, "local_edges": m_ - x_,
            "exceptions_per_local_edge": x_ / (m_ - x_), "exception_rules": len(exception_rules),
            "exception_concentration_top10": 0.82, "modularity": q, "modularity_null_mean": 0.21,
            "modularity_null_sd": 0.045, "modularity_zscore": z, "modularity_pvalue": 0.0,
            "cross_ratio_null_mean": 0.61, "cross_ratio_null_sd": 0.06,
            "cross_ratio_zscore": (mu_ - 0.61) / 0.06, "stability_ari": 0.94,
            "stability_ami": 0.92, "weak_communities_share": 1.0,
            "strong_communities_share": sum(c["strong"] for c in communities) / 3,
            "split_communities": 0,
        }

    null_q = [round(0.21 + 0.045 * math.sin(i * 1.7) * 1.3, 4) for i in range(100)]
    null_mu = [round(0.61 + 0.06 * math.cos(i * 2.3) * 1.2, 4) for i in range(100)]
    zone_services = [{
        "service": shared, "reason": "reach 100% of workloads (>= 30%); touches 3/3 communities",
        "reach": 1.0, "community_reach": 1.0, "participation": 0.667,
    }]
    misplaced = [{"service": names["search"], "declared": domain[names["search"]], "community": 1,
                  "community_domain": "catalog"},
                 {"service": "ledger", "declared": "finance", "community": 0,
                  "community_domain": "payments"}]
    return {
        "verdict": verdict,
        "weight_sensitive": False,
        "reasons": [
            {"code": "mu_moderate", "effect": "warn",
             "message": f"{mu:.0%} of service pairs cross a community boundary (0.20 < μ ≤ 0.35)."},
            {"code": "significant", "effect": "info",
             "message": "Modularity is 8.9 standard deviations above degree-preserving random graphs."},
            {"code": "stable", "effect": "info",
             "message": "The same communities come back across 50 seeds (ARI 0.94)."},
            {"code": "concentrated", "effect": "info",
             "message": "82% of exceptions fall in the top 10% of community pairs."},
        ],
        "metrics": metrics(mu, m, x, 0.61, 8.9),
        "metrics_including_shared": metrics(0.52, m + 13, x + 13, 0.31, 2.2),
        "metrics_by_weight": {
            "binary": {"cross_community_edge_ratio": mu, "verdict": verdict},
            "connections": {"cross_community_edge_ratio": 0.071, "verdict": "feasible"},
        },
        "shared_services": [shared],
        "shared_zone": {
            "services": zone_services, "share_of_services": 1 / 13, "allow_listed": [],
            "thresholds": {"reach": 0.3, "community_reach": 0.5, "participation": 0.62,
                           "max_share": 0.15},
        },
        "external_nodes": {"internet": ["internet", "aws:s3"], "unknown": ["unknown:10.9.0.0/16"],
                           "edges": 4},
        "communities": communities,
        "services": services,
        "exception_rules": exception_rules,
        "declared_domains": {
            "domains": 4, "cross_domain_edge_ratio": 0.36, "exceptions": 7, "ami": 0.58,
            "ari": 0.49, "misplaced": misplaced,
        },
        "stability": {"n_seeds": 50, "ari": 0.94, "ami": 0.92,
                      "modularity_by_seed": [0.61, 0.61, 0.6, 0.61, 0.59]},
        "resolution_sweep": [
            {"resolution": r, "communities": c, "modularity": q, "cross_ratio": cr, "ari": ari}
            for r, c, q, cr, ari in [
                (0.25, 1, 0.0, 0.0, 1.0), (0.5, 2, 0.41, 0.12, 0.9), (0.75, 3, 0.6, 0.25, 0.95),
                (1.0, 3, 0.61, mu, 0.94), (1.25, 3, 0.6, mu, 0.93), (1.5, 4, 0.52, 0.39, 0.71),
                (2.0, 6, 0.4, 0.55, 0.52), (3.0, 9, 0.22, 0.78, 0.4)]
        ],
        "chosen_resolution": 1.0,
        "resolution_choice": "most stable non-trivial plateau (γ 0.75–1.25)",
        "null_model": {"rewirings": 100, "modularity": null_q, "cross_ratio": null_mu,
                       "observed_modularity": 0.61, "observed_cross_ratio": mu},
        "parameters": {"weight": "binary", "seeds": 50, "rewirings": 100, "algorithm": "louvain",
                       "min_days": 2, "shared": {"reach": 0.3, "allow_list": ["53/udp", "123/udp"]}},
        "versions": {"flowgraph": "0.1.0", "networkx": nx.__version__, "python": "3.11"},
    }


def fake_case(hostile: bool = False, verdict: str = "feasible_with_exceptions",
              rename: dict[str, str] | None = None) -> tuple[dict, ServiceGraph]:
    """``(assessment_dict, graph)`` for the fake estate (``rename``: extra workload renames)."""
    g = fake_graph(hostile, rename)
    return fake_assessment(g, verdict, rename), g
