"""Several guideline bodies side by side: CPIC's and DPWG's advice per drug.

:func:`with_guidelines` takes the CPIC engine's result and the patient's calls and
returns one drug list in which every drug carries ``recommendations[]``, one entry per
guideline body (and DPWG guideline), each naming its ``source``:

- the more cautious advice comes first (the vocabulary's action order; CPIC first on a
  tie), and the drug's own ``action``, ``traffic_light`` and ``recommendation`` are those
  of the leading advice, so "Actionable now", the cohort page and the medication check
  consider every body;
- where the bodies disagree in action (one says avoid, the other standard or no
  recommendation), ``guidelines_differ`` is true and ``difference`` says so in words;
- drugs only DPWG covers (siponimod, flecainide, propafenone, ...) appear as drugs of
  their own, and a current medication only DPWG knows is recognised;
- ``guidelines`` (config ``guidelines: [cpic, dpwg]``) selects the bodies.

Pure: no I/O; the DPWG tables come in as a loaded :class:`~pgxannot.kb.dpwg.DpwgKB`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from pgxannot.frozen import freeze
from pgxannot.guidance.dpwg import SOURCE as DPWG
from pgxannot.guidance.dpwg import DpwgAdvice, DpwgGuidance, dpwg_guidance
from pgxannot.guidance.engine import GuidanceResult, call_summary, guidance_for, patient_conditions
from pgxannot.guidance.medications import Medication, resolve, suggestions
from pgxannot.kb.cpic import GuidanceKB, normalize_name
from pgxannot.kb.dpwg import DpwgKB
from pgxannot.pgx.model import GeneCall
from pgxannot.vocabulary import (
    ACTION_LABELS,
    CONDITIONS,
    PATIENT_ACTIONS,
    Recommendation,
    action_rank,
    is_hedged,
    light_of_action,
)

CPIC = "CPIC"
GUIDELINE_BODIES = ("cpic", "dpwg")
DEFAULT_GUIDELINES = GUIDELINE_BODIES
_UNSETTLED = frozenset({*PATIENT_ACTIONS, "no_recommendation"})


def cpic_recommendation(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The CPIC engine's drug entry as one source recommendation."""
    app = entry.get("applicability")
    return {
        "source": CPIC, "genes": list(entry.get("genes") or []), "action": entry.get("action"),
        "traffic_light": entry.get("traffic_light") or light_of_action(entry.get("action")),
        "recommendation": entry.get("recommendation"), "classification": entry.get("classification"),
        "hedged": bool(entry.get("hedged")), "structure": entry.get("structure"),
        "lookup": dict(entry.get("lookup") or {}), "population": entry.get("population"),
        "applicability": dict(app) if isinstance(app, Mapping) else {"status": "applies", "condition": None,
                                                                      "label": None, "kind": None},
        "calls": entry.get("calls") or {}, "settled_by": list(entry.get("settled_by") or []),
        "guideline": entry.get("guideline"), "reason": entry.get("reason"), "text": entry.get("cpic_text"),
        "implications": entry.get("cpic_implications"), "other_branches": [
            {"condition": o.get("population_label") or o.get("population"), "action": o.get("action"),
             "recommendation": o.get("recommendation")} for o in entry.get("other_populations") or []],
    }


