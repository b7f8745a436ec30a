"""Azure flow logs: VNet flow logs (version 4) and NSG flow logs (versions 1 and 2).

Both arrive as ``PT1H.json`` block blobs holding ``{"records": [...]}``:

* **VNet flow logs** (category ``FlowLogFlowEvent``): ``records[].flowRecords.flows[]``
  (``aclID``) ``.flowGroups[]`` (``rule``) ``.flowTuples[]``; a tuple is
  ``time-ms,src,dst,sport,dport,protocol-number,I|O,B|C|E|D,encryption,
  packets-sent,bytes-sent,packets-received,bytes-received``.
* **NSG flow logs** (category ``NetworkSecurityGroupFlowEvent``):
  ``records[].properties.flows[]`` (``rule``) ``.flows[]`` (``mac``) ``.flowTuples[]``;
  a tuple is ``time-s,src,dst,sport,dport,T|U,I|O,A|D`` plus, in version 2,
  ``,B|C|E,packets-s2d,bytes-s2d,packets-d2s,bytes-d2s`` (empty on ``B``).

The JSON is parsed once per blob; the tuple strings are split and checked
column-wise with Arrow kernels (:func:`parse_flow_tuples`), never one by one in
Python.  Tuples of one connection (same interface and 5-tuple: ``B`` begin,
``C`` continuing, ``E`` end, counters of ``C``/``E`` are deltas) are joined
into **one connection** (:func:`collapse_connections`), which becomes up to two
canonical records, as AWS logs a connection: the initiator's direction
(``srcaddr`` = the tuple's source, counters sent) and, when packets came back,
the reverse direction (counters received).  ``D`` (denied) tuples and NSG
``A|D`` decisions give ``action`` ``REJECT``/``ACCEPT``.

Every canonical ``start``/``end`` is in epoch **seconds** (VNet millisecond
times are divided by 1000; a value that is not above 2147483647 is taken as
seconds, as the documentation's own bandwidth example writes them).

Examples
--------
>>> t = parse_flow_tuples(["1663146003599,10.0.0.6,52.239.184.180,23956,443,6,O,B,NX,0,0,0,0",
...                        "1663146003606,10.0.0.6,52.239.184.180,23956,443,6,O,E,NX,3,767,2,1580"], "vnet")
>>> t.valid[["time", "state", "packets_sent", "bytes_received"]].to_dict("records")
[{'time': 1663146003, 'state': 'B', 'packets_sent': 0, 'bytes_received': 0}, {'time': 1663146003, 'state': 'E', 'packets_sent': 3, 'bytes_received': 1580}]
>>> c = collapse_connections(t.valid)
>>> c[["packets_sent", "bytes_sent", "packets_received", "bytes_received", "flow_state", "tuples"]].to_dict("records")
[{'packets_sent': 3, 'bytes_sent': 767, 'packets_received': 2, 'bytes_received': 1580, 'flow_state': 'E', 'tuples': 2}]
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .clouds import CloudFile, line_starts, lines_of, read_document, to_batch
from .streams import StreamState

__all__ = [
    "parse_flow_tuples",
    "collapse_connections",
    "connection_records",
    "parse_blob_path",
    "TupleTable",
    "AZURE_EXTRA_COLUMNS",
    "read_blob",
]

MS_THRESHOLD = 2_147_483_647
_DIGITS = r"^[0-9]{1,18}$"
_PROTOCOL_LETTERS = {"T": 6, "U": 17}
_SUBSCRIPTION = re.compile(r"/subscriptions/([^/]+)", re.IGNORECASE)
_VNET = re.compile(r"/virtualNetworks/([^/]+)", re.IGNORECASE)
_SUBNET = re.compile(r"/subnets/([^/]+)", re.IGNORECASE)

AZURE_EXTRA_COLUMNS = ("rule_name", "flow_state", "azure_encryption", "azure_acl_id",
                       "azure_resource_id")
"""String columns the Azure reader adds beside the canonical ones.

