"""What runs inside each Spark task: the local reader and resolver on whole files.

Nothing here imports pyspark.  :func:`resolve_files` is the function given to
``DataFrame.mapInArrow``: it receives Arrow batches of ``binaryFile`` rows
(``path``, ``content``), writes each file to a task-local temporary file under
its own name, reads it with :func:`flowgraph.read.scan_flows` exactly as the
local engine does, resolves the records with a :class:`~flowgraph.resolve.Resolver`
(``names=True``) and yields rows of :data:`OUTPUT_SCHEMA`:

* record rows: :data:`~flowgraph.resolve.resolver.RESOLVED_NAMES_SCHEMA`, ``_summary`` null;
* one summary row per file (record columns null, ``_summary`` a JSON object):
  the file's :class:`~flowgraph.read.ReadSummary` and the resolver's per-file
  counts (records without address or outside the time window, unmapped
  examples, inventory problems), or the reason the file was skipped;
* one row per task with the *node order*: for every node that is not an
  inventory service, where (file, position) it was first met.

Node order
----------
The local engine numbers nodes as it meets them: the inventory's services
first (in inventory order), then every other node the first time the
resolver touches it while reading the files in order.  The aggregation SQL
takes ``MIN(node)`` where the records of one connection name different nodes
for one end (an address known only through an ENI, a connection across an
address-reuse boundary) and breaks the last direction tie by node order, so
the Spark engine gives the nodes the very same numbers: each task notes, for
each node, the earliest (file order, touch position) at which it met it; the
driver takes the minimum over tasks and numbers the nodes in that order.

Examples
--------
>>> file_key("s3://b/AWSLogs/x.log", order={}, uri_items=[(0, "s3://b/AWSLogs")])
[0, 1, 's3://b/AWSLogs/x.log']
>>> file_key("logs/a.log", order={"logs/a.log": (2, 1, 7)}, uri_items=[])
[2, 1, 7]
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

import numpy as np
import pyarrow as pa

from ..exceptions import InputError
from ..resolve.inventory import Inventory
from ..resolve.resolver import RESOLVED_NAMES_SCHEMA, RESOLVER_INPUT_COLUMNS, Resolver

__all__ = [
    "OUTPUT_SCHEMA", "SPARK_DDL", "TaskConfig", "display_path", "local_path", "file_key", "resolve_files",
]

OUTPUT_SCHEMA = pa.schema([*RESOLVED_NAMES_SCHEMA, pa.field("_summary", pa.string())])
"""Rows the tasks emit: resolved records (``_summary`` null), per-file and per-task summaries."""

_DDL_TYPES = {pa.string(): "string", pa.int32(): "int", pa.int64(): "bigint", pa.bool_(): "boolean",
              pa.int8(): "tinyint"}
SPARK_DDL = ", ".join(f"{f.name} {_DDL_TYPES[f.type]}" for f in OUTPUT_SCHEMA)
""":data:`OUTPUT_SCHEMA` as a Spark DDL string (the ``mapInArrow`` schema)."""


def local_path(uri: str) -> str | None:
    """Local path of a ``file:`` URI (``None`` for other schemes).

    >>> local_path("file:/tmp/a%20b/x.log.gz"), local_path("s3a://bucket/k.log")
    ('/tmp/a b/x.log.gz', None)
    """
    parsed = urlparse(uri)
    if parsed.scheme not in ("file", ""):
        return None
    return unquote(parsed.path)


def display_path(uri: str) -> str:
    """How a file Spark found is named in provenance and the read summary.

    ``s3a://`` and ``s3n://`` URIs are shown as ``s3://`` (as the local reader
    names S3 objects); other URIs are kept.

    >>> display_path("s3a://logs/AWSLogs/1/x.log.gz")
    's3://logs/AWSLogs/1/x.log.gz'
    """
    for scheme in ("s3a://", "s3n://"):
        if uri.startswith(scheme):
            return "s3://" + uri[len(scheme):]
    return uri


def file_key(name: str, *, order: dict, uri_items: list) -> list:
    """Position of a file in the local reader's reading order (a sortable list).

    Files the driver listed have their index there; files Spark listed under a
    URI sort by source item, then by name (the local reader lists S3 prefixes
    in key order).
    """
    hit = order.get(name)
    if hit is not None:
        return list(hit)
    for idx, prefix in uri_items:
        if name == prefix or name.startswith(prefix.rstrip("/") + "/"):
            return [idx, 1, name]
    return [len(uri_items) + len(order), 1, name]


@dataclass
class TaskConfig:
    """Everything a task needs; broadcast to the executors (or pickled into the closure).

    Attributes
    ----------
    inventory : Inventory or None
        The inventory, loaded on the driver.
    ip_ranges : dict or None
        Parsed AWS ``ip-ranges.json``.
    internet, since, until, fields
        As for :func:`flowgraph.graph.build_graph` (``since``/``until`` in epoch seconds).
    names : dict
        Local absolute path -> the name the local reader gives the file.
    roots : list
        Local sources (absolute paths) the driver listed: files below them that
        are not in ``names`` are ignored (the driver reports them as skipped).
    order : dict
        Local reader's name -> position in its reading order.
    uri_items : list
        ``(source index, display prefix)`` of the sources Spark lists itself.
    explicit : set
        Spark paths of sources named explicitly (read whatever their name).
    """

    inventory: Inventory | None = None
    ip_ranges: dict | None = None
    internet: str = "single"
    since: int | None = None
    until: int | None = None
    fields: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    order: dict[str, tuple] = field(default_factory=dict)
    uri_items: list[tuple[int, str]] = field(default_factory=list)
    explicit: set[str] = field(default_factory=set)

    def key(self, name: str) -> list:
        """:func:`file_key` with this configuration."""
        return file_key(name, order=self.order, uri_items=self.uri_items)


class _TrackingResolver(Resolver):
    """A resolver that notes the order in which it touches nodes (see *Node order*)."""

    def __init__(self, *args, **kwargs) -> None:
        self._tracking = False
        self._id_names: list[str] = []
        super().__init__(*args, **kwargs)
        self._preset = set(self._node_ids)  # the inventory's services, numbered alike everywhere
        self._touched: dict[str, int] = {}
        self._tracking = True

    def _touch(self, name: str) -> None:
        if self._tracking and name not in self._preset and name not in self._touched:
            self._touched[name] = len(self._touched)

    def _node(self, name: str, kind: str) -> int:
        self._touch(name)
        nid = super()._node(name, kind)
        if nid == len(self._id_names):
            self._id_names.append(name)
        return nid

    def _lookup(self, addr: str):
        hit = super()._lookup(addr)
        self._touch(self._id_names[hit[2]])
        return hit

    def take_touched(self) -> dict[str, int]:
        out, self._touched = self._touched, {}
        return out


def _summary_batch(payload: dict) -> pa.RecordBatch:
    arrays = [pa.nulls(1, f.type) for f in RESOLVED_NAMES_SCHEMA]
    arrays.append(pa.array([json.dumps(payload, separators=(",", ":"))], pa.string()))
    return pa.RecordBatch.from_arrays(arrays, schema=OUTPUT_SCHEMA)


def _replace(obj, old: str, new: str):
    if isinstance(obj, str):
        return obj.replace(old, new)
    if isinstance(obj, list):
        return [_replace(v, old, new) for v in obj]
    if isinstance(obj, dict):
        return {k: _replace(v, old, new) for k, v in obj.items()}
    return obj


def _with_file(batch: pa.RecordBatch, name: str) -> pa.RecordBatch:
    if "_file" not in batch.schema.names:
        return batch
    i = batch.schema.get_field_index("_file")
    arr = pa.DictionaryArray.from_arrays(pa.array(np.zeros(batch.num_rows, np.int32)),
                                         pa.array([name], pa.string()))
    return batch.set_column(i, pa.field("_file", arr.type), arr)


def _read_one(content, name: str, cfg: TaskConfig, resolver: _TrackingResolver, first_seen: dict,
              workdir: str) -> Iterator[pa.RecordBatch]:
    """Resolved records of one file, then its summary row."""
    from ..read import scan_flows
    from ..read.sources import describe

    tmp = os.path.join(workdir, os.path.basename(name.rstrip("/")) or "flows")
    with open(tmp, "wb") as f:
        f.write(content)
    in0, noaddr0, outside0 = resolver.records_in, resolver.records_no_address, resolver.records_outside_window
    used0 = resolver.records_used
    problems0 = len(resolver.problems)
    # Examples of unmapped addresses as a fresh resolver would pick them from this file alone;
    # the driver replays them in file order with the run-wide limits (see _Resolution).
    resolver.unmapped_examples = []
    resolver._example_counts = {}
    resolver._example_addrs = set()
    resolver.take_touched()
    scan = scan_flows(tmp, fields=cfg.fields, columns=RESOLVER_INPUT_COLUMNS, provenance=True)
    try:
        for batch in scan:
            out = resolver.resolve(_with_file(batch, name), names=True)
            if out.num_rows:
                yield pa.RecordBatch.from_arrays([*out.columns, pa.nulls(out.num_rows, pa.string())],
                                                 schema=OUTPUT_SCHEMA)
    except InputError as exc:
        # A file without a valid record is no error for the whole read; anything else is.
        if str(exc) != scan.summary._no_records_sentence(describe(tmp)):
            raise
    finally:
        os.unlink(tmp)
    key = cfg.key(name)
    for node, pos in resolver.take_touched().items():
        seen = first_seen.get(node)
        if seen is None or [*key, pos] < seen:
            first_seen[node] = [*key, pos]
    yield _summary_batch({
        "file": name,
        "read": _replace(scan.summary.to_dict(), tmp, name),
        "resolver": {
            "records_in": resolver.records_in - in0,
            "records_used": resolver.records_used - used0,
            "records_without_address": resolver.records_no_address - noaddr0,
            "records_outside_window": resolver.records_outside_window - outside0,
            "unmapped_examples": _replace(list(resolver.unmapped_examples), tmp, name),
            "problems": resolver.problems[problems0:],
        },
    })


def resolve_files(batches: Iterable[pa.RecordBatch], cfg: TaskConfig) -> Iterator[pa.RecordBatch]:
    """Read and resolve every file of a task (the ``mapInArrow`` function).

    Parameters
    ----------
    batches : iterable of pyarrow.RecordBatch
        ``binaryFile`` rows with at least ``path`` and ``content``.
    cfg : TaskConfig
        Inventory, options and the local reader's names and order of the files.

    Yields
    ------
    pyarrow.RecordBatch
        Batches of :data:`OUTPUT_SCHEMA`.

    Examples
    --------
    >>> import json
    >>> text = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    ...         "start end action log-status\\n"
    ...         "2 123456789012 eni-1 10.0.0.1 198.51.100.7 40000 443 6 5 500 1700000000 1700000060 ACCEPT OK\\n"
    ...         "garbage\\n")
    >>> files = pa.record_batch({"path": ["s3a://b/AWSLogs/x.log"], "content": [text.encode()]})
    >>> out = pa.Table.from_batches(list(resolve_files([files], TaskConfig())))
    >>> out.column("dst_node").drop_null().to_pylist()
    ['internet']
    >>> info = [json.loads(s) for s in out.column("_summary").drop_null().to_pylist()]
    >>> info[0]["file"], info[0]["read"]["records"], info[0]["read"]["invalid_by_reason"]
    ('s3://b/AWSLogs/x.log', 1, {'token_count': 1})
    >>> info[1]["nodes"]
    {'unknown:10.0.0.0/24': [0, 1, 's3://b/AWSLogs/x.log', 0], 'internet': [0, 1, 's3://b/AWSLogs/x.log', 1]}
    """
    resolver = _TrackingResolver(cfg.inventory, ip_ranges=cfg.ip_ranges, internet=cfg.internet,
                                 since=cfg.since, until=cfg.until)
    first_seen: dict[str, list] = {}
    workdir = tempfile.mkdtemp(prefix="flowgraph-spark-")
    try:
        for batch in batches:
            paths = batch.column("path")
            contents = batch.column("content")
            for i in range(batch.num_rows):
                uri = paths[i].as_py()
                local = local_path(uri)
                local = os.path.abspath(local) if local is not None else None
                if local is not None and any(local == r or local.startswith(r.rstrip(os.sep) + os.sep)
                                             for r in cfg.roots):
                    name = cfg.names.get(local)
                    if name is None:
                        continue  # left out by the local reader's rules: the driver reports it
                else:
                    name = display_path(uri)
                    if uri not in cfg.explicit:
                        from ..read.sources import skip_reason

                        reason = skip_reason(os.path.basename(name))
                        if reason is not None:
                            yield _summary_batch({"file": name, "skipped": reason})
                            continue
                yield from _read_one(contents[i].as_buffer(), name, cfg, resolver, first_seen, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if first_seen:
        yield _summary_batch({"nodes": first_seen})
