"""Who is behind an address: the inventory.

An inventory maps addresses (``ip``) or ranges (``cidr``) to a ``service``,
optionally with its ``domain`` (or ``team``), ``account`` and a validity
window ``valid_from`` / ``valid_to`` (cloud addresses are reused: an address
can belong to service A in the morning and B after a redeploy).  Windows are
half-open, ``[valid_from, valid_to)``; empty means unbounded.  Times are
ISO-8601 (``2024-03-01T06:00:00Z``) or epoch seconds.

:func:`load_inventory` reads CSV, JSON (records or the output of
``aws ec2 describe-network-interfaces``) and Parquet.  It is the one place
that validates inventory input.

Service names live in their own namespace: the resolver's pseudo-nodes are
``internet`` (``internet:<net>`` per /16), ``unknown`` / ``unknown:<net>`` and
``aws:<SERVICE>``.  An inventory service spelled like one of them (a service
really called ``internet``) is renamed ``service:<name>`` and the rename is
reported in :attr:`Inventory.problems`; the row is kept, so its addresses
still resolve to that service, and real internet traffic stays on the
``internet`` node instead of merging with it.

Examples
--------
>>> import pandas as pd
>>> inv = Inventory.from_frame(pd.DataFrame({
...     "ip": ["10.0.0.1", "10.0.0.2", "10.0.0.2"],
...     "service": ["web", "api", "batch"],
...     "domain": ["shop", "shop", "data"],
...     "valid_from": [None, None, "2024-03-01T12:00:00Z"],
...     "valid_to": [None, "2024-03-01T12:00:00Z", None]}))
>>> inv
Inventory(3 entries, 3 services, 2 domains)
>>> inv.services.loc["batch", "domain"]
'data'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import InventoryError
from .addresses import parse_network

__all__ = ["Inventory", "load_inventory", "TIME_MIN", "TIME_MAX", "PSEUDO_NODE_PREFIX", "service_name"]

PSEUDO_NODE_PREFIX = "service:"
"""Prefix given to an inventory service whose name is a pseudo-node's (see :func:`service_name`)."""

TIME_MIN = np.iinfo(np.int64).min // 2
TIME_MAX = np.iinfo(np.int64).max // 2


