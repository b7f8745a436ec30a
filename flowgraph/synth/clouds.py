"""Replay a planted estate in every cloud's flow-log format.

:func:`flowgraph.synth.write_estate` writes an estate as AWS VPC flow logs.
The converters here take the same records (:meth:`Estate.records`) and write
them the way the other producers deliver them, so one planted estate with a
known ground truth can be read as

* **AWS Transit Gateway flow logs** (:func:`tgw_records`, :func:`write_tgw`):
  version 6, the default all-fields format (:data:`TGW_FORMAT`, no
  ``action`` field), S3 ``.log.gz`` files with the header line;
* **Azure VNet flow logs** version 4 (:func:`azure_blobs`, :func:`write_azure`):
  ``PT1H.json`` block blobs ``{"records": [...]}`` at their storage path,
  ``flowRecords.flows[].flowGroups[].flowTuples[]`` with millisecond times,
  ``B``/``C``/``E`` states (``D`` for denied), counters per direction;
* **GCP VPC Flow Logs** (:func:`gcp_entries`, :func:`write_gcp`): Cloud
  Logging ``LogEntry`` objects (``jsonPayload`` with ``connection``,
  ``reporter``, int64 counters as JSON strings, RFC 3339 times), one JSON
  object per line as a Cloud Storage sink exports them.

:func:`write_clouds` writes all four (AWS VPC included) side by side with one
inventory.

What each format cannot say
---------------------------
* **Transit Gateway** logs see only traffic that crosses the transit gateway
  and have no ``action``: the default ``scope="crossing"`` writes the
  accepted records between two VPCs and between a VPC and the outside
  (internet, AWS services and on-premises hosts, reached through the
  estate's edge attachment: a hub-and-spoke estate with central egress and a
  VPN attachment); traffic inside one VPC never reaches a transit gateway and
  is not written.  ``scope="all"`` writes every accepted flow (a format
  replay of the whole traffic, as if every flow crossed the gateway).
  Rejected records are never written (security groups and network ACLs drop
  them before the gateway, and the format could not mark them), nor NODATA /
  SKIPDATA records (those are per ENI).  One record is written per flow
  direction and aggregation interval, at the attachment where the packets
  enter the gateway (``flow-direction`` ``ingress``; the attachment on the
  other side is ``tgw-pair-attachment-id``).
* **Azure** logs every connection at each NIC it touches, as AWS does at each
  ENI; a connection is one ``B`` tuple at its start, one ``C`` tuple per
  further aggregation interval and one ``E`` tuple at its end, with the
  interval's counters (deltas).  Rejected records become ``D`` tuples.
  NODATA / SKIPDATA have no Azure equivalent and are not written.
* **GCP** logs a flow direction at each reporting VM (``reporter`` ``SRC`` at
  the sender, ``DEST`` at the receiver), so an AWS record becomes one entry.
  GCP does not log denied traffic: rejected records are not written, nor
  NODATA / SKIPDATA.  GCP samples packets (about 1 in 30 by default); the
  converter writes every flow (a 1:1 sampling rate) unless ``sample`` is given:
  then an entry is kept when at least one of its packets is sampled.

Counters and times carry over unchanged (seconds become milliseconds for
Azure and RFC 3339 text for GCP), so the service graph of every replay is the
graph of the VPC logs of the same traffic.

Examples
--------
>>> from flowgraph.synth import generate_estate
>>> est = generate_estate(domains=2, services=8, shared_services=1, connections=40,
...                       hours=1, scanners=1, reused_addresses=0, seed=5)
>>> tgw = tgw_records(est, scope="all")
>>> tgw.column_names[:5]
['version', 'resource_type', 'account_id', 'tgw_id', 'tgw_attachment_id']
>>> "action" in tgw.column_names
False
>>> blobs = azure_blobs(est)
>>> path = sorted(blobs)[0]
>>> path.startswith("insights-logs-flowlogflowevent/flowLogResourceID=/"), path.endswith("/PT1H.json")
(True, True)
>>> rec = blobs[path]["records"][0]
>>> rec["flowLogVersion"], rec["category"]
(4, 'FlowLogFlowEvent')
>>> entry = gcp_entries(est)[0]
>>> sorted(entry["jsonPayload"])[:4]
['bytes_sent', 'connection', 'end_time', 'packets_sent']
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ..read.fields import column_name
from .estate import EPHEMERAL_PORTS, REGION, Estate
from .write import FILE_WINDOW, gzip_bytes, write_estate

__all__ = [
    "TGW_FORMAT", "tgw_records", "write_tgw", "azure_blobs", "write_azure", "gcp_entries",
    "write_gcp", "write_clouds",
]

TGW_FORMAT: tuple[str, ...] = (
    "version", "resource-type", "account-id", "tgw-id", "tgw-attachment-id", "tgw-src-vpc-account-id",
    "tgw-dst-vpc-account-id", "tgw-src-vpc-id", "tgw-dst-vpc-id", "tgw-src-subnet-id", "tgw-dst-subnet-id",
    "tgw-src-eni", "tgw-dst-eni", "tgw-src-az-id", "tgw-dst-az-id", "tgw-pair-attachment-id", "srcaddr",
    "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "log-status", "type",
    "packets-lost-no-route", "packets-lost-blackhole", "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired", "tcp-flags", "region", "flow-direction", "pkt-src-aws-service",
    "pkt-dst-aws-service",
)
"""The Transit Gateway default format (every TGW field, in the documented order; no ``action``)."""

_TGW_INTS = frozenset({"version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end",
                       "packets-lost-no-route", "packets-lost-blackhole", "packets-lost-mtu-exceeded",
                       "packets-lost-ttl-expired", "tcp-flags"})
_AZURE_REGION = "eastus"
_GCP_REGION = "us-east1"


def _hex(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _traffic(estate: Estate) -> pd.DataFrame:
    """Accepted OK records of planted connections, with the ENI's own address and side."""
    df = estate.records(with_ids=True).to_pandas()
    df = df[(df["log_status"] == "OK") & (df["action"] == "ACCEPT") & (df["connection_id"] >= 0)].copy()
    for name in ("srcport", "dstport", "protocol", "packets", "bytes", "tcp_flags"):
        df[name] = df[name].astype(np.int64)
    df["egress"] = df["flow_direction"] == "egress"
    # the synth draws client ports from EPHEMERAL_PORTS; every server listens below them
    df["to_server"] = df["srcport"] >= EPHEMERAL_PORTS[0]
    return df.reset_index(drop=True)


