"""DPWG advice and merged drug entries shared by patients (guidance.dpwg._shared_advice,
guidance.sources._shared_merged): a drug's entry depends on its CPIC entry, its DPWG advice,
the calls of the advice's genes and whether it is a current medication. Sharing must give
exactly what a fresh lookup gives, for every drug and patient, in any order."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from test_guidance_engine import call, not_called

from pgxannot.guidance import dpwg as dpwg_mod
from pgxannot.guidance import load_guidance_kb, sources
from pgxannot.kb.dpwg import load_dpwg_kb

PM = call("CYP2C19", "*2/*2", "Poor Metabolizer")
PATIENTS = [
    ([PM, call("CYP2D6", "*1/*1", "Normal Metabolizer", "2.0")], ["sertraline"], ()),
    ([PM, not_called("CYP2D6")], ["clopidogrel"], ("ACS",)),
    ([call("CYP2C19", "*1/*17", "Rapid Metabolizer"), call("CYP2C9", "*3/*3", "Poor Metabolizer", "0.0")],
     ["flecainide"], ()),
    ([PM, call("CYP2D6", "*4/*4", "Poor Metabolizer", "0.0")], ["sertraline", "amitriptyline"], ("stroke",)),
    ([PM, call("CYP2D6", "*1/*1", "Normal Metabolizer", "2.0")], [], ()),  # the first, but no medication
    ([], ["tamoxifen"], ()),
]


@pytest.fixture()
def kbs():
    return load_guidance_kb(), load_dpwg_kb()


def _clear(cpic, dpwg):
    cpic.entries.clear()
    dpwg.advice.clear()
    sources._merged.clear()


def _guide(kbs, calls, meds, conditions):
    return sources.guide(calls, meds, cpic=kbs[0], dpwg=kbs[1], conditions=conditions).drugs


def test_shared_entries_equal_fresh_lookups_in_any_order(kbs):
    alone = []
    for p in PATIENTS:
        _clear(*kbs)
        alone.append(_guide(kbs, *p))
    _clear(*kbs)
    for order in itertools.islice(itertools.permutations(range(len(PATIENTS))), 8):
        for i in order:
            assert _guide(kbs, *PATIENTS[i]) == alone[i]
    assert sources._merged and len(kbs[1].advice) > 1, "nothing was shared"


def test_equal_inputs_share_one_entry_and_a_changed_call_never_does(kbs):
    _clear(*kbs)
    a = {d["drug"]: d for d in _guide(kbs, *PATIENTS[0])}
    b = {d["drug"]: d for d in _guide(kbs, [PM, call("CYP2D6", "*4/*4", "Poor Metabolizer", "0.0")],
                                      ["sertraline", "amitriptyline"], ())}  # CYP2D6 differs
    assert a["clopidogrel"] is b["clopidogrel"]  # rests on CYP2C19 only (CPIC and DPWG)
    assert a["amitriptyline"] is not b["amitriptyline"]
    assert [r["calls"]["CYP2D6"]["phenotype"] for r in a["amitriptyline"]["recommendations"]] == [
        "Normal Metabolizer"] * len(a["amitriptyline"]["recommendations"])
    assert {r["calls"]["CYP2D6"]["phenotype"] for r in b["amitriptyline"]["recommendations"]} == {"Poor Metabolizer"}
    # sertraline is current for both, amitriptyline only for the second: the flag is part of the key
    assert b["amitriptyline"]["current_medication"] and not a["amitriptyline"]["current_medication"]


def test_a_call_differing_only_in_a_variant_is_not_served_from_another_patient(kbs):
    """DPWG reads single positions from a call's variants (alt_count): two calls of one
    diplotype that differ there must not share advice."""
    _clear(*kbs)
    base = call("CYP2C19", "*1/*1", "Normal Metabolizer")
    other = dataclasses.replace(base, variants=("chr10:94761900:C:T het",))
    assert base != other
    dpwg_kb = kbs[1]
    groups, _ = dpwg_mod._plan(dpwg_kb)
    i = next(k for k, (_, genes, _) in enumerate(groups) if genes == ("CYP2C19",))
    first = dpwg_mod._shared_advice(dpwg_kb, i, {"CYP2C19": base}, frozenset())
    second = dpwg_mod._shared_advice(dpwg_kb, i, {"CYP2C19": other}, frozenset())
    assert first is not second
    assert second is dpwg_mod._shared_advice(dpwg_kb, i, {"CYP2C19": other}, frozenset())  # shared when equal


def test_an_outside_call_for_a_gene_pgxannot_does_not_genotype_reaches_its_entry(kbs):
    """The contraceptives' DPWG advice needs F5 (not genotyped: one advice object for every
    patient); a patient's outside F5 call is still their own in the entry's calls."""
    _clear(*kbs)
    drug = "hormonal contraceptives for systemic use"
    f5 = call("F5", "rs6025 C/T", None, status="outside_call")
    plain = {d["drug"]: d for d in _guide(kbs, [PM], [], ())}[drug]
    with_f5 = {d["drug"]: d for d in _guide(kbs, [PM, f5], [], ())}[drug]
    assert plain is not with_f5
    assert plain["calls"]["F5"]["status"] == "not_called"
    assert with_f5["calls"]["F5"]["status"] == "outside_call"


def test_the_stores_are_bounded(kbs, monkeypatch):
    monkeypatch.setattr(sources, "SHARED_MERGED", 9)
    monkeypatch.setattr(dpwg_mod, "SHARED_ADVICE", 30)
    _clear(*kbs)
    for p in PATIENTS:
        assert _guide(kbs, *p)
        assert len(sources._merged) <= 9 and len(kbs[1].advice) <= 30
