"""Reports: render the per-sample report dict as JSON, TSV, HTML and FHIR; cohort page; diff.

The JSON form (validated against :data:`REPORT_SCHEMA`) is the single source:
renderers only order and word what it says, they never recompute a call.
"""

from __future__ import annotations

from pgxannot.report.cohort import render_cohort
from pgxannot.report.diff import describe_change, diff_reports, format_changes
from pgxannot.report.fhir import render_fhir
from pgxannot.report.html import render_html
from pgxannot.report.io import write_atomic
from pgxannot.report.text import TSV_COLUMNS, render_json, render_tsv
from pgxannot.report.validation import REPORT_SCHEMA, schema_text, validate_report

__all__ = [
    "REPORT_SCHEMA",
    "TSV_COLUMNS",
    "describe_change",
    "diff_reports",
    "format_changes",
    "render_cohort",
    "render_fhir",
    "render_html",
    "render_json",
    "render_tsv",
    "schema_text",
    "validate_report",
    "write_atomic",
]
