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
    # the generation time and the report date derived from it (header and printed page margins)
    assert (ha.replace("2026-01-01T00:00:00+00:00", "T").replace("2026-01-01", "D")
            == hb.replace("2027-06-30T12:00:00+00:00", "T").replace("2027-06-30", "D"))
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
    for needle in ("cpic", "v1.54.0", "data/PATIENT-001.vcf.gz", "3f1c", "reference_build", "GRCh38"):
        assert needle in meth
    # #15: the job's command line (it named every sample of the job) is not shown
    assert "--sample" not in text and "report --sample" not in text


def test_no_developer_text():
    """#15: 'the only value that changes between identical runs' is for developers, not clinicians."""
    html = render_html(fx.pgx_report()).lower()
    assert "identical runs" not in html and "differs between reruns" not in html


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


# ------------------------------------------------------------------ #15 regressions

def test_drugs_with_guidance_count_excludes_drugs_without_a_recommendation():
    """#15: "Drugs with guidance 111" counted methadone, which has no CPIC recommendation."""
    d = fx.pgx_report()
    d["drugs"].append(fx._drug("methadone", ["CYP2B6"], "no_recommendation", "grey", current=True,
                               classification=None, cpic_level="C",
                               recommendation="No CPIC genotype-based recommendation for methadone."))
    text = visible_text(render_html(d))
    summary = text[text.index("Patient and test summary"): text.index("Actionable now")]
    with_guidance = sum(1 for x in d["drugs"] if x["action"] not in ("not_available", "no_recommendation"))
    assert with_guidance == len(d["drugs"]) - 3
    assert f"Drugs with guidance {with_guidance} (" in summary
    assert "1 without a genotype-based recommendation" in summary and "2 could not be assessed" in summary


def test_source_is_cpic_level_when_the_guideline_link_is_missing():
    """#15: hydralazine's source showed "—" although it is a CPIC level A pair."""
    d = fx.pgx_report()
    d["drugs"].append(fx._drug("hydralazine", ["NAT2"], "increase_dose", "amber", classification="Moderate",
                               recommendation="Use hydralazine at an increased dose.", cpic_level="A"))
    html = render_html(d)
    row = html[html.index("<strong>hydralazine</strong>"):]
    row = row[: row.index("</tr>")]
    cell = visible_text(row.rsplit("<td", 1)[1])
    assert "CPIC level A" in cell and "—" not in cell


def test_two_variants_of_one_gene_give_one_high_risk_card():
    """#15: PKU-002 showed two identical PAH cards."""
    d = fx.pgx_report()
    pah = {**d["findings"][0], "gene": "PAH", "condition": "Phenylketonuria", "incidental": False,
           "interpretation": "Biallelic pathogenic variants; chr12:1:C:T and chr12:2:G:A: consistent with PKU."}
    d["findings"] = [{**pah, "variant": "chr12:1:C:T"}, {**pah, "variant": "chr12:2:G:A"}]
    html = render_html(d)
    block = html[html.index("High-risk findings"): html.index('id="drugs"')]
    assert block.count('<div class="card red">') == 1
    assert "chr12:1:C:T" in block and "chr12:2:G:A" in block
    assert block.count("consistent with PKU") == 1


def test_print_css_page_margins_hyphenation_and_open_details():
    html = render_html(fx.pgx_report())
    style = html[html.index("<style>"): html.index("</style>")]
    assert '@top-left { content: "Patient PATIENT-001"; }' in style
    assert '@top-right { content: "Report date 2026-01-01"; }' in style
    assert 'counter(page) " of " counter(pages)' in style
    assert "size: A4" in style and "hyphens: auto" in style
    assert "overflow-wrap: anywhere" not in style  # broke words mid-word ("mercaptopuri|ne")
    assert "details::details-content { content-visibility: visible" in style
    assert '<html lang="en">' in html


def test_page_label_cannot_break_out_of_the_style_element():
    html = render_html(fx.hostile_report())
    style = html[html.index("<style>"): html.index("</style>")]
    assert "<script" not in style.lower() and "\\00003c" in style


def test_evidence_by_tumour_type_does_not_support_labelled_other_types_in_appendix():
    html = render_html(fx.tumour_report())
    text = visible_text(html)
    somatic = text[text.index("Somatic and copy-number findings"): text.index("Limitations and assumptions")]
    assert "Therapy evidence in breast" in somatic and "trastuzumab" in somatic
    assert "Does not support sensitivity/response" in somatic  # afatinib, labelled
    assert "irinotecan" not in somatic.lower() and "cetuximab" not in somatic.lower()
    assert "2 therapy evidence items in other tumour types" in somatic
    appendix = text[text.index("Appendix B:"):]
    assert appendix.index("Colorectal Cancer") < appendix.index("cetuximab")
    assert "Lung Small Cell Carcinoma" in appendix and "trastuzumab + irinotecan" in appendix
    assert "Resistance" in appendix


def test_per_gene_detail_from_the_report_positions():
    html = render_html(fx.tumour_report())
    text = visible_text(html)
    appendix = text[text.index("Appendix A: per-gene detail"): text.index("Appendix B:")]
    assert "rs3918290" in appendix and "C/T" in appendix and "c.1905+1G>A" in appendix
    assert "not in the input" in appendix and "c.1679T>G (*13)" in appendix
    assert "could not be assessed" in appendix
    assert "3 positions: 1 variant, 1 missing, 1 reference" in appendix
    assert 'class="pos-missing"' in html and 'class="pos-reference"' in html
    assert "Reference" in appendix and "Normal function" in appendix


def test_a_compact_groups_reason_ending_in_a_full_stop_reads_without_stop_colon():
    r = fx.pgx_report()
    r["drugs"].append({"drug": "zzdrug", "genes": ["DPYD"], "classification": None, "action": "not_assessable",
                       "current_medication": False, "traffic_light": "grey",
                       "recommendation": "Not assessable: DPYD was called with 3 defining positions missing. CPIC Strong.",
                       "reason": None})
    page = render_html(r)
    assert "CPIC Strong: <strong>zzdrug</strong>" in page and ".: <strong>" not in page
