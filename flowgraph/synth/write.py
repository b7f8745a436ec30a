"""Write a synthetic estate to disk as AWS would deliver it, plus its inventory and truth.

Layout of ``write_estate(estate, out)``::

    out/logs/AWSLogs/{account}/vpcflowlogs/{region}/YYYY/MM/DD/
        {account}_vpcflowlogs_{region}_{fl-id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz
    out/inventory.csv      ip, service, domain, account, valid_from, valid_to
    out/enis.json          `aws ec2 describe-network-interfaces` output at the end of the period
    out/truth.json         parameters, ground truth and headline figures (sorted keys)

One flow log per account; records are grouped into 5-minute files by their
``end`` time (the file name carries the window start), each file starting with
the header line.  Files are gzip with a fixed header (no name, mtime 0) and
the hash in the name is the first 8 hex digits of the SHA-256 of the
uncompressed content, so the same arguments give the same bytes.

Examples
--------
>>> import tempfile, pathlib
>>> from flowgraph.synth import generate_estate
>>> est = generate_estate(domains=2, services=8, shared_services=1, connections=100,
...                       hours=1, scanners=1, reused_addresses=1, seed=3)
>>> with tempfile.TemporaryDirectory() as tmp:
...     info = write_estate(est, tmp)
...     names = sorted(p.name for p in pathlib.Path(tmp).iterdir())
>>> names
['enis.json', 'inventory.csv', 'logs', 'truth.json']
>>> info["files"] >= 12
True
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from .estate import LOG_FORMAT, REGION, Estate, generate_estate, iso

__all__ = [
    "write_estate", "write_sample", "sample_estate", "sample_readme", "truth_document",
    "SAMPLE_PARAMS", "FILE_WINDOW", "gzip_bytes",
]

FILE_WINDOW = 300
"""Seconds of ``end`` time per delivered log file (AWS publishes every 5 minutes)."""

SAMPLE_PARAMS: dict = {
    "domains": 13,
    "services": 190,
    "shared_services": 6,
    "mu": 0.25,
    "domain_mu": {
        "checkout": 0.5, "orders": 0.55, "payments": 0.45, "inventory": 0.6,
        "catalog": 0.06, "search": 0.08, "shipping": 0.05, "marketing": 0.1, "fraud": 0.07,
        "customers": 0.25, "pricing": 0.3, "analytics": 0.2, "notifications": 0.15,
    },
    "calls_per_service": (2, 5),
    "shared_reach": 0.9,
    "internet_edge_services": 4,
    "aws_service_share": 0.25,
    "accounts": 3,
    "instances_per_service": (1, 4),
    "connections": 24_000,
    "long_share": 0.05,
    "hours": 24,
    "start": "2024-03-01T00:00:00Z",
    "reused_addresses": 5,
    "unknown_addresses": 4,
    "scanners": 20,
    "nodata_share": 0.1,
    "skipdata": 5,
    "seed": 20240301,
}
"""Arguments of :func:`generate_estate` for the bundled sample ``data/sample``:
a mid-sized company in the grey zone (clean and entangled domains side by side)."""

_INT_COLUMNS = frozenset({"version", "srcport", "dstport", "protocol", "packets", "bytes", "start",
                          "end", "tcp_flags", "traffic_path"})


def gzip_bytes(data: bytes, level: int = 9) -> bytes:
    """Deterministic gzip: no file name, mtime 0, OS byte 255 ("unknown").

    Examples
    --------
    >>> import gzip
    >>> gzip.decompress(gzip_bytes(b"hello")) == b"hello"
    True
    >>> gzip_bytes(b"hello")[:10].hex()
    '1f8b08000000000002ff'
    """
    co = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
    body = co.compress(data) + co.flush()
    xfl = b"\x02" if level == 9 else (b"\x04" if level == 1 else b"\x00")
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + xfl + b"\xff"
    return header + body + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)


def _text_table(table: pa.Table) -> pa.Table:
    cols = []
    for name in table.column_names:
        col = table.column(name)
        if name in _INT_COLUMNS:
            col = pc.cast(col, pa.string())
        cols.append(pc.fill_null(col, "-"))
    return pa.table(cols, names=table.column_names)


def _csv(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pcsv.write_csv(table, buf, pcsv.WriteOptions(include_header=False, delimiter=" ", quoting_style="none"))
    return buf.getvalue()


def _describe_enis(estate: Estate) -> dict:
    """``aws ec2 describe-network-interfaces`` output for the ENIs alive at the end of the period."""
    enis = estate.enis
    alive = enis[enis["valid_to"].isna()].sort_values(["account", "interface_id"], kind="stable")
    out = []
    for r in alive.itertuples(index=False):
        out.append({
            "NetworkInterfaceId": r.interface_id,
            "PrivateIpAddress": r.ip,
            "PrivateIpAddresses": [{"PrivateIpAddress": r.ip, "Primary": True}],
            "SubnetId": r.subnet_id,
            "VpcId": r.vpc_id,
            "OwnerId": r.account,
            "Attachment": {"InstanceId": r.instance_id},
            "TagSet": [{"Key": "service", "Value": r.service}, {"Key": "team", "Value": r.domain}],
        })
    return {"NetworkInterfaces": out}


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    return obj


def truth_document(estate: Estate) -> dict:
    """The content of ``truth.json``: parameters, period, accounts, truth and summary."""
    acc = estate.accounts
    return _jsonable({
        "params": estate.params,
        "period": {"start": iso(estate.start), "end": iso(estate.end),
                   "start_epoch": estate.start, "end_epoch": estate.end},
        "log_format": " ".join(LOG_FORMAT),
        "accounts": [
            {"account": a, "vpc_id": v, "cidr": c, "flow_log_id": f, "region": r}
            for a, v, c, f, r in zip(acc["account"], acc["vpc_id"], acc["cidr"], acc["flow_log_id"], acc["region"])
        ],
        "truth": estate.truth.to_dict(),
        "summary": estate.summary(),
    })


def write_estate(estate: Estate, out_dir: str | Path, *, overwrite: bool = False,
                 compresslevel: int = 6) -> dict:
    """Write the flow logs, inventory, ENI description and truth of an estate.

    Parameters
    ----------
    estate : Estate
        From :func:`generate_estate`.
    out_dir : str or Path
        Target directory (created if needed).
    overwrite : bool
        Replace existing output: ``out_dir/logs`` is deleted first and the
        three files are rewritten.  Without it, existing output raises
        :class:`FileExistsError`.  Nothing else in ``out_dir`` is touched.
    compresslevel : int
        gzip level of the log files (6, the gzip default: level 9 is 70 % slower for 2 % less).

    Returns
    -------
    dict
        ``files`` (number of log files), ``log_bytes`` (their total size) and
        ``records``.
    """
    out = Path(out_dir)
    targets = [out / "logs", out / "inventory.csv", out / "truth.json", out / "enis.json"]
    if any(t.exists() for t in targets):
        if not overwrite:
            raise FileExistsError(f"{out} already holds an estate; pass overwrite=True to replace it")
        if (out / "logs").is_dir():
            shutil.rmtree(out / "logs")
    out.mkdir(parents=True, exist_ok=True)

    table = estate.records()
    text = _text_table(table)
    header = (" ".join(LOG_FORMAT) + "\n").encode()
    acc = np.asarray(table.column("account_id").to_numpy(zero_copy_only=False), dtype=object)
    window = table.column("end").to_numpy() // FILE_WINDOW
    change = np.flatnonzero((acc[1:] != acc[:-1]) | (window[1:] != window[:-1])) + 1
    bounds = np.concatenate([[0], change, [len(acc)]]).astype(np.int64)
    flow_log = dict(zip(estate.accounts["account"], estate.accounts["flow_log_id"]))
    total = 0
    for i, j in zip(bounds[:-1], bounds[1:]):
        body = header + _csv(text.slice(int(i), int(j - i)))
        account = str(acc[i])
        ts = datetime.fromtimestamp(int(window[i]) * FILE_WINDOW, UTC)
        name = (f"{account}_vpcflowlogs_{REGION}_{flow_log[account]}_{ts:%Y%m%dT%H%MZ}_"
                f"{hashlib.sha256(body).hexdigest()[:8]}.log.gz")
        folder = out / "logs" / "AWSLogs" / account / "vpcflowlogs" / REGION / f"{ts:%Y}" / f"{ts:%m}" / f"{ts:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        data = gzip_bytes(body, compresslevel)
        (folder / name).write_bytes(data)
        total += len(data)

    estate.inventory.to_csv(out / "inventory.csv", index=False, lineterminator="\n")
    (out / "enis.json").write_text(json.dumps(_describe_enis(estate), indent=4) + "\n", encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(truth_document(estate), sort_keys=True, indent=1) + "\n",
                                    encoding="utf-8")
    return {"files": len(bounds) - 1, "log_bytes": total, "records": table.num_rows}


def sample_estate() -> Estate:
    """The estate of the bundled sample: ``generate_estate(**SAMPLE_PARAMS)``.

    Examples
    --------
    >>> est = sample_estate()
    >>> len(est.truth.domains), len(est.truth.service_domain)
    (14, 190)
    """
    return generate_estate(**SAMPLE_PARAMS)


def write_sample(out_dir: str | Path = "data/sample", *, overwrite: bool = False) -> dict:
    """Regenerate the bundled sample: ``write_estate(generate_estate(**SAMPLE_PARAMS), out_dir)``.

    Also writes ``out_dir/README.md`` describing the files and the ground truth.
    The committed ``data/sample`` was produced by
    ``write_sample("data/sample", overwrite=True)`` (or
    ``python -m flowgraph.synth data/sample --sample --overwrite``).

    Parameters
    ----------
    out_dir : str or Path
        Target directory.
    overwrite : bool
        Replace an estate already there (see :func:`write_estate`).

    Returns
    -------
    dict
        As :func:`write_estate`.

    Examples
    --------
    >>> import tempfile
    >>> info = write_sample(tempfile.mkdtemp())  # the committed copy: write_sample("data/sample", overwrite=True)
    >>> info["files"], info["records"]
    (864, 103511)
    """
    from .security_groups import SAMPLE_SG_README, write_security_groups

    estate = sample_estate()
    info = write_estate(estate, out_dir, overwrite=overwrite)
    write_security_groups(estate, out_dir)
    (Path(out_dir) / "README.md").write_text(sample_readme(estate, info) + SAMPLE_SG_README, encoding="utf-8")
    return info


def _fmt_params(params: dict) -> str:
    lines = []
    for k, v in params.items():
        if k == "domain_mu":
            lines.append("    domain_mu={")
            lines += [f"        {name!r}: {val}," for name, val in v.items()]
            lines.append("    },")
        else:
            lines.append(f"    {k}={v!r},")
    return "\n".join(lines)


def sample_readme(estate: Estate, info: dict) -> str:
    """Markdown description of a written sample (files, call, ground truth at a glance)."""
    t = estate.truth
    s = estate.summary()
    e = t.edges
    biz = e[e["kind"].isin(["intra", "cross"])]
    named = e[~e["kind"].isin(["internet", "aws", "unknown"])]
    dom_of = t.service_domain
    cross_named = sum(dom_of[c] != dom_of[v] for c, v in zip(named["client"], named["server"]))
    enis = estate.enis
    rows = []
    for d in t.domains:
        members = [n for n, dd in t.service_domain.items() if dd == d]
        accounts = enis[enis["domain"] == d]["account"].value_counts()
        home = accounts.index[0] if len(accounts) else "-"
        if d in t.domain_mu:
            calls = int((biz["client"].map(dom_of) == d).sum())
            rows.append(f"| {d} | {len(members)} | {calls} | {t.domain_mu[d]:.2f} | {t.realised_mu[d]:.3f} | {home} |")
        else:
            rows.append(f"| {d} | {len(members)} | - | shared | shared | {home} |")
    kinds = s["edges_by_kind"]
    reuse = "\n".join(f"| {ip} | {b} | {a} | {sw} |" for ip, b, a, sw in
                      zip(t.reuse["ip"], t.reuse["before"], t.reuse["after"], t.reuse["switch"]))
    acc = estate.accounts
    accounts = "\n".join(f"| {a} | {v} | {c} | {f} |" for a, v, c, f in
                         zip(acc["account"], acc["vpc_id"], acc["cidr"], acc["flow_log_id"]))
    unknown = sorted({c for c in e["client"] if c.startswith("unknown:")})
    return f"""# Bundled sample estate

