"""DPWG guidance for one patient's gene calls.

DPWG keys its recommendations by a metabolizer phenotype, an activity score, a
diplotype, an HLA carrier status or the genotype at one position (SLCO1B1 c.521T>C,
ABCG2 p.Q141K). These pure functions evaluate every key against pgxannot's
:class:`GeneCall` and return, per drug and DPWG guideline, the matched advice or why
there is none:

- a phenotype is compared in DPWG's terms ("Likely Poor Metabolizer" reads as Poor
  Metabolizer, with a note); a DPWG row keyed by diplotype wins over the phenotype row
  of the same gene (DPWG gives CYP2C9 *1/*2 its own advice);
- a genotype key is read from the VCF evidence at that position (``GeneCall.variants``
  and ``missing_positions``): a position absent from the VCF is *not assessable*, never
  reference; an outside call is read through the allele definitions;
- ambiguous calls give advice only when every candidate reaches the same DPWG
  recommendation; a gene not called gives ``not_assessable`` naming the call needed;
- a phenotype pgxannot cannot assign (Indeterminate) or a key DPWG's snapshot does not
  cover is grey (``not_available``), never green.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pgxannot.errors import KnowledgeBaseError
from pgxannot.guidance.lookup import (
    format_score,
    hla_status,
    partly_assessed,
    partly_assessed_lead,
)
from pgxannot.kb.dpwg import DpwgKB, DpwgKey, DpwgRow, load_dpwg_kb
from pgxannot.kb.pgx import gene_table
from pgxannot.pgx.model import Diplotype, GeneCall
from pgxannot.vocabulary import action_rank, light_for

SOURCE = "DPWG"
MAX_COMBINATIONS = 64

_ABBREVIATIONS = {"pm": "poor metabolizer", "im": "intermediate metabolizer", "nm": "normal metabolizer",
                  "um": "ultrarapid metabolizer", "em": "normal metabolizer",
                  "extensive metabolizer": "normal metabolizer"}


@dataclass(frozen=True)
class Candidate:
    """What one candidate diplotype (or a gene-level outside result) says of one gene."""

    gene: str
    name: str  # diplotype name ("" for a phenotype-only outside call)
    alleles: tuple[str, ...]
    phenotype: str | None
    score: str | None


@dataclass(frozen=True)
class DpwgAdvice:
    """DPWG's advice for one drug under one DPWG guideline, for one patient."""

    drug: str
    guideline_ids: tuple[str, ...]
    genes: tuple[str, ...]
    action: str
    recommendation: str
    lookup: dict[str, str]  # gene -> the key DPWG's advice was found by (DPWG's words), or the call
    rec_ids: tuple[str, ...] = ()
    condition: str | None = None
    condition_label: str | None = None
    applicability: str = "applies"  # applies | conditional
    structure: dict[str, object] | None = None
    others: tuple[dict[str, object], ...] = ()
    reason: str | None = None
    dpwg_text: str | None = None

    @property
    def traffic_light(self) -> str:
        return light_for(self.action, applicability=self.applicability)

    def to_dict(self) -> dict[str, object]:
        return {"source": SOURCE, "drug": self.drug, "genes": list(self.genes), "action": self.action,
                "traffic_light": self.traffic_light, "recommendation": self.recommendation,
                "lookup": dict(self.lookup), "guideline_ids": list(self.guideline_ids),
                "rec_ids": list(self.rec_ids), "condition": self.condition,
                "condition_label": self.condition_label, "applicability": self.applicability,
                "structure": self.structure, "other_branches": [dict(o) for o in self.others],
                "reason": self.reason, "dpwg_text": self.dpwg_text}


@dataclass(frozen=True)
class _Outcome:
    rows: tuple[str, ...]  # matched source rows
    unknown: str | None = None  # why a key could not be evaluated
    note: str | None = None


# ---------------------------------------------------------------- keys of one candidate
def dpwg_phenotype(phenotype: str | None) -> tuple[str | None, str | None]:
    """A pgxannot phenotype in DPWG's terms, with a note when the wording was mapped.

    >>> dpwg_phenotype("Likely Poor Metabolizer")[0], dpwg_phenotype("PM")[0]
    ('Poor Metabolizer', 'Poor Metabolizer')
    """
    if not phenotype:
        return None, None
    t = " ".join(phenotype.lower().replace("metaboliser", "metabolizer").split())
    t = _ABBREVIATIONS.get(t, t)
    note = None
    if t.startswith("likely "):
        note = f"pgxannot's call is '{phenotype}'; DPWG's advice for {t[7:].title()} is shown"
        t = t[7:]
    return t.title(), note


