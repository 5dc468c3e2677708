"""Hand-made per-sample report dicts (the shape the report layer renders).

Three realistic cases: a pharmacogenomic report with current medications and an
incidental germline finding; a breast tumour with HER2 amplification and somatic
evidence; a sparse report where little could be analysed.
"""

from __future__ import annotations

import copy
from typing import Any

CPIC_CLOPIDOGREL = {
    "name": "CPIC Guideline for CYP2C19 and Clopidogrel Therapy: 2022 update",
    "url": "https://cpicpgx.org/guidelines/guideline-for-clopidogrel-and-cyp2c19/",
    "pmids": ["35034351"],
}


def _gene(gene: str, status: str, diplotypes: list[str], phenotype: str | None,
          activity: str | None = None, missing: list[str] | None = None, source: str = "vcf",
          reason: str | None = None, candidates: list[dict[str, Any]] | None = None,
          variants: list[str] | None = None, warnings: list[str] | None = None) -> dict[str, Any]:
    if candidates is None:
        candidates = [{"diplotype": d, "alleles": d.split("/"), "functions": [None, None],
                       "phenotype": phenotype, "activity_score": activity, "lookup_key": phenotype}
                      for d in diplotypes]
    return {
        "gene": gene, "status": status, "diplotypes": diplotypes, "phenotype": phenotype,
        "activity_score": activity, "missing_positions": missing or [], "source": source,
        "reason": reason, "candidates": candidates, "variants": variants or [],
        "warnings": warnings or [],
    }


def _drug(drug: str, genes: list[str], action: str, light: str, *, current: bool = False,
          classification: str | None = "Strong", recommendation: str | None = None,
          dose: int | None = None, lookup: dict[str, str] | None = None,
          guideline: dict[str, Any] | None = None, reason: str | None = None,
          cpic_level: str | None = "A") -> dict[str, Any]:
    return {
        "drug": drug, "genes": genes, "classification": classification, "action": action,
        "current_medication": current, "traffic_light": light, "recommendation": recommendation,
        "dose_change_percent": dose, "lookup": lookup or {}, "population": "general",
        "cpic_level": cpic_level, "fda_label": None, "guideline": guideline, "reason": reason,
        "cpic_text": None, "other_populations": [],
    }


def _provenance(sample: str, vcf: str) -> dict[str, Any]:
    return {
        "pgxannot_version": "0.1.0",
        "knowledge_base": {"cpic": "v1.54.0", "pharmcat_definitions": "2025-11-05",
                           "clinvar": "2026-07 panel", "civic": "2021-08-01"},
        "inputs": {"vcf": [{"path": vcf, "sha256": "3f1c" + "0" * 60}],
                   "sample_sheet": {"path": "config/samples.tsv", "sha256": "ab12" + "1" * 60}},
        "config": {"reference_build": "GRCh38", "missing_positions_as_reference": False},
        "command": ["pgxannot", "report", "--sample", sample],
        "generated_at": "2026-01-01T00:00:00+00:00",
    }


