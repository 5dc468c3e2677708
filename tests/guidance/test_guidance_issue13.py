"""Issue #13's examples as regression tests on the bundled knowledge base (no ../shared needed).

Each case is what a clinical pharmacist found wrong in the reports: the advice must
keep CPIC's dose type, numbers, hedge and condition; uncertainty and untested genes
are never green; CF-only advice for a patient without known CF is never red.
"""

from __future__ import annotations

import pytest

from pgxannot.errors import SampleSheetError
from pgxannot.guidance import guidance_for, load_guidance_kb
from pgxannot.guidance.medications import resolve, resolve_all, sheet_medication_warnings
from pgxannot.pgx.model import Diplotype, GeneCall

ANAESTHETICS = ("desflurane", "enflurane", "halothane", "isoflurane", "methoxyflurane", "sevoflurane",
                "succinylcholine")


def call(gene: str, name: str, phenotype: str | None = None, score: str | None = None, *,
         source: str = "vcf") -> GeneCall:
    status = "outside_call" if source == "outside_call" else "called"
    return GeneCall(gene, status, (Diplotype(name, tuple(name.split("/")), (), phenotype, score),),  # type: ignore[arg-type]
                    phenotype, score, (), source)  # type: ignore[arg-type]


def not_called(gene: str) -> GeneCall:
    return GeneCall(gene, "not_called", (), None, None, ("chr1:1",), "none", reason="key positions missing")


@pytest.fixture(scope="module")
def kb():
    return load_guidance_kb()


def drug(result, name: str) -> dict:
    (e,) = [d for d in result.drugs if d["drug"] == name]
    return e


def test_uncertain_malignant_hyperthermia_susceptibility_is_not_usual_dosing(kb):
    calls = [call("RYR1", "Reference/Reference", "Uncertain Susceptibility"),
             call("CACNA1S", "Reference/Reference", "Uncertain Susceptibility")]
    r = guidance_for(calls, [], kb=kb)
    for name in ANAESTHETICS:
        e = drug(r, name)
        assert (e["action"], e["traffic_light"]) == ("clinical_judgement", "grey"), name
        assert "usual dose" not in e["recommendation"] and "does not rule out" in e["recommendation"]
    # a known susceptibility variant still says avoid
    e = drug(guidance_for([call("RYR1", "c.1840C>T/Reference", "Malignant Hyperthermia Susceptibility"),
                           calls[1]], [], kb=kb), "sevoflurane")
    assert (e["action"], e["traffic_light"]) == ("avoid", "red")


def test_ivacaftor_non_responsive_is_conditional_for_a_patient_not_known_to_have_cf(kb):
    cftr = call("CFTR", "Reference/Reference", "ivacaftor non-responsive in CF patients")
    e = drug(guidance_for([cftr], [], kb=kb), "ivacaftor")
    assert e["action"] == "avoid" and e["traffic_light"] == "amber"
    assert e["applicability"] == {"status": "conditional", "condition": "cystic_fibrosis",
                                  "label": "cystic fibrosis", "kind": "indication"}
    assert e["recommendation"].startswith("If the patient has cystic fibrosis: ")
    cf = drug(guidance_for([cftr], [], kb=kb, conditions=["Cystic fibrosis"]), "ivacaftor")
    assert (cf["traffic_light"], cf["applicability"]["status"]) == ("red", "applies")


def test_phenytoin_poor_metabolizer_keeps_loading_and_maintenance(kb):
    calls = [call("CYP2C9", "*3/*3", "Poor Metabolizer", "0.0"), call("HLA-B", "*07:02/*07:02", source="outside_call")]
    e = drug(guidance_for(calls, ["phenytoin"], kb=kb), "phenytoin")
    text = e["recommendation"]
    assert e["action"] == "reduce_dose" and e["classification"] == "Strong"
    assert "first (loading) dose" in text and "maintenance dose about 50% lower" in text
    assert "starting dose" not in text
    assert text.startswith("For patients not yet on phenytoin: ")
    assert e["calls"]["HLA-B"]["source"] == "outside_call" and e["calls"]["CYP2C9"]["diplotypes"] == ["*3/*3"]
    kinds = [(d["kind"], d["direction"], d["amount"]) for d in e["structure"]["doses"]]
    assert kinds == [("loading", "standard", None), ("maintenance", "lower", "about 50%")]


