"""Replay a real-system corpus file (``tests/realsys/data/<system>.json``) as flowgraph input.

Two paths, both deterministic for a given ``seed``:

* :func:`replay_graph` builds the :class:`~flowgraph.graph.ServiceGraph` edge
  table directly: one row per corpus edge (client, server, port, TCP), a
  seeded heavy-tailed connection count, and a 24-hour span (every edge seen in
  every hour) so the data-quality gates of the verdict pass.
* :func:`write_flow_logs` writes the same traffic as AWS VPC flow-log text
  (the v2 default fields plus ``tcp-flags``, a version-3 custom format with a
  header line, as ``aws ec2 create-flow-logs --log-format`` delivers it) and an
  address inventory, so :func:`flowgraph.build_graph` reads it through the
  real reader, resolver and aggregation.  Each connection is logged at the
  client's and at the server's ENI, request and response direction, with the
  client's SYN (flags 3 = SYN|FIN over the capture window) and the server's SYN-ACK (19 = SYN|ACK|FIN) so direction is decided
  from TCP flags even when both ports are ephemeral (gRPC on 50051).

Examples
--------
>>> doc = {"system": "toy", "edges": [
...     {"client": "web", "server": "api", "port": 8080, "evidence": ["x"]},
...     {"client": "api", "server": "db", "port": 5432, "evidence": ["y"]}]}
>>> g = replay_graph(doc)
>>> sorted(g.services), len(g.pairs())
(['api', 'db', 'web'], 2)
>>> int(g.edges["hours_seen"].max()), int(g.edges["last_seen"].max() - g.edges["first_seen"].min())
(24, 86400)
"""

from __future__ import annotations

import ipaddress
import json
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flowgraph.graph.service_graph import ServiceGraph

__all__ = ["DATA_DIR", "START", "corpus_files", "load", "edge_table", "replay_graph", "write_flow_logs",
           "ACCOUNT", "FLOW_LOG_FIELDS"]

DATA_DIR = Path(__file__).resolve().parent / "data"
"""Directory of the corpus files."""

START = 1_709_251_200
"""Replay start: 2024-03-01T00:00:00Z (a UTC midnight, so 24 h are one UTC day)."""

ACCOUNT = "123456789012"
"""AWS account id written into the flow-log lines and the inventory."""

FLOW_LOG_FIELDS = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
                   "start end action log-status tcp-flags")
"""Header line of the replayed flow-log files (v2 default fields + ``tcp-flags``)."""

HOURS = 24


def corpus_files() -> list[Path]:
    """Every corpus file, sorted by name.

    >>> [p.name for p in corpus_files()][:2]
    ['dsb-hotel-reservation.json', 'dsb-media-microservices.json']
    """
    return sorted(DATA_DIR.glob("*.json"))


def load(path: str | Path) -> dict[str, Any]:
    """Read one corpus file (plain JSON).

    >>> load(DATA_DIR / "teastore.json")["repository"]
    'DescartesResearch/TeaStore'
    """
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _rng(doc: Mapping[str, Any], seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(str(doc["system"]).encode())])


def _connections_per_hour(doc: Mapping[str, Any], seed: int) -> np.ndarray:
    """Seeded heavy-tailed connections per hour for each edge (1–~200), in corpus order."""
    rng = _rng(doc, seed)
    n = len(doc["edges"])
    return np.minimum(1 + np.floor(rng.lognormal(mean=1.5, sigma=1.2, size=n)), 200).astype(np.int64)


def edge_table(doc: Mapping[str, Any], *, seed: int = 0) -> pd.DataFrame:
    """Edge table (columns of :data:`flowgraph.graph.service_graph.EDGE_COLUMNS`) for a corpus document.

    Parameters
    ----------
    doc : mapping
        A corpus document (``edges`` with ``client``, ``server``, ``port``).
    seed : int
        Seed of the connection counts.

    Returns
    -------
    pandas.DataFrame
        One row per corpus edge, protocol 6, seen in each of 24 hours of one day.

    Examples
    --------
    >>> doc = {"system": "toy", "edges": [{"client": "a", "server": "b", "port": 80, "evidence": ["e"]}]}
    >>> t = edge_table(doc)
    >>> t[["client", "server", "server_port", "protocol", "days_seen"]].to_dict("records")
    [{'client': 'a', 'server': 'b', 'server_port': 80, 'protocol': 6, 'days_seen': 1}]
    >>> bool((edge_table(doc, seed=1)["connections"] > 0).all())
    True
    """
    per_hour = _connections_per_hour(doc, seed)
    conns = per_hour * HOURS
    packets = conns * 10
    return pd.DataFrame({
        "client": [e["client"] for e in doc["edges"]],
        "server": [e["server"] for e in doc["edges"]],
        "server_port": [int(e["port"]) for e in doc["edges"]],
        "protocol": 6,
        "connections": conns,
        "packets": packets,
        "bytes": packets * 700,
        "first_seen": START,
        "last_seen": START + HOURS * 3600,
        "hours_seen": HOURS,
        "days_seen": 1,
    })


