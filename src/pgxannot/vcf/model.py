"""Data handed from the VCF layer to the layers above it.

The VCF layer reads genotypes of *all* samples of a file in one pass and hands
them on as numpy arrays, never as per-sample Python objects.

Conventions shared by every array here
--------------------------------------
* Chromosome names are canonical GRCh38-style UCSC names: ``chr1`` ... ``chr22``,
  ``chrX``, ``chrY``, ``chrM`` whatever the VCF used (``1``, ``MT``...).
* Positions are 1-based VCF ``POS``.
* ``gt`` values index the per-site allele tuple: ``0`` is the reference,
  ``k > 0`` an alternate allele, ``-1`` missing (no-call, a partial call such as
  ``0/.``, a symbolic allele, or a site absent from the VCF), ``-2`` in the second
  column marks a haploid call (chrX in males, chrM).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import numpy as np

MISSING = -1
HAPLOID = -2


class SiteStatus(IntEnum):
    """How a requested site was covered by the VCF."""

    ABSENT = 0  # no record and no reference block covers the site
    VARIANT = 1  # a record starts at the site (it may still be hom-ref in a sample)
    REF_BLOCK = 2  # covered only by a gVCF reference block (END=, <NON_REF>/<*>)


@dataclass(frozen=True, order=True)
class Site:
    """A position the caller asks for, with the reference allele it expects there."""

    chrom: str
    pos: int
    ref: str

    @property
    def key(self) -> str:
        """``chr10:94781859``: how positions are named in reports."""
        return f"{self.chrom}:{self.pos}"


@dataclass
class SiteGenotypes:
    """Genotypes of ``samples`` at requested ``sites`` (one pass over one or more VCFs).

    ``alleles[i]`` lists the alleles seen at ``sites[i]``: ``alleles[i][0]`` is always
    ``sites[i].ref``; alternates are re-expressed against that reference (same POS,
    indels anchored like the site's REF), so an allele string can be compared with a
    definition's VCF allele directly. An alternate that cannot be re-expressed (a
    deletion reaching past the site's REF, say) keeps a ``"REF>ALT"`` form that
    matches no definition.
    """

    samples: tuple[str, ...]
    sites: tuple[Site, ...]
    alleles: tuple[tuple[str, ...], ...]
    gt: np.ndarray  # int16 (n_sites, n_samples, 2)
    phased: np.ndarray  # bool (n_sites, n_samples)
    ps: np.ndarray  # int64 (n_sites, n_samples): PS value; 0 = no PS (phased => whole chromosome)
    status: np.ndarray  # int8 (n_sites,): SiteStatus
    notes: tuple[str, ...] = field(default=())  # reader observations worth reporting

    def sample_index(self, sample: str) -> int:
        return self.samples.index(sample)


@dataclass(frozen=True)
class VariantRecord:
    """One VCF record with the genotypes of every selected sample (for risk screening)."""

    chrom: str
    pos: int
    ref: str
    alts: tuple[str, ...]
    gt: np.ndarray  # int16 (n_samples, 2), same conventions as SiteGenotypes.gt
    phased: np.ndarray  # bool (n_samples,)
    info: dict[str, object] = field(default_factory=dict, compare=False)
    record_id: str | None = None


@dataclass(frozen=True)
class VcfInfo:
    """What the header of one VCF says, checked."""

    path: Path
    kind: str  # "vcf", "vcf.gz" (plain gzip), "vcf.bgz" (BGZF), "bcf"
    samples: tuple[str, ...]
    contigs: dict[str, int]
    reference: str | None
    has_gt: bool
    indexed: bool
    build: str | None  # inferred from contig lengths / ##reference, None when undecidable
