"""Our wording keeps each CPIC recommendation's meaning: over every row of CPIC v1.54.

The checks read CPIC's own sentence with simple patterns of their own (independent of
the builder's rules) and fail when our generated sentence drops a dose type (loading /
first, maintenance, starting, daily), a percentage, range or other clinical number, a
"consider" on an Optional or hedged row, or turns "should guide use" / uncertainty into
usual dosing. ``test_all_cpic_rows_keep_their_meaning`` needs ``../shared``; the
bundled-only test below checks the same properties from the structured columns of
``resources/cpic/recommendations.tsv`` so a user's clone still tests something real.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from pgxannot.kb.build.cpic import build as build_cpic_tables
from pgxannot.kb.cpic import _default_path
from pgxannot.vocabulary import (
    CONDITIONS,
    DOSE_ACTIONS,
    DOSE_KIND_LABELS,
    ROW_ACTIONS,
    Recommendation,
    is_hedged,
)

CPIC_TSV = "cpic/recommendations/cpic_recommendations_v1.54.0.tsv"

# ---------------------------------------------------------------- independent readings of CPIC text

_DOSE_TYPES = (  # (what CPIC says, what our sentence must then say)
    (re.compile(r"loading dose|first dose", re.I), re.compile(r"loading|first", re.I)),
    (re.compile(r"maintenance", re.I), re.compile(r"maintenance", re.I)),
    (re.compile(r"starting (total )?(daily )?doses?|starting dose", re.I), re.compile(r"starting", re.I)),
    (re.compile(r"daily dose", re.I), re.compile(r"daily", re.I)),
)
_HEDGE = re.compile(r"\bconsider", re.I)
_UNCERTAIN = re.compile(r"should guide use|enzyme activity must be measured", re.I)
_NOT_A_NUMBER = re.compile(r"PMID:?\s*\d+(,\s*\d+)*|(Figure|Table)\s+\d+|\(\d\)|\d-fluorouracil|c\.\d+[ACGT]>[ACGT]"
                           r"|\*\d+:\d+|CYP\w+")
_RANGE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%?\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)(?=\s*(%|mg|times|weeks|days|hours|h\b))")
_NUM = re.compile(r"(?<![\w.–-])(\d+(?:\.\d+)?)(?![\d.]*\s*(?:-|–|to)\s*\d)(\s*%)?")
_WORDS = {"three months": "3"}


def _canon(text: str) -> str:
    t = text.replace("\\n", " ")
    t = re.sub(r"(\d+(?:\.\d+)?)\s*%?\s*(?:-|–| to )\s*(\d+(?:\.\d+)?)", r"\1–\2", t)
    return " ".join(t.split())


def cpic_numbers(text: str) -> set[str]:
    """Clinical numbers in CPIC's sentence as tokens: ranges ``a–b`` (+``%``), single values (+``%``)."""
    t = _NOT_A_NUMBER.sub(" ", text.replace("\\n", " "))
    out = {f"{m.group(1)}–{m.group(2)}" + ("%" if m.group(3) == "%" else "") for m in _RANGE.finditer(t)}
    t = _RANGE.sub(" ", t)
    out |= {m.group(1) + ("%" if m.group(2) else "") for m in _NUM.finditer(t)}
    out |= {v for w, v in _WORDS.items() if w in t.lower()}
    return out


def has_number(sentence: str, token: str) -> bool:
    s = _canon(sentence)
    body = re.escape(token.rstrip("%")) + (r"\s*%" if token.endswith("%") else r"(?![\d.])")
    return re.search(r"(?<![\d.])" + body, s) is not None


def meaning_problems(cpic: str, classification: str, ours: str, action: str, lookup: str) -> list[str]:
    """Every way ``ours`` loses the meaning of ``cpic`` (empty when it keeps it)."""
    problems = []
    if classification == "No Recommendation" or action == "no_recommendation":
        return problems
    for says, must in _DOSE_TYPES:
        if says.search(cpic) and not must.search(ours):
            problems.append(f"drops the dose type {says.pattern!r}")
    for token in sorted(cpic_numbers(cpic)):
        if not has_number(ours, token):
            problems.append(f"drops the number {token}")
    if (classification == "Optional" or _HEDGE.search(cpic)) and not _HEDGE.search(ours):
        problems.append("drops the 'consider'")
    if (_UNCERTAIN.search(cpic) or "Uncertain" in lookup) and (
            action == "standard_dosing" or re.search(r"usual dose", ours, re.I)):
        problems.append("turns uncertainty into usual dosing")
    return problems


# ---------------------------------------------------------------- the checks


