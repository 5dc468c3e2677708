"""The patient's medications: names resolved to guideline drugs, unknown names flagged.

Pure functions over a name index (normalized alias -> canonical drug name, as
:class:`pgxannot.kb.cpic.GuidanceKB` holds it). Matching is case-, whitespace-,
punctuation- and salt-insensitive ("Sertraline hydrochloride", "PHENYTOIN",
"clopidogrel bisulfate"); a name that matches nothing gets "did you mean"
suggestions (the closest known names, :mod:`difflib`), and a suggestion is never
used in place of what was written.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pgxannot.errors import SampleSheetError
from pgxannot.kb.cpic import normalize_name

# Salt, ester and form words dropped when matching a medication name ("metoprolol succinate").
SALT_WORDS = frozenset({
    "hydrochloride", "dihydrochloride", "monohydrochloride", "hcl", "sodium", "disodium", "potassium",
    "succinate", "tartrate", "bitartrate", "bisulfate", "hydrogen sulfate", "besylate", "besilate", "maleate",
    "citrate", "mesylate", "mesilate", "sulfate", "sulphate", "calcium", "magnesium", "hyclate", "phosphate",
    "acetate", "hydrobromide", "bromide", "fumarate", "oxalate", "tosylate", "lactate", "gluconate",
    "dihydrate", "monohydrate", "trihydrate", "hemihydrate", "anhydrous", "salt", "base",
    "er", "xr", "sr", "cr", "la", "xl", "ir", "dr", "tablet", "tablets", "tab", "tabs", "capsule", "capsules",
    "oral", "injection", "solution", "suspension", "extended-release", "delayed-release", "mg", "mcg", "g", "ml",
})
_DOSE = re.compile(r"^[\d.,]+(mg|g|mcg|µg|ml|%)?$")
MAX_SUGGESTIONS = 3
SUGGESTION_CUTOFF = 0.75


@dataclass(frozen=True)
class Medication:
    """One listed medication: as written, the drug it names (or None) and suggestions when unknown."""

    given: str
    drug: str | None
    suggestions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The JSON ``medications.not_recognized`` entry."""
        return {"name": self.given, "suggestions": list(self.suggestions)}


def split_medications(medications: Iterable[str]) -> list[str]:
    """``"a; b"`` entries split on ``;``, stripped, empty ones dropped, order kept."""
    out: list[str] = []
    for m in medications:
        out.extend(p.strip() for p in str(m).split(";") if p.strip())
    return out


def name_keys(name: str) -> list[str]:
    """The keys a written name is looked up by: as written (normalized), then without salts and doses.

    >>> name_keys("Sertraline Hydrochloride 50 mg")
    ['sertraline hydrochloride 50 mg', 'sertraline']
    """
    base = normalize_name(re.sub(r"[()\[\],]", " ", name))
    keys = [base]
    words = [w for w in base.split(" ") if w]
    stripped = " ".join(w for w in words if w not in SALT_WORDS and not _DOSE.match(w))
    if stripped and stripped != base:
        keys.append(stripped)
    return keys


def suggestions(name: str, names: Mapping[str, str], *, n: int = MAX_SUGGESTIONS) -> tuple[str, ...]:
    """The canonical drug names closest to ``name`` (spelling distance), best first; none when nothing is close."""
    key = name_keys(name)[-1]
    close = difflib.get_close_matches(key, list(names), n=n * 3, cutoff=SUGGESTION_CUTOFF)
    return tuple(dict.fromkeys(names[c] for c in close))[:n]


def resolve(name: str, names: Mapping[str, str]) -> Medication:
    """The drug a written name means, or its closest suggestions (never a silent substitute)."""
    for key in name_keys(name):
        hit = names.get(key)
        if hit:
            return Medication(name, hit)
    return Medication(name, None, suggestions(name, names))


def resolve_all(medications: Sequence[str], names: Mapping[str, str]) -> tuple[list[str], list[Medication]]:
    """Recognized drug names (input order, once each) and the unknown medications (once each)."""
    recognized: list[str] = []
    unknown: list[Medication] = []
    for med in split_medications(medications):
        m = resolve(med, names)
        if m.drug is not None:
            if m.drug not in recognized:
                recognized.append(m.drug)
        elif all(u.given != med for u in unknown):
            unknown.append(m)
    return recognized, unknown


@dataclass(frozen=True)
class SheetMedicationProblem:
    """An unknown medication in one sample-sheet line (for ``pgxannot check``)."""

    line: int | None
    sample: str
    medication: Medication

    def message(self, sheet: str = "sample sheet") -> str:
        where = f"{sheet} line {self.line}" if self.line else sheet
        hint = (f"did you mean {' or '.join(repr(s) for s in self.medication.suggestions)}?"
                if self.medication.suggestions else "no known drug name is close")
        return (f"{where}: sample {self.sample}: medication {self.medication.given!r} is not a known drug "
                f"name; {hint} (a suggestion is never used in its place: correct the sheet)")


def check_sheet_medications(rows: Iterable[tuple[int | None, str, Sequence[str]]],
                            names: Mapping[str, str]) -> list[SheetMedicationProblem]:
    """Every unknown medication of every sheet row ``(line, sample, medications)``."""
    problems: list[SheetMedicationProblem] = []
    for line, sample, meds in rows:
        _, unknown = resolve_all(meds, names)
        problems.extend(SheetMedicationProblem(line, sample, m) for m in unknown)
    return problems


def sheet_medication_warnings(rows: Iterable[object], sheet: object, names: Mapping[str, str], *,
                              strict: bool = False) -> list[str]:
    """``pgxannot check`` / run start: one warning per unknown medication, naming the sheet line.

    ``rows`` are :class:`pgxannot.config.SampleRow` (``line``, ``sample``, ``medications``).
    With ``strict`` (config ``medications_strict: true``) an unknown name is an error.
    """
    problems = check_sheet_medications(
        ((getattr(r, "line", None), str(getattr(r, "sample", "")), tuple(getattr(r, "medications", ())))
         for r in rows), names)
    messages = [p.message(str(sheet)) for p in problems]
    if strict and messages:
        raise SampleSheetError(messages[0] + (f" (+{len(messages) - 1} more)" if len(messages) > 1 else ""),
                               hint="medications_strict is true: correct the names or set it to false")
    return [f"warning: {m}" for m in messages]
