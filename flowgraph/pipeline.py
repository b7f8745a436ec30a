"""The whole pipeline in one call: read -> resolve -> graph -> communities -> assess -> report.

:func:`analyze` is what ``flowgraph analyze`` runs; notebooks call the steps one by one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .exceptions import ConfigError

__all__ = ["AnalysisConfig", "analyze", "load_config"]


@dataclass
class AnalysisConfig:
    """Every parameter of an analysis; recorded in the report.

    Values come from defaults, then a YAML config file, then the command line.
    """

    sources: list[str] = field(default_factory=list)
    inventory: str | None = None
    out: str = "reports/flowgraph"
    fields: str | None = None
    seed: int = 0
    weight: str = "binary"
    resolution: float | None = None
    algorithm: str = "leiden"
    n_seeds: int = 20
    n_null: int = 20
    shared_services: list[str] = field(default_factory=list)
    detect_shared: bool = True
    since: str | None = None
    until: str | None = None
    internet: str = "single"
    ip_ranges: str | None = None
    session_gap: int = 60
    policy_zones: str = "communities"
    engine: str = "local"
    spark_master: str = "local[*]"
    endpoint_url: str | None = None
    pdf: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def validate(self) -> None:
        """Check every option before any input is read; raises :class:`ConfigError` with one sentence.

        Examples
        --------
        >>> AnalysisConfig(sources=["logs"], n_seeds=0).validate()
        Traceback (most recent call last):
        ...
        flowgraph.exceptions.ConfigError: n_seeds must be an integer between 1 and 10000, not 0
        """
        import math
        import time

        from .communities.detect import ALGORITHMS
        from .graph.build import to_epoch_seconds
        from .graph.service_graph import WEIGHTS

        def integer(name: str, lo: int, hi: int | None = None) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
                span = f"at least {lo}" if hi is None else f"between {lo} and {hi}"
                raise ConfigError(f"{name} must be an integer {span}, not {v!r}")

        def choice(name: str, options: tuple[str, ...] | list[str]) -> None:
            v = getattr(self, name)
            if v not in options:
                raise ConfigError(f"{name} must be one of {', '.join(map(str, options))}, not {v!r}")

        if not isinstance(self.sources, list | tuple) or not self.sources or \
                not all(isinstance(x, str | Path) for x in self.sources):
            raise ConfigError("sources must be a non-empty list of paths or URLs")
        integer("seed", 0, 2**32 - 1)
        integer("n_seeds", 1, 10_000)
        integer("n_null", 0, 100_000)
        integer("session_gap", 1, 86_400)
        choice("weight", WEIGHTS)
        choice("algorithm", list(ALGORITHMS))
        choice("engine", ("local", "spark"))
        choice("internet", ("single", "/16"))
        choice("policy_zones", ("communities", "domains"))
        if self.resolution is not None and (isinstance(self.resolution, bool)
                                            or not isinstance(self.resolution, int | float)
                                            or not math.isfinite(self.resolution)
                                            or not 0 < self.resolution <= 1024):
            raise ConfigError(f"resolution must be a number above 0 and at most 1024, not {self.resolution!r}")
        if not isinstance(self.shared_services, list | tuple) or \
                not all(isinstance(x, str) for x in self.shared_services):
            raise ConfigError("shared_services must be a list of service names")
        if not isinstance(self.out, str | Path):
            raise ConfigError(f"out must be a directory path, not {self.out!r}")
        out = Path(self.out)
        if out.exists() and not out.is_dir():
            raise ConfigError(f"--out {out} exists and is not a directory")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"--out {out} cannot be created: {exc.strerror or exc}") from None
        if not os.access(out, os.W_OK | os.X_OK):
            raise ConfigError(f"--out {out} is not writable")
        now = int(time.time())
        bounds = []
        for name in ("since", "until"):
            v = getattr(self, name)
            try:
                t = to_epoch_seconds(v)
            except (ConfigError, ValueError, OverflowError):
                t = -1
            if t is not None and not 946_684_800 <= t <= now + 86_400:
                raise ConfigError(f"{name} {v!r} is not a time flow logs can have: give ISO 8601 "
                                  "(e.g. 2024-03-01T06:00Z) or epoch seconds between 2000-01-01 and tomorrow")
            bounds.append(t)
        if bounds[0] is not None and bounds[1] is not None and bounds[0] >= bounds[1]:
            raise ConfigError(f"since ({self.since}) must be before until ({self.until})")
        if self.pdf:
            from .report.pdf import require_weasyprint

            require_weasyprint()


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML config file (``yaml.safe_load`` only); keys are AnalysisConfig fields."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {p} could not be read: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {p} must hold a mapping of option: value")
    known = set(AnalysisConfig.__dataclass_fields__)
    unknown = sorted(set(k.replace("-", "_") for k in data) - known)
    if unknown:
        raise ConfigError(f"config file {p} has unknown option(s): {', '.join(unknown)}")
    return {k.replace("-", "_"): v for k, v in data.items()}


def analyze(cfg: AnalysisConfig, *, progress: Callable[[str, int, int], None] | None = None,
            read_progress: Callable[[int], None] | None = None):
    """Run the pipeline and write the report; returns ``(assessment, graph, paths)``."""
    from .assessment import assess
    from .graph import build_graph
    from .report import write_report

    cfg.validate()
    s3 = {"endpoint_override": cfg.endpoint_url} if cfg.endpoint_url else None
    if cfg.engine == "spark":
        from .spark import build_graph_spark

        graph = build_graph_spark(cfg.sources, cfg.inventory, master=cfg.spark_master, fields=cfg.fields,
                                  since=cfg.since, until=cfg.until, ip_ranges=cfg.ip_ranges,
                                  internet=cfg.internet, session_gap=cfg.session_gap, s3=s3)
    elif cfg.engine == "local":
        graph = build_graph(cfg.sources, cfg.inventory, fields=cfg.fields, s3=s3, since=cfg.since,
                            until=cfg.until, ip_ranges=cfg.ip_ranges, internet=cfg.internet,
                            session_gap=cfg.session_gap, progress=read_progress)
    else:
        raise ConfigError(f"engine must be local or spark, not {cfg.engine!r}")
    assessment = assess(graph, seed=cfg.seed, resolution=cfg.resolution, n_seeds=cfg.n_seeds,
                        n_null=cfg.n_null, algorithm=cfg.algorithm, weight=cfg.weight,
                        shared_services=tuple(cfg.shared_services), detect_shared=cfg.detect_shared,
                        quality=graph.quality, progress=progress)
    paths = write_report(assessment, graph, cfg.out, policy_zones=cfg.policy_zones, pdf=cfg.pdf,
                         inputs={"sources": list(cfg.sources), "inventory": cfg.inventory,
                                 "config": cfg.to_dict()})
    return assessment, graph, paths
