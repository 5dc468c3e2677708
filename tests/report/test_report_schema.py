"""The shipped JSON Schema accepts the fixtures and names the path of the first problem."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import report_fixtures as fx
from jsonschema import Draft202012Validator

import pgxannot.report as rep
from pgxannot.errors import OutputError, PgxannotError


def test_schema_is_valid_draft_2020_12_and_shipped_as_package_data():
    Draft202012Validator.check_schema(rep.REPORT_SCHEMA)
    assert rep.REPORT_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    shipped = Path(rep.__file__).parent / "schema" / "report.schema.json"
    assert json.loads(shipped.read_text()) == json.loads(rep.schema_text()) == rep.REPORT_SCHEMA


def test_contract_minimum_is_required():
    s = rep.REPORT_SCHEMA
    assert set(s["required"]) == {"sample", "genes", "drugs", "findings", "provenance"}
    assert set(s["$defs"]["gene"]["required"]) == {
        "gene", "status", "diplotypes", "phenotype", "activity_score", "missing_positions"}
    assert set(s["$defs"]["drug"]["required"]) == {
        "drug", "genes", "classification", "action", "current_medication"}
    assert {"category", "gene", "variant", "classification"} <= set(s["$defs"]["finding"]["required"])
    assert set(s["$defs"]["provenance"]["required"]) == {"pgxannot_version", "knowledge_base", "inputs"}


@pytest.mark.parametrize("make", [fx.pgx_report, fx.tumour_report, fx.sparse_report, fx.hostile_report])
def test_fixtures_validate(make):
    rep.validate_report(make())


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["genes"][3].__setitem__("status", "maybe"), "$.genes[3].status"),
        (lambda d: d["drugs"][1].__setitem__("action", "stop"), "$.drugs[1].action"),
        (lambda d: d["drugs"][0].pop("current_medication"), "$.drugs[0]"),
        (lambda d: d["findings"][0].__setitem__("variant", "BRCA2 c.5946del"), "$.findings[0].variant"),
        (lambda d: d["genes"][4]["missing_positions"].append("chr6 18130687"), "$.genes[4].missing_positions[3]"),
        (lambda d: d.pop("provenance"), "$"),
        (lambda d: d.__setitem__("her2_status", "positive"), "$.her2_status"),
    ],
)
def test_first_problem_is_named_by_json_path(mutate, where):
    d = copy.deepcopy(fx.pgx_report())
    mutate(d)
    with pytest.raises(OutputError) as err:
        rep.validate_report(d)
    assert isinstance(err.value, PgxannotError)
    assert err.value.where == where
    assert "PATIENT-001" in str(err.value)


def test_first_error_is_the_earliest_in_document_order():
    d = copy.deepcopy(fx.pgx_report())
    d["genes"][5]["status"] = "bad"
    d["genes"][1]["status"] = "bad"
    with pytest.raises(OutputError) as err:
        rep.validate_report(d)
    assert err.value.where == "$.genes[1].status"


def test_extra_fields_are_allowed_so_the_contract_can_grow():
    d = fx.sparse_report()
    d["new_section"] = {"anything": 1}
    d["genes"][0]["extra"] = {"copy_number": 2}
    rep.validate_report(d)


def test_non_object_is_rejected():
    with pytest.raises(OutputError) as err:
        rep.validate_report(["not", "a", "report"])
    assert err.value.where == "$"


def test_validating_does_not_alter_the_shipped_schema():
    # regression: the compiled validator rewrote REPORT_SCHEMA's $refs in place
    rep.validate_report(fx.pgx_report())
    assert json.loads(rep.schema_text()) == rep.REPORT_SCHEMA
