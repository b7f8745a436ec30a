"""The synthetic estate model: domains, services, instances and planted call edges.

:func:`generate_estate` draws an estate (accounts, VPCs, subnets, services in
domains of uneven size, instances with ENIs and private addresses), plants the
service-to-service call edges with a known cross-domain share, adds the
shared platform services, internet-facing edge services, calls to AWS
services and unknown on-premises hosts, and finally logs every connection as
VPC flow-log records (see :mod:`flowgraph.synth.flows`).  The result is an
:class:`Estate` that carries both the observable data (records, inventory,
ENI table) and the ground truth (:class:`Truth`).

Examples
--------
>>> est = generate_estate(domains=3, services=14, shared_services=2, connections=300,
...                       hours=1, scanners=2, reused_addresses=1, seed=1)
>>> est.truth.domains
('checkout', 'catalog', 'payments', 'platform')
>>> sorted(est.truth.shared_services)
['dns', 'metrics']
>>> est.records().num_rows > 1000
True
>>> ("internet", est.truth.edge_services[0], 443, 6) in est.expected_edges()
True
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from ..exceptions import ConfigError

__all__ = [
    "Estate",
    "Truth",
    "generate_estate",
    "LOG_FORMAT",
    "REGION",
    "AZ_IDS",
    "DOMAIN_NAMES",
    "PLATFORM_DOMAIN",
    "SHARED_CATALOGUE",
    "COMPONENTS",
    "AWS_SERVICE_RANGES",
    "INTERNET_RANGES",
    "SCANNER_RANGES",
    "UNKNOWN_RANGE",
    "EPHEMERAL_PORTS",
    "INTERVAL",
]

LOG_FORMAT: tuple[str, ...] = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status", "vpc-id",
    "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr", "region",
    "az-id", "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
)
"""The v5 custom log format of every synthetic flow log (27 fields, header order)."""

REGION = "us-east-1"
"""Region of every VPC (the AWS ranges below are us-east-1's)."""

AZ_IDS: tuple[str, ...] = ("use1-az1", "use1-az2", "use1-az4")
"""Availability-zone ids; every VPC has one subnet in each."""

INTERVAL = 60
"""Aggregation interval in seconds (Nitro instances log at most 60 s per record)."""

EPHEMERAL_PORTS: tuple[int, int] = (32768, 60999)
"""Inclusive range of client (ephemeral) ports, the Linux default."""

DOMAIN_NAMES: tuple[str, ...] = (
    "checkout", "catalog", "payments", "orders", "customers", "search", "shipping",
    "inventory", "pricing", "marketing", "analytics", "fraud", "notifications",
    "recommendations", "billing", "reviews", "loyalty", "warehouse", "returns", "support",
    "reporting", "partners", "ads", "media", "content", "compliance", "tax", "logistics",
    "promotions", "subscriptions",
)
"""Business-domain names, largest domain first; more domains are named ``domainNN``."""

PLATFORM_DOMAIN = "platform"
"""Domain (team) of the shared platform services."""

SHARED_CATALOGUE: tuple[tuple[str, int, int], ...] = (
    ("dns", 53, 17), ("metrics", 9090, 6), ("logging", 24224, 6), ("discovery", 8500, 6),
    ("identity", 443, 6), ("tracing", 4317, 6), ("config", 8888, 6), ("secrets", 8200, 6),
)
"""Shared platform services (name, server port, protocol), taken in this order."""

COMPONENTS: tuple[tuple[str, int], ...] = (
    ("api", 8080), ("db", 5432), ("worker", 8080), ("cache", 6379), ("web", 443),
    ("events", 9092), ("grpc", 8443), ("mysql", 3306), ("scheduler", 8080), ("index", 9200),
    ("admin", 8080), ("ledger", 8443), ("sync", 8080), ("gateway", 8443), ("store", 5432),
    ("queue", 5672), ("stream", 9092), ("batch", 8080), ("export", 8080), ("notifier", 8080),
)
"""Service components (name suffix, server port) assigned in order within a domain."""

_API_LIKE = frozenset({"api", "grpc", "events", "gateway", "web", "stream"})

AWS_SERVICE_RANGES: dict[str, str] = {"S3": "52.216.0.0/15", "DYNAMODB": "52.94.0.0/22"}
"""AWS ip-ranges subsets (us-east-1) used for calls to AWS services, by service code."""

INTERNET_RANGES: tuple[str, ...] = (
    "198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24", "81.2.0.0/16", "89.160.0.0/16",
)
"""Public ranges internet clients come from (TEST-NETs plus two ordinary public blocks)."""

SCANNER_RANGES: tuple[str, ...] = ("45.146.164.0/22", "185.220.100.0/22", "193.142.146.0/24")
"""Public ranges the rejected scanners come from."""

UNKNOWN_RANGE = "10.250.0.0/16"
"""On-premises range of the unknown hosts (inside 10.0.0.0/8, outside every VPC)."""

_SCANNED_PORTS = np.array([22, 23, 25, 80, 110, 135, 139, 445, 1433, 2375, 3389, 5900, 8000,
                           8081, 8888, 9000, 9200, 11211, 27017], dtype=np.int64)

_UNBOUNDED_TO = np.int64(2**62)


def _hex_ids(rng: np.random.Generator, n: int, prefix: str, taken: set[str]) -> list[str]:
    """``n`` distinct ids ``prefix-`` + 17 hex digits (AWS long-id form)."""
    out: list[str] = []
    while len(out) < n:
        ident = f"{prefix}-0{rng.bytes(8).hex()}"
        if ident not in taken:
            taken.add(ident)
            out.append(ident)
    return out


def _parse_start(start: str | int | datetime) -> int:
    if isinstance(start, (int, np.integer)):
        return int(start)
    if isinstance(start, datetime):
        dt = start if start.tzinfo else start.replace(tzinfo=UTC)
    else:
        try:
            dt = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        except ValueError as exc:
            raise ConfigError(f"start must be an ISO-8601 UTC time, not {start!r}") from exc
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def iso(seconds: int) -> str:
    """ISO-8601 UTC text of an epoch time, e.g. ``2024-03-01T06:00:00Z``.

    Examples
    --------
    >>> iso(1709272800)
    '2024-03-01T06:00:00Z'
    """
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, eq=False)
class Truth:
    """Ground truth of a synthetic estate.

    Attributes
    ----------
    domains : tuple of str
        Business domains (largest first), then :data:`PLATFORM_DOMAIN` when
        there are shared services.
    service_domain : dict
        Service name -> domain name, for every service.
    domain_sizes : dict
        Domain name -> number of services.
    shared_services : tuple of str
        The shared platform services (domain ``platform``).
    edge_services : tuple of str
        Services reached by internet clients on port 443.
    edges : pandas.DataFrame
        Planted edges, one row per (client, server, server_port, protocol)
        with ``connections`` (accepted connections in the period, >= 1) and
        ``kind``: ``intra`` / ``cross`` (business call inside / across domains),
        ``shared`` (to a shared service), ``internet``, ``aws``, ``unknown``.
        Non-service peers are named ``internet``, ``aws:S3`` / ``aws:DYNAMODB``
        and ``unknown:10.250.k.0/24``.
    domain_mu : dict
        Domain -> target share of its services' business calls that leave the domain.
    realised_mu : dict
        Domain -> realised share (``cross`` / (``intra`` + ``cross``) edges of its clients).
    mu : float
        Realised overall share of cross-domain business edges (shared,
        internet, AWS and unknown edges excluded).
    reuse : pandas.DataFrame
        Address reuse: ``ip``, ``before`` (service until the switch),
        ``after`` (service from the switch), ``switch_time`` (epoch seconds)
        and ``switch`` (ISO-8601 text).
    """

    domains: tuple[str, ...]
    service_domain: dict[str, str]
    domain_sizes: dict[str, int]
    shared_services: tuple[str, ...]
    edge_services: tuple[str, ...]
    edges: pd.DataFrame = field(repr=False)
    domain_mu: dict[str, float]
    realised_mu: dict[str, float]
    mu: float
    reuse: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict:
        """JSON-ready dict (the content of ``truth.json`` apart from the parameters)."""
        edges = self.edges
        return {
            "domains": list(self.domains),
            "domain_sizes": dict(self.domain_sizes),
            "service_domain": dict(self.service_domain),
            "shared_services": list(self.shared_services),
            "edge_services": list(self.edge_services),
            "domain_mu": {k: round(float(v), 6) for k, v in self.domain_mu.items()},
            "realised_mu": {k: round(float(v), 6) for k, v in self.realised_mu.items()},
            "mu": round(float(self.mu), 6),
            "edges": [
                {"client": c, "server": s, "server_port": int(p), "protocol": int(pr),
                 "connections": int(n), "kind": k}
                for c, s, p, pr, n, k in zip(edges["client"], edges["server"], edges["server_port"],
                                             edges["protocol"], edges["connections"], edges["kind"])
            ],
            "reuse": [
                {"ip": ip, "before": b, "after": a, "switch_time": int(t), "switch": iso(int(t))}
                for ip, b, a, t in zip(self.reuse["ip"], self.reuse["before"], self.reuse["after"],
                                       self.reuse["switch_time"])
            ],
        }