def candidates(call: GeneCall | None) -> list[Candidate]:
    """Every candidate of a call (a phenotype-only outside call gives one without alleles)."""
    if call is None or call.status == "not_called":
        return []
    out = [Candidate(call.gene, d.name, d.alleles, d.phenotype or call.phenotype,
                     d.activity_score or call.activity_score) for d in call.candidates]
    if not out and (call.phenotype or call.activity_score):
        out.append(Candidate(call.gene, "", (), call.phenotype, call.activity_score))
    return out


def _diplotype_names(value: str) -> set[str]:
    return {"/".join(sorted(d.strip().split("/"))) for d in value.split(";") if d.strip()}


def _labels(key: DpwgKey) -> set[str]:
    """The position's labels in either build ("chr12:21178615", and GRCh37's when known)."""
    out = {key.position} if key.position else set()
    try:
        table = gene_table(key.gene)
    except KnowledgeBaseError:  # a gene pgxannot has no table for has no second label
        return out
    for p in table.positions:
        if p.rsid == key.variant and p.pos37:
            out.add(f"{p.chrom}:{p.pos37}")
    return out


def alt_count(call: GeneCall | None, key: DpwgKey) -> int | None:
    """Copies of the key's alternate allele at its position; None when the VCF does not tell."""
    if call is None or not key.position or not key.alt:
        return None
    labels = _labels(key)
    if call.source == "vcf":
        if labels & set(call.missing_positions):
            return None
        n = 0
        for v in call.variants:
            site, _, zyg = v.partition(" ")
            parts = site.split(":")
            if len(parts) == 4 and f"{parts[0]}:{parts[1]}" in labels and parts[3] == key.alt:
                n += 2 if zyg == "hom" else 1
        return n
    if call.source == "outside_call" and call.candidates:
        counts = {_outside_count(key, d) for d in call.candidates}
        return counts.pop() if len(counts) == 1 else None
    return None


def _outside_count(key: DpwgKey, dip: Diplotype) -> int | None:
    table = gene_table(key.gene)
    j = next((i for i, p in enumerate(table.positions) if p.rsid == key.variant), None)
    if j is None:
        return None
    n = 0
    for allele in dip.alleles:
        if allele not in table.allele_names:
            return None
        n += int(bool(table.variant_def[table.allele_names.index(allele), j]))
    return n


def key_matches(key: DpwgKey, call: GeneCall | None, cand: Candidate | None) -> bool | None:
    """Whether one key holds for one candidate; None when the call cannot tell."""
    if key.type == "genotype":
        n = alt_count(call, key)
        return None if n is None else n == int(key.value)
    if cand is None:
        return None
    if key.type == "phenotype":
        got, _ = dpwg_phenotype(cand.phenotype)
        return None if got is None else got.lower() == key.value.lower()
    if key.type == "activity_score":
        score = format_score(cand.score) if cand.score else None
        return None if score is None else score == key.value
    if key.type == "diplotype":
        return bool(cand.name) and "/".join(sorted(cand.name.split("/"))) in _diplotype_names(key.value)
    if key.type == "allele_status":
        status = hla_status(key.value.split()[0].lstrip("*"), cand.name, cand.phenotype)
        return None if status is None else status == key.value
    return None


# ---------------------------------------------------------------- one guideline group
def _match_combo(rows: Sequence[DpwgRow], calls: Mapping[str, GeneCall],
                 combo: Mapping[str, Candidate | None]) -> _Outcome:
    matched: dict[str, DpwgRow] = {}
    unknown = None
    for r in rows:
        results = [key_matches(k, calls.get(k.gene), combo.get(k.gene)) for k in r.keys]
        if all(x is True for x in results):
            matched.setdefault(r.source_row, r)
        elif None in results and False not in results:
            unknown = f"{'/'.join(r.genes)} {r.dpwg_key}: the call does not tell"
    if any(k.type == "diplotype" for r in matched.values() for k in r.keys):  # diplotype rows win
        matched = {s: r for s, r in matched.items() if any(k.type == "diplotype" for k in r.keys)}
    return _Outcome(tuple(sorted(matched)), unknown)


