"""Every option of an analysis, declared once.

:class:`AnalysisConfig` is the table: each field is declared with :func:`option`,
which records its type, default, help text, range or choices and the stage of the
pipeline that reads it.  Everything else is generated from that table:

* the flags of ``flowgraph analyze`` (:func:`add_option_arguments`, flag ``--a-b``
  for field ``a_b``);
* the keys of a ``--config`` file (:func:`load_config`; key == field name, the flag
  with dashes turned into underscores; ``-`` is accepted too);
* the validation (:meth:`AnalysisConfig.validate`, run before any input is read);
* the command line of the Spark application (:mod:`flowgraph.spark.submit`);
* the option table of ``docs/configuration.md`` (:func:`markdown_table`).

Examples
--------
>>> spec = OPTIONS["seeds"]
>>> spec.flag, spec.default, spec.low, spec.high
('--seeds', 20, 1, 10000)
>>> AnalysisConfig(sources=["logs"]).seeds
20
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .exceptions import ConfigError

__all__ = ["Option", "OPTIONS", "DEPRECATED_KEYS", "AnalysisConfig", "option", "add_option_arguments",
           "values_from_args", "load_config", "read_config", "markdown_table", "check_value",
           "threshold_defaults"]

# kinds: how a value is typed and checked
KINDS = ("int", "float", "str", "path", "choice", "bool", "list", "time", "sources", "thresholds")


@dataclass(frozen=True)
class Option:
    """The declaration of one option (the ``metadata`` of an :class:`AnalysisConfig` field).

    Parameters
    ----------
    name : str
        Field name and config-file key; the flag is ``--`` + name with ``_`` → ``-``.
    kind : str
        One of ``int``, ``float``, ``str``, ``path``, ``choice``, ``bool``, ``list``,
        ``time``, ``sources``, ``thresholds``.
    default : object
        The default (``None`` means unset).
    help : str
        One line for ``--help`` and the docs.
    group : str
        ``input``, ``identity``, ``analysis``, ``output`` or ``engine`` (docs sections).
    stage : str
        ``graph`` (read while building the graph), ``assess`` or ``report``.
    choices : tuple of str or str, optional
        Allowed values, or ``"module:NAME"`` naming a tuple to import when needed.
    low, high : float, optional
        Inclusive range of a number (``low_open``: the lower bound excluded).
    metavar : str, optional
        Placeholder shown in ``--help``.
    """

    name: str
    kind: str
    default: Any
    help: str
    group: str
    stage: str = "graph"
    choices: tuple[str, ...] | str | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    metavar: str | None = None

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--spark-master``."""
        return "--" + self.name.replace("_", "-")

    def allowed(self) -> tuple[str, ...]:
        """The allowed values of a ``choice`` option (imported on first use)."""
        if self.choices is None:
            return ()
        if isinstance(self.choices, str):
            module, _, attr = self.choices.partition(":")
            return tuple(getattr(importlib.import_module(module), attr))
        return self.choices

    def describe_default(self) -> str:
        """The default as the docs and ``--help`` show it (``—`` when unset)."""
        d = self.default
        if d is None or d == [] or d == {}:
            return "—"
        if isinstance(d, bool):
            return "true" if d else "false"
        return str(d)


def option(default: Any, help: str, *, kind: str, group: str, stage: str = "graph",
           choices: tuple[str, ...] | str | None = None, low: float | None = None, high: float | None = None,
           low_open: bool = False, metavar: str | None = None) -> Any:
    """Declare one :class:`AnalysisConfig` field with its :class:`Option` spec (the name is filled in later)."""
    if kind not in KINDS:
        raise ValueError(f"unknown option kind {kind!r}")
    spec = {"kind": kind, "default": default, "help": help, "group": group, "stage": stage,
            "choices": choices, "low": low, "high": high, "low_open": low_open, "metavar": metavar}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata={"option": spec})
    return field(default=default, metadata={"option": spec})