def pgx_report() -> dict[str, Any]:
    """A germline PGx report: CYP2C19 poor metabolizer on clopidogrel, CYP2D6 needs an outside call."""
    return {
        "sample": "PATIENT-001",
        "patient": {"sex": "female", "medications": ["clopidogrel", "codeine", "simvastatin", "aspirin"],
                    "tumor_type": None, "secondary_findings": True},
        "genes": [
            _gene("CYP2C19", "called", ["*2/*2"], "Poor Metabolizer",
                  variants=["chr10:94781859:G:A hom"]),
            _gene("CYP2C9", "called", ["*1/*3"], "Intermediate Metabolizer", "1.0",
                  variants=["chr10:94981296:A:C het"]),
            _gene("CYP2D6", "not_called", [], None, source="none",
                  reason="CYP2D6 needs an outside call: structural variants and copy number are not visible in a VCF"),
            _gene("SLCO1B1", "ambiguous", ["*1/*15", "*5/*37"], None,
                  candidates=[
                      {"diplotype": "*1/*15", "alleles": ["*1", "*15"], "functions": ["Normal function", "No function"],
                       "phenotype": "Decreased Function", "activity_score": None, "lookup_key": "Decreased Function"},
                      {"diplotype": "*5/*37", "alleles": ["*5", "*37"], "functions": ["No function", "Normal function"],
                       "phenotype": "Poor Function", "activity_score": None, "lookup_key": "Poor Function"},
                  ],
                  reason="phase of chr12:21178615 and chr12:21176804 unknown"),
            _gene("TPMT", "called", ["*1/*1"], "Normal Metabolizer",
                  missing=["chr6:18130687", "chr6:18138997", "chr6:18139027"],
                  warnings=["3 defining positions absent from the VCF; *3A/*3B/*3C could not be excluded"]),
            _gene("G6PD", "outside_call", ["B/B"], "Normal", source="outside_call"),
            _gene("DPYD", "called", ["Reference/Reference"], "Normal Metabolizer", "2.0"),
        ],
        "drugs": [
            _drug("clopidogrel", ["CYP2C19"], "use_alternative", "red", current=True,
                  recommendation="Poor metabolizer: clopidogrel is expected to be much less effective; choose prasugrel or ticagrelor if not contraindicated.",
                  lookup={"CYP2C19": "Poor Metabolizer"}, guideline=CPIC_CLOPIDOGREL),
            _drug("codeine", ["CYP2D6"], "not_available", "grey", current=True, classification=None,
                  reason="CYP2D6 was not called (needs an outside call)."),
            _drug("simvastatin", ["SLCO1B1"], "not_available", "grey", current=True, classification=None,
                  reason="SLCO1B1 call is ambiguous and the candidates lead to different recommendations."),
            _drug("voriconazole", ["CYP2C19"], "use_alternative", "red", classification="Moderate",
                  recommendation="Choose an antifungal not metabolized by CYP2C19.",
                  lookup={"CYP2C19": "Poor Metabolizer"}),
            _drug("citalopram", ["CYP2C19"], "reduce_dose", "amber", classification="Moderate", dose=-50,
                  recommendation="Start at half the usual dose and titrate, or choose an alternative.",
                  lookup={"CYP2C19": "Poor Metabolizer"}),
            _drug("celecoxib", ["CYP2C9"], "reduce_dose", "amber", classification="Moderate", dose=-25,
                  recommendation="Start at the lowest recommended dose; titrate cautiously.",
                  lookup={"CYP2C9": "1.0"}),
            _drug("fluorouracil", ["DPYD"], "standard_dosing", "green",
                  recommendation="Standard starting dose.", lookup={"DPYD": "2.0"}),
        ],
        "medications": {"recognized": ["clopidogrel", "codeine", "simvastatin"], "not_recognized": [{"name": "aspirin", "suggestions": []}]},
        "findings": [
            {
                "category": "germline", "gene": "BRCA2", "variant": "chr13:32340300:GT:G",
                "classification": "Pathogenic", "zygosity": "heterozygous",
                "condition": "Hereditary breast and ovarian cancer syndrome",
                "evidence": [{"source": "ClinVar", "id": "9322", "detail": "reviewed by expert panel",
                              "url": "https://www.ncbi.nlm.nih.gov/clinvar/variation/9322/"}],
                "interpretation": "Heterozygous pathogenic BRCA2 variant: refer to clinical genetics.",
                "inheritance": "AD", "stars": 3, "review_status": "reviewed by expert panel",
                "tier": None, "therapies": [], "copy_number": None, "incidental": True,
                "phase_known": None, "high_risk": True,
            },
        ],
        "her2_status": None,
        "limitations": ["HLA-A and HLA-B are not typed from a VCF; give outside calls for abacavir, carbamazepine and allopurinol guidance."],
        "assumptions": [],
        "provenance": _provenance("PATIENT-001", "data/PATIENT-001.vcf.gz"),
    }


