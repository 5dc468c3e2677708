"""Therapy guidance on the bundled CPIC tables: one tiny patient per clinical case."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgxannot.errors import KnowledgeBaseError
from pgxannot.guidance import guidance_for, load_guidance_kb
from pgxannot.pgx.model import Diplotype, GeneCall
from pgxannot.vocabulary import action_rank


def dip(name: str, phenotype: str | None = None, score: str | None = None,
        lookup_key: str | None = None) -> Diplotype:
    return Diplotype(name, tuple(name.split("/")), (), phenotype, score, lookup_key)


def call(gene: str, name: str, phenotype: str | None = None, score: str | None = None, *,
         status: str = "called") -> GeneCall:
    return GeneCall(gene, status, (dip(name, phenotype, score),), phenotype, score, (),  # type: ignore[arg-type]
                    "outside_call" if status == "outside_call" else "vcf")


def ambiguous(gene: str, *cands: Diplotype) -> GeneCall:
    return GeneCall(gene, "ambiguous", cands, None, None, (), "vcf", reason="unphased heterozygotes")


def not_called(gene: str) -> GeneCall:
    return GeneCall(gene, "not_called", (), None, None, ("chr1:1",), "none", reason="3 key positions missing")


def entry(result, drug: str) -> dict:
    hits = [d for d in result.drugs if d["drug"] == drug]
    assert len(hits) == 1, drug
    return hits[0]


@pytest.fixture(scope="module")
def kb():
    return load_guidance_kb()


# ------------------------------------------------------------ oncology supportive care

def test_fluoropyrimidines_dpyd_activity_score_1_halves_the_dose(kb):
    r = guidance_for([call("DPYD", "c.1905+1G>A/Reference", "Intermediate Metabolizer", "1.0")],
                     ["5-fluorouracil", "capecitabine"], kb=kb)
    for drug in ("fluorouracil", "capecitabine"):
        e = entry(r, drug)
        assert (e["action"], e["dose_change_percent"], e["classification"]) == ("reduce_dose", 50, "Strong")
        assert e["traffic_light"] == "amber" and e["current_medication"]
        assert e["lookup"] == {"DPYD": "1.0"}
        assert "50%" in e["recommendation"] and "CPIC Strong" in e["recommendation"]
        assert e["guideline"]["pmids"] and e["cpic_level"] == "A"
    assert r.recognized == ["fluorouracil", "capecitabine"]


def test_fluoropyrimidines_dpyd_activity_score_0_avoid(kb):
    r = guidance_for([call("DPYD", "c.1905+1G>A/c.1905+1G>A", "Poor Metabolizer", "0.0")], ["fluorouracil"], kb=kb)
    e = entry(r, "fluorouracil")
    assert (e["action"], e["traffic_light"], e["classification"]) == ("avoid", "red", "Strong")
    assert r.drugs[0]["drug"] == "fluorouracil"


def test_thiopurines_need_tpmt_and_nudt15(kb):
    calls = [call("TPMT", "*1/*3A", "Intermediate Metabolizer"), call("NUDT15", "*1/*1", "Normal Metabolizer")]
    e = entry(guidance_for(calls, ["mercaptopurine"], kb=kb), "mercaptopurine")
    assert e["action"] == "reduce_dose" and e["lookup"] == {"TPMT": "Intermediate Metabolizer",
                                                            "NUDT15": "Normal Metabolizer"}
    # NUDT15 not called: CPIC has no row for an untested NUDT15 -> not assessable, naming the call
    e = entry(guidance_for([*calls[:1], not_called("NUDT15")], ["mercaptopurine"], kb=kb), "mercaptopurine")
    assert (e["action"], e["traffic_light"], e["settled_by"]) == ("not_assessable", "grey", ["NUDT15"])
    assert "NUDT15" in e["reason"] and "not called" in e["reason"]
    assert "calling NUDT15" in e["recommendation"]


def test_irinotecan_has_a_pair_but_no_cpic_rows(kb):
    r = guidance_for([call("UGT1A1", "*28/*28", "Poor Metabolizer")], ["irinotecan"], kb=kb)
    e = entry(r, "irinotecan")
    assert e["action"] == "no_recommendation" and e["current_medication"]
    assert e["genes"][0] == "UGT1A1" and "no genotype-based recommendation" in e["reason"]
    assert "Testing Recommended" in e["fda_label"]


def test_tamoxifen_cyp2d6_poor_metabolizer(kb):
    e = entry(guidance_for([call("CYP2D6", "*4/*4", "Poor Metabolizer", "0.0")], ["tamoxifen"], kb=kb), "tamoxifen")
    assert (e["action"], e["classification"]) == ("use_alternative", "Strong")
    assert "aromatase inhibitor" in e["recommendation"]


# ------------------------------------------------------------ chronic pain

def test_codeine_tramadol_with_cyp2d6_poor_metabolizer_outside_call_phenotype_only(kb):
    pm = GeneCall("CYP2D6", "outside_call", (dip("*4/*5", "Poor Metabolizer"),), "Poor Metabolizer", None,
                  (), "outside_call")
    r = guidance_for([pm], ["codeine", "Tramadol"], kb=kb)
    for drug, other in (("codeine", "other than tramadol"), ("tramadol", "other than codeine")):
        e = entry(r, drug)
        assert (e["action"], e["classification"], e["lookup"]) == ("avoid", "Strong", {"CYP2D6": "0.0"})
        assert other in e["recommendation"]
    assert [d["drug"] for d in r.drugs[:2]] == ["codeine", "tramadol"]


def test_celecoxib_cyp2c9_star3_homozygous(kb):
    r = guidance_for([call("CYP2C9", "*3/*3", "Poor Metabolizer", "0.0")], ["celecoxib"], kb=kb)
    e = entry(r, "celecoxib")
    assert (e["action"], e["classification"], e["traffic_light"]) == ("reduce_dose", "Moderate", "amber")
    assert "25–50%" in e["recommendation"]


# ------------------------------------------------------------ addiction and mental health

def test_sertraline_cyp2c19_poor_with_cyp2b6_normal(kb):
    calls = [call("CYP2C19", "*2/*2", "Poor Metabolizer"), call("CYP2B6", "*1/*1", "Normal Metabolizer")]
    e = entry(guidance_for(calls, ["sertraline"], kb=kb), "sertraline")
    assert e["lookup"] == {"CYP2B6": "Normal Metabolizer", "CYP2C19": "Poor Metabolizer"}
    assert e["action"] == "reduce_dose" and e["dose_change_percent"] == 50


def test_methadone_is_recognized_without_cpic_rows_and_efavirenz_uses_cyp2b6(kb):
    r = guidance_for([call("CYP2B6", "*6/*6", "Poor Metabolizer")], ["methadone", "efavirenz"], kb=kb)
    assert r.recognized == ["methadone", "efavirenz"] and r.not_recognized == []
    assert entry(r, "methadone")["action"] == "no_recommendation"
    e = entry(r, "efavirenz")
    assert e["action"] == "reduce_dose" and e["population"] == "child >40kg_adult"
    assert "CYP2B6" in e["genes"]


# ------------------------------------------------------------ rare-disease drugs

def test_g6pd_deficient_rasburicase_avoid(kb):
    r = guidance_for([call("G6PD", "A-/A-", "Deficient")], ["rasburicase"], kb=kb)
    assert entry(r, "rasburicase")["action"] == "avoid"
    assert entry(r, "rasburicase")["traffic_light"] == "red"


def test_cftr_ivacaftor_responsive(kb):
    r = guidance_for([call("CFTR", "G551D/Reference", "ivacaftor responsive in CF patients")], ["ivacaftor"], kb=kb)
    e = entry(r, "ivacaftor")
    assert (e["action"], e["classification"]) == ("standard_dosing", "Moderate")


def test_ryr1_susceptibility_volatile_anaesthetics(kb):
    calls = [call("RYR1", "c.7300G>A/Reference", "Malignant Hyperthermia Susceptibility"),
             call("CACNA1S", "Reference/Reference", "Uncertain Susceptibility")]
    r = guidance_for(calls, ["sevoflurane", "suxamethonium"], kb=kb)
    assert r.recognized == ["sevoflurane", "succinylcholine"]
    for drug in r.recognized:
        assert entry(r, drug)["action"] == "avoid"


def test_hla_b_5701_from_outside_diplotype(kb):
    r = guidance_for([call("HLA-B", "*57:01/*08:01", status="outside_call")], ["abacavir", "allopurinol"], kb=kb)
    assert entry(r, "abacavir")["action"] == "avoid"
    assert entry(r, "abacavir")["lookup"] == {"HLA-B": "*57:01 positive"}
    assert entry(r, "allopurinol")["action"] == "standard_dosing"


# ------------------------------------------------------------ medications, order, calls

def test_unknown_medication_is_listed_never_dropped(kb):
    r = guidance_for([], ["acetaminophen", "Clopidogrel bisulfate", "zzz-unknown"], kb=kb)
    assert [m.given for m in r.not_recognized] == ["acetaminophen", "zzz-unknown"]
    assert r.recognized == ["clopidogrel"]
    assert [m["name"] for m in r.to_dict()["medications"]["not_recognized"]] == ["acetaminophen", "zzz-unknown"]


def test_current_medications_first_then_severity_then_name(kb):
    calls = [call("CYP2D6", "*1/*1", "Normal Metabolizer", "2.0"), call("CYP2C19", "*2/*2", "Poor Metabolizer")]
    r = guidance_for(calls, ["ondansetron", "clopidogrel"], kb=kb)
    assert [d["drug"] for d in r.drugs[:2]] == ["clopidogrel", "ondansetron"]  # avoid before standard
    assert all(not d["current_medication"] for d in r.drugs[2:])
    rest = [(action_rank(d["action"]), d["drug"].lower()) for d in r.drugs[2:]]
    assert rest == sorted(rest)
    assert guidance_for(calls, ["ondansetron", "clopidogrel"], kb=kb).drugs == r.drugs  # deterministic


def test_ambiguous_call_with_the_same_recommendation_is_given(kb):
    c = ambiguous("CYP2C19", dip("*1/*17", "Rapid Metabolizer"), dip("*17/*17", "Ultrarapid Metabolizer"))
    e = entry(guidance_for([c], ["clopidogrel"], kb=kb), "clopidogrel")
    assert (e["action"], e["classification"]) == ("standard_dosing", "Strong")
    assert "same CPIC recommendation" in e["reason"] and "ambiguous" in e["reason"]


def test_ambiguous_call_with_different_recommendations_is_not_available(kb):
    c = ambiguous("CYP2C19", dip("*1/*2", "Intermediate Metabolizer"), dip("*1/*1", "Normal Metabolizer"))
    e = entry(guidance_for([c], ["clopidogrel"], kb=kb), "clopidogrel")
    assert (e["action"], e["traffic_light"], e["classification"]) == ("not_available", "grey", None)
    assert "CYP2C19" in e["reason"] and "different" in e["reason"]


def test_not_called_gene_uses_cpic_no_result_row_when_cpic_has_one(kb):
    calls = [not_called("CYP2D6"), call("CYP2C19", "*2/*2", "Poor Metabolizer")]
    e = entry(guidance_for(calls, [], kb=kb), "amitriptyline")
    assert e["lookup"] == {"CYP2D6": "No Result", "CYP2C19": "Poor Metabolizer"}
    assert e["classification"] == "Moderate" and "CYP2D6 was not called" in e["reason"]
    assert e["action"] != "standard_dosing" and e["traffic_light"] != "green"
    codeine = entry(guidance_for(calls, [], kb=kb), "codeine")
    assert (codeine["action"], codeine["settled_by"]) == ("not_assessable", ["CYP2D6"])


def test_multi_population_drug_lists_the_other_populations(kb):
    e = entry(guidance_for([call("CYP2C19", "*2/*2", "Poor Metabolizer")], [], kb=kb), "clopidogrel")
    assert e["population"] == "CVI ACS PCI"
    assert {o["population"] for o in e["other_populations"]} == {"CVI non-ACS non-PCI", "NVI"}


def test_warfarin_uses_cyp2c9_and_vkorc1(kb):
    calls = [call("CYP2C9", "*1/*3", "Intermediate Metabolizer", "1.0"),
             GeneCall("VKORC1", "called", (Diplotype("rs9923231 reference (C)/rs9923231 variant (T)",
                                                     ("rs9923231 reference (C)", "rs9923231 variant (T)"),
                                                     (), None, None),), None, None, (), "vcf")]
    e = entry(guidance_for(calls, ["warfarin"], kb=kb), "warfarin")
    assert e["action"] == "reduce_dose" and e["lookup"]["VKORC1"] == "-1639 GA"
    assert "pharmacogenetic algorithm" in e["recommendation"] and e["classification"] is None
    e = entry(guidance_for(calls[:1], ["warfarin"], kb=kb), "warfarin")
    assert e["action"] == "not_assessable" and "VKORC1" in e["reason"] and e["settled_by"] == ["VKORC1"]


def test_every_drug_entry_has_the_report_keys(kb):
    keys = {"drug", "genes", "classification", "action", "current_medication", "traffic_light",
            "recommendation", "dose_change_percent", "lookup", "population", "cpic_level", "fda_label",
            "guideline", "reason", "cpic_text", "cpic_implications", "other_populations", "hedged", "structure",
            "applicability", "settled_by", "calls"}
    r = guidance_for([], ["methadone"], kb=kb)
    assert len(r.drugs) == 111  # 109 CPIC table drugs + warfarin + the patient's methadone
    assert all(set(d) == keys for d in r.drugs)


def test_incomplete_kb_folder_is_a_knowledge_base_error(tmp_path: Path):
    with pytest.raises(KnowledgeBaseError, match="missing"):
        load_guidance_kb(tmp_path)
