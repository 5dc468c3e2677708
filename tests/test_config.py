"""Config and sample-sheet validation: clear one-line errors naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgxannot.config import load_config, load_sample_sheet, normalize_sex, validate_config
from pgxannot.errors import ConfigError, SampleSheetError


@pytest.fixture
def vcf(tmp_path: Path) -> Path:
    p = tmp_path / "a.vcf"
    p.write_text("##fileformat=VCFv4.2\n")
    return p


def sheet(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "samples.tsv"
    p.write_text(text)
    return p


def test_defaults_are_filled_in():
    cfg = validate_config({"samples": "s.tsv"})
    assert cfg["reference_build"] == "GRCh38"
    assert cfg["missing_positions_as_reference"] is False
    assert cfg["copy_number"]["amplification_cn"] == 5
    assert cfg["knowledge_base"] == {"home": None}  # per-source selectors: from the registry


@pytest.mark.parametrize("bad, key", [
    ({"samples": "s.tsv", "reference_build": "hg19"}, "reference_build"),
    ({"samples": "s.tsv", "missing_positions_as_reference": "yes"}, "missing_positions_as_reference"),
    ({"samples": "s.tsv", "chunk_size": 0}, "chunk_size"),
    ({"samples": "s.tsv", "copy_number": {"amplification_cn": "five"}}, "copy_number.amplification_cn"),
    ({"samples": "s.tsv", "typo_key": 1}, "(top level)"),
    ({}, "(top level)"),
])
def test_wrong_config_types_name_the_key(bad, key):
    with pytest.raises(ConfigError) as ei:
        validate_config(bad)
    assert key in ei.value.one_line()


def test_config_yaml_syntax_error_names_line(tmp_path):
    p = tmp_path / "config.yaml"
    p.write_text("samples: a.tsv\nreference_build: [GRCh38\n")
    with pytest.raises(ConfigError) as ei:
        load_config(p)
    assert "line" in ei.value.one_line() and "config.yaml" in ei.value.one_line()


def test_sheet_ok_with_comments_and_optional_columns(tmp_path, vcf):
    p = sheet(tmp_path, "# comment\nsample\tvcf\tsex\tmedications\tsecondary_findings\n"
                        "P1\ta.vcf\tF\tCodeine; sertraline\tno\n")
    (row,) = load_sample_sheet(p, cwd=tmp_path)
    assert row.sex == "female" and row.medications == ("Codeine", "sertraline")
    assert row.secondary_findings is False and row.vcfs == (vcf.resolve(),)


def test_sheet_paths_resolve_against_sheet_folder(tmp_path, vcf):
    p = sheet(tmp_path, "sample\tvcf\nP1\ta.vcf\n")
    other = tmp_path / "elsewhere"
    other.mkdir()
    (row,) = load_sample_sheet(p, cwd=other)
    assert row.vcfs == (vcf.resolve(),)


def test_split_vcfs_semicolon(tmp_path, vcf):
    (tmp_path / "b.vcf").write_text("x")
    p = sheet(tmp_path, "sample\tvcf\nP1\ta.vcf;b.vcf\n")
    (row,) = load_sample_sheet(p, cwd=tmp_path)
    assert len(row.vcfs) == 2


@pytest.mark.parametrize("text, needle", [
    ("sample\tsex\nP1\tmale\n", "required column(s) vcf missing"),
    ("sample\tvcf\nP1\ta.vcf\nP1\ta.vcf\n", "repeated"),
    ("sample\tvcf\nP1\tmissing.vcf\n", "does not exist"),
    ("sample\tvcf\tsex\nP1\ta.vcf\tyes\n", "sex"),
    ("sample\tvcf\tsecondary_findings\nP1\ta.vcf\tmaybe\n", "secondary_findings"),
    ("sample\tvcf\tcolour\nP1\ta.vcf\tred\n", "unknown column"),
    ("sample\tvcf\n", "no samples"),
])
def test_bad_sheets_give_one_line_errors(tmp_path, vcf, text, needle):
    p = sheet(tmp_path, text)
    with pytest.raises(SampleSheetError) as ei:
        load_sample_sheet(p, cwd=tmp_path)
    msg = ei.value.one_line()
    assert needle in msg and "samples.tsv" in msg and "\n" not in msg


@pytest.mark.parametrize(("written", "sex"), [
    ("F", "female"), ("female", "female"), (" Male ", "male"), ("m", "male"), ("", "unknown"),
    (None, "unknown"), ("NA", "unknown"), ("u", "unknown"), ("yes", None), ("fem", None),
])
def test_one_sex_normalisation_for_the_sheet_and_the_caller(tmp_path, vcf, written, sex):
    """normalize_sex is the one reading of the sheet's sex column (the caller uses it too)."""
    assert normalize_sex(written) == sex
    if written is not None and written.strip():
        p = sheet(tmp_path, f"sample\tvcf\tsex\nP1\t{vcf}\t{written.strip()}\n")
        if sex is None:
            with pytest.raises(SampleSheetError, match="is not female, male or unknown"):
                load_sample_sheet(p)
        else:
            assert load_sample_sheet(p)[0].sex == sex
