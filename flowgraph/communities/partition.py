"""The result of one community-detection run: who is in which community, and how it was found."""

from __future__ import annotations

import html
import math
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .._arrays import node_sort_key

__all__ = ["Partition"]


class Partition(Mapping):
    """A partition of services into communities, with the run that produced it.

    A :class:`Partition` is a read-only mapping *service → community id*.
    Community ids are deterministic: ``0`` is the largest community, ties are
    broken by the smallest member name; members are listed in name order.

    Parameters
    ----------
    communities : iterable of iterables of node names
        The communities (any order; they are renumbered canonically).
    algorithm : str
        Algorithm that produced the partition (``"louvain"``, ...).
    seed : int or None
        Random seed of the run.
    resolution : float or None
        Modularity resolution γ of the run.
    weight : str or None
        Edge attribute used as weight (``None`` for unweighted).
    modularity : float
        Modularity at ``resolution`` (NaN when the graph has no edges).
    split_communities : int
        How many communities returned by the algorithm were not connected and
        were split into their connected components.
    params : dict, optional
        Further parameters of the run.

    Examples
    --------
    >>> p = Partition([["c", "d"], ["a", "b", "e"]], algorithm="manual", seed=None,
    ...               resolution=1.0, weight=None, modularity=0.1)
    >>> p["a"], p["d"], len(p), p.n_communities
    (0, 1, 5, 2)
    >>> p.communities
    [['a', 'b', 'e'], ['c', 'd']]
    >>> p.to_dict()["sizes"]
    [3, 2]
    """

    def __init__(
        self,
        communities: Iterable[Iterable[Hashable]],
        *,
        algorithm: str,
        seed: int | None,
        resolution: float | None,
        weight: str | None,
        modularity: float,
        split_communities: int = 0,
        params: dict[str, Any] | None = None,
    ) -> None:
        groups = [sorted(set(c), key=node_sort_key) for c in communities]
        groups = [g for g in groups if g]
        groups.sort(key=lambda g: (-len(g), node_sort_key(g[0])))
        membership: dict[Hashable, int] = {}
        for cid, members in enumerate(groups):
            for node in members:
                if node in membership:
                    raise ValueError(f"node {node!r} is in more than one community")
                membership[node] = cid
        self._communities: list[list[Hashable]] = groups
        self._membership = membership
        self.algorithm = algorithm
        self.seed = seed
        self.resolution = resolution
        self.weight = weight
        self.modularity = float(modularity)
        self.split_communities = int(split_communities)
        self.params: dict[str, Any] = dict(params or {})

    @classmethod
    def from_labels(cls, nodes: Sequence[Hashable], labels: Sequence[int] | np.ndarray,
                    **kwargs: Any) -> Partition:
        """Build from parallel sequences of nodes and community labels.

        Examples
        --------
        >>> Partition.from_labels(["x", "y", "z"], [5, 5, 2], algorithm="manual", seed=0,
        ...                       resolution=1.0, weight=None, modularity=0.0).communities
        [['x', 'y'], ['z']]
        """
        groups: dict[int, list[Hashable]] = {}
        for node, lab in zip(nodes, np.asarray(labels).tolist(), strict=True):
            groups.setdefault(lab, []).append(node)
        return cls(groups.values(), **kwargs)

    # -- mapping protocol --------------------------------------------------------------------
    def __getitem__(self, node: Hashable) -> int:
        return self._membership[node]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._membership)

    def __len__(self) -> int:
        return len(self._membership)

    # -- views -------------------------------------------------------------------------------
    @property
    def membership(self) -> dict[Hashable, int]:
        """A copy of the node → community id mapping."""
        return dict(self._membership)

    @property
    def communities(self) -> list[list[Hashable]]:
        """Communities as lists of members, index = community id."""
        return [list(c) for c in self._communities]

    @property
    def n_communities(self) -> int:
        return len(self._communities)

    @property
    def sizes(self) -> list[int]:
        return [len(c) for c in self._communities]

    def labels(self, nodes: Iterable[Hashable]) -> np.ndarray:
        """Community ids of ``nodes`` as an integer array."""
        return np.fromiter((self._membership[n] for n in nodes), dtype=np.int64)

    # -- output ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description (node names as strings, floats rounded to 6 digits)."""
        q = None if not math.isfinite(self.modularity) else round(self.modularity, 6)
        return {
            "algorithm": self.algorithm,
            "seed": self.seed,
            "resolution": self.resolution,
            "weight": self.weight,
            "modularity": q,
            "n_communities": self.n_communities,
            "split_communities": self.split_communities,
            "sizes": self.sizes,
            "communities": [[str(n) for n in c] for c in self._communities],
            "params": {k: v for k, v in self.params.items()},
        }

    def __repr__(self) -> str:
        return (f"Partition({len(self)} nodes, {self.n_communities} communities, "
                f"algorithm={self.algorithm!r}, seed={self.seed}, resolution={self.resolution}, "
                f"modularity={self.modularity:.4f})")

    def _repr_html_(self) -> str:
        rows = []
        for cid, members in enumerate(self._communities[:10]):
            shown = ", ".join(html.escape(str(m)) for m in members[:8])
            more = f" … (+{len(members) - 8})" if len(members) > 8 else ""
            rows.append(f"<tr><td>{cid}</td><td>{len(members)}</td><td>{shown}{more}</td></tr>")
        extra = (f"<p>… {self.n_communities - 10} more communities</p>"
                 if self.n_communities > 10 else "")
        return (
            f"<div><strong>Partition</strong>: {len(self)} nodes in {self.n_communities} communities "
            f"· algorithm <code>{html.escape(self.algorithm)}</code> · seed {self.seed} "
            f"· resolution {self.resolution} · modularity {self.modularity:.4f}"
            f" · split communities {self.split_communities}"
            "<table><tr><th>id</th><th>size</th><th>members</th></tr>"
            f"{''.join(rows)}</table>{extra}</div>"
        )
