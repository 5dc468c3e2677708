"""The report shows CPIC and DPWG side by side: HTML card, JSON recommendations[], TSV
rows by source; the DPWG snapshot is named; DPWG-only drugs appear."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from pgxannot.guidance.sources import guide
from pgxannot.kb.cpic import load_guidance_kb
from pgxannot.kb.dpwg import load_dpwg_kb
from pgxannot.pgx.model import GeneCall
from pgxannot.pgx.phenotype import describe
from pgxannot.report import render_html, render_tsv, validate_report

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from report_fixtures import pgx_report


def _report(calls: list[GeneCall], meds: list[str]) -> dict:
    d = copy.deepcopy(pgx_report())
    g = guide(calls, meds, cpic=load_guidance_kb(), dpwg=load_dpwg_kb())
    d["drugs"] = g.drugs
    d["medications"] = g.medications()
    d["patient"]["medications"] = meds
    kb = load_dpwg_kb()
    d["provenance"]["knowledge_base"]["dpwg"] = {"source": "DPWG guidelines as annotated by PharmGKB",
                                                 "version": kb.version["version"], "date": kb.version["date"],
                                                 "origin": "bundled"}
    return d


@pytest.fixture(scope="module")
def report() -> dict:
    cyp2c19 = describe("CYP2C19", ["*2", "*2"])
    cyp2c9 = describe("CYP2C9", ["*3", "*3"])
    calls = [GeneCall("CYP2C19", "called", (cyp2c19,), cyp2c19.phenotype, None, (), "vcf"),
             GeneCall("CYP2C9", "called", (cyp2c9,), cyp2c9.phenotype, cyp2c9.activity_score, (), "vcf")]
    return _report(calls, ["clopidogrel", "siponimod"])


def test_the_report_validates_against_the_schema(report):
    validate_report(report)


def test_html_shows_both_bodies_and_the_snapshot(report):
    html = render_html(report)
    assert "DPWG (Dutch Pharmacogenetics Working Group)" in html
    assert "DPWG snapshot" in html and "about 2022" in html
    actionable = html.split('id="actionable"')[1].split("</section>")[0]
    assert "siponimod" in actionable and "Avoid siponimod." in actionable  # DPWG-only, current, red
    assert "For PCI, a stroke or a TIA" in actionable  # DPWG's clopidogrel advice beside CPIC's


def test_html_says_when_the_bodies_differ(report):
    d = next(x for x in report["drugs"] if x["guidelines_differ"])
    assert d["difference"] in render_html(report).replace("&#39;", "'")


def test_tsv_rows_name_their_source(report):
    lines = render_tsv(report).splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, ln.split("\t"), strict=True)) for ln in lines[1:]]
    clop = [r for r in rows if r["section"] == "drug" and r["drug"] == "clopidogrel"]
    assert {r["source"] for r in clop} == {"CPIC", "DPWG"}
    sip = [r for r in rows if r["section"] == "drug" and r["drug"] == "siponimod"]
    # CPIC lists siponimod (a current medication) as a pair without recommendation rows: DPWG's avoid leads
    assert [(r["source"], r["status"], r["traffic_light"]) for r in sip] == [
        ("DPWG", "avoid", "red"), ("CPIC", "no_recommendation", "grey")]
    assert "CPIC and DPWG differ for siponimod" in sip[0]["note"]


def test_json_recommendations_carry_their_source(report):
    clop = next(x for x in report["drugs"] if x["drug"] == "clopidogrel")
    assert {r["source"] for r in clop["recommendations"]} == {"CPIC", "DPWG"}
    json.dumps(report)  # plain data


def test_fhir_has_one_therapeutic_implication_per_source(report):
    from pgxannot.report import render_fhir

    bundle = json.loads(render_fhir(report))
    sources: dict[str, set[str]] = {}
    for e in bundle["entry"]:
        res = e["resource"]
        drug = next((c["valueCodeableConcept"]["text"] for c in res.get("component") or []
                     if c["code"].get("coding", [{}])[0].get("code") == "51963-7"), None)
        if drug is None:
            continue
        [citation] = [x["valueRelatedArtifact"] for x in res["extension"]]  # every implication names its body
        sources.setdefault(drug, set()).add(citation["label"].split()[0])
        if citation["label"].startswith("DPWG"):
            assert "DPWG DPWG" not in citation["label"]
            assert citation["url"].startswith("https://www.pharmgkb.org/guidelineAnnotation/PA")
            assert any("DPWG snapshot" in n["text"] for n in res["note"])
    assert sources["clopidogrel"] == {"CPIC", "DPWG"}
    assert sources["siponimod"] == {"CPIC", "DPWG"}
    notes = json.dumps(bundle)
    assert "DPWG snapshot" in notes