def dpwg_recommendation(a: DpwgAdvice, kb: DpwgKB, snapshot: str, calls: Mapping[str, GeneCall]) -> dict[str, Any]:
    """One DPWG advice as a source recommendation, with its guideline, citation and snapshot."""
    g = kb.guidelines.get(a.guideline_ids[0]) if a.guideline_ids else None
    cond = CONDITIONS.get(a.condition or "")
    return {
        "source": DPWG, "genes": list(a.genes), "action": a.action, "traffic_light": a.traffic_light,
        "recommendation": a.recommendation, "classification": None,
        "hedged": bool(a.structure and is_hedged(Recommendation.from_dict(a.structure))), "structure": a.structure,
        "lookup": dict(a.lookup), "population": a.condition_label,
        "applicability": {"status": a.applicability, "condition": a.condition, "label": a.condition_label,
                          "kind": cond.kind if cond else None},
        "calls": call_summary(a.genes, calls), "settled_by": list(a.genes) if a.action == "not_assessable" else [],
        "guideline": {"name": g.name if g else None, "url": g.url if g else None, "pmids": list(g.pmids) if g else [],
                      "ids": list(a.guideline_ids), "citation": g.citation if g else None},
        "reason": a.reason, "text": a.dpwg_text, "implications": None, "snapshot": snapshot,
        "other_branches": [{"condition": o.get("condition_label"), "action": o.get("action"),
                            "recommendation": o.get("recommendation")} for o in a.others],
    }


def _rank(action: Any) -> int:
    """Vocabulary order; the two "could not assess" actions rank alike (neither is more cautious)."""
    return min(action_rank(a) for a in PATIENT_ACTIONS) if action in PATIENT_ACTIONS else action_rank(action)


