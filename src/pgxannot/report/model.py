"""The patient report's typed shape at the boundary between assembly and the renderers.

:func:`pgxannot.report.assemble.assemble_report` returns a :class:`Report`; the renderers
read it as a mapping (they also render reports read back from JSON, e.g. the previous
report of a rerun). The JSON schema (``report/schema/report.schema.json``) validates the
written form; ``tests/report/test_report_model.py`` keeps the two in step.
"""

# no `from __future__ import annotations`: TypedDict must see NotRequired at class creation
from typing import Any, NotRequired, TypedDict


class Patient(TypedDict):
    sex: str  # female, male or unknown
    medications: list[str]
    conditions: list[str]
    tumor_type: str | None
    secondary_findings: bool
    indication: str | None


class InputFile(TypedDict):
    role: str
    path: str  # as the user wrote it in the sheet or config
    sha256: str


class Inputs(TypedDict):
    files: list[InputFile]


class Provenance(TypedDict):
    pgxannot_version: str
    knowledge_base: dict[str, Any]
    inputs: Inputs
    config: Any  # the effective config, without machine paths
    generated_at: str


class Report(TypedDict):
    schema_version: str
    sample: str
    patient: Patient
    genes: list[dict[str, object]]
    drugs: list[dict[str, object]]
    medications: dict[str, object]
    findings: list[dict[str, Any]]
    her2_status: str | None
    analyses: dict[str, bool]
    secondary_findings_status: str
    limitations: list[str]
    assumptions: list[str]
    notices: list[dict[str, Any]]
    provenance: Provenance
    # tumour patients: the somatic findings that bear on a chemotherapy's pharmacogenes
    chemotherapy_pgx: NotRequired[list[str]]
