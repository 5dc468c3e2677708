"""Lowest-function genes (DPYD, RYR1): the variant alleles found, and positions missing.

The rule implemented (PharmCAT's DPYD rules, as its documentation and ``DpydHapB3Matcher``
describe them; RYR1 is called the same way):

* **Missing positions** are removed from every definition. An allele still defined at a
  present position is matched on those positions alone and reported as *possible*, its
  missing positions named: HapB3 (c.1129-5923C>G + c.1236G>A) without its intronic
  position is called from c.1236G>A, as PharmCAT does, with a warning to genotype the
  missing position. An allele whose every defining position is missing cannot be assessed;
  such alleles are named in a warning (lowest function first), never silently read as
  reference.
* **Unphased data** (more than one heterozygous position, not all in one phase set): every
  variant allele whose observed cells are all carried is found, as many times as the
  sample carries it, the most specific definition first (HapB3's two variants are not
  reused by c.1129-5923C>G). Where the observed cells fit several alleles equally (they
  differ only at missing positions: HapB3 and c.1129-5923C>G when c.1236G>A is missing)
  the fully observed allele is named and the others are kept as alternatives: each
  alternative is a candidate diplotype of its own.
* **Phenotype**: the two lowest-function alleles found (CPIC's DPYD rule; reference fills
  up); for phased data the matched diplotype, a haplotype carrying several variant alleles
  represented by its lowest-function one. A possible allele counts toward the phenotype,
  as PharmCAT counts HapB3 called from its exonic variant.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pgxannot.kb.pgx import GeneTable
from pgxannot.pgx.model import Diplotype
from pgxannot.pgx.phenotype import allele_rank, describe, lowest_two, sort_alleles

MAX_CANDIDATES = 16
MAX_NAMED = 8


@dataclass(frozen=True)
class Found:
    """One copy of a variant allele found: the allele named, equal alternatives, missing cells."""

    name: str
    alternatives: tuple[str, ...] = ()
    missing: tuple[int, ...] = ()  # position indices of the named allele's variant cells not observed


def _carried(table: GeneTable, haps: Sequence[np.ndarray], present: np.ndarray) -> np.ndarray:
    """int (n_positions, n_codes): how many haplotypes carry each non-reference code."""
    counts = np.zeros((len(table.positions), 1 + int(table.masks.max()).bit_length()), dtype=np.int64)
    for h in haps:
        p = np.flatnonzero(present & (h > 0))
        np.add.at(counts, (p, h[p].astype(np.int64)), 1)
    return counts


def _take(table: GeneTable, i: int, cols: np.ndarray, counts: np.ndarray) -> list[tuple[int, int]] | None:
    """The (position, code) cells one copy of allele ``i`` uses, or None when one is not carried."""
    takes = []
    for p in cols:
        allowed = [k for k in range(1, counts.shape[1]) if (table.masks[i, p] >> k) & 1 and counts[p, k] > 0]
        if not allowed:
            return None
        takes.append((int(p), allowed[0]))
    return takes


def alleles_found(table: GeneTable, h1: np.ndarray, h2: np.ndarray | None, present: np.ndarray) -> list[Found]:
    """Every copy of every variant allele the haplotypes carry (see the module docstring)."""
    haps = [h1] if h2 is None else [h1, h2]
    counts = _carried(table, haps, present)
    var = table.variant_def
    seen = var & present[None, :]
    lost = var & ~present[None, :]
    n_seen, n_lost = seen.sum(axis=1), lost.sum(axis=1)
    allowed = np.zeros(var.shape, dtype=bool)  # the allele's cell allows a code the sample carries
    for k in range(1, counts.shape[1]):
        allowed |= ((table.masks >> k) & 1).astype(bool) & (counts[:, k] > 0)[None, :]
    carried = (n_seen > 0) & (allowed | ~seen).all(axis=1)
    order = sorted(np.flatnonzero(carried).tolist(), key=lambda i: (-int(n_seen[i]), bool(n_lost[i]), i))
    found: list[Found] = []
    for i in order:
        cols = np.flatnonzero(seen[i])
        while (takes := _take(table, i, cols, counts)) is not None:
            for p, k in takes:
                counts[p, k] -= 1
            found.append(Found(table.allele_names[i], _alternatives(table, i, seen),
                               tuple(int(p) for p in np.flatnonzero(lost[i]))))
    return found


def _alternatives(table: GeneTable, i: int, seen: np.ndarray) -> tuple[str, ...]:
    """Alleles defined exactly like ``i`` at the observed positions (they differ only where missing)."""
    same = (seen == seen[i]).all(axis=1) & ((table.masks == table.masks[i]) | ~seen[i]).all(axis=1)
    same[i] = False
    return tuple(table.allele_names[j] for j in np.flatnonzero(same & seen.any(axis=1)))


def _candidates(table: GeneTable, found: Sequence[Found]) -> tuple[Diplotype, ...]:
    """The lowest-two diplotype of the named alleles first, then one per choice of alternatives."""
    gene = table.gene
    choices = [(f.name, *f.alternatives) for f in found]
    out: dict[str, Diplotype] = {}
    for combo in itertools.islice(itertools.product(*choices), MAX_CANDIDATES):
        d = describe(gene, lowest_two(gene, [table.display_name(a) for a in combo]))
        out.setdefault(d.name, d)
    return tuple(out.values())


def lowest_function_call(table: GeneTable, labels: Sequence[str], h1: np.ndarray, h2: np.ndarray,
                         present: np.ndarray, *, per_haplotype: bool = False,
                         ) -> tuple[tuple[Diplotype, ...], dict[str, object], list[str]]:
    """Candidates, extra evidence and warnings for unphased (or unmatched phased) data."""
    gene = table.gene
    if per_haplotype:
        per_hap = [alleles_found(table, h, None, present) for h in (h1, h2)]
        pick = tuple(lowest_two(gene, [f.name for f in fs])[0] for fs in per_hap)
        haps = [" + ".join(sort_alleles(table, [f.name for f in fs])) or (table.reference_allele or "")
                for fs in per_hap]
        note = (f"{gene} haplotypes carry several variants ({' / '.join(haps)}); "
                "each haplotype is represented by its lowest-function allele")
        found = [f for fs in per_hap for f in fs]
        extra, notes = _evidence(table, labels, present, found)
        return (describe(gene, pick),), {"haplotypes": haps, **extra}, [note, *notes]
    found = alleles_found(table, h1, h2, present)
    names = [f.name for f in found]
    notes = []
    if found:
        notes.append(f"unphased {gene} data: variant alleles found: {', '.join(sort_alleles(table, names))}; "
                     "phenotype from the two lowest-function alleles (CPIC)")
    extra, more = _evidence(table, labels, present, found)
    return _candidates(table, found), {"alleles_found": list(sort_alleles(table, names)), **extra}, notes + more


def partial_alleles(table: GeneTable, labels: Sequence[str], present: np.ndarray,
                    alleles: Sequence[str]) -> tuple[dict[str, object], list[str]]:
    """Evidence for matched diplotypes: alleles called on part of their positions, alleles not assessed."""
    lost = table.variant_def & ~present[None, :]
    idx = {n: i for i, n in enumerate(table.allele_names)}
    found = [Found(a, (), tuple(int(p) for p in np.flatnonzero(lost[idx[a]]))) for a in alleles if a in idx]
    return _evidence(table, labels, present, found)


def _evidence(table: GeneTable, labels: Sequence[str], present: np.ndarray,
              found: Sequence[Found]) -> tuple[dict[str, object], list[str]]:
    extra: dict[str, object] = {}
    notes: list[str] = []
    possible = {f.name: [labels[p] for p in f.missing] for f in found if f.missing}
    if possible:
        extra["possible_alleles"] = dict(sorted(possible.items()))
        for name, where in sorted(possible.items()):
            notes.append(f"{name} is possible: called from its observed position(s) only, "
                         f"{', '.join(where)} missing; genotype {'them' if len(where) > 1 else 'it'} to confirm")
    alternatives = {f.name: list(f.alternatives) for f in found if f.alternatives}
    if alternatives:
        extra["alternatives"] = dict(sorted(alternatives.items()))
        for name, alts in sorted(alternatives.items()):
            notes.append(f"{name} could also be {' or '.join(alts)} (they differ only at missing positions)")
    unassessed = _not_assessed(table, present, {p for f in found for p in f.missing})
    if unassessed:
        shown = ", ".join(unassessed[:MAX_NAMED])
        more = f" and {len(unassessed) - MAX_NAMED} more" if len(unassessed) > MAX_NAMED else ""
        extra["not_assessed"] = unassessed
        notes.append(f"{table.gene} alleles not assessed (every defining position missing), lowest function "
                     f"first: {shown}{more}; the phenotype assumes they are absent")
    return extra, notes


def _not_assessed(table: GeneTable, present: np.ndarray, assumed: set[int]) -> list[str]:
    """Non-normal-function alleles whose every variant cell is at a missing position.

    Positions a possible allele already takes as carried (``assumed``: HapB3's intronic
    position when HapB3 is called from its exonic one) do not make an allele unassessed.
    """
    var = table.variant_def
    gone = var.any(axis=1) & ~(var & present[None, :]).any(axis=1)
    if assumed:
        inside = np.zeros(len(table.positions), dtype=bool)
        inside[list(assumed)] = True
        gone &= (var & ~inside[None, :]).any(axis=1)
    names = [table.display_name(table.allele_names[i]) for i in np.flatnonzero(gone)]
    ranked = sorted(dict.fromkeys(names), key=lambda a: (allele_rank(table, a), table.order.get(a, 0)))
    return [a for a in ranked if allele_rank(table, a) < 1.0]