def order(recs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Most cautious first (vocabulary order); CPIC before DPWG on a tie."""
    return sorted((dict(r) for r in recs), key=lambda r: (_rank(r["action"]), r["source"] != CPIC))


# Actions that say the same thing to a prescriber (change the drug); every other action is its own.
_SAME_ADVICE = {"use_alternative": "avoid"}


def difference(drug: str, recs: Sequence[Mapping[str, Any]]) -> str | None:
    """Words for a disagreement in action between the bodies, or None when they agree.

    Only settled advice counts: a body that could not assess the patient does not
    disagree. The leading actions must differ (avoid and use an alternative count as
    one), and either one body says avoid or change the drug (red) while the other does
    not, or one adjusts or monitors (amber) while the other says standard use or another
    adjustment. A body's silence ("no recommendation", e.g. DPWG for its reference
    group) disagrees only with a red advice.
    """
    lead: dict[str, Mapping[str, Any]] = {}
    for r in recs:
        lead.setdefault(str(r["source"]), r)
    settled = {s: str(r["action"]) for s, r in lead.items() if r["action"] not in PATIENT_ACTIONS}
    if len(settled) < 2 or len({_SAME_ADVICE.get(a, a) for a in settled.values()}) < 2:
        return None
    lights = [light_of_action(a) for a in settled.values()]
    silent = "no_recommendation" in settled.values()
    if "red" not in lights and ("amber" not in lights or silent):
        return None
    parts = [f"{s}: {ACTION_LABELS.get(a, a).lower()}" for s, a in settled.items()]
    return f"CPIC and DPWG differ for {drug} ({'; '.join(parts)}); the more cautious advice is shown first."


def _lead_fields(recs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    first = recs[0]
    return {k: first[k] for k in ("action", "traffic_light", "recommendation", "source", "classification",
                                  "reason", "hedged", "structure", "applicability", "settled_by")}


def _dpwg_only_entry(drug: str, recs: list[dict[str, Any]], current: bool) -> dict[str, Any]:
    first = recs[0]
    genes = list(dict.fromkeys(g for r in recs for g in r["genes"]))
    return {
        "drug": drug, "genes": genes, "classification": None, "action": first["action"],
        "current_medication": current, "traffic_light": first["traffic_light"],
        "recommendation": first["recommendation"], "dose_change_percent": None, "hedged": first["hedged"],
        "structure": first["structure"], "applicability": first["applicability"], "settled_by": first["settled_by"],
        "calls": {k: v for r in recs for k, v in r["calls"].items()}, "lookup": dict(first["lookup"]),
        "population": None, "cpic_level": None, "fda_label": None, "guideline": first["guideline"],
        "reason": first["reason"], "cpic_text": None, "cpic_implications": None, "other_populations": [],
        "source": DPWG,
    }


# Merged drug entries shared by patients: a drug's entry is a function of its CPIC entry (the
# engine shares equal ones, and nothing changes them), its DPWG advice, the calls of the
# advice's genes and whether it is a current medication, so patients with equal inputs share
# one entry, as nothing downstream changes it. Keyed by the identity of the entry and advice
# (held in the store, so an id is never reused while it is a key). Bounded.
SHARED_MERGED = 10_000
_merged: dict[tuple[object, ...], tuple[tuple[object, ...], dict[str, Any]]] = {}


def _shared_merged(held: tuple[object, ...], calls: tuple[GeneCall | None, ...], flag: object,
                   make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    key = (tuple(map(id, held)), calls, flag)
    hit = _merged.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], held, strict=True)):
        return hit[1]
    if len(_merged) >= SHARED_MERGED:
        _merged.clear()
    entry = freeze(make())  # nothing downstream changes it: renderers may keep what they derive from it
    _merged[key] = (held, entry)
    return entry


def _cpic_entry(e: Mapping[str, Any], recs_dpwg: Sequence[DpwgAdvice], kb: DpwgKB | None, snapshot: str,
                calls: Mapping[str, GeneCall]) -> dict[str, Any]:
    recs = order([cpic_recommendation(e), *(dpwg_recommendation(a, kb, snapshot, calls)
                                            for a in recs_dpwg if kb is not None)])
    return {**e, **_lead_fields(recs), "recommendations": recs,
            "guidelines_differ": difference(str(e["drug"]), recs) is not None,
            "difference": difference(str(e["drug"]), recs)}


def _dpwg_entry(drug: str, advice: Sequence[DpwgAdvice], kb: DpwgKB, snapshot: str,
                calls: Mapping[str, GeneCall], current: bool) -> dict[str, Any]:
    recs = order(dpwg_recommendation(a, kb, snapshot, calls) for a in advice)
    return {**_dpwg_only_entry(drug, recs, current), "recommendations": recs,
            "guidelines_differ": False, "difference": None}


def merge(entries: Sequence[Mapping[str, Any]], dpwg: DpwgGuidance | None, kb: DpwgKB | None, *,
          guidelines: Sequence[str], current: Iterable[str] = (),
          calls: Mapping[str, GeneCall] | None = None) -> list[dict[str, Any]]:
    """CPIC entries and DPWG advice as one drug list (current medications first, then most urgent)."""
    bodies = {g.lower() for g in guidelines}
    by_drug: dict[str, list[DpwgAdvice]] = {}
    snapshot = ""
    if dpwg is not None and kb is not None and "dpwg" in bodies:
        snapshot = dpwg.snapshot
        for a in dpwg.advice:
            by_drug.setdefault(a.drug, []).append(a)
    calls = calls or {}
    now = set(current)

    def genes_of(advice: Sequence[DpwgAdvice]) -> tuple[GeneCall | None, ...]:
        return tuple(calls.get(g) for a in advice for g in a.genes)

    out: list[dict[str, Any]] = []
    for e in entries if "cpic" in bodies else ():
        advice = tuple(by_drug.pop(str(e["drug"]), ()))
        out.append(_shared_merged((e, kb, *advice), genes_of(advice), snapshot,
                                  partial(_cpic_entry, e, advice, kb, snapshot, calls)))
    for drug, dp in sorted(by_drug.items()):
        advice, dpwg_kb = tuple(dp), kb
        assert dpwg_kb is not None  # advice only comes with its knowledge base
        out.append(_shared_merged((dpwg_kb, *advice), genes_of(advice), (snapshot, drug in now),
                                  partial(_dpwg_entry, drug, advice, dpwg_kb, snapshot, calls, drug in now)))
    out.sort(key=lambda e: (not e["current_medication"], action_rank(e["action"]), str(e["drug"]).lower()))
    return out


def medication_names(cpic: GuidanceKB, dpwg: DpwgKB | None,
                     guidelines: Sequence[str] = DEFAULT_GUIDELINES) -> dict[str, str]:
    """The medication-name index of the selected bodies (normalized name -> drug): CPIC's
    (with synonyms), then the drugs only DPWG has."""
    names = dict(cpic.names)
    if dpwg is not None and "dpwg" in {g.lower() for g in guidelines}:
        for drug in dpwg.drugs:
            names.setdefault(normalize_name(drug), drug)
    return names


def _dpwg_medications(result: GuidanceResult, names: Mapping[str, str]) -> tuple[list[str], list[Medication]]:
    """Medications CPIC did not know: those naming a DPWG drug are recognised; the rest keep
    suggestions from every body's names (never substituted)."""
    recognized, unknown = list(result.recognized), []
    for m in result.not_recognized:
        got = resolve(m.given, names)
        if got.drug is None:
            unknown.append(Medication(m.given, None, suggestions(m.given, names)))
        elif got.drug not in recognized:
            recognized.append(got.drug)
    return recognized, unknown


