"""Round trip of the star-allele caller: synthetic samples from pairs of named alleles.

For every VCF-callable gene, every pair of named alleles (exhaustive, or a seeded random
sample when ``--max-pairs`` is smaller) becomes one sample whose genotypes are what the
definitions say (blank cells = reference). Each sample is built phased (one phase set)
and unphased, called, and scored:

* exact  - one candidate, the true diplotype;
* tie    - several candidates, the true one among them (genuine ambiguity);
* other  - the true diplotype is not among the candidates. Each is checked: when the
  winning diplotype yields the very same genotypes (definitions that cannot be told
  apart, the more specific one winning by score), it is "indistinguishable"; anything
  else is "unexplained" and is a bug.

DPYD and RYR1 unphased are scored on the lowest-two diplotype CPIC uses.

Usage: ``PYTHONPATH=src python benchmarks/pgx_roundtrip.py [--max-pairs N] [--seed S] [--genes G ...]``
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from dataclasses import dataclass

import numpy as np

from pgxannot.kb.pgx import GeneTable, gene_table, vcf_genes
from pgxannot.pgx.caller import call_samples
from pgxannot.pgx.phenotype import lowest_two, sort_alleles
from pgxannot.vcf.model import Site, SiteGenotypes, SiteStatus


@dataclass
class Tally:
    gene: str
    mode: str
    n: int = 0
    exact: int = 0
    tie: int = 0
    indistinguishable: int = 0
    unexplained: int = 0
    examples: list[str] | None = None


def haplotype_codes(table: GeneTable) -> np.ndarray:
    """int (n_alleles, n_positions): the VCF allele code each definition implies."""
    masks = table.masks
    # lowest allowed code (IUPAC cells: the first matching base)
    codes = np.zeros(masks.shape, dtype=np.int16)
    for k in range(int(masks.max()).bit_length() - 1, -1, -1):
        codes = np.where((masks >> k) & 1, k, codes)
    return codes


def build_sg(table: GeneTable, codes: np.ndarray, pairs: list[tuple[int, int]], phased: bool) -> SiteGenotypes:
    sites = tuple(Site(p.chrom, p.pos, p.ref) for p in table.positions)
    alleles = tuple(p.alleles for p in table.positions)
    a = np.array([i for i, _ in pairs])
    b = np.array([j for _, j in pairs])
    gt = np.stack([codes[a].T, codes[b].T], axis=2).astype(np.int16)
    n = len(pairs)
    return SiteGenotypes(
        samples=tuple(f"s{i}" for i in range(n)), sites=sites, alleles=alleles, gt=gt,
        phased=np.full((len(sites), n), phased), ps=np.zeros((len(sites), n), dtype=np.int64),
        status=np.full(len(sites), SiteStatus.VARIANT, dtype=np.int8))


def _genotype(codes: np.ndarray, names: dict[str, int], alleles: tuple[str, ...], phased: bool) -> tuple:
    """Phased: the two haplotype rows in both orders; unphased: per-position sorted pairs."""
    rows = [codes[names[x]].tolist() for x in alleles]
    if len(rows) == 1:
        rows = rows * 2
    if phased:
        return (tuple(rows[0]), tuple(rows[1])), (tuple(rows[1]), tuple(rows[0]))
    g = tuple(tuple(sorted(x)) for x in zip(rows[0], rows[1], strict=True))
    return g, g


def run_gene(gene: str, max_pairs: int | None, seed: int) -> list[Tally]:
    t = gene_table(gene)
    codes = haplotype_codes(t)
    names = {n: i for i, n in enumerate(t.allele_names)}
    for i, n in enumerate(t.allele_names):  # suballeles (SLCO1B1 *45.001) are reported by their parent
        names.setdefault(t.display_name(n), i)
    n_a = len(t.allele_names)
    pairs = list(itertools.combinations_with_replacement(range(n_a), 2))
    if max_pairs is not None and len(pairs) > max_pairs:
        pairs = random.Random(seed).sample(pairs, max_pairs)
    out = []
    for phased in (True, False):
        tally = Tally(gene, "phased" if phased else "unphased", examples=[])
        sg = build_sg(t, codes, pairs, phased)
        calls = call_samples(sg, genes=[gene], sexes={s: "female" for s in sg.samples})
        for (i, j), s in zip(pairs, sg.samples, strict=True):
            call = calls[s][0]
            truth = sort_alleles(t, (t.display_name(t.allele_names[i]), t.display_name(t.allele_names[j])))
            if t.matching == "lowest_function" and (not phased or (len(call.candidates) == 1 and call.extra.get(
                    "alleles_found") is not None)):
                ref = t.reference_allele
                truth = sort_alleles(t, lowest_two(gene, [x for x in truth if x != ref]))
            got = [d.alleles for d in call.candidates]
            tally.n += 1
            if got == [truth]:
                tally.exact += 1
            elif truth in got:
                tally.tie += 1
            elif (got and all(_same_genotype(t, codes, g, (i, j), phased) for g in got)) or (got and t.matching == "lowest_function" and all(
                    d.phenotype == call.candidates[0].phenotype for d in call.candidates)):
                tally.indistinguishable += 1
            else:
                tally.unexplained += 1
                if len(tally.examples) < 5:  # type: ignore[arg-type]
                    tally.examples.append(f"{'/'.join(truth)} -> {call.diplotypes or call.reason}")  # type: ignore[union-attr]
        out.append(tally)
    return out


def _same_genotype(table: GeneTable, codes: np.ndarray, got: tuple[str, ...], truth: tuple[int, int],
                   phased: bool) -> bool:
    """Would the called alleles produce the truth's genotypes (IUPAC cells allow either base)?

    A called name stands for every definition allele reported under it (SLCO1B1 *45 for
    *45.001 and *45.002).
    """
    options = [[k for k, n in enumerate(table.allele_names) if table.display_name(n) == x] for x in (got * 2)[:2]]
    h = [codes[truth[0]], codes[truth[1]]]

    def fits(m: np.ndarray, c: np.ndarray) -> np.ndarray:
        return ((m >> c) & 1).astype(bool)

    for a, b in itertools.product(*options):
        straight = fits(table.masks[a], h[0]) & fits(table.masks[b], h[1])
        crossed = fits(table.masks[a], h[1]) & fits(table.masks[b], h[0])
        if (straight.all() or crossed.all()) if phased else (straight | crossed).all():
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-pairs", type=int, default=None, help="per gene; default exhaustive")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--genes", nargs="*", default=None)
    args = ap.parse_args(argv)
    genes = args.genes or [g for g in vcf_genes() if g != "MT-RNR1"]
    total = Tally("ALL", "both")
    print("gene\tmode\tpairs\texact\ttie\tindistinguishable\tunexplained\tseconds")
    for gene in genes:
        t0 = time.perf_counter()
        tallies = run_gene(gene, args.max_pairs, args.seed)
        dt = time.perf_counter() - t0
        for t in tallies:
            print(f"{t.gene}\t{t.mode}\t{t.n}\t{t.exact}\t{t.tie}\t{t.indistinguishable}\t{t.unexplained}\t{dt / 2:.1f}")
            for e in t.examples or []:
                print(f"  unexplained: {e}")
            total.n += t.n
            total.exact += t.exact
            total.tie += t.tie
            total.indistinguishable += t.indistinguishable
            total.unexplained += t.unexplained
    print(f"ALL\tboth\t{total.n}\t{total.exact}\t{total.tie}\t{total.indistinguishable}\t{total.unexplained}")
    return 1 if total.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
