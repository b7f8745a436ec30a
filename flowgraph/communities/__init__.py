"""Step 4 of the pipeline: communities in the service graph.

Reproducible community detection (every run records algorithm, seed and
resolution; disconnected communities are split; ids are deterministic),
stability across seeds and a resolution sweep.
"""

from .detect import ALGORITHMS, DEFAULT_ALGORITHM, algorithm_engine, detect_communities
from .partition import Partition
from .stability import (
    DEFAULT_RESOLUTIONS,
    StabilityResult,
    SweepPoint,
    SweepResult,
    adjusted_rand,
    choose_resolution,
    pairwise_similarity,
    resolution_sweep,
    seed_stability,
)

__all__ = [
    "ALGORITHMS",
    "DEFAULT_ALGORITHM",
    "DEFAULT_RESOLUTIONS",
    "Partition",
    "StabilityResult",
    "SweepPoint",
    "SweepResult",
    "adjusted_rand",
    "algorithm_engine",
    "choose_resolution",
    "detect_communities",
    "pairwise_similarity",
    "resolution_sweep",
    "seed_stability",
]
