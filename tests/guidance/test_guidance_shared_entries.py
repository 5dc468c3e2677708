"""Drug entries shared by patients (guidance.engine._shared_table_entry): a table drug's entry
depends only on the drug, its genes' calls, whether it is a current medication and the known
conditions. Sharing must give exactly what a fresh lookup gives, for every drug and patient."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from test_guidance_engine import call, not_called

from pgxannot.guidance import engine, guidance_for, load_guidance_kb

PATIENTS = [
    ([call("CYP2C19", "*2/*2", "Poor Metabolizer"), call("CYP2D6", "*1/*1", "Normal Metabolizer", "2.0")],
     ["sertraline"], ()),
    ([call("CYP2C19", "*2/*2", "Poor Metabolizer"), not_called("CYP2D6")], ["clopidogrel"], ("ACS",)),
    ([call("CYP2C19", "*1/*17", "Rapid Metabolizer"), call("CYP2C9", "*3/*3", "Poor Metabolizer", "0.0")],
     [], ()),
    ([call("CYP2C19", "*2/*2", "Poor Metabolizer"), call("CYP2C9", "*1/*1", "Normal Metabolizer", "2.0")],
     ["sertraline", "phenytoin"], ("stroke",)),
    ([], ["ivacaftor"], ("cystic fibrosis",)),
]


@pytest.fixture()
def kb():
    return load_guidance_kb()


def _fresh(kb, calls, meds, conditions):
    kb.entries.clear()
    return guidance_for(calls, meds, kb=kb, conditions=conditions)


def test_shared_entries_equal_fresh_lookups_in_any_order(kb):
    alone = [_fresh(kb, *p).drugs for p in PATIENTS]
    kb.entries.clear()
    for order in itertools.islice(itertools.permutations(range(len(PATIENTS))), 6):
        for i in order:
            assert guidance_for(PATIENTS[i][0], PATIENTS[i][1], kb=kb, conditions=PATIENTS[i][2]).drugs == alone[i]
    assert kb.entries, "nothing was shared"


def test_patients_differing_only_in_other_genes_share_a_drugs_entry(kb):
    kb.entries.clear()
    a = guidance_for(PATIENTS[0][0], [], kb=kb)
    b = guidance_for([PATIENTS[0][0][0], call("CYP2D6", "*4/*4", "Poor Metabolizer", "0.0")], [], kb=kb)
    pick = {d["drug"]: d for d in a.drugs}, {d["drug"]: d for d in b.drugs}
    # clopidogrel rests on CYP2C19 only: one entry; amitriptyline on CYP2C19 and CYP2D6: two
    assert pick[0]["clopidogrel"] is pick[1]["clopidogrel"]
    assert pick[0]["amitriptyline"] is not pick[1]["amitriptyline"]
    assert pick[0]["amitriptyline"]["calls"]["CYP2D6"] != pick[1]["amitriptyline"]["calls"]["CYP2D6"]


def test_current_medication_and_conditions_are_part_of_the_key(kb):
    kb.entries.clear()
    calls = PATIENTS[1][0]

    def clopidogrel(meds, conditions):
        return {d["drug"]: d for d in guidance_for(calls, meds, kb=kb, conditions=conditions).drugs}["clopidogrel"]

    plain, current, acs = clopidogrel([], ()), clopidogrel(["clopidogrel"], ()), clopidogrel([], ("ACS",))
    assert not plain["current_medication"] and current["current_medication"]
    assert plain is not acs and plain is not current
    for got, (meds, conditions) in ((plain, ([], ())), (current, (["clopidogrel"], ())), (acs, ([], ("ACS",)))):
        fresh = {d["drug"]: d for d in _fresh(kb, calls, meds, conditions).drugs}["clopidogrel"]
        assert got == fresh


def test_a_changed_call_is_never_served_from_another_patient(kb):
    kb.entries.clear()
    pm = call("CYP2C19", "*2/*2", "Poor Metabolizer")
    um = dataclasses.replace(pm, candidates=call("CYP2C19", "*17/*17", "Ultrarapid Metabolizer").candidates,
                             phenotype="Ultrarapid Metabolizer")
    first = {d["drug"]: d for d in guidance_for([pm], [], kb=kb).drugs}["citalopram"]
    second = {d["drug"]: d for d in guidance_for([um], [], kb=kb).drugs}["citalopram"]
    assert first["calls"]["CYP2C19"]["phenotype"] == "Poor Metabolizer"
    assert second["calls"]["CYP2C19"]["phenotype"] == "Ultrarapid Metabolizer"


def test_the_store_is_bounded(kb, monkeypatch):
    monkeypatch.setattr(engine, "SHARED_ENTRIES", 7)
    kb.entries.clear()
    for p in PATIENTS:
        guidance_for(p[0], p[1], kb=kb, conditions=p[2])
        assert len(kb.entries) <= 7
