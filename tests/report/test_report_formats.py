"""The renderer registry is the one list of report formats (pipeline and workflow)."""

from __future__ import annotations

import pytest
import report_fixtures as fx
import yaml

from pgxannot.errors import ConfigError
from pgxannot.paths import bundled_root
from pgxannot.report.formats import FORMATS, enabled_formats, report_suffixes
from pgxannot.report.text import render_json


def test_formats_and_their_config_switch():
    assert [f.suffix for f in FORMATS] == ["json", "tsv", "html", "fhir.json"]
    assert report_suffixes({}) == ["json", "tsv", "html", "fhir.json"]
    assert report_suffixes({"fhir": False}) == ["json", "tsv", "html"]
    assert len({f.name for f in FORMATS}) == len(FORMATS)


@pytest.mark.parametrize(("cfg", "suffixes"), [
    ({"outputs": ["json"]}, ["json"]),
    ({"outputs": ["fhir", "json"]}, ["json", "fhir.json"]),  # registry order, whatever the list's
    ({"outputs": ["html", "tsv"], "fhir": True}, ["tsv", "html"]),  # `fhir: true` is the schema default
    ({"outputs": ["json", "tsv"], "fhir": False}, ["json", "tsv"]),
])
def test_outputs_chooses_the_formats(cfg, suffixes):
    assert report_suffixes(cfg) == suffixes


@pytest.mark.parametrize("cfg", [
    {"outputs": []},
    {"outputs": ["json", "pdf"]},
    {"outputs": ["json", "fhir"], "fhir": False},  # the alias contradicts the list
])
def test_outputs_that_cannot_be_honoured_are_a_config_error(cfg):
    with pytest.raises(ConfigError, match="outputs"):
        report_suffixes(cfg)


def test_the_schema_does_not_list_the_formats_again():
    """The registry is the one list of formats: a new format needs no schema edit."""
    schema = yaml.safe_load((bundled_root() / "workflow" / "schemas" / "config.schema.yaml").read_text())
    assert schema["properties"]["outputs"]["items"] == {"type": "string"}


@pytest.mark.parametrize("report", [fx.pgx_report(), fx.tumour_report()], ids=["pgx", "tumour"])
def test_every_format_renders_a_report(report):
    for fmt in enabled_formats({}):
        text = fmt.render(report, None)  # a text, or the file's UTF-8 bytes (JSON: orjson writes bytes)
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        assert isinstance(text, str) and report["sample"] in text, fmt.name
    json_format = next(f for f in enabled_formats({}) if f.name == "json")
    assert json_format.render(report, None) == render_json(report).encode("utf-8")


def test_the_workflow_declares_the_registry_formats():
    common = (bundled_root() / "workflow" / "rules" / "common.smk").read_text(encoding="utf-8")
    assert "REPORT_EXTS = report_suffixes(config, source=CONFIG_SOURCE)" in common
    assert '"fhir.json"' not in common  # no second list of formats


def test_render_for_passes_the_config_only_to_a_renderer_that_reads_it():
    """A format written as the recipe says (report, previous) keeps working; the JSON
    format reads json_layout."""
    from pgxannot.report.formats import Format

    report = fx.pgx_report()
    plain = Format("x", "x", lambda r, previous: f"{r['sample']}\n")
    assert plain.render_for(report, None, {"json_layout": "compact"}) == f"{report['sample']}\n"
    json_format = next(f for f in FORMATS if f.name == "json")
    pretty = json_format.render_for(report, None, {})
    compact = json_format.render_for(report, None, {"json_layout": "compact"})
    assert pretty == render_json(report).encode("utf-8") and b"\n  " in pretty
    assert compact.count(b"\n") == 1 and len(compact) < len(pretty)
