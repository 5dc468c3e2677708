"""Where CPIC and DPWG disagree on the action, over every phenotype pgxannot can call.

For each gene both bodies use for a drug, one patient per distinct result of that gene
(phenotype, activity score, DPWG's own diplotypes, SLCO1B1/ABCG2 genotype at the DPWG
position, HLA carrier status; the other genes of the drug normal) is run through both,
and the pair counts as disagreeing when ``sources.difference`` says so for some result.

Rerun the count and see every pair: ``python -m pytest tests/guidance/test_dpwg_disagreement.py -s``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from pgxannot.guidance.sources import difference, guide, order
from pgxannot.kb.cpic import load_guidance_kb
from pgxannot.kb.dpwg import load_dpwg_kb
from pgxannot.kb.pgx import gene_table
from pgxannot.pgx.model import Diplotype, GeneCall
from pgxannot.pgx.phenotype import describe

DPWG_DIPLOTYPES = {"*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3", "*1/*5", "*5/*5", "*5/*6", "*5/*18"}
DPWG_POSITIONS = ("21178615", "88131171")  # SLCO1B1 c.521T>C, ABCG2 c.421C>A
HLA = {"HLA-A": ("*31:01",), "HLA-B": ("*57:01", "*58:01", "*15:02", "*15:11")}


def _variants(gene: str, alleles: tuple[str, ...]) -> tuple[str, ...]:
    t = gene_table(gene)
    out = []
    for j, p in enumerate(t.positions):
        n = sum(int(bool(t.variant_def[t.allele_names.index(a), j])) for a in alleles if a in t.allele_names)
        if n:
            out.append(f"{p.chrom}:{p.pos}:{p.ref}:{p.alts[0]} {'hom' if n == 2 else 'het'}")
    return tuple(out)


def _call(gene: str, d: Diplotype, variants: tuple[str, ...] = ()) -> GeneCall:
    vcf = bool(gene_table(gene).allele_names) and not gene.startswith("HLA-")
    return GeneCall(gene, "called" if vcf else "outside_call", (d,), d.phenotype, d.activity_score, (),
                    "vcf" if vcf else "outside_call", variants=variants)


def representatives(gene: str) -> list[GeneCall]:
    """One call per distinct result of the gene that either body could key on."""
    if gene.startswith("HLA-"):
        return [_call(gene, describe(gene, [a, "*08:01"])) for a in HLA[gene]] + \
               [_call(gene, describe(gene, ["*08:01", "*44:02"]))]
    t = gene_table(gene)
    names = list(t.allele_names or t.phenotype_alleles)
    seen: dict[tuple[object, ...], GeneCall] = {}
    for a, b in itertools.combinations_with_replacement(names, 2):
        d = describe(gene, [a, b])
        v = _variants(gene, (a, b)) if t.allele_names else ()
        key = (d.phenotype, d.activity_score, d.name if d.name in DPWG_DIPLOTYPES else None,
               tuple(x for x in v if any(p in x for p in DPWG_POSITIONS)))
        seen.setdefault(key, _call(gene, d, v))
    return list(seen.values())


def _normal(gene: str) -> GeneCall:
    if gene.startswith("HLA-"):  # carries none of the alleles either body keys on
        return _call(gene, describe(gene, ["*08:01", "*44:02"]))
    ref = gene_table(gene).reference_allele or "*1"
    return _call(gene, describe(gene, [ref, ref]))


@pytest.fixture(scope="module")
def disagreements() -> dict[tuple[str, str], list[tuple[str, list[tuple[str, str]]]]]:
    cpic, dpwg = load_guidance_kb(), load_dpwg_kb()
    pairs = {(drug, g) for drug in dpwg.drugs if drug in cpic.drugs
             for r in dpwg.matchable(drug) for g in r.genes if g in cpic.drugs[drug].genes}
    out: dict[tuple[str, str], list[tuple[str, list[tuple[str, str]]]]] = defaultdict(list)
    for gene in sorted({g for _, g in pairs}):
        drugs = sorted(d for d, g in pairs if g == gene)
        others = sorted({g for d in drugs for g in cpic.drugs[d].genes if g != gene})
        for rep in representatives(gene):
            result = guide([rep, *(_normal(g) for g in others)], [], cpic=cpic, dpwg=dpwg)
            for e in result.drugs:
                if e["drug"] not in drugs:
                    continue
                recs = order(r for r in e["recommendations"] if r["source"] == "CPIC" or gene in r["genes"])
                if difference(e["drug"], recs):
                    out[(e["drug"], gene)].append((rep.diplotypes[0], [(r["source"], r["action"]) for r in recs]))
    print(f"\n{len(pairs)} gene-drug pairs in both CPIC and DPWG; {len(out)} disagree on the action "
          "for some result:")
    for (drug, gene), cases in sorted(out.items()):
        print(f"  {drug} / {gene}: {len(cases)} result(s), e.g. {cases[0][0]} {cases[0][1]}")
    return out


@pytest.mark.parametrize(("drug", "gene", "diplotype", "cpic", "dpwg"), [
    ("amitriptyline", "CYP2D6", "*1/*1x≥3", "avoid", "increase_dose"),  # UM: CPIC avoids, DPWG raises the dose
    ("clomipramine", "CYP2C19", "*2/*2", "avoid", "standard_dosing"),   # PM: CPIC avoids, DPWG no action
    ("mercaptopurine", "NUDT15", "*2/*2", "reduce_dose", "avoid"),      # PM: DPWG avoids, CPIC lowers the dose
    ("phenytoin", "CYP2C9", "*1/*2", "standard_dosing", "reduce_dose"),  # DPWG's own *1/*2 row
])
def test_known_disagreements_are_found(disagreements, drug, gene, diplotype, cpic, dpwg):
    cases = dict(disagreements[(drug, gene)])
    got = dict(cases[diplotype])
    assert (got["CPIC"], got["DPWG"]) == (cpic, dpwg)


def test_agreeing_pairs_are_not_flagged(disagreements):
    # both bodies avoid siponimod-free drugs alike: abacavir HLA-B*57:01 is contraindicated by both
    assert ("abacavir", "HLA-B") not in disagreements
    assert ("clopidogrel", "CYP2C19") not in disagreements  # PM: avoid (PCI) vs use an alternative: the same advice
