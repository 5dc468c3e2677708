"""What a VCF holds at the pharmacogene positions, read in seconds (checks before any job).

:func:`probe_vcf` reads, for each build, the REF of the records that start at that
build's pharmacogene positions (input of :func:`pgxannot.vcf.build.decide_build`), counts
the records inside the configured build's pharmacogene windows (a VCF that reaches none
is filtered to other regions or on another build) and gVCF reference blocks, and
summarises a few dozen genotype records per sample: phased or not, and chrX ploidy.

Indexed files (or files the work folder indexes) are read by region queries only, with
no sample decoded for the REF pass; other files are streamed once. Wide multi-sample
VCFs stay fast: htslib skips the genotype columns when no sample is selected.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pgxannot.vcf.genome import ChromMap, canonical_chrom
from pgxannot.vcf.handle import merge_windows, query, reading, seqnames
from pgxannot.vcf.index import ensure_index
from pgxannot.vcf.model import HAPLOID, Site, VcfInfo
from pgxannot.vcf.records import check_record, record_genotypes, ref_block_end

# genotype records summarised per file: enough to tell phased from unphased and chrX ploidy
GENOTYPE_RECORDS = 40
GENOTYPE_GAP = 300  # positions this close are read by one region query in the genotype pass
CHR_X = "chrX"


@dataclass
class GenotypeSummary:
    """Calls of one sample in the summarised records."""

    diploid: int = 0  # called diploid genotypes (no missing allele)
    phased: int = 0  # of those, phased
    x_haploid: int = 0  # called haploid genotypes on chrX
    x_diploid: int = 0  # called diploid genotypes on chrX
    x_het: int = 0  # of those, heterozygous


@dataclass
class VcfProbe:
    """What one VCF holds at the PGx positions (see the module docstring)."""

    info: VcfInfo
    refs: dict[str, dict[tuple[str, int], str]]  # build -> (chrom, pos) -> REF of the first record there
    records_in_regions: int  # records inside the configured build's PGx windows
    ref_blocks: int  # gVCF reference blocks among them
    has_records: bool
    indexed: bool  # read by region queries (own index or one built in the work folder)
    genotypes: dict[str, GenotypeSummary] = field(default_factory=dict)

    def observed(self, sites: Mapping[str, Sequence[Site]]) -> dict[str, list[tuple[str, str]]]:
        """(expected REF, REF in the VCF) per build, where a record starts at a position."""
        out: dict[str, list[tuple[str, str]]] = {}
        for build, ss in sites.items():
            seen = self.refs.get(build, {})
            out[build] = [(s.ref, seen[(s.chrom, s.pos)]) for s in ss if (s.chrom, s.pos) in seen]
        return out


class _Windows:
    """The configured build's PGx windows, for counting the records that fall inside."""

    def __init__(self, sites: Sequence[Site]) -> None:
        by_chrom: dict[str, list[tuple[int, int]]] = {}
        for s in sites:
            by_chrom.setdefault(s.chrom, []).append((s.pos, s.pos))
        self.windows = {c: merge_windows(p) for c, p in by_chrom.items()}
        self.starts = {c: [w[0] for w in ws] for c, ws in self.windows.items()}

    def contains(self, chrom: str, pos: int, end: int) -> bool:
        ws = self.windows.get(chrom)
        if not ws:
            return False
        j = bisect.bisect_right(self.starts[chrom], end) - 1
        return j >= 0 and ws[j][1] >= pos


class _Tally:
    def __init__(self, sites: Mapping[str, Sequence[Site]], main_build: str) -> None:
        self.wanted = {b: {(s.chrom, s.pos) for s in ss} for b, ss in sites.items()}
        self.refs: dict[str, dict[tuple[str, int], str]] = {b: {} for b in sites}
        self.windows = _Windows(sites.get(main_build, ()))
        self.in_regions = 0
        self.ref_blocks = 0
        self.any = False

    def feed(self, v, info: VcfInfo) -> None:
        check_record(v, info)
        self.any = True
        key = (canonical_chrom(v.CHROM), v.POS)
        for build, wanted in self.wanted.items():
            if key in wanted:
                self.refs[build].setdefault(key, v.REF)
        block_end = ref_block_end(v)
        if self.windows.contains(key[0], v.POS, block_end or v.POS):
            self.in_regions += 1
            self.ref_blocks += block_end is not None


