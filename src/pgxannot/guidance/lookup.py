"""CPIC lookup keys from gene calls.

CPIC keys each recommendation row by one value per gene: an activity score, a
phenotype or an allele status (``*57:01 positive``); which one is the gene table's
own ``lookup`` field (:attr:`pgxannot.kb.pgx.GeneTable.lookup`, read by
:func:`lookup_kind`). These pure functions turn a :class:`GeneCall` into the set of
keys its candidates imply, for the keys a given drug uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pgxannot.errors import KnowledgeBaseError
from pgxannot.kb.pgx import gene_table
from pgxannot.pgx.model import Diplotype, GeneCall

NO_RESULT = "No Result"


def lookup_kind(gene: str) -> str:
    """``phenotype`` | ``activity_score`` | ``allele_status``: the gene table's ``lookup`` field.

    A gene without a PGx table (a gene only a newer CPIC release names) is keyed by phenotype.
    """
    try:
        return gene_table(gene).lookup
    except KnowledgeBaseError:
        return "phenotype"

_ABBREVIATIONS = {
    "pm": "poor metabolizer", "im": "intermediate metabolizer", "nm": "normal metabolizer",
    "rm": "rapid metabolizer", "um": "ultrarapid metabolizer", "em": "normal metabolizer",
    "extensive metabolizer": "normal metabolizer",
}
_HLA_STATUS = re.compile(r"\*?(\d{2,3}:\d{2,3})\s+(positive|negative)", re.I)
_HLA_ALLELE = re.compile(r"\*(\d{2,3}:\d{2,3})")


@dataclass(frozen=True)
class GeneKeys:
    """Keys one gene's call gives for one drug, or why it gives none."""

    gene: str
    keys: tuple[str, ...]  # sorted; empty when unresolved
    problem: str | None = None  # why no key could be derived
    note: str | None = None  # how keys were derived when that deserves a word (no result, ambiguity)
    untested: bool = False  # the gene (or the allele status CPIC needs) was not called


def _norm_pheno(text: str) -> str:
    t = " ".join(text.lower().replace("metaboliser", "metabolizer").split())
    return _ABBREVIATIONS.get(t, t)


def _match_key(value: str, valid: Iterable[str]) -> str | None:
    want = _norm_pheno(value)
    for k in valid:
        if _norm_pheno(k) == want:
            return k
    return None


def format_score(value: str) -> str | None:
    """``"2"`` -> ``"2.0"``, ``"0.250"`` -> ``"0.25"``; keeps ``≥`` forms; None if not a number."""
    v = value.strip().replace(">=", "≥")
    prefix = "≥" if v.startswith("≥") else ""
    try:
        x = float(v.lstrip("≥").strip())
    except ValueError:
        return None
    text = f"{x:.2f}".rstrip("0")
    if text.endswith("."):
        text += "0"
    return prefix + text


def _score_key(score: str, valid: frozenset[str]) -> str | None:
    f = format_score(score)
    if f is None:
        return _match_key(score, valid)
    if f in valid:
        return f
    if f.startswith("≥"):
        return None
    # a score above the listed exact values: CPIC's "≥t" row with the largest t <= score
    x = float(f)
    floors = [(float(k[1:]), k) for k in valid if k.startswith("≥")]
    floors = [(t, k) for t, k in floors if t <= x]
    exact = [float(k) for k in valid if format_score(k) == k and not k.startswith("≥")]
    if floors and (not exact or x > max(exact)):
        return max(floors)[1]
    return None


def _scores_for_phenotype(gene: str, phenotype: str,
                          gene_results: Mapping[str, Sequence[tuple[str, str | None]]]) -> list[str]:
    want = _norm_pheno(phenotype)
    return [s for p, s in gene_results.get(gene, ()) if s and _norm_pheno(p) == want]


def hla_status(allele: str, diplotype: str, phenotype: str | None) -> str | None:
    """``"*57:01 positive"``/``"negative"`` from an HLA diplotype or stated status; None if unknown."""
    for text in (phenotype or "", diplotype):
        for m in _HLA_STATUS.finditer(text):
            if m.group(1) == allele:
                return f"*{allele} {m.group(2).lower()}"
    alleles = _HLA_ALLELE.findall(diplotype)
    if not alleles or _HLA_STATUS.search(diplotype):
        return None  # only another allele's status was given
    return f"*{allele} {'positive' if allele in alleles else 'negative'}"