def _rejects(estate: Estate) -> pd.DataFrame:
    df = estate.records().to_pandas()
    df = df[(df["log_status"] == "OK") & (df["action"] == "REJECT")].copy()
    for name in ("srcport", "dstport", "protocol", "packets", "bytes"):
        df[name] = df[name].astype(np.int64)
    return df.reset_index(drop=True)


def _address_sides(estate: Estate) -> pd.DataFrame:
    enis = estate.enis.drop_duplicates("ip", keep="first").set_index("ip")
    return enis[["account", "vpc_id", "subnet_id", "az_id"]].astype(object)


# ---------------------------------------------------------------------------------------------
# AWS Transit Gateway

def tgw_records(estate: Estate, *, scope: Literal["crossing", "all"] = "crossing") -> pa.Table:
    """The estate's accepted traffic as Transit Gateway flow-log records (version 6).

    Parameters
    ----------
    estate : Estate
        From :func:`flowgraph.synth.generate_estate`.
    scope : {"crossing", "all"}
        ``"crossing"`` (what a transit gateway sees): flows between two VPCs
        and between a VPC and the outside, through the estate's edge
        attachment; ``"all"``: every accepted flow (see the module notes).

    Returns
    -------
    pyarrow.Table
        Columns of :data:`TGW_FORMAT` with canonical names (``tgw_src_vpc_id``)
        and types (``int64`` / ``string``; null for ``-``), one row per flow
        direction and aggregation interval, sorted by 5-minute window of
        ``end`` and ``start``.

    Examples
    --------
    >>> from flowgraph.synth import generate_estate
    >>> est = generate_estate(domains=2, services=8, shared_services=1, connections=40,
    ...                       hours=1, scanners=0, reused_addresses=0, accounts=2, seed=5)
    >>> t = tgw_records(est)
    >>> set(t.column("flow_direction").to_pylist()), set(t.column("resource_type").to_pylist())
    ({'ingress'}, {'TransitGateway'})
    >>> src, dst = t.column("tgw_src_vpc_id").to_pylist(), t.column("tgw_dst_vpc_id").to_pylist()
    >>> any(a == b and a is not None for a, b in zip(src, dst))  # nothing inside one VPC
    False
    >>> tgw_records(est, scope="all").num_rows > t.num_rows
    True
    """
    if scope not in ("crossing", "all"):
        raise ValueError(f"scope must be 'crossing' or 'all', not {scope!r}")
    df = _traffic(estate)
    sides = _address_sides(estate)
    # one record per direction and interval: the sender's egress record, or the ingress record
    # when the sender is outside the estate (it has no ENI to log the egress)
    outside_src = ~df["srcaddr"].isin(sides.index)
    df = df[df["egress"] | outside_src].reset_index(drop=True)
    own = df[["account_id", "vpc_id", "subnet_id", "az_id"]].to_numpy(dtype=object)
    other_addr = np.where(df["egress"], df["dstaddr"], df["srcaddr"])
    other = sides.reindex(other_addr).to_numpy(dtype=object)
    egress = df["egress"].to_numpy()[:, None]
    src = np.where(egress, own, other)
    dst = np.where(egress, other, own)
    if scope == "crossing":
        keep = src[:, 1] != dst[:, 1]  # the outside (NaN) differs from every VPC
        df, src, dst = df[keep].reset_index(drop=True), src[keep], dst[keep]
    owner = str(estate.accounts["account"].iloc[0])
    tgw_id = "tgw-0" + _hex(f"tgw:{owner}", 16)

    def attachment(side: np.ndarray) -> list[str]:
        return ["tgw-attach-0" + _hex(f"attach:{v if isinstance(v, str) else 'edge'}", 16) for v in side[:, 1]]

    def eni(side: np.ndarray) -> list[str | None]:
        return [("eni-0" + _hex(f"tgw-eni:{s}", 16)) if isinstance(s, str) else None for s in side[:, 2]]

    n = len(df)

    def strings(values: Any) -> pa.Array:
        return pa.array([v if isinstance(v, str) else None for v in values], pa.string())

    zeros = pa.array(np.zeros(n, np.int64))
    cols: dict[str, pa.Array] = {
        "version": pa.array(np.full(n, 6, np.int64)),
        "resource-type": strings(["TransitGateway"] * n),
        "account-id": strings([owner] * n),
        "tgw-id": strings([tgw_id] * n),
        "tgw-attachment-id": strings(attachment(src)),
        "tgw-src-vpc-account-id": strings(src[:, 0]),
        "tgw-dst-vpc-account-id": strings(dst[:, 0]),
        "tgw-src-vpc-id": strings(src[:, 1]),
        "tgw-dst-vpc-id": strings(dst[:, 1]),
        "tgw-src-subnet-id": strings(src[:, 2]),
        "tgw-dst-subnet-id": strings(dst[:, 2]),
        "tgw-src-eni": strings(eni(src)),
        "tgw-dst-eni": strings(eni(dst)),
        "tgw-src-az-id": strings(src[:, 3]),
        "tgw-dst-az-id": strings(dst[:, 3]),
        "tgw-pair-attachment-id": strings(attachment(dst)),
        "srcaddr": strings(df["srcaddr"]),
        "dstaddr": strings(df["dstaddr"]),
        "srcport": pa.array(df["srcport"].to_numpy()),
        "dstport": pa.array(df["dstport"].to_numpy()),
        "protocol": pa.array(df["protocol"].to_numpy()),
        "packets": pa.array(df["packets"].to_numpy()),
        "bytes": pa.array(df["bytes"].to_numpy()),
        "start": pa.array(df["start"].to_numpy(np.int64)),
        "end": pa.array(df["end"].to_numpy(np.int64)),
        "log-status": strings(["OK"] * n),
        "type": strings(["IPv4"] * n),
        "packets-lost-no-route": zeros,
        "packets-lost-blackhole": zeros,
        "packets-lost-mtu-exceeded": zeros,
        "packets-lost-ttl-expired": zeros,
        "tcp-flags": pa.array(df["tcp_flags"].to_numpy()),
        "region": strings([REGION] * n),
        "flow-direction": strings(["ingress"] * n),
        "pkt-src-aws-service": strings(df["pkt_src_aws_service"]),
        "pkt-dst-aws-service": strings(df["pkt_dst_aws_service"]),
    }
    assert tuple(cols) == TGW_FORMAT
    table = pa.table({column_name(k): v for k, v in cols.items()})
    end = table.column("end").to_numpy()
    order = np.lexsort((table.column("start").to_numpy(), end // FILE_WINDOW))
    return table.take(pa.array(order))


def _prepare(out_dir: str | Path, overwrite: bool) -> Path:
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty; pass overwrite=True to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_tgw(estate: Estate, out_dir: str | Path, *, scope: Literal["crossing", "all"] = "crossing",
              overwrite: bool = False, compresslevel: int = 6) -> dict:
    """Write :func:`tgw_records` as S3 delivers Transit Gateway flow logs.

    Layout: ``out_dir/AWSLogs/{account}/vpcflowlogs/{region}/YYYY/MM/DD/``
    ``{account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz``, one
    file per 5 minutes of ``end`` time, each starting with the header line of
    :data:`TGW_FORMAT`; ``-`` for absent values.

    Parameters
    ----------
    estate : Estate
        From :func:`flowgraph.synth.generate_estate`.
    out_dir : str or Path
        Target directory; must be empty or absent unless ``overwrite``.
    scope : {"crossing", "all"}
        As :func:`tgw_records`.
    overwrite : bool
        Delete ``out_dir`` first when it is not empty.
    compresslevel : int
        gzip level.

    Returns
    -------
    dict
        ``files``, ``log_bytes`` and ``records``.

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> from flowgraph.synth import generate_estate
    >>> est = generate_estate(domains=2, services=8, shared_services=1, connections=40,
    ...                       hours=1, scanners=0, reused_addresses=0, seed=5)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     info = write_tgw(est, tmp, scope="all")
    ...     first = sorted(pathlib.Path(tmp).rglob("*.log.gz"))[0]
    ...     header = gzip.decompress(first.read_bytes()).split(b"\\n")[0].decode()
    >>> header.split()[:3], "action" in header.split()
    (['version', 'resource-type', 'account-id'], False)
    >>> info["records"] == tgw_records(est, scope="all").num_rows
    True
    """
    out = _prepare(out_dir, overwrite)
    table = tgw_records(estate, scope=scope)
    text = pa.table([pc.fill_null(pc.cast(table.column(i), pa.string()) if name in _TGW_INTS
                                  else table.column(i), "-")
                     for i, name in enumerate(TGW_FORMAT)], names=list(TGW_FORMAT))
    header = (" ".join(TGW_FORMAT) + "\n").encode()
    account = str(estate.accounts["account"].iloc[0])
    flow_log = "fl-0" + _hex(f"tgw-flow-log:{account}", 16)
    window = table.column("end").to_numpy() // FILE_WINDOW
    change = np.flatnonzero(window[1:] != window[:-1]) + 1
    bounds = np.concatenate([[0], change, [len(window)]]).astype(np.int64)
    files = total = 0
    for i, j in zip(bounds[:-1], bounds[1:]):
        if j <= i:
            continue
        buf = io.BytesIO()
        pcsv.write_csv(text.slice(int(i), int(j - i)), buf,
                       pcsv.WriteOptions(include_header=False, delimiter=" ", quoting_style="none"))
        body = header + buf.getvalue()
        ts = datetime.fromtimestamp(int(window[i]) * FILE_WINDOW, UTC)
        folder = out / "AWSLogs" / account / "vpcflowlogs" / REGION / f"{ts:%Y}" / f"{ts:%m}" / f"{ts:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        name = (f"{account}_vpcflowlogs_{REGION}_{flow_log}_{ts:%Y%m%dT%H%MZ}_"
                f"{hashlib.sha256(body).hexdigest()[:8]}.log.gz")
        data = gzip_bytes(body, compresslevel)
        (folder / name).write_bytes(data)
        files += 1
        total += len(data)
    return {"files": files, "log_bytes": total, "records": table.num_rows}


# ---------------------------------------------------------------------------------------------
# Azure VNet flow logs v4

def _subscription(account: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"flowgraph-synth:{account}"))


