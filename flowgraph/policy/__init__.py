"""From verdict to enforcement and back: compile, validate, audit and diff segmentation policies.

Examples
--------
>>> from flowgraph.policy import FORMATS
>>> FORMATS
('cloudformation', 'terraform', 'kubernetes', 'cilium')
"""

from .compile import FORMATS, compile_policy, compile_text, rule_counts, security_group_rules
from .diff import diff_markdown, diff_reports, load_report
from .model import allowed, atomic_write, check_policy, load_policy, service_zones
from .validate import ValidationResult, learning_curve, validate_graph, validate_policy

__all__ = [
    "FORMATS", "compile_policy", "compile_text", "rule_counts", "security_group_rules",
    "diff_reports", "diff_markdown", "load_report",
    "allowed", "atomic_write", "check_policy", "load_policy", "service_zones",
    "ValidationResult", "learning_curve", "validate_graph", "validate_policy",
]