A synthetic AWS estate with known ground truth: a mid-sized company of
{len(t.domains) - 1} business domains plus a `platform` domain of shared services,
{s['services']} services, {s['enis']} ENIs in {s['accounts']} accounts, one day of VPC flow logs.
It is deliberately in the grey zone: some domains are clean (few calls leave
them), others entangled (about half of their calls go to other domains).

**Generated, do not edit.**  Regenerate with exactly

```python
import flowgraph.synth
flowgraph.synth.write_sample("data/sample", overwrite=True)
# = write_estate(generate_estate(**SAMPLE_PARAMS), "data/sample") + this README
```

or `python -m flowgraph.synth data/sample --sample --overwrite`.  The output is
byte-for-byte reproducible (`tests/synth/test_sample.py` checks it).  The model
and every parameter are described in `docs/synthetic-estates.md`.

## Parameters (`flowgraph.synth.SAMPLE_PARAMS`)

```python
generate_estate(
{_fmt_params(estate.params)}
)
```

## Files

| path | content |
|---|---|
| `logs/AWSLogs/{{account}}/vpcflowlogs/{REGION}/YYYY/MM/DD/{{account}}_vpcflowlogs_{REGION}_{{fl-id}}_{{YYYYMMDDTHHmmZ}}_{{hash}}.log.gz` | {info['files']} gzip files, {info['log_bytes']:,} bytes: one flow log per account, records grouped in 5-minute files by `end` time, header line first |
| `inventory.csv` | address inventory `ip, service, domain, account, valid_from, valid_to` ({len(estate.inventory)} rows; bounds ISO-8601 UTC, empty when unbounded) |
| `enis.json` | `aws ec2 describe-network-interfaces` output at the end of the day (tags `service`, `team`) |
| `truth.json` | parameters, period, accounts, ground truth (domains, service -> domain, planted edges with connection counts, per-domain mu, address reuse) and the summary below |
| `README.md` | this file |

