"""Checks and decoding of one VCF record: genotypes, phase sets, gVCF reference blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pgxannot.errors import VcfError
from pgxannot.vcf.handle import locate_bad_line
from pgxannot.vcf.model import HAPLOID, MISSING, VcfInfo
from pgxannot.vcf.normalize import NON_REF_ALLELES


def record_genotypes(v, path: Path, n_alleles: int, n_samples: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """(gt int16 (n,2), phased bool (n,), haploid_any) of one record, checked.

    A record whose FORMAT has no GT (GT is optional per record) is a no-call for every sample.
    """
    try:
        arr = v.genotype.array()
    except Exception as exc:
        if "GT" not in (v.FORMAT or ()):  # GT is optional per record: no call here
            return (np.full((n_samples, 2), MISSING, dtype=np.int16), np.zeros(n_samples, dtype=bool), False)
        raise VcfError(f"genotypes cannot be read ({exc})", path=path,
                       where=f"record {v.CHROM}:{v.POS}") from None
    ploidy = arr.shape[1] - 1
    if ploidy > 2:
        # a trailing -2 column pads lower-ploidy calls; a real third allele is an error
        extra = arr[:, 2:ploidy]
        if (extra != HAPLOID).any():
            raise VcfError(f"ploidy {ploidy} genotype", path=path, where=f"record {v.CHROM}:{v.POS}",
                           hint="pgxannot handles diploid and haploid calls; split or drop polyploid records")
    if ploidy == 1:
        gt = np.full((arr.shape[0], 2), HAPLOID, dtype=np.int16)
        gt[:, 0] = arr[:, 0]
    else:
        gt = arr[:, :2].astype(np.int16)
    phased = arr[:, -1].astype(bool)
    top = gt.max(initial=-1)
    if top >= n_alleles:
        raise VcfError(f"genotype allele index {top} but the record has only {n_alleles - 1} ALT allele(s)",
                       path=path, where=f"record {v.CHROM}:{v.POS}",
                       hint="the GT field is corrupt; re-create the VCF")
    gt[gt < HAPLOID] = MISSING
    haploid = bool((gt[:, 1] == HAPLOID).any())
    # a haploid call whose only allele is missing stays missing
    return gt, phased, haploid


def check_record(v, info: VcfInfo) -> None:
    """Refuse a record without REF (a line whose columns are not tab-separated).

    htslib parses such a line into a record with no alleles, and cyvcf2 crashes (segfault)
    on the first access to its REF, so it must be caught before anything reads it. A
    valid record always spans at least one base (``end > start``).
    """
    if v.end > v.start:
        return
    bad = locate_bad_line(info)
    where = f"line {bad[0]}" if bad else f"record starting {v.CHROM[:40]!r}"
    raise VcfError("malformed record: no REF/ALT columns (fewer than 8 tab-separated columns)",
                   path=info.path, where=where,
                   hint="VCF columns must be separated by tabs, not spaces; check it with 'bcftools view'")


def record_ps(v, n: int) -> np.ndarray:
    try:
        ps = v.format("PS")
    except (KeyError, Exception):
        ps = None
    if ps is None:
        return np.zeros(n, dtype=np.int64)
    ps = np.asarray(ps).reshape(n, -1)[:, 0]
    ps = np.where(ps < 0, 0, ps)  # missing PS (int32 min) -> none
    return ps.astype(np.int64)


def ref_block_end(v) -> int | None:
    """END of a gVCF reference block (ALT only <NON_REF>/<*> or '.'), else None."""
    alts = v.ALT
    if alts and not all(a in NON_REF_ALLELES for a in alts):
        return None
    end = v.INFO.get("END")
    if end is None:
        return v.POS + len(v.REF) - 1
    try:
        return int(end)
    except (TypeError, ValueError):
        return None
