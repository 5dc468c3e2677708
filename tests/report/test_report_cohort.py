"""Cohort summary page and calls.tsv."""

from __future__ import annotations

import json
import re

import pytest
import report_fixtures as fx

from pgxannot.errors import OutputError
from pgxannot.report import TSV_COLUMNS, render_cohort, render_tsv
from pgxannot.report.cohort import calls_tsv, safe_link, write_cohort


def test_cohort_summary_and_tsv():
    reports = fx.all_reports()
    links = {"PATIENT-001": "../reports/PATIENT-001.html", "T001-BRCA": "../reports/T001-BRCA.html",
             "EMPTY-1": "javascript:alert(1)"}
    html = render_cohort(reports, report_links=links)
    tsv = "".join(calls_tsv(reports))
    assert (html, tsv) == (render_cohort(fx.all_reports(), report_links=links), "".join(calls_tsv(fx.all_reports())))
    # calls.tsv = every sample's rows under one header
    lines = tsv.splitlines()
    assert lines[0] == "\t".join(TSV_COLUMNS)
    assert len(lines) - 1 == sum(len(render_tsv(d).splitlines()) - 1 for d in reports)
    # links: safe relative links kept, javascript: dropped
    assert 'href="../reports/PATIENT-001.html"' in html
    assert "javascript:" not in html
    # attention list holds both samples with actionable current meds / high-risk findings
    attention = html[html.index('id="attention"'): html.index('id="callrates"')]
    assert "PATIENT-001" in attention and "T001-BRCA" in attention and "EMPTY-1" not in attention
    assert "clopidogrel" in attention and "capecitabine" in attention and "ERBB2 amplified" in attention
    # call rates: CYP2C19 called in 1 of 2 samples
    rates = html[html.index('id="callrates"'): html.index('id="phenotypes"')]
    row = re.search(r"<strong>CYP2C19</strong>.*?</tr>", rates, re.S).group(0)
    assert "50.0%" in row
    # phenotype charts as inline SVG with counts
    pheno = html[html.index('id="phenotypes"'): html.index('id="hotspots"')]
    assert pheno.count("<svg") == 8 and "Poor Metabolizer" in pheno and "1 (50%)" in pheno
    # missing-position hot spots: most frequent first, ties by gene then position
    hot = html[html.index('id="hotspots"'): html.index('id="samples"')]
    assert hot.index("chr10:94761900") < hot.index("chr10:94781859") < hot.index("chr6:18130687")
    more = render_cohort([*reports, fx.pgx_report() | {"sample": "PATIENT-002"}], report_links={})
    hot2 = more[more.index('id="hotspots"'): more.index('id="samples"')]
    assert hot2.index("chr6:18130687") < hot2.index("chr10:94761900")
    assert re.search(r"chr6:18130687</td><td>TPMT</td><td class=\"num\">2</td><td class=\"num\">50%", hot2)
    assert "<script" not in html and "src=" not in html


def test_empty_cohort_renders():
    html = render_cohort([], report_links={})
    assert "0 samples" in html and "No samples." in html
    assert "".join(calls_tsv([])) == "\t".join(TSV_COLUMNS) + "\n"


def test_write_cohort_streams_the_one_calls_table(tmp_path):
    """calls.tsv as written from report files is calls_tsv of those reports (one writer), in
    the order of the file names, and no temporary file is left."""
    reports = fx.all_reports()
    paths = []
    for d in reports:
        paths.append(tmp_path / "reports" / f"{d['sample']}.json")
        paths[-1].parent.mkdir(exist_ok=True)
        paths[-1].write_text(json.dumps(d), encoding="utf-8")
    html, tsv = tmp_path / "cohort" / "summary.html", tmp_path / "cohort" / "calls.tsv"
    write_cohort(list(reversed(paths)), html=html, tsv=tsv, reports_dir=tmp_path / "reports")
    by_name = [d for _, d in sorted(zip(paths, reports, strict=True))]
    assert tsv.read_text(encoding="utf-8") == "".join(calls_tsv(by_name))
    assert 'href="../reports/PATIENT-001.html"' in html.read_text(encoding="utf-8")
    assert sorted(p.name for p in html.parent.iterdir()) == ["calls.tsv", "summary.html"]


def test_an_unreadable_report_fails_the_cohort_and_leaves_no_table(tmp_path):
    bad = tmp_path / "S1.json"
    bad.write_text("{not json", encoding="utf-8")
    tsv = tmp_path / "cohort" / "calls.tsv"
    with pytest.raises(OutputError, match="report is not valid JSON"):
        write_cohort([bad], html=tmp_path / "cohort" / "summary.html", tsv=tsv, reports_dir=tmp_path)
    assert list(tsv.parent.iterdir()) == []


def test_safe_link():
    assert safe_link("../reports/S 1.html") == "../reports/S%201.html"
    assert safe_link("https://example.org/r.html") == "https://example.org/r.html"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x", "http://x", "//evil.test/x",
                "file:///etc/passwd", "", None, "..\\x"):
        assert safe_link(bad) is None, bad
