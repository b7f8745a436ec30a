"""Load and check a flowgraph policy (``policy.json`` / ``policy.yaml`` written by the report).

A policy names zones (each with its services), a shared zone and exceptions
``from_service -> to_service : port/protocol``.  :func:`load_policy` checks the
structure and every cross-reference and raises :class:`flowgraph.exceptions.InputError`
with one sentence naming the file and the item; :func:`allowed` decides, vectorised,
which flows of an edge table the policy admits.

Examples
--------
>>> p = {"default": "deny", "zones": [{"name": "a", "services": ["x", "y"]}, {"name": "b", "services": ["z"]}],
...      "shared_zone": {"services": []}, "exceptions": []}
>>> check_policy(p)["zones"][0]["name"]
'a'
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..exceptions import InputError

__all__ = ["load_policy", "check_policy", "service_zones", "allowed", "atomic_write", "PROTOCOLS"]

PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "sctp": 132}


def atomic_write(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename (nothing half-written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _fail(where: str, msg: str):
    raise InputError(f"{where}: {msg}")


def check_policy(policy: Any, where: str = "policy") -> dict:
    """Check a policy dict; raise InputError naming ``where`` and the bad item."""
    if not isinstance(policy, Mapping):
        _fail(where, "is not a policy (expected a mapping with zones and exceptions)")
    zones = policy.get("zones")
    if not isinstance(zones, list) or not zones:
        _fail(where, "has no 'zones' list")
    seen: dict[str, str] = {}
    names = set()
    for i, z in enumerate(zones):
        if not isinstance(z, Mapping) or not isinstance(z.get("name"), str) or not z["name"]:
            _fail(where, f"zone #{i + 1} has no name")
        if z["name"] in names:
            _fail(where, f"zone {z['name']!r} is declared twice")
        names.add(z["name"])
        svcs = z.get("services")
        if not isinstance(svcs, list) or not all(isinstance(s, str) for s in svcs):
            _fail(where, f"zone {z['name']!r} has no list of service names")
        for s in svcs:
            if s in seen:
                _fail(where, f"service {s!r} is in zones {seen[s]!r} and {z['name']!r}")
            seen[s] = z["name"]
    shared = policy.get("shared_zone") or {}
    if not isinstance(shared, Mapping) or not isinstance(shared.get("services", []), list):
        _fail(where, "'shared_zone' must be a mapping with a 'services' list")
    shared_svcs = set(shared.get("services") or [])
    known_zones = names | {"shared", "unassigned"}
    known_svcs = set(seen) | shared_svcs | set(policy.get("unassigned_services") or [])
    excs = policy.get("exceptions", [])
    if not isinstance(excs, list):
        _fail(where, "'exceptions' must be a list")
    for i, x in enumerate(excs):
        label = f"exception #{i + 1}" + (f" {x.get('name')!r}" if isinstance(x, Mapping) and x.get("name") else "")
        if not isinstance(x, Mapping):
            _fail(where, f"{label} is not a mapping")
        for k in ("from_zone", "to_zone"):
            if x.get(k) not in known_zones:
                _fail(where, f"{label} names unknown zone {x.get(k)!r} in {k}")
        for k in ("from_service", "to_service"):
            if x.get(k) not in known_svcs:
                _fail(where, f"{label} names unknown service {x.get(k)!r} in {k}")
        port, proto = x.get("port"), x.get("protocol")
        if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535):
            _fail(where, f"{label} has an invalid port {port!r}")
        if proto is not None and str(proto).lower() not in PROTOCOLS and not str(proto).isdigit():
            _fail(where, f"{label} has an unknown protocol {proto!r}")
    return dict(policy)


def load_policy(path: str | Path) -> dict:
    """Read a policy file (JSON or YAML, ``safe_load``) and check it.

    Raises
    ------
    InputError
        Unreadable, malformed, or naming unknown zones or services (the sentence
        names the file and the item).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the policy ({exc.strerror or exc})") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'} "
                         f"({str(exc).splitlines()[0]})") from None
    return check_policy(data, str(path))