``rule_name``: the NSG / security-admin rule that allowed or denied the flow;
``flow_state``: the connection's last state (``B`` begun, ``C`` continuing,
``E`` ended, ``D`` denied; null for NSG version 1); ``azure_encryption``: the
VNet encryption state (``X``, ``NX``, ``NX_HW_NOT_SUPPORTED``, ...);
``azure_acl_id``: the VNet ``aclID``; ``azure_resource_id``: the NSG
``resourceId`` or the VNet ``targetResourceID``.
"""

_VNET_LAYOUT = ("time", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "direction",
                "state", "encryption", "packets_sent", "bytes_sent", "packets_received",
                "bytes_received")
_NSG2_LAYOUT = ("time", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "direction",
                "decision", "state", "packets_sent", "bytes_sent", "packets_received",
                "bytes_received")
_COUNTERS = ("packets_sent", "bytes_sent", "packets_received", "bytes_received")


@dataclass
class TupleTable:
    """Result of :func:`parse_flow_tuples`.

    Attributes
    ----------
    valid : pandas.DataFrame
        One row per valid tuple: ``index`` (position in the input), ``time``
        (epoch seconds), ``time_raw`` (as written), ``srcaddr``, ``dstaddr``,
        ``srcport``, ``dstport``, ``protocol`` (IANA number), ``direction``
        (``I``/``O``), ``decision`` (``A``/``D``), ``state`` (``B``/``C``/``E``/``D``
        or null), ``encryption`` (VNet), and the four counters
        ``packets_sent``, ``bytes_sent``, ``packets_received``, ``bytes_received``
        (source-to-destination = sent; null when empty).
    invalid : list of (int, str)
        ``(index, reason)`` of the tuples that are not valid.
    """

    valid: pd.DataFrame
    invalid: list[tuple[int, str]] = field(default_factory=list)


def _ints(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """int64 values (0 where not a number) and a mask of non-numeric non-null entries."""
    ok = pc.fill_null(pc.match_substring_regex(text, _DIGITS), False).to_numpy(zero_copy_only=False)
    clean = pc.if_else(pa.array(ok), text, pa.scalar("0"))
    values = pc.cast(pc.fill_null(clean, "0"), pa.int64()).to_numpy(zero_copy_only=False)
    return values, ok


def parse_flow_tuples(tuples: Sequence[str] | pa.Array, schema: str) -> TupleTable:
    """Split and check Azure flow tuples column-wise.

    Parameters
    ----------
    tuples : sequence of str or pyarrow string array
        Tuple strings as found in ``flowTuples``.
    schema : {"vnet", "nsg"}
        VNet flow logs (13 fields, IANA protocol numbers, millisecond times,
        states B/C/E/D) or NSG flow logs (8 fields in version 1, 13 in
        version 2; protocol letters T/U; decision A/D; states B/C/E).

    Returns
    -------
    TupleTable
        Valid tuples as a DataFrame and the invalid ones with their reason
        (``token_count``, ``non_numeric``, ``out_of_range``, ``bad_value``,
        ``missing_value``, ``wrong_type``).

    Examples
    --------
    >>> t = parse_flow_tuples(["1542110377,10.5.16.4,203.0.113.118,59831,443,T,O,A,B,,,,",
    ...                        "1542110379,10.5.16.4,203.0.113.117,59932,99999,T,O,A,E,1,66,1,66",
    ...                        "not,a,tuple"], "nsg")
    >>> t.valid[["protocol", "state", "packets_sent"]].to_dict("records")
    [{'protocol': 6, 'state': 'B', 'packets_sent': None}]
    >>> t.invalid
    [(1, 'out_of_range'), (2, 'token_count')]
    """
    if schema not in ("vnet", "nsg"):
        raise ValueError("schema must be 'vnet' or 'nsg'")
    invalid: list[tuple[int, str]] = []
    if isinstance(tuples, pa.Array):
        arr = tuples
    else:
        try:
            arr = pa.array(tuples, type=pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            ok_type = [isinstance(t, str) for t in tuples]
            invalid.extend((i, "wrong_type") for i, ok in enumerate(ok_type) if not ok)
            arr = pa.array([t if ok else None for t, ok in zip(tuples, ok_type, strict=True)],
                           type=pa.string())
    n = len(arr)
    index = np.arange(n, dtype=np.int64)
    reason = np.full(n, None, dtype=object)
    for i, _ in invalid:
        reason[i] = "wrong_type"
    nulls = arr.is_null().to_numpy(zero_copy_only=False)
    reason[nulls & (reason == None)] = "wrong_type"  # noqa: E711 - element-wise
    parts = pc.split_pattern(pc.fill_null(arr, ""), ",")
    length = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
    allowed = (13,) if schema == "vnet" else (8, 13)
    reason[~np.isin(length, allowed) & (reason == None)] = "token_count"  # noqa: E711

    def unset() -> np.ndarray:
        return reason == None  # noqa: E711

    def mark(bad: np.ndarray, why: str) -> None:
        reason[bad & unset()] = why

    good_len = np.isin(length, allowed)
    v1 = good_len & (length == 8)
    if v1.any():
        # version-1 NSG tuples (8 fields) have no state and no counters: pad them to 13 fields
        padded_text = pc.binary_join_element_wise(pc.fill_null(arr, ""), pa.scalar(",,,,,"), "")
        parts = pc.split_pattern(pc.if_else(pa.array(v1), padded_text, pc.fill_null(arr, "")), ",")
    # rows of a wrong length become 13 empty fields so list_element works on every row
    parts = pc.if_else(pa.array(good_len), parts, pa.scalar([""] * 13, parts.type))

    def col(i: int) -> pa.Array:
        return pc.list_element(parts, i)

    layout = _VNET_LAYOUT if schema == "vnet" else _NSG2_LAYOUT
    raw = {name: col(i) for i, name in enumerate(layout)}
    out: dict[str, object] = {"index": index}

    # time
    t_val, t_ok = _ints(raw["time"])
    mark(~t_ok, "non_numeric")
    out["time_raw"] = t_val
    out["time"] = np.where(t_val > MS_THRESHOLD, t_val // 1000, t_val)
    # addresses
    for name in ("srcaddr", "dstaddr"):
        text = raw[name]
        empty = pc.fill_null(pc.equal(pc.utf8_length(text), 0), True).to_numpy(zero_copy_only=False)
        mark(empty, "missing_value")
        shape = pc.fill_null(pc.match_substring_regex(text, r"^[0-9A-Fa-f:.]{2,45}$"), False)
        mark(~shape.to_numpy(zero_copy_only=False), "bad_value")
        out[name] = text
    # ports
    for name in ("srcport", "dstport"):
        values, ok = _ints(raw[name])
        mark(~ok, "non_numeric")
        mark(values > 65535, "out_of_range")
        out[name] = values
    # protocol: IANA number, or T/U (NSG)
    proto_text = raw["protocol"]
    letters = np.full(n, -1, dtype=np.int64)
    for letter, number in _PROTOCOL_LETTERS.items():
        letters[pc.fill_null(pc.equal(proto_text, letter), False).to_numpy(zero_copy_only=False)] = number
    values, ok = _ints(proto_text)
    mark(~ok & (letters < 0), "bad_value")
    mark(ok & (values > 255), "out_of_range")
    out["protocol"] = np.where(letters >= 0, letters, values)
    # direction, decision, state, encryption
    direction = raw["direction"]
    mark(~pc.fill_null(pc.is_in(direction, pa.array(["I", "O"])), False).to_numpy(zero_copy_only=False),
         "bad_value")
    out["direction"] = direction
    state = raw["state"]
    if v1.any():
        state = pc.if_else(pa.array(v1), pa.scalar(None, pa.string()), state)
    if schema == "vnet":
        states = ["B", "C", "E", "D"]
        out["decision"] = pc.if_else(pc.fill_null(pc.equal(state, "D"), False), pa.scalar("D"), pa.scalar("A"))
        out["encryption"] = pc.if_else(pc.equal(raw["encryption"], ""), pa.scalar(None, pa.string()),
                                       raw["encryption"])
    else:
        states = ["B", "C", "E"]
        decision = raw["decision"]
        mark(~pc.fill_null(pc.is_in(decision, pa.array(["A", "D"])), False).to_numpy(zero_copy_only=False),
             "bad_value")
        out["decision"] = decision
        out["encryption"] = pa.nulls(n, pa.string())
    state_ok = pc.or_(pc.is_in(state, pa.array(states)), pc.is_null(state)).to_numpy(zero_copy_only=False)
    mark(~state_ok, "bad_value")
    out["state"] = state
    # counters: empty -> null
    for name in _COUNTERS:
        text = raw[name]
        empty = pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
        values, ok = _ints(text)
        mark(~ok & ~empty, "non_numeric")
        out[name] = pd.arrays.IntegerArray(values, empty.copy())

    keep = unset()
    invalid = [(int(i), str(reason[i])) for i in np.flatnonzero(~keep)]
    frame = {name: (values.to_pandas() if isinstance(values, pa.Array) else values)
             for name, values in out.items()}
    df = pd.DataFrame(frame)[keep]
    for name in ("index", "time", "time_raw", "srcport", "dstport", "protocol"):
        df[name] = df[name].astype(np.int64)
    for name in ("srcaddr", "dstaddr", "direction", "decision", "state", "encryption"):
        df[name] = df[name].astype("string")
    for name in _COUNTERS:
        df[name] = df[name].astype("Int64")
    return TupleTable(df.reset_index(drop=True), invalid)


_KEY = ("interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol")


def collapse_connections(tuples: pd.DataFrame) -> pd.DataFrame:
    """Join the tuples of each connection into one row (count a connection once).

    Tuples are grouped by interface (``interface_id``, when the frame has it)
    and 5-tuple in input order; a new connection starts at a ``B`` (begin) or
    ``D`` (denied) tuple, after an ``E`` (end) or ``D`` tuple, and at every
    tuple without a state (NSG version 1).  Counters of ``C``/``E`` tuples are
    deltas since the previous tuple, so a connection's counters are their sum
    (null when no tuple carried any, e.g. a connection seen only as ``B``).

    Parameters
    ----------
    tuples : pandas.DataFrame
        :attr:`TupleTable.valid` rows, optionally with ``interface_id`` and
        other per-tuple columns (kept from the connection's first tuple).

    Returns
    -------
    pandas.DataFrame
        One row per connection: the first tuple's columns, ``start``/``end``
        (first and last tuple time, seconds), the summed counters,
        ``flow_state`` (the last tuple's state) and ``tuples`` (how many).

    Examples
    --------
    >>> t = parse_flow_tuples(["1708978215,203.0.113.105,10.0.0.5,35370,443,T,I,A,B,,,,",
    ...                        "1708978215,203.0.113.105,10.0.0.5,35370,443,T,I,A,C,1021,588096,8005,4610880",
    ...                        "1708978215,203.0.113.105,10.0.0.5,35370,443,T,I,A,E,52,29952,47,27072"], "nsg")
    >>> c = collapse_connections(t.valid)
    >>> int(c.packets_sent[0] + c.packets_received[0]), int(c.bytes_sent[0] + c.bytes_received[0])
    (9125, 5256000)
    """
    df = tuples.copy()
    if "interface_id" not in df.columns:
        df["interface_id"] = ""
    df["_order"] = np.arange(len(df))
    if len(df) == 0:
        for name in ("start", "end"):
            df[name] = pd.Series(dtype=np.int64)
        df["flow_state"] = pd.Series(dtype="string")
        df["tuples"] = pd.Series(dtype=np.int64)
        return df.drop(columns=["_order"])
    codes = df.groupby(list(_KEY), sort=False, dropna=False).ngroup().to_numpy()
    order = np.lexsort((df["_order"].to_numpy(), codes))
    df = df.iloc[order].reset_index(drop=True)
    codes = codes[order]
    same = np.concatenate([[False], codes[1:] == codes[:-1]])
    state = df["state"].astype(object).where(df["state"].notna(), None)
    prev = state.shift()
    starts = (~same) | state.isin(["B", "D"]).to_numpy() | prev.isin(["E", "D"]).to_numpy() \
        | state.isna().to_numpy()
    starts[0] = True
    conn = np.cumsum(starts) - 1
    df["_conn"] = conn
    grouped = df.groupby("_conn", sort=True)
    first = grouped.head(1).set_index("_conn")
    result = first.copy()
    result["start"] = grouped["time"].min()
    result["end"] = grouped["time"].max()
    for name in _COUNTERS:
        result[name] = grouped[name].sum(min_count=1).astype("Int64")
    result["flow_state"] = grouped["state"].last().astype("string")
    result["tuples"] = grouped.size()
    result = result.sort_values("_order", kind="stable").reset_index(drop=True)
    return result.drop(columns=["_order"])


def connection_records(conns: pd.DataFrame) -> pd.DataFrame:
    """Canonical records of collapsed connections: the initiator's direction, then the reverse.

    The forward record has the tuple's source as ``srcaddr`` and the counters
    sent; a reverse record (addresses and ports swapped, counters received,
    ``flow_direction`` flipped) follows when any packet or byte came back.

    Examples
    --------
    >>> t = parse_flow_tuples(["1663146003606,10.0.0.6,52.239.184.180,23956,443,6,O,E,NX,3,767,2,1580"], "vnet")
    >>> r = connection_records(collapse_connections(t.valid))
    >>> r[["srcaddr", "dstport", "packets", "bytes", "flow_direction", "action"]].to_dict("records")
    [{'srcaddr': '10.0.0.6', 'dstport': 443, 'packets': 3, 'bytes': 767, 'flow_direction': 'egress', 'action': 'ACCEPT'}, {'srcaddr': '52.239.184.180', 'dstport': 23956, 'packets': 2, 'bytes': 1580, 'flow_direction': 'ingress', 'action': 'ACCEPT'}]
    """
    action = np.where(conns["decision"].to_numpy(dtype=object) == "D", "REJECT", "ACCEPT")
    egress = conns["direction"].to_numpy(dtype=object) == "O"
    base = {
        "account_id": conns.get("account_id"),
        "interface_id": conns["interface_id"].replace("", pd.NA) if "interface_id" in conns else None,
        "protocol": conns["protocol"].to_numpy(),
        "start": conns["start"].to_numpy(),
        "end": conns["end"].to_numpy(),
        "action": action,
        "log_status": np.full(len(conns), "OK", dtype=object),
        "vpc_id": conns.get("vpc_id"),
        "subnet_id": conns.get("subnet_id"),
        "rule_name": conns.get("rule_name"),
        "flow_state": conns["flow_state"],
        "azure_encryption": conns["encryption"],
        "azure_acl_id": conns.get("azure_acl_id"),
        "azure_resource_id": conns.get("azure_resource_id"),
        "_line": conns["_line"].to_numpy() if "_line" in conns else np.zeros(len(conns), np.int64),
    }
    fwd = pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else v)
                        for k, v in base.items() if v is not None})
    rev = fwd.copy()
    fwd["srcaddr"], fwd["dstaddr"] = conns["srcaddr"].to_numpy(), conns["dstaddr"].to_numpy()
    fwd["srcport"], fwd["dstport"] = conns["srcport"].to_numpy(), conns["dstport"].to_numpy()
    fwd["packets"], fwd["bytes"] = conns["packets_sent"].to_numpy(), conns["bytes_sent"].to_numpy()
    fwd["flow_direction"] = np.where(egress, "egress", "ingress")
    rev["srcaddr"], rev["dstaddr"] = conns["dstaddr"].to_numpy(), conns["srcaddr"].to_numpy()
    rev["srcport"], rev["dstport"] = conns["dstport"].to_numpy(), conns["srcport"].to_numpy()
    rev["packets"], rev["bytes"] = conns["packets_received"].to_numpy(), conns["bytes_received"].to_numpy()
    rev["flow_direction"] = np.where(egress, "ingress", "egress")
    back = (conns["packets_received"].fillna(0).to_numpy(dtype=np.int64) > 0) | \
        (conns["bytes_received"].fillna(0).to_numpy(dtype=np.int64) > 0)
    fwd["_order"] = np.arange(len(fwd)) * 2
    rev["_order"] = np.arange(len(rev)) * 2 + 1
    out = pd.concat([fwd, rev[back]], ignore_index=True).sort_values("_order", kind="stable")
    out = out.drop(columns=["_order"]).reset_index(drop=True)
    for name in ("packets", "bytes"):
        out[name] = out[name].astype("Int64")
    order = ["account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
             "packets", "bytes", "start", "end", "action", "log_status", "vpc_id", "subnet_id",
             "flow_direction", *AZURE_EXTRA_COLUMNS, "_line"]
    return out[[c for c in order if c in out.columns]]


_PATH_PARTS = re.compile(r"(?:^|/)(y|m|d|h|macAddress)=([^/]+)")


def parse_blob_path(path: str) -> dict:
    """What an Azure flow-log blob name says (container, subscription, time, MAC).

    Handles the NSG layout
    ``insights-logs-networksecuritygroupflowevent/resourceId=/SUBSCRIPTIONS/{sub}/RESOURCEGROUPS/{rg}/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/{nsg}/y=/m=/d=/h=/m=00/macAddress={mac}/PT1H.json``
    and the VNet layouts under ``insights-logs-flowlogflowevent/flowLogResourceID=/...``
    (``/SUBSCRIPTIONS/{sub}/...`` or ``/{sub}_{RG}/...``).  Unknown parts are ``None``.

    Examples
    --------
    >>> p = parse_blob_path("insights-logs-flowlogflowevent/flowLogResourceID=/SUBSCRIPTIONS/0A1B/"
    ...     "RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/"
    ...     "FLOWLOGS/MYLOG/y=2022/m=09/d=14/h=09/m=00/macAddress=00224871C205/PT1H.json")
    >>> p["kind"], p["subscription"], p["hour"], p["mac"]
    ('vnet', '0a1b', '2022-09-14T09:00Z', '00224871C205')
    """
    out: dict = {"kind": None, "subscription": None, "resource_group": None, "resource": None,
                 "hour": None, "mac": None}
    lower = path.lower()
    if "insights-logs-flowlogflowevent" in lower:
        out["kind"] = "vnet"
    elif "insights-logs-networksecuritygroupflowevent" in lower:
        out["kind"] = "nsg"
    m = _SUBSCRIPTION.search(path)
    if m:
        out["subscription"] = m.group(1).lower()
    else:
        m = re.search(r"flowLogResourceID=/([0-9A-Fa-f-]{8,})_([^/]+)", path, re.IGNORECASE)
        if m:
            out["subscription"], out["resource_group"] = m.group(1).lower(), m.group(2)
    m = re.search(r"/RESOURCEGROUPS/([^/]+)", path, re.IGNORECASE)
    if m:
        out["resource_group"] = m.group(1)
    m = re.search(r"/(?:NETWORKSECURITYGROUPS|FLOWLOGS)/([^/]+)", path, re.IGNORECASE)
    if m:
        out["resource"] = m.group(1)
    parts: dict[str, list[str]] = {}
    for key, value in _PATH_PARTS.findall(path):
        parts.setdefault(key, []).append(value)
    if all(k in parts for k in ("y", "d", "h")) and len(parts.get("m", [])) >= 1:
        y, mo, d, h = parts["y"][0], parts["m"][0], parts["d"][0], parts["h"][0]
        minute = parts["m"][1] if len(parts["m"]) > 1 else "00"
        if all(x.isdigit() for x in (y, mo, d, h, minute)):
            out["hour"] = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}T{int(h):02d}:{int(minute):02d}Z"
    if "macAddress" in parts:
        out["mac"] = parts["macAddress"][0]
    return out


@dataclass
class _Groups:
    """Tuples of one schema gathered from a blob, with per-group attributes."""

    tuples: list = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    attrs: list[tuple] = field(default_factory=list)  # (mac, rule, acl, resource, account, vnet, subnet, version)


def _resource_parts(resource: str | None) -> tuple[str | None, str | None, str | None]:
    if not isinstance(resource, str):
        return None, None, None
    sub = _SUBSCRIPTION.search(resource)
    vnet = _VNET.search(resource)
    subnet = _SUBNET.search(resource)
    return (sub.group(1).lower() if sub else None, vnet.group(1) if vnet else None,
            subnet.group(1) if subnet else None)


def _walk(doc, cloud: CloudFile, path_info: dict) -> dict[str, _Groups]:
    """Gather tuples by schema; structural problems are counted invalid."""
    groups = {"vnet": _Groups(), "nsg": _Groups()}

    def bad(reason: str, where: str, what: str) -> None:
        cloud.invalid(reason, 1, f"{where}: {what}")

    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        bad("missing_key" if isinstance(doc, dict) else "wrong_type", "document",
            "no 'records' list")
        return groups
    for i, rec in enumerate(doc["records"]):
        where = f"records[{i}]"
        if not isinstance(rec, dict):
            bad("wrong_type", where, f"a record must be an object, not {type(rec).__name__}")
            continue
        if "flowRecords" in rec:
            fr = rec["flowRecords"]
            flows = fr.get("flows") if isinstance(fr, dict) else None
            if not isinstance(flows, list):
                bad("wrong_type", f"{where}.flowRecords", "no 'flows' list")
                continue
            resource = rec.get("targetResourceID")
            account, vnet, subnet = _resource_parts(resource)
            account = account or _resource_parts(rec.get("flowLogResourceID"))[0] or path_info["subscription"]
            mac = rec.get("macAddress") if isinstance(rec.get("macAddress"), str) else path_info["mac"]
            for j, flow in enumerate(flows):
                if not isinstance(flow, dict) or not isinstance(flow.get("flowGroups"), list):
                    bad("wrong_type", f"{where}.flowRecords.flows[{j}]", "no 'flowGroups' list")
                    continue
                acl = flow.get("aclID") if isinstance(flow.get("aclID"), str) else None
                for k, group in enumerate(flow["flowGroups"]):
                    tuples = group.get("flowTuples") if isinstance(group, dict) else None
                    if not isinstance(tuples, list):
                        bad("wrong_type", f"{where}.flowRecords.flows[{j}].flowGroups[{k}]",
                            "no 'flowTuples' list")
                        continue
                    rule = group.get("rule") if isinstance(group.get("rule"), str) else None
                    g = groups["vnet"]
                    g.tuples.extend(tuples)
                    g.counts.append(len(tuples))
                    g.attrs.append((mac, rule, acl, resource, account, vnet, subnet))
        elif isinstance(rec.get("properties"), dict) and "flows" in rec["properties"]:
            flows = rec["properties"]["flows"]
            if not isinstance(flows, list):
                bad("wrong_type", f"{where}.properties.flows", "not a list")
                continue
            resource = rec.get("resourceId")
            account = _resource_parts(resource)[0] or path_info["subscription"]
            for j, rule_flow in enumerate(flows):
                if not isinstance(rule_flow, dict) or not isinstance(rule_flow.get("flows"), list):
                    bad("wrong_type", f"{where}.properties.flows[{j}]", "no 'flows' list")
                    continue
                rule = rule_flow.get("rule") if isinstance(rule_flow.get("rule"), str) else None
                for k, inner in enumerate(rule_flow["flows"]):
                    tuples = inner.get("flowTuples") if isinstance(inner, dict) else None
                    if not isinstance(tuples, list):
                        bad("wrong_type", f"{where}.properties.flows[{j}].flows[{k}]", "no 'flowTuples' list")
                        continue
                    mac = inner.get("mac") if isinstance(inner.get("mac"), str) else path_info["mac"]
                    g = groups["nsg"]
                    g.tuples.extend(tuples)
                    g.counts.append(len(tuples))
                    g.attrs.append((mac, rule, None, resource, account, None, None))
        else:
            bad("missing_key", where, "neither 'flowRecords' (VNet) nor 'properties.flows' (NSG)")
    return groups


def read_blob(blocks: Iterable[bytes], state: StreamState, cloud: CloudFile) -> Iterator[pa.RecordBatch]:
    """Read one ``PT1H.json`` blob into narrow canonical batches (see the module docstring).

    Parameters
    ----------
    blocks : iterable of bytes
        The decompressed blob.
    state : StreamState
        Byte-pipeline facts of the file.
    cloud : CloudFile
        The file's summary bookkeeping (invalid tuples are counted there).

    Examples
    --------
    >>> import json
    >>> from flowgraph.read.summary import ReadSummary
    >>> from flowgraph.read.clouds import CloudFile
    >>> rec = {"macAddress": "00224871C205", "flowRecords": {"flows": [{"aclID": "a", "flowGroups": [
    ...     {"rule": "allow", "flowTuples": ["1663146003606,10.0.0.6,10.0.1.7,23956,443,6,O,E,NX,3,767,2,1580",
    ...                                      "1663146003606,10.0.0.6,10.0.1.7,x,443,6,O,E,NX,3,767,2,1580"]}]}]}}
    >>> s = ReadSummary()
    >>> [b] = read_blob([json.dumps({"records": [rec]}).encode()], StreamState(), CloudFile(s, "PT1H.json", "azure-json"))
    >>> b.column("bytes").to_pylist(), s.records, s.invalid_by_reason
    ([767, 1580], 2, {'non_numeric': 1})
    """
    data = read_document(blocks)
    if data is None:
        cloud.invalid("document_too_large", 1, "Azure flow-log blob larger than 256 MiB")
        return
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        doc = json.loads(data)
    except RecursionError:
        cloud.invalid("invalid_json", 1, "JSON nested too deeply")
        return
    except ValueError as exc:  # includes UnicodeDecodeError
        line = getattr(exc, "lineno", 1) or 1
        cloud.invalid("invalid_json", line, str(exc))
        return
    path_info = parse_blob_path(cloud.path)
    groups = _walk(doc, cloud, path_info)
    cloud.entry["azure_tuples"] = len(groups["vnet"].tuples) + len(groups["nsg"].tuples)
    cloud.entry["azure_connections"] = 0
    all_tuples = groups["vnet"].tuples + groups["nsg"].tuples
    lines = None
    if all_tuples and not (groups["vnet"].tuples and groups["nsg"].tuples):
        lines = _tuple_lines(data, all_tuples)
    frames = []
    offset = 0
    for schema in ("vnet", "nsg"):
        g = groups[schema]
        if not g.tuples:
            continue
        parsed = parse_flow_tuples(g.tuples, schema)
        n = len(g.tuples)
        tuple_lines = lines[offset:offset + n] if lines is not None else np.ones(n, np.int64)
        offset += n
        group_of = np.repeat(np.arange(len(g.counts)), g.counts)
        for idx, why in parsed.invalid:
            text = g.tuples[idx] if isinstance(g.tuples[idx], str) else repr(g.tuples[idx])
            cloud.invalid(why, int(tuple_lines[idx]), text)
        valid = parsed.valid
        if len(valid) == 0:
            continue
        attrs = pd.DataFrame(g.attrs, columns=["interface_id", "rule_name", "azure_acl_id",
                                               "azure_resource_id", "account_id", "vpc_id", "subnet_id"])
        gi = group_of[valid["index"].to_numpy()]
        for name in attrs.columns:
            valid[name] = attrs[name].to_numpy(dtype=object)[gi]
        valid["interface_id"] = valid["interface_id"].fillna("")
        valid["_line"] = tuple_lines[valid["index"].to_numpy()]
        conns = collapse_connections(valid)
        cloud.entry["azure_connections"] += len(conns)
        frames.append((schema, connection_records(conns)))
    for schema, records in frames:
        cloud.layout("azure-vnet" if schema == "vnet" else "azure-nsg", records.columns)
        columns = {c: records[c] for c in records.columns if c != "_line"}
        batch = cloud.emit(to_batch(columns, records["_line"].to_numpy()))
        if batch is not None:
            yield batch


def _tuple_positions(data: bytes) -> np.ndarray:
    """Byte offsets of the JSON strings that look like flow tuples (start with a digit, hold a comma).

    Vectorised: an opening quote is a quote followed by a digit (in JSON a
    closing quote is never followed by one); its string ends at the next quote.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(buf == 34)
    if len(quotes) < 2:
        return np.zeros(0, dtype=np.int64)
    nxt = buf[np.minimum(quotes + 1, len(buf) - 1)]
    opening = quotes[(nxt >= 48) & (nxt <= 57) & (quotes + 1 < len(buf))]
    k = np.searchsorted(quotes, opening, side="right")
    ok = k < len(quotes)
    opening, closing = opening[ok], quotes[k[ok]]
    commas = np.flatnonzero(buf == 44)
    inside = np.searchsorted(commas, closing) - np.searchsorted(commas, opening)
    return opening[inside > 0].astype(np.int64)


def _tuple_lines(data: bytes, tuples: list) -> np.ndarray | None:
    """Line of each tuple in document order (``None`` when the strings cannot be matched one to one).

    A tuple that is not a string gets the line of the string tuple before it.
    """
    positions = _tuple_positions(data)
    is_str = None if _all_strings(tuples) else np.array([isinstance(t, str) for t in tuples], dtype=bool)
    count = len(tuples) if is_str is None else int(is_str.sum())
    if len(positions) != count:
        return None
    found = lines_of(line_starts(data), positions)
    if is_str is None:
        return found
    lines = np.zeros(len(tuples), dtype=np.int64)
    lines[is_str] = found
    return np.maximum(np.maximum.accumulate(lines), 1)


def _all_strings(items: list) -> bool:
    try:
        pa.array(items, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return False
    return True