def _to_epoch(values: pd.Series, column: str, source: str) -> np.ndarray:
    """Epoch seconds from ISO strings or numbers; NA -> sentinel handled by caller."""
    s = pd.Series(values, dtype="object")
    out = np.full(len(s), np.nan)
    mask = s.notna() & (s.astype(str).str.strip() != "")
    if not mask.any():
        return out
    vals = s[mask]
    numeric = pd.to_numeric(vals, errors="coerce")
    iso = vals[numeric.isna()]
    out_idx = np.flatnonzero(mask.to_numpy())
    res = np.array(numeric.to_numpy(dtype=float), dtype=float)
    if len(iso):
        parsed = pd.to_datetime(iso.astype(str), utc=True, errors="coerce", format="ISO8601")
        if parsed.isna().any():
            bad = iso[parsed.isna()].iloc[0]
            raise InventoryError(f"inventory {source}: column '{column}' has a value that is not a time: {str(bad)[:60]!r}")
        res[numeric.isna().to_numpy()] = ((parsed - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(dtype=float)
    res = np.where(res > 2_147_483_647 * 10, res // 1000, res)  # millisecond epochs
    out[out_idx] = res
    return out


def _is_pseudo(name: str) -> bool:
    low = name.strip().lower()
    return low in ("internet", "unknown") or low.startswith(("internet:", "unknown:", "aws:"))


def service_name(name: str) -> str:
    """An inventory service name outside the pseudo-node namespace.

    ``internet``, ``unknown`` and names starting ``internet:``, ``unknown:`` or
    ``aws:`` (any case) are the resolver's pseudo-nodes; such a service is
    renamed ``service:<name>``.  Other names are returned unchanged.

    Examples
    --------
    >>> service_name("internet"), service_name("AWS:S3"), service_name("web")
    ('service:internet', 'service:AWS:S3', 'web')
    """
    return PSEUDO_NODE_PREFIX + name if _is_pseudo(name) else name


def _rename_pseudo(frame: pd.DataFrame, what: str, problems: list[str]) -> pd.DataFrame:
    if frame is None or not len(frame) or "service" not in frame.columns:
        return frame
    svc = frame["service"]
    hit = svc.notna() & svc.astype("string").map(lambda v: _is_pseudo(v) if isinstance(v, str) else False).astype(bool)
    if not hit.any():
        return frame
    frame = frame.copy()
    for name in sorted(svc[hit].astype(str).unique()):
        problems.append(f"inventory service {name!r} ({int((svc[hit] == name).sum())} {what}) is spelled like a "
                        f"pseudo-node and was renamed {service_name(name)!r}")
    frame.loc[hit, "service"] = [service_name(str(v)) for v in svc[hit]]
    return frame


@dataclass
class Inventory:
    """Address → service table with optional domains, accounts and time windows.

    Attributes
    ----------
    entries : pandas.DataFrame
        One row per address or range: ``network`` (``ipaddress`` network),
        ``service``, ``domain``, ``account``, ``valid_from``, ``valid_to``
        (epoch seconds, sentinels for unbounded).
    enis : pandas.DataFrame
        ``interface_id`` → ``service`` (from describe-network-interfaces), used
        when a record's address is not known but its ENI is.
    services : pandas.DataFrame
        One row per service (index) with ``domain`` and ``account``.
    problems : list of str
        Inconsistencies found while loading (kept, reported, not fatal).
    """

    entries: pd.DataFrame
    enis: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["interface_id", "service"]))
    problems: list[str] = field(default_factory=list)
    source: str = "<memory>"

    def __post_init__(self) -> None:
        self.entries = _rename_pseudo(self.entries, "row(s)", self.problems)
        self.enis = _rename_pseudo(self.enis, "interface(s)", self.problems)
        ent = self.entries
        svc = ent[["service", "domain", "account"]].copy()
        if len(self.enis):
            svc = pd.concat([svc, self.enis[["service", "domain", "account"]]], ignore_index=True)
        conflicts = svc.dropna(subset=["domain"]).groupby("service")["domain"].nunique()
        for name in conflicts[conflicts > 1].index:
            self.problems.append(f"service {name!r} is declared in more than one domain; the first is used")
        first = svc.groupby("service", sort=True).first()
        self.services = first.reindex(columns=["domain", "account"]).astype("string")
        self.services.index = self.services.index.astype("string")
        self.services.index.name = "service"

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, source: str = "<memory>") -> Inventory:
        """Build from a DataFrame with ``ip`` or ``cidr`` and ``service`` columns."""
        cols = {c.lower().strip(): c for c in df.columns}
        df = df.rename(columns={v: k for k, v in cols.items()})
        addr_col = "ip" if "ip" in df.columns else "cidr" if "cidr" in df.columns else None
        if addr_col is None or "service" not in df.columns:
            missing = [c for c in ("ip or cidr", "service") if (c == "service" and "service" not in df.columns) or (c != "service" and addr_col is None)]
            raise InventoryError(f"inventory {source} lacks the required column(s): {', '.join(missing)}")
        if "domain" not in df.columns and "team" in df.columns:
            df = df.rename(columns={"team": "domain"})
        problems: list[str] = []
        nets = [parse_network(v) if pd.notna(v) else None for v in df[addr_col]]
        bad = [i for i, n in enumerate(nets) if n is None]
        if bad:
            problems.append(f"{len(bad)} inventory row(s) with an invalid address were ignored, first: row {bad[0] + 2} {str(df[addr_col].iloc[bad[0]])[:40]!r}")
        service = df["service"].astype("string").str.strip()
        no_service = service.isna() | (service == "")
        if no_service.any():
            problems.append(f"{int(no_service.sum())} inventory row(s) without a service name were ignored")
        keep = np.array([n is not None for n in nets]) & ~no_service.to_numpy()
        vf = _to_epoch(df["valid_from"], "valid_from", source) if "valid_from" in df.columns else np.full(len(df), np.nan)
        vt = _to_epoch(df["valid_to"], "valid_to", source) if "valid_to" in df.columns else np.full(len(df), np.nan)
        entries = pd.DataFrame({
            "network": pd.Series(nets, dtype="object"),
            "service": service,
            "domain": df["domain"].astype("string").str.strip() if "domain" in df.columns else pd.Series(pd.NA, index=df.index, dtype="string"),
            "account": _account(df["account"]) if "account" in df.columns else pd.Series(pd.NA, index=df.index, dtype="string"),
            "valid_from": _with_sentinel(vf, TIME_MIN),
            "valid_to": _with_sentinel(vt, TIME_MAX),
        })[keep].reset_index(drop=True)
        inverted = entries["valid_from"] >= entries["valid_to"]
        if inverted.any():
            problems.append(f"{int(inverted.sum())} inventory row(s) have valid_from >= valid_to and never match")
        if entries.empty:
            raise InventoryError(f"inventory {source} has no usable row (every row lacks a valid address or a service)")
        return cls(entries, problems=problems, source=source)

    @classmethod
    def from_describe_network_interfaces(
        cls, data: dict, *, service_tag: str | Sequence[str] = ("service", "Service", "app", "Name"),
        domain_tag: str | Sequence[str] = ("domain", "team", "Team", "Domain"), source: str = "<memory>",
    ) -> Inventory:
        """Build from the JSON that ``aws ec2 describe-network-interfaces`` prints.

        The first tag key in ``service_tag`` present on an interface names its
        service, the first in ``domain_tag`` its domain.  Interfaces with no
        service tag are reported as problems and skipped.
        """
        stags = [service_tag] if isinstance(service_tag, str) else list(service_tag)
        dtags = [domain_tag] if isinstance(domain_tag, str) else list(domain_tag)
        rows, enis, problems = [], [], []
        for eni in data.get("NetworkInterfaces", []):
            tags = {t.get("Key"): t.get("Value") for t in eni.get("TagSet", []) or []}
            svc = next((tags[k] for k in stags if tags.get(k)), None)
            dom = next((tags[k] for k in dtags if tags.get(k)), None)
            eni_id = eni.get("NetworkInterfaceId")
            if not svc:
                problems.append(f"interface {eni_id} has none of the service tags {stags}; skipped")
                continue
            account = eni.get("OwnerId")
            addrs = [a.get("PrivateIpAddress") for a in eni.get("PrivateIpAddresses", []) or []]
            if eni.get("PrivateIpAddress") and eni["PrivateIpAddress"] not in addrs:
                addrs.append(eni["PrivateIpAddress"])
            addrs += [a.get("Ipv6Address") for a in eni.get("Ipv6Addresses", []) or []]
            for a in addrs:
                if a:
                    rows.append({"ip": a, "service": svc, "domain": dom, "account": account})
            enis.append({"interface_id": eni_id, "service": svc, "domain": dom, "account": account})
        if not rows:
            raise InventoryError(f"inventory {source} names no interface with a service tag (looked for {', '.join(stags)})")
        inv = cls.from_frame(pd.DataFrame(rows), source=source)
        inv.enis = pd.DataFrame(enis, columns=["interface_id", "service", "domain", "account"]).astype("string")
        inv.problems = problems + inv.problems
        inv.__post_init__()
        return inv

    # -- views ----------------------------------------------------------------------
    @property
    def domains(self) -> list[str]:
        """Declared domains, sorted."""
        return sorted(self.services["domain"].dropna().unique().tolist())

    def __repr__(self) -> str:
        return f"Inventory({len(self.entries)} entries, {len(self.services)} services, {len(self.domains)} domains)"

    def _repr_html_(self) -> str:
        import html as _h
        return (f"<div><strong>{_h.escape(repr(self))}</strong>"
                + (f"<p>problems: {len(self.problems)}</p>" if self.problems else "") + "</div>")

    def to_dict(self) -> dict:
        """Summary for the report's data-quality section."""
        return {"source": self.source, "entries": int(len(self.entries)), "services": int(len(self.services)),
                "domains": len(self.domains), "interfaces": int(len(self.enis)), "problems": list(self.problems)}