def service_zones(policy: Mapping) -> dict[str, str]:
    """Service -> zone name (shared services map to ``"shared"``)."""
    out = {s: z["name"] for z in policy["zones"] for s in z["services"]}
    out.update({s: "shared" for s in (policy.get("shared_zone") or {}).get("services") or []})
    return out


def _proto_num(p: Any) -> int:
    if p is None:
        return -1
    s = str(p).lower()
    return PROTOCOLS.get(s, int(s) if s.isdigit() else -1)


def allowed(policy: Mapping, edges: pd.DataFrame, *, exclude: set[str] | None = None) -> pd.Series:
    """Which rows of an edge table (``client, server, server_port, protocol``) the policy admits.

    Admitted: both ends in the same zone; the server in the shared zone (reachable
    from all); the client in the shared zone when ``observed_flows`` lists its
    ``from_shared`` port; a matching exception (``port``/``protocol`` null = any);
    a listed external flow.  Exceptions named in ``exclude`` are ignored.

    Examples
    --------
    >>> p = {"zones": [{"name": "a", "services": ["x", "y"]}, {"name": "b", "services": ["z"]}],
    ...      "shared_zone": {"services": ["dns"]},
    ...      "exceptions": [{"name": "e1", "from_service": "x", "to_service": "z", "port": 80, "protocol": "tcp"}]}
    >>> e = pd.DataFrame({"client": ["x", "x", "x", "z", "y"], "server": ["y", "z", "z", "x", "dns"],
    ...                   "server_port": [1, 80, 81, 80, 53], "protocol": [6, 6, 6, 6, 17]})
    >>> allowed(p, e).tolist()
    [True, True, False, False, True]
    >>> allowed(p, e, exclude={"e1"}).tolist()
    [True, False, False, False, True]
    """
    zmap = service_zones(policy)
    cz = edges["client"].astype(str).map(zmap)
    sz = edges["server"].astype(str).map(zmap)
    ok = np.array((cz.notna() & (cz == sz) & (cz != "shared")).to_numpy(), dtype=bool)
    ok |= (sz == "shared").to_numpy()
    port = pd.to_numeric(edges["server_port"], errors="coerce").fillna(-1).astype(np.int64).to_numpy()
    proto = pd.to_numeric(edges["protocol"], errors="coerce").fillna(-1).astype(np.int64).to_numpy()
    keys = pd.MultiIndex.from_arrays([edges["client"].astype(str), edges["server"].astype(str)])
    rules = []
    for x in policy.get("exceptions") or []:
        if exclude and x.get("name") in exclude:
            continue
        rules.append((x["from_service"], x["to_service"], x.get("port"), x.get("protocol")))
    for f in (policy.get("shared_zone") or {}).get("observed_flows") or []:
        if f.get("direction") == "from_shared":
            rules.append((f["service"], None, f.get("port"), f.get("protocol")))
    for f in policy.get("external_flows") or []:
        pair = (f["service"], f["external"]) if f.get("direction") == "egress" else (f["external"], f["service"])
        rules.append((pair[0], pair[1], f.get("port"), f.get("protocol")))
    if rules:
        r = pd.DataFrame(rules, columns=["client", "server", "port", "protocol"])
        r["port"] = pd.to_numeric(r["port"], errors="coerce").fillna(-1).astype(np.int64)
        r["protocol"] = [_proto_num(p) for p in r["protocol"]]
        cli = edges["client"].astype(str).to_numpy()
        srv = edges["server"].astype(str).to_numpy()
        # exact rules (named server, port, protocol) by a hash join; wildcard rules one mask each
        exact = r[r["server"].notna() & (r["port"] >= 0) & (r["protocol"] >= 0)]
        idx = pd.MultiIndex.from_arrays([exact["client"], exact["server"], exact["port"], exact["protocol"]])
        ok |= np.asarray(pd.MultiIndex.from_arrays([keys.get_level_values(0), keys.get_level_values(1), port, proto]).isin(idx))
        for rec in r.drop(exact.index).itertuples(index=False):
            m = cli == rec.client
            if rec.server is not None and not pd.isna(rec.server):
                m &= srv == rec.server
            if rec.port >= 0:
                m &= port == rec.port
            if rec.protocol >= 0:
                m &= proto == rec.protocol
            ok |= m
    return pd.Series(ok, index=edges.index, name="allowed")
