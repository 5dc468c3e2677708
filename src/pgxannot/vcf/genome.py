"""Chromosome naming and genome-build facts (GRCh37/GRCh38 contig lengths)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from pgxannot.errors import ConfigError

BUILDS = ("GRCh38", "GRCh37")  # the reference builds pgxannot reads (config key reference_build)


def require_build(build: str) -> None:
    """ConfigError unless ``build`` is one of :data:`BUILDS`."""
    if build not in BUILDS:
        raise ConfigError(f"unknown reference build {build!r}",
                          hint=f"use one of {', '.join(BUILDS)} (config key reference_build)")

# Primary-assembly lengths (NCBI GRCh38.p14 / GRCh37.p13): enough to tell the builds apart.
CONTIG_LENGTHS: dict[str, dict[str, int]] = {
    "GRCh38": {
        "chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chr4": 190214555,
        "chr5": 181538259, "chr6": 170805979, "chr7": 159345973, "chr8": 145138636,
        "chr9": 138394717, "chr10": 133797422, "chr11": 135086622, "chr12": 133275309,
        "chr13": 114364328, "chr14": 107043718, "chr15": 101991189, "chr16": 90338345,
        "chr17": 83257441, "chr18": 80373285, "chr19": 58617616, "chr20": 64444167,
        "chr21": 46709983, "chr22": 50818468, "chrX": 156040895, "chrY": 57227415,
        "chrM": 16569,
    },
    "GRCh37": {
        "chr1": 249250621, "chr2": 243199373, "chr3": 198022430, "chr4": 191154276,
        "chr5": 180915260, "chr6": 171115067, "chr7": 159138663, "chr8": 146364022,
        "chr9": 141213431, "chr10": 135534747, "chr11": 135006516, "chr12": 133851895,
        "chr13": 115169878, "chr14": 107349540, "chr15": 102531392, "chr16": 90354753,
        "chr17": 81195210, "chr18": 78077248, "chr19": 59128983, "chr20": 63025520,
        "chr21": 48129895, "chr22": 51304566, "chrX": 155270560, "chrY": 59373566,
        "chrM": 16569,
    },
}

_REFERENCE_HINTS = {
    "GRCh38": ("grch38", "hg38", "hs38", "b38", "grch38.p"),
    "GRCh37": ("grch37", "hg19", "hs37", "b37", "human_g1k_v37", "hs37d5"),
}


@cache
def canonical_chrom(name: str) -> str:
    """``1``/``chr1``/``CHR1`` -> ``chr1``; ``MT``/``M``/``chrMT`` -> ``chrM``."""
    n = name.strip()
    low = n.lower()
    if low.startswith("chr"):
        n = n[3:]
    if n.upper() in ("M", "MT"):
        return "chrM"
    if n.upper() in ("X", "Y"):
        return "chr" + n.upper()
    return "chr" + n


def chrom_order(chrom: str) -> tuple[int, str]:
    """Sort key of a canonical chromosome name: chr1..chr22 by number, then X, Y, M by name."""
    c = chrom[3:]
    return (int(c), "") if c.isdigit() else (100, c)


def vcf_names_for(canonical: str) -> tuple[str, ...]:
    """Names a VCF may use for a canonical chromosome, most common first."""
    bare = canonical[3:]
    if canonical == "chrM":
        return ("chrM", "MT", "M", "chrMT")
    return (canonical, bare)


def build_from_contigs(contigs: dict[str, int]) -> str | None:
    """The build whose lengths match the header's contigs, or None when undecidable.

    Only canonical autosomes/sex chromosomes count (chrM is the same length in both).
    Raises nothing: a conflict (lengths of both builds) returns ``"mixed"``.
    """
    votes = {b: 0 for b in BUILDS}
    for name, length in contigs.items():
        if not length:
            continue
        c = canonical_chrom(name)
        if c == "chrM":
            continue
        for b in BUILDS:
            if CONTIG_LENGTHS[b].get(c) == length:
                votes[b] += 1
    hits = [b for b, v in votes.items() if v]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        return "mixed"
    return None


def build_from_reference_line(line: str) -> str | None:
    low = line.lower()
    for b, hints in _REFERENCE_HINTS.items():
        if any(h in low for h in hints):
            return b
    return None


class ChromMap:
    """Maps canonical chromosome names to the names one VCF uses, and back."""

    def __init__(self, names: Iterable[str]) -> None:
        names = set(names)
        self.to_vcf: dict[str, str] = {}
        for name in sorted(names):
            c = canonical_chrom(name)
            if c not in self.to_vcf or name in vcf_names_for(c)[:1]:
                self.to_vcf[c] = name
        self.known = bool(names)

    def vcf_name(self, canonical: str) -> list[str]:
        if canonical in self.to_vcf:
            return [self.to_vcf[canonical]]
        if self.known:
            return []
        return list(vcf_names_for(canonical))
