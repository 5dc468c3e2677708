"""The typed report model (report/model.py) and the JSON schema describe the same report."""

from __future__ import annotations

import json
from typing import get_type_hints

import pytest

from pgxannot.report import model
from pgxannot.report.validation import REPORT_SCHEMA as SCHEMA


def test_every_schema_property_is_a_key_of_the_model():
    assert set(SCHEMA["properties"]) <= set(get_type_hints(model.Report))


def test_the_schema_requires_only_what_the_model_requires():
    assert set(SCHEMA["required"]) <= model.Report.__required_keys__


def test_patient_fields_agree():
    schema_patient = set(SCHEMA["properties"]["patient"].get("properties", {}))
    assert schema_patient <= set(get_type_hints(model.Patient))


@pytest.mark.slow
@pytest.mark.parametrize("sample", ["BC-001", "PKU-002", "PAIN-003"])
def test_an_assembled_report_has_exactly_the_models_keys(example_reports, sample):
    report = json.loads((example_reports / f"{sample}.json").read_text(encoding="utf-8"))
    keys = set(report)
    assert model.Report.__required_keys__ <= keys
    assert keys <= model.Report.__required_keys__ | model.Report.__optional_keys__
    assert set(report["patient"]) == set(get_type_hints(model.Patient))
    assert set(report["provenance"]) == set(get_type_hints(model.Provenance))
    for f in report["provenance"]["inputs"]["files"]:
        assert set(f) == set(get_type_hints(model.InputFile))