@dataclass(eq=False)
class Estate:
    """A synthetic AWS estate with its flow records and ground truth.

    Attributes
    ----------
    params : dict
        The arguments of :func:`generate_estate` that produced it.
    truth : Truth
        Domains, service -> domain, shared services, planted edges, mu, reuse.
    inventory : pandas.DataFrame
        Address inventory ``ip, service, domain, account, valid_from, valid_to``;
        the validity bounds are ISO-8601 UTC text, NA when unbounded, and
        mean ``valid_from <= t < valid_to``.  A reused address has two rows,
        one ending and one starting at the switch.
    enis : pandas.DataFrame
        One row per ENI: ``interface_id, instance_id, ip, service, domain,
        account, vpc_id, subnet_id, az_id, valid_from, valid_to``.
    accounts : pandas.DataFrame
        One row per account: ``account, vpc_id, cidr, flow_log_id, region``.
    start, end : int
        The period ``[start, end)`` in epoch seconds.

    Examples
    --------
    >>> est = generate_estate(domains=2, services=8, shared_services=1, connections=60,
    ...                       hours=1, scanners=0, reused_addresses=1, seed=4)
    >>> est.enis.columns.tolist()[:4]
    ['interface_id', 'instance_id', 'ip', 'service']
    >>> t = est.records(with_ids=True)
    >>> t.column_names[-2:]
    ['connection_id', 'segment']
    >>> len(est.expected_edges()) == len(est.truth.edges)
    True
    >>> est.summary()["connections"]
    60
    """

    params: dict
    truth: Truth
    inventory: pd.DataFrame
    enis: pd.DataFrame
    accounts: pd.DataFrame
    start: int
    end: int
    _table: pa.Table = field(repr=False)
    _ids: pa.Table = field(repr=False)

    def records(self, *, with_ids: bool = False) -> pa.Table:
        """All flow records as an Arrow table in file order.

        Columns are the :data:`LOG_FORMAT` fields with canonical names
        (``log_status``) and canonical types (``int64`` / ``string``); ``-``
        is null.  With ``with_ids=True`` two extra ``int64`` columns say which
        planted connection (``connection_id``, -1 for scanners, NODATA and
        SKIPDATA) and which aggregation interval of it (``segment``) a record
        belongs to; they are not flow-log fields.
        """
        if not with_ids:
            return self._table
        t = self._table
        for name in self._ids.column_names:
            t = t.append_column(name, self._ids.column(name))
        return t

    def expected_edges(self) -> set[tuple[str, str, int, int]]:
        """``(client, server, server_port, protocol)`` that accepted traffic produces.

        Every planted edge carries at least one accepted connection inside the
        period, so this is exactly the planted edge set: services by name,
        shared services included, other peers as ``internet``, ``aws:S3`` /
        ``aws:DYNAMODB`` and ``unknown:10.250.k.0/24``.  Rejected scanner
        traffic produces no edge.
        """
        e = self.truth.edges
        return {(str(c), str(s), int(p), int(pr)) for c, s, p, pr in
                zip(e["client"], e["server"], e["server_port"], e["protocol"])}

    def summary(self) -> dict:
        """Headline figures: counts of services, ENIs, edges, connections and records."""
        t = self._table
        status = pd.Series(t.column("log_status").to_numpy(zero_copy_only=False)).value_counts()
        action = pd.Series(t.column("action").to_numpy(zero_copy_only=False)).value_counts()
        e = self.truth.edges
        return {
            "domains": len(self.truth.domains),
            "services": len(self.truth.service_domain),
            "shared_services": len(self.truth.shared_services),
            "enis": len(self.enis),
            "accounts": len(self.accounts),
            "edges": len(e),
            "edges_by_kind": {k: int(v) for k, v in e["kind"].value_counts().sort_index().items()},
            "connections": int(e["connections"].sum()),
            "records": t.num_rows,
            "accept_records": int(action.get("ACCEPT", 0)),
            "reject_records": int(action.get("REJECT", 0)),
            "nodata_records": int(status.get("NODATA", 0)),
            "skipdata_records": int(status.get("SKIPDATA", 0)),
            "mu": round(float(self.truth.mu), 4),
        }


