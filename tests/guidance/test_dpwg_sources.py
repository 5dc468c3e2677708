"""CPIC and DPWG side by side per drug: order, disagreement, DPWG-only drugs, the
``guidelines`` selection and the medications only DPWG knows."""

from __future__ import annotations

from typing import Any

import pytest

from pgxannot.guidance.sources import difference, guide, known_conditions, order
from pgxannot.kb.cpic import load_guidance_kb
from pgxannot.kb.dpwg import load_dpwg_kb
from pgxannot.pgx.model import GeneCall
from pgxannot.pgx.phenotype import describe


def vcf_call(gene: str, *alleles: str) -> GeneCall:
    d = describe(gene, list(alleles))
    return GeneCall(gene, "called", (d,), d.phenotype, d.activity_score, (), "vcf")


def run(calls, meds=(), guidelines=("cpic", "dpwg"), conditions=()):
    return guide(calls, list(meds), cpic=load_guidance_kb(), dpwg=load_dpwg_kb(), guidelines=guidelines,
                 conditions=conditions)


def drug(result, name: str) -> dict[str, Any]:
    return next(d for d in result.drugs if d["drug"] == name)


def test_cyp2c19_poor_metabolizer_gets_cpic_and_dpwg_clopidogrel_side_by_side():
    r = run([vcf_call("CYP2C19", "*2", "*2")], ["clopidogrel"])
    d = drug(r, "clopidogrel")
    assert d["current_medication"] is True
    assert [x["source"] for x in d["recommendations"]] == ["CPIC", "DPWG"] or \
        [x["source"] for x in d["recommendations"]] == ["DPWG", "CPIC"]
    dp = next(x for x in d["recommendations"] if x["source"] == "DPWG")
    assert dp["action"] == "avoid" and dp["applicability"]["status"] == "conditional" and dp["snapshot"]
    assert dp["guideline"]["ids"] == ["PA166104956"] and "CC BY-SA 4.0" in dp["guideline"]["citation"]


def test_cyp2c9_poor_metabolizer_siponimod_is_a_dpwg_only_red_drug():
    r = run([vcf_call("CYP2C9", "*3", "*3")], ["Siponimod"])
    d = drug(r, "siponimod")
    assert (d["source"], d["action"], d["traffic_light"], d["classification"]) == ("DPWG", "avoid", "red", None)
    assert d["current_medication"] is True and "siponimod" in r.recognized and not r.not_recognized


@pytest.mark.parametrize("name", ["siponimod", "flecainide", "propafenone", "haloperidol", "quetiapine"])
def test_dpwg_only_drugs_appear(name):
    assert drug(run([]), name)["recommendations"][0]["source"] == "DPWG"


def test_guidelines_select_the_bodies():
    calls = [vcf_call("CYP2C19", "*2", "*2")]
    cpic_only = run(calls, guidelines=["cpic"])
    assert all({x["source"] for x in d["recommendations"]} == {"CPIC"} for d in cpic_only.drugs)
    assert not any(d["drug"] == "siponimod" for d in cpic_only.drugs)
    dpwg_only = run(calls, guidelines=["dpwg"])
    assert all({x["source"] for x in d["recommendations"]} == {"DPWG"} for d in dpwg_only.drugs)
    assert any(d["drug"] == "siponimod" for d in dpwg_only.drugs)


def test_the_drug_leads_with_the_more_cautious_advice():
    # CYP2D6 PM, amitriptyline: CPIC avoids, DPWG lowers the dose: the drug shows CPIC's avoid first
    pm = GeneCall("CYP2D6", "outside_call", (describe("CYP2D6", ["*4", "*4"]),), "Poor Metabolizer", "0.0", (),
                  "outside_call")
    d = drug(run([pm, vcf_call("CYP2C19", "*1", "*1")]), "amitriptyline")
    assert [x["source"] for x in d["recommendations"]][:2] == ["CPIC", "DPWG"]
    assert d["action"] == d["recommendations"][0]["action"] == "avoid"
    assert d["guidelines_differ"] and "CPIC and DPWG differ for amitriptyline" in d["difference"]


def _rec(source: str, action: str) -> dict[str, Any]:
    return {"source": source, "action": action}


