"""CPIC recommendation text -> the structured :class:`~pgxannot.vocabulary.Recommendation`.

Build-time only. Each CPIC row's ``drugrecommendation`` sentence is read by named
steps: :func:`normalize` (typos, ranges, units), :func:`main_action` (what the first
clause says), :func:`dose_steps` (which dose, which way, how much, hedged or not, under
which qualifier), :func:`alternatives`, :func:`notes` (monitoring, titration, latency,
fallbacks: in our own words), :func:`numbers` (every clinical number) and
:func:`concern`. Every rule is a regular expression over CPIC's wording paired with
our own phrasing; no CPIC sentence is stored. A sentence no action rule reads is an
error (:class:`~pgxannot.errors.KnowledgeBaseError`), never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pgxannot.errors import KnowledgeBaseError
from pgxannot.vocabulary import (
    DRUG_INDICATIONS,
    STRENGTHS,
    DoseStep,
    Recommendation,
    population_code,
)

# ---------------------------------------------------------------- normalising

_TYPOS: tuple[tuple[str, str], ...] = (
    ("Intiate", "Initiate"), ("resuced", "reduced"), ("mecaptopurine", "mercaptopurine"),
    ("anitbiotics", "antibiotics"), ("amitripyline", "amitriptyline"), (" ased on", " based on"),
    ("If a amitriptyline", "If amitriptyline"), ("\\n", " "),
)


def normalize(text: str | None) -> str:
    """One line, typos fixed, ranges with an en dash, a space before units.

    >>> normalize("Intiate with doses (20%-50% of usual) ≤20mg")
    'Initiate with doses (20–50% of usual) ≤20 mg'
    """
    t = " ".join((text or "").replace("\\n", " ").split())
    for bad, good in _TYPOS:
        t = t.replace(bad, good)
    t = re.sub(r"(\d+(?:\.\d+)?)%\s*(?:-|to)\s*(\d+(?:\.\d+)?)%", r"\1–\2%", t)
    t = re.sub(r"(?<![\w.*:])(\d+(?:\.\d+)?)\s*(?:-|to)\s*(\d+(?:\.\d+)?)(?=\s*(?:%|mg|times|weeks|days|hours|h\b))",
               r"\1–\2", t)
    t = re.sub(r"(\d)(mg|g per day)\b", r"\1 \2", t)
    return t


# ---------------------------------------------------------------- numbers

_NUMBER = re.compile(
    r"(?<![\w*:.])(?:[≤<>≥~]\s*)?(\d+(?:\.\d+)?(?:–\d+(?:\.\d+)?)?)(?![\d.])(?!-(?!fold)[a-z])\s*"
    r"(%|mg/kg/day|mg/kg|mg/m2/day|mg/day|mg|g per day|ng/mL|weeks?|days?|hours?|h\b|times|-fold)?")
_NOT_CLINICAL = re.compile(r"PMID:?\s*\d+(?:,\s*\d+)*|(?:Figure|Table)\s+\d+(?:\s+and\s+Figure\s+\d+)?|\(\d\)")
_WORD_NUMBERS = {"three months": "3 months"}


def numbers(text: str) -> tuple[str, ...]:
    """Every clinical number the text states, normalised (``"50%"``, ``"2–4 weeks"``).

    PMIDs, figure and table numbers, list markers and allele names are not clinical numbers.

    >>> numbers("Reduce by 50% (PMID: 30423391); steady state after 2–4 weeks; c.2846A>T")
    ('50%', '2–4 weeks')
    """
    t = _NOT_CLINICAL.sub(" ", text)
    out: list[str] = []
    for m in _NUMBER.finditer(t):
        unit = m.group(2) or ""
        unit = {"h": "hours", "week": "weeks", "day": "days", "hour": "hours"}.get(unit, unit)
        value = m.group(1) + ("" if unit in ("%", "-fold", "") else " ") + unit
        out.append(value)
    for words, value in _WORD_NUMBERS.items():
        if words in t.lower():
            out.append(value)
    return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------- main action

_NO_REC = re.compile(
    r"^\s*(no recommendation|no action recommended|insufficient evidence|n/a\s*$)", re.I)
_JUDGEMENT = re.compile(r"should guide use|enzyme activity must be measured|"
                        r"^(neither \w+ or \w+|\w+) phenotype could (not )?be assigned", re.I)
_AVOID = re.compile(
    r"^(avoid(?! moderate and strong)\b|.*\bis contraindicated|.*\bis not recommended|"
    r"if patient is [\w-]+-na[iï]ve.{0,45}do not|(based on \w+ status, )?halogenated volatile anesthetics)", re.I)
_ALTERNATIVE = re.compile(
    r"^(select (an )?alternative|choose an alternative|consider (an )?alternative|"
    r"consider a clinically appropriate (alternative )?antidepressant|prescribe an alternative|"
    r"recommend alternative|consider hormonal therapy|select an alternative|"
    r"for non-malignant conditions, consider alternative)", re.I)
_CAUTION = re.compile(
    r"(with caution|cautiously|use caution|aware of possible increased risk|"
    r"increased frequency of clinical monitoring)", re.I)
_STANDARD = re.compile(
    r"(standard dos|standard starting|recommended starting dose|label[- ]recommended|label recommended|"
    r"according to the product label|no indication to change|no need to avoid|no reason to avoid|"
    r"no adjustments needed|standard of care dosing|standard recommended dose|desired starting dose|"
    r"at standard doses?|typical initial or loading dose)", re.I)


def _first_sentence(t: str) -> str:
    return re.split(r"(?<=[.;])\s", t, maxsplit=1)[0]


def main_action(t: str, classification: str | None, steps: Iterable[DoseStep]) -> str:
    """The row's action from its first clause, its dose statements and its wording."""
    if not t or _NO_REC.match(t) or classification == "No Recommendation":
        return "no_recommendation"
    if _JUDGEMENT.search(t):
        return "clinical_judgement"
    first = re.sub(r"^based (on )?\w+( status)?, ", "", _first_sentence(t), flags=re.I)
    if _AVOID.match(first) or re.match(r"^(for malignancy: )?.{0,80}avoid clopidogrel|^avoid standard dose", t, re.I):
        return "avoid"
    if _ALTERNATIVE.match(first):
        return "use_alternative"
    main = [s for s in steps if not _qualified(s)]
    directions = {s.direction for s in main}
    if "lower" in directions:
        return "reduce_dose"
    if "higher" in directions:
        return "increase_dose"
    if "set" in directions and not _STANDARD.match(first) and not _is_standard_regimen(t):
        return "adjust_dose"
    if _CAUTION.search(t):
        return "use_with_caution"
    if _STANDARD.search(t) or directions & {"standard", "set"}:
        return "standard_dosing"
    raise KnowledgeBaseError(f"no action rule matches CPIC recommendation {t[:80]!r}",
                             hint="extend the rules in pgxannot.kb.build.cpic_text")


