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
