"""DPWG advice from pgxannot's gene calls: phenotype-, activity-score-, genotype-,
diplotype- and HLA-keyed rows; not-assessable and uncertain results never green."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgxannot.guidance.dpwg import alt_count, dpwg_guidance, dpwg_phenotype
from pgxannot.kb.dpwg import DpwgKey, load_dpwg_kb
from pgxannot.pgx.model import Diplotype, GeneCall
from pgxannot.pgx.phenotype import describe

SLCO1B1_521 = "chr12:21178615"


def vcf_call(gene: str, *alleles: str, variants: tuple[str, ...] = (), missing: tuple[str, ...] = ()) -> GeneCall:
    d = describe(gene, list(alleles))
    return GeneCall(gene, "called", (d,), d.phenotype, d.activity_score, missing, "vcf", variants=variants)


def outside(gene: str, diplotype: str, phenotype: str | None = None, score: str | None = None) -> GeneCall:
    alleles = tuple(diplotype.split("/"))
    return GeneCall(gene, "outside_call", (Diplotype(diplotype, alleles, (), phenotype, score),), phenotype,
                    score, (), "outside_call")


def advice(calls: list[GeneCall], drug: str, gene: str | None = None):
    found = [a for a in dpwg_guidance(calls).advice if a.drug == drug and (gene is None or gene in a.genes)]
    assert len(found) == 1, found
    return found[0]


# ------------------------------------------------------------------ the two patients
def test_cyp2c9_star3_star3_gets_a_red_dpwg_siponimod_card():
    a = advice([vcf_call("CYP2C9", "*3", "*3")], "siponimod")
    assert (a.action, a.traffic_light, a.applicability) == ("avoid", "red", "applies")
    assert a.lookup == {"CYP2C9": "*3/*3"}  # the diplotype row, not only the phenotype row
    assert "PA166211021" in a.guideline_ids


def test_cyp2c19_poor_metabolizer_gets_dpwg_clopidogrel_advice():
    a = advice([vcf_call("CYP2C19", "*2", "*2")], "clopidogrel")
    assert a.action == "avoid" and a.condition == "pci_stroke_tia"
    assert a.applicability == "conditional" and a.traffic_light == "amber"  # no known PCI/stroke/TIA: never red
    assert "prasugrel" in a.recommendation
    assert [o["condition"] for o in a.others] == ["other_indications"]
    known = dpwg_guidance([vcf_call("CYP2C19", "*2", "*2")], known_conditions={"pci_stroke_tia"})
    assert next(x for x in known.advice if x.drug == "clopidogrel").traffic_light == "red"


# ------------------------------------------------------------------ each kind of key
def test_phenotype_keyed_row():
    a = advice([vcf_call("CYP2C19", "*2", "*2")], "sertraline")
    assert a.action == "reduce_dose" and "75 mg/day" in a.recommendation
    assert a.structure and a.structure["doses"][0]["relation"] == "at_most"  # type: ignore[index]


def test_activity_score_keyed_row():
    a = advice([vcf_call("DPYD", "c.1905+1G>A (*2A)", "Reference")], "fluorouracil")
    assert a.lookup == {"DPYD": "Activity Score 1"}
    assert a.action == "reduce_dose" and "50%" in a.recommendation


def test_diplotype_row_wins_over_the_phenotype_row():
    # CYP2C9 *1/*2 is an intermediate metabolizer, but DPWG gives *1/*2 its own no-action siponimod row
    a = advice([vcf_call("CYP2C9", "*1", "*2")], "siponimod")
    assert (a.action, a.lookup) == ("standard_dosing", {"CYP2C9": "*1/*2"})
    b = advice([vcf_call("CYP2C9", "*1", "*11")], "siponimod")  # no diplotype row: the IM row
    assert b.action == "reduce_dose" and b.lookup == {"CYP2C9": "Intermediate Metabolizer"}


def test_diplotype_list_row():
    a = advice([vcf_call("CYP2B6", "*5", "*6")], "efavirenz")
    assert a.lookup == {"CYP2B6": "*5/*6 or *5/*18"}


def test_hla_status_row_from_an_outside_call():
    a = advice([outside("HLA-B", "*57:01/*08:01")], "abacavir")
    assert (a.action, a.traffic_light) == ("avoid", "red")
    neg = advice([outside("HLA-B", "*08:01/*44:02")], "abacavir")
    assert neg.action == "no_recommendation" and neg.traffic_light == "grey"


@pytest.mark.parametrize(("variants", "action", "key"), [
    ((f"{SLCO1B1_521}:T:C het",), "use_alternative", "SLCO1B1 521 TC"),
    ((f"{SLCO1B1_521}:T:C hom",), "use_alternative", "SLCO1B1 521 CC"),
])
def test_genotype_keyed_row_read_from_the_vcf_evidence(variants, action, key):
    call = GeneCall("SLCO1B1", "called", (describe("SLCO1B1", ["*1", "*5"]),), None, None, (), "vcf",
                    variants=variants)
    a = advice([call], "simvastatin")
    assert (a.action, a.lookup) == (action, {"SLCO1B1": key})
    assert ("40 mg/day" in a.recommendation) == (key.endswith("TC"))  # the dose fallback is TC's only


def test_genotype_at_reference_is_no_recommendation_not_green():
    a = advice([vcf_call("SLCO1B1", "*1", "*1")], "simvastatin")
    assert a.action == "no_recommendation" and a.traffic_light == "grey"


def test_genotype_position_absent_from_the_vcf_is_not_assessable_never_reference():
    call = vcf_call("SLCO1B1", "*1", "*1", missing=(SLCO1B1_521,))
    a = advice([call], "simvastatin")
    assert a.action == "not_available" and a.traffic_light == "grey"
    assert "does not tell" in (a.reason or "")


def test_abcg2_141k_genotype_row():
    call = GeneCall("ABCG2", "called", (), "Decreased Function", None, (), "vcf",
                    variants=("chr4:88131171:G:T het",))
    a = advice([call], "allopurinol", "ABCG2")
    assert a.action == "increase_dose" and "1.25 times" in a.recommendation


def test_genotype_from_an_outside_call_through_the_allele_definitions():
    key = DpwgKey("SLCO1B1", "genotype", "2", "SLCO1B1 521 CC", "rs4149056", SLCO1B1_521, "T", "C")
    assert alt_count(outside("SLCO1B1", "*5/*15"), key) == 2
    assert alt_count(outside("SLCO1B1", "*1/*5"), key) == 1
    assert alt_count(outside("SLCO1B1", "*1/*1"), key) == 0


def test_cyp3a5_expressers():
    assert advice([vcf_call("CYP3A5", "*1", "*3")], "tacrolimus").lookup == {
        "CYP3A5": "CYP3A5 heterozygous expresser"}
    hom = advice([vcf_call("CYP3A5", "*1", "*1")], "tacrolimus")
    assert hom.action == "increase_dose" and "2.5 times" in hom.recommendation
    assert advice([vcf_call("CYP3A5", "*3", "*3")], "tacrolimus").action == "no_recommendation"


# ------------------------------------------------------------------ what is not settled
def test_gene_not_called_is_not_assessable_and_names_the_call():
    call = GeneCall("CYP2C19", "not_called", (), None, None, ("chr10:94781859",), "none", reason="no data")
    a = advice([call], "clopidogrel")
    assert a.action == "not_assessable" and a.traffic_light == "grey" and "CYP2C19" in a.recommendation
    assert advice([], "clopidogrel").action == "not_assessable"


def test_likely_phenotypes_read_as_dpwgs_with_a_note():
    assert dpwg_phenotype("Likely Poor Metabolizer") == (
        "Poor Metabolizer", "pgxannot's call is 'Likely Poor Metabolizer'; DPWG's advice for Poor Metabolizer is shown")
    a = advice([outside("CYP2C19", "*2/*35", "Likely Poor Metabolizer")], "clopidogrel")
    assert a.action == "avoid" and "Likely Poor Metabolizer" in (a.reason or "")


def test_ambiguous_call_gives_advice_only_when_every_candidate_agrees():
    same = GeneCall("CYP2C9", "ambiguous", (describe("CYP2C9", ["*3", "*3"]), describe("CYP2C9", ["*3", "*13"])),
                    None, None, (), "vcf")
    a = advice([same], "siponimod")
    assert a.action == "avoid" and "same DPWG recommendation" in (a.reason or "")
    differ = GeneCall("CYP2C9", "ambiguous", (describe("CYP2C9", ["*1", "*2"]), describe("CYP2C9", ["*1", "*3"])),
                      None, None, (), "vcf")
    b = advice([differ], "siponimod")
    assert b.action == "not_available" and "different DPWG recommendations" in (b.reason or "")


def test_indeterminate_phenotype_is_grey():
    a = advice([outside("CYP2D6", "*1/*57", "Indeterminate", "n/a")], "codeine")
    assert a.action == "not_available" and a.traffic_light == "grey"


def test_cyp2d6_duplication_cpic_calls_normal_is_flagged_not_silent():
    call = outside("CYP2D6", "*1x2/*41", "Normal Metabolizer", "2.25")
    a = advice([call], "codeine")
    assert a.action == "not_available" and "ultrarapid" in (a.reason or "")
    plain = advice([outside("CYP2D6", "*1/*2", "Normal Metabolizer", "2.0")], "codeine")
    assert plain.action == "no_recommendation"


def test_f5_drug_is_listed_as_not_assessable():
    a = advice([], "hormonal contraceptives for systemic use")
    assert a.action == "not_assessable" and "F5" in a.recommendation


def test_cutaneous_fluorouracil_is_a_side_population_never_the_primary():
    a = advice([vcf_call("DPYD", "c.1905+1G>A (*2A)", "c.1905+1G>A (*2A)")], "fluorouracil")
    assert a.condition is None and a.action == "avoid"
    assert [o["condition"] for o in a.others] == ["cutaneous"]


def test_snapshot_is_named():
    g = dpwg_guidance([])
    assert "2022" in g.snapshot and g.version["licence"]


# ------------------------------------------------------------------ rules for all inputs
_KB = load_dpwg_kb()
_DIPLOTYPES = {
    "CYP2C19": [("*1", "*1"), ("*1", "*2"), ("*2", "*2"), ("*1", "*17"), ("*17", "*17"), ("*2", "*17")],
    "CYP2C9": [("*1", "*1"), ("*1", "*2"), ("*1", "*3"), ("*2", "*3"), ("*3", "*3"), ("*1", "*11")],
    "CYP3A5": [("*1", "*1"), ("*1", "*3"), ("*3", "*3")],
    "TPMT": [("*1", "*1"), ("*1", "*3A"), ("*3A", "*3A")],
    "NUDT15": [("*1", "*1"), ("*1", "*3"), ("*3", "*3")],
    "DPYD": [("Reference", "Reference"), ("c.1905+1G>A (*2A)", "Reference"), ("c.1905+1G>A (*2A)", "c.1905+1G>A (*2A)")],
}


@st.composite
def patients(draw):
    calls = []
    for gene, options in _DIPLOTYPES.items():
        state = draw(st.sampled_from(["called", "not_called", "absent"]))
        if state == "called":
            calls.append(vcf_call(gene, *draw(st.sampled_from(options))))
        elif state == "not_called":
            calls.append(GeneCall(gene, "not_called", (), None, None, (), "none", reason="test"))
    return calls, draw(st.sets(st.sampled_from(["pci_stroke_tia", "depression", "h_pylori"])))


@settings(max_examples=60, deadline=None)
@given(patients())
def test_no_green_unless_settled_and_no_red_for_conditional_advice(patient):
    calls, known = patient
    called = {c.gene for c in calls if c.status == "called"}
    for a in dpwg_guidance(calls, kb=_KB, known_conditions=known).advice:
        if a.traffic_light == "green":
            assert a.action == "standard_dosing" and set(a.genes) <= called
        if a.applicability == "conditional":
            assert a.traffic_light != "red"
        if not set(a.genes) <= called and a.genes != ("F5",):
            assert a.action in ("not_assessable", "not_available"), a
