"""Therapy guidance: CPIC recommendations for a patient's gene calls, medications and conditions.

Per drug: every gene's lookup keys (:mod:`pgxannot.guidance.lookup`), the CPIC row they
reach per population, and the verdict as the vocabulary words it
(:mod:`pgxannot.vocabulary`): a row that says standard while a gene it needs was not
called is ``not_assessable`` (grey, naming the call that would settle it); advice
written for a condition the patient is not known to have is ``conditional`` (never red).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pgxannot.guidance.lookup import (
    GeneKeys,
    gene_keys,
    lookup_kind,
    partly_assessed,
    partly_assessed_lead,
    partly_assessed_words,
)
from pgxannot.guidance.medications import Medication, resolve_all
from pgxannot.guidance.warfarin import warfarin_guidance
from pgxannot.kb.cpic import DrugInfo, GuidanceKB, RecRow, load_guidance_kb
from pgxannot.pgx.model import GeneCall
from pgxannot.vocabulary import (
    CONDITIONS,
    action_rank,
    condition_clause,
    condition_code,
    condition_label,
    is_hedged,
    light_for,
    population_code,
)

MAX_COMBINATIONS = 512


@dataclass(frozen=True)
class GuidanceResult:
    """Drug guidance for one patient (``drugs`` entries as in the report JSON)."""

    drugs: list[dict[str, object]]
    recognized: list[str]  # CPIC names of the patient's medications, input order
    not_recognized: list[Medication]  # medications as given that match no CPIC drug, with suggestions

    def medications(self) -> dict[str, object]:
        """The report JSON's ``medications`` object."""
        return {"recognized": list(self.recognized), "not_recognized": [m.to_dict() for m in self.not_recognized]}

    def to_dict(self) -> dict[str, object]:
        return {"drugs": self.drugs, "medications": self.medications()}


@dataclass(frozen=True)
class _Resolution:
    rows: tuple[RecRow, ...]  # every row the candidate key combinations reach
    lookup: dict[str, str | None]
    reason: str | None
    ok: bool
    untested: tuple[str, ...] = ()  # genes the drug needs that were not called


def _resolve(drug: str, population: str, genes: Sequence[str], keys: Mapping[str, GeneKeys],
             kb: GuidanceKB) -> _Resolution:
    rows = [r for r in kb.rows.get(drug, ()) if r.population == population]
    by_lookup = {r.lookup: r for r in rows}
    untested = tuple(g for g in genes if keys[g].untested)
    problems = [p for p in (keys[g].problem for g in genes) if p]
    shown = {g: " or ".join(keys[g].keys) if keys[g].keys else None for g in genes}
    if problems:
        return _Resolution((), shown, "; ".join(problems), False, untested)
    combos = list(itertools.islice(itertools.product(*(keys[g].keys for g in genes)), MAX_COMBINATIONS + 1))
    if len(combos) > MAX_COMBINATIONS:
        return _Resolution((), shown, "too many candidate combinations to evaluate", False, untested)
    reached: list[RecRow] = []
    for combo in combos:
        row = by_lookup.get(tuple(zip(genes, combo, strict=True)))
        if row is None:
            desc = ", ".join(f"{g}={k}" for g, k in zip(genes, combo, strict=True))
            return _Resolution((), shown, f"CPIC has no recommendation row for {desc}", False, untested)
        reached.append(row)
    notes = [n for n in (keys[g].note for g in genes) if n]
    if len({(r.rec_group, r.action, r.classification) for r in reached}) > 1:
        which = [g for g in genes if len(keys[g].keys) > 1]
        notes.append(f"the candidate {', '.join(which) or 'calls'} lead to different CPIC recommendations")
        return _Resolution(tuple(reached), shown, "; ".join(notes), False, untested)
    if len(reached) > 1:
        notes.append("every candidate leads to the same CPIC recommendation")
    return _Resolution(tuple(reached), shown, "; ".join(notes) or None, True, untested)


