"""Results of pharmacogenomic calling: one :class:`GeneCall` per gene and sample.

These frozen records are what the guidance and report layers consume; they never
recompute a call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CallStatus = Literal["called", "ambiguous", "not_called", "outside_call"]
CallSource = Literal["vcf", "outside_call", "none"]


@dataclass(frozen=True)
class Diplotype:
    """One candidate diplotype with what the phenotype tables say of it."""

    name: str  # "*1/*2", alleles in the definitions' order
    alleles: tuple[str, ...]  # ("*1", "*2"); one element for hemizygous calls
    functions: tuple[str | None, ...]  # allele function per allele (None: unknown)
    phenotype: str | None  # e.g. "Intermediate Metabolizer"; "Indeterminate" if no table entry
    activity_score: str | None  # e.g. "1.5"; None where the gene has no activity score
    lookup_key: str | None = None  # key CPIC recommendations use for this gene (phenotype, score or allele status)


@dataclass(frozen=True)
class GeneCall:
    """The call of one gene for one sample.

    ``diplotypes`` (contract field) are the candidate names, best first; ``phenotype``
    and ``activity_score`` are set when every candidate agrees (else None and the
    candidates carry their own).
    """

    gene: str
    status: CallStatus
    candidates: tuple[Diplotype, ...]
    phenotype: str | None
    activity_score: str | None
    missing_positions: tuple[str, ...]  # "chr10:94781859"
    source: CallSource
    reason: str | None = None  # why not called / why ambiguous, in words a clinician can read
    variants: tuple[str, ...] = ()  # evidence: non-reference genotypes seen, "chr10:94781859:G:A het"
    warnings: tuple[str, ...] = ()  # assumptions made (missing-as-reference, sex unknown, ...)
    # GRCh37 runs (pgx.grch37): positions with no GRCh37 coordinate, as GRCh38 "chr2:233760233", and
    # the alleles defined at those or at unconfirmed positions, which the call could not assess
    unmapped_positions: tuple[str, ...] = ()
    not_assessable: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict, compare=False)
    # per defining position: (chr:pos, rsID, reference base, the sample's genotype or None when
    # missing, the named alleles the genotype supports there (or, when missing, that could not
    # be assessed)); evidence for the report's per-gene detail, not part of the call itself
    positions: tuple[tuple[str, str | None, str, str | None, tuple[str, ...]], ...] = field(
        default=(), compare=False)
    allele_functions: tuple[tuple[str, str | None], ...] = field(default=(), compare=False)

    @property
    def diplotypes(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.candidates)

    def to_dict(self) -> dict[str, object]:
        """JSON form: the contract's minimum fields first, then the evidence."""
        return {
            "gene": self.gene,
            "status": self.status,
            "diplotypes": list(self.diplotypes),
            "phenotype": self.phenotype,
            "activity_score": self.activity_score,
            "missing_positions": list(self.missing_positions),
            "source": self.source,
            "reason": self.reason,
            "candidates": [
                {
                    "diplotype": d.name,
                    "alleles": list(d.alleles),
                    "functions": list(d.functions),
                    "phenotype": d.phenotype,
                    "activity_score": d.activity_score,
                    "lookup_key": d.lookup_key,
                }
                for d in self.candidates
            ],
            "variants": list(self.variants),
            "warnings": list(self.warnings),
            **({"unmapped_positions_grch38": list(self.unmapped_positions)} if self.unmapped_positions else {}),
            **({"not_assessable_alleles": list(self.not_assessable)} if self.not_assessable else {}),
            **({"extra": self.extra} if self.extra else {}),
            **({"positions": [_position_dict(p) for p in self.positions]} if self.positions else {}),
            **({"allele_functions": dict(self.allele_functions)} if self.allele_functions else {}),
        }


def _position_dict(p: tuple[str, str | None, str, str | None, tuple[str, ...]]) -> dict[str, object]:
    label, rsid, ref, genotype, alleles = p
    out: dict[str, object] = {"position": label, "rsid": rsid, "ref": ref, "genotype": genotype}
    if alleles:
        out["alleles" if genotype is not None else "alleles_not_assessed"] = list(alleles)
    return out