def test_sertraline_cyp2c19_poor_metabolizer_is_a_consider_with_slower_titration(kb):
    calls = [call("CYP2C19", "*2/*2", "Poor Metabolizer"), call("CYP2B6", "*1/*1", "Normal Metabolizer")]
    e = drug(guidance_for(calls, ["sertraline"], kb=kb), "sertraline")
    text = e["recommendation"]
    assert e["hedged"] and "consider a lower starting dose and a maintenance dose 50% lower" in text
    assert "more slowly" in text and e["classification"] == "Moderate"
    assert "Reduce the sertraline starting dose by 50%" not in text


@pytest.mark.parametrize("name", ["citalopram", "escitalopram"])
def test_citalopram_escitalopram_keep_maintenance(kb, name):
    im = drug(guidance_for([call("CYP2C19", "*1/*2", "Intermediate Metabolizer")], [], kb=kb), name)
    assert "maintenance dose" in im["recommendation"] and "consider" in im["recommendation"]
    pm = drug(guidance_for([call("CYP2C19", "*2/*2", "Poor Metabolizer")], [], kb=kb), name)
    assert "maintenance dose 50% lower" in pm["recommendation"]


def test_hydralazine_rapid_acetylator_keeps_50_to_100_percent_higher_maintenance(kb):
    e = drug(guidance_for([call("NAT2", "*4/*4", "Rapid Metabolizer")], [], kb=kb), "hydralazine")
    assert "maintenance dose 50–100% higher" in e["recommendation"] and "75 mg" in e["recommendation"]
    assert e["action"] == "increase_dose"


@pytest.mark.parametrize("name", ["amitriptyline", "clomipramine", "doxepin", "imipramine", "trimipramine"])
def test_tertiary_amine_tcas_keep_consider_50_percent_starting_dose(kb, name):
    calls = [call("CYP2C19", "*2/*2", "Poor Metabolizer"), call("CYP2D6", "*1/*1", "Normal Metabolizer", "2.0")]
    e = drug(guidance_for(calls, [], kb=kb), name)
    assert "consider a starting dose 50% lower than usual" in e["recommendation"]


@pytest.mark.parametrize("name", ["omeprazole", "lansoprazole", "pantoprazole", "dexlansoprazole"])
def test_ppis_keep_the_chronic_therapy_daily_dose_reduction(kb, name):
    e = drug(guidance_for([call("CYP2C19", "*2/*2", "Poor Metabolizer")], [], kb=kb), name)
    assert "for chronic therapy" in e["recommendation"] and "consider a daily dose 50% lower" in e["recommendation"]


def test_atazanavir_keeps_the_jaundice_numbers(kb):
    e = drug(guidance_for([call("UGT1A1", "*28/*28", "Poor Metabolizer")], [], kb=kb), "atazanavir")
    assert "20%" in e["recommendation"] and "60%" in e["recommendation"] and "jaundice" in e["recommendation"]


def test_optional_rows_read_as_consider_not_orders(kb):
    calls = [call("CYP2D6", "*4/*4", "Poor Metabolizer", "0.0"), call("CYP2C19", "*1/*1", "Normal Metabolizer")]
    e = drug(guidance_for(calls, [], kb=kb), "clomipramine")
    assert e["classification"] == "Optional" and e["hedged"]
    assert e["recommendation"].startswith("Consider avoiding clomipramine")
    assert "if it is used anyway, consider a starting dose 50% lower" in e["recommendation"].lower()


def test_untested_gene_is_never_green_and_names_the_call(kb):
    calls = [not_called("CYP2C19"), call("CYP2B6", "*1/*1", "Normal Metabolizer")]
    e = drug(guidance_for(calls, ["sertraline"], kb=kb), "sertraline")
    assert (e["action"], e["traffic_light"], e["settled_by"]) == ("not_assessable", "grey", ["CYP2C19"])
    assert "calling CYP2C19 would settle" in e["recommendation"]
    # untested but the called gene already says act: the action stays
    calls = [call("CYP2C19", "*2/*2", "Poor Metabolizer"), not_called("CYP2B6")]
    assert drug(guidance_for(calls, [], kb=kb), "sertraline")["traffic_light"] == "amber"


def test_no_green_for_untested_and_no_red_for_conditional_over_every_drug(kb):
    calls = [not_called(g) for g in ("CYP2C19", "CYP2D6", "CYP2C9", "HLA-B", "HLA-A", "TPMT", "NUDT15")]
    calls.append(call("CFTR", "Reference/Reference", "ivacaftor non-responsive in CF patients"))
    for e in guidance_for(calls, [], kb=kb).drugs:
        if e["settled_by"] or e["action"] in ("not_assessable", "clinical_judgement", "not_available"):
            assert e["traffic_light"] != "green", e["drug"]
        if e["applicability"]["status"] == "conditional":
            assert e["traffic_light"] != "red", e["drug"]


