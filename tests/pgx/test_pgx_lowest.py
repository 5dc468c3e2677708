"""Lowest-function genes (DPYD, RYR1) with positions missing: PharmCAT's DPYD rules (pgx/lowest.py)."""

from __future__ import annotations

from pgx_helpers import carrying, make_sg, pos_of

from pgxannot.kb.pgx import gene_table
from pgxannot.pgx import call_samples

HAPB3 = "c.1129-5923C>G, c.1236G>A (HapB3)"
INTRONIC = "c.1129-5923C>G"
EXON = pos_of("DPYD", "rs56038477")  # c.1236G>A
INTRON = pos_of("DPYD", "rs75017182")  # c.1129-5923C>G
C2846 = carrying("DPYD", "c.2846A>T")


def calls(samples, gene="DPYD", **kw):
    return {s: c[0] for s, c in call_samples(make_sg(gene, samples), genes=[gene], **kw).items()}


def test_hapb3_without_its_intronic_position_is_possible_and_counts():
    # regression (#17): the unphased path dropped HapB3 and called Reference/c.2846A>T
    c = calls({"s": {EXON: "0/1", INTRON: "./.", **C2846}})["s"]
    assert c.status == "called" and c.diplotypes == (f"{HAPB3}/c.2846A>T",)
    assert c.activity_score == "1.0" and c.phenotype == "Intermediate Metabolizer"
    assert c.missing_positions == (f"chr1:{INTRON}",)
    assert c.extra["possible_alleles"] == {HAPB3: [f"chr1:{INTRON}"]}
    assert any(w.startswith(f"{HAPB3} is possible") and f"chr1:{INTRON} missing" in w for w in c.warnings)
    assert INTRONIC not in c.extra.get("not_assessed", [])  # HapB3 already takes the intronic variant


def test_hapb3_without_its_exonic_position_lists_both_alleles_that_fit():
    c = calls({"s": {EXON: "./.", INTRON: "0/1", **C2846}})["s"]
    assert c.status == "ambiguous"
    assert set(c.diplotypes) == {f"{INTRONIC}/c.2846A>T", f"{HAPB3}/c.2846A>T"}
    assert c.diplotypes[0] == f"{INTRONIC}/c.2846A>T"  # the fully observed allele first, as PharmCAT calls it
    assert c.phenotype == "Intermediate Metabolizer" and c.activity_score == "1.0"
    assert c.extra["alternatives"] == {INTRONIC: [HAPB3]}


def test_effectively_phased_hapb3_with_a_missing_position_is_possible():
    c = calls({"s": {EXON: "0/1", INTRON: "./."}})["s"]
    assert c.diplotypes == (f"Reference/{HAPB3}",) and c.activity_score == "1.5"
    assert c.extra["possible_alleles"] == {HAPB3: [f"chr1:{INTRON}"]}


def test_reference_with_a_missing_no_function_position_names_the_allele_never_silently():
    c = calls({"s": {pos_of("DPYD", "rs3918290"): "./."}})["s"]  # c.1905+1G>A (*2A)
    assert c.diplotypes == ("Reference/Reference",) and c.missing_positions
    assert c.extra["not_assessed"] == ["c.1905+1G>A (*2A)"]
    assert any("not assessed" in w and "c.1905+1G>A (*2A)" in w for w in c.warnings)


def test_complete_data_has_no_possible_or_unassessed_alleles():
    c = calls({"s": {EXON: "0/1", INTRON: "0/1", **C2846}})["s"]
    assert c.diplotypes == (f"{HAPB3}/c.2846A>T",)
    assert not {"possible_alleles", "not_assessed", "alternatives"} & set(c.extra)


def test_ryr1_missing_positions_name_the_alleles_lowest_function_first():
    t = gene_table("RYR1")
    mhs = next(n for n in t.allele_names if (t.phenotype_alleles.get(n) or 0)
               and t.phenotype_alleles[n].function == "Malignant Hyperthermia associated")
    mhs_pos = t.positions[int(t.variant_def[t.allele_names.index(mhs)].nonzero()[0][0])].pos
    c14509 = pos_of("RYR1", 38580126)  # c.14509C>G, uncertain function
    c = calls({"s": {c14509: "./.", mhs_pos: "./."}}, gene="RYR1")["s"]
    assert c.diplotypes == ("Reference/Reference",) and len(c.missing_positions) == 2
    assert c.extra["not_assessed"][0] == mhs and "c.14509C>G" in c.extra["not_assessed"]