def _qualified(step: DoseStep) -> bool:
    """A dose statement that applies only in a narrower case (fallback, indication, response)."""
    return bool(step.when) and str(step.when).startswith(("if ", "for ", "only if ", "with "))


def _is_standard_regimen(t: str) -> bool:
    # atomoxetine: the usual titration (increase after 3 days) vs a slower one for poor metabolizers
    return bool(re.search(r"initiate with a dose of [\d./ a-z]+ and increase to", t, re.I))


def qualifier(t: str) -> str | None:
    """Our words narrowing the main advice (clopidogrel: the 75 mg dose, if possible)."""
    if re.match(r"avoid standard dose (clopidogrel )?\(75 mg\)( clopidogrel)? if possible", t, re.I):
        return "at the standard 75 mg dose, if possible"
    if re.match(r"avoid \w+ if possible", t, re.I):
        return "if possible"
    return None


def is_hedged(t: str, classification: str | None) -> bool:
    """The main advice is a "consider ..." (or the row is CPIC Optional)."""
    first = _first_sentence(t)
    return classification == "Optional" or bool(re.match(
        r"^(consider|cautiously consider|.{0,120}\bcautiously consider\b|if patient is [\w-]+-na[iï]ve and "
        r"alternative agents are not available, consider)", first, re.I))


# ---------------------------------------------------------------- dose statements

_IF_USED = "if it is used anyway"


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    make: Callable[[re.Match[str]], tuple[DoseStep, ...]]


def _r(pattern: str, make: Callable[[re.Match[str]], tuple[DoseStep, ...]]) -> _Rule:
    return _Rule(re.compile(pattern, re.I), make)


def _hedged(m: re.Match[str]) -> bool:
    return "consider" in m.group(0).lower()


def _sentence_before(t: str, start: int) -> str:
    """The text of the sentence holding ``start``, up to ``start``."""
    cut = max(t.rfind(". ", 0, start), t.rfind("; ", 0, start))
    return t[cut + 2 if cut >= 0 else 0:start]


def _fallback(before: str) -> str | None:
    """``if it is used anyway`` when the statement follows an "If ... is warranted" clause."""
    if re.search(r"(if (a |the )?[\w -]+ (is|are) (warranted|clinically appropriate|to be prescribed)|"
                 r"for tertiary amines|if (\w+ )?therapy is warranted|if \w+ use is warranted)", before, re.I):
        return _IF_USED
    return None