@dataclass
class AnalysisConfig:
    """Every parameter of an analysis; recorded in the report.

    Values come from these defaults, then a ``--config`` file, then the command
    line.  Each field is one option: flag ``--<name with dashes>``, config key
    ``<name>``; see ``docs/configuration.md``.

    Examples
    --------
    >>> cfg = AnalysisConfig(sources=["logs"], seeds=5, tag_keys=["app", "team"])
    >>> cfg.seeds, cfg.rewirings, cfg.weight
    (5, 20, 'binary')
    >>> AnalysisConfig(sources=["logs"], seeds=0).validate()
    Traceback (most recent call last):
    ...
    flowgraph.exceptions.ConfigError: seeds must be an integer between 1 and 10000, not 0
    """

    # input ----------------------------------------------------------------------------------
    sources: list[str] = option([], "flow-log files, directories, globs or s3://bucket/prefix",
                                kind="sources", group="input", metavar="SOURCE")
    fields: str | None = option(None, "field order of files without a header line (default: the "
                                "version-2 default format)", kind="str", group="input", metavar="FORMAT")
    since: str | None = option(None, "keep records starting at or after TIME (ISO 8601 or epoch seconds)",
                               kind="time", group="input", metavar="TIME")
    until: str | None = option(None, "keep records starting before TIME", kind="time", group="input",
                               metavar="TIME")
    # identity -------------------------------------------------------------------------------
    inventory: str | None = option(None, "address -> service inventory: CSV, JSON, Parquet or "
                                   "describe-network-interfaces JSON", kind="path", group="identity",
                                   metavar="FILE")
    tag_keys: list[str] = option([], "tag keys naming the service and (optionally) the domain in a "
                                 "describe-network-interfaces inventory (default: service/Service/app/Name "
                                 "and domain/team/Team/Domain)", kind="list", group="identity",
                                 metavar="SERVICE[,DOMAIN]")
    ip_ranges: str | None = option(None, "AWS ip-ranges.json to name AWS-service addresses", kind="path",
                                   group="identity", metavar="FILE")
    internet: str = option("single", "one internet node, or one per /16", kind="choice", group="identity",
                           choices=("single", "/16"))
    session_gap: int = option(60, "seconds of silence that end a connection", kind="int", group="input",
                              low=1, high=86_400, metavar="SECONDS")
    # analysis -------------------------------------------------------------------------------
    seed: int = option(0, "random seed of every random step", kind="int", group="analysis", stage="assess",
                       low=0, high=2**32 - 1, metavar="N")
    weight: str = option("binary", "edge weight for community detection", kind="choice", group="analysis",
                         stage="assess", choices="flowgraph.graph.service_graph:WEIGHTS")
    resolution: float | None = option(None, "fix the modularity resolution instead of reading it off the "
                                      "trade-off curve", kind="float", group="analysis", stage="assess",
                                      low=0, high=1024, low_open=True, metavar="GAMMA")
    algorithm: str = option("leiden", "community detection algorithm", kind="choice", group="analysis",
                            stage="assess", choices="flowgraph.communities.detect:ALGORITHMS")
    seeds: int = option(20, "seeds for the stability analysis", kind="int", group="analysis",
                        stage="assess", low=1, high=10_000, metavar="N")
    rewirings: int = option(20, "degree-preserving rewirings for the significance test", kind="int",
                            group="analysis", stage="assess", low=0, high=100_000, metavar="N")
    shared_services: list[str] = option([], "services to place in the shared-services zone", kind="list",
                                        group="analysis", stage="assess", metavar="NAME,...")
    detect_shared: bool = option(True, "detect further shared services from the traffic", kind="bool",
                                 group="analysis", stage="assess")
    thresholds: dict[str, Any] = option({}, "verdict and shared-service thresholds to override "
                                        "(flowgraph.Thresholds fields)", kind="thresholds",
                                        group="analysis", stage="assess", metavar="NAME=VALUE,...")
    # output ---------------------------------------------------------------------------------
    out: str = option("reports/flowgraph", "output directory", kind="path", group="output", stage="report",
                      metavar="DIR")
    policy_zones: str = option("communities", "zones of the draft policy", kind="choice", group="output",
                               stage="report", choices=("communities", "domains"))
    pdf: bool = option(False, "also render report.pdf (needs the 'pdf' extra)", kind="bool", group="output",
                       stage="report")
    baseline: str | None = option(None, "an earlier report.json: add a drift section (zones split or merged, "
                                  "services moved, exceptions added and removed)", kind="path", group="output",
                                  stage="report", metavar="REPORT")
    # engine ---------------------------------------------------------------------------------
    engine: str = option("local", "aggregation engine", kind="choice", group="engine",
                         choices=("local", "spark"))
    spark_master: str = option("local[*]", "Spark master for --engine spark", kind="str", group="engine",
                               metavar="URL")
    endpoint_url: str | None = option(None, "S3-compatible endpoint for s3:// sources", kind="str",
                                      group="engine", metavar="URL")

    def __post_init__(self) -> None:
        for spec in OPTIONS.values():  # "a,b" -> ["a", "b"]; everything else is checked by validate()
            value = getattr(self, spec.name)
            if spec.kind == "list" and isinstance(value, str):
                setattr(self, spec.name, _split(value))

    def to_dict(self) -> dict[str, Any]:
        """Every option and its value (recorded in the report's ``inputs.config``)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def validate(self) -> None:
        """Check every option before any input is read; raises :class:`ConfigError` with one sentence.

        Each value is checked against its declaration (type, range, choices), then
        the checks that span options or touch the system: the output directory is
        created and writable, the window is sane, the thresholds are consistent, the
        PDF extra is installed.

        Examples
        --------
        >>> AnalysisConfig(sources=["logs"], internet="ipv6").validate()
        Traceback (most recent call last):
        ...
        flowgraph.exceptions.ConfigError: internet must be one of single, /16, not 'ipv6'
        """
        for spec in OPTIONS.values():
            setattr(self, spec.name, check_value(spec, getattr(self, spec.name)))
        if not self.sources:
            raise ConfigError("sources must be a non-empty list of paths or URLs")
        if len(self.tag_keys) > 2:
            raise ConfigError(f"tag_keys names the service tag and at most one domain tag, not {len(self.tag_keys)} "
                              f"keys ({','.join(self.tag_keys)})")
        if self.tag_keys and not self.inventory:
            raise ConfigError("tag_keys choose tags of a describe-network-interfaces inventory: pass --inventory "
                              "with that JSON")
        self.build_thresholds()
        _check_out(Path(self.out))
        _check_window(self.since, self.until)
        if self.pdf:
            from .report.pdf import require_weasyprint

            require_weasyprint()
        if self.baseline:
            from .exceptions import InputError
            from .policy.diff import load_report

            try:
                load_report(self.baseline)
            except InputError as exc:
                raise ConfigError(f"baseline {exc}") from None

    def build_thresholds(self) -> Any:
        """The :class:`flowgraph.Thresholds` these options set (defaults where not overridden)."""
        from .assessment import Thresholds

        return Thresholds.from_dict(dict(self.thresholds))


OPTIONS: dict[str, Option] = {
    f.name: Option(name=f.name, **f.metadata["option"]) for f in fields(AnalysisConfig)
}
"""Every option, by name, in declaration order."""

DEPRECATED_KEYS: dict[str, str] = {"n_seeds": "seeds", "n_null": "rewirings"}
"""Config-file keys of earlier releases -> the option they name now (read with a warning)."""


# -- checking values ----------------------------------------------------------------------------

def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return (isinstance(v, int | float) and not isinstance(v, bool)) and math.isfinite(v)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _span(spec: Option) -> str:
    if spec.low is not None and spec.high is not None:
        lo = "above" if spec.low_open else "between"
        return f"{lo} {_num(spec.low)} and {'at most ' if spec.low_open else ''}{_num(spec.high)}"
    if spec.low is not None:
        return f"{'above' if spec.low_open else 'at least'} {_num(spec.low)}"
    return ""


def _in_range(spec: Option, v: float) -> bool:
    if spec.low is not None and (v <= spec.low if spec.low_open else v < spec.low):
        return False
    return spec.high is None or v <= spec.high


def _split(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


def check_value(spec: Option, v: Any) -> Any:
    """Check ``v`` against ``spec``; return it normalised (lists as lists) or raise :class:`ConfigError`.

    Examples
    --------
    >>> check_value(OPTIONS["tag_keys"], "app, team")
    ['app', 'team']
    >>> check_value(OPTIONS["rewirings"], "five")
    Traceback (most recent call last):
    ...
    flowgraph.exceptions.ConfigError: rewirings must be an integer between 0 and 100000, not 'five'
    """
    name, kind = spec.name, spec.kind
    if v is None and spec.default is None:
        return None
    if kind == "int":
        if not _is_int(v) or not _in_range(spec, v):
            raise ConfigError(f"{name} must be an integer {_span(spec)}, not {v!r}")
    elif kind == "float":
        if not _is_number(v) or not _in_range(spec, v):
            raise ConfigError(f"{name} must be a number {_span(spec)}, not {v!r}")
    elif kind == "choice":
        allowed = spec.allowed()
        if not isinstance(v, str) or v not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {v!r}")
    elif kind == "bool":
        if not isinstance(v, bool):
            raise ConfigError(f"{name} must be true or false, not {v!r}")
    elif kind in ("str", "path"):
        if isinstance(v, Path) and kind == "path":
            v = str(v)
        if not isinstance(v, str) or not v:
            what = "a path" if kind == "path" else "a string"
            raise ConfigError(f"{name} must be {what}, not {v!r}")
    elif kind == "time":
        if not (isinstance(v, str) or _is_int(v)):
            raise ConfigError(f"{name} must be an ISO 8601 time or epoch seconds, not {v!r}")
    elif kind == "list":
        if isinstance(v, str):
            v = _split(v)
        if not isinstance(v, list | tuple) or not all(isinstance(x, str) and x for x in v):
            raise ConfigError(f"{name} must be a list of names (or one comma-separated string), not {v!r}")
        v = [x.strip() for x in v]
    elif kind == "sources":
        if isinstance(v, str | Path):
            v = [v]
        if not isinstance(v, list | tuple) or not all(isinstance(x, str | Path) for x in v):
            raise ConfigError("sources must be a non-empty list of paths or URLs")
        v = [str(x) for x in v]
    elif kind == "thresholds":
        v = _check_thresholds(v)
    return v


def threshold_defaults() -> dict[str, Any]:
    """Every :class:`flowgraph.Thresholds` field and its default."""
    from .assessment import Thresholds

    return Thresholds().to_dict()


def _check_thresholds(v: Any) -> dict[str, Any]:
    if isinstance(v, str):
        v = _parse_pairs(v)
    if not isinstance(v, Mapping):
        raise ConfigError(f"thresholds must be a mapping of threshold: value, not {v!r}")
    defaults = threshold_defaults()
    out: dict[str, Any] = {}
    for key, value in v.items():
        if key not in defaults:
            raise ConfigError(f"thresholds has no threshold {key!r} (known: {', '.join(defaults)})")
        d = defaults[key]
        if isinstance(value, str):
            value = _coerce(value, d)
        ok = (isinstance(value, bool) if isinstance(d, bool)
              else _is_int(value) if _is_int(d) else _is_number(value))
        if not ok:
            want = "true or false" if isinstance(d, bool) else "an integer" if _is_int(d) else "a number"
            raise ConfigError(f"threshold {key} must be {want}, not {value!r}")
        out[key] = float(value) if isinstance(d, float) else value
    return out


def _parse_pairs(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in _split(text):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"thresholds takes NAME=VALUE pairs, not {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def _coerce(text: str, like: Any) -> Any:
    """A ``NAME=VALUE`` value from the command line, typed like the threshold's default."""
    try:
        if isinstance(like, bool):
            return {"true": True, "false": False}.get(text.lower(), text)
        return int(text) if _is_int(like) else float(text)
    except ValueError:
        return text


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {out} cannot be created: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {out} is not writable")


