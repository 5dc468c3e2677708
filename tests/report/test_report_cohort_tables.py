"""Cohort files merged from the annotation jobs' per-chunk parts (biobank scale, #19)."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
import report_fixtures as fx

from pgxannot.errors import ConfigError, OutputError
from pgxannot.report.cohort import _phenotype_label, write_cohort
from pgxannot.report.cohort_tables import COHORT_FILES, ChunkParts, cohort_command, merge_parts
from pgxannot.report.common import light_of
from pgxannot.sample_ids import file_stem


def _write_parts(tmp_path, chunks):
    """Each chunk's parts as an annotation job writes them; returns the part files."""
    files = []
    for name, reports in chunks.items():
        parts = ChunkParts(links=True)
        for d in reports:
            parts.add(d)
        jsonl, tsv = parts.texts()
        (tmp_path / f"{name}.cohort.jsonl").write_text(jsonl)
        (tmp_path / f"{name}.calls.tsv").write_text(tsv)
        files += [tmp_path / f"{name}.cohort.jsonl", tmp_path / f"{name}.calls.tsv"]
    return files


def _direct_cohort(tmp_path, reports):
    """Each report written under its file name, and the cohort files written from them (the
    reference the merged parts must equal); returns the reports folder and the cohort folder."""
    reports_dir = tmp_path / "reports"
    reports_dir.mkdir()
    for d in reports:
        (reports_dir / f"{file_stem(d['sample'])}.json").write_text(json.dumps(d))
    direct = tmp_path / "direct"
    write_cohort(sorted(reports_dir.glob("*.json")), html=direct / "summary.html", tsv=direct / "calls.tsv",
                 reports_dir=reports_dir)
    return reports_dir, direct


def test_merged_parts_are_the_cohort_of_the_reports(tmp_path):
    """Page and calls.tsv from two chunks' parts equal those written from every report file,
    whichever chunk a patient was in; the counts are those of the reports."""
    reports = fx.all_reports()
    reports_dir, direct = _direct_cohort(tmp_path, reports)
    parts = _write_parts(tmp_path, {"g001c002": reports[:1], "g001c001": reports[1:]})
    out = tmp_path / "cohort"
    merge_parts(parts, out_dir=out, reports_dir=reports_dir)
    assert sorted(p.name for p in out.iterdir()) == sorted(COHORT_FILES)
    for name in ("summary.html", "calls.tsv"):
        assert (out / name).read_text() == (direct / name).read_text(), name
    phen = Counter((g["gene"], _phenotype_label(g)) for d in reports for g in d["genes"])
    rows = [ln.split("\t") for ln in (out / "phenotypes.tsv").read_text().splitlines()[1:]]
    assert {(g, p): int(n) for g, p, n, _ in rows} == phen
    drugs = Counter((x["drug"], x["action"], light_of(x)) for d in reports for x in d["drugs"])
    rows = [ln.split("\t") for ln in (out / "drug_actions.tsv").read_text().splitlines()[1:]]
    assert {(d, a, lt): int(n) for d, a, lt, n, _, _ in rows} == drugs
    current = sum(1 for d in reports for x in d["drugs"] if x["current_medication"])
    assert current > 0 and sum(int(r[5]) for r in rows) == current


def test_without_html_reports_the_page_links_none(tmp_path):
    parts = ChunkParts(links=False)
    for d in fx.all_reports():
        parts.add(d)
    jsonl, tsv = parts.texts()
    (tmp_path / "c.cohort.jsonl").write_text(jsonl)
    (tmp_path / "c.calls.tsv").write_text(tsv)
    merge_parts([tmp_path / "c.cohort.jsonl"], out_dir=tmp_path / "out", reports_dir=tmp_path / "reports")
    page = (tmp_path / "out" / "summary.html").read_text()
    assert "<td>PATIENT-001" in page or "PATIENT-001" in page
    assert not re.search(r'href="[^"]*\.html"', page), "no link to an HTML report that was not written"


def test_a_truncated_part_is_one_error_naming_it(tmp_path):
    parts = _write_parts(tmp_path, {"c": fx.all_reports()})
    parts[0].write_text("")
    with pytest.raises(OutputError, match=r"c\.cohort\.jsonl"):
        merge_parts(parts, out_dir=tmp_path / "out", reports_dir=tmp_path)
    assert not (tmp_path / "out" / "summary.html").exists()


def test_cohort_command_needs_reports_or_parts(tmp_path):
    with pytest.raises(ConfigError, match="--parts"):
        cohort_command([], html=None, tsv=None, parts=None, out_dir=tmp_path, reports_dir=tmp_path)


def test_merged_parts_link_and_order_patients_by_their_file_names(tmp_path):
    """Unsafe sample ids (pgxannot.sample_ids): the merged page links each patient's report
    under its file name and lists patients in file-name order, as the page written from the
    report files does ('B/1' sorts before 'B0', its file name 'B_1~...' after)."""
    reports = [dict(d, sample=s) for d, s in zip(fx.all_reports(), ["B/1", "B0", "LAB 2024/001"], strict=True)]
    reports_dir, direct = _direct_cohort(tmp_path, reports)
    out = tmp_path / "cohort"
    merge_parts(_write_parts(tmp_path, {"g001c001": reports[:2], "g001c002": reports[2:]}), out_dir=out,
                reports_dir=reports_dir)
    page = (out / "summary.html").read_text()
    assert 'href="../reports/LAB_2024_001~86c16385.html"' in page
    for name in ("summary.html", "calls.tsv"):
        assert (out / name).read_text() == (direct / name).read_text(), name