# ---------------------------------------------------------------------------------------
# topology
# ---------------------------------------------------------------------------------------

@dataclass
class _Topology:
    """Internal arrays shared by the model and the record generator."""

    p0: int
    p1: int
    accounts: list[str]
    vpc_ids: list[str]
    flow_log_ids: list[str]
    subnet_ids: list[str]          # global subnet index -> id
    subnet_account: np.ndarray
    subnet_az: np.ndarray           # index into AZ_IDS
    svc_name: list[str]
    svc_domain: np.ndarray          # index into domain_names
    svc_port: np.ndarray
    svc_proto: np.ndarray
    svc_account: np.ndarray
    svc_shared: np.ndarray
    domain_names: list[str]
    # ENIs, grouped by service, permanent instances first
    eni_service: np.ndarray
    eni_subnet: np.ndarray
    eni_ip: list[str]
    eni_id: list[str]
    eni_instance: list[str]
    eni_from: np.ndarray
    eni_to: np.ndarray
    inst_off: np.ndarray
    inst_all: np.ndarray
    inst_perm: np.ndarray
    # external addresses
    internet_ips: list[str]
    scanner_ips: list[str]
    aws_names: list[str]
    aws_ips: list[list[str]]
    unknown_ips: list[str]
    # planted edges: kinds 0 service, 1 internet, 2 unknown (client); 0 service, 3 aws (server)
    e_ckind: np.ndarray
    e_cref: np.ndarray
    e_skind: np.ndarray
    e_sref: np.ndarray
    e_port: np.ndarray
    e_proto: np.ndarray
    e_kind: list[str]
    e_conns: np.ndarray


def _range_pick(rng: np.random.Generator, cidr: str, n: int, lo: int = 1) -> list[str]:
    """``n`` distinct host addresses from ``cidr`` (skipping the first ``lo``)."""
    net = ipaddress.ip_network(cidr)
    size = net.num_addresses - lo - 1
    n = min(n, size)
    offs = rng.choice(size, size=n, replace=False) + lo
    base = int(net.network_address)
    return [str(ipaddress.IPv4Address(base + int(o))) for o in offs]


