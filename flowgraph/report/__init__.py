"""Step 6 of the pipeline: the report layer.

:func:`build_report` turns an assessment and its graph into the content of
``report.json``; :func:`write_report` writes every output file (JSON, HTML,
Markdown, figures, CSVs, draft policy, graph exports, optional PDF).  See
``docs/report.md`` for every file and field.
"""

from .build import (
    SCHEMA_VERSION,
    ReportValidationError,
    build_report,
    load_schema,
    validate_report,
)
from .policy import build_policy
from .write import OUTPUT_FILES, write_report

__all__ = [
    "SCHEMA_VERSION",
    "OUTPUT_FILES",
    "ReportValidationError",
    "build_report",
    "build_policy",
    "load_schema",
    "validate_report",
    "write_report",
]
