"""The clinician HTML: order, honest empty states, escaping, self-containment."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

import pytest
import report_fixtures as fx

from pgxannot.report import render_html


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def visible_text(html: str) -> str:
    p = parse(re.sub(r"<style>.*?</style>", "", html, flags=re.S))
    return " ".join(" ".join(p.text).split())


def test_sections_in_clinical_order_and_deterministic():
    html = render_html(fx.pgx_report(), previous=fx.sparse_report())
    assert html == render_html(fx.pgx_report(), previous=fx.sparse_report())
    ids = ["summary", "actionable", "drugs", "genes", "germline", "somatic", "limitations",
           "changes", "methods"]
    pos = [html.index(f'id="{i}"') for i in ids]
    assert pos == sorted(pos)


def test_generation_time_is_the_only_varying_value():
    a = fx.pgx_report()
    b = copy.deepcopy(a)
    b["provenance"]["generated_at"] = "2027-06-30T12:00:00+00:00"
    ha, hb = render_html(a), render_html(b)
    assert ha != hb
    assert ha.replace("2026-01-01T00:00:00+00:00", "T") == hb.replace("2027-06-30T12:00:00+00:00", "T")
    assert "Generated: 2026-01-01T00:00:00+00:00" in visible_text(ha)


def test_actionable_now_lists_current_meds_then_high_risk_findings():
    text = visible_text(render_html(fx.pgx_report()))
    block = text[text.index("Actionable now"): text.index("Drug guidance by action")]
    assert block.index("clopidogrel") < block.index("High-risk findings") < block.index("BRCA2")
    assert "Use an alternative" in block
    assert "could not be assessed" in block and "codeine" in block and "simvastatin" in block
    assert "voriconazole" not in block  # not a current medication
    assert "aspirin" in text[: text.index("Actionable now")]  # listed, not recognised


def test_drug_guidance_grouped_by_action_most_urgent_first():
    text = visible_text(render_html(fx.pgx_report()))
    drugs = text[text.index("Drug guidance by action"): text.index("Gene calls")]
    # one order everywhere (pgxannot.vocabulary): guidance not available comes before standard dosing
    order = [drugs.index(lbl) for lbl in ("Use an alternative", "Reduce the dose", "Guidance not available",
                                          "Standard dosing")]
    assert order == sorted(order)
    assert drugs.index("celecoxib") < drugs.index("citalopram") < drugs.index("fluorouracil")


def test_gene_table_shows_every_candidate_missing_positions_and_source():
    html = render_html(fx.pgx_report())
    text = visible_text(html)
    genes = text[text.index("Gene calls"): text.index("Germline findings")]
    assert "*1/*15" in genes and "or *5/*37" in genes and "differs between candidates" in genes
    assert "3 missing" in genes and "chr6:18138997" in genes
    assert "Outside call" in genes and "CYP2D6 needs an outside call" in genes
    lim = text[text.index("Limitations and assumptions"):]
    assert "Genes that need an outside call" in lim and "CYP2D6." in lim
    assert "<details>" in html


def test_sparse_report_says_not_analysed_and_nothing_found_plainly():
    text = visible_text(render_html(fx.sparse_report()))
    assert "No current medications were listed" in text
    assert "No drug guidance in this report" in text
    germ = text[text.index("Germline findings"): text.index("Somatic and copy-number")]
    assert "Not analysed for this sample" in germ
    som = text[text.index("Somatic and copy-number"): text.index("Limitations and assumptions")]
    assert "Not analysed (no copy-number input" in som
    assert som.count("Not analysed for this sample") == 2
    assert "No high-risk findings" in text
    assert "every defining position is absent from the VCF" in text


def test_tumour_report_shows_her2_tiers_and_nothing_found_germline():
    text = visible_text(render_html(fx.tumour_report()))
    assert "ERBB2 (HER2) amplified" in text
    germ = text[text.index("Germline findings"): text.index("Somatic and copy-number")]
    assert "No pathogenic or likely pathogenic germline variants were found in the screened genes" in germ
    assert "were not requested" in germ
    som = text[text.index("Somatic and copy-number"): text.index("Limitations and assumptions")]
    assert "PIK3CA" in som and "alpelisib" in som and "copy number 9.0" in som
    assert "missing_positions_as_reference" in text


def test_germline_shows_clinvar_stars_and_condition():
    html = render_html(fx.pgx_report())
    assert 'aria-label="3 of 4 stars"' in html and "★★★☆" in html
    assert "Hereditary breast and ovarian cancer syndrome" in html
    assert 'href="https://www.ncbi.nlm.nih.gov/clinvar/variation/9322/"' in html


def test_changed_since_last_report():
    old = fx.pgx_report()
    new = copy.deepcopy(old)
    new["genes"][0]["diplotypes"] = ["*1/*2"]
    new["genes"][0]["phenotype"] = "Intermediate Metabolizer"
    new["findings"] = []
    text = visible_text(render_html(new, previous=old))
    changes = text[text.index("Changed since the last report"): text.index("Methods and provenance")]
    assert "CYP2C19" in changes and "Poor Metabolizer → Intermediate Metabolizer" in changes
    assert "no longer reported" in changes
    same = visible_text(render_html(old, previous=old))
    assert "No changes in gene calls, drug guidance, findings or HER2 status" in same
    assert "Changed since the last report" not in visible_text(render_html(old))


def test_provenance_lists_versions_inputs_and_config():
    text = visible_text(render_html(fx.pgx_report()))
    meth = text[text.index("Methods and provenance"):]
    for needle in ("cpic", "v1.54.0", "vcf[0].sha256", "3f1c", "reference_build", "GRCh38",
                   "pgxannot report --sample PATIENT-001"):
        assert needle in meth


# ------------------------------------------------------------------ safety

FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed", "link", "base", "form", "input",
                  "video", "audio", "source", "frame"}


@pytest.mark.parametrize("make", [fx.pgx_report, fx.tumour_report, fx.sparse_report, fx.hostile_report])
def test_self_contained_no_scripts_no_external_loads(make):
    html = render_html(make(), previous=fx.pgx_report())
    tags = parse(html).tags
    assert not {t for t, _ in tags} & FORBIDDEN_TAGS
    for _tag, attrs in tags:
        for name, value in attrs:
            assert not name.startswith("on"), (name, value)
            assert name not in ("src", "srcset", "action", "formaction", "background", "poster")
            if name == "href":
                assert value.startswith("https://") or value.startswith("#"), value
    assert "url(" not in html and "@import" not in html
    csp = [a for t, a in tags if t == "meta" and ("http-equiv", "Content-Security-Policy") in a]
    assert csp and "default-src 'none'" in dict(csp[0])["content"]


def test_hostile_strings_are_escaped_everywhere():
    html = render_html(fx.hostile_report())
    assert "<script" not in html.lower()
    assert "<img" not in html.lower() and "<b>2026" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'onmouseover="alert' not in html
    # the dangerous URLs are shown as text, never linked
    assert "javascript:alert(5)" in html and 'href="javascript' not in html
    assert 'href="data:' not in html and 'href="http://insecure' not in html
    assert "http://insecure.test/" in html
    text = visible_text(html)
    assert 'P<script>alert(1)</script>' in text  # shown literally to the reader


def test_limitations_not_repeated_and_assumptions_deduplicated():
    d = fx.pgx_report()
    d["limitations"].append("CYP2D6 not called: CYP2D6 needs an outside call")
    d["assumptions"] = ["TPMT: 3 defining positions absent from the VCF; *3A/*3B/*3C could not be excluded"]
    text = visible_text(render_html(d))
    lim = text[text.index("Limitations and assumptions"): text.index("Methods and provenance")]
    assert "CYP2D6 not called:" not in lim and "HLA-A and HLA-B are not typed" in lim
    assert lim.count("*3A/*3B/*3C could not be excluded") == 1
