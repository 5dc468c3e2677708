"""Therapy guidance: CPIC recommendations for a patient's gene calls and medications."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pgxannot.guidance.lookup import GeneKeys, gene_keys
from pgxannot.guidance.warfarin import warfarin_guidance
from pgxannot.kb.cpic import DrugInfo, GuidanceKB, RecRow, load_guidance_kb
from pgxannot.pgx.model import GeneCall
from pgxannot.vocabulary import action_rank, light_of_action

MAX_COMBINATIONS = 512


@dataclass(frozen=True)
class GuidanceResult:
    """Drug guidance for one patient (``drugs`` entries as in the report JSON)."""

    drugs: list[dict[str, object]]
    recognized: list[str]  # CPIC names of the patient's medications, input order
    not_recognized: list[str]  # medication names as given that match no CPIC drug
    matched: dict[str, str] = field(default_factory=dict)  # name as given -> CPIC name

    def to_dict(self) -> dict[str, object]:
        return {"drugs": self.drugs,
                "medications": {"recognized": self.recognized, "not_recognized": self.not_recognized}}


@dataclass(frozen=True)
class _Resolution:
    rows: tuple[RecRow, ...]  # every row the candidate key combinations reach
    lookup: dict[str, str | None]
    reason: str | None
    ok: bool


def _split_medications(medications: Sequence[str]) -> list[str]:
    out: list[str] = []
    for m in medications:
        out.extend(p.strip() for p in str(m).split(";") if p.strip())
    return out


def _resolve(drug: str, population: str, genes: Sequence[str], keys: Mapping[str, GeneKeys],
             kb: GuidanceKB) -> _Resolution:
    rows = [r for r in kb.rows.get(drug, ()) if r.population == population]
    by_lookup = {r.lookup: r for r in rows}
    problems = [keys[g].problem for g in genes if keys[g].problem]
    shown = {g: " or ".join(keys[g].keys) if keys[g].keys else None for g in genes}
    if problems:
        return _Resolution((), shown, "; ".join(p for p in problems if p), False)
    combos = list(itertools.islice(itertools.product(*(keys[g].keys for g in genes)), MAX_COMBINATIONS + 1))
    if len(combos) > MAX_COMBINATIONS:
        return _Resolution((), shown, "too many candidate combinations to evaluate", False)
    reached: list[RecRow] = []
    for combo in combos:
        row = by_lookup.get(tuple(zip(genes, combo, strict=True)))
        if row is None:
            desc = ", ".join(f"{g}={k}" for g, k in zip(genes, combo, strict=True))
            return _Resolution((), shown, f"CPIC has no recommendation row for {desc}", False)
        reached.append(row)
    distinct = {(r.rec_group, r.action, r.classification) for r in reached}
    notes = [keys[g].note for g in genes if keys[g].note]
    if len(distinct) > 1:
        which = [g for g in genes if len(keys[g].keys) > 1]
        return _Resolution(tuple(reached), shown,
                           "; ".join(notes) + ("; " if notes else "")
                           + f"the candidate {', '.join(which) or 'calls'} lead to different CPIC "
                           "recommendations", False)
    if len(reached) > 1:
        notes.append("every candidate leads to the same CPIC recommendation")
    return _Resolution(tuple(reached), shown, "; ".join(notes) or None, True)


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


def _entry(info: DrugInfo, *, current: bool, action: str, classification: str | None,
           recommendation: str, lookup: Mapping[str, str | None], genes: Sequence[str],
           population: str | None, reason: str | None, kb: GuidanceKB,
           percent: int | None = None, cpic_text: str | None = None,
           others: list[dict[str, object]] | None = None) -> dict[str, object]:
    level, fda = _levels(info.name, genes, kb)
    return {
        "drug": info.name, "genes": list(genes), "classification": classification, "action": action,
        "current_medication": current, "traffic_light": light_of_action(action),
        "recommendation": recommendation, "dose_change_percent": percent,
        "lookup": dict(lookup), "population": population, "cpic_level": level, "fda_label": fda,
        "guideline": info.guideline, "reason": reason, "cpic_text": cpic_text,
        "other_populations": others or [],
    }


def _table_entry(info: DrugInfo, calls: Mapping[str, GeneCall], current: bool, kb: GuidanceKB) -> dict[str, object]:
    genes = info.genes
    keys = {g: gene_keys(g, calls.get(g), kb.keys_of(info.name, g), kb.gene_results) for g in genes}
    pops = info.populations or tuple(sorted({r.population for r in kb.rows.get(info.name, ())}))
    results = [(p, _resolve(info.name, p, genes, keys, kb)) for p in pops]
    primary_pop, primary = results[0]
    others = [{"population": p, "classification": res.rows[0].classification, "action": res.rows[0].action,
               "recommendation": res.rows[0].recommendation}
              for p, res in results[1:] if res.ok]
    if not primary.ok:
        return _entry(info, current=current, action="not_available", classification=None,
                      recommendation=f"No CPIC guidance possible for {info.name}: {primary.reason}.",
                      lookup=primary.lookup, genes=genes, population=primary_pop,
                      reason=primary.reason, kb=kb, others=others)
    row = primary.rows[0]
    lookup = primary.lookup if len(primary.rows) > 1 else row.lookup_dict
    return _entry(info, current=current, action=row.action, classification=row.classification,
                  recommendation=row.recommendation, lookup=lookup, genes=genes,
                  population=row.population, reason=primary.reason, kb=kb,
                  percent=row.dose_change_percent, cpic_text=row.cpic_text, others=others)


def _warfarin_entry(info: DrugInfo, calls: Mapping[str, GeneCall], current: bool, kb: GuidanceKB) -> dict[str, object]:
    w = warfarin_guidance(calls)
    return _entry(info, current=current, action=w.action, classification=None,
                  recommendation=w.recommendation, lookup=w.lookup, genes=info.genes,
                  population=None, reason=w.reason, kb=kb)


def _pair_only_entry(info: DrugInfo, current: bool, kb: GuidanceKB) -> dict[str, object]:
    pairs = sorted(kb.pairs.get(info.name, ()), key=lambda p: (p.cpic_level or "Z", p.gene))
    genes = list(dict.fromkeys(p.gene for p in pairs))
    level, fda = _levels(info.name, genes, kb)
    version = kb.version.get("version", "")
    reason = (f"CPIC {version} has no genotype-based recommendation rows for {info.name}"
              f" (gene–drug pair level {level or 'unassigned'}" + (f"; FDA label: {fda}" if fda else "") + ")")
    return _entry(info, current=current, action="no_recommendation", classification=None,
                  recommendation=f"No CPIC genotype-based recommendation for {info.name}.",
                  lookup={}, genes=genes, population=None, reason=reason, kb=kb)


def guidance_for(calls: Sequence[GeneCall], medications: Sequence[str], *,
                 kb: GuidanceKB | None = None) -> GuidanceResult:
    """CPIC guidance for every CPIC drug, the patient's medications first.

    Each drug's genes are looked up from ``calls`` (``outside_call`` used like
    ``called``). A gene that is not called gives CPIC's "No Result" row when the
    drug has one, otherwise ``not_available``; ambiguous calls give a
    recommendation only when every candidate leads to the same one.
    """
    kb = kb or load_guidance_kb()
    by_gene = {c.gene: c for c in calls}
    recognized: list[str] = []
    not_recognized: list[str] = []
    matched: dict[str, str] = {}
    for med in _split_medications(medications):
        name = kb.resolve(med)
        if name is None:
            if med not in not_recognized:
                not_recognized.append(med)
            continue
        matched[med] = name
        if name not in recognized:
            recognized.append(name)
    current = set(recognized)
    entries = []
    for info in kb.drugs.values():
        is_current = info.name in current
        if info.kind == "table":
            entries.append(_table_entry(info, by_gene, is_current, kb))
        elif info.kind == "warfarin":
            entries.append(_warfarin_entry(info, by_gene, is_current, kb))
        elif is_current:
            entries.append(_pair_only_entry(info, is_current, kb))
    entries.sort(key=lambda e: (not e["current_medication"], action_rank(e["action"]), str(e["drug"]).lower()))
    return GuidanceResult(entries, recognized, not_recognized, matched)
