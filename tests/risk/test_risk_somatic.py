"""Somatic CIViC evidence, tiers and the chemotherapy PGx cross-check."""

from __future__ import annotations

import numpy as np

from pgxannot.risk.somatic import (
    chemo_pgx_crossref,
    hgvsp_to_short,
    somatic_findings,
    tier_of,
    tumour_matches,
)
from pgxannot.vcf.model import VariantRecord


def _rec(chrom, pos, ref, alt, info=None, gt=(0, 1)):
    return VariantRecord(chrom, pos, ref, (alt,), np.array([gt], dtype=np.int16),
                         np.array([False]), info or {})


def test_pcgr_breast_pik3ca_h1047r(risk_kb, shared_data, read_records):
    records = read_records(shared_data / "onco" / "pcgr" / "T001-BRCA.grch38.vcf.gz")
    assert len(records) == 196
    found = somatic_findings(records, risk_kb, tumor_type="breast", sample_index=0)
    pik = next(f for f in found if f["gene"] == "PIK3CA")
    assert pik["variant"] == "chr3:179234297:A:G" and pik["category"] == "somatic"
    assert "H1047R" in pik["interpretation"] and pik["tier"] in {"I", "II"}
    assert pik["evidence"] and all(e["source"] == "CIViC" for e in pik["evidence"])
    assert any("Alpelisib" in t["therapy"] for t in pik["therapies"])
    # the germline DPYD*2A allele (rs3918290) is in the tumour VCF: not a somatic tier, but
    # the chemotherapy cross-check sees it through the germline DPYD call
    dpyd = [r for r in records if (r.chrom, r.pos) == ("chr1", 97450058)]
    assert dpyd and dpyd[0].record_id == "rs3918290" and dpyd[0].alts == ("T",)
    assert not any(f["gene"] == "DPYD" for f in found)


def test_pcgr_coad_braf_v600e(risk_kb, shared_data, read_records):
    records = read_records(shared_data / "onco" / "pcgr" / "T001-COAD.grch38.vcf.gz")
    found = somatic_findings(records, risk_kb, tumor_type="colorectal", sample_index=0)
    braf = next(f for f in found if f["gene"] == "BRAF")
    assert braf["variant"] == "chr7:140753336:A:T" and braf["tier"] == "I"
    assert "V600E" in braf["interpretation"]
    therapies = {t["therapy"] for t in braf["therapies"] if tumour_matches(t["tumor_type"], "colorectal")}
    assert any("Cetuximab" in t or "Panitumumab" in t for t in therapies)


def test_annotation_match_erbb2_activating_mutation_neratinib(risk_kb):
    ann = "T|missense_variant|MODERATE|ERBB2|ENSG00000141736|transcript|ENST00000269571|protein_coding|8/27|c.929C>T|p.Ser310Phe"
    rec = _rec("chr17", 39711955, "C", "T", {"ANN": ann})
    f = somatic_findings([rec], risk_kb, tumor_type="breast", sample_index=0)[0]
    assert f["gene"] == "ERBB2" and "S310F" in f["interpretation"]
    assert any(t["therapy"] == "Neratinib" for t in f["therapies"])
    assert f["tier"] == "I"  # CIViC: ERBB2 mutation, breast, neratinib, level B


def test_vep_csq_match_and_tier_iii(risk_kb):
    csq = "G|missense_variant|MODERATE|EGFR|ENSG00000146648|Transcript|ENST00000275493|protein_coding|21/28||c.2573T>G|ENSP00000275493.2:p.Leu858Arg"
    rec = _rec("chr7", 1000, "T", "G", {"CSQ": csq})  # position deliberately not EGFR's
    f = somatic_findings([rec], risk_kb, tumor_type="lung adenocarcinoma", sample_index=0)[0]
    assert f["gene"] == "EGFR" and f["tier"] == "I"
    assert any("Erlotinib" in t["therapy"] or "Osimertinib" in t["therapy"] for t in f["therapies"])
    unknown = "A|missense_variant|MODERATE|EGFR|x|Transcript|y|protein_coding|||c.1A>T|p.Met1Lys"
    f3 = somatic_findings([_rec("chr7", 1000, "T", "A", {"CSQ": unknown})], risk_kb,
                          tumor_type="lung", sample_index=0)
    assert f3[0]["tier"] == "III" and f3[0]["therapies"] == []