# Cut-down fragments (< 8 words of CPIC each) paired with what the old builder wrote.
@pytest.mark.parametrize(("cpic", "classification", "ours", "problem"), [
    ("use typical initial or loading dose ... approximately 50% less than typical maintenance", "Strong",
     "Reduce the phenytoin starting dose by 50%.", "dose type"),
    ("Consider a lower starting dose ... 50% reduction of maintenance dose", "Moderate",
     "Reduce the sertraline starting dose by 50%.", "maintenance"),
    ("typically require a 50-100% higher maintenance dose", "Moderate",
     "Use hydralazine at an increased dose.", "50–100"),
    ("jaundice ... (at least 20% and ... 60%).", "Strong", "Prefer an alternative to atazanavir.", "20%"),
    ("Consider a 50% reduction of starting dose.", "Optional",
     "Reduce the amitriptyline starting dose by 50%.", "consider"),
    ("family history ... should guide use of anesthetics", "Strong", "Use desflurane at the usual dose.",
     "uncertainty"),
])
def test_the_check_catches_the_issue_examples(cpic, classification, ours, problem):
    """Positive controls: the sentences the old builder wrote fail the check."""
    action = "standard_dosing" if "usual dose" in ours else "reduce_dose"
    found = meaning_problems(cpic, classification, ours, action, "")
    assert any(problem in p for p in found), found


def test_number_tokens_ignore_pmids_alleles_and_drug_names():
    text = ("Avoid 5-fluorouracil (PMID: 30423391, 21768473); c.2846A>T/c.2846A>T; HLA-B*15:02; see Figure 1; "
            "(1) a 25-50% lower dose of 0.3 mg/kg/day within three months")
    assert cpic_numbers(text) == {"25–50%", "0.3", "3"}


@pytest.fixture(scope="module")
def built(shared_data: Path, tmp_path_factory) -> dict[str, dict[str, str]]:
    out = tmp_path_factory.mktemp("cpic_meaning")
    build_cpic_tables(shared_data / "cpic", out)
    with (out / "recommendations.tsv").open(encoding="utf-8", newline="") as fh:
        return {r["rec_id"]: r for r in csv.DictReader(fh, delimiter="\t")}


def test_all_cpic_rows_keep_their_meaning(shared_data: Path, built: dict[str, dict[str, str]]):
    with (shared_data / CPIC_TSV).open(encoding="utf-8", newline="") as fh:
        source = list(csv.DictReader(fh, delimiter="\t"))
    assert len(source) == 2129 and set(built) == {r["rec_id"] for r in source}
    failures = []
    for r in source:
        ours = built[r["rec_id"]]
        problems = meaning_problems(r["drugrecommendation"], r["classification"], ours["recommendation"],
                                    ours["action"], r["lookupkey_reconstructed"])
        if problems:
            failures.append(f"{r['rec_id']} {r['drug']} [{r['lookupkey_reconstructed']}]: {'; '.join(problems)}\n"
                            f"  CPIC: {r['drugrecommendation']}\n  ours: {ours['recommendation']}")
    assert not failures, f"{len(failures)} rows lose meaning:\n" + "\n".join(failures[:60])


def test_malignant_hyperthermia_uncertain_susceptibility_is_never_usual_dosing(built):
    """Regression (issue #13): these 21 rows were standard_dosing, shown green "at the usual dose"."""
    def keys(r):
        return {kv.split("=", 1)[1] for kv in r["lookup"].split(";")}
    rows = [r for r in built.values() if "Uncertain Susceptibility" in keys(r)
            and keys(r) <= {"Uncertain Susceptibility", "No Result"}]
    assert len(rows) == 21
    assert {r["action"] for r in rows} == {"clinical_judgement"}
    assert not any("usual dose" in r["recommendation"] for r in rows)
    mhs = [r for r in built.values() if "Malignant Hyperthermia Susceptibility" in keys(r)]
    assert mhs and {r["action"] for r in mhs} == {"avoid"}


# ---------------------------------------------------------------- bundled only (no ../shared needed)


def _bundled() -> list[dict[str, str]]:
    with (_default_path() / "recommendations.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_bundled_structured_columns_keep_their_meaning():
    rows = _bundled()
    assert len(rows) >= 2000
    failures = []
    for r in rows:
        rec = Recommendation.from_columns(r)
        ours = r["recommendation"]
        problems = []
        assert rec.action in ROW_ACTIONS and (rec.condition is None or rec.condition in CONDITIONS)
        if rec.action == "no_recommendation":
            continue
        for step in rec.doses:
            if step.kind != "any" and DOSE_KIND_LABELS[step.kind] not in ours:
                problems.append(f"drops the {step.kind} dose")
            if step.amount and step.amount not in ours:
                problems.append(f"drops the amount {step.amount}")
            if step.hedged and "consider" not in ours.lower():
                problems.append("drops a hedged dose's 'consider'")
        for n in rec.numbers:
            if not has_number(ours, n.split()[0].lstrip("≤<>≥~")):
                problems.append(f"drops the number {n}")
        if is_hedged(rec) and "consider" not in ours.lower():
            problems.append("drops the 'consider'")
        if rec.action in DOSE_ACTIONS and not rec.doses:
            problems.append("a dose action without a dose statement")
        if "Uncertain" in r["lookup"] and rec.action == "standard_dosing":
            problems.append("uncertain susceptibility as standard dosing")
        if rec.action == "clinical_judgement" and "usual dose" in ours:
            problems.append("clinical judgement worded as usual dosing")
        if problems:
            failures.append(f"{r['rec_id']} {r['drug']} [{r['lookup']}]: {'; '.join(problems)}: {ours}")
    assert not failures, f"{len(failures)} bundled rows lose meaning:\n" + "\n".join(failures[:60])
