"""Optional PDF export of report.html with WeasyPrint (the ``pdf`` extra).

WeasyPrint is imported lazily; without it :func:`write_pdf` raises
:class:`~flowgraph.exceptions.MissingDependencyError` naming the extra.
report.html is self-contained, and the URL fetcher refuses everything except
``data:`` URIs, so rendering never touches the network or the file system.

Examples
--------
>>> import importlib.util
>>> if importlib.util.find_spec("weasyprint") is None:
...     try:
...         require_weasyprint()
...     except ImportError as exc:
...         print(exc)
... else:
...     print("PDF export needs the optional 'pdf' extra: pip install 'flowgraph[pdf]'")
PDF export needs the optional 'pdf' extra: pip install 'flowgraph[pdf]'
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from .._optional import import_optional

__all__ = ["require_weasyprint", "write_pdf"]


def require_weasyprint() -> ModuleType:
    """Import WeasyPrint or raise MissingDependencyError with the install hint."""
    return import_optional("weasyprint", extra="pdf", purpose="PDF export")


def _data_only_fetcher(weasyprint: ModuleType):  # pragma: no cover - needs weasyprint
    """A URL fetcher that serves ``data:`` URIs and refuses everything else."""
    default = getattr(weasyprint, "default_url_fetcher", None)
    if default is None:
        return None

    def fetch(url: str, *args, **kwargs):
        if not url.startswith("data:"):
            raise ValueError(f"report.pdf: refusing to fetch {url[:60]!r}")
        return default(url, *args, **kwargs)

    return fetch


def write_pdf(html: str, path: str | Path) -> Path:
    """Render ``html`` (report.html's text) to a PDF file at ``path``.

    Raises
    ------
    MissingDependencyError
        WeasyPrint is not installed (``pip install 'flowgraph[pdf]'``).
    """
    weasyprint = require_weasyprint()
    path = Path(path)
    fetcher = _data_only_fetcher(weasyprint)
    kwargs = {"url_fetcher": fetcher} if fetcher is not None else {}
    doc = weasyprint.HTML(string=html, **kwargs)
    doc.write_pdf(str(path))
    return path
