"""The one vocabulary of drug guidance: actions, doses, conditions, lights, and the structure.

Imported by the knowledge-source builders (``kb.build``), the guidance engine and every
renderer; it imports nothing of pgxannot, so any layer may use it. A value added here
is added everywhere: the report schema's enums are checked against these tuples by a
test, and ``docs/guidance.md`` documents every value.

Three layers:

- closed value sets (:data:`ACTIONS`, :data:`DOSE_KINDS`, :data:`DIRECTIONS`,
  :data:`RELATIONS`, :data:`STRENGTHS`, :data:`CONCERNS`, :data:`CONDITIONS`,
  :data:`APPLICABILITY`) with their labels;
- the frozen structure of one guideline recommendation (:class:`Recommendation` with
  its :class:`DoseStep` entries), derived per guideline row at build time and stored as
  table columns (:meth:`Recommendation.to_columns` / :meth:`Recommendation.from_columns`);
- the traffic-light rules (:func:`light_for`): uncertain or untested is never green,
  advice for a condition the patient is not known to have is never red.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

# ---------------------------------------------------------------- actions

# Most to least urgent. The order is the report's: drug lists and HTML groups follow it.
ACTIONS: Final[tuple[str, ...]] = (
    "avoid",               # do not use (the guideline's avoid / contraindicated / not recommended)
    "use_alternative",     # prefer another drug (select, choose or consider an alternative)
    "reduce_dose",         # a lower dose: which dose and how much in Recommendation.doses
    "increase_dose",       # a higher dose: which dose and how much in Recommendation.doses
    "adjust_dose",         # a stated regimen that is neither simply lower nor higher (e.g. slower titration)
    "use_with_caution",    # usual use with extra care or monitoring
    "clinical_judgement",  # the genotype does not settle it (uncertain susceptibility, indeterminate):
                           # clinical findings, history or another test decide
    "not_assessable",      # a gene the advice needs was not called: names the call that would settle it
    "not_available",       # no guidance possible for this patient (candidates disagree, no guideline row)
    "standard_dosing",     # every gene the row needs was called and the guideline says standard use
    "no_recommendation",   # the guideline makes no genotype-based recommendation
)

# Actions a guideline row itself can carry (the builder's output); the rest arise per patient.
PATIENT_ACTIONS: Final[tuple[str, ...]] = ("not_assessable", "not_available")
ROW_ACTIONS: Final[tuple[str, ...]] = tuple(a for a in ACTIONS if a not in PATIENT_ACTIONS)
DOSE_ACTIONS: Final[tuple[str, ...]] = ("reduce_dose", "increase_dose", "adjust_dose")

ACTION_LABELS: Final[Mapping[str, str]] = {
    "avoid": "Avoid",
    "use_alternative": "Use an alternative",
    "reduce_dose": "Reduce the dose",
    "increase_dose": "Increase the dose",
    "adjust_dose": "Adjust the dose",
    "use_with_caution": "Use with caution",
    "clinical_judgement": "Genotype does not settle it",
    "not_assessable": "Not assessable",
    "not_available": "Guidance not available",
    "standard_dosing": "Standard dosing",
    "no_recommendation": "No recommendation",
}

# ---------------------------------------------------------------- traffic lights

LIGHTS: Final[tuple[str, ...]] = ("red", "amber", "green", "grey")
ACTION_LIGHT: Final[Mapping[str, str]] = {
    "avoid": "red",
    "use_alternative": "red",
    "reduce_dose": "amber",
    "increase_dose": "amber",
    "adjust_dose": "amber",
    "use_with_caution": "amber",
    "clinical_judgement": "grey",
    "not_assessable": "grey",
    "not_available": "grey",
    "standard_dosing": "green",
    "no_recommendation": "grey",
}
LIGHT_LABELS: Final[Mapping[str, str]] = {
    "red": "Act: avoid or change",
    "amber": "Adjust or monitor",
    "green": "Standard use",
    "grey": "No genotype-based guidance",
}

_RANK: Final[Mapping[str, int]] = {a: i for i, a in enumerate(ACTIONS)}


def action_rank(action: Any) -> int:
    """Position of ``action`` in :data:`ACTIONS`; unknown values sort last."""
    return _RANK.get(str(action), len(ACTIONS))


def light_of_action(action: Any) -> str:
    """The traffic light an action implies (grey for unknown values)."""
    return ACTION_LIGHT.get(str(action), "grey")


def light_for(action: Any, *, applicability: str = "applies") -> str:
    """The traffic light of one patient's advice.

    Advice that applies only under a condition the patient is not known to have
    (``applicability == "conditional"``) is never red: red becomes amber. Uncertain
    and untested results are never green because their actions map to grey.

    >>> light_for("avoid"), light_for("avoid", applicability="conditional")
    ('red', 'amber')
    """
    light = light_of_action(action)
    if applicability == "conditional" and light == "red":
        return "amber"
    return light


# ---------------------------------------------------------------- doses

# Which dose the advice is about.
DOSE_KINDS: Final[tuple[str, ...]] = (
    "starting", "starting_daily", "loading", "maintenance", "daily", "target", "any",
)
DOSE_KIND_LABELS: Final[Mapping[str, str]] = {
    "starting": "starting dose",
    "starting_daily": "starting daily dose",
    "loading": "first (loading) dose",
    "maintenance": "maintenance dose",
    "daily": "daily dose",
    "target": "target dose",
    "any": "dose",
}
# Which way the dose goes compared with usual dosing.
DIRECTIONS: Final[tuple[str, ...]] = ("lower", "higher", "standard", "set")
DIRECTION_LABELS: Final[Mapping[str, str]] = {
    "lower": "lower", "higher": "higher", "standard": "usual", "set": "as stated",
}
# How the amount relates to the usual dose: "by 50%", "to 30–80% of the usual",
# "at most 20 mg", "at least 75 mg", "below 20 mg/day".
RELATIONS: Final[tuple[str, ...]] = ("by", "to", "at_most", "at_least", "below")

# ---------------------------------------------------------------- strength, concern

STRENGTHS: Final[tuple[str, ...]] = ("Strong", "Moderate", "Optional", "No Recommendation")
STRENGTH_LABELS: Final[Mapping[str, str]] = {
    "Strong": "strong recommendation",
    "Moderate": "moderate recommendation",
    "Optional": "optional recommendation",
    "No Recommendation": "no recommendation",
}
HEDGED_STRENGTHS: Final[frozenset[str]] = frozenset({"Optional"})  # advice read as "consider"

CONCERNS: Final[tuple[str, ...]] = ("toxicity", "efficacy")
CONCERN_LABELS: Final[Mapping[str, str]] = {
    "toxicity": "higher risk of adverse effects",
    "efficacy": "risk of reduced effect",
}

# ---------------------------------------------------------------- conditions and populations


@dataclass(frozen=True)
class Condition:
    """A condition or prescribing situation a recommendation is written for.

    ``kind`` is ``indication`` (a disease the patient must be known to have: advice
    for it is conditional, never red, until the sheet's ``conditions`` says so) or
    ``context`` (age group, drug history, dose level: the primary population is
    shown and the others are listed beside it).
    """

    code: str
    label: str  # plain words, e.g. "acute coronary syndrome with PCI"
    kind: str  # "indication" | "context"
    aliases: tuple[str, ...] = ()  # what a user may write in the sheet's conditions column


CONDITION_KINDS: Final[tuple[str, ...]] = ("indication", "context")

_CONDITION_LIST: Final[tuple[Condition, ...]] = (
    Condition("cystic_fibrosis", "cystic fibrosis", "indication", ("cf", "cystic fibrosis")),
    Condition("acs_pci", "acute coronary syndrome with PCI", "indication",
              ("acs", "pci", "acs pci", "acs/pci", "acute coronary syndrome", "cvi acs pci",
               "percutaneous coronary intervention")),
    Condition("cardiovascular_other", "cardiovascular indication without acute coronary syndrome or PCI",
              "indication", ("cvi non-acs non-pci", "cardiovascular non-acs non-pci", "non-acs non-pci")),
    Condition("neurovascular", "neurovascular indication (e.g. stroke or TIA)", "indication",
              ("nvi", "neurovascular", "stroke", "tia", "transient ischaemic attack",
               "transient ischemic attack")),
    Condition("malignancy", "malignancy", "indication", ("cancer", "malignancy", "malignant disease")),
    Condition("phenytoin_naive", "not yet on phenytoin", "context", ("pht naive", "phenytoin naive")),
    Condition("phenytoin_over_3_months", "taking phenytoin for more than 3 months", "context",
              ("pht use >3mos",)),
    Condition("carbamazepine_naive", "not yet on carbamazepine", "context", ("cbz naive",)),
    Condition("carbamazepine_no_alternative", "not yet on carbamazepine, no alternative drug available",
              "context", ("cbz-no alternatives",)),
    Condition("carbamazepine_over_3_months", "taking carbamazepine for more than 3 months", "context",
              ("cbz use >3mos",)),
    Condition("oxcarbazepine_naive", "not yet on oxcarbazepine", "context", ("oxc naive",)),
    Condition("oxcarbazepine_over_3_months", "taking oxcarbazepine for more than 3 months", "context",
              ("oxc use >3 mos",)),
    Condition("children", "children", "context", ("pediatrics", "paediatrics", "child", "children")),
    Condition("adults", "adults", "context", ("adult", "adults")),
    Condition("adults_children_over_40kg", "adults and children over 40 kg", "context",
              ("child >40kg_adult",)),
    Condition("dose_up_to_1g_day", "doses up to 1 g per day", "context", ("<= 1g per day",)),
    *(
        # DPWG (Dutch Pharmacogenetics Working Group) writes advice for these situations
        Condition("pci_stroke_tia", "percutaneous coronary intervention (PCI), stroke or TIA", "indication",
                  ("pci, stroke or tia", "pci stroke tia")),
        Condition("other_indications", "other indications", "context"),
        Condition("h_pylori", "Helicobacter pylori eradication", "indication",
                  ("h. pylori", "h pylori", "helicobacter pylori", "h. pylori eradication")),
        Condition("ocd_anxiety", "obsessive-compulsive disorder or an anxiety disorder", "indication",
                  ("ocd", "obsessive-compulsive disorder", "anxiety", "anxiety disorder")),
        Condition("depression", "depression", "indication", ("major depressive disorder", "mdd")),
        Condition("pain", "pain", "context"),
        Condition("cough", "cough", "context"),
        Condition("brugada_test", "a flecainide provocation test for Brugada syndrome", "context"),
        Condition("liver_transplant", "liver transplantation", "context", ("liver transplant",)),
        Condition("other_transplant", "transplantation of another organ", "context"),
        Condition("immunosuppression", "immunosuppression", "context"),
        Condition("leukaemia", "leukaemia", "context", ("leukemia",)),
        Condition("thrombosis_history", "a family history with many thromboses, or an earlier thrombosis",
                  "indication", ("thrombosis", "venous thrombosis", "vte", "family history of thrombosis")),
        Condition("myopathy_risk", "other important risk factors for statin myopathy", "indication",
                  ("statin myopathy risk", "myopathy risk factors")),
        Condition("no_myopathy_risk", "no other important risk factors for statin myopathy", "context"),
        Condition("codeine_high_dose", "codeine above 20 mg every 6 hours (adults) or 10 mg every 6 hours "
                  "(children from 12 years), or extra risk factors such as CYP3A4 inhibitors or reduced kidney "
                  "function", "context"),
        Condition("codeine_low_dose", "codeine at most 20 mg every 6 hours (adults) or 10 mg every 6 hours "
                  "(children from 12 years) without extra risk factors", "context"),
        Condition("heart_rate_control", "a gradual lowering of the heart rate is wanted, or symptomatic "
                  "bradycardia", "context"),
        Condition("cutaneous", "fluorouracil applied to the skin", "context"),
        Condition("interacting_comedication", "co-medication that inhibits CYP2D6 or CYP3A, or strongly "
                  "induces CYP3A", "context"),
        Condition("efv_mono_bmi_le25", "efavirenz alone, adults and children from 40 kg with a body mass index "
                  "of 25 or less", "context"),
        Condition("efv_mono_bmi_gt25", "efavirenz alone, adults and children from 40 kg with a body mass index "
                  "over 25", "context"),
        Condition("efv_children_under_40kg", "efavirenz alone, children under 40 kg", "context"),
        Condition("efv_combination", "efavirenz in a combination product", "context"),
    ),
)
CONDITIONS: Final[Mapping[str, Condition]] = {c.code: c for c in _CONDITION_LIST}

# CPIC's population strings (whitespace-collapsed) -> condition code; "general" is everyone.
CPIC_POPULATIONS: Final[Mapping[str, str | None]] = {
    "general": None,
    "PHT naive": "phenytoin_naive",
    "PHT use >3mos": "phenytoin_over_3_months",
    "CBZ naive": "carbamazepine_naive",
    "CBZ-no alternatives": "carbamazepine_no_alternative",
    "CBZ use >3mos": "carbamazepine_over_3_months",
    "OXC naive": "oxcarbazepine_naive",
    "OXC use >3 mos": "oxcarbazepine_over_3_months",
    "CVI ACS PCI": "acs_pci",
    "CVI non-ACS non-PCI": "cardiovascular_other",
    "NVI": "neurovascular",
    "pediatrics": "children",
    "adults": "adults",
    "child >40kg_adult": "adults_children_over_40kg",
    "<= 1g per day": "dose_up_to_1g_day",
}

# Drugs whose every recommendation is written for patients with one indication (facts).
DRUG_INDICATIONS: Final[Mapping[str, str]] = {
    "ivacaftor": "cystic_fibrosis",
}

# Per patient: the advice applies (no condition, or the patient is known to have it) or is
# conditional (written for a condition the patient is not known to have).
APPLICABILITY: Final[tuple[str, ...]] = ("applies", "conditional")

def _norm(text: str) -> str:
    return " ".join(str(text).lower().replace("_", " ").split())


_ALIASES: Final[Mapping[str, str]] = {
    _norm(a): c.code for c in _CONDITION_LIST for a in (c.code, c.label, *c.aliases)
}


def condition_code(text: str) -> str | None:
    """The condition code a user's or a guideline's words name, or None when unknown.

    >>> condition_code("Cystic Fibrosis"), condition_code("CVI ACS PCI "), condition_code("flu")
    ('cystic_fibrosis', 'acs_pci', None)
    """
    return _ALIASES.get(_norm(text))


def population_code(population: str | None) -> str | None:
    """CPIC population string -> condition code (None for the general population).

    Unknown population strings raise ``KeyError`` so a new CPIC population is noticed
    at build time rather than shown as a code.
    """
    if population is None:
        return None
    key = " ".join(population.split())
    if key in CPIC_POPULATIONS:
        return CPIC_POPULATIONS[key]
    hit = condition_code(key)
    if hit is None:
        raise KeyError(f"unknown CPIC population {population!r}")
    return hit


def condition_label(code: str | None) -> str | None:
    """Plain words of a condition code (the code itself when unknown; None for None)."""
    if code is None:
        return None
    c = CONDITIONS.get(code)
    return c.label if c else code


# ---------------------------------------------------------------- the structure


@dataclass(frozen=True)
class DoseStep:
    """One dose statement of a recommendation.

    ``kind`` is which dose (:data:`DOSE_KINDS`), ``direction`` which way
    (:data:`DIRECTIONS`), ``amount`` the amount or range as stated in our notation
    (``"50%"``, ``"25–50%"``, ``"20 mg"``, ``"10-fold"``, ``"1.5–2 times"``) with
    ``relation`` saying how it applies (:data:`RELATIONS`); ``hedged`` marks a
    "consider ..." statement; ``when`` is our own short qualifier ("if it is used
    anyway", "for chronic therapy (over 12 weeks) once effective").
    """

    kind: str
    direction: str
    amount: str | None = None
    relation: str | None = None
    hedged: bool = False
    when: str | None = None

    def __post_init__(self) -> None:
        _check("dose kind", self.kind, DOSE_KINDS)
        _check("direction", self.direction, DIRECTIONS)
        if self.relation is not None:
            _check("relation", self.relation, RELATIONS)

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "direction": self.direction, "amount": self.amount,
                "relation": self.relation, "hedged": self.hedged, "when": self.when}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DoseStep:
        return cls(kind=str(d["kind"]), direction=str(d["direction"]), amount=_opt(d.get("amount")),
                   relation=_opt(d.get("relation")), hedged=bool(d.get("hedged")), when=_opt(d.get("when")))


@dataclass(frozen=True)
class Recommendation:
    """The structured form of one guideline recommendation (one row of one guideline).

    ``action``: :data:`ROW_ACTIONS`; ``hedged``: the main advice is a "consider ..."
    (CPIC Optional rows, hedged wording); ``doses``: every dose statement, in the
    guideline's order; ``alternatives``: alternative drugs or classes in our words, with
    ``alternatives_hedged`` when the guideline says "consider"; ``notes``: our own short
    clauses for monitoring, titration, latency and fallbacks; ``condition``: the
    :data:`CONDITIONS` code the advice is for (None: everyone); ``strength``:
    :data:`STRENGTHS` (None when the guideline gives none); ``concern``:
    :data:`CONCERNS`; ``numbers``: every clinical number the row states, normalised
    (``"50%"``, ``"25–50%"``, ``"75 mg/day"``, ``"2–4 weeks"``); ``qualifier``: our words
    that narrow the main advice ("if possible", "at the standard 75 mg dose if possible").
    """

    action: str
    hedged: bool = False
    doses: tuple[DoseStep, ...] = ()
    alternatives: tuple[str, ...] = ()
    alternatives_hedged: bool = False
    notes: tuple[str, ...] = ()
    condition: str | None = None
    strength: str | None = None
    concern: str | None = None
    numbers: tuple[str, ...] = ()
    qualifier: str | None = None

    def __post_init__(self) -> None:
        _check("action", self.action, ROW_ACTIONS)
        if self.condition is not None:
            _check("condition", self.condition, tuple(CONDITIONS))
        if self.strength is not None:
            _check("strength", self.strength, STRENGTHS)
        if self.concern is not None:
            _check("concern", self.concern, CONCERNS)

    @property
    def dose_change_percent(self) -> int | None:
        """The single percent a lower/higher dose changes by (None for ranges or none stated)."""
        for step in self.doses:
            if step.relation == "by" and step.amount and re.fullmatch(r"\d+%", step.amount) \
                    and step.direction in ("lower", "higher") and step.when is None:
                return int(step.amount[:-1])
        return None

    def to_dict(self) -> dict[str, object]:
        return {
            "action": self.action, "hedged": self.hedged, "doses": [s.to_dict() for s in self.doses],
            "alternatives": list(self.alternatives), "alternatives_hedged": self.alternatives_hedged,
            "notes": list(self.notes), "condition": self.condition,
            "condition_label": condition_label(self.condition), "strength": self.strength,
            "concern": self.concern, "numbers": list(self.numbers), "qualifier": self.qualifier,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Recommendation:
        return cls(
            action=str(d["action"]), hedged=bool(d.get("hedged")),
            doses=tuple(DoseStep.from_dict(s) for s in d.get("doses") or ()),
            alternatives=tuple(str(a) for a in d.get("alternatives") or ()),
            alternatives_hedged=bool(d.get("alternatives_hedged")),
            notes=tuple(str(n) for n in d.get("notes") or ()), condition=_opt(d.get("condition")),
            strength=_opt(d.get("strength")), concern=_opt(d.get("concern")),
            numbers=tuple(str(n) for n in d.get("numbers") or ()), qualifier=_opt(d.get("qualifier")))

    def to_columns(self) -> dict[str, str]:
        """Flat table columns (:data:`STRUCTURE_COLUMNS`); lists as compact JSON."""
        return {
            "action": self.action, "hedged": "yes" if self.hedged else "",
            "doses": _dump([{k: v for k, v in s.to_dict().items() if v not in (None, False)}
                            for s in self.doses]) if self.doses else "",
            "alternatives": _dump(list(self.alternatives)) if self.alternatives else "",
            "alternatives_hedged": "yes" if self.alternatives_hedged else "",
            "notes": _dump(list(self.notes)) if self.notes else "",
            "condition": self.condition or "", "strength": self.strength or "",
            "concern": self.concern or "",
            "numbers": _dump(list(self.numbers)) if self.numbers else "",
            "qualifier": self.qualifier or "",
        }

    @classmethod
    def from_columns(cls, row: Mapping[str, str]) -> Recommendation:
        """Inverse of :meth:`to_columns` (missing optional columns read as empty)."""
        return cls(
            action=row["action"], hedged=row.get("hedged") == "yes",
            doses=tuple(DoseStep.from_dict(s) for s in _load(row.get("doses"))),
            alternatives=tuple(_load(row.get("alternatives"))),
            alternatives_hedged=row.get("alternatives_hedged") == "yes",
            notes=tuple(_load(row.get("notes"))), condition=row.get("condition") or None,
            strength=row.get("strength") or None, concern=row.get("concern") or None,
            numbers=tuple(_load(row.get("numbers"))), qualifier=row.get("qualifier") or None)


STRUCTURE_COLUMNS: Final[tuple[str, ...]] = (
    "action", "hedged", "doses", "alternatives", "alternatives_hedged", "notes", "condition",
    "strength", "concern", "numbers", "qualifier",
)


def is_hedged(rec: Recommendation) -> bool:
    """Whether a reader must see a "consider": a hedged main advice or an Optional strength."""
    return rec.hedged or (rec.strength in HEDGED_STRENGTHS)


# ---------------------------------------------------------------- our own wording


def _dose_core(step: DoseStep) -> str:
    kind, amt, direction = DOSE_KIND_LABELS[step.kind], step.amount, step.direction
    if direction == "standard":
        return f"the usual {kind}" + (f" ({amt})" if amt else "")
    if amt and amt.startswith("the "):
        return f"{amt} {kind}"
    if amt and step.relation == "by":
        than = step.when if step.when and step.when.startswith("than ") else "than usual"
        return f"a {kind} {amt} {DIRECTION_LABELS[direction]} {than}"
    if amt and step.relation in ("at_most", "at_least"):
        return f"a {kind} of {step.relation.replace('_', ' ')} {amt}"
    if amt and step.relation == "below":
        return f"a {kind} below {amt}"
    if amt:
        relative = "%" in amt or "times" in amt
        way = f"{DIRECTION_LABELS[direction]} " if direction in ("lower", "higher") and not relative else ""
        return f"a {way}{kind} of {amt}"
    if direction in ("lower", "higher"):
        return f"a {DIRECTION_LABELS[direction]} {kind}"
    return f"an adjusted {kind}"


def _with_when(phrase: str, when: str | None) -> str:
    if not when or when.startswith("than "):
        return phrase
    if when.startswith(("if ", "for ", "only if ", "in ")):
        return f"{when}, {phrase}"
    return f"{phrase} {when}"


def dose_phrase(step: DoseStep) -> str:
    """One dose statement in our words, e.g. ``use a starting dose 50% lower than usual``.

    >>> dose_phrase(DoseStep("maintenance", "lower", "25%", "by", hedged=True))
    'consider a maintenance dose 25% lower than usual'
    """
    return _with_when(("consider " if step.hedged else "use ") + _dose_core(step), step.when)


def dose_list(steps: Sequence[DoseStep]) -> str:
    """Dose statements joined; neighbours sharing hedge and qualifier share one verb.

    >>> dose_list([DoseStep("starting", "lower", hedged=True, when="if it is used anyway"),
    ...            DoseStep("maintenance", "lower", "50%", "by", True, "if it is used anyway")])
    'if it is used anyway, consider a lower starting dose and a maintenance dose 50% lower than usual'
    """
    groups: list[list[DoseStep]] = []
    for step in steps:
        last = groups[-1][-1] if groups else None
        if last is not None and (last.hedged, last.when) == (step.hedged, step.when) \
                and not (step.when or "").startswith("than "):
            groups[-1].append(step)
        else:
            groups.append([step])
    phrases = []
    for g in groups:
        verb = "consider " if g[0].hedged else "use "
        phrases.append(_with_when(verb + " and ".join(_dose_core(s) for s in g), g[0].when))
    return "; ".join(phrases)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _main_clause(drug: str, rec: Recommendation) -> tuple[str, tuple[DoseStep, ...]]:
    """The first clause and the dose statements it has not used."""
    a, hedged = rec.action, is_hedged(rec)
    if a in DOSE_ACTIONS or (a in ("standard_dosing", "use_with_caution") and rec.doses):
        steps = list(rec.doses)
        if hedged and not any(st.hedged for st in steps):
            first = steps[0]
            steps[0] = DoseStep(first.kind, first.direction, first.amount, first.relation, True, first.when)
        lead = f"{drug[0].upper()}{drug[1:]}: " + dose_list(steps)
        if a == "use_with_caution":
            lead += ", with caution"
        return lead, ()
    lead = {
        "avoid": f"Consider avoiding {drug}" if hedged else f"Avoid {drug}",
        "use_alternative": (f"Consider an alternative to {drug}" if hedged or rec.alternatives_hedged
                            else f"Use an alternative to {drug}"),
        "use_with_caution": f"Consider {drug}, with caution" if hedged else f"Use {drug} with caution",
        "clinical_judgement": f"The genotype does not settle {drug} use",
        "standard_dosing": f"Consider {drug} at the usual dose" if hedged else f"Use {drug} at the usual dose",
        "no_recommendation": f"No genotype-based recommendation for {drug}",
    }[a]
    if rec.qualifier:
        lead += " " + rec.qualifier
    if a == "use_alternative" and rec.alternatives:
        lead += ": " + "; or ".join(rec.alternatives)
    return lead, rec.doses


def describe(drug: str, rec: Recommendation, states: Sequence[str] = (), *, source: str = "CPIC") -> str:
    """Our own sentence for a structured recommendation: every dose type, number and hedge kept.

    ``states`` are the patient-independent gene states of the row ("CYP2C19 poor
    metabolizer"). The condition is not worded here: see :func:`condition_clause`.

    >>> describe("codeine", Recommendation("avoid", alternatives=("an opioid other than tramadol",),
    ...          alternatives_hedged=True, strength="Strong", concern="toxicity"), ["CYP2D6 ultrarapid"])
    'Avoid codeine (CYP2D6 ultrarapid: higher risk of adverse effects). Consider instead an opioid other than tramadol. CPIC Strong.'
    """
    lead, rest = _main_clause(drug, rec)
    why = "; ".join(states)
    if rec.concern and rec.action not in ("standard_dosing", "no_recommendation", "clinical_judgement"):
        why = f"{why}: {CONCERN_LABELS[rec.concern]}" if why else CONCERN_LABELS[rec.concern]
    parts = [lead + (f" ({why})" if why else "") + "."]
    if rest:
        parts.append(_sentence(dose_list(rest)))
    if rec.alternatives and rec.action != "use_alternative":
        parts.append(("Consider instead " if rec.alternatives_hedged else "Alternatives: ")
                     + "; or ".join(rec.alternatives) + ".")
    parts.extend(_sentence(n) for n in rec.notes)
    if rec.strength and rec.strength != "No Recommendation":
        parts.append(f"{source} {rec.strength}.")
    return " ".join(p for p in parts if p)


def condition_clause(code: str | None, applicability: str = "applies") -> str:
    """How a recommendation's condition is said before it ("" when it is for everyone).

    >>> condition_clause("cystic_fibrosis", "conditional")
    'If the patient has cystic fibrosis: '
    """
    if code is None:
        return ""
    c = CONDITIONS.get(code)
    if c is None:
        return f"For {code}: "
    if c.kind == "indication":
        return (f"If the patient has {c.label}: " if applicability == "conditional" else f"For {c.label}: ")
    return f"For patients {c.label}: " if c.label.startswith(("not ", "taking ")) else f"For {c.label}: "


def _check(what: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r} (known: {', '.join(allowed)})")


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _load(cell: str | None) -> list[Any]:
    return list(json.loads(cell)) if cell else []


__all__ = [
    "ACTIONS", "ACTION_LABELS", "ACTION_LIGHT", "APPLICABILITY", "CONCERNS", "CONCERN_LABELS",
    "CONDITIONS", "CONDITION_KINDS", "CPIC_POPULATIONS", "DIRECTIONS", "DIRECTION_LABELS",
    "DOSE_ACTIONS", "DOSE_KINDS", "DOSE_KIND_LABELS", "DRUG_INDICATIONS", "HEDGED_STRENGTHS",
    "LIGHTS", "LIGHT_LABELS", "PATIENT_ACTIONS", "RELATIONS", "ROW_ACTIONS", "STRENGTHS",
    "STRENGTH_LABELS", "STRUCTURE_COLUMNS", "Condition", "DoseStep", "Recommendation",
    "action_rank", "condition_clause", "condition_code", "condition_label", "describe", "dose_list", "dose_phrase", "is_hedged", "light_for",
    "light_of_action", "population_code",
]
