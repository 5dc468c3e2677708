"""Every variant record of some regions (or of the whole file), for the risk screens."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from pgxannot.vcf.genome import ChromMap, canonical_chrom
from pgxannot.vcf.handle import merge_windows, query, reading, sample_order, seqnames
from pgxannot.vcf.header import checked_inputs
from pgxannot.vcf.index import ensure_index
from pgxannot.vcf.model import VariantRecord, VcfInfo
from pgxannot.vcf.normalize import NON_REF_ALLELES
from pgxannot.vcf.records import check_record, record_genotypes


def iter_variants(
    paths: Sequence[str | Path],
    *,
    samples: Sequence[str] | None = None,
    regions: Sequence[tuple[str, int, int]] | None = None,
    build: str = "GRCh38",
    index_dir: Path | None = None,
    info_keys: Sequence[str] = (),
) -> Iterator[VariantRecord]:
    """Every variant record (not reference blocks) of ``paths`` in ``regions`` (all when None).

    ``regions`` are ``(canonical chrom, start, end)``, 1-based inclusive. Streams in
    bounded memory; genotypes of the selected samples only. ``info_keys`` INFO
    fields (e.g. ``CSQ``, ``ANN``) are copied into ``VariantRecord.info``.
    """
    infos, wanted = checked_inputs(paths, samples, build)
    for info in infos:
        yield from _iter_one(info, wanted, regions, index_dir, tuple(info_keys))


def _iter_one(info: VcfInfo, wanted: list[str], regions: Sequence[tuple[str, int, int]] | None,
              index_dir: Path | None, info_keys: tuple[str, ...]) -> Iterator[VariantRecord]:
    index = ensure_index(info, index_dir) if regions is not None else None
    with reading(info, index, samples=wanted) as vcf:
        order = sample_order(vcf, wanted, info.path)
        if regions is None:
            raw: Iterator = iter(vcf)
        elif index is not None:
            raw = _queried(vcf, _Windows(regions), ChromMap(seqnames(vcf)))
        else:
            windows = _Windows(regions)
            raw = (v for v in vcf if windows.inside(canonical_chrom(v.CHROM), v.POS))
        for v in raw:
            rec = _to_record(v, info, len(wanted), order, info_keys)
            if rec is not None:
                yield rec


class _Windows:
    """Merged query windows per canonical chromosome, and whether a position falls in one."""

    def __init__(self, regions: Sequence[tuple[str, int, int]]) -> None:
        by_chrom: dict[str, list[tuple[int, int]]] = {}
        for c, s, e in regions:
            by_chrom.setdefault(canonical_chrom(c), []).append((s, e))
        self.merged = {c: merge_windows(w) for c, w in by_chrom.items()}
        self._starts = {c: [w[0] for w in ws] for c, ws in self.merged.items()}

    def inside(self, chrom: str, pos: int) -> bool:
        ws = self.merged.get(chrom)
        if not ws:
            return False
        j = bisect.bisect_right(self._starts[chrom], pos) - 1
        return j >= 0 and ws[j][0] <= pos <= ws[j][1]


def _queried(vcf, windows: _Windows, cmap: ChromMap) -> Iterator:
    """Records of the windows by region queries, each once (a record reaching into the
    next window from upstream is yielded by its own window only)."""
    seen: set[tuple[str, int, str, tuple[str, ...]]] = set()
    for chrom, ws in windows.merged.items():
        for name in cmap.vcf_name(chrom):
            for start, end in ws:
                for v in query(vcf, f"{name}:{start}-{end}"):
                    if start > v.POS:  # overlapping from upstream: yielded by its own window
                        key = (chrom, v.POS, v.REF, tuple(v.ALT))
                        if key in seen or not windows.inside(chrom, v.POS):
                            continue
                        seen.add(key)
                    yield v


def _to_record(v, info: VcfInfo, n_samples: int, order: np.ndarray | None,
               info_keys: tuple[str, ...]) -> VariantRecord | None:
    """The checked VariantRecord of a cyvcf2 record (None for reference blocks)."""
    check_record(v, info)
    alts = tuple(a.upper() for a in v.ALT)
    if not alts or all(a in NON_REF_ALLELES for a in alts):
        return None
    gt, phased, _ = record_genotypes(v, info.path, 1 + len(alts), n_samples)
    if order is not None:
        gt, phased = gt[order], phased[order]
    info_d = {}
    for k in info_keys:
        val = v.INFO.get(k)
        if val is not None:
            info_d[k] = val
    return VariantRecord(chrom=canonical_chrom(v.CHROM), pos=v.POS, ref=v.REF.upper(), alts=alts,
                         gt=gt, phased=phased, info=info_d, record_id=v.ID)
