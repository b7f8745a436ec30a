"""Turn a ``source`` argument into the list of files to read.

A source is a file path, a directory (walked recursively in sorted order),
a glob pattern, an ``s3://bucket/prefix`` URI (listed recursively through the
S3 API with :class:`pyarrow.fs.S3FileSystem`) or a list of these.

Inside directories and S3 prefixes only files that may hold flow logs are
read: names ending in ``.log``, ``.gz``, ``.txt``, ``.json``, ``.jsonl``,
``.parquet`` and names without a suffix.  Hidden and marker files (names
starting with ``.`` or ``_``), AWS's delivery test object
``aws-logs-write-test`` and other suffixes are skipped and reported in
``ReadSummary.files_skipped``.  A file named explicitly (or matched by a
glob) is always read; what it holds is decided from its content.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from ..exceptions import ConfigError, InputError

__all__ = ["SourceFile", "resolve_sources", "s3_filesystem", "READ_SUFFIXES", "describe"]

READ_SUFFIXES = (".log", ".gz", ".txt", ".json", ".jsonl", ".parquet")
"""Suffixes read inside directories and S3 prefixes (plus names with no suffix)."""

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class SourceFile:
    """One file to read.

    Attributes
    ----------
    path : str
        Path or ``s3://`` URI as reported in provenance and the summary.
    fs_path : str
        Path inside ``filesystem`` (``bucket/key`` on S3; the local path otherwise).
    filesystem : pyarrow.fs.FileSystem or None
        ``None`` for local files.
    size : int or None
        Size in bytes when known.
    """

    path: str
    fs_path: str
    filesystem: object | None = None
    size: int | None = None

    def open_stream(self):
        """Open for sequential reading (raw bytes, no decompression)."""
        if self.filesystem is None:
            return open(self.fs_path, "rb")  # closed by the caller
        return self.filesystem.open_input_stream(self.fs_path, compression=None)

    def open_random_access(self):
        """Open for random access (Parquet)."""
        if self.filesystem is None:
            return self.fs_path
        return self.filesystem.open_input_file(self.fs_path)


def _skip_reason(name: str) -> str | None:
    """Why a file found in a directory or prefix is not read (``None``: read it)."""
    if name.startswith((".", "_")):
        return "hidden or marker file"
    if name == "aws-logs-write-test":
        return "AWS delivery test object"
    lower = name.lower()
    if lower.endswith(READ_SUFFIXES):
        return None
    suffix = os.path.splitext(lower)[1]
    if not suffix:
        return None
    return f"unsupported suffix '{suffix}'"


def s3_filesystem(options: dict | None = None):
    """Build a :class:`pyarrow.fs.S3FileSystem` from a dict of options.

    The keys are :class:`~pyarrow.fs.S3FileSystem` arguments
    (``endpoint_override``, ``region``, ``access_key``, ``secret_key``,
    ``session_token``, ``scheme``, ...); ``endpoint_url`` is accepted as an
    alias of ``endpoint_override`` and may carry the scheme
    (``http://127.0.0.1:5000``).  Credentials otherwise come from the usual
    AWS chain (environment, config files, instance role).
    """
    from pyarrow import fs as pafs

    opts = dict(options or {})
    url = opts.pop("endpoint_url", None)
    if url and "endpoint_override" not in opts:
        opts["endpoint_override"] = url
    endpoint = opts.get("endpoint_override")
    if endpoint and "://" in endpoint:
        parsed = urlparse(endpoint)
        opts["endpoint_override"] = parsed.netloc
        opts.setdefault("scheme", parsed.scheme)
    if endpoint:
        opts.setdefault("region", os.environ.get("AWS_REGION")
                        or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    try:
        return pafs.S3FileSystem(**opts)
    except TypeError as exc:
        raise ConfigError(f"invalid S3 option: {exc}") from None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _resolve_s3(uri: str, options: dict | None, found: list[SourceFile], skipped: list[dict]) -> None:
    from pyarrow import fs as pafs

    parsed = urlparse(uri)
    if not parsed.netloc:
        raise InputError(f"S3 URI '{uri}' has no bucket name")
    path = (parsed.netloc + "/" + parsed.path.lstrip("/")).rstrip("/")
    filesystem = s3_filesystem(options)
    try:
        info = filesystem.get_file_info(path)
        if info.type == pafs.FileType.File:
            found.append(SourceFile(uri, path, filesystem, info.size))
            return
        infos = filesystem.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
        if not infos and filesystem.get_file_info(parsed.netloc).type == pafs.FileType.NotFound:
            raise InputError(f"cannot list '{uri}': bucket '{parsed.netloc}' not found")
    except OSError as exc:
        raise InputError(f"cannot list '{uri}': {_first_line(exc)}") from None
    for item in sorted((i for i in infos if i.type == pafs.FileType.File), key=lambda i: i.path):
        full = f"s3://{item.path}"
        reason = _skip_reason(item.base_name)
        if reason is None:
            found.append(SourceFile(full, item.path, filesystem, item.size))
        else:
            skipped.append({"file": full, "reason": reason})


def _walk(directory: str, found: list[SourceFile], skipped: list[dict]) -> None:
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            full = os.path.join(root, name)
            reason = _skip_reason(name)
            if reason is None:
                found.append(SourceFile(full, full, None, os.path.getsize(full)))
            else:
                skipped.append({"file": full, "reason": reason})


def _resolve_local(item: str, found: list[SourceFile], skipped: list[dict]) -> None:
    if os.path.isdir(item):
        _walk(item, found, skipped)
    elif os.path.isfile(item):
        found.append(SourceFile(item, item, None, os.path.getsize(item)))
    elif _GLOB_CHARS & set(item):
        matches = sorted(glob.glob(item, recursive=True))
        if not matches:
            raise InputError(f"no file matches '{item}'")
        for match in matches:
            if os.path.isdir(match):
                _walk(match, found, skipped)
            elif os.path.isfile(match):
                found.append(SourceFile(match, match, None, os.path.getsize(match)))
    elif os.path.exists(item):
        raise InputError(f"'{item}' is not a regular file or directory")
    else:
        raise InputError(f"no such file or directory: '{item}'")


def _items(source) -> list[str]:
    if isinstance(source, str | os.PathLike):
        return [os.fspath(source)]
    if isinstance(source, Iterable):
        items = []
        for s in source:
            if not isinstance(s, str | os.PathLike):
                raise ConfigError(f"a source must be a path or URI, not {type(s).__name__}")
            items.append(os.fspath(s))
        return items
    raise ConfigError(f"a source must be a path, URI or list of them, not {type(source).__name__}")


def resolve_sources(source, s3: dict | None = None) -> tuple[list[SourceFile], list[dict]]:
    """List the files a source names, in a deterministic order.

    Returns
    -------
    files : list of SourceFile
        Files to read, duplicates removed (first occurrence kept).
    skipped : list of dict
        ``{"file", "reason"}`` for files found but not read.

    Raises
    ------
    InputError
        A path does not exist, a glob matches nothing or an S3 prefix cannot
        be listed.
    """
    items = _items(source)
    if not items:
        raise InputError("no source given")
    found: list[SourceFile] = []
    skipped: list[dict] = []
    for item in items:
        if item.startswith("s3://"):
            _resolve_s3(item, s3, found, skipped)
        elif item.startswith(("az://", "abfs://", "abfss://")):  # Azure Blob Storage
            from .azureblob import resolve_azure
            resolve_azure(item, found, skipped)
        elif "://" in item:
            raise InputError(f"unsupported URI scheme in '{item}' (use a local path or s3://)")
        else:
            _resolve_local(item, found, skipped)
    seen: set[str] = set()
    unique = []
    for f in found:
        if f.path not in seen:
            seen.add(f.path)
            unique.append(f)
    return unique, skipped


def describe(source) -> str:
    """Short quoted description of a source for messages (``'a.log'``, ``3 sources``)."""
    try:
        items = _items(source)
    except ConfigError:
        return repr(source)
    if len(items) == 1:
        return f"'{items[0]}'"
    return f"{len(items)} sources ('{items[0]}', ...)"

