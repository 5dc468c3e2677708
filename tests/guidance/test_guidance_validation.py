"""Validation against PharmCAT's example 2 and row-by-row coverage of CPIC v1.54.0.

Both read ../shared/data (skipped when absent). Figures are printed (``pytest -s``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pgxannot.guidance import guidance_for, load_guidance_kb
from pgxannot.guidance.lookup import lookup_kind
from pgxannot.pgx.model import Diplotype, GeneCall

pytestmark = pytest.mark.shared


# PharmCAT example 2's gene calls, written out by hand (gene, diplotype, phenotype, activity score).
# CYP2D6, HLA-A, HLA-B and MT-RNR1 were not called (no outside calls given).
EXAMPLE2_CALLS = [
    ("ABCG2", "rs2231142 reference (G)/rs2231142 reference (G)", "Normal Function", None),
    ("CACNA1S", "Reference/Reference", "Uncertain Susceptibility", None),
    ("CFTR", "Reference/Reference", "ivacaftor non-responsive in CF patients", None),
    ("CYP2B6", "*1/*6", "Intermediate Metabolizer", None),
    ("CYP2C19", "*2/*2", "Poor Metabolizer", None),
    ("CYP2C9", "*1/*1", "Normal Metabolizer", "2.0"),
    ("CYP3A4", "*1/*1", "Normal Metabolizer", None),
    ("CYP3A5", "*1/*1", "Normal Metabolizer", None),
    ("CYP4F2", "*1/*1", None, None),
    ("DPYD", "Reference/Reference", "Normal Metabolizer", "2.0"),
    ("G6PD", "B (reference)/B (reference)", "Normal", None),
    ("IFNL3", "rs12979860 reference (C)/rs12979860 reference (C)", "n/a", None),
    ("NAT2", "*1/*1", "Rapid Metabolizer", None),
    ("NUDT15", "*1/*1", "Normal Metabolizer", None),
    ("RYR1", "Reference/Reference", "Uncertain Susceptibility", None),
    ("SLCO1B1", "*1/*1", "Normal Function", None),
    ("TPMT", "*1/*1", "Normal Metabolizer", None),
    ("UGT1A1", "*1/*1", "Normal Metabolizer", None),
    ("VKORC1", "rs9923231 reference (C)/rs9923231 reference (C)", "-1639 GG", None),
]
NOT_CALLED = ("CYP2D6", "HLA-A", "HLA-B", "MT-RNR1")


def _call(gene: str, name: str, phenotype: str | None, score: str | None) -> GeneCall:
    d = Diplotype(name, tuple(name.split("/")), (), phenotype, score)
    return GeneCall(gene, "called", (d,), phenotype, score, (), "vcf")


def _not_called(gene: str) -> GeneCall:
    return GeneCall(gene, "not_called", (), None, None, (), "none", reason="no data")


def test_pharmcat_example2_cpic_classifications(shared_data: Path):
    report = json.loads((shared_data / "pharmcat/examples/docs_examples/pharmcat.example2.report.json").read_text())
    # the hand-written calls are the report's own
    for gene, name, pheno, _ in EXAMPLE2_CALLS:
        rd = report["genes"][gene]["recommendationDiplotypes"][0]
        assert rd["label"] == name and (rd["phenotypes"] or [None])[0] == pheno, gene
    for gene in NOT_CALLED:
        assert report["genes"][gene]["callSource"] == "NONE"
    calls = [_call(*c) for c in EXAMPLE2_CALLS] + [_not_called(g) for g in NOT_CALLED]
    result = guidance_for(calls, [], kb=load_guidance_kb())
    ours = {d["drug"]: d for d in result.drugs}

    annotated = {}
    for name, drug in report["drugs"]["CPIC Guideline Annotation"].items():
        anns = [a for g in drug["guidelines"] for a in g["annotations"]]
        if anns:
            annotated[name] = {(a.get("population") or "n/a").strip(): a.get("classification") for a in anns}
    assert len(annotated) == 56
    matches, mismatches = 0, []
    for name, by_pop in sorted(annotated.items()):
        e = ours.get(name)
        if e is None:
            mismatches.append((name, "missing"))
            continue
        got = {(e["population"] or "n/a"): e["classification"]}
        got.update({o["population"]: o["classification"] for o in e["other_populations"]})
        if all(got.get(pop) == cls for pop, cls in by_pop.items()):
            matches += 1
        else:
            mismatches.append((name, by_pop, got))
    print(f"\nPharmCAT example 2: {matches}/{len(annotated)} CPIC drugs with the same classification")
    for m in mismatches:
        print("  differs:", m)
    assert matches == len(annotated), mismatches
    # drugs PharmCAT left without annotation because CYP2D6/HLA/MT-RNR1 were not called
    for drug in ("codeine", "tramadol", "abacavir", "amikacin"):
        assert ours[drug]["action"] == "not_assessable" and ours[drug]["settled_by"], drug


def _synthetic(gene: str, key: str) -> GeneCall | None:
    if key == "No Result":
        return None  # nothing known about the gene
    if lookup_kind(gene) == "allele_status":
        allele, status = key.split()
        other = "*07:02" if gene == "HLA-B" else "*02:01"
        name = f"{allele}/{other}" if status == "positive" else f"{other}/{other}"
        return GeneCall(gene, "outside_call", (Diplotype(name, tuple(name.split("/")), (), None, None),),
                        None, None, (), "outside_call")
    if lookup_kind(gene) == "activity_score":
        if key == "n/a":
            return _call(gene, "*1/*x", "Indeterminate", None)
        return _call(gene, "*1/*x", None, key)
    return _call(gene, "*1/*x", key, None)


def test_every_cpic_row_is_reachable(shared_data: Path):
    """A synthetic patient with a row's lookup keys gets exactly that row (drug + population)."""
    src = shared_data / "cpic/recommendations/cpic_recommendations_v1.54.0.tsv"
    with src.open(newline="", encoding="utf-8") as fh:
        source_rows = list(csv.DictReader(fh, delimiter="\t"))
    kb = load_guidance_kb()
    bundled = {r.rec_id: r for rows in kb.rows.values() for r in rows}
    covered, missed = 0, []
    for s in source_rows:
        row = bundled.get(s["rec_id"])
        if row is None:
            missed.append((s["rec_id"], s["drug"], "not in bundled table"))
            continue
        lookup = json.loads(s["lookupkey_reconstructed_json"])
        calls = [c for g, k in lookup.items() if (c := _synthetic(g, k)) is not None]
        e = next(d for d in guidance_for(calls, [], kb=kb).drugs if d["drug"] == row.drug)
        if e["population"] == row.population:
            ok = (e["structure"] == row.structure.to_dict() and e["lookup"] == row.lookup_dict
                  and e["classification"] == row.classification and e["recommendation"].endswith(row.recommendation))
        else:
            o = next((o for o in e["other_populations"] if o["population"] == row.population), None)
            ok = bool(o) and (o["classification"], o["action"]) == (row.classification, row.action) \
                and o["recommendation"].endswith(row.recommendation)
        if ok:
            covered += 1
        else:
            missed.append((s["rec_id"], s["drug"], row.population, s["lookupkey_reconstructed"], e["reason"]))
    print(f"\nCPIC v1.54.0 rows reached exactly: {covered}/{len(source_rows)}")
    for m in missed[:20]:
        print("  missed:", m)
    assert covered == len(source_rows), missed[:5]