def _mac(interface_id: str) -> str:
    return "0022" + _hex(f"mac:{interface_id}", 8).upper()


def azure_blobs(estate: Estate) -> dict[str, dict]:
    """The estate's traffic as Azure VNet flow-log blobs (version 4), by storage path.

    Every ENI becomes a NIC (its MAC derived from the ENI id), every account a
    subscription and every VPC a virtual network.  Each NIC has one
    ``PT1H.json`` per hour, holding one record per minute with tuples; a
    connection at a NIC is ``B`` (counters 0), ``C`` per further 60 s
    interval and ``E`` at the end, times in milliseconds, counters of the
    interval (sent = initiator to responder).  Rejected records become ``D``
    tuples at the receiving NIC.

    Parameters
    ----------
    estate : Estate
        From :func:`flowgraph.synth.generate_estate`.

    Returns
    -------
    dict
        ``path -> {"records": [...]}``, paths as in a storage account
        (``insights-logs-flowlogflowevent/flowLogResourceID=/{SUB}_NETWORKWATCHERRG/
        NETWORKWATCHER_{REGION}_{FLOWLOG}/y=/m=/d=/h=/m=00/macAddress={MAC}/PT1H.json``).

    Examples
    --------
    >>> from flowgraph.synth import generate_estate
    >>> est = generate_estate(domains=2, services=8, shared_services=1, connections=40,
    ...                       hours=1, scanners=1, reused_addresses=0, seed=5)
    >>> blobs = azure_blobs(est)
    >>> tuples = [t for b in blobs.values() for r in b["records"] for f in r["flowRecords"]["flows"]
    ...           for g in f["flowGroups"] for t in g["flowTuples"]]
    >>> sorted({t.split(",")[7] for t in tuples})
    ['B', 'D', 'E']
    >>> len(tuples[0].split(",")), len(tuples[0].split(",")[0])  # 13 fields, epoch milliseconds
    (13, 13)
    """
    df = _traffic(estate)
    fwd = df["to_server"].to_numpy()
    at_client = fwd == df["egress"].to_numpy()  # the client's NIC sends to the server
    df["client"] = np.where(fwd, df["srcaddr"], df["dstaddr"])
    df["server"] = np.where(fwd, df["dstaddr"], df["srcaddr"])
    df["cport"] = np.where(fwd, df["srcport"], df["dstport"])
    df["sport"] = np.where(fwd, df["dstport"], df["srcport"])
    df["dir"] = np.where(at_client, "O", "I")
    for name in ("packets", "bytes"):
        df[f"{name}_s"] = np.where(fwd, df[name], 0)
        df[f"{name}_r"] = np.where(fwd, 0, df[name])
    seg = df.groupby(["interface_id", "connection_id", "segment"], sort=True).agg(
        client=("client", "first"), server=("server", "first"), cport=("cport", "first"),
        sport=("sport", "first"), protocol=("protocol", "first"), dir=("dir", "first"),
        account=("account_id", "first"), vpc=("vpc_id", "first"), subnet=("subnet_id", "first"),
        start=("start", "min"), end=("end", "max"), packets_s=("packets_s", "sum"),
        bytes_s=("bytes_s", "sum"), packets_r=("packets_r", "sum"), bytes_r=("bytes_r", "sum"),
    ).reset_index()
    conn = seg[["interface_id", "connection_id"]].to_numpy(dtype=object)
    new_conn = np.ones(len(seg), dtype=bool)
    new_conn[1:] = (conn[1:] != conn[:-1]).any(axis=1)
    last = np.ones(len(seg), dtype=bool)
    last[:-1] = new_conn[1:]
    ms = np.array([int(_hex(f"ms:{e}:{c}", 4), 16) % 1000 for e, c in conn], dtype=np.int64)
    keys = [f"{c},{s},{cp},{sp},{p},{d}" for c, s, cp, sp, p, d in
            zip(seg["client"], seg["server"], seg["cport"], seg["sport"], seg["protocol"], seg["dir"])]
    rules = np.where(seg["dir"] == "O", "DefaultRule_AllowVnetOutBound",
                     "UserRule_allow-" + seg["sport"].astype(str))
    where = list(zip(seg["account"], seg["vpc"], seg["subnet"]))
    rows: list[tuple] = []  # (interface, time_ms, tuple text, rule, account, vpc, subnet)
    t_begin = seg["start"].to_numpy(np.int64) * 1000 + ms
    t_end = seg["end"].to_numpy(np.int64) * 1000 + ms
    counters = seg[["packets_s", "bytes_s", "packets_r", "bytes_r"]].to_numpy(np.int64)
    for i, eni in enumerate(seg["interface_id"].astype(str)):
        if new_conn[i]:
            rows.append((eni, t_begin[i], f"{t_begin[i]},{keys[i]},B,NX,0,0,0,0", rules[i], *where[i]))
        state = "E" if last[i] else "C"
        pk_s, by_s, pk_r, by_r = counters[i]
        rows.append((eni, t_end[i], f"{t_end[i]},{keys[i]},{state},NX,{pk_s},{by_s},{pk_r},{by_r}",
                     rules[i], *where[i]))
    for r in _rejects(estate).itertuples(index=False):
        t = int(r.start) * 1000
        text = (f"{t},{r.srcaddr},{r.dstaddr},{r.srcport},{r.dstport},{r.protocol},I,D,NX,"
                f"{r.packets},{r.bytes},0,0")
        rows.append((str(r.interface_id), t, text, "DefaultRule_DenyAllInBound", r.account_id, r.vpc_id, r.subnet_id))
    rows.sort(key=lambda r: (r[0], r[1]))
    flow_log = "FLOWLOG-" + _hex("flow-log", 6).upper()
    guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"flowgraph-synth:{flow_log}"))
    minutes: dict[tuple[str, int], list[tuple]] = {}
    for row in rows:
        minutes.setdefault((row[0], int(row[1]) // 60_000), []).append(row)
    blobs: dict[str, dict] = {}
    for (eni, minute), items in minutes.items():
        sub = _subscription(str(items[0][4]))
        vnet = "vnet-" + str(items[0][5]).removeprefix("vpc-")
        subnet = "snet-" + str(items[0][6]).removeprefix("subnet-")
        when = datetime.fromtimestamp(minute * 60, UTC)
        mac = _mac(eni)
        path = (f"insights-logs-flowlogflowevent/flowLogResourceID=/{sub.upper()}_NETWORKWATCHERRG/"
                f"NETWORKWATCHER_{_AZURE_REGION.upper()}_{flow_log}/y={when:%Y}/m={when:%m}/d={when:%d}/"
                f"h={when:%H}/m=00/macAddress={mac}/PT1H.json")
        by_rule: dict[str, list[str]] = {}
        for row in items:
            by_rule.setdefault(str(row[3]), []).append(row[2])
        record = {
            "time": datetime.fromtimestamp(minute * 60 + 60, UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
            "flowLogVersion": 4,
            "flowLogGUID": guid,
            "macAddress": mac,
            "category": "FlowLogFlowEvent",
            "flowLogResourceID": (f"/SUBSCRIPTIONS/{sub.upper()}/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/"
                                  f"MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_{_AZURE_REGION.upper()}/"
                                  f"FLOWLOGS/{flow_log}"),
            "targetResourceID": (f"/subscriptions/{sub}/resourceGroups/estate/providers/Microsoft.Network/"
                                 f"virtualNetworks/{vnet}/subnets/{subnet}"),
            "operationName": "FlowLogFlowEvent",
            "flowRecords": {"flows": [{"aclID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"acl:{vnet}")),
                                       "flowGroups": [{"rule": rule, "flowTuples": texts}
                                                      for rule, texts in sorted(by_rule.items())]}]},
        }
        blobs.setdefault(path, {"records": []})["records"].append(record)
    return blobs


def write_azure(estate: Estate, out_dir: str | Path, *, overwrite: bool = False) -> dict:
    """Write :func:`azure_blobs` under ``out_dir`` at their storage paths (the container's layout).

    Parameters
    ----------
    estate : Estate
        From :func:`flowgraph.synth.generate_estate`.
    out_dir : str or Path
        Target directory (the storage account root); must be empty or absent
        unless ``overwrite``.
    overwrite : bool
        Delete ``out_dir`` first when it is not empty.

    Returns
    -------
    dict
        ``files`` (blobs), ``log_bytes`` and ``tuples``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from flowgraph.synth import generate_estate
    >>> est = generate_estate(domains=2, services=8, shared_services=1, connections=40,
    ...                       hours=1, scanners=0, reused_addresses=0, seed=5)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     info = write_azure(est, tmp)
    ...     names = {p.name for p in pathlib.Path(tmp).rglob("*") if p.is_file()}
    >>> names, info["files"] == len(azure_blobs(est))
    ({'PT1H.json'}, True)
    """
    out = _prepare(out_dir, overwrite)
    files = total = tuples = 0
    for path, doc in azure_blobs(estate).items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(doc, separators=(",", ":")).encode()
        target.write_bytes(data)
        files += 1
        total += len(data)
        tuples += sum(len(g["flowTuples"]) for r in doc["records"] for f in r["flowRecords"]["flows"]
                      for g in f["flowGroups"])
    return {"files": files, "log_bytes": total, "tuples": tuples}


# ---------------------------------------------------------------------------------------------
# GCP VPC Flow Logs

def _rfc3339(seconds: int, micros: int = 0) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"


def gcp_entries(estate: Estate, *, sample: float = 1.0, seed: int = 0) -> list[dict]:
    """The estate's accepted traffic as GCP VPC Flow Logs Cloud Logging entries.

    Each AWS record becomes one ``LogEntry`` reported by its VM (``SRC`` when
    the VM sent the packets, ``DEST`` when it received them); the AWS account
    becomes the project, the VPC the network, the instance the VM.  Rejected,
    NODATA and SKIPDATA records are not written (GCP does not log denied
    traffic).

    Parameters
    ----------
    estate : Estate
        From :func:`flowgraph.synth.generate_estate`.
    sample : float
        Packet sampling rate (1.0: every flow, a 1:1 rate; GCP's default is
        about 1 in 30).  An entry is written when at least one of its packets
        is sampled (probability ``1 - (1 - sample) ** packets``, a seeded
        draw); its counters are written as the estimate of the flow's totals.
    seed : int
        Seed of the sampling draw.

    Returns
    -------
    list of dict
        Entries in time order (``insertId``, ``jsonPayload``, ``logName``,
        ``resource``, ``timestamp``, ``receiveTimestamp``).

    Examples
    --------
    >>> from flowgraph.synth import generate_estate
    >>> est = generate_estate(domains=2, services=8, shared_services=1, connections=40,
    ...                       hours=1, scanners=0, reused_addresses=0, seed=5)
    >>> e = gcp_entries(est)
    >>> p = e[0]["jsonPayload"]
    >>> p["reporter"] in ("SRC", "DEST"), isinstance(p["bytes_sent"], str), p["start_time"].endswith("Z")
    (True, True, True)
    >>> e[0]["logName"].endswith("/logs/compute.googleapis.com%2Fvpc_flows")
    True
    >>> 0 < len(gcp_entries(est, sample=0.5, seed=1)) < len(e)
    True
    """
    if not 0.0 < sample <= 1.0:
        raise ValueError(f"sample must be in (0, 1], not {sample!r}")
    df = _traffic(estate).sort_values(["start", "end"], kind="stable").reset_index(drop=True)
    if sample < 1.0:
        keep = 1.0 - (1.0 - sample) ** df["packets"].to_numpy(dtype=float)  # >= 1 packet sampled
        df = df[np.random.default_rng(seed).random(len(df)) < keep].reset_index(drop=True)
    zones = {az: f"{_GCP_REGION}-{'bcd'[i % 3]}" for i, az in enumerate(sorted(set(df["az_id"].dropna())))}
    out = []
    for r in df.itertuples(index=False):
        project = f"estate-{r.account_id}"
        vm = {"project_id": project, "region": _GCP_REGION, "vm_name": str(r.instance_id),
              "zone": zones.get(r.az_id, f"{_GCP_REGION}-b")}
        vpc = {"project_id": project, "vpc_name": str(r.vpc_id), "subnetwork_name": str(r.subnet_id),
               "subnetwork_region": _GCP_REGION}
        side = "src" if r.egress else "dest"
        micros = int(_hex(f"us:{r.interface_id}:{r.connection_id}:{r.segment}", 5), 16) % 1_000_000
        payload: dict[str, Any] = {
            "connection": {"src_ip": r.srcaddr, "src_port": int(r.srcport), "dest_ip": r.dstaddr,
                           "dest_port": int(r.dstport), "protocol": int(r.protocol)},
            "reporter": "SRC" if r.egress else "DEST",
            "bytes_sent": str(int(r.bytes)),
            "packets_sent": str(int(r.packets)),
            "start_time": _rfc3339(int(r.start), micros),
            "end_time": _rfc3339(int(r.end), micros),
            f"{side}_instance": vm,
            f"{side}_vpc": vpc,
        }
        if int(r.protocol) == 6:
            payload["rtt_msec"] = str(1 + int(r.bytes) % 7)
        stamp = _rfc3339(int(r.end) + 5, micros)
        out.append({
            "insertId": _hex(f"id:{r.interface_id}:{r.connection_id}:{r.segment}:{r.egress}", 14),
            "jsonPayload": payload,
            "logName": f"projects/{project}/logs/compute.googleapis.com%2Fvpc_flows",
            "receiveTimestamp": _rfc3339(int(r.end) + 20, micros),
            "resource": {"type": "gce_subnetwork",
                         "labels": {"location": _GCP_REGION, "project_id": project,
                                    "subnetwork_id": str(int(_hex(str(r.subnet_id), 12), 16)),
                                    "subnetwork_name": str(r.subnet_id)}},
            "timestamp": stamp,
        })
    return out


def write_gcp(estate: Estate, out_dir: str | Path, *, sample: float = 1.0, seed: int = 0,
              overwrite: bool = False) -> dict:
    """Write :func:`gcp_entries` as a Cloud Storage log sink exports them.

    Layout: ``out_dir/compute.googleapis.com/vpc_flows/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json``,
    one JSON ``LogEntry`` per line, grouped by the hour of ``timestamp``.

    Parameters
    ----------
    estate : Estate
        From :func:`flowgraph.synth.generate_estate`.
    out_dir : str or Path
        Target directory (the bucket root); must be empty or absent unless ``overwrite``.
    sample, seed : float, int
        As :func:`gcp_entries`.
    overwrite : bool
        Delete ``out_dir`` first when it is not empty.

    Returns
    -------
    dict
        ``files``, ``log_bytes`` and ``records`` (entries).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> from flowgraph.synth import generate_estate
    >>> est = generate_estate(domains=2, services=8, shared_services=1, connections=40,
    ...                       hours=1, scanners=0, reused_addresses=0, seed=5)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     info = write_gcp(est, tmp)
    ...     files = sorted(pathlib.Path(tmp).rglob("*.json"))
    ...     first = json.loads(files[0].read_text().splitlines()[0])
    >>> files[0].name, "jsonPayload" in first, info["records"] == len(gcp_entries(est))
    ('00:00:00_00:59:59_S0.json', True, True)
    """
    out = _prepare(out_dir, overwrite)
    by_hour: dict[str, list[str]] = {}
    for entry in gcp_entries(estate, sample=sample, seed=seed):
        by_hour.setdefault(entry["timestamp"][:13], []).append(json.dumps(entry, separators=(",", ":")))
    files = total = records = 0
    for hour, lines in sorted(by_hour.items()):
        day, hh = hour[:10], hour[11:13]
        folder = out / "compute.googleapis.com" / "vpc_flows" / day[:4] / day[5:7] / day[8:10]
        folder.mkdir(parents=True, exist_ok=True)
        data = ("\n".join(lines) + "\n").encode()
        (folder / f"{hh}:00:00_{hh}:59:59_S0.json").write_bytes(data)
        files += 1
        total += len(data)
        records += len(lines)
    return {"files": files, "log_bytes": total, "records": records}


def write_clouds(estate: Estate, out_dir: str | Path, *, tgw_scope: Literal["crossing", "all"] = "crossing",
                 gcp_sample: float = 1.0, seed: int = 0, overwrite: bool = False) -> dict[str, dict]:
    """Write one estate in all four formats side by side, with its inventory and truth.

    Layout: ``out_dir/aws`` (:func:`flowgraph.synth.write_estate`: VPC flow
    logs under ``aws/logs``, ``inventory.csv``, ``enis.json``, ``truth.json``),
    ``out_dir/tgw`` (:func:`write_tgw`), ``out_dir/azure`` (:func:`write_azure`),
    ``out_dir/gcp`` (:func:`write_gcp`) and a copy of the inventory at
    ``out_dir/inventory.csv`` (addresses are the same in every format).

    Parameters
    ----------
    estate : Estate
        From :func:`flowgraph.synth.generate_estate`.
    out_dir : str or Path
        Target directory.
    tgw_scope : {"crossing", "all"}
        As :func:`tgw_records`.
    gcp_sample, seed : float, int
        As :func:`gcp_entries` (``sample``, ``seed``).
    overwrite : bool
        Replace existing output.

    Returns
    -------
    dict
        ``{"aws": ..., "tgw": ..., "azure": ..., "gcp": ...}``: each writer's result.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from flowgraph.synth import generate_estate
    >>> est = generate_estate(domains=2, services=8, shared_services=1, connections=40,
    ...                       hours=1, scanners=0, reused_addresses=0, seed=5)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     info = write_clouds(est, tmp)
    ...     names = sorted(p.name for p in pathlib.Path(tmp).iterdir())
    >>> names, sorted(info)
    (['aws', 'azure', 'gcp', 'inventory.csv', 'tgw'], ['aws', 'azure', 'gcp', 'tgw'])
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    info = {
        "aws": write_estate(estate, out / "aws", overwrite=overwrite),
        "tgw": write_tgw(estate, out / "tgw", scope=tgw_scope, overwrite=overwrite),
        "azure": write_azure(estate, out / "azure", overwrite=overwrite),
        "gcp": write_gcp(estate, out / "gcp", sample=gcp_sample, seed=seed, overwrite=overwrite),
    }
    shutil.copyfile(out / "aws" / "inventory.csv", out / "inventory.csv")
    return info

