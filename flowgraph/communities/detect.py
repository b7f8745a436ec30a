"""Community detection with recorded, reproducible runs.

Algorithms
----------
``"louvain"``
    python-louvain (``community.community_louvain.best_partition``), the
    Louvain method of Blondel et al. (2008); ``seed`` → ``random_state``.
    python-louvain 0.16 checks convergence with a modularity formula that
    puts γ on the wrong term, so at γ ≠ 1 it stops early (at γ = 0.25 a
    10-block graph came back as 17–162 communities instead of 1).  For
    γ ≠ 1 the check is replaced, for the duration of the call, by the
    objective the node moves actually optimise; at γ = 1 the library runs
    untouched.  Results then match igraph's ``community_multilevel``.
``"nx-louvain"``
    networkx ``louvain_communities`` (same method, networkx implementation).
``"label_propagation"``
    networkx ``asyn_lpa_communities`` with ``seed``; the resolution is
    recorded but has no effect.
``"leiden"`` (the default everywhere, :data:`DEFAULT_ALGORITHM`)
    igraph's ``community_leiden`` on the modularity objective with resolution
    γ, two iterations, seeded through a private ``random.Random``: the Leiden
    algorithm (Traag, Waltman & van Eck 2019) in igraph's C core, 15–20×
    faster than leidenalg on the same graph with the same modularity on
    planted graphs (within 0.007 on rewired ones).
``"leidenalg"``
    leidenalg ``RBConfigurationVertexPartition`` (modularity with resolution),
    two iterations — the reference implementation, kept for comparison.
``"igraph-louvain"``
    igraph ``community_multilevel`` (the Louvain method again, in C: 20–40×
    faster than python-louvain).  The assessment uses it for its many
    repeated runs when ``"louvain"`` is requested (see ``docs/metrics.md``).

Every result is post-processed the same way: communities that are not
connected are split into their connected components (Louvain can return
disconnected communities; a disconnected "segment" is not a segment), the
number of split communities is recorded, and ids are renumbered
deterministically (largest first, ties by smallest member name).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import networkx as nx
import numpy as np

from flowgraph._optional import import_optional
from flowgraph.exceptions import ConfigError

from .._arrays import GraphArrays, merge_edgeless, modularity_of, split_and_canonicalize
from .._random import seeded
from .partition import Partition

__all__ = ["ALGORITHMS", "DEFAULT_ALGORITHM", "detect_communities", "algorithm_engine"]

ALGORITHMS: tuple[str, ...] = ("louvain", "nx-louvain", "label_propagation", "leiden", "leidenalg",
                                "igraph-louvain")
"""Names accepted by :func:`detect_communities`."""

DEFAULT_ALGORITHM = "leiden"
"""The algorithm every function uses unless told otherwise (detection, stability,
resolution sweep, null model and the assessment alike)."""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # pragma: no cover - depends on the install
        return "unknown"


def algorithm_engine(algorithm: str) -> str:
    """The library (and version) that runs ``algorithm``.

    Examples
    --------
    >>> algorithm_engine("louvain").startswith("python-louvain ")
    True
    """
    check_algorithm(algorithm)
    if algorithm == "louvain":
        return f"python-louvain {_version('python-louvain')} (consistent resolution objective)"
    if algorithm in ("nx-louvain", "label_propagation"):
        return f"networkx {nx.__version__}"
    if algorithm == "leiden":
        return f"igraph {_version('igraph')} community_leiden (modularity, 2 iterations)"
    if algorithm == "leidenalg":
        return f"leidenalg {_version('leidenalg')} + igraph {_version('igraph')}"
    return f"igraph {_version('igraph')}"


def check_algorithm(algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise ConfigError(f"unknown community algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")


@contextmanager
def _seeded_igraph(seed: int | None, purpose: str) -> Iterator[None]:
    """igraph draws from a module-wide generator: give it a private ``Random(seed)``, then restore it."""
    ig = import_optional("igraph", extra="leiden", purpose=purpose)
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


def _raw_labels(arrays: GraphArrays, algorithm: str, resolution: float, seed: int | None) -> np.ndarray:
    """Community labels (arbitrary ids) from one run of ``algorithm``."""
    n = arrays.n
    if arrays.m == 0 or arrays.total_weight <= 0:
        return np.arange(n, dtype=np.int64)
    labels = np.empty(n, dtype=np.int64)
    if algorithm == "louvain":
        part = _python_louvain(arrays.to_networkx(), resolution, seed)
        labels[:] = [part[i] for i in range(n)]
    elif algorithm == "nx-louvain":
        comms = nx.community.louvain_communities(
            arrays.to_networkx(), weight="weight", resolution=resolution, seed=seed)
        for cid, members in enumerate(comms):
            labels[list(members)] = cid
    elif algorithm == "label_propagation":
        comms = nx.community.asyn_lpa_communities(arrays.to_networkx(), weight="weight", seed=seed)
        for cid, members in enumerate(comms):
            labels[list(members)] = cid
    elif algorithm == "leiden":
        # igraph's C implementation of Leiden (Traag et al. 2019) on the modularity objective:
        # the same algorithm as leidenalg's RBConfigurationVertexPartition, 15-20x faster here
        g = arrays.to_igraph()
        with _seeded_igraph(seed, "Leiden community detection"):
            labels[:] = g.community_leiden(objective_function="modularity", weights="weight",
                                           resolution=resolution, n_iterations=2).membership
    elif algorithm == "leidenalg":
        la = import_optional("leidenalg", extra="leiden", purpose="Leiden community detection")
        part = la.find_partition(
            arrays.to_igraph(), la.RBConfigurationVertexPartition, weights="weight",
            resolution_parameter=resolution, seed=seed, n_iterations=2)
        labels[:] = part.membership
    elif algorithm == "igraph-louvain":
        g = arrays.to_igraph()
        with _seeded_igraph(seed, "igraph Louvain"):
            labels[:] = g.community_multilevel(weights="weight", resolution=resolution).membership
    else:  # pragma: no cover - guarded by check_algorithm
        raise ConfigError(f"unknown community algorithm {algorithm!r}")
    return labels


_PATCH_LOCK = threading.Lock()


def _consistent_modularity(status: Any, resolution: float) -> float:
    """python-louvain's ``__modularity`` with γ on the null-model term.

    python-louvain 0.16 moves nodes with the standard gain
    ``k_i,in − γ Σ_tot k_i / 2m`` but checks convergence (within a level and
    between levels) with ``γ L_c/m − (vol_c/2m)²``, which is not the
    objective it optimises when γ ≠ 1 (taynaud/python-louvain#47, #59, #92).
    At γ = 0.25 it then stops early with dozens of spurious communities.
    This replacement uses ``L_c/m − γ (vol_c/2m)²`` (identical at γ = 1).
    """
    links = float(status.total_weight)
    result = 0.0
    for com in set(status.node2com.values()):
        inside = status.internals.get(com, 0.0)
        degree = status.degrees.get(com, 0.0)
        if links > 0:
            result += inside / links - resolution * ((degree / (2.0 * links)) ** 2)
    return result


def _python_louvain(g: nx.Graph, resolution: float, seed: int | None) -> dict:
    """``community_louvain.best_partition`` with a consistent objective when γ ≠ 1."""
    from community import community_louvain

    if resolution == 1.0:
        return community_louvain.best_partition(g, weight="weight", resolution=1.0, random_state=seed)
    with _PATCH_LOCK:
        original = getattr(community_louvain, "__modularity")
        setattr(community_louvain, "__modularity", _consistent_modularity)
        try:
            return community_louvain.best_partition(
                g, weight="weight", resolution=resolution, random_state=seed)
        finally:
            setattr(community_louvain, "__modularity", original)


@dataclass(frozen=True)
class Run:
    """One detection run on arrays (internal): canonical labels, splits, modularity."""

    seed: int | None
    resolution: float
    labels: np.ndarray
    split_communities: int
    modularity: float
    merged_singletons: int = 0

    @property
    def n_communities(self) -> int:
        return int(self.labels.max()) + 1 if len(self.labels) else 0


def run_once(arrays: GraphArrays, algorithm: str, resolution: float, seed: int | None) -> Run:
    """Detect, split disconnected communities, renumber, score (internal)."""
    raw = _raw_labels(arrays, algorithm, resolution, seed)
    labels, splits = split_and_canonicalize(arrays, raw)
    labels, merged = merge_edgeless(arrays, labels)
    return Run(seed, resolution, labels, splits, modularity_of(arrays, labels, resolution), merged)


def to_partition(arrays: GraphArrays, run: Run, algorithm: str, weight: str | None,
                 **params: Any) -> Partition:
    """Wrap a :class:`Run` as a :class:`Partition` (internal)."""
    return Partition.from_labels(
        arrays.nodes, run.labels, algorithm=algorithm, seed=run.seed, resolution=run.resolution,
        weight=weight, modularity=run.modularity, split_communities=run.split_communities,
        params={"engine": algorithm_engine(algorithm), **params},
    )


@seeded()
def detect_communities(
    G: nx.Graph,
    *,
    algorithm: str = DEFAULT_ALGORITHM,
    resolution: float = 1.0,
    seed: int | None = 0,
    weight: str | None = "weight",
) -> Partition:
    """Find communities in an undirected graph, reproducibly.

    Parameters
    ----------
    G : networkx.Graph
        Undirected graph (e.g. ``ServiceGraph.undirected("binary")``).
    algorithm : {"louvain", "nx-louvain", "label_propagation", "leiden", "leidenalg", "igraph-louvain"}
        See the module documentation (igraph and leidenalg are core dependencies).
    resolution : float
        Modularity resolution γ (> 1 favours smaller communities).
    seed : int or None
        Random seed (``None``: not reproducible).
    weight : str or None
        Edge attribute holding the weight; ``None`` treats every edge as 1.

    Returns
    -------
    Partition
        Connected communities with deterministic ids; ``algorithm``, ``seed``,
        ``resolution``, ``modularity`` and ``split_communities`` recorded.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.barbell_graph(5, 0)          # two 5-cliques joined by one edge
    >>> p = detect_communities(G, seed=0)
    >>> p.communities
    [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    >>> round(p.modularity, 4), p.algorithm, p.seed, p.resolution
    (0.4524, 'leiden', 0, 1.0)
    """
    check_algorithm(algorithm)
    if not resolution > 0:
        raise ConfigError(f"resolution must be positive, not {resolution!r}")
    arrays = GraphArrays.from_networkx(G, weight)
    run = run_once(arrays, algorithm, float(resolution), seed)
    return to_partition(arrays, run, algorithm, weight)