def _check_window(since: str | int | None, until: str | int | None) -> None:
    from .graph.build import to_epoch_seconds

    now = int(time.time())
    bounds = []
    for name, v in (("since", since), ("until", until)):
        try:
            t = to_epoch_seconds(v)
        except (ConfigError, ValueError, OverflowError):
            t = -1
        if t is not None and not 946_684_800 <= t <= now + 86_400:
            raise ConfigError(f"{name} {v!r} is not a time flow logs can have: give ISO 8601 "
                              "(e.g. 2024-03-01T06:00Z) or epoch seconds between 2000-01-01 and tomorrow")
        bounds.append(t)
    if bounds[0] is not None and bounds[1] is not None and bounds[0] >= bounds[1]:
        raise ConfigError(f"since ({since}) must be before until ({until})")


# -- generated command lines --------------------------------------------------------------------

def _help(spec: Option) -> str:
    text = spec.help
    if spec.kind == "thresholds":
        return text + "; repeatable"
    d = spec.describe_default()
    return text if d == "—" or spec.kind == "bool" else f"{text} (default {d})"


def add_option_arguments(parser: argparse.ArgumentParser, *, exclude: Iterable[str] = (),
                         defaults: Mapping[str, Any] | None = None,
                         aliases: Mapping[str, tuple[str, ...]] | None = None) -> None:
    """Add one argument per option to ``parser``.

    Every argument defaults to ``argparse.SUPPRESS``: only what the command line
    gives appears in the namespace, so the config file and the declared defaults
    are not overridden.  ``defaults`` changes a shown default (the Spark
    application's ``--out``); ``aliases`` adds extra flag spellings.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_option_arguments(p)
    >>> sorted(vars(p.parse_args(["logs", "--seeds", "3", "--no-detect-shared"])).items())
    [('detect_shared', False), ('seeds', 3), ('sources', ['logs'])]
    """
    skip = set(exclude)
    defaults = defaults or {}
    aliases = aliases or {}
    for spec in OPTIONS.values():
        if spec.name in skip:
            continue
        help_text = _help(spec)
        if spec.name in defaults:
            help_text = f"{spec.help} (default {defaults[spec.name]})"
        kw: dict[str, Any] = {"default": argparse.SUPPRESS, "help": help_text, "dest": spec.name}
        if spec.kind == "sources":
            parser.add_argument("sources", nargs="*", metavar=spec.metavar, default=argparse.SUPPRESS,
                                help=spec.help)
            continue
        if spec.kind == "bool":
            kw["action"] = argparse.BooleanOptionalAction
        elif spec.kind == "choice":
            kw["choices"] = list(spec.allowed())
        else:
            kw["metavar"] = spec.metavar
            if spec.kind == "int":
                kw["type"] = int
            elif spec.kind == "float":
                kw["type"] = float
            elif spec.kind == "thresholds":
                kw["action"] = "append"
        parser.add_argument(spec.flag, *aliases.get(spec.name, ()), **kw)