_DOSE_RULES: tuple[_Rule, ...] = (
    _r(r"may require >(\d+)% reduction in starting dose",
       lambda m: (DoseStep("starting", "lower", f"more than {m.group(1)}%", "by", True,
                           "with the c.2846A>T/c.2846A>T genotype"),)),
    _r(r"first dose, use typical.{0,12}loading dose",
       lambda m: (DoseStep("loading", "standard"),)),
    _r(r"for subsequent doses,? use approximately (\d+)% less than typical maintenance dose",
       lambda m: (DoseStep("maintenance", "lower", f"about {m.group(1)}%", "by"),)),
    _r(r"consider a (\d+)% reduction in recommended starting dose",
       lambda m: (DoseStep("starting", "lower", f"{m.group(1)}%", "by", True),)),
    _r(r"(?:and )?(?:a )?(\d+)% (?:reduction of (?:the )?standard maintenance dose|lower maintenance dose)",
       lambda m: (DoseStep("maintenance", "lower", f"{m.group(1)}%", "by"),)),
    _r(r"reduce starting dose by (\d+)%", lambda m: (DoseStep("starting", "lower", f"{m.group(1)}%", "by"),)),
    _r(r"(malignancy: .{0,30}drastically reduced.{0,25})?reduce starting dose by 10-fold",
       lambda m: (DoseStep("starting", "lower", "10-fold", "by", when="in malignancy" if m.group(1) else None),)),
    _r(r"(?:reduced|decreased) starting doses \((\d+–\d+)% of standard starting dose\)",
       lambda m: (DoseStep("starting", "lower", f"{m.group(1)}% of the standard starting dose", "to"),)),
    _r(r"(\d+(?:–\d+)?)% of the lowest recommended starting dose",
       lambda m: (DoseStep("starting", "lower", f"{m.group(1)}% of the lowest recommended", "to"),)),
    _r(r"titrate dose upward to clinical effect or (\d+(?:–\d+)?)% of the maximum recommended dose",
       lambda m: (DoseStep("target", "lower", f"{m.group(1)}% of the maximum recommended", "at_most"),)),
    _r(r"initiate therapy with lowest recommended starting dose",
       lambda m: (DoseStep("starting", "lower", "the lowest recommended", "to"),)),
    _r(r"consider a (\d+–\d+)% lower starting dose",
       lambda m: (DoseStep("starting", "lower", f"{m.group(1)}%", "by", True),)),
    _r(r"consider a lower starting dose", lambda m: (DoseStep("starting", "lower", hedged=True),)),
    _r(r"(?:slower titration.{0,15})?lower maintenance dose",
       lambda m: (DoseStep("maintenance", "lower", hedged=True),)),
    _r(r"consider titrating to a higher target dose",
       lambda m: (DoseStep("target", "higher", hedged=True),)),
    _r(r"efficacy is not achieved.{0,50}higher maintenance dose",
       lambda m: (DoseStep("maintenance", "higher", hedged=True, when="if the usual maintenance dose does not work"),)),
    _r(r"does not adequately respond.{0,60}higher maintenance dose",
       lambda m: (DoseStep("maintenance", "higher", hedged=True, when="if the usual maintenance dose does not work"),)),
    _r(r"consider titrating to a higher maintenance dose",
       lambda m: (DoseStep("maintenance", "higher", hedged=True),)),
    _r(r"increase starting daily dose by (\d+)%",
       lambda m: (DoseStep("starting_daily", "higher", f"{m.group(1)}%", "by"),)),
    _r(r"consider increasing dose by (\d+–\d+)% for the treatment of H\. pylori infection and erosive esophagitis",
       lambda m: (DoseStep("daily", "higher", f"{m.group(1)}%", "by", True,
                           "for H. pylori infection or erosive oesophagitis"),)),
    _r(r"chronic therapy \(>12 weeks\).{0,40}?(\d+)% reduction in daily dose",
       lambda m: (DoseStep("daily", "lower", f"{m.group(1)}%", "by", True,
                           "for chronic therapy (over 12 weeks) once it works"),)),
    _r(r"initiate standard starting daily dose", lambda m: (DoseStep("starting_daily", "standard"),)),
    _r(r"(?:consider a |consider |)(\d+)% reduction (?:of|in) (?:the )?(recommended |standard )?(starting|daily|"
       r"maintenance) dose",
       lambda m: (DoseStep({"starting": "starting", "daily": "daily", "maintenance": "maintenance"}[m.group(3).lower()],
                           "lower", f"{m.group(1)}%", "by", _hedged(m)),)),
    _r(r"increase starting dose (1\.5–2) times recommended starting dose",
       lambda m: (DoseStep("starting", "higher", f"{m.group(1)} times the usual", "to"),)),
    _r(r"total starting dose should not exceed (0\.3 mg/kg/day)",
       lambda m: (DoseStep("starting", "set", m.group(1), "at_most"),)),
    _r(r"starting total daily dose of at least (\d+) mg",
       lambda m: (DoseStep("starting_daily", "higher", f"{m.group(1)} mg", "at_least", True),)),
    _r(r"titrate up to (\d+) mg total daily \w+ dose as tolerated",
       lambda m: (DoseStep("daily", "set", f"{m.group(1)} mg", "at_most", when="as tolerated"),)),
    _r(r"require a (\d+–\d+)% higher maintenance dose compared to poor metabolizers",
       lambda m: (DoseStep("maintenance", "higher", f"{m.group(1)}%", "by",
                           when="than in poor metabolizers"),)),
    _r(r"at a total daily dose of (\d+–\d+) mg",
       lambda m: (DoseStep("starting_daily", "set", f"{m.group(1)} mg", "to"),)),
    _r(r"prescribe\s*≤\s*(\d+) mg( per day)? as a starting dose",
       lambda m: (DoseStep("starting", "lower", f"{m.group(1)} mg" + ("/day" if m.group(2) else ""), "at_most"),)),
    _r(r"limit dose to (≤|<)\s*(\d+) mg/day",
       lambda m: (DoseStep("any", "lower", f"{m.group(2)} mg/day",
                           "at_most" if m.group(1) == "≤" else "below", when=_IF_USED),)),
    _r(r"initiate efavirenz with standard dosing \((\d+ mg/day)\)",
       lambda m: (DoseStep("starting", "standard", m.group(1), "to"),)),
    _r(r"consider initiating efavirenz with decreased dose of (\d+(?: or \d+)? mg/day)",
       lambda m: (DoseStep("starting", "lower", m.group(1), "to", True),)),
    _r(r"(if considering \w+, )?use at standard dose \((\d+ mg/day)\)",
       lambda m: (DoseStep("any", "standard", m.group(2), "to",
                           when="if it is being considered" if m.group(1) else None),)),
    _r(r"initiate (\d+)% of starting dose \(e\.g\., (\d+ mg)\)",
       lambda m: (DoseStep("starting", "lower", f"{m.group(1)}% of the usual (e.g. {m.group(2)})", "to"),)),
    _r(r"titrate to the maximum recommended dose of (\d+ mg)",
       lambda m: (DoseStep("target", "set", m.group(1), "at_most"),)),
    _r(r"increasing the target maintenance dose by (\d+)% or more may be needed",
       lambda m: (DoseStep("maintenance", "higher", f"{m.group(1)}% or more", "by", True, _IF_USED),)),
    _r(r"initiate therapy at standard starting dose",
       lambda m: (DoseStep("starting", "standard", when=_IF_USED),)),
    _r(r"recommended standard of care dosing \(tamoxifen (\d+ mg/day)\)",
       lambda m: (DoseStep("any", "standard", m.group(1), "to"),)),
    _r(r"higher but FDA approved tamoxifen dose \((\d+ mg/day)\)",
       lambda m: (DoseStep("daily", "higher", m.group(1), "to", True, "if an aromatase inhibitor is contraindicated"),)),
    _r(r"higher dose tamoxifen \((\d+ mg/day)\) .{0,80}can be considered",
       lambda m: (DoseStep("daily", "higher", m.group(1), "to", True,
                           "if aromatase inhibitors are contraindicated"),)),
    _r(r"standard starting dose (?:of \w+ )?\(e\.g\., ([^)]*)\)",
       lambda m: (DoseStep("starting", "standard", "for example " + _own_units(m.group(1)), "to"),)),
    _r(r"initiate with a dose of ([\d.]+ mg(?:/kg)?(?:/day)?) and increase to ([\d.]+ mg(?:/kg)?/day) after (\d+) days",
       lambda m: (DoseStep("starting", "set", m.group(1), "to"),
                  DoseStep("target", "set", m.group(2), "to", when=f"after {m.group(3)} days"))),
    _r(r"initiate with a dose of ([\d.]+ mg(?:/kg)?/day) and if no clinical response.{0,40}?after (\d+) weeks,? "
       r"(increase dose to ([\d.]+ mg/day))?",
       lambda m: (DoseStep("starting", "set", m.group(1), "to"),)
       + ((DoseStep("target", "set", m.group(4), "to",
                    when=f"only if there is no response and no adverse effect after {m.group(2)} weeks"),)
          if m.group(4) else ())),
    _r(r"consider increasing dose to (\d+ mg/day)",
       lambda m: (DoseStep("target", "higher", m.group(1), "to", True,
                           "if there is no response and no adverse effect after 2 weeks"),)),
    _r(r"start with (?:drastically )?reduced (?:starting )?doses \((\d+–\d+)% of normal dose\)",
       lambda m: (DoseStep("starting", "lower", f"{m.group(1)}% of the usual", "to"),)),
    _r(r"reduce starting doses to (\d+)% of normal dose",
       lambda m: (DoseStep("starting", "lower", f"{m.group(1)}% of the usual", "to"),)),
    _r(r"(for malignan\w+( conditions)?, start with drastically reduced.{0,30}?)?reduce daily dose by 10-fold",
       lambda m: (DoseStep("daily", "lower", "10-fold", "by", when="in malignancy" if m.group(1) else None),)),
    _r(r"for malignancy, initiate dose at (\d+ mg/m2/day)",
       lambda m: (DoseStep("starting", "lower", m.group(1), "to", when="in malignancy"),)),
    _r(r"start with normal starting dose \(e\.g\., ([^)]*)\)",
       lambda m: (DoseStep("starting", "standard", "for example " + _own_units(m.group(1)), "to"),)),
    _r(r"initiate therapy with (?:the )?recommended starting dose|initiate therapy with standard recommended dose|"
       r"initiate standard dosing|prescribe desired starting dose|initiate therapy with standard starting dose",
       lambda m: (DoseStep("starting", "standard"),)),
)