def _nodes(doc: Mapping[str, Any]) -> pd.DataFrame | None:
    domains = doc.get("domains")
    if not domains:
        return None
    return pd.DataFrame({"domain": pd.Series(domains, dtype="string")}).rename_axis("service")


def replay_graph(doc: Mapping[str, Any], *, seed: int = 0) -> ServiceGraph:
    """:class:`ServiceGraph` of a corpus document (declared ``domains`` become the node domains).

    >>> g = replay_graph(load(DATA_DIR / "lakeside-mutual.json"))
    >>> g.nodes.loc["customer-core", "domain"]
    'Customer Core'
    """
    return ServiceGraph(edge_table(doc, seed=seed), _nodes(doc),
                        quality={"time_span_seconds": float(HOURS * 3600), "unresolved_direction_share": 0.0})


def _addresses(services: list[str]) -> dict[str, str]:
    base = int(ipaddress.IPv4Address("10.20.0.10"))
    return {s: str(ipaddress.IPv4Address(base + i)) for i, s in enumerate(services)}


def write_flow_logs(doc: Mapping[str, Any], out_dir: str | Path, *, seed: int = 0,
                    connections_per_hour: int = 1) -> tuple[Path, Path]:
    """Write the corpus traffic as VPC flow-log text and an inventory CSV under ``out_dir``.

    Every edge gets ``connections_per_hour`` TCP connections in each of the 24
    hours (a new client port each), each logged as four records: request and
    response at the client's ENI and at the server's ENI.

    Parameters
    ----------
    doc : mapping
        A corpus document.
    out_dir : path
        Directory to write ``logs/<system>.log`` and ``inventory.csv`` into.
    seed : int
        Seed of the client ports and byte counts.
    connections_per_hour : int
        Connections per edge and hour (default 1: 24 per edge).

    Returns
    -------
    (Path, Path)
        The log directory and the inventory file, ready for
        ``flowgraph.build_graph(log_dir, inventory)``.

    Examples
    --------
    >>> import tempfile
    >>> doc = {"system": "toy", "edges": [{"client": "a", "server": "b", "port": 50051, "evidence": ["e"]}]}
    >>> logs, inv = write_flow_logs(doc, tempfile.mkdtemp())
    >>> lines = (logs / "toy.log").read_text().splitlines()
    >>> len(lines), lines[0].split()[:3]
    (97, ['version', 'account-id', 'interface-id'])
    >>> lines[1].split()[3:8], lines[1].split()[-1], lines[2].split()[-1]
    (['10.20.0.10', '10.20.0.11', '40000', '50051', '6'], '3', '19')
    """
    out = Path(out_dir)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    services = sorted({e["client"] for e in doc["edges"]} | {e["server"] for e in doc["edges"]})
    ip = _addresses(services)
    eni = {s: f"eni-{zlib.crc32(s.encode()):08x}{i:09x}" for i, s in enumerate(services)}
    rng = _rng(doc, seed)
    domains = doc.get("domains") or {}
    lines = [FLOW_LOG_FIELDS]
    port = 40000
    for e in doc["edges"]:
        c, s, dport = e["client"], e["server"], int(e["port"])
        for h in range(HOURS):
            for k in range(connections_per_hour):
                t0 = START + h * 3600 + 60 * k + int(rng.integers(0, 50))
                t1 = t0 + 5
                req, resp = int(rng.integers(300, 3000)), int(rng.integers(500, 60000))
                sport = port
                port = 40000 + (port - 40000 + 1) % 20000
                for at in (c, s):
                    lines.append(f"3 {ACCOUNT} {eni[at]} {ip[c]} {ip[s]} {sport} {dport} 6 5 {req} {t0} {t1} "
                                 f"ACCEPT OK 3")
                    lines.append(f"3 {ACCOUNT} {eni[at]} {ip[s]} {ip[c]} {dport} {sport} 6 4 {resp} {t0} {t1} "
                                 f"ACCEPT OK 19")
    log = out / "logs" / f"{doc['system']}.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    inv = out / "inventory.csv"
    rows = ["ip,service,domain,account"] + [f"{ip[s]},{s},{domains.get(s, '')},{ACCOUNT}" for s in services]
    inv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out / "logs", inv
