"""GRCh37 gaps in a gene call: what the GRCh37 map could not give, and what that leaves out.

The caller reads GRCh37 VCFs through the GRCh37 map of the gene tables
(:mod:`pgxannot.kb.build.grch37`). Two kinds of positions need care there:

* *unmapped*: no GRCh37 coordinate (``pos37`` None). The position is not read; it is named
  by its GRCh38 coordinate.
* *REF unconfirmed* (``ref37_verified`` False): the coordinate is known but no GRCh37 record
  confirmed the reference base. Such a position counts only where the input VCF has a record
  whose REF agrees (the patient's own GRCh37 VCF confirms it); absent, covered only by a
  reference block, or with another REF, it stays missing, never assumed reference (also with
  ``missing_positions_as_reference``).

Either way the alleles defined there cannot be assessed: :func:`with_gaps` names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from pgxannot.kb.pgx import GeneTable, Position
from pgxannot.pgx.model import GeneCall
from pgxannot.vcf.model import SiteStatus

GRCH37 = "GRCh37"
_SHOWN = 5  # positions and alleles named in a warning; the JSON lists all


def reference_code(p: Position, build: str) -> int | None:
    """Allele code of the build's reference base (None: the GRCh37 REF is no definition allele).

    GRCh37's reference carries a definition allele at a few positions (CYP3A5 rs776746 is C,
    *3, on GRCh37 and T on GRCh38): a position assumed reference there is that allele.
    """
    if build != GRCH37 or p.ref37 is None or p.ref37 == p.ref:
        return 0
    return p.alleles.index(p.ref37) if p.ref37 in p.alleles else None


def confirmed(p: Position, build: str, status: int | None, alleles: Sequence[str]) -> bool:
    """May the genotypes read at ``p`` be used (GRCh37: is its REF confirmed)?

    ``status`` is the site's :class:`SiteStatus` (None: absent) and ``alleles`` the alleles the
    reader saw; a REF the reader could not match is written ``"REF>ALT"``.
    """
    if build != GRCH37 or p.ref37_verified:
        return True
    return status == SiteStatus.VARIANT and not any(">" in a for a in alleles)


def not_assessable(table: GeneTable, positions: Sequence[int]) -> tuple[str, ...]:
    """Alleles whose definition has a non-reference cell at any of ``positions`` (definition order)."""
    if not positions:
        return ()
    hit = np.flatnonzero(table.variant_def[:, list(positions)].any(axis=1))
    return tuple(table.allele_names[int(i)] for i in hit)


def _shown(items: Sequence[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


def gap_warning(gene: str, unmapped: Sequence[str], unconfirmed: Sequence[str], alleles: Sequence[str]) -> str:
    """One sentence naming the GRCh37 gaps of a gene and the alleles they leave unassessed."""
    parts = []
    if unmapped:
        parts.append(f"{len(unmapped)} {gene} position(s) have no GRCh37 coordinate and were not read "
                     f"(GRCh38 {_shown(unmapped)})")
    if unconfirmed:
        parts.append(f"{len(unconfirmed)} {gene} position(s) whose GRCh37 reference base is not confirmed had no "
                     f"VCF record with that REF and were not assumed reference ({_shown(unconfirmed)})")
    text = "; ".join(parts)
    if alleles:
        text += f": alleles defined there are not assessable ({_shown(alleles)})"
    return f"GRCh37 call of {gene} is incomplete: {text}"


def with_gaps(call: GeneCall, table: GeneTable, unmapped: Sequence[int], unconfirmed: Sequence[int],
              labels: Sequence[str]) -> GeneCall:
    """``call`` with the GRCh37 gaps named (unchanged when the gene has none).

    ``unmapped``/``unconfirmed`` are position indexes; ``labels`` the caller's position labels.
    """
    if not unmapped and not unconfirmed:
        return call
    grch38 = tuple(f"{table.positions[j].chrom}:{table.positions[j].pos}" for j in unmapped)
    alleles = not_assessable(table, [*unmapped, *unconfirmed])
    warning = gap_warning(table.gene, grch38, [labels[j] for j in unconfirmed], alleles)
    return replace(call, unmapped_positions=grch38, not_assessable=alleles, warnings=(*call.warnings, warning))