def test_clopidogrel_indication(kb):
    im = [call("CYP2C19", "*1/*2", "Intermediate Metabolizer")]
    e = drug(guidance_for(im, ["clopidogrel"], kb=kb), "clopidogrel")
    assert e["applicability"]["status"] == "conditional" and e["traffic_light"] == "amber"
    assert "acute coronary syndrome with PCI" in e["recommendation"]
    assert "75 mg" in e["recommendation"] and "if possible" in e["recommendation"]
    acs = drug(guidance_for(im, ["clopidogrel"], kb=kb, conditions=["ACS"]), "clopidogrel")
    assert acs["traffic_light"] == "red"
    stroke = drug(guidance_for(im, ["clopidogrel"], kb=kb, conditions=["stroke"]), "clopidogrel")
    assert stroke["population"] == "NVI" and stroke["applicability"]["status"] == "applies"
    # a poor metabolizer is told to avoid it whatever the indication: not conditional
    pm = drug(guidance_for([call("CYP2C19", "*2/*2", "Poor Metabolizer")], [], kb=kb), "clopidogrel")
    assert (pm["traffic_light"], pm["applicability"]["status"]) == ("red", "applies")


@pytest.mark.parametrize(("given", "name"), [
    ("Sertraline hydrochloride", "sertraline"), ("PHENYTOIN", "phenytoin"), ("clopidogrel bisulfate", "clopidogrel"),
    ("  escitalopram   oxalate 10 mg ", "escitalopram"), ("Co-trimoxazole", "sulfamethoxazole / trimethoprim"),
])
def test_medication_names_resolve_case_space_and_salt_insensitively(kb, given, name):
    assert resolve(given, kb.names).drug == name


def test_misspelt_medication_gets_a_suggestion_and_is_never_substituted(kb):
    recognized, unknown = resolve_all(["clopidogrell", "codeine"], kb.names)
    assert recognized == ["codeine"]
    assert [(m.given, m.drug) for m in unknown] == [("clopidogrell", None)]
    assert unknown[0].suggestions[0] == "clopidogrel"
    r = guidance_for([call("CYP2C19", "*2/*2", "Poor Metabolizer")], ["clopidogrell"], kb=kb)
    assert not drug(r, "clopidogrel")["current_medication"]
    assert r.medications()["not_recognized"] == [{"name": "clopidogrell", "suggestions": ["clopidogrel"]}]
    assert resolve("zzzzzz", kb.names).suggestions == ()


class _Row:
    def __init__(self, line: int, sample: str, medications: tuple[str, ...]):
        self.line, self.sample, self.medications = line, sample, medications


def test_sheet_check_warns_naming_the_line_and_strict_is_an_error(kb):
    rows = [_Row(3, "P1", ("codeine",)), _Row(4, "P2", ("clopidogrell",))]
    (w,) = sheet_medication_warnings(rows, "samples.tsv", kb.names)
    assert w.startswith("warning: samples.tsv line 4: sample P2") and "'clopidogrel'" in w
    with pytest.raises(SampleSheetError, match="line 4"):
        sheet_medication_warnings(rows, "samples.tsv", kb.names, strict=True)
    assert sheet_medication_warnings(rows[:1], "samples.tsv", kb.names, strict=True) == []


@pytest.mark.parametrize("name", ["capecitabine", "fluorouracil"])
@pytest.mark.parametrize("score", ["1.0", "1.5"])
def test_fluoropyrimidine_titration_keeps_toxicity_and_where_available(kb, name, score):
    """CPIC: reduce the starting dose, then titrate by toxicity or by drug monitoring where
    available -- not 'guide dosing by therapeutic drug monitoring' (drops toxicity, and
    monitoring is often not available for these drugs)."""
    dpyd = call("DPYD", "Reference/c.1905+1G>A (*2A)", "Intermediate Metabolizer", score)
    rec = drug(guidance_for([dpyd], [name], kb=kb), name)["recommendation"]
    assert "titrate the dose by toxicity" in rec and "where available" in rec
    assert "Guide dosing by therapeutic drug monitoring" not in rec
    assert "50%" in rec
