"""Step 5 of the pipeline: can the estate be strictly segmented?

:func:`assess` carves out the shared zone (services many domains call),
traces the trade-off between the isolation zones buy and the exceptions
they cost, picks an operating point, bootstraps its uncertainty and returns
an :class:`Assessment` with a verdict and its reasons.  Every metric and threshold is defined in ``docs/metrics.md``.
"""

from .assessment import METRIC_KEYS, Assessment, assess
from .declared import DeclaredComparison, compare_declared, dominant_domains
from .metrics import (
    HUB_Z,
    ROLES,
    classify_role,
    community_table,
    cross_ratio,
    exception_concentration,
    exception_rules,
    exceptions_per_local_edge,
    modularity,
    participation_coefficients,
    service_table,
    within_module_zscores,
)
from .nullmodel import (
    NullModelResult,
    RewireStats,
    degree_preserving_rewire,
    null_model_test,
    rewire_edge_arrays,
)
from .shared import SharedService, SharedZone, detect_shared_services, shared_service_scores
from .tradeoff import Candidate, TradeOff, Uncertainty, isolation_of, tradeoff_curve
from .verdict import (
    VERDICTS,
    Reason,
    Thresholds,
    VerdictInputs,
    band_of,
    borderline_sides,
    decide_verdict,
)

__all__ = [
    "METRIC_KEYS",
    "HUB_Z",
    "ROLES",
    "VERDICTS",
    "Assessment",
    "Candidate",
    "DeclaredComparison",
    "NullModelResult",
    "Reason",
    "RewireStats",
    "SharedService",
    "SharedZone",
    "Thresholds",
    "TradeOff",
    "Uncertainty",
    "VerdictInputs",
    "assess",
    "band_of",
    "borderline_sides",
    "classify_role",
    "community_table",
    "compare_declared",
    "cross_ratio",
    "decide_verdict",
    "degree_preserving_rewire",
    "detect_shared_services",
    "dominant_domains",
    "exception_concentration",
    "exception_rules",
    "exceptions_per_local_edge",
    "isolation_of",
    "modularity",
    "null_model_test",
    "participation_coefficients",
    "rewire_edge_arrays",
    "service_table",
    "shared_service_scores",
    "tradeoff_curve",
    "within_module_zscores",
]