def _own_units(text: str) -> str:
    t = text.replace("nonmalignancy", "non-malignant disease").replace("for malignancy", "in malignancy")
    return re.sub(r"\s+", " ", t.replace("for autoimmune diseases", "in autoimmune disease"))


def dose_steps(t: str) -> tuple[DoseStep, ...]:
    """Every dose statement in the text, in the text's order (first rule wins a span)."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, DoseStep]] = []
    for rule in _DOSE_RULES:
        for m in rule.pattern.finditer(t):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            before = _sentence_before(t, m.start())
            when = _fallback(before)
            hedge = bool(re.search(r"\bconsider\b", before, re.I))
            for i, step in enumerate(rule.make(m)):
                if (when and step.when is None) or (hedge and not step.hedged):
                    step = DoseStep(step.kind, step.direction, step.amount, step.relation,
                                    step.hedged or hedge, step.when or when)
                found.append((m.start() * 10 + i, step))
    return tuple(s for _, s in sorted(found, key=lambda p: p[0]))


# ---------------------------------------------------------------- alternatives

_ALTERNATIVE_FACTS: tuple[tuple[str, str], ...] = (
    (r"prasugrel or ticagrelor", "prasugrel or ticagrelor at the usual dose if not contraindicated"),
    (r"alternative P2Y12 inhibitor", "another P2Y12 inhibitor at the usual dose if indicated and not "
                                     "contraindicated"),
    (r"non-codeine and non-tramadol|non-codeine or non-tramadol", "an opioid other than codeine or tramadol"),
    (r"(?<!non-codeine or )(?<!non-codeine and )non-tramadol opioid", "an opioid other than tramadol"),
    (r"non-codeine opioid", "an opioid other than codeine"),
    (r"granisetron", "a drug not mainly metabolized by CYP2D6 such as granisetron"),
    (r"aromatase inhibitor", "an aromatase inhibitor (postmenopausal) or an aromatase inhibitor with ovarian "
                             "suppression (premenopausal)"),
    (r"isavuconazole", "isavuconazole, liposomal amphotericin B or posaconazole"),
    (r"(?<!isavuconazole, )liposomal amphotericin B and posaconazole", "liposomal amphotericin B or posaconazole"),
    (r"nortriptyline and desipramine", "a drug not mainly metabolized by CYP2C19, e.g. the secondary amines "
                                       "nortriptyline or desipramine"),
    (r"alternative statin depending on the desired potency", "another statin chosen by the potency needed"),
    (r"(?<!nonmalignancy: consider alternative )non-?thiopurine", "a non-thiopurine immunosuppressant"),
    (r"another beta-blocker", "another beta-blocker"),
    (r"alternative anesthetics", "non-triggering anaesthetics"),
    (r"not (?:predominantly |primarily )?metabolized by CYP2C19 or CYP2B6",
     "an antidepressant not mainly metabolized by CYP2C19 or CYP2B6"),
    (r"antidepressant not (?:predominantly |primarily )?metabolized by CYP2D6",
     "an antidepressant not mainly metabolized by CYP2D6"),
    (r"(?<!antidepressant )(?<!\(i\.e\., granisetron)drug not (?:predominantly )?metabolized by CYP2D6(?! \(i\.e)",
     "a drug not mainly metabolized by CYP2D6"),
    (r"antidepressant not (?:predominantly |primarily )?metabolized by CYP2C19(?! or)",
     "an antidepressant not mainly metabolized by CYP2C19"),
    (r"(?<!antidepressant )drug not metabolized by CYP2C19(?! or)(?!.{0,80}nortriptyline)",
     "a drug not mainly metabolized by CYP2C19"),
    (r"not dependent on CYP2C19(?!.{0,60}such agents include)", "an agent not dependent on CYP2C19"),
    (r"antidepressant not (?:predominantly )?metabolized by CYP2B6", "an antidepressant not mainly metabolized "
                                                                     "by CYP2B6"),
    (r"not metabolized by CYP2C9 or not significantly impacted.{0,120}shorter half-life",
     "a drug not metabolized by or not much affected by CYP2C9, or an NSAID metabolized by CYP2C9 with a "
     "shorter half-life"),
    (r"alternate therapy not metabolized by CYP2C9", "a drug not metabolized by or not much affected by CYP2C9"),
    (r"consider (an )?alternative agent particularly where jaundice", "another agent, above all where jaundice "
                                                                      "would worry the patient"),
    (r"alternative agents are (not )?available", ""),
)


def alternatives(t: str) -> tuple[tuple[str, ...], bool]:
    """Alternative drugs in our words, and whether the guideline only asks to consider them."""
    if re.search(r"no response and opioid use is warranted", t, re.I):
        return (), False  # a fallback for non-response: worded as a note
    found = [label for pat, label in _ALTERNATIVE_FACTS if label and re.search(pat, t, re.I)]
    hedged = bool(re.search(r"consider (an |a clinically appropriate |the )?(alternative|antidepressant|"
                            r"hormonal|rosuvastatin|selecting)|alternatively, consider|or consider a clinically|"
                            r"or switching|could be considered|non-tramadol opioid|non-codeine", t, re.I))
    return tuple(dict.fromkeys(found)), hedged


# ---------------------------------------------------------------- notes (our words)

_TDM = "Guide dosing by therapeutic drug monitoring."
# CPIC's fluoropyrimidine rows: titrate by toxicity, or by drug levels where they can be had
_TOX_TITRATION = "Then titrate the dose by toxicity, or by therapeutic drug monitoring where available."

_NOTE_RULES: tuple[tuple[str, Callable[[re.Match[str]], str]], ...] = (
    (r"(consider a (?:lower starting dose,? (?:and )?|\d+–\d+% lower starting dose and |\d+% reduction in recommended "
     r"starting dose, )?)?slower titration",
     lambda m: "Consider titrating more slowly than usual." if m.group(1) else "Titrate more slowly than usual."),
    (r"drug monitoring.{0,30}strongly recommended",
     lambda m: "Therapeutic drug monitoring is strongly advised."),
    (r"titration of dose based on toxicity",
     lambda m: _TOX_TITRATION),
    (r"(use|utilize|utilizing) therapeutic drug monitoring to (guide|titrate)|therapeutic drug monitoring \(if "
     r"available\)|careful therapeutic drug monitoring|early therapeutic drug monitoring",
     lambda m: _TDM),
    (r"titrate dose to observed clinical response", lambda m: "Titrate to response and side effects."),
    (r"subsequent doses should be adjusted.{0,30}drug monitoring",
     lambda m: "Adjust later doses by drug levels, response and side effects."),
    (r"negative test does not eliminate",
     lambda m: "A negative HLA-B*15:02 result does not exclude SJS/TEN: monitor as usual."),
    (r"(?:at least|allow) (\d+(?:–\d+)?) weeks\D{0,40}steady.state",
     lambda m: f"Steady state takes at least {m.group(1)} weeks after each change."),
    (r"dose reduction might not be necessary", lambda m: "No cut is needed if the starting dose is already low."),
    (r"if (?:the )?standard starting dose is ≥ ?([\d.]+ mg/(?:kg|m2)/day)",
     lambda m: f"Applies when the usual starting dose is ≥{m.group(1)}."),
    (r"if starting dose is ≥([\d.]+ mg/m2/day) \(for malignancy\) or ≥([\d.]+ mg/kg/day)",
     lambda m: f"Applies when the usual starting dose is ≥{m.group(1)} (malignancy) or ≥{m.group(2)} "
               "(non-malignant disease)."),
    (r"degree of myelosuppression", lambda m: "Adjust by the degree of myelosuppression."),
    (r"consider evaluating (?:erythrocyte )?TPMT (?:erythrocyte )?activity",
     lambda m: "Consider measuring TPMT enzyme activity to assign the phenotype."),
    (r"status is unknown, monitor closely for toxicity",
     lambda m: "While a thiopurine gene's status is unknown, watch closely for toxicity."),
    (r"\(e\.g\.,? start at ([\d.–]+ mg/m2/day) or ([\d.–]+ mg/kg/day)\)",
     lambda m: f"That is, start at {m.group(1)} or {m.group(2)}."),
    (r"\(e\.g\., (0\.6 – 2\.4 mg/kg/day)\)", lambda m: "That is, start at 0.6–2.4 mg/kg/day."),
    (r"normal starting dose is ≥ ?(40–60 mg/m2/day) \(e\.g\., (20–48 mg/m2/day)\)",
     lambda m: f"Applies when the usual starting dose is ≥{m.group(1)}; that is, start at {m.group(2)}."),
    (r"if normal starting dose is (2–3 mg/kg/day)", lambda m: f"Applies when the usual starting dose is {m.group(1)}."),
    (r"if normal starting dose is ≥ ?(75 mg/m2/day) or ≥ ?(1\.5 mg/kg/day)",
     lambda m: f"Applies when the usual starting dose is ≥{m.group(1)} or ≥{m.group(2)}."),
    (r"already < (75 mg/m2/day) or < (1\.5 mg/kg/day), dose reduction may not",
     lambda m: f"If the usual dose is already below {m.group(1)} or {m.group(2)}, a cut may not be needed."),
    (r"emphasis should be on reducing", lambda m: "In combination therapy, cut the thiopurine first if "
                                                  "myelosuppression occurs."),
    (r"reduce frequency to thrice weekly", lambda m: "Give it 3 times a week instead of daily."),
    (r"(10 mg/m2/day) given (3) days", lambda m: f"For example {m.group(1)} on {m.group(2)} days a week."),
    (r"for nonmalignancy: consider alternative", lambda m: "In non-malignant disease, consider a non-thiopurine "
                                                          "immunosuppressant instead."),
    (r"steady state is reached \(at least (\d+) days( for \w+ after first dose)?",
     lambda m: f"Do not titrate up before steady state (at least {m.group(1)} days"
               + (" after the first dose)." if m.group(2) else ").")),
    (r"adverse events such as blood pressure",
     lambda m: "Watch blood pressure and kidney function."),
    (r"lowest effective dosage for shortest duration", lambda m: "Use the lowest dose that works for the shortest "
                                                                  "time."),
    (r"monitor more closely for bradycardia", lambda m: "Titrate carefully and watch for bradycardia."),
    (r"use caution with total daily \w+ doses of (\d+) mg or more",
     lambda m: f"Titrate carefully; take care at {m.group(1)} mg/day or more."),
    (r"risk for myopathy[^.]*?(?:doses? )?>\s*(\d+) mg( per day)?",
     lambda m: f"Myopathy risk rises above {m.group(1)} mg" + ("/day." if m.group(2) else ".")),
    (r"risk for myopathy especially for (\d+) mg dose",
     lambda m: f"Myopathy risk rises at {m.group(1)} mg."),
    (r"if (?:dose )?>\s*(\d+) mg (?:is )?needed for desired efficacy, consider ([^(.]*)",
     lambda m: f"If more than {m.group(1)} mg is needed, consider {_statin_options(m.group(2))}."),
    (r"if patient is tolerating (\d+) mg (?:per day|dose) but higher potency is needed",
     lambda m: f"If {m.group(1)} mg is tolerated but more potency is needed, consider a higher dose (over "
               f"{m.group(1)} mg), another statin or a combination with non-statin therapy."),
    (r"there is no need to avoid", lambda m: "No need to avoid it for this genotype."),
    (r"less than about a (1) in (20)", lambda m: f"Tell the patient that stopping it because of jaundice is "
                                                        f"unlikely (under about {m.group(1)} in {m.group(2)})."),
    (r"at least (\d+)% and as high as (\d+)%", lambda m: f"Jaundice leading to stopping it is likely (at least "
                                                         f"{m.group(1)}%, up to {m.group(2)}%, of such patients)."),
    (r"may be given in divided doses", lambda m: "The daily dose may be split."),
    (r"monitor for (continued )?efficacy", lambda m: "Check that it keeps working."),
    (r"avoid moderate and strong CYP2D6 inhibitors", lambda m: "Avoid moderate and strong CYP2D6 inhibitors."),
    (r"avoid CYP2D6 strong to weak inhibitors", lambda m: "Avoid strong to weak CYP2D6 inhibitors."),
    (r"increases but does not normalize endoxifen", lambda m: "A higher tamoxifen dose raises endoxifen but does "
                                                               "not normalise it."),
    (r"no response.{0,30}consider (a |an )?(non-codeine or non-tramadol|non-codeine and "
     r"non-tramadol|non-tramadol|non-codeine) opioid",
     lambda m: "If there is no response, consider an opioid other than "
               + {"non-tramadol": "tramadol", "non-codeine": "codeine"}.get(m.group(2).lower(), "codeine or tramadol")
               + "."),
    (r"increased risk of recurrence", lambda m: "Switching poor metabolizers to anastrozole did not "
                                                               "raise recurrence risk."),
    (r"avoid carbamazepine and oxcarbazepine", lambda m: "Also avoid carbamazepine and oxcarbazepine."),
    (r"discontinue therapy at first evidence", lambda m: "Stop at the first sign of a skin reaction."),
    (r"increased frequency of clinical monitoring", lambda m: "Monitor clinically more often."),
    (r"previously used \w+ (?:continuously|consistently) for longer than three months without",
     lambda m: "Applies if it was taken for over 3 months without a skin reaction."),
    (r"\(~?(\d+–\d+) days\)", lambda m: f"Severe skin reactions usually start within {m.group(1)} days of "
                                         f"continuous use, and nearly all within 3 months."),
    (r"all usually occur within three months", lambda m: "Skin reactions nearly all start within 3 months."),
    (r"close monitoring for (?:acute exacerbation.{0,12})?hemolysis|close monitoring for anemia",
     lambda m: "Monitor closely for haemolysis or anaemia."),
    (r"shortest feasible course with therapeutic dose monitoring",
     lambda m: "Keep the course short, monitor drug levels and check hearing regularly."),
    (r"risk of permanent hearing loss is outweighed",
     lambda m: "Only if the infection's severity and no safe alternative outweigh the hearing-loss risk."),
    (r"peak plasma concentration \((\d+–\d+) hours.{0,40}?< ?(\d+) ng/mL.{0,50}?approach (\d+) ng/mL",
     lambda m: f"If it does not work, consider a peak drug level {m.group(1)} hours after a dose; below "
               f"{m.group(2)} ng/mL, consider raising the dose in proportion towards {m.group(3)} ng/mL."),
    (r"plasma concentration (\d+(?:–\d+)?) (?:hours|h) after dosing\..{0,50}?< ?(\d+) ng/mL.{0,70}?"
     r"approach (\d+) ng/mL",
     lambda m: f"If it does not work, consider a drug level {m.group(1)} hours after a dose; below {m.group(2)} "
               f"ng/mL, consider raising the dose in proportion towards {m.group(3)} ng/mL."),
    (r"after 2 weeks,? consider obtaining a peak|if no clinical response observed after (\d+) weeks",
     lambda m: "Judge the response after 2 weeks."),
    (r"dosages greater than (\d+ mg/day)", lambda m: f"Doses over {m.group(1)} can be needed for the target level."),
    (r"unacceptable side effects.{0,30}reduction in dose",
     lambda m: "If side effects are not acceptable, consider a lower dose."),
    (r"trough concentrations", lambda m: "Titrate to the target trough level."),
    (r"\(1\) Treating Plasmodium vivax.*?(0\.75 mg/kg) once weekly x(8) weeks \(WHO\) or (\d+ mg) once weekly x8 "
     r"weeks \(CDC\)",
     lambda m: f"Exception, following malaria guidelines: radical cure of P. vivax or P. ovale with {m.group(1)} "
               f"(WHO) or {m.group(3)} (CDC) once a week for {m.group(2)} weeks, monitoring for haemolysis."),
    (r"gametocytocide at (0\.25 mg/kg)", lambda m: f"Exception: a single {m.group(1)} dose against P. falciparum "
                                                   "gametocytes (WHO), no haemolysis monitoring needed."),
    (r"guided per the recommendations.{0,20}activity-based",
     lambda m: "Measure G6PD enzyme activity and follow the advice for the enzyme-based phenotype."),
    (r"should guide use of halogenated volatile anesthetics",
     lambda m: "Decide on volatile anaesthetics and succinylcholine from clinical findings, family history and "
               "further tests; this result does not rule out susceptibility."),
    (r"except in extraordinary circumstances", lambda m: "Use them only when benefit clearly outweighs risk."),
    (r"(?:No|no) (CACNA1S|RYR1) genotype is available", lambda m: f"{m.group(1)} was not tested."),
    (r"(\w+) (?:phenotype could not be assigned|genotype (?:result )?is not available|status could not be "
     r"determined)",
     lambda m: f"Based on the other gene only ({m.group(1)} result not available)."),
    (r"strongly reduced dose with early therapeutic drug monitoring",
     lambda m: "Only if alternatives are not considered suitable: a strongly reduced dose with early drug-level "
               "monitoring."),
    (r"preferably lower than standard dosage", lambda m: "If voriconazole is still considered the best choice: "
                                                         "a lower dose with careful drug-level monitoring."),
    (r"further genetic testing", lambda m: ""),
)


def _statin_options(text: str) -> str:
    t = text.lower()
    opts = []
    if "rosuvastatin" in t:
        opts.append("rosuvastatin")
    if "alternative statin" in t:
        opts.append("another statin")
    if "combination" in t:
        opts.append("a combination with non-statin therapy")
    return " or ".join(opts) or "another option"


def notes(t: str) -> tuple[str, ...]:
    """Our short clauses for what the text adds beside action, doses and alternatives."""
    out = [make(m) for pat, make in _NOTE_RULES for m in [re.search(pat, t, re.I)] if m]
    if "Therapeutic drug monitoring is strongly advised." in out and re.search(
            r"warranted, utiliz\w+ therapeutic drug monitoring", t, re.I):
        out = [n for n in out if n != _TDM]
    if _TOX_TITRATION in out:  # the same clause, said more exactly
        out = [n for n in out if n != _TDM]
    return tuple(dict.fromkeys(n for n in out if n))


# ---------------------------------------------------------------- concern

_TOXICITY = re.compile(
    r"(toxicit|side effect|adverse|hypersensitivity|SCAR|SJS|TEN\b|hemoly|haemoly|anemia|"
    r"myopathy|hearing loss|jaundice|hyperbilirubin|bradycardia|malignant hyperthermia|"
    r"myelosuppression|QT|increased (plasma )?concentrations|higher (plasma )?concentrations|"
    r"increased exposure|increased risk|cutaneous)", re.I)
_EFFICACY = re.compile(
    r"(diminished|reduced (analgesia|efficacy|response|effectiveness)|lack of efficacy|"
    r"lower (plasma )?concentrations|decreased (plasma )?concentrations|decreased exposure|"
    r"failure|non-responsive|reduced morphine|reduced o-desmethyltramadol|sub-?optimal|"
    r"less likely to (respond|achieve)|reduced active metabolite|increased metabolism|"
    r"reduced .{0,40}formation|lower .{0,30}concentrations|unlikely to respond|"
    r"not .{0,15}responsive|poor response|higher dose requirement|reduced clopidogrel)", re.I)


def concern(t: str, implications: str | None, action: str) -> str | None:
    """``efficacy`` or ``toxicity`` from the implications (and the advice for avoid/alternative rows)."""
    imp = implications or ""
    if _EFFICACY.search(imp) or (action in ("avoid", "use_alternative") and _EFFICACY.search(t)):
        return "efficacy"
    if _TOXICITY.search(imp) or (action in ("avoid", "use_alternative", "reduce_dose") and _TOXICITY.search(t)):
        return "toxicity"
    return None


# ---------------------------------------------------------------- the whole row


def structure(text: str | None, classification: str | None, *, implications: str | None = None,
              population: str | None = None, drug: str | None = None) -> Recommendation:
    """The structured recommendation of one CPIC row.

    >>> r = structure("Reduce starting dose by 50%.", "Moderate")
    >>> r.action, r.doses[0].kind, r.doses[0].amount, r.strength
    ('reduce_dose', 'starting', '50%', 'Moderate')
    """
    t = normalize(text)
    steps = dose_steps(t)
    action = main_action(t, classification, steps)
    alts, alts_hedged = alternatives(t) if action != "no_recommendation" else ((), False)
    condition = population_code(population) or (DRUG_INDICATIONS.get(drug.lower()) if drug else None)
    return Recommendation(
        action=action, hedged=action != "no_recommendation" and is_hedged(t, classification),
        doses=steps if action != "no_recommendation" else (), alternatives=alts,
        alternatives_hedged=alts_hedged, notes=notes(t) if action != "no_recommendation" else (),
        condition=condition, strength=classification if classification in STRENGTHS else None,
        concern=concern(t, implications, action), numbers=numbers(t),
        qualifier=qualifier(t) if action in ("avoid", "use_alternative") else None)