def values_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The options the command line gave (``--thresholds`` pairs merged), by name."""
    given = {name: getattr(args, name) for name in OPTIONS if hasattr(args, name)}
    if "thresholds" in given:
        merged: dict[str, str] = {}
        for text in given["thresholds"]:
            merged.update(_parse_pairs(text))
        given["thresholds"] = merged
    for name, value in given.items():
        if OPTIONS[name].kind == "list" and isinstance(value, str):
            given[name] = _split(value)
    if given.get("sources") == []:
        del given["sources"]
    return given


# -- config files -------------------------------------------------------------------------------

def read_config(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """Read a YAML or JSON config file; returns ``(values, notes)``.

    Keys are option names (``-`` or ``_``); old keys of :data:`DEPRECATED_KEYS`
    are read with a note.  Values are checked by :meth:`AnalysisConfig.validate`.

    Raises
    ------
    ConfigError
        One sentence naming the file: unreadable, not UTF-8, not a mapping, or an
        unknown key.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config file {p} could not be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {p} is not UTF-8 text (byte {exc.start})") from None
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except RecursionError:
        raise ConfigError(f"config file {p} is nested too deeply to be a config file") from None
    except (ValueError, ImportError) as exc:  # json.JSONDecodeError is a ValueError
        raise ConfigError(f"config file {p} could not be parsed: {str(exc).splitlines()[0]}") from None
    except Exception as exc:  # yaml.YAMLError and its subclasses
        if type(exc).__module__.startswith("yaml"):
            raise ConfigError(f"config file {p} could not be parsed: {str(exc).splitlines()[0]}") from None
        raise
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {p} must hold a mapping of option: value, not {type(data).__name__}")
    values: dict[str, Any] = {}
    notes: list[str] = []
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        if key in DEPRECATED_KEYS:
            new = DEPRECATED_KEYS[key]
            notes.append(f"config file {p}: key {raw_key} is deprecated, use {new}")
            key = new
        if key not in OPTIONS:
            raise ConfigError(f"config file {p} has an unknown option {raw_key!r} "
                              f"(options: {', '.join(OPTIONS)})")
        if key in values:
            raise ConfigError(f"config file {p} sets {key} twice")
        values[key] = value
    return values, notes


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON config file (``yaml.safe_load`` / ``json.loads`` only); keys are option names.

    Deprecated keys are renamed, with a note on stderr.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "fg.yaml")
    >>> _ = open(p, "w").write("seeds: 5\\nthresholds:\\n  mu_feasible: 0.25\\n")
    >>> load_config(p)
    {'seeds': 5, 'thresholds': {'mu_feasible': 0.25}}
    """
    values, notes = read_config(path)
    for note in notes:
        print(f"flowgraph: warning: {note}", file=sys.stderr)
    return values


# -- docs ---------------------------------------------------------------------------------------

GROUPS = {"input": "Input", "identity": "Naming services", "analysis": "Analysis", "output": "Output",
          "engine": "Engine"}


def markdown_table(render: Callable[[Option], str] | None = None) -> str:
    """The option table of ``docs/configuration.md`` (one row per option).

    Examples
    --------
    >>> markdown_table().splitlines()[2].split(" | ")[:3]
    ['| `sources`', 'positional `SOURCE ...`', 'list of paths']
    """
    rows = ["| key | flag | type | default | meaning |", "| --- | --- | --- | --- | --- |"]
    for spec in OPTIONS.values():
        rows.append(f"| `{spec.name}` | {_flag_text(spec)} | {_type_text(spec)} | "
                    f"{_default_text(spec)} | {spec.help.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def _flag_text(spec: Option) -> str:
    if spec.kind == "sources":
        return "positional `SOURCE ...`"
    if spec.kind == "bool":
        return f"`{spec.flag}` / `--no-{spec.flag[2:]}`"
    return f"`{spec.flag}`"


def _type_text(spec: Option) -> str:
    if spec.kind in ("int", "float"):
        word = "integer" if spec.kind == "int" else "number"
        lo = "" if spec.low is None else (f"> {_num(spec.low)}" if spec.low_open else f"≥ {_num(spec.low)}")
        hi = "" if spec.high is None else f"≤ {_num(spec.high)}"
        return f"{word} {lo}{', ' if lo and hi else ''}{hi}".strip()
    if spec.kind == "choice":
        return "one of " + ", ".join(f"`{c}`" for c in spec.allowed())
    return {"bool": "true / false", "str": "string", "path": "path", "list": "list of names",
            "time": "ISO 8601 or epoch seconds", "sources": "list of paths",
            "thresholds": "mapping name: value"}[spec.kind]


def _default_text(spec: Option) -> str:
    d = spec.describe_default()
    return d if d == "—" else f"`{d}`"


if __name__ == "__main__":  # python -m flowgraph._options  -> the docs table
    sys.stdout.write(markdown_table())
