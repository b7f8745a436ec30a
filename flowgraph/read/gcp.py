"""GCP VPC Flow Logs: Cloud Logging entries as JSON lines (GCS export) or a JSON array.

Accepted shapes: one ``LogEntry`` per line with the record in
``jsonPayload`` (Cloud Storage sink, ``gcloud logging read --format=json``
arrays, BigQuery JSON exports with ``jsonPayload`` or ``json_payload``), or
the bare ``jsonPayload`` objects.  The fields of one record
(``connection.{src_ip,src_port,dest_ip,dest_port,protocol}``, ``reporter``,
``bytes_sent``, ``packets_sent``, ``start_time``, ``end_time``,
``src_instance``/``dest_instance``, ``src_vpc``/``dest_vpc``,
``src_gke_details``/``dest_gke_details``, ``disposition``) map to canonical
columns (see ``docs/reading-azure-gcp.md``).

Typing quirks handled: int64 values written as JSON strings (``"491"``),
ports and protocol as JSON floats (``3389.0``), RFC 3339 times with
nanosecond or millisecond fractions (or BigQuery's ``2018-04-03 13:47:37.3 UTC``),
ICMP without ports (null).  A record without ``start_time`` takes its
``end_time`` as ``start``.

Both ends of a flow may report it (``reporter`` ``SRC`` and ``DEST``); the
reader keeps both records, as AWS keeps the records of both ENIs, and puts
the reporting endpoint in ``interface_id`` (``gcp:<address>``), so the graph
stage (which takes each direction's counters from one interface) counts the
flow once.

JSON parsing is per line; the fields are gathered into columns and checked
column-wise (NumPy / pandas), not record by record.

Examples
--------
>>> import io
>>> from flowgraph.read.summary import ReadSummary
>>> from flowgraph.read.clouds import CloudFile
>>> line = (b'{"connection": {"src_ip": "10.0.0.1", "src_port": 40000.0, "dest_ip": "10.0.0.2", '
...         b'"dest_port": 443.0, "protocol": 6.0}, "reporter": "SRC", "bytes_sent": "1200", '
...         b'"packets_sent": "4", "start_time": "2018-04-03T13:47:37.301723960Z", '
...         b'"end_time": "2018-04-03T13:47:38.401Z"}\\n')
>>> from flowgraph.read.streams import StreamState
>>> s = ReadSummary()
>>> batch = next(read_entries([line], StreamState(), CloudFile(s, "x.jsonl", "gcp-json")))
>>> {k: batch.column(k)[0].as_py() for k in ("srcport", "protocol", "bytes", "start", "end", "interface_id")}
{'srcport': 40000, 'protocol': 6, 'bytes': 1200, 'start': 1522763257, 'end': 1522763258, 'interface_id': 'gcp:10.0.0.1'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from itertools import chain

import numpy as np
import pandas as pd
import pyarrow as pa

from .clouds import CloudFile, line_starts, lines_of, read_document, to_batch
from .streams import MAX_LINE, StreamState, whole_lines

__all__ = ["read_entries", "entries_to_records", "GCP_EXTRA_COLUMNS", "GCP_BATCH"]

GCP_BATCH = 65_536
"""Entries converted per batch."""
INT64_MAX = 2**63 - 1

_SIDES = (("src", "src"), ("dest", "dst"))
GCP_EXTRA_COLUMNS = (
    "reporter",
    *(f"{side}_{name}" for name in ("instance", "project", "zone", "vpc", "mig", "gke_cluster",
                                     "gke_namespace", "gke_pod", "gke_workload", "gke_service",
                                     "workload") for side in ("src", "dst")),
)
"""String columns the GCP reader adds beside the canonical ones.

