"""Outside calls: genotypes made by other tools (CYP2D6, HLA, MT-RNR1, ...).

File format (TSV, ``#`` comments, blank lines ignored)::

    gene<TAB>diplotype[<TAB>phenotype[<TAB>activity score]]

Every line is validated; all problems are reported together in one
:class:`~pgxannot.errors.OutsideCallError` naming the file and line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from pgxannot.errors import OutsideCallError
from pgxannot.kb.pgx import gene_table, report_genes
from pgxannot.pgx.caller import not_covered
from pgxannot.pgx.model import Diplotype, GeneCall
from pgxannot.pgx.phenotype import describe

_HLA = re.compile(r"^\*\d{2,3}(:\d{2,3}){1,3}[A-Z]?$")
_COPIES = re.compile(r"^(\*\d+(?:\.\d+)?)x(\d+|≥\d+|N)$")
_MT_SHORT = re.compile(r"^(\d+)([ACGT])>([ACGT])$")
_SCORE = re.compile(r"^(≥|>=)?\d+(\.\d+)?$")


def _canonical_gene(name: str) -> str | None:
    genes = {g.upper(): g for g in report_genes()}
    return genes.get(name.strip().upper().replace("_", "-"))


def _canonical_allele(gene: str, allele: str) -> str | None:
    """The allele as the tables name it, or None when unknown (naming follows the table's syntax)."""
    a = allele.strip()
    t = gene_table(gene)
    if t.allele_syntax == "hla":
        a = a.removeprefix(gene)
        return a if _HLA.match(a) else None
    if t.allele_syntax == "mitochondrial":
        m = _MT_SHORT.match(a)
        if m:
            a = f"m.{a}"
        return a if t.known_allele(a) else None
    if t.known_allele(a):
        return a
    if t.allele_syntax == "star_copies":
        m = _COPIES.match(a)
        if m and t.known_allele(m.group(1)):
            return a
        if "+" in a and all(t.known_allele(p.strip()) or _COPIES.match(p.strip()) for p in a.split("+")):
            return " + ".join(p.strip() for p in a.split("+"))
    return None


def _parse_line(line: str) -> tuple[list[str], str | None]:
    fields = [f.strip() for f in line.rstrip("\r\n").split("\t")]
    while fields and fields[-1] == "":
        fields.pop()
    if len(fields) < 2:
        return fields, "expected at least 2 tab-separated columns (gene, diplotype)"
    if len(fields) > 4:
        return fields, f"expected at most 4 columns, found {len(fields)}"
    return fields, None


def read_outside_calls(path: str | Path) -> dict[str, GeneCall]:
    """Parse and validate an outside-call file; one :class:`GeneCall` per gene."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OutsideCallError(f"cannot read the outside-call file ({exc})", path=path,
                               hint="check the outside_calls column of the sample sheet") from exc
    problems: list[str] = []
    calls: dict[str, GeneCall] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields, err = _parse_line(line)
        if err:
            problems.append(f"line {n}: {err}")
            continue
        gene = _canonical_gene(fields[0])
        if gene is None:
            problems.append(f"line {n}: unknown gene {fields[0]!r}")
            continue
        if gene in calls:
            problems.append(f"line {n}: {gene} given twice")
            continue
        phenotype = fields[2] if len(fields) > 2 and fields[2] else None
        score = fields[3] if len(fields) > 3 and fields[3] else None
        if score is not None and not (_SCORE.match(score) or score.lower() == "n/a"):
            problems.append(f"line {n}: activity score {score!r} is not a number")
            continue
        if not fields[1] and (phenotype or score):
            calls[gene] = _phenotype_only(gene, phenotype, score, f"{path.name} line {n}")
            continue
        parts = fields[1].split("/")
        if len(parts) > 2 or any(not p.strip() for p in parts):
            problems.append(f"line {n}: malformed diplotype {fields[1]!r} (expected A/B or a single allele)")
            continue
        alleles = []
        for p in parts:
            a = _canonical_allele(gene, p)
            if a is None:
                problems.append(f"line {n}: unknown {gene} allele {p.strip()!r}")
            alleles.append(a)
        if any(a is None for a in alleles):
            continue
        calls[gene] = _outside_call(gene, [a for a in alleles if a], phenotype,
                                    score.replace(">=", "≥") if score else None, f"{path.name} line {n}")
    if problems:
        raise OutsideCallError(f"{len(problems)} problem(s): " + "; ".join(problems), path=path,
                               hint="fix these lines (gene<TAB>diplotype[<TAB>phenotype[<TAB>activity score]])")
    return calls


def _phenotype_only(gene: str, phenotype: str | None, score: str | None, where: str) -> GeneCall:
    """An outside call giving a phenotype/score but no diplotype."""
    t = gene_table(gene)
    score = score.replace(">=", "≥") if score else None
    warnings = [f"{gene} outside call gives no diplotype; only its phenotype/score is used"]
    known = set(t.pairs.values()) | set(t.single.values())
    if phenotype is not None and phenotype not in {k[0] for k in known} and t.lookup == "phenotype":
        warnings.append(f"{phenotype!r} is not a CPIC {gene} phenotype; no recommendation can be matched")
    return GeneCall(gene=gene, status="outside_call", candidates=(), phenotype=phenotype, activity_score=score,
                    missing_positions=(), source="outside_call", reason=None, warnings=tuple(warnings),
                    extra={"outside_call": where})


def _outside_call(gene: str, alleles: list[str], phenotype: str | None, score: str | None, where: str) -> GeneCall:
    dip = describe(gene, alleles)
    warnings: list[str] = []
    if phenotype is not None and dip.phenotype not in (None, phenotype, "Indeterminate"):
        warnings.append(f"outside phenotype {phenotype!r} differs from the table's {dip.phenotype!r} "
                            "for this diplotype; the outside phenotype is used")
    if score is not None and dip.activity_score not in (None, "n/a", score):
        warnings.append(f"outside activity score {score} differs from the table's {dip.activity_score}; "
                        "the outside score is used")
    pheno = phenotype or dip.phenotype
    act = score or dip.activity_score
    t = gene_table(gene)
    if t.lookup == "activity_score":
        key = act if act is not None else dip.lookup_key
    elif t.lookup == "allele_status":
        key = dip.lookup_key
    else:
        key = phenotype or dip.lookup_key
    d = Diplotype(dip.name, dip.alleles, dip.functions, pheno, act, key)
    return GeneCall(gene=gene, status="outside_call", candidates=(d,), phenotype=pheno, activity_score=act,
                    missing_positions=(), source="outside_call", reason=None, warnings=tuple(warnings),
                    extra={"outside_call": where})


def merge_outside_calls(vcf_calls: Iterable[GeneCall], outside: Mapping[str, GeneCall]) -> list[GeneCall]:
    """One sample's calls with outside calls overriding VCF calls; every reported gene present once."""
    by_gene = {c.gene: c for c in vcf_calls}
    for gene in report_genes():
        by_gene.setdefault(gene, not_covered(gene))
    for gene, oc in outside.items():
        prev = by_gene.get(gene)
        if prev is not None and prev.source == "vcf" and prev.status in ("called", "ambiguous"):
            note = (f"outside call replaces the VCF-based call {' or '.join(prev.diplotypes)}")
            oc = GeneCall(gene=oc.gene, status=oc.status, candidates=oc.candidates, phenotype=oc.phenotype,
                          activity_score=oc.activity_score, missing_positions=oc.missing_positions,
                          source=oc.source, reason=oc.reason, variants=prev.variants,
                          warnings=(*oc.warnings, note), extra=oc.extra)
        by_gene[gene] = oc
    return [by_gene[g] for g in sorted(by_gene)]
