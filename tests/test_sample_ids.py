"""Any sample id the VCF allows: safe, reversible output file names (pgxannot.sample_ids)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgxannot import sample_ids
from pgxannot.config import load_sample_sheet
from pgxannot.errors import SampleSheetError
from pgxannot.report.history import history_path
from pgxannot.sample_ids import file_stem, is_safe, slug

SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
# anything a VCF sample column may hold: no tab, no line break
VCF_IDS = st.text(st.characters(blacklist_characters="\t\n\r", blacklist_categories=("Cs",)),
                  min_size=1, max_size=80)


@pytest.mark.parametrize("sample", ["BC-001", "PKU-002", "HG00096", "NA18526", "S1", "a.b_c-d"])
def test_an_id_that_is_already_safe_keeps_its_file_name(sample):
    assert is_safe(sample)
    assert file_stem(sample) == sample


@pytest.mark.parametrize(("sample", "readable"), [
    ("LAB 2024/001", "LAB_2024_001"),
    ("P1<i>", "P1_i"),
    ("Müller-07", "Muller-07"),
    ("../../etc/evil", "etc_evil"),
    (".hidden", "hidden"),
    ("<script>alert(1)</script>", "script_alert_1_script"),
    ("患者 1", "1"),
    ("-rf", "rf"),
    ("<>", "sample"),
])
def test_other_ids_get_a_readable_slug_and_a_hash(sample, readable):
    stem = file_stem(sample)
    assert stem.startswith(readable + "~") and len(stem) == len(readable) + 9
    assert SAFE_FILE_NAME.match(stem) and "/" not in stem and ".." not in stem


def test_two_ids_with_the_same_slug_get_different_file_names():
    a, b = "LAB 2024/001", "LAB_2024/001"
    assert slug(a) == slug(b)
    assert file_stem(a) != file_stem(b)


@given(VCF_IDS)
def test_every_id_gets_a_safe_name_that_stays_in_its_folder(sample):
    stem = file_stem(sample)
    assert SAFE_FILE_NAME.match(stem), stem
    assert len(stem.encode()) <= 128 + 1  # + extensions stays far below NAME_MAX (255)
    folder = Path("/results/reports")
    assert (folder / f"{stem}.html").resolve().parent == folder


@given(VCF_IDS, VCF_IDS)
def test_different_ids_get_different_names(a, b):
    if a != b:
        assert file_stem(a) != file_stem(b) or sample_ids.short_hash(a) == sample_ids.short_hash(b)


@given(VCF_IDS)
def test_no_hashed_name_is_another_safe_id(sample):
    """'~' never occurs in a safe id: a hashed name cannot be the name of a safe sample."""
    stem = file_stem(sample)
    assert is_safe(sample) or (not is_safe(stem) and sample_ids.HASH_SEPARATOR in stem)


def _sheet(tmp_path: Path, names: list[str]) -> Path:
    (tmp_path / "a.vcf").write_text("##fileformat=VCFv4.2\n")
    p = tmp_path / "samples.tsv"
    p.write_text("sample\tvcf\n" + "".join(f"{n}\ta.vcf\n" for n in names), encoding="utf-8")
    return p


def test_the_sheet_accepts_ids_with_spaces_slashes_markup_and_unicode(tmp_path):
    names = ["LAB 2024/001", "P1<i>", "Müller-07", "../../x", "LAB_2024/001", "BC-001"]
    rows = load_sample_sheet(_sheet(tmp_path, names), cwd=tmp_path)
    assert [r.sample for r in rows] == names
    assert rows[-1].file_stem == "BC-001"
    assert len({r.file_stem for r in rows}) == len(rows)
    # the report history follows the file name, never the raw id
    assert history_path(tmp_path / "results" / "reports", "../../x").parent == tmp_path / "results" / "history"


def test_a_file_name_collision_is_a_sheet_error(tmp_path, monkeypatch):
    monkeypatch.setattr(sample_ids, "short_hash", lambda s: "00000000")
    with pytest.raises(SampleSheetError) as ei:
        load_sample_sheet(_sheet(tmp_path, ["LAB 1", "LAB/1"]), cwd=tmp_path)
    assert "same file name" in ei.value.one_line() and "line 3" in ei.value.one_line()
