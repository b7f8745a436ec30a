"""report.md: the same findings as report.html, in Markdown, figures as PNG files beside it.

The template is rendered with a Jinja2 ``finalize`` hook that escapes every
``{{ ... }}`` value, so untrusted names cannot inject HTML, links, images,
table columns or code spans: ``& < >`` become entities, and
``\\ ` * _ [ ] | ~ $`` are backslash-escaped; line breaks become spaces.
Markdown structure lives only in the template's literal text.

Examples
--------
>>> md_escape("<script>alert(1)</script>")
'&lt;script&gt;alert(1)&lt;/script&gt;'
>>> md_escape("a|b [x](y) `z` *w*")
'a\\\\|b \\\\[x\\\\](y) \\\\`z\\\\` \\\\*w\\\\*'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import jinja2

from ._util import fmt_int, fmt_num, fmt_pct
from .figures import Figure
from .html import _defined, _proto, template_context

__all__ = ["md_escape", "render_markdown"]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
# GFM autolinks bare ``scheme://``, ``www.`` and e-mail addresses; a WORD JOINER (U+2060, invisible)
# after the scheme / before ``.`` / before ``@`` breaks the pattern, so the text stays text.
_AUTOLINK = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*)(:/)|(\bwww)(\.)|(@)")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def md_escape(value: Any) -> str:
    """Escape a value for Markdown text or a table cell (see module docstring)."""
    if value is None or isinstance(value, jinja2.Undefined):
        return ""
    text = str(value)
    text = " ".join(text.splitlines()) if ("\n" in text or "\r" in text) else text
    text = _CONTROL.sub("\ufffd", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _AUTOLINK.sub(lambda m: "\u2060".join(g for g in m.groups() if g is not None)
                         if m.group(5) is None else "\u2060@", text)
    return _MD_SPECIAL.sub(r"\\\1", text)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("flowgraph.report", "templates"),
        autoescape=False,  # Markdown: escaping is done by finalize on every expression
        finalize=md_escape,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=_defined(fmt_num), int=_defined(fmt_int), pct=_defined(fmt_pct),
                       proto=_defined(_proto))
    return env


def render_markdown(report: Mapping, figures: Sequence[Figure], *, figure_dir: str = "figures") -> str:
    """Render report.md; figures are linked as ``<figure_dir>/<name>.png``.

    Parameters
    ----------
    report : mapping
        :func:`~flowgraph.report.build.build_report` output.
    figures : sequence of Figure
        The figures to link (their PNG files are written by ``write_report``).
    figure_dir : str
        Relative directory of the PNG files.
    """
    ctx = template_context(report, figures)
    ctx["figure_dir"] = figure_dir.rstrip("/")
    text = _environment().get_template("report.md.j2").render(**ctx)
    return re.sub(r"\n{3,}", "\n\n", text)