def with_guidelines(result: GuidanceResult, calls: Sequence[GeneCall], *, cpic: GuidanceKB, dpwg_kb: DpwgKB | None,
                    guidelines: Sequence[str] = DEFAULT_GUIDELINES,
                    known_conditions: Iterable[str] = ()) -> GuidanceResult:
    """The engine's CPIC result with every selected guideline body's advice per drug."""
    bodies = [g.lower() for g in guidelines]
    if dpwg_kb is None or "dpwg" not in bodies:
        if "cpic" in bodies:
            return dataclasses.replace(result, drugs=merge(result.drugs, None, None, guidelines=bodies))
        return dataclasses.replace(result, drugs=[])
    recognized, unknown = _dpwg_medications(result, medication_names(cpic, dpwg_kb, bodies))
    by_gene = {c.gene: c for c in calls}
    dpwg = dpwg_guidance(calls, kb=dpwg_kb, known_conditions=known_conditions)
    current = set(recognized)
    # the engine's (shared) entry itself when its flag stands, so equal entries stay one object
    entries = [e if e["current_medication"] == (e["drug"] in current) else {**e, "current_medication": e["drug"] in current}
               for e in result.drugs]
    drugs = merge(entries, dpwg, dpwg_kb, guidelines=bodies, current=current, calls=by_gene)
    return dataclasses.replace(result, drugs=drugs, recognized=recognized, not_recognized=unknown)


# A patient known to have one of these has the DPWG condition too (DPWG's "PCI, stroke or TIA").
IMPLIED_CONDITIONS: dict[str, frozenset[str]] = {"pci_stroke_tia": frozenset({"acs_pci", "neurovascular"})}


def known_conditions(conditions: Sequence[str]) -> frozenset[str]:
    """Condition codes the sample sheet states (``conditions`` and ``indication``), with implied ones."""
    codes, _ = patient_conditions(conditions)
    return codes | {k for k, via in IMPLIED_CONDITIONS.items() if codes & via}


def guide(calls: Sequence[GeneCall], medications: Sequence[str], *, cpic: GuidanceKB, dpwg: DpwgKB | None,
          guidelines: Sequence[str] = DEFAULT_GUIDELINES, conditions: Sequence[str] = ()) -> GuidanceResult:
    """Drug guidance of every selected guideline body for one patient."""
    result = guidance_for(calls, medications, kb=cpic, conditions=conditions)
    return with_guidelines(result, calls, cpic=cpic, dpwg_kb=dpwg, guidelines=guidelines,
                           known_conditions=known_conditions(conditions))


def used_versions(versions: Mapping[str, Mapping[str, Any]], guidelines: Sequence[str]) -> dict[str, Any]:
    """The knowledge-base versions a report names: DPWG's only when the run uses DPWG (its
    snapshot statement then appears in every report that uses it, and in no other)."""
    return {k: v for k, v in versions.items() if k != DPWG.lower() or DPWG.lower() in guidelines}
