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

Only regular files are read.  Walking a directory (or matching a glob) skips,
and reports with the reason, FIFOs, sockets and devices (a FIFO without a
writer or ``/dev/zero`` would block or never end), dangling symlinks, symlink
loops, symlinks to directories (not followed, so a walk always ends) and
directories that cannot be listed.  Hidden directories are not entered.  A
file named twice is read once: by normalised path (``x`` and ``./x``) and by
device and inode (a symlink or hard link to a file already listed is reported
as ``same file as ...``).  ``**`` globs are matched by the same walker, never
by following symlinks.
"""

from __future__ import annotations

import errno
import fnmatch
import glob
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from ..exceptions import ConfigError, InputError

__all__ = ["SourceFile", "resolve_sources", "s3_filesystem", "READ_SUFFIXES", "describe", "local_file", "skip_reason"]

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
    identity : tuple of int or None
        ``(st_dev, st_ino)`` of a local file: two paths naming one file share it.
    """

    path: str
    fs_path: str
    filesystem: object | None = None
    size: int | None = None
    identity: tuple[int, int] | None = None

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


def skip_reason(name: str) -> str | None:
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
        reason = skip_reason(item.base_name)
        if reason is None:
            found.append(SourceFile(full, item.path, filesystem, item.size))
        else:
            skipped.append({"file": full, "reason": reason})


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISDIR, "a directory (not followed)"))


def _strerror(exc: OSError) -> str:
    return exc.strerror or _first_line(exc)


def local_file(path: str, skipped: list[dict]) -> SourceFile | None:
    """A :class:`SourceFile` for ``path`` when it is (or links to) a regular file.

    Anything else is appended to ``skipped`` with the reason: ``dangling
    symlink``, ``symlink loop``, ``not a regular file: a FIFO (named pipe)``,
    ``symlink to a directory (not followed)``, ``unreadable (...)``.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> os.symlink(os.path.join(d, "gone.log"), os.path.join(d, "x.log"))
    >>> skipped = []
    >>> local_file(os.path.join(d, "x.log"), skipped) is None, skipped[0]["reason"]
    (True, 'dangling symlink')
    """
    try:
        lst = os.lstat(path)
    except OSError as exc:
        skipped.append({"file": path, "reason": f"unreadable ({_strerror(exc)})"})
        return None
    link = stat.S_ISLNK(lst.st_mode)
    st = lst
    if link:
        try:
            st = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                reason = "symlink loop"
            elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
                reason = "dangling symlink"
            else:
                reason = f"unreadable symlink ({_strerror(exc)})"
            skipped.append({"file": path, "reason": reason})
            return None
    if stat.S_ISREG(st.st_mode):
        return SourceFile(path, path, None, st.st_size, (st.st_dev, st.st_ino))
    what = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
    if stat.S_ISDIR(st.st_mode):
        reason = "symlink to a directory (not followed)"
    else:
        reason = f"{'symlink to ' if link else 'not a regular file: '}{what}"
    skipped.append({"file": path, "reason": reason})
    return None


def _entries(directory: str, skipped: list[dict]) -> list[tuple[str, bool]] | None:
    """Sorted ``(name, is_real_directory)`` of a directory, hidden names left out; None if unlistable."""
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        skipped.append({"file": directory, "reason": f"unreadable directory ({_strerror(exc)})"})
        return None
    out = []
    for e in entries:
        try:
            is_dir = e.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        out.append((e.name, is_dir))
    return out


def _walk(directory: str, found: list[SourceFile], skipped: list[dict]) -> None:
    """Files of a directory tree in sorted, depth-first order (symlinked directories not followed)."""
    stack = [directory]
    while stack:
        current = stack.pop()
        entries = _entries(current, skipped)
        if entries is None:
            continue
        subdirs = []
        for name, is_dir in entries:
            full = os.path.join(current, name)
            if is_dir:
                if not name.startswith("."):
                    subdirs.append(full)
                continue
            reason = skip_reason(name)
            if reason is not None:
                skipped.append({"file": full, "reason": reason})
                continue
            src = local_file(full, skipped)
            if src is not None:
                found.append(src)
        stack.extend(reversed(subdirs))


def _match(pattern: list[str], parts: list[str]) -> bool:
    """Whether path segments ``parts`` match glob segments ``pattern`` (``**``: any number)."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match(pattern[1:], parts[1:])


def _glob_recursive(pattern: str, skipped: list[dict]) -> list[str]:
    """Paths matching a ``**`` glob, found by a walk that never follows symlinked directories.

    :func:`glob.glob` follows directory symlinks under ``**``: one symlink
    loop yields 40 nested copies of a tree, two loops 2**40 paths.
    """
    segments = pattern.split(os.sep)
    first = next(i for i, seg in enumerate(segments) if _GLOB_CHARS & set(seg))
    root = os.sep.join(segments[:first]) if first else ""
    if pattern.startswith(os.sep) and not root:
        root = os.sep
    rest = [seg for seg in segments[first:] if seg]
    base = root or os.curdir
    if not os.path.isdir(base):
        return []
    matches = []
    stack: list[list[str]] = [[]]
    while stack:
        rel = stack.pop()
        entries = _entries(os.path.join(base, *rel), skipped)
        if entries is None:
            continue
        subdirs = []
        for name, is_dir in entries:
            if name.startswith("."):
                continue
            parts = [*rel, name]
            if _match(rest, parts):
                matches.append(os.path.join(root, *parts) if root else os.path.join(*parts))
            if is_dir:
                subdirs.append(parts)
        stack.extend(reversed(subdirs))
    return matches


def _resolve_local(item: str, found: list[SourceFile], skipped: list[dict]) -> None:
    if os.path.isdir(item):
        _walk(item, found, skipped)
    elif os.path.isfile(item):
        st = os.stat(item)
        found.append(SourceFile(item, item, None, st.st_size, (st.st_dev, st.st_ino)))
    elif _GLOB_CHARS & set(item):
        if "**" in item:
            matches = sorted(_glob_recursive(item, skipped))
        else:
            matches = sorted(glob.glob(item))
        if not matches:
            raise InputError(f"no file matches '{item}'")
        for match in matches:
            if os.path.isdir(match) and not os.path.islink(match):
                _walk(match, found, skipped)
            else:
                src = local_file(match, skipped)
                if src is not None:
                    found.append(src)
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
        Files to read, duplicates removed (first occurrence kept): the same
        normalised path silently, another path to the same local file
        (symlink, hard link) with a ``same file as ...`` entry in ``skipped``.
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
    by_identity: dict[tuple[int, int], str] = {}
    unique = []
    for f in found:
        key = f.path if f.filesystem is not None else os.path.normpath(f.path)
        if key in seen:
            continue
        seen.add(key)
        if f.identity is not None:
            first = by_identity.setdefault(f.identity, f.path)
            if first != f.path:
                skipped.append({"file": f.path, "reason": f"same file as '{first}'"})
                continue
        unique.append(f)
    reported: set[str] = set()
    once = []
    for d in skipped:  # a ``**`` glob can meet an entry both as a match and inside a matched directory
        if d["file"] not in reported:
            reported.add(d["file"])
            once.append(d)
    return unique, once


def describe(source) -> str:
    """Short quoted description of a source for messages (``'a.log'``, ``3 sources``)."""
    try:
        items = _items(source)
    except ConfigError:
        return repr(source)
    if len(items) == 1:
        return f"'{items[0]}'"
    return f"{len(items)} sources ('{items[0]}', ...)"

