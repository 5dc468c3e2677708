"""The CPIC guidance tables at run time: load, index, look up drug names.

Reads what :mod:`pgxannot.kb.build.cpic` writes (``recommendations.tsv``,
``pairs.tsv``, ``drugs.tsv``, ``gene_results.tsv``, ``version.json``) from the
bundled ``resources/cpic`` or from a downloaded knowledge-base folder of the
same format. Offline; never reads ``../shared``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pgxannot.errors import KnowledgeBaseError
from pgxannot.files import read_tsv
from pgxannot.paths import default_resources
from pgxannot.vocabulary import Recommendation

_FILES = ("recommendations.tsv", "pairs.tsv", "drugs.tsv", "gene_results.tsv", "version.json")

@dataclass(frozen=True)
class RecRow:
    """One CPIC recommendation row as bundled: facts, the structured recommendation, our sentence."""

    rec_id: str
    drug: str
    lookup: tuple[tuple[str, str], ...]  # (gene, key) in the row's gene order
    population: str
    classification: str | None
    rec_group: str  # equal groups = the same CPIC recommendation (text and strength)
    recommendation: str  # our sentence (without the condition: see vocabulary.condition_clause)
    structure: Recommendation
    cpic_text: str | None = None  # CPIC's own sentence: downloaded knowledge bases only
    cpic_implications: str | None = None

    @property
    def genes(self) -> tuple[str, ...]:
        return tuple(g for g, _ in self.lookup)

    @property
    def action(self) -> str:
        return self.structure.action

    @property
    def dose_change_percent(self) -> int | None:
        return self.structure.dose_change_percent

    @property
    def lookup_dict(self) -> dict[str, str]:
        return dict(self.lookup)


@dataclass(frozen=True)
class DrugInfo:
    name: str
    drug_id: str
    kind: str  # "table" (CPIC rows), "warfarin" (algorithm), "none" (pair only)
    genes: tuple[str, ...]
    populations: tuple[str, ...]  # primary first
    synonyms: tuple[str, ...]
    guideline: dict[str, object] | None


@dataclass(frozen=True)
class Pair:
    drug: str
    gene: str
    cpic_level: str | None
    fda_label: str | None


@dataclass(frozen=True)
class GuidanceKB:
    """Indexed CPIC tables. Build with :func:`load_guidance_kb`."""

    path: Path
    version: dict[str, object]
    drugs: dict[str, DrugInfo]  # by canonical name
    rows: dict[str, tuple[RecRow, ...]]  # by canonical drug name
    pairs: dict[str, tuple[Pair, ...]]  # by canonical drug name
    gene_results: dict[str, tuple[tuple[str, str | None], ...]]  # gene -> (phenotype, activity score)
    names: dict[str, str] = field(repr=False)  # normalized alias -> canonical name (see normalize_name)
    # the guidance engine's drug entries per distinct input (drug, its genes' calls, current or not,
    # conditions), shared by the patients of a job; bounded by the engine (guidance.engine)
    entries: dict[tuple[object, ...], dict[str, object]] = field(default_factory=dict, repr=False, compare=False)

    def keys_of(self, drug: str, gene: str) -> frozenset[str]:
        """Every lookup key the drug's CPIC rows use for ``gene``."""
        return frozenset(k for r in self.rows.get(drug, ()) for g, k in r.lookup if g == gene)


def normalize_name(name: str) -> str:
    """Lower case, single spaces, no spaces around ``/`` or ``-``."""
    s = " ".join(name.strip().lower().replace("_", " ").split())
    return re.sub(r"\s*([/-])\s*", r"\1", s)


def _default_path() -> Path:
    return default_resources() / "cpic"


def _read_tsv(path: Path) -> list[dict[str, str]]:
    return read_tsv(path, error=KnowledgeBaseError, what="CPIC guidance table",
                    hint="rebuild with python -m pgxannot.kb.build.cpic or run pgxannot kb update cpic")


def _none(s: str | None) -> str | None:
    return s if s not in (None, "") else None


def _rec_row(r: dict[str, str]) -> RecRow:
    lookup = tuple(tuple(kv.split("=", 1)) for kv in r["lookup"].split(";") if kv)
    return RecRow(
        rec_id=r["rec_id"], drug=r["drug"], lookup=lookup,  # type: ignore[arg-type]
        population=r["population"], classification=_none(r["classification"]), rec_group=r["rec_group"],
        recommendation=r["recommendation"], structure=Recommendation.from_columns(r),
        cpic_text=_none(r.get("cpic_text")), cpic_implications=_none(r.get("cpic_implications")))


@cache
def _load_cached(path: Path) -> GuidanceKB:
    return _load(path)


def load_guidance_kb(path: Path | None = None) -> GuidanceKB:
    """Load the CPIC guidance tables (bundled by default; cached per folder)."""
    return _load_cached(Path(path).resolve() if path is not None else _default_path().resolve())


def _load(path: Path) -> GuidanceKB:
    missing = [f for f in _FILES if not (path / f).is_file()]
    if missing:
        raise KnowledgeBaseError(f"CPIC guidance tables incomplete (missing {', '.join(missing)})",
                                 path=path, hint="rebuild with python -m pgxannot.kb.build.cpic "
                                 "or run pgxannot kb update cpic")
    try:
        version = json.loads((path / "version.json").read_text(encoding="utf-8"))
        rows: dict[str, list[RecRow]] = {}
        for r in _read_tsv(path / "recommendations.tsv"):
            row = _rec_row(r)
            rows.setdefault(row.drug, []).append(row)
        drugs: dict[str, DrugInfo] = {}
        names: dict[str, str] = {}
        for d in _read_tsv(path / "drugs.tsv"):
            pmids = [p for p in d["guideline_pmids"].split(";") if p]
            guideline: dict[str, object] | None = ({"name": d["guideline_name"], "url": _none(d["guideline_url"]), "pmids": pmids}
                         if d["guideline_name"] else None)
            info = DrugInfo(name=d["drug"], drug_id=d["drug_id"], kind=d["kind"],
                            genes=tuple(g for g in d["genes"].split(",") if g),
                            populations=tuple(p for p in d["populations"].split(";") if p),
                            synonyms=tuple(s for s in d["synonyms"].split(";") if s), guideline=guideline)
            drugs[info.name] = info
            for alias in (info.name, *info.synonyms):
                names.setdefault(normalize_name(alias), info.name)
        pairs: dict[str, list[Pair]] = {}
        for p in _read_tsv(path / "pairs.tsv"):
            pairs.setdefault(p["drug"], []).append(
                Pair(p["drug"], p["gene"], _none(p["cpic_level"]), _none(p["fda_label"])))
        gene_results: dict[str, list[tuple[str, str | None]]] = {}
        for g in _read_tsv(path / "gene_results.tsv"):
            gene_results.setdefault(g["gene"], []).append((g["phenotype"], _none(g["activity_score"])))
    except (KeyError, ValueError, TypeError, OSError) as exc:
        raise KnowledgeBaseError(f"CPIC guidance tables are corrupt ({exc})", path=path,
                                 hint="rebuild with python -m pgxannot.kb.build.cpic") from exc
    return GuidanceKB(
        path=path, version=version, drugs=drugs,
        rows={k: tuple(v) for k, v in rows.items()},
        pairs={k: tuple(v) for k, v in pairs.items()},
        gene_results={k: tuple(v) for k, v in gene_results.items()}, names=names)
