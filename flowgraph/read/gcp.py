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

import io
import json
import re
from collections.abc import Iterable, Iterator
from itertools import chain

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from .clouds import CloudFile, line_starts, lines_of, read_document, to_batch
from .streams import StreamState, whole_lines

ENTRY_MAX_LINE = 1 << 20
"""Longest GCP log entry line accepted (1 MiB): Cloud Logging caps an entry at 256 KB, and the
64 KiB bound of the text formats (:data:`~flowgraph.read.streams.MAX_LINE`) would refuse real entries
carrying large labels or resource metadata."""

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
_NULL = np.array(None, dtype=object)
"""``None`` as a 0-d object array, for ``np.equal``/``np.where`` (what they make of a bare ``None``)."""


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


def _int_column(values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """int64 values, a mask of present values and a mask of malformed ones.

    ``values`` is a list of parsed JSON values or an Arrow array.  Integers,
    integral floats and digit strings (``"491"``, ``"3389.0"``) are numbers;
    booleans, other strings, objects, negative and non-integral numbers are
    malformed; values beyond int64 are malformed.
    """
    if isinstance(values, pa.Array):
        t = values.type
        n = len(values)
        present = values.is_valid().to_numpy(zero_copy_only=False)
        if pa.types.is_null(t) or not present.any():
            return np.zeros(n, np.int64), present, np.zeros(n, bool)
        if pa.types.is_integer(t):
            out = pc.fill_null(values.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
            return out, present, present & (out < 0)
        if pa.types.is_floating(t):
            f = pc.fill_null(values, 0.0).to_numpy(zero_copy_only=False)
            ok = np.isfinite(f) & (np.floor(f) == f) & (f >= 0) & (f < 9.2e18)
            return np.where(ok, f, 0).astype(np.int64), present, present & ~ok
        if not pa.types.is_string(t):
            values = values.to_pylist()
        else:
            values = values.to_numpy(zero_copy_only=False).tolist()
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


def _times(values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epoch seconds, present mask, malformed mask of RFC 3339 strings (a list or an Arrow array)."""
    if isinstance(values, pa.Array):
        present = values.is_valid().to_numpy(zero_copy_only=False)
        if pa.types.is_timestamp(values.type):  # the Arrow JSON reader may infer timestamps
            secs = pc.fill_null(values.cast(pa.timestamp("s"), safe=False).cast(pa.int64()), 0)
            return secs.to_numpy(zero_copy_only=False), present, np.zeros(len(values), bool)
        if pa.types.is_null(values.type):
            return np.zeros(len(values), np.int64), present, np.zeros(len(values), bool)
        if pa.types.is_string(values.type):
            try:  # RFC 3339 with a zone: Arrow parses it; anything else goes the pandas way below
                ns = pc.fill_null(values.cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()), 0)
                return ns.to_numpy(zero_copy_only=False) // 1_000_000_000, present, np.zeros(len(values), bool)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        values = values.to_pylist()
    s = pd.Series(values, dtype=object)
    present = s.notna().to_numpy()
    is_str = np.array([isinstance(v, str) for v in values], dtype=bool)
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


def _strings(values) -> np.ndarray:
    """Object array of the non-empty strings (anything else -> None)."""
    if isinstance(values, pa.Array):
        if not pa.types.is_string(values.type):
            return np.full(len(values), None, dtype=object)
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        return values.to_numpy(zero_copy_only=False).astype(object)
    return np.array([v if isinstance(v, str) and v != "" else None for v in values], dtype=object)


def _not_string(values) -> np.ndarray:
    """Mask of present values that are not non-empty strings."""
    if isinstance(values, pa.Array):
        valid = values.is_valid().to_numpy(zero_copy_only=False)
        if not pa.types.is_string(values.type):
            return valid
        return valid & pc.fill_null(pc.equal(values, ""), False).to_numpy(zero_copy_only=False)
    return np.array([v is not None and (not isinstance(v, str) or not v) for v in values], dtype=bool)


def _pick(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(pd.isna(a), b, a)


class _ListEntries:
    """Parsed JSON entries (the general path)."""

    def __init__(self, entries: list) -> None:
        self.entries = entries
        self.n = len(entries)
        self.payloads = [_payload(e) for e in entries]

    def structure(self) -> tuple[np.ndarray, np.ndarray]:
        """Masks: (missing ``connection``, wrong types of the payload or ``connection``)."""
        conns = [_dig(p, "connection") for p in self.payloads]
        missing = np.array([isinstance(p, dict) and c is None for p, c in zip(self.payloads, conns, strict=True)],
                           dtype=bool)
        wrong = np.array([not isinstance(p, dict) or (c is not None and not isinstance(c, dict))
                          for p, c in zip(self.payloads, conns, strict=True)], dtype=bool)
        return missing, wrong

    def get(self, *path) -> list:
        return [_dig(p, *path) for p in self.payloads]

    def entry_get(self, *path) -> list:
        return [_dig(e, *path) for e in self.entries]

    def first_service(self, gke: str) -> np.ndarray:
        return _strings([s[0].get("service_name") if isinstance(s, list) and s and isinstance(s[0], dict)
                         else None for s in self.get(gke, "service")])

    def text(self, i: int) -> str:
        try:
            return json.dumps(self.entries[i], separators=(",", ":"))[:200]
        except (TypeError, ValueError):  # pragma: no cover - parsed JSON always dumps
            return repr(self.entries[i])[:200]


class _ArrowEntries:
    """A chunk of JSON lines parsed by :mod:`pyarrow.json` (the fast path)."""

    def __init__(self, table: pa.Table, raw_lines: list[bytes]) -> None:
        self.n = table.num_rows
        self.raw_lines = raw_lines
        self.root = table.to_struct_array().combine_chunks()
        self.payload = self.root
        for key in ("jsonPayload", "json_payload"):
            if key in table.column_names:
                self.payload = pc.struct_field(self.root, key)
                break

    @staticmethod
    def _dig(arr: pa.Array, path) -> pa.Array:
        for key in path:
            if not pa.types.is_struct(arr.type) or arr.type.get_field_index(key) < 0:
                return pa.nulls(len(arr))
            arr = pc.struct_field(arr, key)
        return arr

    def structure(self) -> tuple[np.ndarray, np.ndarray]:
        conn = self._dig(self.payload, ("connection",))
        missing = ~conn.is_valid().to_numpy(zero_copy_only=False)
        wrong = ~missing if not pa.types.is_struct(conn.type) else np.zeros(self.n, bool)
        return missing, wrong

    def get(self, *path) -> pa.Array:
        return self._dig(self.payload, path)

    def entry_get(self, *path) -> pa.Array:
        return self._dig(self.root, path)

    def first_service(self, gke: str) -> np.ndarray:
        services = self.get(gke, "service")
        if not pa.types.is_list(services.type) or not pa.types.is_struct(services.type.value_type):
            return _strings(pa.nulls(self.n))
        first = pc.list_element(pc.if_else(pc.greater(pc.list_value_length(services), 0), services,
                                           pa.scalar(None, services.type)), 0)
        return _strings(self._dig(first, ("service_name",)))

    def text(self, i: int) -> str:
        return self.raw_lines[i][:200].decode("utf-8", "backslashreplace")


def entries_to_records(entries, lines: np.ndarray, cloud: CloudFile) -> pd.DataFrame | None:
    """Canonical records of parsed Cloud Logging entries; invalid ones are counted on ``cloud``.

    Parameters
    ----------
    entries : list
        Parsed JSON values, one per record (LogEntry or bare ``jsonPayload``);
        or a chunk already parsed by :mod:`pyarrow.json` (internal fast path).
    lines : numpy.ndarray
        Their 1-based line numbers (for ``_line`` and invalid examples).
    cloud : CloudFile
        Where invalid entries are counted.

    Returns
    -------
    pandas.DataFrame or None
        Canonical and extra columns plus ``_line``; ``None`` when no entry is valid.

    Examples
    --------
    >>> import numpy as np
    >>> from flowgraph.read.summary import ReadSummary
    >>> from flowgraph.read.clouds import CloudFile
    >>> s = ReadSummary()
    >>> e = {"connection": {"src_ip": "10.0.0.1", "dest_ip": "10.0.0.2", "dest_port": "443", "protocol": 6},
    ...      "reporter": "DEST", "bytes_sent": "10", "end_time": "2025-03-04T10:00:00Z",
    ...      "dest_instance": {"vm_name": "db-1", "managed_instance_group": {"name": "db"}}}
    >>> df = entries_to_records([e, {"connection": "x"}], np.array([1, 2]), CloudFile(s, "f.jsonl", "gcp-json"))
    >>> df[["dstport", "start", "interface_id", "instance_id", "dst_workload"]].to_dict("records")
    [{'dstport': 443, 'start': 1741082400, 'interface_id': 'gcp:10.0.0.2', 'instance_id': 'db-1', 'dst_workload': 'db'}]
    >>> s.invalid_examples["wrong_type"]
    ['f.jsonl:2: {"connection":"x"}']
    """
    src = entries if isinstance(entries, _ArrowEntries) else _ListEntries(entries)
    n = src.n
    if n == 0:
        return None
    get = src.get
    reason = np.full(n, None, dtype=object)

    def mark(bad: np.ndarray, why: str) -> None:
        reason[bad & np.equal(reason, _NULL)] = why

    missing, wrong = src.structure()
    mark(wrong, "wrong_type")
    mark(missing, "missing_key")
    out: dict[str, np.ndarray] = {}
    for key, col in (("src_ip", "srcaddr"), ("dest_ip", "dstaddr")):
        raw = get("connection", key)
        out[col] = _strings(raw)
        bad = _not_string(raw)
        mark(pd.isna(out[col]) & ~bad, "missing_key")
        mark(bad, "wrong_type")
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
    reporter_raw = get("reporter")
    reporter = _strings(reporter_raw)
    mark(_not_string(reporter_raw) | (~pd.isna(reporter) & ~np.isin(reporter, list(_REPORTERS))), "bad_value")
    disposition = _strings(get("disposition"))

    keep = np.equal(reason, _NULL)
    for i in np.flatnonzero(~keep).tolist():
        cloud.invalid(str(reason[i]), int(lines[i]), src.text(i))
    if not keep.any():
        return None

    df = pd.DataFrame({"srcaddr": out["srcaddr"], "dstaddr": out["dstaddr"]})
    for col, (values, present) in ints.items():
        df[col] = pd.arrays.IntegerArray(values, ~present)
    df["start"] = start
    df["end"] = end
    df["action"] = np.where(disposition == "DROPPED", "REJECT", "ACCEPT")
    src_side = np.isin(reporter, ["SRC", "SRC_GATEWAY"])
    dst_side = np.isin(reporter, ["DEST", "DEST_GATEWAY"])
    direction = np.full(n, None, dtype=object)
    direction[src_side] = "egress"
    direction[dst_side] = "ingress"
    reporting_ip = np.where(src_side, out["srcaddr"], np.where(dst_side, out["dstaddr"], _NULL))
    interface = np.full(n, None, dtype=object)
    has_ip = ~pd.isna(reporting_ip)
    interface[has_ip] = np.char.add("gcp:", reporting_ip[has_ip].astype(str)).astype(object)
    df["interface_id"] = interface
    df["flow_direction"] = direction

    sides: dict[str, dict[str, np.ndarray]] = {}
    for gcp_side, side in _SIDES:
        inst = f"{gcp_side}_instance"
        vpc = f"{gcp_side}_vpc"
        gke = f"{gcp_side}_gke_details"
        vals = {
            "instance": _strings(get(inst, "vm_name")),
            "project": _pick(_strings(get(inst, "project_id")), _strings(get(vpc, "project_id"))),
            "zone": _strings(get(inst, "zone")),
            "region": _pick(_strings(get(inst, "region")), _strings(get(vpc, "subnetwork_region"))),
            "vpc": _strings(get(vpc, "vpc_name")),
            "subnet": _strings(get(vpc, "subnetwork_name")),
            "mig": _strings(get(inst, "managed_instance_group", "name")),
            "gke_cluster": _strings(get(gke, "cluster", "cluster_name")),
            "gke_namespace": _strings(get(gke, "pod", "pod_namespace")),
            "gke_pod": _strings(get(gke, "pod", "pod_name")),
            "gke_workload": _strings(get(gke, "pod", "pod_workload", "workload_name")),
            "gke_service": src.first_service(gke),
        }
        workload = vals["gke_workload"].copy()
        both = ~pd.isna(workload) & ~pd.isna(vals["gke_namespace"])
        if both.any():
            workload[both] = np.char.add(np.char.add(vals["gke_namespace"][both].astype(str), "/"),
                                         workload[both].astype(str)).astype(object)
        for fallback in (vals["mig"], vals["instance"]):
            workload = _pick(workload, fallback)
        vals["workload"] = workload
        sides[side] = vals
    # the reporting side's VM, VPC and project fill the canonical "capturing interface" columns
    resource_project = _strings(src.entry_get("resource", "labels", "project_id"))

    def reporting(name: str) -> np.ndarray:
        return np.where(src_side, sides["src"][name], np.where(dst_side, sides["dst"][name], _NULL))

    df["account_id"] = _pick(reporting("project"), resource_project)
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


def _fast_chunk(chunk: bytes, first_line: int, state: StreamState) -> _ArrowEntries | None:
    """Parse a chunk of plain JSON lines with :mod:`pyarrow.json` (``None``: use the general path)."""
    n_lines = chunk.count(b"\n")
    if n_lines == 0 or any(first_line <= k < first_line + n_lines for k in state.flags):
        return None
    if b"\n\n" in chunk or chunk[:1] in (b"\n", b" ", b"\xef") or b"\r" in chunk or b"\n " in chunk:
        return None
    try:
        table = pa_json.read_json(io.BytesIO(chunk), read_options=pa_json.ReadOptions(
            use_threads=False, block_size=len(chunk) + 1))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.num_rows != n_lines:
        return None
    for key in ("jsonPayload", "json_payload"):
        if key in table.column_names:
            col = table.column(key)
            if col.null_count or not pa.types.is_struct(col.type):
                return None  # entries of mixed shapes: the general path sorts them out
    raw = chunk.split(b"\n")
    return _ArrowEntries(table, raw[:n_lines])


_ORDER = ("account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
          "packets", "bytes", "start", "end", "action", "vpc_id", "subnet_id", "instance_id", "region",
          "flow_direction", *GCP_EXTRA_COLUMNS)


def _emit(entries, lines: list[int] | np.ndarray, cloud: CloudFile) -> pa.RecordBatch | None:
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
    """Read GCP VPC Flow Logs entries (JSON lines or one JSON array) into narrow canonical batches.

    Parameters
    ----------
    blocks : iterable of bytes
        The decompressed file.
    state : StreamState
        Byte-pipeline facts of the file (over-long and truncated lines are flagged there).
    cloud : CloudFile
        The file's summary bookkeeping.

    Examples
    --------
    See the module docstring.
    """
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
    for chunk in whole_lines(chain(head, it), state, max_line=ENTRY_MAX_LINE):
        starts = line_starts(chunk)
        if len(starts) > 1 and int(np.diff(starts).max()) <= ENTRY_MAX_LINE:
            fast = _fast_chunk(chunk, phys + 1, state)
            if fast is not None:
                if entries:
                    batch = _emit(entries, lines, cloud)
                    entries, lines = [], []
                    if batch is not None:
                        yield batch
                batch = _emit(fast, np.arange(phys + 1, phys + fast.n + 1), cloud)
                phys += fast.n
                if batch is not None:
                    yield batch
                continue
        raw_lines = chunk.split(b"\n")
        if raw_lines and raw_lines[-1] == b"":
            raw_lines.pop()
        for raw in raw_lines:
            phys += 1
            flag = state.flags.pop(phys, None)
            if flag is not None:
                cloud.invalid(flag[0], phys, flag[1])
                continue
            if len(raw) > ENTRY_MAX_LINE:
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