def _levels(drug: str, genes: Sequence[str], kb: GuidanceKB) -> tuple[str | None, str | None]:
    pairs = [p for p in kb.pairs.get(drug, ()) if not genes or p.gene in genes] or list(kb.pairs.get(drug, ()))
    pairs.sort(key=lambda p: (genes.index(p.gene) if p.gene in genes else len(genes), p.gene))

    def combine(values: list[tuple[str, str | None]]) -> str | None:
        present = [(g, v) for g, v in values if v]
        if not present:
            return None
        if len({v for _, v in present}) == 1 and len(present) == len(values):
            return present[0][1]
        return "; ".join(f"{g}: {v}" for g, v in present)

    return (combine([(p.gene, p.cpic_level) for p in pairs]),
            combine([(p.gene, p.fda_label) for p in pairs]))


# ---------------------------------------------------------------- calls, conditions, applicability


def call_summary(genes: Sequence[str], calls: Mapping[str, GeneCall]) -> dict[str, dict[str, object]]:
    """Per gene the call the advice rests on: diplotypes, phenotype, activity score, where it came from."""
    out: dict[str, dict[str, object]] = {}
    for g in genes:
        c = calls.get(g)
        status = "not_called" if c is None else c.status
        source = "none" if c is None or status == "not_called" else c.source
        out[g] = {"diplotypes": list(c.diplotypes) if c else [], "phenotype": c.phenotype if c else None,
                  "activity_score": c.activity_score if c else None,
                  "lookup_kind": lookup_kind(g), "status": status, "source": source}
    return out