def _not_assessed(genes: Sequence[str], calls: Mapping[str, GeneCall], rows: Sequence[DpwgRow]) -> list[str]:
    """Genes the group needs whose call gives nothing to evaluate (genotype keys read the VCF)."""
    out = []
    for g in genes:
        call = calls.get(g)
        genotype_only = all(k.type == "genotype" for r in rows for k in r.keys if k.gene == g)
        if genotype_only and call is not None and call.source in ("vcf", "outside_call"):
            continue
        if not candidates(call):
            out.append(g)
    return out


def _why_not(g: str, call: GeneCall | None) -> str:
    if call is None:
        return f"{g} was not assessed (not in the VCF calls and no outside call)"
    return f"{g} was not called" + (f" ({call.reason})" if call.reason else "")


def evaluate(rows: Sequence[DpwgRow], calls: Mapping[str, GeneCall]) -> tuple[_Outcome, list[Candidate]]:
    """The DPWG rows one guideline group reaches for a patient (every candidate combination)."""
    genes = sorted({k.gene for r in rows for k in r.keys})
    per_gene = [candidates(calls.get(g)) or [None] for g in genes]  # type: ignore[list-item]
    combos = list(itertools.islice(itertools.product(*per_gene), MAX_COMBINATIONS + 1))
    if len(combos) > MAX_COMBINATIONS:
        return _Outcome((), "too many candidate combinations to evaluate"), []
    outcomes = {_match_combo(rows, calls, dict(zip(genes, c, strict=True))) for c in combos}
    used = [c for combo in combos for c in combo if c is not None]
    if len(outcomes) == 1:
        return outcomes.pop(), used
    by_rec = {r.source_row: r.rec_group for r in rows if r.branch == 1}
    if len({tuple(sorted(by_rec.get(s, s) for s in o.rows)) for o in outcomes}) == 1 \
            and not any(o.unknown for o in outcomes):
        first = sorted(outcomes, key=lambda o: o.rows)[0]
        return _Outcome(first.rows, note="every candidate leads to the same DPWG recommendation"), used
    return _Outcome((), "the candidates lead to different DPWG recommendations"), used


# ---------------------------------------------------------------- when nothing matches
def dpwg_phenotype_may_differ(cand: Candidate, rows: Sequence[DpwgRow]) -> str | None:
    """Where DPWG's own phenotype translation can differ from pgxannot's (CPIC) call.

    The one named place for such quirks, found by checking pgxannot's phenotypes against
    PharmGKB's 65,366 DPWG diplotype rules (tests/guidance/test_dpwg_rules.py):
    CYP2D6 gene duplications that CPIC's activity score calls Normal Metabolizer are
    ultrarapid in DPWG's translation.
    """
    if cand.gene == "CYP2D6" and (cand.phenotype or "").lower() == "normal metabolizer" \
            and any(re.search(r"x(\d|≥|N)", a) for a in cand.alleles) \
            and any(k.value == "Ultrarapid Metabolizer" for r in rows for k in r.keys):
        return (f"CYP2D6 {cand.name} is Normal Metabolizer by CPIC's activity score, but DPWG counts gene "
                "duplications like this one as ultrarapid: check DPWG's ultrarapid-metabolizer advice")
    return None


def _is_normal(cand: Candidate) -> bool:
    p = (cand.phenotype or "").lower()
    return p.startswith("normal") or (cand.gene == "CYP3A5" and p == "poor metabolizer") \
        or (cand.gene.startswith("HLA-") and "positive" not in p and "positive" not in cand.name)


