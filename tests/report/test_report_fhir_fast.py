"""FHIR text inside a report's block (report.common.unchanged): written by orjson when the
report holds nothing orjson writes differently, and byte for byte what the standard
library writes."""

from __future__ import annotations

import copy

import orjson
import report_fixtures as fx

from pgxannot.report import common, fhir


def test_bundles_are_the_same_bytes_by_either_encoder(monkeypatch):
    used = []
    real = orjson.dumps
    monkeypatch.setattr(fhir.orjson, "dumps", lambda v, *a, **k: used.append(1) or real(v, *a, **k))
    for report in fx.all_reports():
        fhir._DRUG_PARTS.clear()
        plain = fhir.render_fhir(report)  # outside a block: the standard library
        n = len(used)
        fhir._DRUG_PARTS.clear()
        with common.unchanged(report):
            fast = fhir.render_fhir(report)
        assert fast == plain
        assert len(used) > n, "orjson was not used inside the block"
    assert not fhir._orjson_alike  # reset after each bundle


def test_a_report_with_a_nan_is_written_by_the_standard_library():
    report = copy.deepcopy(fx.all_reports()[0])
    report["drugs"][0]["dose_change_percent"] = float("nan")
    fhir._DRUG_PARTS.clear()
    plain = fhir.render_fhir(report)
    fhir._DRUG_PARTS.clear()
    with common.unchanged(report):
        assert common.known_alike(report) is False
        assert fhir.render_fhir(report) == plain


def test_a_frozen_drug_entrys_implications_are_made_once_and_give_the_same_bundle():
    """A drug entry the guidance shares keeps its implications' parts (pgxannot.frozen): two
    patients sharing it get their own subject and genotype references, and the bytes a
    fresh render gives."""
    from pgxannot import frozen

    first = copy.deepcopy(fx.all_reports()[0])
    second = copy.deepcopy(first)
    second["sample"] = "OTHER-PATIENT"
    second["drugs"] = first["drugs"]  # the same objects, as the guidance shares them
    fresh = []
    for r in (first, second):
        fhir._DRUG_PARTS.clear()
        fresh.append(fhir.render_fhir(r))
    for x in first["drugs"]:
        frozen.freeze(x)
    got = []
    for r in (first, second):
        with common.unchanged(r):
            got.append(fhir.render_fhir(r))
    assert got == fresh and "OTHER-PATIENT" in got[1] and "OTHER-PATIENT" not in got[0]
    assert all("fhir" in frozen.derived(x) for x in first["drugs"])