Log format (v5 custom, header line of every file):

```
{' '.join(LOG_FORMAT)}
```

## Records

| | |
|---|---|
| records | {s['records']:,} |
| ACCEPT / REJECT | {s['accept_records']:,} / {s['reject_records']:,} |
| NODATA / SKIPDATA | {s['nodata_records']:,} / {s['skipdata_records']:,} |
| accepted connections | {s['connections']:,} |
| period | {iso(estate.start)} to {iso(estate.end)} |

A connection between two ENIs of the estate is four records (client ENI egress
and ingress, server ENI ingress and egress) per 60 s aggregation interval; a
connection with the internet, an AWS service or an unknown host is two records
at the estate's ENI.

## Ground truth at a glance

Planted edges: {s['edges']} ({', '.join(f'{k} {v}' for k, v in kinds.items())}).
Cross-domain share of business edges (shared services excluded): **mu = {t.mu:.3f}**;
counting edges to and from shared services as cross-domain too: {cross_named / max(len(named), 1):.3f}.

| domain | services | business calls | target mu | realised mu | main account |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Shared platform services (domain `platform`, each called by >= 85 % of services):
{', '.join(f'`{x}`' for x in t.shared_services)}.
Internet-facing edge services (443/tcp, clients from public ranges):
{', '.join(f'`{x}`' for x in t.edge_services)}.
Calls to AWS services appear as `aws:S3` / `aws:DYNAMODB`; on-premises hosts
absent from the inventory as {', '.join(f'`{u}`' for u in unknown)}.
{len(estate.truth.reuse)} addresses are reused (the inventory has two rows for each):

| ip | service until the switch | service from the switch | switch |
|---|---|---|---|
{reuse}

Accounts (one VPC and one flow log each):

| account | VPC | CIDR | flow log |
|---|---|---|---|
{accounts}
"""
