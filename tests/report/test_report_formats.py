"""The renderer registry is the one list of report formats (pipeline and workflow)."""

from __future__ import annotations

import pytest
import report_fixtures as fx

from pgxannot.paths import bundled_root
from pgxannot.report.formats import FORMATS, enabled_formats, report_suffixes


def test_formats_and_their_config_switch():
    assert [f.suffix for f in FORMATS] == ["json", "tsv", "html", "fhir.json"]
    assert report_suffixes({}) == ["json", "tsv", "html", "fhir.json"]
    assert report_suffixes({"fhir": False}) == ["json", "tsv", "html"]
    assert len({f.name for f in FORMATS}) == len(FORMATS)


@pytest.mark.parametrize("report", [fx.pgx_report(), fx.tumour_report()], ids=["pgx", "tumour"])
def test_every_format_renders_a_report(report):
    for fmt in enabled_formats({}):
        text = fmt.render(report, None)
        assert isinstance(text, str) and report["sample"] in text, fmt.name


def test_the_workflow_declares_the_registry_formats():
    common = (bundled_root() / "workflow" / "rules" / "common.smk").read_text(encoding="utf-8")
    assert "REPORT_EXTS = report_suffixes(config)" in common
    assert '"fhir.json"' not in common  # no second list of formats
