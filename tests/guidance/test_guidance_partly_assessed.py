"""A gene called from the VCF with defining positions missing is not a full assessment: standard
advice resting on it is never green (CPIC and DPWG), and the entry says what was missing and what
would settle it. Advice that changes the drug is still given (it does not rest on the missing alleles
being absent in the same way: the found allele already calls for the change)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pgx"))
from pgx_helpers import carrying, make_sg, pos_of

from pgxannot.guidance import load_guidance_kb
from pgxannot.guidance.sources import guide
from pgxannot.kb.dpwg import load_dpwg_kb
from pgxannot.kb.pgx import gene_table
from pgxannot.pgx import call_samples


@pytest.fixture(scope="module")
def kbs():
    return load_guidance_kb(), load_dpwg_kb()


def _call(gene: str, genotypes: dict[int, str], *, keep: tuple[int, ...] | None = None):
    """One sample; positions outside ``keep`` (default: every position) absent from the VCF."""
    positions = [p.pos for p in gene_table(gene).positions]
    absent = () if keep is None else tuple(p for p in positions if p not in keep)
    return call_samples(make_sg(gene, {"s": genotypes}, absent=absent), genes=[gene])["s"][0]


def _drug(kbs, calls, drug, meds=()):
    cpic, dpwg = kbs
    return next(d for d in guide(calls, list(meds), cpic=cpic, dpwg=dpwg).drugs if d["drug"] == drug)


def test_dpyd_with_most_positions_missing_is_not_green_for_capecitabine(kbs):
    # a variant-only VCF: one DPYD record (c.85T>C, normal function); the no-function positions are absent
    keep = pos_of("DPYD", "rs1801265")
    call = _call("DPYD", {keep: "0/1"}, keep=(keep,))
    assert call.status == "called" and call.phenotype == "Normal Metabolizer" and len(call.missing_positions) == 82
    e = _drug(kbs, [call], "capecitabine", ["capecitabine"])
    assert e["action"] == "not_assessable" and e["traffic_light"] == "grey"
    assert e["settled_by"] == ["DPYD"]
    assert e["recommendation"].startswith("Not assessable: DPYD was called with 82 defining positions missing")
    assert "CPIC's advice for the call as observed: Use capecitabine at the usual dose" in e["recommendation"]
    assert all(r["traffic_light"] != "green" for r in e["recommendations"])


def test_the_same_call_with_every_position_present_is_green(kbs):
    call = _call("DPYD", {pos_of("DPYD", "rs1801265"): "0/1"})
    assert not call.missing_positions
    e = _drug(kbs, [call], "capecitabine")
    assert e["action"] == "standard_dosing" and e["traffic_light"] == "green"


def test_a_change_from_a_found_allele_is_still_given_with_positions_missing(kbs):
    found = carrying("DPYD", "c.1905+1G>A (*2A)")
    call = _call("DPYD", found, keep=tuple(found))
    assert call.missing_positions
    e = _drug(kbs, [call], "capecitabine")
    assert e["action"] == "reduce_dose" and e["traffic_light"] == "amber"


@pytest.mark.parametrize("gene,drug,others", [
    ("CYP2C19", "sertraline", ("CYP2B6",)), ("CYP2C9", "celecoxib", ()), ("TPMT", "azathioprine", ("NUDT15",)),
])
def test_one_missing_position_is_enough_to_withhold_green(kbs, gene, drug, others):
    positions = [p.pos for p in gene_table(gene).positions]
    call = _call(gene, {}, keep=tuple(positions[1:]))
    assert call.missing_positions == (f"{gene_table(gene).positions[0].chrom}:{positions[0]}",)
    full = [_call(g, {}) for g in others]  # the drug's other genes fully assessed
    e = _drug(kbs, [call, *full], drug)
    assert e["action"] == "not_assessable" and e["traffic_light"] == "grey", (e["action"], e["recommendation"])
    assert f"{gene} was called with 1 defining position missing" in e["recommendation"]
    assert gene in e["settled_by"]
    fresh = _drug(kbs, [_call(gene, {}), *full], drug)  # the same genotype with the position present
    assert fresh["traffic_light"] == "green"


def test_untested_and_partly_assessed_genes_are_both_named(kbs):
    positions = [p.pos for p in gene_table("CYP2C19").positions]
    call = _call("CYP2C19", {}, keep=tuple(positions[1:]))
    e = _drug(kbs, [call], "sertraline")  # CYP2B6 not called at all
    assert e["recommendation"].startswith("Not assessable: CYP2B6 not called; calling CYP2B6 would settle it. "
                                          "CYP2C19 was called with 1 defining position missing")
    assert set(e["settled_by"]) == {"CYP2B6", "CYP2C19"}


def test_warfarin_with_a_cyp2c9_position_missing_is_not_green(kbs):
    positions = [p.pos for p in gene_table("CYP2C9").positions]
    partial = _call("CYP2C9", {}, keep=tuple(positions[1:]))
    others = [_call("VKORC1", {}), _call("CYP4F2", {})]
    full = _drug(kbs, [_call("CYP2C9", {}), *others], "warfarin")
    assert full["action"] == "standard_dosing" and full["traffic_light"] == "green"
    e = _drug(kbs, [partial, *others], "warfarin")
    assert e["action"] == "not_assessable" and e["traffic_light"] == "grey"
    assert e["recommendation"].startswith("Not assessable: CYP2C9 was called with 1 defining position missing")
    assert "CYP2C9" in e["settled_by"]