def _unmatched(drug: str, genes: Sequence[str], calls: Mapping[str, GeneCall], rows: Sequence[DpwgRow],
               outcome: _Outcome, used: Sequence[Candidate]) -> tuple[str, str]:
    """(action, reason) when no DPWG row applies."""
    shown = ", ".join(f"{c.gene} {c.name or c.phenotype}" for c in used) or "this result"
    if outcome.unknown:
        return "not_available", outcome.unknown
    quirks = [q for c in used if (q := dpwg_phenotype_may_differ(c, rows))]
    if quirks:
        return "not_available", "; ".join(quirks)
    genotype_keys = [k for r in rows for k in r.keys if k.type == "genotype"]
    if genotype_keys and all(alt_count(calls.get(k.gene), k) == 0 for k in genotype_keys):
        return "no_recommendation", (f"DPWG has no recommendation for {drug} at reference genotype "
                                     f"({', '.join(sorted({str(k.variant) for k in genotype_keys}))})")
    if used and all(_is_normal(c) for c in used):
        return "no_recommendation", f"DPWG has no recommendation for {drug} for {shown}"
    if any((c.phenotype or "").lower() in ("indeterminate", "", "n/a") and c.score in (None, "n/a") for c in used) \
            or not used:
        return "not_available", (f"pgxannot could not assign a phenotype for {shown}; DPWG's translation may "
                                 "differ: check the DPWG guideline")
    return "not_available", (f"the DPWG snapshot has no recommendation for {drug} for {shown} "
                             f"({'; '.join(sorted({c.phenotype or c.score or '' for c in used} - {''}))})")


# ---------------------------------------------------------------- advice
def _branch_dict(r: DpwgRow) -> dict[str, object]:
    return {"rec_id": r.rec_id, "condition": r.condition, "condition_label": r.condition_label,
            "action": r.action, "recommendation": r.recommendation, "structure": r.structure()}


def _advice(drug: str, gids: tuple[str, ...], genes: tuple[str, ...], matched: list[DpwgRow],
            known_conditions: frozenset[str], lookup: dict[str, str], note: str | None) -> DpwgAdvice:
    branches = sorted(matched, key=lambda r: (not r.primary, action_rank(r.action), r.source_row, r.branch))
    first = branches[0]
    conditional = first.condition_kind == "indication" and first.condition not in known_conditions
    return DpwgAdvice(
        drug=drug, guideline_ids=gids, genes=genes, action=first.action, recommendation=first.recommendation,
        lookup=lookup, rec_ids=(first.rec_id,), condition=first.condition, condition_label=first.condition_label,
        applicability="conditional" if conditional else "applies", structure=first.structure(),
        others=tuple(_branch_dict(r) for r in branches[1:]), reason=note, dpwg_text=first.dpwg_text)


def _groups(kb: DpwgKB, drug: str) -> dict[tuple[str, tuple[str, ...]], list[DpwgRow]]:
    out: dict[tuple[str, tuple[str, ...]], list[DpwgRow]] = {}
    for r in kb.matchable(drug):
        out.setdefault((r.guideline_id, r.genes), []).append(r)
    return out


def _lookup_of(genes: Sequence[str], matched: Sequence[DpwgRow], used: Sequence[Candidate]) -> dict[str, str]:
    keys = {k.gene: k.label for r in matched for k in r.keys}
    for c in used:
        keys.setdefault(c.gene, c.name or c.phenotype or "")
    return {g: keys.get(g, "") for g in genes}


def group_advice(drug: str, rows: Sequence[DpwgRow], calls: Mapping[str, GeneCall], *,
                 known_conditions: Iterable[str] = ()) -> DpwgAdvice:
    """DPWG's advice for one drug under one guideline group (rows sharing guideline and genes)."""
    genes = tuple(sorted({g for r in rows for g in r.genes}))
    gids = tuple(dict.fromkeys([rows[0].guideline_id, *rows[0].also_guidelines]))
    missing = _not_assessed(genes, calls, rows)
    if missing:
        reason = "; ".join(_why_not(g, calls.get(g)) for g in missing)
        return DpwgAdvice(drug, gids, genes, "not_assessable",
                          f"Not assessable for DPWG's {drug} advice: {reason}; a call for {' and '.join(missing)} "
                          "would settle it.", {g: "" for g in genes}, reason=reason)
    outcome, used = evaluate(rows, calls)
    notes = [n for c in used if (n := dpwg_phenotype(c.phenotype)[1])]
    if outcome.note:
        notes.append(outcome.note)
    if not outcome.rows:
        action, reason = _unmatched(drug, genes, calls, rows, outcome, used)
        text = (f"DPWG gives no genotype-based advice for {drug} for this result." if action == "no_recommendation"
                else f"No DPWG guidance possible for {drug}: {reason}.")
        return DpwgAdvice(drug, gids, genes, action, text, _lookup_of(genes, [], used), reason=reason)
    matched = [r for r in rows if r.source_row in outcome.rows]
    advice = _advice(drug, gids, genes, matched, frozenset(known_conditions), _lookup_of(genes, matched, used),
                     "; ".join(dict.fromkeys(notes)) or None)
    # standard advice resting on a call with defining positions missing is no full assessment (never green);
    # a gene DPWG keys by one position only was read at that position (evaluate), not from the whole call
    by_call = [g for g in genes if not all(k.type == "genotype" for r in rows for k in r.keys if k.gene == g)]
    partial = partly_assessed(by_call, calls)
    if partial and advice.action == "standard_dosing":
        lead = partly_assessed_lead(partial, calls, "DPWG")
        return dataclasses.replace(advice, action="not_assessable", recommendation=lead + advice.recommendation)
    return advice


