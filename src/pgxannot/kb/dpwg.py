"""The DPWG guidance tables at run time: load and index by drug.

Reads what :mod:`pgxannot.kb.build.dpwg` writes (``recommendations.tsv``,
``guidelines.tsv``, ``version.json``) from the bundled ``resources/dpwg`` or from a
downloaded knowledge-base folder of the same format. Offline; never reads ``../shared``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pgxannot.errors import KnowledgeBaseError
from pgxannot.paths import resources_dir
from pgxannot.vocabulary import CONDITIONS, Recommendation, condition_label

_FILES = ("recommendations.tsv", "guidelines.tsv", "version.json")
MATCHABLE = frozenset({"active"})  # duplicates are merged into their first row; superseded/unmatchable are kept


@dataclass(frozen=True)
class DpwgKey:
    """One gene's part of a row's lookup key (see ``kb.build.dpwg.Key``)."""

    gene: str
    type: str  # phenotype | activity_score | diplotype | allele_status | genotype
    value: str
    label: str
    variant: str | None = None
    position: str | None = None
    ref: str | None = None
    alt: str | None = None


@dataclass(frozen=True)
class DpwgRow:
    """One branch of one DPWG recommendation: its key, the structured recommendation
    (the vocabulary's :class:`~pgxannot.vocabulary.Recommendation`) and our sentence."""

    rec_id: str
    source_row: str
    status: str  # active | duplicate:<row> | superseded | unmatchable
    guideline_id: str
    also_guidelines: tuple[str, ...]
    drug: str
    genes: tuple[str, ...]
    keys: tuple[DpwgKey, ...]
    dpwg_key: str
    branch: int
    primary: bool
    rec: Recommendation
    rec_group: str
    derived_by: str
    recommendation: str
    dpwg_text: str | None = None

    @property
    def action(self) -> str:
        return self.rec.action

    @property
    def condition(self) -> str | None:
        return self.rec.condition

    @property
    def condition_label(self) -> str | None:
        return condition_label(self.rec.condition)

    @property
    def condition_kind(self) -> str | None:
        return CONDITIONS[self.rec.condition].kind if self.rec.condition else None

    def structure(self) -> dict[str, object]:
        """The structured recommendation as the report's ``structure`` object."""
        return self.rec.to_dict()


@dataclass(frozen=True)
class DpwgGuideline:
    guideline_id: str
    drugs: tuple[str, ...]
    genes: tuple[str, ...]
    name: str
    url: str
    citation: str
    pmids: tuple[str, ...]


@dataclass(frozen=True)
class DpwgKB:
    """Indexed DPWG tables. Build with :func:`load_dpwg_kb`."""

    path: Path
    version: dict[str, object]
    rows: dict[str, tuple[DpwgRow, ...]]  # by drug (every status)
    guidelines: dict[str, DpwgGuideline]
    names: dict[str, str] = field(repr=False)  # lower-case name -> drug
    # advice shared by patients with equal inputs (pgxannot.guidance.dpwg); bounded there
    advice: dict[tuple[object, ...], object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def drugs(self) -> tuple[str, ...]:
        return tuple(sorted(self.rows, key=str.lower))

    def matchable(self, drug: str) -> tuple[DpwgRow, ...]:
        return tuple(r for r in self.rows.get(drug, ()) if r.status in MATCHABLE)

    def resolve(self, medication: str) -> str | None:
        """The DPWG drug name of a medication name (case and spacing insensitive), or None."""
        return self.names.get(" ".join(medication.lower().split()))

    @property
    def snapshot(self) -> str:
        """The release a report names: version and date."""
        v = self.version
        return f"{v.get('version', 'unknown')}, {v.get('date', 'date unknown')}"


def _default_path() -> Path:
    try:
        return resources_dir() / "dpwg"
    except FileNotFoundError:  # a source checkout before the workflow files exist
        return Path(__file__).resolve().parents[3] / "resources" / "dpwg"


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _none(s: str | None) -> str | None:
    return s if s not in (None, "") else None


def _json_list(cell: str | None) -> list[Any]:
    return list(json.loads(cell)) if cell else []


def _row(r: dict[str, str]) -> DpwgRow:
    keys = tuple(DpwgKey(**{k: v for k, v in d.items() if k in DpwgKey.__dataclass_fields__})
                 for d in _json_list(r["lookup"]))
    return DpwgRow(
        rec_id=r["rec_id"], source_row=r["source_row"], status=r["status"], guideline_id=r["guideline_id"],
        also_guidelines=tuple(g for g in r["also_guidelines"].split(";") if g), drug=r["drug"],
        genes=tuple(g for g in r["genes"].split(",") if g), keys=keys, dpwg_key=r["dpwg_key"],
        branch=int(r["branch"]), primary=r["primary"] == "yes", rec=Recommendation.from_columns(r),
        rec_group=r["rec_group"], derived_by=r["derived_by"], recommendation=r["recommendation"],
        dpwg_text=_none(r.get("dpwg_text")))


@cache
def _load_cached(path: Path) -> DpwgKB:
    return _load(path)


def load_dpwg_kb(path: Path | None = None) -> DpwgKB:
    """Load the DPWG tables (bundled by default; cached per folder)."""
    return _load_cached(Path(path).resolve() if path is not None else _default_path().resolve())


def _load(path: Path) -> DpwgKB:
    missing = [f for f in _FILES if not (path / f).is_file()]
    if missing:
        raise KnowledgeBaseError(f"DPWG guidance tables incomplete (missing {', '.join(missing)})", path=path,
                                 hint="rebuild with python -m pgxannot.kb.build.dpwg or run pgxannot kb update dpwg")
    try:
        version = json.loads((path / "version.json").read_text(encoding="utf-8"))
        rows: dict[str, list[DpwgRow]] = {}
        for r in _read_tsv(path / "recommendations.tsv"):
            row = _row(r)
            rows.setdefault(row.drug, []).append(row)
        guidelines = {}
        for g in _read_tsv(path / "guidelines.tsv"):
            guidelines[g["guideline_id"]] = DpwgGuideline(
                g["guideline_id"], tuple(d for d in g["drugs"].split(";") if d),
                tuple(x for x in g["genes"].split(",") if x), g["name"], g["url"], g["citation"],
                tuple(p for p in g["pmids"].split(";") if p))
    except (KeyError, ValueError, TypeError, OSError) as exc:
        raise KnowledgeBaseError(f"DPWG guidance tables are corrupt ({exc})", path=path,
                                 hint="rebuild with python -m pgxannot.kb.build.dpwg") from exc
    names = {" ".join(d.lower().split()): d for d in rows}
    return DpwgKB(path=path, version=version, rows={k: tuple(v) for k, v in rows.items()},
                  guidelines=guidelines, names=names)
