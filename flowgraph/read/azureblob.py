"""List and open flow-log blobs in Azure Blob Storage (``az://container/prefix``).

Blobs are read through :class:`pyarrow.fs.AzureFileSystem` (the Azure SDK for
C++ that pyarrow ships), the way ``s3://`` sources are read through
:class:`pyarrow.fs.S3FileSystem`.  Accepted URIs:

* ``az://{container}/{prefix}`` — the account comes from the credentials below;
* ``abfs://{container}@{account}.dfs.core.windows.net/{prefix}`` (also ``abfss://``,
  and ``az://{container}@{account}/{prefix}``).

Credentials and endpoint come from the environment, with the names the Azure
CLI uses: ``AZURE_STORAGE_CONNECTION_STRING`` (``AccountName``, ``AccountKey``
or ``SharedAccessSignature``, ``BlobEndpoint``, ``DefaultEndpointsProtocol``,
``EndpointSuffix``), else ``AZURE_STORAGE_ACCOUNT`` with ``AZURE_STORAGE_KEY``
or ``AZURE_STORAGE_SAS_TOKEN``; with none of these pyarrow uses Azure's
``DefaultAzureCredential`` chain (managed identity, Azure CLI login, ...).
A ``BlobEndpoint`` such as ``http://127.0.0.1:10000/devstoreaccount1`` points
the client at a local emulator (Azurite).

Listing is recursive and sorted; inside a prefix only flow-log names are read
(the rules of :mod:`flowgraph.read.sources`), so ``PT1H.json`` blobs are read
and others are reported in ``ReadSummary.files_skipped``.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlparse

from ..exceptions import ConfigError, InputError

__all__ = ["AZURE_SCHEMES", "parse_azure_uri", "parse_connection_string", "azure_filesystem",
           "resolve_azure"]

AZURE_SCHEMES = ("az://", "abfs://", "abfss://")
"""URI prefixes read from Azure Blob Storage."""

_ACCOUNT_HOST = re.compile(r"^([a-z0-9]+)(?:\.(?:dfs|blob)\.core\.windows\.net)?$", re.IGNORECASE)


def parse_azure_uri(uri: str) -> tuple[str | None, str, str]:
    """``(account or None, container, prefix)`` of an Azure Blob URI.

    Examples
    --------
    >>> parse_azure_uri("az://insights-logs-flowlogflowevent/flowLogResourceID=/SUBSCRIPTIONS/X/")
    (None, 'insights-logs-flowlogflowevent', 'flowLogResourceID=/SUBSCRIPTIONS/X')
    >>> parse_azure_uri("abfss://logs@contoso.dfs.core.windows.net/y=2025/")
    ('contoso', 'logs', 'y=2025')
    """
    parsed = urlparse(uri)
    netloc = parsed.netloc
    account = None
    if "@" in netloc:
        netloc, host = netloc.split("@", 1)
        m = _ACCOUNT_HOST.match(host)
        if not m:
            raise InputError(f"cannot tell the storage account from '{uri}'")
        account = m.group(1)
    if not netloc:
        raise InputError(f"Azure URI '{uri}' has no container name")
    return account, netloc, parsed.path.strip("/")


def parse_connection_string(text: str) -> dict[str, str]:
    """Key/value pairs of an Azure Storage connection string.

    Examples
    --------
    >>> parse_connection_string("DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=a2V5;"
    ...                         "BlobEndpoint=http://127.0.0.1:10000/dev;")["BlobEndpoint"]
    'http://127.0.0.1:10000/dev'
    """
    out = {}
    for part in text.split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def _options(account: str | None) -> dict:
    env = os.environ
    opts: dict = {}
    conn = env.get("AZURE_STORAGE_CONNECTION_STRING")
    if conn:
        cs = parse_connection_string(conn)
        if cs.get("AccountName"):
            opts["account_name"] = cs["AccountName"]
        if cs.get("AccountKey"):
            opts["account_key"] = cs["AccountKey"]
        elif cs.get("SharedAccessSignature"):
            opts["sas_token"] = cs["SharedAccessSignature"]
        endpoint = cs.get("BlobEndpoint")
        if endpoint:
            parsed = urlparse(endpoint)
            opts["blob_storage_authority"] = parsed.netloc
            opts["blob_storage_scheme"] = parsed.scheme or "https"
            opts["dfs_storage_authority"] = parsed.netloc
            opts["dfs_storage_scheme"] = parsed.scheme or "https"
        elif cs.get("EndpointSuffix"):
            scheme = cs.get("DefaultEndpointsProtocol", "https")
            opts["blob_storage_authority"] = f"blob.{cs['EndpointSuffix']}"
            opts["blob_storage_scheme"] = scheme
    else:
        if env.get("AZURE_STORAGE_ACCOUNT"):
            opts["account_name"] = env["AZURE_STORAGE_ACCOUNT"]
        if env.get("AZURE_STORAGE_KEY"):
            opts["account_key"] = env["AZURE_STORAGE_KEY"]
        elif env.get("AZURE_STORAGE_SAS_TOKEN"):
            opts["sas_token"] = env["AZURE_STORAGE_SAS_TOKEN"]
    if account:
        if opts.get("account_name") and opts["account_name"] != account:
            # the credentials are for another account: keep only the account name from the URI
            opts = {"account_name": account}
        opts["account_name"] = account
    return opts


def azure_filesystem(account: str | None = None):
    """A :class:`pyarrow.fs.AzureFileSystem` configured from the environment (see the module docstring).

    Raises
    ------
    ConfigError
        No storage account is named (neither in the URI nor in the environment).

    Examples
    --------
    Building the client does not connect; the emulator's endpoint comes from the connection string:

    >>> import os
    >>> os.environ["AZURE_STORAGE_CONNECTION_STRING"] = (
    ...     "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
    ...     "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;")
    >>> type(azure_filesystem()).__name__
    'AzureFileSystem'
    >>> del os.environ["AZURE_STORAGE_CONNECTION_STRING"]
    """
    from pyarrow import fs as pafs

    opts = _options(account)
    if not opts.get("account_name"):
        raise ConfigError("no Azure storage account: name it in the URI (abfs://container@account"
                          ".dfs.core.windows.net/...) or set AZURE_STORAGE_CONNECTION_STRING or "
                          "AZURE_STORAGE_ACCOUNT")
    try:
        return pafs.AzureFileSystem(**opts)
    except (TypeError, ValueError, OSError) as exc:
        raise ConfigError(f"invalid Azure storage options: {str(exc).strip().splitlines()[0]}") from None


def resolve_azure(uri: str, found: list, skipped: list[dict]) -> None:
    """Append the blobs under an Azure URI to ``found`` (``SourceFile``) and ``skipped``.

    Raises
    ------
    InputError
        The container cannot be listed (missing, unreachable, not authorised).

    Examples
    --------
    Called by :func:`flowgraph.read.sources.resolve_sources` for ``az://`` and ``abfs://``
    items (``tests/read/test_read_azure.py`` runs it against Azurite):

    >>> from flowgraph.read import read_flows
    >>> read_flows("az://insights-logs-flowlogflowevent/")  # doctest: +SKIP
    """
    from pyarrow import fs as pafs

    from .sources import SourceFile, skip_reason

    account, container, prefix = parse_azure_uri(uri)
    filesystem = azure_filesystem(account)
    path = f"{container}/{prefix}".rstrip("/")
    scheme = uri.split("://", 1)[0]
    base = uri.split("://", 1)[1].split("/", 1)[0]

    def name(fs_path: str) -> str:
        rest = fs_path[len(container):].lstrip("/")
        return f"{scheme}://{base}/{rest}"

    try:
        info = filesystem.get_file_info(path)
        if info.type == pafs.FileType.File:
            found.append(SourceFile(uri, path, filesystem, info.size))
            return
        if filesystem.get_file_info(container).type == pafs.FileType.NotFound:
            raise InputError(f"cannot list '{uri}': container '{container}' not found")
        infos = filesystem.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    except OSError as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot list '{uri}': {text}") from None
    for item in sorted((i for i in infos if i.type == pafs.FileType.File), key=lambda i: i.path):
        reason = skip_reason(item.base_name)
        if reason is None:
            found.append(SourceFile(name(item.path), item.path, filesystem, item.size))
        else:
            skipped.append({"file": name(item.path), "reason": reason})
