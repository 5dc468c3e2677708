"""Tiny SiteGenotypes built by hand for one gene (no VCF involved)."""

from __future__ import annotations

import numpy as np

from pgxannot.kb.pgx import gene_table
from pgxannot.vcf.model import HAPLOID, MISSING, Site, SiteGenotypes, SiteStatus


def pos_of(gene: str, rsid_or_pos: str | int) -> int:
    for p in gene_table(gene).positions:
        if p.rsid == rsid_or_pos or p.pos == rsid_or_pos:
            return p.pos
    raise KeyError(rsid_or_pos)


def make_sg(gene: str, samples: dict[str, dict[int, str]], *, absent: tuple[int, ...] = (),
            default: str = "0/0") -> SiteGenotypes:
    """``samples``: name -> {GRCh38 pos: "0/1" | "1|0" | "./." | "1" (haploid)}; other sites ``default``."""
    t = gene_table(gene)
    sites = tuple(Site(p.chrom, p.pos, p.ref) for p in t.positions)
    alleles = tuple(p.alleles for p in t.positions)
    n, m = len(sites), len(samples)
    gt = np.zeros((n, m, 2), dtype=np.int16)
    phased = np.zeros((n, m), dtype=bool)
    ps = np.zeros((n, m), dtype=np.int64)
    status = np.full(n, SiteStatus.VARIANT, dtype=np.int8)
    for j, gts in enumerate(samples.values()):
        for i, p in enumerate(t.positions):
            g = gts.get(p.pos, default)
            ps_val = 0
            if ":" in g:
                g, ps_txt = g.split(":")
                ps_val = int(ps_txt)
            sep = "|" if "|" in g else "/"
            parts = g.split(sep)
            a = [MISSING if x == "." else int(x) for x in parts]
            if len(a) == 1:
                a.append(HAPLOID)
            gt[i, j] = a
            phased[i, j] = sep == "|"
            ps[i, j] = ps_val
    for i, p in enumerate(t.positions):
        if p.pos in absent:
            status[i] = SiteStatus.ABSENT
            gt[i] = MISSING
    return SiteGenotypes(tuple(samples), sites, alleles, gt, phased, ps, status)


def carrying(gene: str, *names: str, gt: str = "0/1") -> dict[int, str]:
    """Genotypes putting the variant cells of ``names`` (one copy each) at ``gt``."""
    t = gene_table(gene)
    idx = {n: i for i, n in enumerate(t.allele_names)}
    out: dict[int, str] = {}
    for name in names:
        for j in t.variant_def[idx[name]].nonzero()[0]:
            out[t.positions[j].pos] = gt
    return out