def _unmatchable(kb: DpwgKB, drug: str) -> DpwgAdvice:
    """A drug whose every DPWG row needs a gene pgxannot does not genotype (F5 for contraceptives)."""
    rows = kb.rows[drug]
    genes = tuple(sorted({g for r in rows for g in r.genes}))
    gids = tuple(dict.fromkeys(r.guideline_id for r in rows))
    return DpwgAdvice(drug, gids, genes, "not_assessable",
                      f"Not assessable for DPWG's {drug} advice: pgxannot does not genotype "
                      f"{' or '.join(genes)}; a test for {' and '.join(genes)} would settle it.",
                      {g: "" for g in genes}, reason=f"{' and '.join(genes)} not genotyped by pgxannot")


@dataclass(frozen=True)
class DpwgGuidance:
    """Every DPWG drug's advice for one patient, most urgent first."""

    advice: tuple[DpwgAdvice, ...]
    snapshot: str  # "pharmgkb-2022 (PAnno 0.3.1), about 2022": named in every report that uses it
    version: dict[str, object] = field(default_factory=dict)

    def for_drug(self, drug: str) -> tuple[DpwgAdvice, ...]:
        return tuple(a for a in self.advice if a.drug == drug)


# DPWG advice shared by patients: one group's advice is a function of its rows, the calls of
# its genes (GeneCall equality covers every field the matching reads: diplotypes, phenotype,
# activity score, variants, missing positions, source) and the known conditions, so equal
# inputs share one DpwgAdvice (frozen). Bounded per knowledge base.
SHARED_ADVICE = 20_000


def _plan(kb: DpwgKB) -> tuple[tuple[tuple[str, tuple[str, ...], tuple[DpwgRow, ...]], ...], tuple[DpwgAdvice, ...]]:
    """Per knowledge base, once: every (drug, group genes, rows) to match, and the advice of
    the drugs that cannot be matched."""
    hit = kb.advice.get(("plan",))
    if hit is None:
        groups = tuple((drug, tuple(sorted({g for r in rows for g in r.genes})), tuple(rows))
                       for drug in kb.drugs for _, rows in sorted(_groups(kb, drug).items()))
        hit = kb.advice[("plan",)] = (groups, tuple(_unmatchable(kb, drug) for drug in kb.drugs
                                                    if not kb.matchable(drug)))
    return hit  # type: ignore[return-value]


def _shared_advice(kb: DpwgKB, group: int, calls: Mapping[str, GeneCall], conditions: frozenset[str]) -> DpwgAdvice:
    drug, genes, rows = _plan(kb)[0][group]
    key = (group, tuple(calls.get(g) for g in genes), conditions)
    hit = kb.advice.get(key)
    if hit is None:
        if len(kb.advice) >= SHARED_ADVICE:
            plan = kb.advice[("plan",)]
            kb.advice.clear()
            kb.advice[("plan",)] = plan
        hit = kb.advice[key] = group_advice(drug, rows, calls, known_conditions=conditions)
    return hit  # type: ignore[return-value]


def dpwg_guidance(calls: Sequence[GeneCall], *, kb: DpwgKB | None = None,
                  known_conditions: Iterable[str] = ()) -> DpwgGuidance:
    """DPWG's advice for every DPWG drug and guideline, from the patient's gene calls."""
    kb = kb or load_dpwg_kb()
    by_gene = {c.gene: c for c in calls}
    conditions = frozenset(known_conditions)
    groups, unmatchable = _plan(kb)
    out = [_shared_advice(kb, i, by_gene, conditions) for i in range(len(groups))]
    out.extend(unmatchable)
    out.sort(key=lambda a: (action_rank(a.action), a.drug.lower(), a.genes))
    return DpwgGuidance(tuple(out), kb.snapshot, dict(kb.version))
