"""PharmCAT docs example 2: which DPWG drugs PharmCAT 3.1 lists for this patient, and pgxannot's.

PharmCAT's report (``pharmcat.example2.report.json``, DPWG data 2025-11-05) lists every
DPWG drug; for 32 it matched a DPWG annotation to the patient's calls (CYP2C19 *2/*2,
CYP2B6 *1/*6, CYP3A5 *1/*1, the rest reference). pgxannot runs its own caller on the
same VCF and its 2022 DPWG snapshot. The test holds drug by drug:

- every drug both list gets the same DPWG key from both tools (same phenotype,
  activity score or genotype class), and where PharmCAT found advice ("Unspecified"
  classification) pgxannot shows advice, where PharmCAT found "No recommendation"
  pgxannot shows none;
- each difference is one of the explained ones below.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgxannot.guidance.dpwg import DpwgAdvice, dpwg_guidance
from pgxannot.pgx import call_samples, pgx_sites
from pgxannot.vcf.sites import read_site_genotypes

pytestmark = pytest.mark.shared

# DPWG guidelines PharmGKB added or re-annotated after the 2022 snapshot (PharmCAT 3.1 has them).
NEWER_THAN_SNAPSHOT = {
    "mavacamten": "DPWG guideline for mavacamten and CYP2C19 (2024): not in the 2022 snapshot",
    "atazanavir": "DPWG guideline for atazanavir and UGT1A1: not in the 2022 snapshot",
    "rosuvastatin": "DPWG guideline for rosuvastatin and SLCO1B1: not in the 2022 snapshot",
    "acenocoumarol": "DPWG's VKORC1 coumarin guidelines are not in the 2022 snapshot",
    "phenprocoumon": "DPWG's VKORC1 coumarin guidelines are not in the 2022 snapshot",
}
# Drugs only pgxannot lists.
ONLY_PGXANNOT = {
    "hormonal contraceptives for systemic use": "F5 (Factor V Leiden) guideline; PharmCAT genotypes no F5 "
                                                "and pgxannot lists it as not assessable",
}
# Gene guidelines PharmCAT matched that the 2022 snapshot lacks for a drug both list.
NEWER_GENE_GUIDELINES = {("warfarin", "VKORC1")}


@pytest.fixture(scope="module")
def both(shared_data: Path):
    d = shared_data / "pharmcat" / "examples" / "docs_examples"
    report = json.loads((d / "pharmcat.example2.report.json").read_text(encoding="utf-8"))
    pharmcat: dict[tuple[str, str], tuple[str, str]] = {}
    listed = set(report["drugs"]["DPWG Guideline Annotation"])
    for drug, entry in report["drugs"]["DPWG Guideline Annotation"].items():
        for g in entry["guidelines"]:
            for a in g["annotations"]:
                for lk in a["lookupKey"]:
                    for gene, key in lk.items():
                        pharmcat[(drug, gene)] = (a["classification"], str(key))
    sg = read_site_genotypes([d / "pharmcat.example2.vcf"], pgx_sites())
    (_, calls), = call_samples(sg).items()
    ours = {(a.drug, g): a for a in dpwg_guidance(calls).advice for g in a.genes}
    return listed, pharmcat, ours, {c.gene: c for c in calls}


def _same_key(gene: str, theirs: str, ours: DpwgAdvice, calls) -> bool:
    call = calls[gene]
    if ours.action in ("no_recommendation",):
        return theirs in (call.phenotype, call.activity_score, "-1639 GG") or theirs.endswith("Function")
    return theirs in (call.phenotype, call.activity_score) or theirs in ours.lookup.values()


def test_drug_lists_differ_only_as_explained(both):
    listed, _, ours, _ = both
    ours_drugs = {d for d, _ in ours}
    assert listed - ours_drugs == set(NEWER_THAN_SNAPSHOT)
    assert ours_drugs - listed == set(ONLY_PGXANNOT)


def test_every_drug_both_match_gets_the_same_key_and_the_same_kind_of_answer(both):
    _, pharmcat, ours, calls = both
    compared = 0
    for (drug, gene), (classification, key) in sorted(pharmcat.items()):
        if drug in NEWER_THAN_SNAPSHOT or (drug, gene) in NEWER_GENE_GUIDELINES:
            continue
        a = ours[(drug, gene)]
        assert _same_key(gene, key, a, calls), (drug, gene, key, a.lookup)
        if classification == "No recommendation":
            assert a.action == "no_recommendation", (drug, a.action)
        else:  # PharmCAT found DPWG advice for this key: so does pgxannot, from the same row
            assert a.action not in ("no_recommendation", "not_available", "not_assessable"), (drug, a.action)
        compared += 1
    assert compared == len({k for k in pharmcat if k[0] not in NEWER_THAN_SNAPSHOT}) - len(NEWER_GENE_GUIDELINES)


def test_genes_pharmcat_could_not_match_are_not_assessable_in_pgxannot(both):
    listed, pharmcat, ours, _ = both
    for (drug, gene), a in ours.items():
        if drug in listed and (drug, gene) not in pharmcat and drug not in ONLY_PGXANNOT:
            # PharmCAT lists the drug without an annotation for this gene: HLA or CYP2D6, not callable from a VCF
            assert gene in ("CYP2D6", "HLA-A", "HLA-B"), (drug, gene)
            assert a.action == "not_assessable"


def test_the_patients_dpwg_advice(both):
    _, _, ours, _ = both
    assert ours[("clopidogrel", "CYP2C19")].action == "avoid"
    assert ours[("tacrolimus", "CYP3A5")].action == "increase_dose"
    assert ours[("efavirenz", "CYP2B6")].action == "use_with_caution"