def _domain_sizes(n: int, k: int) -> np.ndarray:
    """Zipf-ish sizes (exponent 0.9) of ``k`` domains holding ``n`` services, min 2-4 each."""
    floor = max(2, min(4, n // k))
    w = 1.0 / np.arange(1, k + 1) ** 0.9
    rest = n - floor * k
    quota = w / w.sum() * rest
    sizes = np.floor(quota).astype(np.int64)
    left = rest - sizes.sum()
    order = np.argsort(-(quota - sizes), kind="stable")
    sizes[order[:left]] += 1
    return sizes + floor


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ConfigError(msg)


def _pair(value, name: str) -> tuple[int, int]:
    try:
        lo, hi = (int(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a (low, high) pair of integers") from exc
    _check(1 <= lo <= hi, f"{name} must satisfy 1 <= low <= high, got {value!r}")
    return lo, hi


def generate_estate(
    *,
    domains: int = 12,
    services: int = 200,
    mu: float = 0.2,
    domain_mu: Mapping[str | int, float] | None = None,
    calls_per_service: tuple[int, int] = (2, 5),
    shared_services: int = 5,
    shared_reach: float = 0.9,
    internet_edge_services: int = 4,
    aws_service_share: float = 0.25,
    accounts: int = 3,
    instances_per_service: tuple[int, int] = (1, 4),
    connections: int = 50_000,
    long_share: float = 0.05,
    hours: float = 24,
    start: str | int | datetime = "2024-03-01T00:00:00Z",
    reused_addresses: int = 5,
    unknown_addresses: int = 4,
    scanners: int = 20,
    nodata_share: float = 0.1,
    skipdata: int = 5,
    seed: int = 0,
) -> Estate:
    """Generate a synthetic AWS estate with known ground truth.

    Parameters
    ----------
    domains : int
        Number of business domains (teams).  Sizes are Zipf-ish (the k-th
        largest gets a share ~ 1/k^0.9, at least 2-4 services each); names
        come from :data:`DOMAIN_NAMES`.  The shared services form one more
        domain, ``platform``.
    services : int
        Total number of services, shared platform services included.
    mu : float
        Share of each business service's calls that go to another domain
        (the planted mixing parameter), for domains not in ``domain_mu``.
    domain_mu : mapping, optional
        Per-domain override of ``mu``, keyed by domain name or by index
        (0 = largest domain), e.g. ``{"payments": 0.05, "orders": 0.5}``.
    calls_per_service : (int, int)
        Inclusive range of business calls each non-shared service makes
        (distinct callees); within-domain calls are capped by the domain size.
    shared_services : int
        Number of shared platform services, taken from :data:`SHARED_CATALOGUE`
        (dns on 53/udp first); more are named ``platform-svcN`` (8080/tcp).
    shared_reach : float
        Mean share of services that call each shared service (each gets
        ``shared_reach`` +/- 0.05; the default guarantees >= 85 %).  Shared
        services other than dns also call dns.
    internet_edge_services : int
        Services (a ``web`` or ``api`` service of the largest domains, in turn)
        that internet clients reach on 443/tcp.
    aws_service_share : float
        Share of business services that call S3 and/or DynamoDB on 443/tcp
        (public AWS addresses, ``pkt-dst-aws-service`` set).
    accounts : int
        AWS accounts (12-digit ids, the first with a leading zero), one VPC
        each (``10.{a+1}.0.0/16``, three /18 subnets, one per AZ).  Each domain
        has a home account; 10 % of services live in another one.  Instances
        of all domains share the subnets of their account.
    instances_per_service : (int, int)
        Inclusive range of instances (one ENI each) per service; shared
        services get at least 2.
    connections : int
        Total accepted connections over the period, spread over the planted
        edges with heavy-tailed volumes; every edge gets at least one (so the
        realised total is ``max(connections, number of edges)``).
    long_share : float
        Share of TCP connections that last several aggregation intervals.
    hours : float
        Length of the period.
    start : str, int or datetime
        Start of the period (ISO-8601 UTC text or epoch seconds).
    reused_addresses : int
        Addresses that belong to one service until a switch time part-way
        through the period (30-70 %) and to another service of the same
        account afterwards.
    unknown_addresses : int
        On-premises hosts in ``10.250.0.0/16`` (not in the inventory, each in
        its own /24) that call 1-3 services.
    scanners : int
        Internet scanners knocking on random ports of the internet-facing
        ENIs; their packets are rejected (``REJECT`` records, no edge).
    nodata_share : float
        Share of ENIs that also log ``NODATA`` records for idle minutes.
    skipdata : int
        Number of ``SKIPDATA`` records (no record is actually dropped).
    seed : int
        Seed of the random generator; the same arguments give the same estate.

    Returns
    -------
    Estate

    Raises
    ------
    flowgraph.ConfigError
        When a parameter is out of range.

    Examples
    --------
    >>> est = generate_estate(domains=3, services=12, shared_services=2, connections=200,
    ...                       hours=1, scanners=1, reused_addresses=1, seed=7)
    >>> sorted(est.truth.domain_sizes.values())
    [2, 3, 3, 4]
    >>> est.inventory.columns.tolist()
    ['ip', 'service', 'domain', 'account', 'valid_from', 'valid_to']
    >>> set(est.records().column("log_status").to_pylist()) == {"OK", "NODATA", "SKIPDATA"}
    True
    """
    params = dict(
        domains=domains, services=services, mu=mu,
        domain_mu=None if domain_mu is None else dict(domain_mu),
        calls_per_service=tuple(calls_per_service), shared_services=shared_services,
        shared_reach=shared_reach, internet_edge_services=internet_edge_services,
        aws_service_share=aws_service_share, accounts=accounts,
        instances_per_service=tuple(instances_per_service), connections=connections,
        long_share=long_share, hours=hours, start=start if isinstance(start, (str, int)) else str(start),
        reused_addresses=reused_addresses, unknown_addresses=unknown_addresses, scanners=scanners,
        nodata_share=nodata_share, skipdata=skipdata, seed=seed,
    )
    topo, truth, inventory, enis, accts = _build(params)
    from .flows import build_records  # local import: flows imports this module

    table, ids = build_records(topo, np.random.default_rng([int(seed), 2]), params)
    return Estate(params=params, truth=truth, inventory=inventory, enis=enis, accounts=accts,
                  start=topo.p0, end=topo.p1, _table=table, _ids=ids)


def _build(p: dict):
    domains, services, shared = int(p["domains"]), int(p["services"]), int(p["shared_services"])
    _check(domains >= 1, "domains must be >= 1")
    _check(0 <= shared <= services, "shared_services must be between 0 and services")
    n_b = services - shared
    _check(n_b >= 2 * domains, f"need at least 2 business services per domain: services - shared_services = {n_b} < {2 * domains}")
    _check(0.0 <= float(p["mu"]) <= 1.0, "mu must be in [0, 1]")
    _check(1 <= int(p["accounts"]) <= 200, "accounts must be between 1 and 200")
    _check(0 <= int(p["internet_edge_services"]) <= n_b, "internet_edge_services exceeds the business services")
    _check(0.0 <= float(p["aws_service_share"]) <= 1.0, "aws_service_share must be in [0, 1]")
    _check(0.0 <= float(p["shared_reach"]) <= 1.0, "shared_reach must be in [0, 1]")
    _check(0.0 <= float(p["long_share"]) <= 1.0, "long_share must be in [0, 1]")
    _check(0.0 <= float(p["nodata_share"]) <= 1.0, "nodata_share must be in [0, 1]")
    _check(float(p["hours"]) * 3600 >= 1800, "hours must cover at least half an hour")
    _check(0 <= int(p["unknown_addresses"]) <= 250, "unknown_addresses must be between 0 and 250")
    for key in ("reused_addresses", "scanners", "skipdata", "connections"):
        _check(int(p[key]) >= 0, f"{key} must be >= 0")
    calls_lo, calls_hi = _pair(p["calls_per_service"], "calls_per_service")
    inst_lo, inst_hi = _pair(p["instances_per_service"], "instances_per_service")

    rng = np.random.default_rng([int(p["seed"]), 1])
    p0 = _parse_start(p["start"])
    p1 = p0 + int(round(float(p["hours"]) * 3600))

    # -- domains and services ----------------------------------------------------------
    names = list(DOMAIN_NAMES[:domains]) + [f"domain{i:02d}" for i in range(len(DOMAIN_NAMES), domains)]
    sizes = _domain_sizes(n_b, domains)
    dmu = np.full(domains, float(p["mu"]))
    named_mu = {}
    for key, val in (p["domain_mu"] or {}).items():
        idx = int(key) if isinstance(key, (int, np.integer)) else (names.index(key) if key in names else -1)
        _check(0 <= idx < domains, f"domain_mu names an unknown domain: {key!r}")
        _check(0.0 <= float(val) <= 1.0, f"domain_mu[{key!r}] must be in [0, 1]")
        dmu[idx] = float(val)
        named_mu[names[idx]] = float(val)
    if p["domain_mu"] is not None:
        p["domain_mu"] = named_mu
    domain_names = names + ([PLATFORM_DOMAIN] if shared else [])

    svc_name: list[str] = []
    svc_comp: list[str] = []
    domain_of: list[int] = []
    port_of: list[int] = []
    proto_of: list[int] = []
    shared_of: list[bool] = []
    for d, size in enumerate(sizes):
        for j in range(size):
            comp, port = COMPONENTS[j % len(COMPONENTS)]
            suffix = comp if j < len(COMPONENTS) else f"{comp}-{j // len(COMPONENTS) + 1}"
            svc_name.append(f"{names[d]}-{suffix}")
            domain_of.append(d)
            port_of.append(port)
            proto_of.append(6)
            shared_of.append(False)
            svc_comp.append(comp)
    for j in range(shared):
        name, port, proto = SHARED_CATALOGUE[j] if j < len(SHARED_CATALOGUE) else (f"platform-svc{j + 1}", 8080, 6)
        svc_name.append(name)
        domain_of.append(domains)
        port_of.append(port)
        proto_of.append(proto)
        shared_of.append(True)
        svc_comp.append("shared")
    svc_domain = np.array(domain_of, dtype=np.int64)
    svc_port = np.array(port_of, dtype=np.int64)
    svc_proto = np.array(proto_of, dtype=np.int64)
    svc_shared = np.array(shared_of, dtype=bool)
    n_s = len(svc_name)

    # internet-facing edge services: web (else api) of the largest domains, round robin
    edge_idx: list[int] = []
    for d in range(domains):
        if len(edge_idx) >= int(p["internet_edge_services"]):
            break
        members = np.flatnonzero(svc_domain == d)
        pick = next((m for m in members if svc_comp[m] == "web"), None)
        if pick is None:
            pick = next((m for m in members if svc_comp[m] == "api"), members[0])
        edge_idx.append(int(pick))
    remaining = [i for i in range(n_b) if i not in set(edge_idx)]
    while len(edge_idx) < int(p["internet_edge_services"]):
        edge_idx.append(remaining.pop(0))
    svc_port[edge_idx] = 443

    # -- accounts, VPCs, subnets --------------------------------------------------------
    n_acc = int(p["accounts"])
    acc_list: list[str] = []
    taken_acc: set[str] = set()
    while len(acc_list) < n_acc:
        digits = "".join(str(x) for x in rng.integers(0, 10, 11))
        acc = ("0" + digits) if not acc_list else (str(rng.integers(1, 10)) + digits)
        if acc not in taken_acc:
            taken_acc.add(acc)
            acc_list.append(acc)
    taken_ids: set[str] = set()
    vpc_ids = _hex_ids(rng, n_acc, "vpc", taken_ids)
    flow_log_ids = _hex_ids(rng, n_acc, "fl", taken_ids)
    subnet_ids = _hex_ids(rng, n_acc * len(AZ_IDS), "subnet", taken_ids)
    subnet_account = np.repeat(np.arange(n_acc), len(AZ_IDS))
    subnet_az = np.tile(np.arange(len(AZ_IDS)), n_acc)

    home = np.arange(domains) % n_acc
    svc_account = np.where(svc_shared, 0, home[np.minimum(svc_domain, domains - 1)])
    moved = (~svc_shared) & (rng.random(n_s) < 0.10)
    if n_acc > 1:
        shift = rng.integers(1, n_acc, n_s)
        svc_account = np.where(moved, (svc_account + shift) % n_acc, svc_account)

    # -- instances / ENIs ---------------------------------------------------------------
    n_inst = rng.integers(inst_lo, inst_hi + 1, n_s)
    n_inst = np.where(svc_shared, np.maximum(n_inst, 2), n_inst)
    n_reuse = int(p["reused_addresses"])
    reuse_pairs: list[tuple[int, int, int]] = []  # (A, B, switch time)
    used: set[int] = set()
    biz = rng.permutation(n_b)
    for a in biz:
        if len(reuse_pairs) >= n_reuse:
            break
        a = int(a)
        if a in used:
            continue
        cands = [int(b) for b in biz if int(b) not in used and b != a
                 and svc_account[b] == svc_account[a] and svc_domain[b] != svc_domain[a]]
        if not cands:
            cands = [int(b) for b in biz if int(b) not in used and b != a and svc_account[b] == svc_account[a]]
        if not cands:
            continue
        b = cands[int(rng.integers(len(cands)))]
        used.update((a, b))
        frac = rng.uniform(0.3, 0.7)
        t_switch = p0 + int((p1 - p0) * frac) // 60 * 60
        reuse_pairs.append((a, b, t_switch))
    _check(len(reuse_pairs) == n_reuse, f"cannot place {n_reuse} reused addresses in this estate")

    extra_from = np.zeros(n_s, dtype=np.int64)  # lifetime of the extra (reused) instance
    extra_to = np.full(n_s, _UNBOUNDED_TO)
    has_extra = np.zeros(n_s, dtype=bool)
    for a, b, t in reuse_pairs:
        has_extra[a] = has_extra[b] = True
        extra_to[a] = t
        extra_from[b] = t
    inst_all = n_inst + has_extra
    inst_off = np.concatenate([[0], np.cumsum(inst_all)[:-1]]).astype(np.int64)
    n_eni = int(inst_all.sum())
    eni_service = np.repeat(np.arange(n_s), inst_all)
    pos = np.arange(n_eni) - inst_off[eni_service]
    is_extra = pos >= n_inst[eni_service]
    eni_from = np.where(is_extra, extra_from[eni_service], 0).astype(np.int64)
    eni_to = np.where(is_extra, extra_to[eni_service], _UNBOUNDED_TO).astype(np.int64)
    eni_acc = svc_account[eni_service]
    eni_subnet = eni_acc * len(AZ_IDS) + rng.integers(0, len(AZ_IDS), n_eni)
    # the B side of a reused address lives in A's subnet with A's address
    copy_from = np.full(n_eni, -1, dtype=np.int64)
    for a, b, _t in reuse_pairs:
        ea = inst_off[a] + inst_all[a] - 1
        eb = inst_off[b] + inst_all[b] - 1
        copy_from[eb] = ea
        eni_subnet[eb] = eni_subnet[ea]
    eni_ip = [""] * n_eni
    for sn in range(len(subnet_ids)):
        members = np.flatnonzero((eni_subnet == sn) & (copy_from < 0))
        if not len(members):
            continue
        hosts = rng.choice(16384 - 5, size=len(members), replace=False) + 4
        a_idx = subnet_account[sn] + 1
        third = subnet_az[sn] * 64 + hosts // 256
        for m, h3, h4 in zip(members, third, hosts % 256):
            eni_ip[m] = f"10.{a_idx}.{h3}.{h4}"
    for eb in np.flatnonzero(copy_from >= 0):
        eni_ip[eb] = eni_ip[copy_from[eb]]
    eni_id = _hex_ids(rng, n_eni, "eni", taken_ids)
    eni_instance = _hex_ids(rng, n_eni, "i", taken_ids)

    # -- external addresses --------------------------------------------------------------
    internet_ips: list[str] = []
    for cidr, n in zip(INTERNET_RANGES, (120, 90, 40, 30, 20)):
        internet_ips += _range_pick(rng, cidr, n)
    scanner_ips: list[str] = []
    n_scan = int(p["scanners"])
    for k in range(n_scan):
        scanner_ips += _range_pick(rng, SCANNER_RANGES[k % len(SCANNER_RANGES)], 1)
    aws_names = list(AWS_SERVICE_RANGES)
    aws_ips = [_range_pick(rng, AWS_SERVICE_RANGES[n], 48) for n in aws_names]
    n_unk = int(p["unknown_addresses"])
    unk_nets = rng.choice(np.arange(1, 251), size=n_unk, replace=False) if n_unk else np.array([], int)
    unknown_ips = [f"10.250.{int(x)}.{int(h)}" for x, h in zip(unk_nets, rng.integers(10, 250, n_unk))]

    # -- planted edges ---------------------------------------------------------------
    # rows: (client kind, client ref, server kind, server ref, port, protocol, kind);
    # client kinds 0 service, 1 internet, 2 unknown host; server kinds 0 service, 3 AWS service
    rows: list[tuple[int, int, int, int, int, int, str]] = []

    def call(c: int | np.integer, s: int | np.integer, kind: str) -> None:
        rows.append((0, int(c), 0, int(s), int(svc_port[s]), int(svc_proto[s]), kind))

    pop = rng.lognormal(0.0, 0.8, n_s)
    boost = np.array([3.0 if c in _API_LIKE else 1.0 for c in svc_comp])
    k_calls = rng.integers(calls_lo, calls_hi + 1, n_b)
    for d in range(domains):
        members = np.flatnonzero(svc_domain[:n_b] == d)
        slots = int(k_calls[members].sum())
        n_cross = int(round(dmu[d] * slots))
        owner = np.repeat(members, k_calls[members])
        cross_slot = np.zeros(slots, dtype=bool)
        cross_slot[rng.choice(slots, size=n_cross, replace=False)] = True
        n_out = np.bincount(np.searchsorted(members, owner[cross_slot]), minlength=len(members))
        outside = np.flatnonzero(svc_domain[:n_b] != d)
        for i, m in enumerate(members):
            n_in = min(int(k_calls[m]) - int(n_out[i]), len(members) - 1)
            peers = members[members != m]
            if n_in > 0:
                w = pop[peers]
                for t in rng.choice(peers, size=n_in, replace=False, p=w / w.sum()):
                    call(m, t, "intra")
            n_o = min(int(n_out[i]), len(outside))
            if n_o > 0:
                w = pop[outside] * boost[outside]
                for t in rng.choice(outside, size=n_o, replace=False, p=w / w.sum()):
                    call(m, t, "cross")
    shared_idx = np.flatnonzero(svc_shared)
    for j in shared_idx.tolist():
        reach = float(np.clip(float(p["shared_reach"]) + rng.uniform(-0.05, 0.05), 0.0, 1.0))
        callers = np.sort(rng.choice(n_b, size=int(round(reach * n_b)), replace=False))
        if svc_name[j] == "dns":
            callers = np.concatenate([callers, shared_idx[shared_idx != j]])
        for c in callers:
            call(c, j, "shared")
    n_edges_svc = len(rows)
    for s in edge_idx:
        rows.append((1, 0, 0, s, 443, 6, "internet"))
    n_aws = int(round(float(p["aws_service_share"]) * n_b))
    for c in np.sort(rng.choice(n_b, size=n_aws, replace=False)):
        u = rng.random()
        for t in ([0] if u < 0.65 else ([1] if u < 0.85 else [0, 1])):
            rows.append((0, int(c), 3, t, 443, 6, "aws"))
    for k in range(n_unk):
        for s in np.sort(rng.choice(n_b, size=int(rng.integers(1, 4)), replace=False)):
            rows.append((2, k, 0, int(s), int(svc_port[s]), int(svc_proto[s]), "unknown"))
    cols = list(zip(*rows)) if rows else [()] * 7
    e_ckind, e_cref, e_skind, e_sref, e_port, e_proto = (np.array(c, dtype=np.int64) for c in cols[:6])
    e_kind = list(cols[6])
    n_e = len(rows)

    # heavy-tailed volumes, at least one connection per edge
    kind_w = {"intra": 1.0, "cross": 0.8, "shared": 1.0, "internet": 6.0, "aws": 1.0, "unknown": 0.3}
    w = rng.lognormal(0.0, 1.4, n_e) * np.array([kind_w[k] for k in e_kind])
    is_dns = (e_skind == 0) & np.isin(e_sref, [i for i in shared_idx if svc_name[i] == "dns"])
    w = np.where(is_dns, w * 3.0, w)
    extra = max(int(p["connections"]) - n_e, 0)
    e_conns = 1 + rng.multinomial(extra, w / w.sum()) if n_e else np.zeros(0, np.int64)

    def peer_name(kind: int, ref: int) -> str:
        if kind == 0:
            return svc_name[ref]
        if kind == 1:
            return "internet"
        if kind == 2:
            return f"unknown:{ipaddress.ip_network(unknown_ips[ref] + '/24', strict=False)}"
        return f"aws:{aws_names[ref]}"

    edges = pd.DataFrame({
        "client": pd.array([peer_name(k, r) for k, r in zip(e_ckind, e_cref)], dtype="string"),
        "server": pd.array([peer_name(k, r) for k, r in zip(e_skind, e_sref)], dtype="string"),
        "server_port": e_port,
        "protocol": e_proto,
        "connections": e_conns.astype(np.int64),
        "kind": pd.array(e_kind, dtype="string"),
    })

    biz_kind = np.array(e_kind[:n_edges_svc])
    biz_client = e_cref[:n_edges_svc]
    realised = {}
    for d in range(domains):
        sel = (svc_domain[biz_client] == d) & np.isin(biz_kind, ["intra", "cross"])
        tot = int(sel.sum())
        realised[names[d]] = float((biz_kind[sel] == "cross").sum() / tot) if tot else 0.0
    n_biz = int(np.isin(biz_kind, ["intra", "cross"]).sum())
    mu_all = float((biz_kind == "cross").sum() / n_biz) if n_biz else 0.0

    reuse = pd.DataFrame({
        "ip": pd.array([eni_ip[inst_off[a] + inst_all[a] - 1] for a, _b, _t in reuse_pairs], dtype="string"),
        "before": pd.array([svc_name[a] for a, _b, _t in reuse_pairs], dtype="string"),
        "after": pd.array([svc_name[b] for _a, b, _t in reuse_pairs], dtype="string"),
        "switch_time": np.array([t for _a, _b, t in reuse_pairs], dtype=np.int64),
    })
    reuse["switch"] = pd.array([iso(t) for t in reuse["switch_time"]], dtype="string")

    truth = Truth(
        domains=tuple(domain_names),
        service_domain={svc_name[i]: domain_names[svc_domain[i]] for i in range(n_s)},
        domain_sizes={domain_names[d]: int((svc_domain == d).sum()) for d in range(len(domain_names))},
        shared_services=tuple(svc_name[i] for i in shared_idx),
        edge_services=tuple(svc_name[i] for i in edge_idx),
        edges=edges,
        domain_mu={names[d]: float(dmu[d]) for d in range(domains)},
        realised_mu=realised,
        mu=mu_all,
        reuse=reuse,
    )

    def bound(x: np.ndarray, lo: bool) -> pd.array:
        vals = [pd.NA if (v == 0 if lo else v == _UNBOUNDED_TO) else iso(int(v)) for v in x]
        return pd.array(vals, dtype="string")

    eni_tab = pd.DataFrame({
        "interface_id": pd.array(eni_id, dtype="string"),
        "instance_id": pd.array(eni_instance, dtype="string"),
        "ip": pd.array(eni_ip, dtype="string"),
        "service": pd.array([svc_name[s] for s in eni_service], dtype="string"),
        "domain": pd.array([domain_names[svc_domain[s]] for s in eni_service], dtype="string"),
        "account": pd.array([acc_list[a] for a in eni_acc], dtype="string"),
        "vpc_id": pd.array([vpc_ids[a] for a in eni_acc], dtype="string"),
        "subnet_id": pd.array([subnet_ids[s] for s in eni_subnet], dtype="string"),
        "az_id": pd.array([AZ_IDS[subnet_az[s]] for s in eni_subnet], dtype="string"),
        "valid_from": bound(eni_from, True),
        "valid_to": bound(eni_to, False),
    })
    inv = eni_tab[["ip", "service", "domain", "account", "valid_from", "valid_to"]].copy()
    ip_key = np.array([int(ipaddress.IPv4Address(x)) for x in inv["ip"]], dtype=np.int64)
    from_key = np.array([0 if v is pd.NA else 1 for v in inv["valid_from"]], dtype=np.int64)
    inv = inv.iloc[np.lexsort((from_key, ip_key))].reset_index(drop=True)

    accts = pd.DataFrame({
        "account": pd.array(acc_list, dtype="string"),
        "vpc_id": pd.array(vpc_ids, dtype="string"),
        "cidr": pd.array([f"10.{a + 1}.0.0/16" for a in range(n_acc)], dtype="string"),
        "flow_log_id": pd.array(flow_log_ids, dtype="string"),
        "region": pd.array([REGION] * n_acc, dtype="string"),
    })

    topo = _Topology(
        p0=p0, p1=p1, accounts=acc_list, vpc_ids=vpc_ids, flow_log_ids=flow_log_ids,
        subnet_ids=subnet_ids, subnet_account=subnet_account, subnet_az=subnet_az,
        svc_name=svc_name, svc_domain=svc_domain, svc_port=svc_port, svc_proto=svc_proto,
        svc_account=svc_account, svc_shared=svc_shared, domain_names=domain_names,
        eni_service=eni_service, eni_subnet=eni_subnet, eni_ip=eni_ip, eni_id=eni_id,
        eni_instance=eni_instance, eni_from=eni_from, eni_to=eni_to, inst_off=inst_off,
        inst_all=inst_all.astype(np.int64), inst_perm=n_inst.astype(np.int64),
        internet_ips=internet_ips, scanner_ips=scanner_ips, aws_names=aws_names, aws_ips=aws_ips,
        unknown_ips=unknown_ips, e_ckind=e_ckind, e_cref=e_cref, e_skind=e_skind, e_sref=e_sref,
        e_port=e_port, e_proto=e_proto,
        e_kind=e_kind, e_conns=e_conns.astype(np.int64),
    )
    return topo, truth, inv, eni_tab, accts
