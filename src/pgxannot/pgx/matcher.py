"""Named-allele matching for one genotype pattern of one gene (PharmCAT-compatible rules).

A *pattern* is what a sample shows at a gene's positions, already translated to the
definitions' allele codes (0 = reference base of the definition, k = k-th alternate):
two haplotype code vectors plus a phase block per position. Samples with identical
patterns share one call; :mod:`pgxannot.pgx.caller` groups them.

Rules (see PharmCAT's Named Allele Matcher 101/201 documentation):

* a blank cell of a non-reference definition means the reference base;
* missing positions are removed from every definition; an allele's score is the number
  of its defined cells at the positions present; alleles left with no defined cell drop;
* a wobble (IUPAC) cell matched by the reference base does not count toward the score,
  as in PharmCAT (CYP2B6 *18's R at rs2279343: a *9/*18 sample carrying G there ties with
  *6/*18, whose *18 copy would carry the reference A);
* a pair (a, b) explains the sample when, within every phase block, a matches one
  haplotype and b the other; unphased heterozygous positions are blocks of their own;
  where both orientations of a block fit, the better-scoring one counts;
* the highest-scoring pairs win; ties are all reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgxannot.kb.pgx import GeneTable

# Allele codes besides 0..k (the definition's alleles at a position):
MISSING_CODE = -1  # no genotype
HAPLOID_CODE = -2  # the second haplotype of a haploid call
UNDOCUMENTED = -3  # an allele the definitions do not know


@dataclass(frozen=True)
class Match:
    """Winning allele pairs (indices into the table's alleles) with their score."""

    pairs: tuple[tuple[int, ...], ...]  # one element per pair for haploid patterns
    score: int
    all_pairs: tuple[tuple[int, ...], ...] = ()  # every pair that fits, whatever its score


def _compatible(masks: np.ndarray, h: np.ndarray) -> np.ndarray:
    """bool (n_alleles, n_pos): does each allele allow code h[p] at each position."""
    return ((masks >> h[None, :]) & 1).astype(bool)


def _unscored(wobble: np.ndarray, h: np.ndarray) -> np.ndarray:
    """int (n_alleles, n_pos): wobble cells that haplotype ``h`` matches with the reference base."""
    return (wobble & (h[None, :] == 0)).astype(np.int64)


def match_pattern(table: GeneTable, h1: np.ndarray, h2: np.ndarray | None, blocks: np.ndarray,
                  present: np.ndarray) -> Match:
    """Best-scoring pairs for one pattern.

    ``h1``/``h2``: int codes per position (values at non-present positions are ignored);
    ``h2 is None`` means haploid. ``blocks``: int per position, -1 = its own block.
    ``present``: bool per position.
    """
    masks = table.masks[:, present]
    wobble = table.wobble[:, present]
    scores = table.defined[:, present].sum(axis=1)
    usable = scores > 0
    a1 = h1[present].astype(np.int64)
    if h2 is None:
        ok = _compatible(masks, a1).all(axis=1) & usable
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return Match((), 0)
        eff = scores[idx] - _unscored(wobble[idx], a1).sum(axis=1)
        best = eff.max()
        return Match(tuple((int(i),) for i, s in zip(idx, eff, strict=True) if s == best), int(best))
    a2 = h2[present].astype(np.int64)
    cand = np.flatnonzero((_compatible(masks, a1) | _compatible(masks, a2)).all(axis=1) & usable)
    if cand.size == 0:
        return Match((), 0)
    valid, lost = _pairs(masks[cand], wobble[cand], a1, a2, blocks[present])
    ii, jj = np.nonzero(np.triu(valid))
    if ii.size == 0:
        return Match((), 0)
    pair_scores = scores[cand[ii]] + scores[cand[jj]] - lost[ii, jj]
    best = pair_scores.max()
    keep = pair_scores == best
    pairs = tuple((int(cand[i]), int(cand[j])) for i, j in zip(ii[keep], jj[keep], strict=True))
    every = tuple((int(cand[i]), int(cand[j])) for i, j in zip(ii, jj, strict=True))
    return Match(pairs, int(best), every)


def _pairs(masks: np.ndarray, wobble: np.ndarray, a1: np.ndarray, a2: np.ndarray, blk: np.ndarray,
           ) -> tuple[np.ndarray, np.ndarray]:
    """For candidate pairs (i, j): do they explain the genotypes, and how many wobble cells go unscored.

    Homozygous positions fit both orientations alike; each phase block of heterozygous
    positions (an unphased one is a block of its own) takes either orientation, the one
    losing fewer wobble cells when both fit.
    """
    n = masks.shape[0]
    het = a1 != a2
    hom = ~het
    lost_hom = _unscored(wobble[:, hom], a1[hom]).sum(axis=1)
    lost = lost_hom[:, None] + lost_hom[None, :]
    valid = np.ones((n, n), dtype=bool)
    if not het.any():
        return valid, lost
    c1, c2 = _compatible(masks[:, het], a1[het]), _compatible(masks[:, het], a2[het])
    u1, u2 = _unscored(wobble[:, het], a1[het]), _unscored(wobble[:, het], a2[het])
    b = blk[het]
    _, inv = np.unique(np.where(b < 0, -1 - np.arange(b.size), b), return_inverse=True)
    big = np.iinfo(np.int64).max // 4
    for k in range(int(inv.max()) + 1):
        cols = inv == k
        m1 = np.asarray(c1[:, cols].all(axis=1))  # allele fits haplotype 1 at this block
        m2 = np.asarray(c2[:, cols].all(axis=1))
        straight = m1[:, None] & m2[None, :]
        crossed = m2[:, None] & m1[None, :]
        valid &= straight | crossed
        p1, p2 = u1[:, cols].sum(axis=1), u2[:, cols].sum(axis=1)
        if p1.any() or p2.any():
            cost = np.minimum(np.where(straight, p1[:, None] + p2[None, :], big),
                              np.where(crossed, p2[:, None] + p1[None, :], big))
            lost = lost + np.where(valid, cost, 0)
    return valid, lost
