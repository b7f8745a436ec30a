"""The whole pipeline in one call: read -> resolve -> graph -> communities -> assess -> report.

:func:`analyze` is what ``flowgraph analyze`` runs; notebooks call the steps one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._options import AnalysisConfig, load_config
from .exceptions import ConfigError

if TYPE_CHECKING:
    from .assessment import Assessment
    from .graph import ServiceGraph
    from .resolve import Inventory

__all__ = ["AnalysisConfig", "analyze", "load_config", "load_config_inventory"]


def load_config_inventory(cfg: AnalysisConfig) -> Inventory | None:
    """The inventory ``cfg`` names, read with its ``tag_keys`` (``None`` without ``inventory``).

    ``tag_keys`` ``[SERVICE]`` or ``[SERVICE, DOMAIN]`` choose the tags that name an
    interface's service and domain in describe-network-interfaces JSON; they are an
    error for an inventory of any other format (they would be ignored).

    Examples
    --------
    >>> import json, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "enis.json")
    >>> _ = open(p, "w").write(json.dumps({"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1",
    ...     "PrivateIpAddress": "10.0.0.5", "TagSet": [{"Key": "app", "Value": "web"},
    ...                                                 {"Key": "unit", "Value": "shop"}]}]}))
    >>> inv = load_config_inventory(AnalysisConfig(sources=["logs"], inventory=p, tag_keys=["app", "unit"]))
    >>> inv.services["domain"].to_dict()
    {'web': 'shop'}
    """
    if not cfg.inventory:
        return None
    from .resolve import load_inventory

    keys = list(cfg.tag_keys)
    inv = load_inventory(cfg.inventory, service_tag=keys[0] if keys else None,
                         domain_tag=keys[1] if len(keys) > 1 else None)
    if keys and len(getattr(inv, "enis", ())) == 0:
        raise ConfigError(f"tag_keys {','.join(keys)} name tags of a describe-network-interfaces inventory, "
                          f"but {cfg.inventory} is not one (its rows name services directly)")
    return inv




def analyze(cfg: AnalysisConfig, *, progress: Callable[[str, int, int], None] | None = None,
            read_progress: Callable[[int], None] | None = None,
            read_status: Callable[[Any, int, int], None] | None = None,
            ) -> tuple[Assessment, ServiceGraph, dict[str, Any]]:
    """Run the pipeline and write the report; returns ``(assessment, graph, paths)``.

    ``progress(step, done, total)`` follows the assessment, ``read_progress(n)``
    gets the records of every resolved batch and ``read_status(summary,
    files_done, files_total)`` the live read summary (local engine; see
    :func:`flowgraph.scan_flows`).

    Every option is validated (:meth:`AnalysisConfig.validate`) and the inventory
    read before any flow log is.
    """
    from .assessment import assess
    from .graph import build_graph
    from .report import write_report

    cfg.validate()
    thresholds = cfg.build_thresholds()
    inventory = load_config_inventory(cfg)
    s3 = {"endpoint_override": cfg.endpoint_url} if cfg.endpoint_url else None
    if cfg.engine == "spark":
        from .spark import build_graph_spark

        graph = build_graph_spark(cfg.sources, inventory, master=cfg.spark_master, fields=cfg.fields,
                                  since=cfg.since, until=cfg.until, ip_ranges=cfg.ip_ranges,
                                  internet=cfg.internet, session_gap=cfg.session_gap, s3=s3)
    elif cfg.engine == "local":
        graph = build_graph(cfg.sources, inventory, fields=cfg.fields, s3=s3, since=cfg.since,
                            until=cfg.until, ip_ranges=cfg.ip_ranges, internet=cfg.internet,
                            session_gap=cfg.session_gap, progress=read_progress, read_status=read_status)
    else:
        raise ConfigError(f"engine must be local or spark, not {cfg.engine!r}")
    assessment = assess(graph, seed=cfg.seed, resolution=cfg.resolution, n_seeds=cfg.seeds,
                        n_null=cfg.rewirings, thresholds=thresholds, algorithm=cfg.algorithm, weight=cfg.weight,
                        shared_services=tuple(cfg.shared_services), detect_shared=cfg.detect_shared,
                        quality=graph.quality, progress=progress)
    paths = write_report(assessment, graph, cfg.out, policy_zones=cfg.policy_zones, pdf=cfg.pdf, baseline=cfg.baseline,
                         inputs={"sources": list(cfg.sources), "inventory": cfg.inventory,
                                 "config": cfg.to_dict()})
    return assessment, graph, paths