def patient_conditions(conditions: Sequence[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Known condition codes, and the words that name no known condition (kept, never guessed)."""
    known: set[str] = set()
    unknown: list[str] = []
    for text in conditions:
        for part in (p.strip() for p in str(text).split(";")):
            if not part:
                continue
            code = condition_code(part)
            if code:
                known.add(code)
            else:
                unknown.append(part)
    return frozenset(known), tuple(unknown)


def _condition_of(info: DrugInfo, row: RecRow) -> str | None:
    return row.structure.condition or population_code(row.population)


def _applicability(code: str | None, results: Sequence[tuple[str, _Resolution]], known: frozenset[str]) -> str:
    """``applies`` or ``conditional`` (an indication the patient is not known to have).

    Advice that is the same for every population the guideline lists applies whichever
    indication the patient has.
    """
    cond = CONDITIONS.get(code or "")
    if cond is None or cond.kind != "indication" or code in known:
        return "applies"
    actions = {res.rows[0].action for _, res in results if res.ok}
    if len(results) > 1 and len(actions) == 1 and all(res.ok for _, res in results):
        return "applies"
    return "conditional"


def _primary(pops: Sequence[str], known: frozenset[str]) -> list[str]:
    """Populations with the patient's known condition first, then the guideline's primary order."""
    first = [p for p in pops if population_code(p) in known]
    return first + [p for p in pops if p not in first]


# ---------------------------------------------------------------- entries


@dataclass(frozen=True)
class _Context:
    """What every entry of one patient shares."""

    calls: Mapping[str, GeneCall]
    current: frozenset[str]
    conditions: frozenset[str]
    kb: GuidanceKB


def _entry(info: DrugInfo, ctx: _Context, *, action: str, recommendation: str, genes: Sequence[str],
           lookup: Mapping[str, str | None], row: RecRow | None = None, reason: str | None = None,
           applicability: str = "applies", condition: str | None = None,
           others: list[dict[str, object]] | None = None, settled_by: Sequence[str] = ()) -> dict[str, object]:
    level, fda = _levels(info.name, genes, ctx.kb)
    rec = row.structure if row is not None else None
    return {
        "drug": info.name, "genes": list(genes), "classification": row.classification if row else None,
        "action": action, "current_medication": info.name in ctx.current,
        "traffic_light": light_for(action, applicability=applicability),
        "recommendation": recommendation, "dose_change_percent": rec.dose_change_percent if rec else None,
        "hedged": bool(rec and is_hedged(rec)), "structure": rec.to_dict() if rec else None,
        "applicability": {"status": applicability, "condition": condition,
                          "label": condition_label(condition),
                          "kind": CONDITIONS[condition].kind if condition and condition in CONDITIONS else None},
        "settled_by": list(settled_by), "calls": call_summary(genes, ctx.calls),
        "lookup": dict(lookup), "population": row.population if row else None, "cpic_level": level,
        "fda_label": fda, "guideline": info.guideline, "reason": reason,
        "cpic_text": row.cpic_text if row else None, "cpic_implications": row.cpic_implications if row else None,
        "other_populations": others or [],
    }


def _other_populations(results: Sequence[tuple[str, _Resolution]]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for pop, res in results:
        if not res.ok:
            continue
        row = res.rows[0]
        code = population_code(pop)
        out.append({"population": pop, "population_label": condition_label(code),
                    "classification": row.classification, "action": row.action,
                    "recommendation": condition_clause(code) + row.recommendation})
    return out


def _unresolved_entry(info: DrugInfo, ctx: _Context, genes: Sequence[str], pop: str, res: _Resolution,
                      others: list[dict[str, object]]) -> dict[str, object]:
    if res.untested:
        calls = " and ".join(res.untested)
        text = (f"Not assessable: {calls} {'was' if len(res.untested) == 1 else 'were'} not called; calling "
                f"{calls} (genotyping or an outside call) would settle {info.name}.")
        return _entry(info, ctx, action="not_assessable", recommendation=text, genes=genes, lookup=res.lookup,
                      reason=res.reason, others=others, settled_by=res.untested)
    return _entry(info, ctx, action="not_available", genes=genes, lookup=res.lookup, reason=res.reason,
                  recommendation=f"No CPIC guidance possible for {info.name}: {res.reason}.", others=others)


def _verdict(row: RecRow, res: _Resolution, partial: Sequence[str],
             calls: Mapping[str, GeneCall]) -> tuple[str, str]:
    """The patient's action and the lead of the wording: standard advice resting on an untested gene,
    or on a call with defining positions missing (``partial``), is not assessable."""
    if row.action != "standard_dosing" or not (res.untested or partial):
        return row.action, ""
    if not res.untested:
        return "not_assessable", partly_assessed_lead(partial, calls, "CPIC")
    untested = " and ".join(res.untested)
    also = f" {partly_assessed_words(partial, calls)}." if partial else ""
    return "not_assessable", (f"Not assessable: {untested} not called; calling {untested} would settle it.{also} "
                              "CPIC's advice without it: ")


def _table_entry(info: DrugInfo, ctx: _Context) -> dict[str, object]:
    genes = info.genes
    keys = {g: gene_keys(g, ctx.calls.get(g), ctx.kb.keys_of(info.name, g), ctx.kb.gene_results) for g in genes}
    pops = _primary(info.populations or sorted({r.population for r in ctx.kb.rows.get(info.name, ())}),
                    ctx.conditions)
    results = [(p, _resolve(info.name, p, genes, keys, ctx.kb)) for p in pops]
    primary_pop, primary = results[0]
    others = _other_populations(results[1:])
    if not primary.ok:
        return _unresolved_entry(info, ctx, genes, primary_pop, primary, others)
    row = primary.rows[0]
    code = _condition_of(info, row)
    applicability = _applicability(code, results, ctx.conditions)
    partial = partly_assessed(genes, ctx.calls)
    action, lead = _verdict(row, primary, partial, ctx.calls)
    text = lead + condition_clause(code, applicability) + row.recommendation
    return _entry(info, ctx, action=action, recommendation=text, genes=genes, row=row,
                  lookup=primary.lookup if len(primary.rows) > 1 else row.lookup_dict, reason=primary.reason,
                  applicability=applicability, condition=code, others=others,
                  settled_by=(*primary.untested, *partial) if action == "not_assessable" else ())


# Drug entries shared by patients: a table drug's entry is a function of the drug, its genes'
# calls, whether it is a current medication and the known conditions (nothing else of the
# patient), so equal inputs share one entry, which nothing downstream changes (the report
# stages build new dicts around it). Bounded per knowledge base.
SHARED_ENTRIES = 20_000


def _shared_table_entry(info: DrugInfo, ctx: _Context) -> dict[str, object]:
    key = (info.name, tuple(ctx.calls.get(g) for g in info.genes), info.name in ctx.current, ctx.conditions)
    memo = ctx.kb.entries
    hit = memo.get(key)
    if hit is None:
        if len(memo) >= SHARED_ENTRIES:
            memo.clear()
        hit = memo[key] = _table_entry(info, ctx)
    return hit


def _warfarin_entry(info: DrugInfo, ctx: _Context) -> dict[str, object]:
    w = warfarin_guidance(ctx.calls)
    action, text, settled_by = w.action, w.recommendation, tuple(w.settled_by)
    partial = partly_assessed(info.genes, ctx.calls)
    if partial and action == "standard_dosing":  # the same rule as a table drug's (_verdict)
        action = "not_assessable"
        text = partly_assessed_lead(partial, ctx.calls, "CPIC") + text
        settled_by = (*settled_by, *partial)
    return _entry(info, ctx, action=action, recommendation=text, lookup=w.lookup,
                  genes=info.genes, reason=w.reason, settled_by=settled_by)


def _pair_only_entry(info: DrugInfo, ctx: _Context) -> dict[str, object]:
    pairs = sorted(ctx.kb.pairs.get(info.name, ()), key=lambda p: (p.cpic_level or "Z", p.gene))
    genes = list(dict.fromkeys(p.gene for p in pairs))
    level, fda = _levels(info.name, genes, ctx.kb)
    version = ctx.kb.version.get("version", "")
    reason = (f"CPIC {version} has no genotype-based recommendation rows for {info.name}"
              f" (gene–drug pair level {level or 'unassigned'}" + (f"; FDA label: {fda}" if fda else "") + ")")
    return _entry(info, ctx, action="no_recommendation", genes=genes, lookup={}, reason=reason,
                  recommendation=f"No CPIC genotype-based recommendation for {info.name}.")


def guidance_for(calls: Sequence[GeneCall], medications: Sequence[str], *, kb: GuidanceKB | None = None,
                 conditions: Sequence[str] = ()) -> GuidanceResult:
    """CPIC guidance for every CPIC drug, the patient's medications first.

    Each drug's genes are looked up from ``calls`` (``outside_call`` used like
    ``called``). A gene that is not called gives CPIC's "No Result" row when the drug
    has one; standard advice that rests on an untested gene, or a drug with no such row,
    is ``not_assessable``. Ambiguous calls give a recommendation only when every
    candidate leads to the same one. ``conditions`` (the sample sheet's ``conditions``
    and ``indication``) decide whether indication-specific advice applies or is
    conditional.
    """
    kb = kb or load_guidance_kb()
    recognized, unknown = resolve_all(medications, kb.names)
    known, _ = patient_conditions(conditions)
    ctx = _Context({c.gene: c for c in calls}, frozenset(recognized), known, kb)
    entries = []
    for info in kb.drugs.values():
        if info.kind == "table":
            entries.append(_shared_table_entry(info, ctx))
        elif info.kind == "warfarin":
            entries.append(_warfarin_entry(info, ctx))
        elif info.name in ctx.current:
            entries.append(_pair_only_entry(info, ctx))
    entries.sort(key=lambda e: (not e["current_medication"], action_rank(e["action"]), str(e["drug"]).lower()))
    return GuidanceResult(entries, recognized, unknown)
