"""Pure allele normalization helpers (no I/O).

Variant representation differs between callers: multi-allelic records, shared
leading/trailing bases, anchors of different lengths. These functions bring two
representations to a common form without a reference sequence. Left-alignment
of indels needs the reference and is done elsewhere when a FASTA is configured.
"""

from __future__ import annotations

SYMBOLIC_PREFIXES = ("<", "[", "]")
SPANNING_DELETION = "*"
NON_REF_ALLELES = frozenset({"<NON_REF>", "<*>", "<X>"})


def is_symbolic(allele: str) -> bool:
    """True for ``<DEL>``, ``<NON_REF>``, breakends and the spanning deletion ``*``."""
    return (
        allele == SPANNING_DELETION
        or allele == "."
        or allele.startswith(SYMBOLIC_PREFIXES)
        or "[" in allele
        or "]" in allele
    )


def trim_alleles(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Trim bases shared by ``ref`` and ``alt``: suffix first, then prefix.

    One anchor base is kept for indels (VCF style), so the result is the minimal
    VCF representation: ``trim_alleles(100, "CAT", "CGT") == (101, "A", "G")``,
    ``trim_alleles(100, "CATAT", "CAT") == (100, "CAT", "C")``.
    """
    ref, alt = ref.upper(), alt.upper()
    if ref == alt:
        return pos, ref, alt
    # shared suffix
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    # shared prefix
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt = ref[1:], alt[1:]
        pos += 1
    return pos, ref, alt


def reexpress(site_ref: str, rec_ref: str, allele: str) -> str | None:
    """Express ``allele`` of a record whose REF is ``rec_ref`` against ``site_ref``.

    Both REFs start at the same position. Returns None when the record's REF is
    not compatible with the site's (neither is a prefix of the other): a REF
    mismatch, usually a build or strand problem. Returns ``"REF>ALT"`` when the
    allele cannot be written against the site's REF (it changes bases beyond it),
    a form that matches no definition.
    """
    if rec_ref == site_ref:
        return allele
    if rec_ref.startswith(site_ref):
        extra = rec_ref[len(site_ref):]
        if allele.endswith(extra) and len(allele) > len(extra):
            return allele[: len(allele) - len(extra)]
        return f"{rec_ref}>{allele}"
    if site_ref.startswith(rec_ref):
        return allele + site_ref[len(rec_ref):]
    return None
