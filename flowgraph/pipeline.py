"""The whole pipeline in one call: read -> resolve -> graph -> communities -> assess -> report.

:func:`analyze` is what ``flowgraph analyze`` runs; notebooks call the steps one by one.
"""

from __future__ import annotations

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
    n_null: int = 50
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

    s3 = {"endpoint_override": cfg.endpoint_url} if cfg.endpoint_url else None
    if cfg.weight not in ("binary", "connections", "log_bytes", "bytes"):
        raise ConfigError(f"weight must be binary, connections, log_bytes or bytes, not {cfg.weight!r}")
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