def diplotype_keys(gene: str, dip: Diplotype | None, phenotype: str | None, score: str | None,
                   valid: frozenset[str],
                   gene_results: Mapping[str, Sequence[tuple[str, str | None]]], *,
                   kind: str = "phenotype") -> tuple[set[str], str | None]:
    """Keys one candidate (or a gene-level phenotype/score) gives; problem text when none.

    ``kind`` is what CPIC keys the gene by (:func:`lookup_kind`).
    """
    name = dip.name if dip else ""
    pheno = dip.phenotype if dip and dip.phenotype else phenotype
    score = dip.activity_score if dip and dip.activity_score else score
    if dip and dip.lookup_key:
        hit = _match_key(dip.lookup_key, valid)
        if hit:
            return {hit}, None
    if kind == "allele_status":
        alleles = sorted({k.split()[0].lstrip("*") for k in valid if k != NO_RESULT})
        out = set()
        for a in alleles:
            st = hla_status(a, name, pheno)
            if st is None or st not in valid:
                return set(), f"{gene} result {name or pheno!r} does not state *{a} status"
            out.add(st)
        return out, None
    if kind == "activity_score":
        if score:
            hit = _score_key(score, valid)
            if hit:
                return {hit}, None
            if _norm_pheno(score) in ("n/a", "indeterminate") and "n/a" in valid:
                return {"n/a"}, None
            return set(), f"{gene} activity score {score} has no CPIC row"
        if pheno:
            if _norm_pheno(pheno) in ("indeterminate", "n/a", "unknown"):
                return ({"n/a"}, None) if "n/a" in valid else (set(), f"{gene} phenotype is indeterminate")
            scores = {s for s in _scores_for_phenotype(gene, pheno, gene_results) if s in valid}
            if scores:
                return scores, None
            return set(), f"{gene} phenotype {pheno!r} maps to no CPIC activity score"
        return set(), f"{gene} {name or 'call'} has neither activity score nor phenotype"
    if pheno:
        hit = _match_key(pheno, valid)
        if hit:
            return {hit}, None
        return set(), f"{gene} phenotype {pheno!r} is not one CPIC uses for this drug"
    return set(), f"{gene} {name or 'call'} has no phenotype"


def _untested(gene: str, call: GeneCall | None, valid: frozenset[str]) -> GeneKeys:
    why = f"{gene} was not called" + (f" ({call.reason})" if call and call.reason else "")
    if call is None:
        why = f"{gene} was not assessed (not in the VCF calls and no outside call)"
    if NO_RESULT in valid:
        return GeneKeys(gene, (NO_RESULT,), note=f"{why}; CPIC's recommendation for an untested {gene} applies",
                        untested=True)
    return GeneKeys(gene, (), problem=why, untested=True)


def gene_keys(gene: str, call: GeneCall | None, valid: frozenset[str],
              gene_results: Mapping[str, Sequence[tuple[str, str | None]]], *,
              kind: str | None = None) -> GeneKeys:
    """Every key the call's candidates give for this drug's ``valid`` keys of ``gene``.

    A gene that was not called (or whose allele status was not tested) is ``untested``:
    CPIC's "No Result" key when the drug has one, otherwise a problem.
    """
    kind = kind or lookup_kind(gene)
    if call is None or call.status == "not_called" or (
            not call.candidates and not call.phenotype and not call.activity_score):
        return _untested(gene, call, valid)
    keys: set[str] = set()
    sources: list[Diplotype | None] = list(call.candidates) or [None]
    for dip in sources:
        got, problem = diplotype_keys(gene, dip, call.phenotype, call.activity_score, valid, gene_results,
                                      kind=kind)
        if problem:
            if kind == "allele_status" and NO_RESULT in valid:
                return GeneKeys(gene, (NO_RESULT,), untested=True,
                                note=f"{problem}; CPIC's recommendation for an untested {gene} applies")
            if call.status == "ambiguous" or len(sources) > 1:
                problem = f"{problem} (candidates: {', '.join(call.diplotypes)})"
            return GeneKeys(gene, (), problem=problem)
        keys |= got
    note = None
    if call.status == "ambiguous" or len(sources) > 1:
        note = f"{gene} is ambiguous ({', '.join(call.diplotypes)})"
    elif len(keys) > 1:
        note = f"{gene} phenotype {call.phenotype or ''} covers several CPIC activity scores".replace("  ", " ")
    return GeneKeys(gene, tuple(sorted(keys)), note=note)


def partly_assessed(genes: Sequence[str], calls: Mapping[str, GeneCall]) -> tuple[str, ...]:
    """Genes of ``genes`` called from the VCF with defining positions missing: the alleles
    defined there were not assessed, so the call is not a full assessment (never green)."""
    return tuple(g for g in genes if (c := calls.get(g)) is not None and c.source == "vcf"
                 and c.status in ("called", "ambiguous") and c.missing_positions)


def partly_assessed_words(genes: Sequence[str], calls: Mapping[str, GeneCall]) -> str:
    """What was missing from partly assessed calls and what would settle it (no final stop)."""
    parts = []
    for g in genes:
        n = len(calls[g].missing_positions)
        parts.append(f"{g} was called with {n} defining position{'s' if n != 1 else ''} missing")
    many = sum(len(calls[g].missing_positions) for g in genes) > 1
    return (f"{'; '.join(parts)} (alleles defined there were not assessed); genotyping "
            f"{'them' if many else 'it'} would settle it")


def partly_assessed_lead(genes: Sequence[str], calls: Mapping[str, GeneCall], body: str) -> str:
    """The words before ``body``'s standard advice when it rests on partly assessed calls."""
    return f"Not assessable: {partly_assessed_words(genes, calls)}. {body}'s advice for the call as observed: "