def test_reference_genotype_is_not_reported(risk_kb):
    rec = _rec("chr7", 140753336, "A", "T", gt=(0, 0))
    assert somatic_findings([rec], risk_kb, tumor_type="melanoma", sample_index=0) == []


def test_hgvsp_parsing():
    assert hgvsp_to_short("p.Val600Glu") == "V600E"
    assert hgvsp_to_short("ENSP1:p.(His1047Arg)") == "H1047R"
    assert hgvsp_to_short("p.Arg248Ter") == "R248*"
    assert hgvsp_to_short("p.Glu746_Ala750del") == "E746_A750DEL"
    assert hgvsp_to_short("p.Ala56GlnfsTer4") == "A56QFS"
    assert hgvsp_to_short("p.Leu10=") == ""


def test_tier_rules(risk_kb):
    ev = risk_kb.civic_by_name("BRAF", "V600E")
    assert tier_of(ev, "melanoma") == "I"
    assert tier_of([e for e in ev if e.level in "CD"], "melanoma") == "II"
    assert tier_of([], "melanoma") == "III"


def test_chemo_pgx_crossref():
    findings = [{"gene": "ERBB2", "therapies": [
        {"therapy": "Capecitabine + Lapatinib", "evidence_level": "B", "significance": "Sensitivity/Response",
         "direction": "supports", "in_tumour_type": True}]}]
    calls = [{"gene": "DPYD", "status": "called", "diplotypes": ["c.1905+1G>A/Reference"],
              "phenotype": "Intermediate Metabolizer", "activity_score": "1.0"},
             {"gene": "UGT1A1", "status": "not_called", "diplotypes": [], "phenotype": None}]
    notes = chemo_pgx_crossref(findings, calls)
    assert len(notes) == 1 and "capecitabine" in notes[0] and "Intermediate Metabolizer" in notes[0]
    notes = chemo_pgx_crossref([], calls, tumor_type="colorectal")
    assert any(n.startswith("irinotecan") and "not called" in n for n in notes)
    assert any("DPYD" in n for n in notes)


def test_chemo_crossref_ignores_other_tumour_types_and_unsupported_evidence():
    """#15: irinotecan appeared for a breast patient only through lung-cancer ERBB2 evidence."""
    calls = [{"gene": "UGT1A1", "status": "called", "diplotypes": ["*1/*1"], "phenotype": "Normal Metabolizer"},
             {"gene": "DPYD", "status": "called", "diplotypes": ["Reference/Reference"],
              "phenotype": "Normal Metabolizer"}]
    other = {"therapy": "Trastuzumab + Irinotecan", "evidence_level": "C", "significance": "Sensitivity/Response",
             "tumor_type": "Lung Small Cell Carcinoma", "direction": "supports", "in_tumour_type": False}
    against = {"therapy": "Irinotecan", "evidence_level": "B", "significance": "Sensitivity/Response",
               "tumor_type": "Breast Cancer", "direction": "does_not_support", "in_tumour_type": True}
    notes = chemo_pgx_crossref([{"gene": "ERBB2", "therapies": [other, against]}], calls,
                               tumor_type="breast")
    assert not any("irinotecan" in n for n in notes)
    assert any(n.startswith("capecitabine (standard in breast cancer)") for n in notes)
    own = {**other, "in_tumour_type": True}
    notes = chemo_pgx_crossref([{"gene": "ERBB2", "therapies": [own]}], calls, tumor_type="breast")
    assert any(n.startswith("irinotecan") for n in notes)


def test_therapies_carry_direction_and_tumour_match(risk_kb):
    ev = [e for e in risk_kb.civic if e.gene == "ERBB2" and e.variant.upper() == "AMPLIFICATION"]
    from pgxannot.risk.somatic import therapies_from_evidence

    ts = therapies_from_evidence(ev, "breast")
    assert {t["direction"] for t in ts} == {"supports", "does_not_support"}
    assert all(t["in_tumour_type"] == tumour_matches(t["tumor_type"], "breast") for t in ts)
    assert all("not support" in t["significance"] for t in ts if t["direction"] == "does_not_support")
    # patient's tumour type first, then supporting before not-supporting, then level
    keys = [(not t["in_tumour_type"], t["direction"] != "supports") for t in ts]
    assert keys == sorted(keys)