def probe_vcf(info: VcfInfo, sites: Mapping[str, Sequence[Site]], *, main_build: str,
              index_dir: Path | None, samples: Sequence[str] = ()) -> VcfProbe:
    """Probe ``info``'s file at ``sites`` (per build); summarise genotypes of ``samples``."""
    path = ensure_index(info, index_dir)
    tally = _Tally(sites, main_build)
    with reading(info, path, samples=[]) as vcf:
        for v in _records(vcf, path is not None, sites.values()):
            tally.feed(v, info)
    if not tally.any and path is not None:  # nothing near the PGx positions: any record at all?
        with reading(info, path, samples=[]) as vcf:
            tally.any = next(iter(vcf), None) is not None
    chosen = _genotype_positions(tally.refs.get(main_build, {}))
    genotypes = _genotypes(info, path, samples, chosen) if samples else {}
    return VcfProbe(info=info, refs=tally.refs, records_in_regions=tally.in_regions,
                    ref_blocks=tally.ref_blocks, has_records=tally.any, indexed=path is not None,
                    genotypes=genotypes)


def _records(vcf, indexed: bool, site_lists) -> Iterator:
    """Every record near the sites (indexed: region queries of merged windows; else all)."""
    if not indexed:
        yield from vcf
        return
    cmap = ChromMap(seqnames(vcf))
    seen: set[tuple[str, int, int]] = set()
    for sites in site_lists:
        by_chrom: dict[str, list[tuple[int, int]]] = {}
        for s in sites:
            by_chrom.setdefault(s.chrom, []).append((s.pos, s.pos))
        for chrom, positions in by_chrom.items():
            for name in cmap.vcf_name(chrom):
                for start, end in merge_windows(positions):
                    if (name, start, end) not in seen:
                        seen.add((name, start, end))
                        yield from query(vcf, f"{name}:{start}-{end}")


def _genotype_positions(seen: Mapping[tuple[str, int], str]) -> list[tuple[str, int]]:
    """The first PGx positions with a record, GENOTYPE_RECORDS on the autosomes and on chrX."""
    ordered = sorted(seen)
    auto = [k for k in ordered if k[0] != CHR_X][:GENOTYPE_RECORDS]
    return auto + [k for k in ordered if k[0] == CHR_X][:GENOTYPE_RECORDS]


def _near(vcf, indexed: bool, positions: Sequence[tuple[str, int]]) -> Iterator:
    """The records at ``positions`` (indexed: narrow region queries; else the whole file).
    Samples are decoded here, so the windows are small (a wide VCF's record is kilobytes)."""
    if not indexed:
        yield from vcf
        return
    cmap = ChromMap(seqnames(vcf))
    by_chrom: dict[str, list[tuple[int, int]]] = {}
    for chrom, pos in positions:
        by_chrom.setdefault(chrom, []).append((pos, pos))
    for chrom, spans in by_chrom.items():
        for name in cmap.vcf_name(chrom):
            for start, end in merge_windows(spans, gap=GENOTYPE_GAP):
                yield from query(vcf, f"{name}:{start}-{end}")


def _genotypes(info: VcfInfo, path: Path | None, samples: Sequence[str],
               positions: Sequence[tuple[str, int]]) -> dict[str, GenotypeSummary]:
    """Phasing and chrX ploidy of ``samples`` in the records at ``positions``."""
    wanted = set(positions)
    with reading(info, path, samples=samples) as vcf:
        names = list(vcf.samples)
        n = len(names)
        counts = np.zeros((5, n), dtype=np.int64)
        for v in _near(vcf, path is not None, positions):
            key = (canonical_chrom(v.CHROM), v.POS)
            if key not in wanted:
                continue
            wanted.discard(key)  # the first record at a position
            check_record(v, info)
            gt, phased, _ = record_genotypes(v, info.path, 1 + len(v.ALT), n)
            _count(counts, gt, phased, chr_x=key[0] == CHR_X)
            if not wanted:
                break
    return {name: GenotypeSummary(*(int(x) for x in counts[:, k])) for k, name in enumerate(names)}


def _count(counts: np.ndarray, gt: np.ndarray, phased: np.ndarray, *, chr_x: bool) -> None:
    haploid = (gt[:, 1] == HAPLOID) & (gt[:, 0] >= 0)
    diploid = (gt >= 0).all(axis=1)
    if chr_x:
        counts[2] += haploid
        counts[3] += diploid
        counts[4] += diploid & (gt[:, 0] != gt[:, 1])
    else:
        counts[0] += diploid
        counts[1] += diploid & phased