def _with_sentinel(values: np.ndarray, sentinel: int) -> np.ndarray:
    out = np.full(len(values), sentinel, dtype=np.int64)
    known = ~np.isnan(values)
    out[known] = values[known].astype(np.int64)
    return out


def _account(col: pd.Series) -> pd.Series:
    s = col.astype("string").str.strip()
    # Account ids are 12-digit strings; a spreadsheet may have eaten leading zeros.
    digits = s.str.fullmatch(r"\d{1,12}").fillna(False)
    return s.where(~digits, s.str.zfill(12))


def load_inventory(
    path: str | Path, *, service_tag: str | list[str] | None = None, domain_tag: str | list[str] | None = None,
) -> Inventory:
    """Read an inventory from CSV, JSON or Parquet.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.json`` / ``.jsonl`` (a list of records, or the output of
        ``aws ec2 describe-network-interfaces``) or ``.parquet``.
    service_tag, domain_tag : str or list of str, optional
        Tag keys naming the service and the domain in describe-network-interfaces JSON.

    Raises
    ------
    InventoryError
        When the file cannot be read or lacks ``ip``/``cidr`` or ``service``.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> p = os.path.join(d, "inv.csv")
    >>> _ = open(p, "w").write("ip,service,team\\n10.0.0.1,web,shop\\n10.0.1.0/24,db,data\\n")
    >>> load_inventory(p)
    Inventory(2 entries, 2 services, 2 domains)
    """
    p = Path(path)
    src = str(p)
    if not p.exists():
        raise InventoryError(f"inventory file {src} does not exist")
    suffix = "".join(p.suffixes[-1:]).lower()
    try:
        if suffix == ".parquet":
            df = pd.read_parquet(p)
        elif suffix in (".json", ".jsonl"):
            text = p.read_text(encoding="utf-8")
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                data = [json.loads(line) for line in text.splitlines() if line.strip()]
            if isinstance(data, dict) and "NetworkInterfaces" in data:
                kw = {}
                if service_tag:
                    kw["service_tag"] = service_tag
                if domain_tag:
                    kw["domain_tag"] = domain_tag
                return Inventory.from_describe_network_interfaces(data, source=src, **kw)
            if isinstance(data, dict):
                data = data.get("inventory", data.get("records", []))
            df = pd.DataFrame(data)
        else:
            df = pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    except InventoryError:
        raise
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InventoryError(f"inventory file {src} could not be read: {str(exc).splitlines()[0][:120]}") from None
    return Inventory.from_frame(df, source=src)