``reporter`` (``SRC``, ``DEST``, ``SRC_GATEWAY``, ``DEST_GATEWAY``); per side
(``src_`` / ``dst_``): ``instance`` (VM name), ``project``, ``zone``, ``vpc``
(VPC network name), ``mig`` (managed instance group), ``gke_cluster``,
``gke_namespace``, ``gke_pod``, ``gke_workload`` (workload name),
``gke_service`` (first service name) and ``workload``: the capture-time
identity, ``<namespace>/<workload>`` for a GKE workload, else the managed
instance group, else the VM name (null when the entry names none).
"""

_REPORTERS = {"SRC": "egress", "SRC_GATEWAY": "egress", "DEST": "ingress", "DEST_GATEWAY": "ingress"}
_INT_TEXT = re.compile(r"^[0-9]{1,19}(?:\.0*)?$")
_CONNECTION_KEY = re.compile(rb'"connection"\s*:')


def _dig(obj, *path):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _payload(entry):
    if not isinstance(entry, dict):
        return None
    for key in ("jsonPayload", "json_payload"):
        if key in entry:
            return entry[key]
    return entry


def _int_column(values: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """int64 values, a mask of present values and a mask of malformed ones.

    Integers, integral floats and digit strings (``"491"``, ``"3389.0"``) are
    numbers; booleans, other strings, objects and non-integral floats are
    malformed; values beyond int64 are malformed.
    """
    n = len(values)
    out = np.zeros(n, dtype=np.int64)
    present = np.array([v is not None for v in values], dtype=bool)
    if not present.any():
        return out, present, np.zeros(n, dtype=bool)
    s = pd.Series(values, dtype=object)
    is_bool = np.array([isinstance(v, bool) for v in values], dtype=bool)
    text = s.astype(str)
    ok = text.str.fullmatch(_INT_TEXT.pattern).to_numpy(dtype=bool) & present & ~is_bool
    digits = text.where(ok, "0").str.split(".", n=1).str[0]
    big = digits.str.len().to_numpy() > 18
    if big.any():
        too_big = np.array([int(d) > INT64_MAX for d in digits[big]], dtype=bool)
        idx = np.flatnonzero(big)[too_big]
        ok[idx] = False
        digits.iloc[idx] = "0"
    out = digits.astype(np.int64).to_numpy()
    return out, present, present & ~ok


def _times(values: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epoch seconds, present mask, malformed mask of RFC 3339 strings."""
    s = pd.Series(values, dtype=object)
    present = s.notna().to_numpy()
    is_str = s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    text = s.where(is_str, None).astype("string").str.strip()
    text = text.str.replace(r"\s*UTC$", "Z", regex=True).str.replace(" ", "T", n=1, regex=False)
    parsed = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
    ok = parsed.notna().to_numpy()
    secs = np.zeros(len(values), dtype=np.int64)
    if ok.any():
        # the unit pandas infers varies with the fraction's precision: divide by a second instead
        delta = parsed[ok] - pd.Timestamp(0, tz="UTC")
        secs[ok] = (delta // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
    return secs, present, present & ~ok


def _strings(values: list) -> np.ndarray:
    return np.array([v if isinstance(v, str) and v != "" else None for v in values], dtype=object)


def entries_to_records(entries: list, lines: np.ndarray, cloud: CloudFile) -> pd.DataFrame | None:
    """Canonical records of parsed Cloud Logging entries; invalid ones are counted on ``cloud``.

    Parameters
    ----------
    entries : list
        Parsed JSON values, one per record (LogEntry or bare ``jsonPayload``).
    lines : numpy.ndarray
        Their 1-based line numbers (for ``_line`` and invalid examples).
    cloud : CloudFile
        Where invalid entries are counted.

    Returns
    -------
    pandas.DataFrame or None
        Canonical and extra columns plus ``_line``; ``None`` when no entry is valid.
    """
    n = len(entries)
    if n == 0:
        return None
    payloads = [_payload(e) for e in entries]
    reason = np.full(n, None, dtype=object)

    def mark(bad: np.ndarray, why: str) -> None:
        reason[bad & np.equal(reason, None)] = why

    mark(np.array([not isinstance(p, dict) for p in payloads], dtype=bool), "wrong_type")
    conns = [_dig(p, "connection") for p in payloads]
    mark(np.array([c is None for c in conns], dtype=bool), "missing_key")
    mark(np.array([not isinstance(c, dict) for c in conns], dtype=bool), "wrong_type")

    def get(*path) -> list:
        return [_dig(p, *path) for p in payloads]

    out: dict[str, object] = {}
    for key, col in (("src_ip", "srcaddr"), ("dest_ip", "dstaddr")):
        raw = [_dig(c, key) for c in conns]
        mark(np.array([v is None for v in raw], dtype=bool), "missing_key")
        mark(np.array([not isinstance(v, str) or not v for v in raw], dtype=bool), "wrong_type")
        out[col] = _strings(raw)
    ints: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for path, col, high, required in (
        (("connection", "src_port"), "srcport", 65535, False),
        (("connection", "dest_port"), "dstport", 65535, False),
        (("connection", "protocol"), "protocol", 255, True),
        (("packets_sent",), "packets", INT64_MAX, False),
        (("bytes_sent",), "bytes", INT64_MAX, False),
    ):
        values, present, bad = _int_column(get(*path))
        if required:
            mark(~present, "missing_key")
        mark(bad, "wrong_type")
        mark(present & ~bad & (values > high), "out_of_range")
        ints[col] = (values, present)
    start, start_present, start_bad = _times(get("start_time"))
    end, end_present, end_bad = _times(get("end_time"))
    mark(~start_present & ~end_present, "missing_key")
    mark(start_bad | end_bad, "bad_time")
    start = np.where(start_present, start, end)
    end = np.where(end_present, end, start)
    mark(start > end, "bad_time")
    reporter = _strings(get("reporter"))
    bad_reporter = np.array([r is not None and r not in _REPORTERS for r in reporter], dtype=bool)
    mark(bad_reporter, "bad_value")
    disposition = _strings(get("disposition"))

    keep = np.equal(reason, None)
    for i in np.flatnonzero(~keep).tolist():
        entry = entries[i]
        try:
            text = json.dumps(entry, separators=(",", ":"))[:200]
        except (TypeError, ValueError):  # pragma: no cover - parsed JSON always dumps
            text = repr(entry)[:200]
        cloud.invalid(str(reason[i]), int(lines[i]), text)
    if not keep.any():
        return None

    df = pd.DataFrame({"srcaddr": out["srcaddr"], "dstaddr": out["dstaddr"]})
    for col, (values, present) in ints.items():
        df[col] = pd.arrays.IntegerArray(values, ~present)
    df["start"] = start
    df["end"] = end
    df["action"] = np.where(disposition == "DROPPED", "REJECT", "ACCEPT")
    src_side = np.array([r in ("SRC", "SRC_GATEWAY") for r in reporter], dtype=bool)
    dst_side = np.array([r in ("DEST", "DEST_GATEWAY") for r in reporter], dtype=bool)
    direction = np.full(n, None, dtype=object)
    direction[src_side] = "egress"
    direction[dst_side] = "ingress"
    reporting_ip = np.where(src_side, out["srcaddr"], np.where(dst_side, out["dstaddr"], None))
    df["interface_id"] = np.array([f"gcp:{ip}" if ip is not None else None for ip in reporting_ip],
                                  dtype=object)
    df["flow_direction"] = direction

    sides: dict[str, dict[str, np.ndarray]] = {}
    for gcp_side, side in _SIDES:
        inst = f"{gcp_side}_instance"
        vpc = f"{gcp_side}_vpc"
        gke = f"{gcp_side}_gke_details"
        vals = {
            "instance": _strings(get(inst, "vm_name")),
            "project": _strings([a or b for a, b in zip(get(inst, "project_id"), get(vpc, "project_id"),
                                                        strict=True)]),
            "zone": _strings(get(inst, "zone")),
            "region": _strings([a or b for a, b in zip(get(inst, "region"), get(vpc, "subnetwork_region"),
                                                       strict=True)]),
            "vpc": _strings(get(vpc, "vpc_name")),
            "subnet": _strings(get(vpc, "subnetwork_name")),
            "mig": _strings(get(inst, "managed_instance_group", "name")),
            "gke_cluster": _strings(get(gke, "cluster", "cluster_name")),
            "gke_namespace": _strings(get(gke, "pod", "pod_namespace")),
            "gke_pod": _strings(get(gke, "pod", "pod_name")),
            "gke_workload": _strings(get(gke, "pod", "pod_workload", "workload_name")),
            "gke_service": _strings([s[0].get("service_name") if isinstance(s, list) and s
                                     and isinstance(s[0], dict) else None
                                     for s in get(gke, "service")]),
        }
        workload = np.array([f"{ns}/{wl}" if wl is not None and ns is not None else wl
                             for ns, wl in zip(vals["gke_namespace"], vals["gke_workload"], strict=True)],
                            dtype=object)
        for fallback in (vals["mig"], vals["instance"]):
            workload = np.where(pd.isna(workload), fallback, workload)
        vals["workload"] = workload
        sides[side] = vals
    # the reporting side's VM, VPC and project fill the canonical "capturing interface" columns
    resource_project = _strings([_dig(e, "resource", "labels", "project_id") for e in entries])

    def reporting(name: str) -> np.ndarray:
        return np.where(src_side, sides["src"][name], np.where(dst_side, sides["dst"][name], None))

    account = reporting("project")
    df["account_id"] = np.where(pd.isna(account), resource_project, account)
    df["instance_id"] = reporting("instance")
    df["vpc_id"] = reporting("vpc")
    df["subnet_id"] = reporting("subnet")
    df["region"] = reporting("region")
    df["reporter"] = reporter
    for name in ("instance", "project", "zone", "vpc", "mig", "gke_cluster", "gke_namespace", "gke_pod",
                 "gke_workload", "gke_service", "workload"):
        for side in ("src", "dst"):
            df[f"{side}_{name}"] = sides[side][name]
    df["_line"] = np.asarray(lines, dtype=np.int64)
    df = df[keep].reset_index(drop=True)
    for name in df.columns:
        if df[name].dtype == object:
            df[name] = df[name].where(pd.notna(df[name]), None)
    return df


_ORDER = ("account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
          "packets", "bytes", "start", "end", "action", "vpc_id", "subnet_id", "instance_id", "region",
          "flow_direction", *GCP_EXTRA_COLUMNS)


def _emit(entries: list, lines: list[int] | np.ndarray, cloud: CloudFile) -> pa.RecordBatch | None:
    df = entries_to_records(entries, np.asarray(lines, dtype=np.int64), cloud)
    cloud.layout("gcp-vpc-flow", _ORDER)
    if df is None:
        return None
    return cloud.emit(to_batch({c: df[c] for c in _ORDER}, df["_line"].to_numpy()))


def _document(data: bytes, cloud: CloudFile) -> Iterator[pa.RecordBatch]:
    """A JSON array of entries (``gcloud logging read --format=json``)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        doc = json.loads(data)
    except RecursionError:
        cloud.invalid("invalid_json", 1, "JSON nested too deeply")
        return
    except ValueError as exc:
        cloud.invalid("invalid_json", getattr(exc, "lineno", 1) or 1, str(exc))
        return
    if not isinstance(doc, list):
        cloud.invalid("wrong_type", 1, f"a JSON document must be an array of entries, not {type(doc).__name__}")
        return
    positions = [m.start() for m in _CONNECTION_KEY.finditer(data)]
    if len(positions) == len(doc):
        lines = lines_of(line_starts(data), positions)
    else:
        lines = np.ones(len(doc), dtype=np.int64)
    for lo in range(0, len(doc), GCP_BATCH):
        batch = _emit(doc[lo:lo + GCP_BATCH], lines[lo:lo + GCP_BATCH], cloud)
        if batch is not None:
            yield batch


def read_entries(blocks: Iterable[bytes], state: StreamState, cloud: CloudFile) -> Iterator[pa.RecordBatch]:
    """Read GCP VPC Flow Logs entries (JSON lines or one JSON array) into narrow canonical batches."""
    it = iter(blocks)
    head: list[bytes] = []
    for block in it:
        head.append(block)
        if block.strip():
            break
    if b"".join(head).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"[":
        data = read_document(chain(head, it))
        if data is None:
            cloud.invalid("document_too_large", 1, "JSON array larger than 256 MiB")
            return
        yield from _document(data, cloud)
        return
    entries: list = []
    lines: list[int] = []
    phys = 0
    for chunk in whole_lines(chain(head, it), state):
        raw_lines = chunk.split(b"\n")
        if raw_lines and raw_lines[-1] == b"":
            raw_lines.pop()
        for raw in raw_lines:
            phys += 1
            flag = state.flags.pop(phys, None)
            if flag is not None:
                cloud.invalid(flag[0], phys, flag[1])
                continue
            if len(raw) > MAX_LINE:
                cloud.invalid("line_too_long", phys, raw[:1024])
                continue
            if phys == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            stripped = raw.strip()
            if not stripped:
                cloud.summary._blank(cloud.entry)
                continue
            try:
                value = json.loads(stripped)
            except RecursionError:
                cloud.invalid("invalid_json", phys, raw)
                continue
            except ValueError:  # includes UnicodeDecodeError and over-long integers
                cloud.invalid("invalid_json", phys, raw)
                continue
            entries.append(value)
            lines.append(phys)
        if len(entries) >= GCP_BATCH:
            batch = _emit(entries, lines, cloud)
            entries, lines = [], []
            if batch is not None:
                yield batch
    if entries:
        batch = _emit(entries, lines, cloud)
        if batch is not None:
            yield batch
    cloud.layout("gcp-vpc-flow", _ORDER)
