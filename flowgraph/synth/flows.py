"""Turn planted connections into VPC flow-log records, the way AWS logs them.

Everything here is vectorised with numpy over connections, aggregation
intervals and records; the only Python loops run over the handful of reused
addresses.  The logging model:

* A connection between two ENIs of the estate is seen by both: the client ENI
  logs an ``egress`` record (client -> server) and an ``ingress`` record
  (server -> client); the server ENI logs ``ingress`` (client -> server) and
  ``egress`` (server -> client) -- four records per aggregation interval.
  A connection with an internet client, an unknown on-premises host or an AWS
  service is seen only by the estate's ENI: two records.
* The client port is ephemeral (32768-60999).  TCP flags are OR-ed over the
  interval: a short connection carries 3 (SYN|FIN) client -> server and 19
  (SYN-ACK|FIN) server -> client; a long one is split into 60 s intervals with
  2 / 18 in the first, 0 in the middle and 1 (FIN) in the last.  UDP (DNS)
  carries 0, so only the ports tell the direction.
* Packets and bytes of a direction are the same at both ENIs; ``start`` and
  ``end`` are shifted by an independent capture lag of 0-4 s per ENI.
* ``traffic-path`` is set on egress only: 1 same VPC, 4 another VPC (peering),
  8 internet gateway (internet clients, S3, DynamoDB), 3 virtual private
  gateway (on-premises hosts); ``pkt-src-aws-service`` / ``pkt-dst-aws-service``
  name the AWS service on the side that is an AWS address.
* Scanners: ``REJECT`` ingress records (SYN only) on internet-facing ENIs.
  ``NODATA`` records are written for idle minutes of some ENIs, and a few
  ``SKIPDATA`` records anywhere (no record is actually dropped).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..read.fields import column_name
from .estate import _SCANNED_PORTS, AZ_IDS, EPHEMERAL_PORTS, INTERVAL, LOG_FORMAT, REGION, _Topology

__all__ = ["build_records", "MAX_LAG"]

MAX_LAG = 4
"""Largest capture lag (seconds) between the records of one connection at two ENIs."""

_ACTIONS = ["ACCEPT", "REJECT"]
_STATUS = ["OK", "NODATA", "SKIPDATA"]
_DIRECTIONS = ["ingress", "egress"]


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def build_records(topo: _Topology, rng: np.random.Generator, params: dict) -> tuple[pa.Table, pa.Table]:
    """Generate every flow record of an estate.

    Parameters
    ----------
    topo : _Topology
        The estate arrays built by :func:`flowgraph.synth.generate_estate`.
    rng : numpy.random.Generator
        Source of randomness (seeded by the caller).
    params : dict
        The estate parameters (``long_share``, ``scanners``, ``nodata_share``,
        ``skipdata`` are read here).

    Returns
    -------
    (pyarrow.Table, pyarrow.Table)
        The records (columns of :data:`LOG_FORMAT`, canonical names and types,
        sorted by account, 5-minute file window of ``end``, ``start``, ENI) and
        a table of the same length with ``connection_id`` and ``segment``.
    """
    p0, p1 = topo.p0, topo.p1
    period = p1 - p0
    n_eni = len(topo.eni_id)

    # -- connections ---------------------------------------------------------------
    e = np.repeat(np.arange(len(topo.e_conns)), topo.e_conns)
    n = len(e)
    ck, cr, sk, sr = topo.e_ckind[e], topo.e_cref[e], topo.e_skind[e], topo.e_sref[e]
    sport, proto = topo.e_port[e], topo.e_proto[e]
    tcp = proto == 6
    long = tcp & (rng.random(n) < float(params["long_share"]))
    nseg = np.where(long, 2 + np.minimum(rng.geometric(0.4, n) - 1, 8), 1).astype(np.int64)
    short_dur = np.where(tcp, np.minimum(rng.lognormal(0.3, 1.2, n), 50.0), rng.random(n)).astype(np.int64)
    dur = np.where(long, (nseg - 1) * INTERVAL + rng.integers(0, INTERVAL - 10, n), short_dur)

    # start times: diurnal intensity peaking at 14:00 UTC, whole connection inside the period
    minutes = period // 60
    hod = ((p0 + 60 * np.arange(minutes)) % 86400) / 3600.0
    cdf = np.cumsum(1.0 + 0.5 * np.cos(2 * np.pi * (hod - 14.0) / 24.0))
    cdf /= cdf[-1]
    frac = (np.searchsorted(cdf, rng.random(n), side="right") + rng.random(n)) / minutes
    span = period - dur - MAX_LAG - 2
    t0 = p0 + np.minimum(frac, 1.0 - 1e-9) * span
    t0 = t0.astype(np.int64)

    c_int, s_int = ck == 0, sk == 0
    c_svc, s_svc = np.where(c_int, cr, 0), np.where(s_int, sr, 0)

    def pick(svc: np.ndarray) -> np.ndarray:
        idx = topo.inst_off[svc] + (rng.random(n) * topo.inst_all[svc]).astype(np.int64)
        t_hi = t0 + dur + MAX_LAG
        ok = (topo.eni_from[idx] <= t0) & (topo.eni_to[idx] > t_hi)
        alt = topo.inst_off[svc] + (rng.random(n) * topo.inst_perm[svc]).astype(np.int64)
        return np.where(ok, idx, alt)

    c_eni = np.where(c_int, pick(c_svc), -1)
    s_eni = np.where(s_int, pick(s_svc), -1)

    # every reused-address instance carries at least one connection inside its lifetime
    extra = np.flatnonzero((topo.eni_from > 0) | (topo.eni_to < np.int64(2**62)))
    is_extra = np.zeros(n_eni, dtype=bool)
    is_extra[extra] = True
    for x in extra:
        if np.any(c_eni == x) or np.any(s_eni == x):
            continue
        svc = topo.eni_service[x]
        as_client = c_int & (c_svc == svc) & ~(s_int & is_extra[np.maximum(s_eni, 0)])
        as_server = s_int & (s_svc == svc) & ~(c_int & is_extra[np.maximum(c_eni, 0)])
        cands = np.flatnonzero(as_client | as_server)
        if not len(cands):
            continue
        j = cands[int(rng.integers(len(cands)))]
        lo = max(int(topo.eni_from[x]), p0)
        hi = min(int(topo.eni_to[x]), p1) - int(dur[j]) - MAX_LAG - 2
        t0[j] = int(rng.integers(lo, max(hi, lo + 1)))
        if as_client[j]:
            c_eni[j] = x
        else:
            s_eni[j] = x

    cport = rng.integers(EPHEMERAL_PORTS[0], EPHEMERAL_PORTS[1] + 1, n)
    lag_c = rng.integers(0, MAX_LAG + 1, n)
    lag_s = rng.integers(0, MAX_LAG + 1, n)

    # address table: ENI addresses, internet clients, scanners, AWS, unknown hosts
    addr = list(topo.eni_ip)
    off_inet = len(addr)
    addr += topo.internet_ips
    off_scan = len(addr)
    addr += topo.scanner_ips
    aws_starts: list[int] = []
    for ips in topo.aws_ips:
        aws_starts.append(len(addr))
        addr += ips
    off_unk = len(addr)
    addr += topo.unknown_ips
    off_aws = np.array(aws_starts, dtype=np.int64)
    n_inet = len(topo.internet_ips)
    inet_w = 1.0 / np.arange(1, n_inet + 1) ** 0.8
    inet_pick = rng.choice(n_inet, size=n, p=inet_w / inet_w.sum())
    aws_pick = rng.integers(0, len(topo.aws_ips[0]), n)
    c_addr = np.select([c_int, ck == 1], [c_eni, off_inet + inet_pick], off_unk + cr)
    s_addr = np.where(s_int, s_eni, off_aws[np.where(sk == 3, sr, 0)] + aws_pick)
    s_aws = np.where(sk == 3, sr, -1)

    eni_acc = topo.subnet_account[topo.eni_subnet]
    same_vpc = c_int & s_int & (eni_acc[np.maximum(c_eni, 0)] == eni_acc[np.maximum(s_eni, 0)])
    # traffic-path of the client ENI's egress (to the server) and the server ENI's egress
    path_c = np.where(s_int, np.where(same_vpc, 1, 4), 8)
    path_s = np.select([c_int, ck == 1], [np.where(same_vpc, 1, 4), 8], 3)

    # -- aggregation intervals ------------------------------------------------------
    s_total = int(nseg.sum())
    sc = np.repeat(np.arange(n), nseg)
    k = np.arange(s_total) - np.repeat(np.cumsum(nseg) - nseg, nseg)
    nsg = nseg[sc]
    first, last = k == 0, k == nsg - 1
    seg_start = t0[sc] + INTERVAL * k
    seg_end = np.where(last, t0[sc] + dur[sc], seg_start + INTERVAL - 1)
    tcp_s = tcp[sc]
    single = nsg == 1
    f_cs = np.where(tcp_s, np.select([single, first, last], [3, 2, 1], 0), 0)
    f_sc = np.where(tcp_s, np.select([single, first, last], [19, 18, 1], 0), 0)
    min_pk = np.select([single, first | last], [3, 2], 1)
    lam = np.exp(rng.normal(0.8, 1.0, s_total))
    pay_cs = np.minimum(rng.lognormal(5.5, 1.5, s_total), 5e7).astype(np.int64)
    pay_sc = np.minimum(rng.lognormal(7.0, 1.8, s_total), 5e8).astype(np.int64)
    pk_cs = min_pk + rng.poisson(lam) + pay_cs // 1448
    pk_sc = min_pk + rng.poisson(lam * 1.5) + pay_sc // 1448
    by_cs = pk_cs * 52 + pay_cs
    by_sc = pk_sc * 52 + pay_sc
    q = rng.integers(17, 45, s_total)  # DNS over UDP: one query, one answer
    pk_cs = np.where(tcp_s, pk_cs, 1)
    pk_sc = np.where(tcp_s, pk_sc, 1)
    by_cs = np.where(tcp_s, by_cs, 28 + 12 + q + 5)
    by_sc = np.where(tcp_s, by_sc, 28 + 12 + q + 5 + rng.integers(16, 320, s_total))

    # -- records: two per interval at each estate ENI -------------------------------
    blocks: list[dict[str, np.ndarray]] = []
    for side in (0, 1):
        sel = np.flatnonzero((c_int if side == 0 else s_int)[sc])
        g = np.repeat(sel, 2)
        d = np.tile(np.array([0, 1]), len(sel))  # 0 = client -> server, 1 = server -> client
        c = sc[g]
        cs = d == 0
        egress = d == side
        lag = (lag_c if side == 0 else lag_s)[c]
        eni = (c_eni if side == 0 else s_eni)[c]
        blocks.append({
            "eni": eni,
            "src": np.where(cs, c_addr[c], s_addr[c]),
            "dst": np.where(cs, s_addr[c], c_addr[c]),
            "srcport": np.where(cs, cport[c], sport[c]),
            "dstport": np.where(cs, sport[c], cport[c]),
            "protocol": proto[c],
            "packets": np.where(cs, pk_cs[g], pk_sc[g]),
            "bytes": np.where(cs, by_cs[g], by_sc[g]),
            "start": seg_start[g] + lag,
            "end": seg_end[g] + lag,
            "action": np.zeros(len(g), dtype=np.int64),
            "status": np.zeros(len(g), dtype=np.int64),
            "flags": np.where(cs, f_cs[g], f_sc[g]),
            "src_aws": np.where(cs, -1, s_aws[c]),
            "dst_aws": np.where(cs, s_aws[c], -1),
            "direction": egress.astype(np.int64),
            "path": np.where(egress, (path_c if side == 0 else path_s)[c], -1),
            "conn": c,
            "seg": k[g],
        })

    # -- scanners: rejected SYNs on internet-facing ENIs -----------------------------
    n_scan = len(topo.scanner_ips)
    if n_scan:
        edge_svcs = np.unique(topo.e_sref[topo.e_ckind == 1])
        if len(edge_svcs) == 0:
            edge_svcs = np.arange(len(topo.svc_name))
        targets = np.concatenate([topo.inst_off[s] + np.arange(topo.inst_perm[s]) for s in edge_svcs])
        knocks = rng.integers(3, 40, n_scan)
        who = np.repeat(np.arange(n_scan), knocks)
        m = len(who)
        eni = targets[rng.integers(0, len(targets), m)]
        port = np.where(rng.random(m) < 0.6, _SCANNED_PORTS[rng.integers(0, len(_SCANNED_PORTS), m)],
                        rng.integers(1, 65536, m))
        svc_port = topo.svc_port[topo.eni_service[eni]]
        port = np.where(port == svc_port, port + 1, port)
        pk = rng.integers(1, 3, m)
        t = p0 + rng.integers(0, period - 10, m)
        blocks.append({
            "eni": eni, "src": off_scan + who, "dst": eni, "srcport": rng.integers(1024, 65536, m),
            "dstport": port, "protocol": np.full(m, 6), "packets": pk,
            "bytes": pk * np.where(rng.random(m) < 0.5, 40, 44), "start": t,
            "end": t + np.where(pk > 1, rng.integers(1, 4, m), 0), "action": np.ones(m, dtype=np.int64),
            "status": np.zeros(m, dtype=np.int64), "flags": np.full(m, 2), "src_aws": np.full(m, -1),
            "dst_aws": np.full(m, -1), "direction": np.zeros(m, dtype=np.int64), "path": np.full(m, -1),
            "conn": np.full(m, -1), "seg": np.full(m, -1),
        })

    # -- NODATA for idle minutes, a few SKIPDATA -------------------------------------
    occ = [b["eni"] * minutes + (b[key] - p0) // 60 for b in blocks for key in ("start", "end")]
    occupied = np.unique(_cat(occ))
    chosen = np.flatnonzero(rng.random(n_eni) < float(params["nodata_share"]))
    if len(chosen):
        per = rng.integers(2, 12, len(chosen))
        eni = np.repeat(chosen, per)
        lo = np.maximum((np.maximum(topo.eni_from[eni], p0) - p0 + 59) // 60, 0)
        hi = np.minimum((np.minimum(topo.eni_to[eni], p1) - p0) // 60, minutes)
        minute = lo + (rng.random(len(eni)) * np.maximum(hi - lo, 0)).astype(np.int64)
        code = np.unique(eni * minutes + minute)
        code = code[~np.isin(code, occupied)]
        eni, minute = code // minutes, code % minutes
        # the minute must lie wholly inside the ENI's lifetime
        t = p0 + 60 * minute
        ok = (topo.eni_from[eni] <= t) & (topo.eni_to[eni] > t + 59)
        eni, t = eni[ok], t[ok]
        blocks.append(_status_block(eni, t, 1))
    n_skip = int(params["skipdata"])
    if n_skip:
        perm = np.flatnonzero(np.arange(n_eni) - topo.inst_off[topo.eni_service] < topo.inst_perm[topo.eni_service])
        eni = perm[rng.integers(0, len(perm), n_skip)]
        t = p0 + 60 * rng.integers(0, minutes, n_skip)
        blocks.append(_status_block(eni, t, 2))

    cols = {key: _cat([b[key] for b in blocks]) for key in blocks[0]}
    acc = eni_acc[cols["eni"]]
    order = np.lexsort((cols["eni"], cols["start"], cols["end"] // 300, acc))
    cols = {key: v[order] for key, v in cols.items()}
    return _to_table(topo, cols, addr), pa.table({
        "connection_id": pa.array(cols["conn"], pa.int64()),
        "segment": pa.array(cols["seg"], pa.int64()),
    })


def _status_block(eni: np.ndarray, t: np.ndarray, status: int) -> dict[str, np.ndarray]:
    m = len(eni)
    none = np.full(m, -1, dtype=np.int64)
    return {
        "eni": eni, "src": none, "dst": none, "srcport": none, "dstport": none, "protocol": none,
        "packets": none, "bytes": none, "start": t, "end": t + 59, "action": none,
        "status": np.full(m, status, dtype=np.int64), "flags": none, "src_aws": none,
        "dst_aws": none, "direction": none, "path": none, "conn": none, "seg": none,
    }


def _strings(codes: np.ndarray, values: list[str]) -> pa.Array:
    idx = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pc.take(pa.array(values, pa.string()), idx)


def _ints(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(values.astype(np.int64), type=pa.int64(), mask=null)


def _to_table(topo: _Topology, c: dict[str, np.ndarray], addr: list[str]) -> pa.Table:
    eni = c["eni"]
    traffic = c["status"] == 0
    no = ~traffic
    sub = topo.eni_subnet[eni]
    cols = {
        "version": _ints(np.full(len(eni), 5)),
        "account-id": _strings(topo.subnet_account[sub], topo.accounts),
        "interface-id": _strings(eni, topo.eni_id),
        "srcaddr": _strings(c["src"], addr),
        "dstaddr": _strings(c["dst"], addr),
        "srcport": _ints(c["srcport"], no),
        "dstport": _ints(c["dstport"], no),
        "protocol": _ints(c["protocol"], no),
        "packets": _ints(c["packets"], no),
        "bytes": _ints(c["bytes"], no),
        "start": _ints(c["start"]),
        "end": _ints(c["end"]),
        "action": _strings(c["action"], _ACTIONS),
        "log-status": _strings(c["status"], _STATUS),
        "vpc-id": _strings(topo.subnet_account[sub], topo.vpc_ids),
        "subnet-id": _strings(sub, topo.subnet_ids),
        "instance-id": _strings(eni, topo.eni_instance),
        "tcp-flags": _ints(c["flags"], no),
        "type": _strings(np.where(traffic, 0, -1), ["IPv4"]),
        "pkt-srcaddr": _strings(c["src"], addr),
        "pkt-dstaddr": _strings(c["dst"], addr),
        "region": _strings(np.zeros(len(eni), dtype=np.int64), [REGION]),
        "az-id": _strings(topo.subnet_az[sub], list(AZ_IDS)),
        "pkt-src-aws-service": _strings(c["src_aws"], topo.aws_names),
        "pkt-dst-aws-service": _strings(c["dst_aws"], topo.aws_names),
        "flow-direction": _strings(c["direction"], _DIRECTIONS),
        "traffic-path": _ints(c["path"], c["path"] < 0),
    }
    assert tuple(cols) == LOG_FORMAT
    return pa.table({column_name(k): v for k, v in cols.items()})
