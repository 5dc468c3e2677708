"""Per-gene detail of the report: every defining position and the notes a reader needs.

Everything comes from the report's gene record (``positions``, ``allele_functions``,
``candidates``, ``extra``, ``warnings``) and the patient's sex: the notes explain a call,
they never change it. The cases follow the ones PharmCAT's reporter warns about
(unphased DPYD, G6PD hemizygosity, "Reference" allele names, untested alleles, strand);
the wording is pgxannot's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pgxannot.report.codes import strand
from pgxannot.report.common import as_list, as_mapping, text

LONG_LIST = 6  # alleles shown per position before "and N more"


def position_rows(g: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One display row per defining position: missing / variant / reference."""
    rows = []
    for p in as_list(g.get("positions")):
        if not isinstance(p, Mapping):
            continue
        genotype = p.get("genotype")
        ref = text(p.get("ref"))
        alleles = [str(a) for a in as_list(p.get("alleles") or p.get("alleles_not_assessed"))]
        if genotype is None:
            kind = "missing"
        elif alleles or any(b not in (ref, "") for b in str(genotype).replace("|", "/").split("/")):
            kind = "variant"
        else:
            kind = "reference"
        rows.append({
            "position": text(p.get("position")), "rsid": text(p.get("rsid")), "ref": ref,
            "genotype": "not in the input" if genotype is None else text(genotype),
            "kind": kind,
            "alleles": ", ".join(alleles[:LONG_LIST])
            + (f" and {len(alleles) - LONG_LIST} more" if len(alleles) > LONG_LIST else ""),
        })
    return rows


def gene_notes(g: Mapping[str, Any], sex: str | None) -> list[str]:
    """Notes that explain this gene's call (empty when there is nothing to say)."""
    gene = text(g.get("gene"))
    status = str(g.get("status"))
    notes: list[str] = []
    extra = as_mapping(g.get("extra"))
    found = [str(a) for a in as_list(extra.get("alleles_found"))]
    if len(found) >= 2:
        notes.append(f"The {gene} genotypes are unphased and carry {len(found)} variant alleles "
                     f"({', '.join(found)}): whether they lie on one chromosome or on both is not known, "
                     "so the phenotype uses the two lowest-function alleles found, as CPIC directs.")
    if gene == "G6PD" and status in ("called", "ambiguous"):
        note = _g6pd_note(sex, _heterozygous_deficient(g))
        if note:
            notes.append(note)
    untested = sorted({str(a) for p in as_list(g.get("positions")) if isinstance(p, Mapping)
                       for a in as_list(p.get("alleles_not_assessed"))})
    if untested:
        shown = ", ".join(untested[:LONG_LIST]) + (f" and {len(untested) - LONG_LIST} more"
                                                   if len(untested) > LONG_LIST else "")
        notes.append(f"Positions missing from the input: {shown} could not be assessed and are "
                     "not ruled out by this call.")
    shown_rows = [p for p in as_list(g.get("positions")) if isinstance(p, Mapping)
                  and (p.get("genotype") is None or p.get("alleles"))]
    if strand(gene) == "-" and shown_rows:
        notes.append(f"{gene} lies on the minus strand: the bases in this table are those of the "
                     "genome (plus) strand, as in the VCF, not of the gene's own sequence.")
    return notes


def reference_names(g: Mapping[str, Any]) -> list[str]:
    """Allele names of the call that stand for "no defined variant found" (``Reference``,
    ``rs2231142 reference (G)``, ``B (reference)``)."""
    names = {str(a) for c in as_list(g.get("candidates")) if isinstance(c, Mapping)
             for a in as_list(c.get("alleles"))}
    return sorted(n for n in names if "reference" in n.lower())


REFERENCE_NOTE = ("An allele named \u201cReference\u201d (or \u201c\u2026 reference (base)\u201d) means that none "
                  "of the variant alleles defined for the gene was found at the positions tested; variants at "
                  "other positions were not assessed.")


def _heterozygous_deficient(g: Mapping[str, Any]) -> bool:
    for c in as_list(g.get("candidates")):
        if isinstance(c, Mapping) and len(set(as_list(c.get("alleles")))) == 2:
            funcs = [text(f).lower() for f in as_list(c.get("functions"))]
            if any(f and not f.startswith("normal") for f in funcs):
                return True
    return False


def _g6pd_note(sex: str | None, heterozygous_deficient: bool) -> str | None:
    if sex == "male":
        return ("G6PD is on the X chromosome and a male has one copy: the call reflects that single "
                "allele, even where the VCF writes it as a homozygous genotype.")
    if sex == "female":
        if not heterozygous_deficient:
            return None
        return ("In a female heterozygous for a deficient G6PD allele, enzyme activity depends on "
                "X-inactivation and can range from normal to deficient; only an activity test measures it.")
    return ("The patient's sex was not given: G6PD was read as two X copies. For a male the phenotype "
            "follows the single allele carried.")


def gene_detail(g: Mapping[str, Any], patient: Mapping[str, Any]) -> dict[str, Any]:
    rows = position_rows(g)
    functions = as_mapping(g.get("allele_functions"))
    return {
        "gene": text(g.get("gene")),
        "diplotypes": [str(x) for x in as_list(g.get("diplotypes"))],
        "rows": rows,
        "counts": {k: sum(1 for r in rows if r["kind"] == k) for k in ("reference", "variant", "missing")},
        "functions": [(str(a), text(f) or "function unknown") for a, f in functions.items()],
        "notes": gene_notes(g, text(patient.get("sex")) or None),
        "reference_names": reference_names(g),
    }
