"""Genotypes at requested sites (the pharmacogene positions) of many samples, as arrays."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pgxannot.errors import BuildMismatchError, VcfError
from pgxannot.vcf.genome import ChromMap, canonical_chrom
from pgxannot.vcf.handle import Reordered, merge_windows, query, reading, sample_order, seqnames
from pgxannot.vcf.header import checked_inputs
from pgxannot.vcf.index import ensure_index
from pgxannot.vcf.model import HAPLOID, MISSING, Site, SiteGenotypes, SiteStatus, VcfInfo
from pgxannot.vcf.normalize import NON_REF_ALLELES, is_symbolic, reexpress
from pgxannot.vcf.records import check_record, record_genotypes, record_ps, ref_block_end


class _SiteAccumulator:
    """Builds SiteGenotypes arrays record by record, merging split records at one site."""

    def __init__(self, sites: Sequence[Site], n: int) -> None:
        self.sites = list(sites)
        self.n = n
        self.by_pos: dict[tuple[str, int], list[int]] = {}
        for i, s in enumerate(self.sites):
            self.by_pos.setdefault((s.chrom, s.pos), []).append(i)
        self.alleles: list[list[str]] = [[s.ref] for s in self.sites]
        self.gt = np.full((len(self.sites), n, 2), MISSING, dtype=np.int16)
        self.phased = np.zeros((len(self.sites), n), dtype=bool)
        self.ps = np.zeros((len(self.sites), n), dtype=np.int64)
        self.status = np.zeros(len(self.sites), dtype=np.int8)
        self.seen = np.zeros(len(self.sites), dtype=bool)
        self.ref_mismatch: list[str] = []
        self.notes: list[str] = []
        # sorted positions per chromosome, for reference-block overlap
        self.sorted_pos: dict[str, list[int]] = {}
        for s in self.sites:
            self.sorted_pos.setdefault(s.chrom, []).append(s.pos)
        for v in self.sorted_pos.values():
            v.sort()

    def wants(self, chrom: str, pos: int, end: int | None) -> bool:
        if (chrom, pos) in self.by_pos:
            return True
        if end is None or end <= pos:
            return False
        plist = self.sorted_pos.get(chrom)
        if not plist:
            return False
        j = bisect.bisect_left(plist, pos)
        return j < len(plist) and plist[j] <= end

    def add_record(self, chrom: str, v, path: Path) -> None:
        pos = v.POS
        block_end = ref_block_end(v)
        if block_end is not None:
            idx: list[int] = []
            plist = self.sorted_pos.get(chrom, [])
            lo = bisect.bisect_left(plist, pos)
            hi = bisect.bisect_right(plist, block_end)
            for p in sorted(set(plist[lo:hi])):
                idx.extend(self.by_pos[(chrom, p)])
            if not idx:
                return
            gt, phased, _ = record_genotypes(v, path, 1 + len(v.ALT), self.n)
            gt = np.where(gt > 0, MISSING, gt)  # a call of <NON_REF> is not a known allele
            ps = record_ps(v, self.n)
            for i in idx:
                self._merge(i, gt, phased, ps, SiteStatus.REF_BLOCK)
            return
        idx = self.by_pos.get((chrom, pos), [])
        if not idx:
            return
        rec_ref = v.REF.upper()
        alts = [a.upper() for a in v.ALT]
        gt, phased, _ = record_genotypes(v, path, 1 + len(alts), self.n)
        ps = record_ps(v, self.n)
        for i in idx:
            site = self.sites[i]
            codes = np.empty(1 + len(alts) + 2, dtype=np.int16)
            codes[-1] = MISSING  # index -1 -> missing
            codes[-2] = HAPLOID  # index -2 -> haploid marker
            ref_expr = reexpress(site.ref, rec_ref, rec_ref)
            if ref_expr is None:
                self.ref_mismatch.append(f"{site.key} (VCF REF {rec_ref}, expected {site.ref})")
                codes[0] = self._allele_code(i, f"{rec_ref}>{rec_ref}")
            else:
                codes[0] = 0 if ref_expr == site.ref else self._allele_code(i, ref_expr)
            for k, alt in enumerate(alts, start=1):
                if is_symbolic(alt):
                    codes[k] = MISSING
                    continue
                expr = reexpress(site.ref, rec_ref, alt) if ref_expr is not None else None
                codes[k] = self._allele_code(i, expr if expr is not None else f"{rec_ref}>{alt}")
            mapped = codes[gt]  # fancy index; -1/-2 map through the tail entries
            self._merge(i, mapped, phased, ps, SiteStatus.VARIANT)

    def _allele_code(self, i: int, allele: str) -> int:
        al = self.alleles[i]
        if allele not in al:
            al.append(allele)
        return al.index(allele)

    def _merge(self, i: int, gt: np.ndarray, phased: np.ndarray, ps: np.ndarray, status: SiteStatus) -> None:
        if not self.seen[i]:
            self.gt[i] = gt
            self.phased[i] = phased
            self.ps[i] = ps
            self.status[i] = status
            self.seen[i] = True
            return
        if status == SiteStatus.VARIANT:
            self.status[i] = SiteStatus.VARIANT
        cur = self.gt[i]
        cur_missing = (cur == MISSING).all(axis=1)
        new_missing = (gt == MISSING).all(axis=1)
        take = cur_missing & ~new_missing
        cur[take] = gt[take]
        self.phased[i][take] = phased[take]
        self.ps[i][take] = ps[take]
        both = np.flatnonzero(~cur_missing & ~new_missing & (gt > 0).any(axis=1))
        for s in both:  # only samples with a second non-reference record here: rare
            merged = _combine(cur[s], gt[s])
            if merged is None:
                self.notes.append(f"{self.sites[i].key}: conflicting records for one sample; set to missing")
                cur[s] = (MISSING, MISSING if cur[s][1] != HAPLOID else HAPLOID)
            else:
                cur[s] = merged

    def result(self, samples: Sequence[str]) -> SiteGenotypes:
        return SiteGenotypes(
            samples=tuple(samples),
            sites=tuple(self.sites),
            alleles=tuple(tuple(a) for a in self.alleles),
            gt=self.gt,
            phased=self.phased,
            ps=self.ps,
            status=self.status,
            notes=tuple(self.notes),
        )


def _combine(cur: np.ndarray, new: np.ndarray) -> np.ndarray | None:
    """Merge one sample's genotypes from two records at one site (split multi-allelics, SNV + indel).

    Each record's non-reference alleles keep their slot where it is free, else take the
    other free slot; more non-reference copies than the sample has slots is a conflict
    (None). A homozygous call in the second record stays homozygous (G6PD Chatham 1/1
    after a 0/0 deletion record at chrX:154532990 was merged as heterozygous).
    """
    slots = [k for k in range(2) if cur[k] != HAPLOID]
    have = Counter(int(x) for x in cur if x > 0)
    add = Counter(int(x) for x in new if x > 0)
    if sum((have | add).values()) > len(slots):
        return None
    need = add - have  # copies the second record adds (a repeated record adds none)
    out = cur.copy()
    for k in slots:
        a = int(new[k])
        if a <= 0 or need[a] <= 0:
            continue
        free = [j for j in ([k] + [s for s in slots if s != k]) if out[j] <= 0]
        out[free[0]] = a
        need[a] -= 1
    return out


def read_site_genotypes(
    paths: Sequence[str | Path],
    sites: Sequence[Site],
    *,
    samples: Sequence[str] | None = None,
    build: str = "GRCh38",
    index_dir: Path | None = None,
) -> SiteGenotypes:
    """Genotypes of ``samples`` (default: all of the first file) at ``sites``, from one or more VCFs.

    Several paths hold one set of samples split by chromosome (or region); every
    path must contain every requested sample. Sites no record covers stay
    missing (``SiteStatus.ABSENT``) — never silently reference.
    """
    if not paths:
        raise VcfError("no VCF given")
    infos, wanted = checked_inputs(paths, samples, build)
    acc = _SiteAccumulator(sites, len(wanted))
    for info in infos:
        _read_sites_from(info, wanted, acc, index_dir)
    if acc.ref_mismatch:
        n_var = int((acc.status == SiteStatus.VARIANT).sum())
        if len(acc.ref_mismatch) >= 5 and len(acc.ref_mismatch) > 0.5 * max(n_var, 1):
            raise BuildMismatchError(
                f"REF alleles differ from the {build} reference at {len(acc.ref_mismatch)} of {n_var} "
                f"pharmacogene positions (e.g. {acc.ref_mismatch[0]})",
                path=infos[0].path, hint="the VCF is probably on another build; check reference_build")
        acc.notes.extend(f"REF mismatch at {m}" for m in acc.ref_mismatch)
    return acc.result(wanted)


def _read_sites_from(info: VcfInfo, samples: list[str], acc: _SiteAccumulator, index_dir: Path | None) -> None:
    index = ensure_index(info, index_dir)
    with reading(info, index, samples=samples) as vcf:
        order = sample_order(vcf, samples, info.path)
        cmap = ChromMap(seqnames(vcf) if index is not None else info.contigs)

        def feed(v) -> None:
            check_record(v, info)
            chrom = canonical_chrom(v.CHROM)
            end = None
            if not v.ALT or all(a in NON_REF_ALLELES for a in v.ALT):
                end = ref_block_end(v)
            if acc.wants(chrom, v.POS, end):
                acc.add_record(chrom, v if order is None else Reordered(v, order), info.path)

        if index is not None:
            for chrom, plist in acc.sorted_pos.items():
                for name in cmap.vcf_name(chrom):
                    for start, end in merge_windows([(p, p) for p in plist]):
                        for v in query(vcf, f"{name}:{start}-{end}"):
                            feed(v)
        else:
            for v in vcf:
                feed(v)