def tumour_report() -> dict[str, Any]:
    """A breast tumour: ERBB2 amplified, PIK3CA H1047R, DPYD intermediate on capecitabine."""
    return {
        "sample": "T001-BRCA",
        "patient": {"sex": "female", "medications": ["capecitabine"], "tumor_type": "breast",
                    "secondary_findings": "no"},
        "genes": [
            {**_gene("DPYD", "called", ["Reference/c.1905+1G>A"], "Intermediate Metabolizer", "1.0",
                     variants=["chr1:97450058:C:T het"]),
             "positions": [
                 {"position": "chr1:97450058", "rsid": "rs3918290", "ref": "C", "genotype": "C/T",
                  "alleles": ["c.1905+1G>A"]},
                 {"position": "chr1:97515839", "rsid": "rs55886062", "ref": "T", "genotype": None,
                  "alleles_not_assessed": ["c.1679T>G (*13)"]},
                 {"position": "chr1:97547947", "rsid": "rs67376798", "ref": "T", "genotype": "T/T"},
             ],
             "allele_functions": {"Reference": "Normal function", "c.1905+1G>A": "No function"}},
            _gene("UGT1A1", "called", ["*1/*28"], "Intermediate Metabolizer"),
        ],
        "drugs": [
            _drug("capecitabine", ["DPYD"], "reduce_dose", "amber", current=True, dose=-50,
                  recommendation="Start at half the standard dose, then titrate by toxicity or drug levels.",
                  lookup={"DPYD": "1.0"},
                  guideline={"name": "CPIC Guideline for Fluoropyrimidines and DPYD", "url": "https://cpicpgx.org/guidelines/guideline-for-fluoropyrimidines-and-dpyd/", "pmids": ["29152729"]}),
            _drug("fluorouracil", ["DPYD"], "reduce_dose", "amber", dose=-50,
                  recommendation="Start at half the standard dose, then titrate.", lookup={"DPYD": "1.0"}),
            _drug("irinotecan", ["UGT1A1"], "standard_dosing", "green", classification="Moderate",
                  recommendation="Standard starting dose.", lookup={"UGT1A1": "Intermediate Metabolizer"}),
        ],
        "medications": {"recognized": ["capecitabine"], "not_recognized": []},
        "findings": [
            {
                "category": "somatic", "gene": "PIK3CA", "variant": "chr3:179234297:A:G",
                "classification": "Oncogenic", "zygosity": None, "condition": "breast cancer",
                "evidence": [{"source": "CIViC", "id": "EID1234", "detail": "predictive, level A"}],
                "interpretation": "PIK3CA H1047R: hotspot activating mutation.", "inheritance": None,
                "stars": None, "review_status": None, "tier": "I",
                "therapies": [{"therapy": "alpelisib + fulvestrant", "evidence_level": "A",
                               "significance": "sensitivity", "tumor_type": "breast", "citation": "PMID 31091374"}],
                "copy_number": None, "incidental": False, "phase_known": None, "high_risk": True,
            },
            {
                "category": "copy_number", "gene": "ERBB2", "variant": "chr17:39688094-39728658",
                "classification": "amplified", "zygosity": None, "condition": "breast cancer",
                "evidence": [{"source": "CIViC", "id": "EID9876", "detail": "ERBB2 amplification predicts trastuzumab response"}],
                "interpretation": "ERBB2 amplified (9 copies): HER2-positive.", "inheritance": None,
                "stars": None, "review_status": None, "tier": "I",
                "therapies": [{"therapy": "trastuzumab", "evidence_level": "A", "significance": "sensitivity",
                               "tumor_type": "breast", "citation": "PMID 11248153",
                               "direction": "supports", "in_tumour_type": True},
                              {"therapy": "afatinib", "evidence_level": "B",
                               "significance": "Sensitivity/Response (evidence does not support)",
                               "tumor_type": "Her2-receptor Positive Breast Cancer", "citation": "PMID 26822398",
                               "direction": "does_not_support", "in_tumour_type": True},
                              {"therapy": "trastuzumab + irinotecan", "evidence_level": "C",
                               "significance": "Sensitivity/Response", "tumor_type": "Lung Small Cell Carcinoma",
                               "citation": "PMID 25601188", "direction": "supports", "in_tumour_type": False},
                              {"therapy": "cetuximab", "evidence_level": "B", "significance": "Resistance",
                               "tumor_type": "Colorectal Cancer", "citation": "PMID 22586653",
                               "direction": "supports", "in_tumour_type": False}],
                "copy_number": 9.0, "incidental": False, "phase_known": None, "high_risk": True,
            },
        ],
        "her2_status": "amplified",
        "limitations": [],
        "assumptions": ["Positions absent from the VCF were counted as reference (missing_positions_as_reference: true)."],
        "provenance": _provenance("T001-BRCA", "data/T001-BRCA.vcf.gz"),
    }


def sparse_report() -> dict[str, Any]:
    """Only the contract minimum plus little else: nothing to act on, germline not analysed."""
    return {
        "sample": "EMPTY-1",
        "genes": [_gene("CYP2C19", "not_called", [], None, source="none",
                        missing=["chr10:94761900", "chr10:94781859"],
                        reason="every defining position is absent from the VCF")],
        "drugs": [],
        "findings": [],
        "analyses": {"germline": False},
        "provenance": {"pgxannot_version": "0.1.0", "knowledge_base": {}, "inputs": {}},
    }


def all_reports() -> list[dict[str, Any]]:
    return [pgx_report(), tumour_report(), sparse_report()]


HOSTILE = '<script>alert(1)</script>"\' onmouseover="alert(2)" &amp;'


def hostile_report() -> dict[str, Any]:
    """Every free-text field holds markup or a dangerous URL."""
    d = copy.deepcopy(pgx_report())
    d["sample"] = "P<script>alert(1)</script>"
    d["patient"]["medications"].append(HOSTILE)
    d["patient"]["tumor_type"] = '" onmouseover="alert(3)'
    d["medications"]["not_recognized"].append({"name": HOSTILE, "suggestions": [HOSTILE]})
    d["genes"][0]["reason"] = HOSTILE
    d["genes"][0]["gene"] = "CYP2C19<img src=x onerror=alert(4)>"
    d["drugs"][0]["recommendation"] = HOSTILE
    d["drugs"][0]["guideline"] = {"name": "evil", "url": "javascript:alert(5)", "pmids": []}
    d["drugs"][1]["guideline"] = {"name": "evil2", "url": 'https://x.test/" onmouseover="alert(6)', "pmids": []}
    d["drugs"][3]["guideline"] = {"name": "plain http", "url": "http://insecure.test/", "pmids": []}
    d["findings"][0]["condition"] = '" onmouseover="alert(7)'
    d["findings"][0]["evidence"][0]["url"] = "data:text/html,<script>alert(8)</script>"
    d["limitations"].append(HOSTILE)
    d["provenance"]["inputs"]["vcf"][0]["path"] = "</td><script>alert(9)</script>"
    d["provenance"]["generated_at"] = "<b>2026</b>"
    return d
