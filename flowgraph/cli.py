"""The ``flowgraph`` command line.

Each subcommand is added by an ``_add_<name>(subparsers)`` function that
registers its arguments and sets ``func`` to a ``_run_<name>(args) -> int``
handler; :func:`main` dispatches.  Exit codes: 0 success, 2 bad usage
(argparse: unknown option, missing or unparsable value), 3 unusable input or
configuration, a missing extra, or any unexpected failure (one sentence on
stderr, never a traceback; ``--debug`` shows it), 130 interrupted (Ctrl-C:
``inspect`` and ``analyze`` first print what was read so far).

On a terminal, ``inspect`` and ``analyze`` show one progress line on stderr
(:mod:`flowgraph._cli_progress`); off a terminal, or with ``analyze --quiet``
/ ``--json``, they do not.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from .exceptions import ConfigError, FlowgraphError, MissingDependencyError, UsageError

__all__ = ["main", "build_parser", "interrupted_with", "track_progress", "EXIT_OK", "EXIT_USAGE", "EXIT_INPUT", "EXIT_INTERRUPTED"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
_INTERRUPTED = "flowgraph: interrupted\n"


def _s3_options(endpoint_url: str | None, region: str | None) -> dict | None:
    if not endpoint_url and not region:
        return None
    opts: dict = {}
    if endpoint_url:
        parsed = urlparse(endpoint_url if "://" in endpoint_url else f"https://{endpoint_url}")
        opts["endpoint_override"] = parsed.netloc
        opts["scheme"] = parsed.scheme
    if region:
        opts["region"] = region
    return opts


def _add_inspect(subparsers) -> None:
    p = subparsers.add_parser(
        "inspect",
        help="read flow logs and print what was found (records, invalid lines, files)",
        description="Read flow logs (files, directories, globs or s3:// prefixes) and print the "
                    "read summary: records, NODATA/SKIPDATA, invalid lines by reason with "
                    "examples, header and blank lines, files, bytes, time span, formats.",
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="flow-log file, directory, glob or s3://bucket/prefix")
    p.add_argument("--fields", metavar="FORMAT",
                   help="log format of files without a header line, e.g. "
                        "'${version} ${srcaddr} ...' (default: the version-2 default format)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--endpoint-url", metavar="URL", help="S3 endpoint (e.g. http://127.0.0.1:5000)")
    p.add_argument("--region", metavar="REGION", help="S3 region")
    p.set_defaults(func=_run_inspect)


def _run_inspect(args: argparse.Namespace) -> int:
    from .read import summarize_flows

    with progress_line() as line:
        summary = summarize_flows(args.sources, fields=args.fields,
                                  s3=_s3_options(args.endpoint_url, args.region), progress=line.reading)
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        print(summary)
    return EXIT_OK


_ACTIVE: list = []  # the running command's progress line, for an interrupt that cannot be raised


def track_progress(line) -> None:
    """Make ``line`` (a :class:`~flowgraph._cli_progress.ProgressLine`) the one an interrupt reports (``None``: none).

    Needed when Ctrl-C lands where Python cannot raise it (a callback run by
    DuckDB while it pulls record batches): :func:`main`'s hook then prints the
    partial summary itself before exiting.
    """
    _ACTIVE[:] = [] if line is None else [line]


def interrupted_with(line) -> None:
    """On Ctrl-C: erase the progress line and print the partial read summary (if reading began) on stderr.

    The caller re-raises; :func:`main` then prints ``flowgraph: interrupted`` and
    returns :data:`EXIT_INTERRUPTED`.  Prints once per line, however it is reached.
    """
    if line not in _ACTIVE:
        return
    _ACTIVE.clear()
    try:
        line.close()
        partial = line.partial()
        if partial:
            sys.stderr.write(f"flowgraph: {partial}\n")
            sys.stderr.flush()
    except (OSError, ValueError):  # stderr gone: the exit code still says it
        pass


@contextlib.contextmanager
def progress_line(enabled: bool | None = None) -> Iterator[Any]:
    """The command's :class:`~flowgraph._cli_progress.ProgressLine`, tracked for interrupts.

    On Ctrl-C inside the block the partial summary is printed (:func:`interrupted_with`)
    and the interrupt goes on to :func:`main`; the line is closed and untracked on any exit.
    """
    from ._cli_progress import ProgressLine

    line = ProgressLine(enabled=enabled)
    track_progress(line)
    try:
        yield line
    except KeyboardInterrupt:
        interrupted_with(line)
        raise
    finally:
        line.close()
        track_progress(None)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog="flowgraph",
        description="Can this cloud estate be strictly segmented? "
                    "VPC flow logs -> service graph -> communities -> verdict.",
    )
    parser.add_argument("--version", action="version", version=f"flowgraph {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an unexpected failure")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_inspect(subparsers)
    from ._cli_analyze import add_analyze

    add_analyze(subparsers)
    from ._cli_policy import register as register_policy
    register_policy(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Examples
    --------
    >>> main(["inspect", "/no/such/file.log"])  # prints "flowgraph: error: ..." on stderr
    3
    """
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _interrupt_even_when_unraisable(previous_hook)
    try:
        return _main(argv)
    except KeyboardInterrupt:  # importing the subcommands' modules, reading, assessing: anywhere
        sys.stderr.write(_INTERRUPTED)
        return EXIT_INTERRUPTED
    finally:
        sys.unraisablehook = previous_hook


def _interrupt_even_when_unraisable(hook):
    """Ctrl-C that lands in a callback Python cannot raise from (an import lock's weakref
    callback, a finaliser) is otherwise printed as "Exception ignored … Traceback" and
    swallowed; end the run with the one line and exit code of any other interrupt."""

    def handle(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            import os

            for line in list(_ACTIVE):
                interrupted_with(line)
            sys.stderr.write(_INTERRUPTED)
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        hook(unraisable)

    return handle


def _main(argv: list[str] | None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except BrokenPipeError:  # `flowgraph inspect --json | head`: the reader left; not an error
        _silence_stdout()
        return EXIT_OK
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except (ConfigError, MissingDependencyError, FlowgraphError) as exc:
        _error(str(exc))
        return EXIT_INPUT
    except Exception as exc:  # the top-level guard: one sentence, never a traceback
        if getattr(args, "debug", False):
            raise
        what = str(exc).splitlines()[0][:200] if str(exc) else ""
        _error(f"unexpected {type(exc).__name__}{': ' + what if what else ''} "
               "(run with --debug for the traceback and please report it)")
        return EXIT_INPUT


def _error(message: str) -> None:
    """Print ``flowgraph: error: <one sentence>`` on stderr."""
    print(f"flowgraph: error: {' '.join(message.split())}", file=sys.stderr)


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at devnull so the interpreter's final flush cannot fail."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass

def run() -> None:
    """The ``flowgraph`` program: :func:`main`, then leave without native teardown.

    Arrow's and DuckDB's native thread pools can abort the process while the
    interpreter finalises ("terminate called without an active exception",
    exit -6; apache/arrow#34314, duckdb/duckdb#13904), after the output was
    written in full.  So once the command is done this joins the remaining
    Python threads, runs the ``atexit`` handlers (temporary directories, a
    Spark session), flushes both streams and ends the process with the
    command's exit code, skipping only the interpreter's own teardown.
    """
    import atexit
    import os
    import threading

    code = main()
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing left to say
            _silence_stdout()
    os._exit(code)


if __name__ == "__main__":
    run()