@pytest.mark.parametrize(("a", "b", "differ"), [
    ("standard_dosing", "avoid", True),           # one says avoid, the other standard
    ("no_recommendation", "avoid", True),         # the other makes no recommendation
    ("standard_dosing", "reduce_dose", True),     # one adjusts, the other says standard
    ("no_recommendation", "reduce_dose", False),  # silence (e.g. DPWG's reference group) is no stance on a dose
    ("avoid", "reduce_dose", True),
    ("avoid", "use_alternative", False),          # the same advice to a prescriber
    ("not_assessable", "avoid", False),           # a body that could not assess does not disagree
    ("standard_dosing", "no_recommendation", False),
    ("reduce_dose", "reduce_dose", False),
])
def test_difference(a, b, differ):
    text = difference("x", order([_rec("CPIC", a), _rec("DPWG", b)]))
    assert (text is not None) == differ
    if text:
        assert text.startswith("CPIC and DPWG differ for x")


def test_order_is_most_cautious_first_cpic_on_a_tie():
    assert [r["source"] for r in order([_rec("DPWG", "avoid"), _rec("CPIC", "avoid")])] == ["CPIC", "DPWG"]
    assert [r["source"] for r in order([_rec("CPIC", "standard_dosing"), _rec("DPWG", "avoid")])] == ["DPWG", "CPIC"]
    assert [r["source"] for r in order([_rec("DPWG", "not_assessable"), _rec("CPIC", "not_available")])] == \
        ["CPIC", "DPWG"]


def test_indication_makes_dpwg_pci_advice_apply():
    assert "pci_stroke_tia" in known_conditions(["ACS; PCI"])
    d = drug(run([vcf_call("CYP2C19", "*2", "*2")], conditions=["PCI"]), "clopidogrel")
    dp = next(x for x in d["recommendations"] if x["source"] == "DPWG")
    assert dp["applicability"]["status"] == "applies" and dp["traffic_light"] == "red"


def test_report_schema_source_recommendation_actions_are_the_vocabulary():
    import json

    from pgxannot.vocabulary import ACTIONS

    schema = json.loads((__import__("pathlib").Path(__file__).resolve().parents[2]
                         / "src/pgxannot/report/schema/report.schema.json").read_text(encoding="utf-8"))
    assert sorted(schema["$defs"]["source_recommendation"]["properties"]["action"]["enum"]) == sorted(ACTIONS)


def test_tsv_has_one_drug_row_per_source():
    from pgxannot.report.text import drug_rows

    d = drug(run([vcf_call("CYP2C19", "*2", "*2")]), "clopidogrel")
    rows = drug_rows(d)
    assert [r["source"] for r in rows] == [x["source"] for x in d["recommendations"]]
    dp = next(r for r in rows if r["source"] == "DPWG")
    assert dp["status"] == "avoid" and "PCI" in dp["condition"]


def test_report_schema_applicability_conditions_are_the_vocabulary():
    import json
    from pathlib import Path

    from pgxannot.vocabulary import CONDITIONS

    schema = json.loads((Path(__file__).resolve().parents[2] / "src/pgxannot/report/schema/report.schema.json")
                        .read_text(encoding="utf-8"))
    for d in ("drug", "source_recommendation"):
        enum = schema["$defs"][d]["properties"]["applicability"]["properties"]["condition"]["enum"]
        assert sorted(map(str, enum)) == sorted(map(str, (*CONDITIONS, None)))


def test_a_report_names_the_dpwg_snapshot_only_when_the_run_uses_dpwg():
    from pgxannot.guidance.sources import used_versions
    from pgxannot.report.guidelines import dpwg_statement

    versions = {"cpic": {"version": "v1"}, "dpwg": {"source": "PharmGKB", "version": "pharmgkb-2022",
                                                    "date": "about 2022", "origin": "bundled"}}
    both = used_versions(versions, ["cpic", "dpwg"])
    assert both == versions and "snapshot about 2022" in str(dpwg_statement({"knowledge_base": both}))
    cpic_only = used_versions(versions, ["cpic"])
    assert cpic_only == {"cpic": {"version": "v1"}} and dpwg_statement({"knowledge_base": cpic_only}) is None
