"""Lowest-function genes (DPYD, RYR1): the variant alleles found and the two lowest-function ones."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pgxannot.kb.pgx import GeneTable
from pgxannot.pgx.matcher import variant_alleles_found
from pgxannot.pgx.model import Diplotype
from pgxannot.pgx.phenotype import describe, lowest_two, sort_alleles


def lowest_function_call(table: GeneTable, labels: Sequence[str], h1: np.ndarray, h2: np.ndarray,
                         present: np.ndarray, *, per_haplotype: bool = False,
                         ) -> tuple[tuple[Diplotype, ...], dict[str, object], list[str]]:
    """Candidates, extra evidence and warnings for unphased (or unmatched phased) data."""
    gene = table.gene
    if per_haplotype:
        per_hap = [variant_alleles_found(table, h, None, present) for h in (h1, h2)]
        pick = tuple(lowest_two(gene, f)[0] for f in per_hap)
        haps = [" + ".join(sort_alleles(table, f)) or (table.reference_allele or "") for f in per_hap]
        note = (f"{gene} haplotypes carry several variants ({' / '.join(haps)}); "
                "each haplotype is represented by its lowest-function allele")
        return (describe(gene, pick),), {"haplotypes": haps}, [note]
    found = variant_alleles_found(table, h1, h2, present)
    dip = describe(gene, lowest_two(gene, found))
    notes = []
    if found:
        notes.append(f"unphased {gene} data: variant alleles found: {', '.join(sort_alleles(table, found))}; "
                     "phenotype from the two lowest-function alleles (CPIC)")
    return (dip,), {"alleles_found": list(sort_alleles(table, found))}, notes


def partial_alleles(table: GeneTable, labels: Sequence[str], present: np.ndarray,
                    alleles: Sequence[str]) -> tuple[dict[str, object], list[str]]:
    """Alleles called on part of their positions: nothing yet."""
    return {}, []
