"""Named-allele matching for one genotype pattern of one gene (PharmCAT-compatible rules).

A *pattern* is what a sample shows at a gene's positions, already translated to the
definitions' allele codes (0 = reference base of the definition, k = k-th alternate):
two haplotype code vectors plus a phase block per position. Samples with identical
patterns share one call; :mod:`pgxannot.pgx.caller` groups them.

Rules (see PharmCAT's Named Allele Matcher 101/201 documentation):

* a blank cell of a non-reference definition means the reference base;
* missing positions are removed from every definition; an allele's score is the number
  of its defined cells at the positions present; alleles left with no defined cell drop;
* a pair (a, b) explains the sample when, within every phase block, a matches one
  haplotype and b the other; unphased heterozygous positions are blocks of their own;
* the highest-scoring pairs win; ties are all reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgxannot.kb.pgx import GeneTable

MISSING_CODE = -1
UNDOCUMENTED = -3


@dataclass(frozen=True)
class Match:
    """Winning allele pairs (indices into the table's alleles) with their score."""

    pairs: tuple[tuple[int, ...], ...]  # one element per pair for haploid patterns
    score: int
    all_pairs: tuple[tuple[int, ...], ...] = ()  # every pair that fits, whatever its score


def _compatible(masks: np.ndarray, h: np.ndarray) -> np.ndarray:
    """bool (n_alleles, n_pos): does each allele allow code h[p] at each position."""
    return ((masks >> h[None, :]) & 1).astype(bool)


def match_pattern(table: GeneTable, h1: np.ndarray, h2: np.ndarray | None, blocks: np.ndarray,
                  present: np.ndarray) -> Match:
    """Best-scoring pairs for one pattern.

    ``h1``/``h2``: int codes per position (values at non-present positions are ignored);
    ``h2 is None`` means haploid. ``blocks``: int per position, -1 = its own block.
    ``present``: bool per position.
    """
    masks = table.masks[:, present]
    scores = table.defined[:, present].sum(axis=1)
    usable = scores > 0
    a1 = h1[present].astype(np.int64)
    if h2 is None:
        ok = _compatible(masks, a1).all(axis=1) & usable
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return Match((), 0)
        best = scores[idx].max()
        return Match(tuple((int(i),) for i in idx if scores[i] == best), int(best))
    a2 = h2[present].astype(np.int64)
    c1 = _compatible(masks, a1)
    c2 = _compatible(masks, a2)
    cand = np.flatnonzero(((c1 | c2).all(axis=1)) & usable)
    if cand.size == 0:
        return Match((), 0)
    het = a1 != a2
    c1, c2 = c1[cand][:, het], c2[cand][:, het]
    blk = blocks[present][het]
    if het.any():
        labels, inv = np.unique(np.where(blk < 0, -1 - np.arange(blk.size), blk), return_inverse=True)
        nb = labels.size
        # per block: allele matches hap1 (hap2) at all the block's het positions
        m1 = np.ones((cand.size, nb), dtype=bool)
        m2 = np.ones((cand.size, nb), dtype=bool)
        for b in range(nb):
            cols = inv == b
            m1[:, b] = c1[:, cols].all(axis=1)
            m2[:, b] = c2[:, cols].all(axis=1)
        valid = ((m1[:, None, :] & m2[None, :, :]) | (m2[:, None, :] & m1[None, :, :])).all(axis=2)
    else:
        valid = np.ones((cand.size, cand.size), dtype=bool)
    ii, jj = np.nonzero(np.triu(valid))
    if ii.size == 0:
        return Match((), 0)
    pair_scores = scores[cand[ii]] + scores[cand[jj]]
    best = pair_scores.max()
    keep = pair_scores == best
    pairs = tuple((int(cand[i]), int(cand[j])) for i, j in zip(ii[keep], jj[keep], strict=True))
    every = tuple((int(cand[i]), int(cand[j])) for i, j in zip(ii, jj, strict=True))
    return Match(pairs, int(best), every)


def variant_alleles_found(table: GeneTable, h1: np.ndarray, h2: np.ndarray | None,
                          present: np.ndarray) -> list[str]:
    """Non-reference alleles carried (each copy listed), most specific definitions first.

    Used for DPYD/RYR1 unphased data: every allele whose variant cells are all carried is
    counted as many times as the sample carries it; cells consumed by a more specific
    allele (e.g. HapB3's two variants) are not reused by a less specific one.
    """
    haps = [h1] if h2 is None else [h1, h2]
    counts = np.zeros((len(table.positions), 1 + int(table.masks.max()).bit_length()), dtype=np.int64)
    for h in haps:
        for p in np.flatnonzero(present):
            if h[p] > 0:
                counts[p, h[p]] += 1
    var = table.variant_def
    order = sorted(range(len(table.allele_names)), key=lambda i: (-int(var[i].sum()), i))
    found: list[str] = []
    for i in order:
        cols = np.flatnonzero(var[i])
        if cols.size == 0 or not present[cols].all():
            continue
        while True:
            takes = []
            for p in cols:
                allowed = [k for k in range(1, counts.shape[1]) if (table.masks[i, p] >> k) & 1 and counts[p, k] > 0]
                if not allowed:
                    break
                takes.append((p, allowed[0]))
            if len(takes) != cols.size:
                break
            for p, k in takes:
                counts[p, k] -= 1
            found.append(table.allele_names[i])
    return found
