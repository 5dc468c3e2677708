"""The CPIC guidance tables at run time: load, index, look up drug names.

Reads what :mod:`pgxannot.kb.build.cpic` writes (``recommendations.tsv``,
``pairs.tsv``, ``drugs.tsv``, ``gene_results.tsv``, ``version.json``) from the
bundled ``resources/cpic`` or from a downloaded knowledge-base folder of the
same format. Offline; never reads ``../shared``.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pgxannot.errors import KnowledgeBaseError
from pgxannot.paths import resources_dir

_FILES = ("recommendations.tsv", "pairs.tsv", "drugs.tsv", "gene_results.tsv", "version.json")

# Salt/form words dropped when matching a medication name ("metoprolol succinate").
_SALTS = frozenset({
    "hydrochloride", "hcl", "sodium", "potassium", "succinate", "tartrate", "bisulfate",
    "besylate", "besilate", "maleate", "citrate", "mesylate", "sulfate", "sulphate", "calcium",
    "magnesium", "hyclate", "phosphate", "acetate", "hydrobromide", "fumarate", "dihydrate",
    "monohydrate", "er", "xr", "sr", "cr", "la", "tablet", "tablets", "oral", "injection",
})


@dataclass(frozen=True)
class RecRow:
    """One CPIC recommendation row as bundled (facts + our own wording)."""

    rec_id: str
    drug: str
    genes: tuple[str, ...]
    lookup: tuple[tuple[str, str], ...]  # (gene, key) in the row's gene order
    population: str
    classification: str | None
    action: str
    dose_change_percent: int | None
    concern: str | None
    rec_group: str  # equal groups = the same CPIC recommendation (text and strength)
    recommendation: str
    cpic_text: str | None = None

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
    names: dict[str, str] = field(repr=False)  # normalized alias -> canonical name

    def resolve(self, medication: str) -> str | None:
        """Canonical CPIC drug name of a medication name, or None when unknown."""
        for key in _name_keys(medication):
            hit = self.names.get(key)
            if hit:
                return hit
        return None

    def keys_of(self, drug: str, gene: str) -> frozenset[str]:
        """Every lookup key the drug's CPIC rows use for ``gene``."""
        return frozenset(dict(r.lookup).get(gene) for r in self.rows.get(drug, ())) - {None}  # type: ignore[arg-type]


def normalize_name(name: str) -> str:
    """Lower case, single spaces, no spaces around ``/`` or ``-``."""
    s = " ".join(name.strip().lower().replace("_", " ").split())
    return re.sub(r"\s*([/-])\s*", r"\1", s)


def _name_keys(name: str) -> list[str]:
    base = normalize_name(name)
    keys = [base]
    words = [w for w in re.split(r"[ ,]+", base) if w]
    stripped = " ".join(w for w in words if w not in _SALTS and not re.fullmatch(r"[\d.]+(mg|g|mcg|ml)?", w))
    if stripped and stripped != base:
        keys.append(stripped)
    return keys


def _default_path() -> Path:
    try:
        return resources_dir() / "cpic"
    except FileNotFoundError:  # a source checkout before the workflow files exist
        return Path(__file__).resolve().parents[3] / "resources" / "cpic"


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _none(s: str | None) -> str | None:
    return s if s not in (None, "") else None


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
            lookup = tuple(tuple(kv.split("=", 1)) for kv in r["lookup"].split(";") if kv)
            rows.setdefault(r["drug"], []).append(RecRow(
                rec_id=r["rec_id"], drug=r["drug"], genes=tuple(g for g in r["genes"].split(",") if g),
                lookup=lookup,  # type: ignore[arg-type]
                population=r["population"], classification=_none(r["classification"]),
                action=r["action"],
                dose_change_percent=int(r["dose_change_percent"]) if r["dose_change_percent"] else None,
                concern=_none(r["concern"]), rec_group=r["rec_group"],
                recommendation=r["recommendation"], cpic_text=_none(r.get("cpic_text"))))
        drugs: dict[str, DrugInfo] = {}
        names: dict[str, str] = {}
        for d in _read_tsv(path / "drugs.tsv"):
            pmids = [p for p in d["guideline_pmids"].split(";") if p]
            guideline = ({"name": d["guideline_name"], "url": _none(d["guideline_url"]), "pmids": pmids}
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
    except (KeyError, ValueError, OSError) as exc:
        raise KnowledgeBaseError(f"CPIC guidance tables are corrupt ({exc})", path=path,
                                 hint="rebuild with python -m pgxannot.kb.build.cpic") from exc
    return GuidanceKB(
        path=path, version=version, drugs=drugs,
        rows={k: tuple(v) for k, v in rows.items()},
        pairs={k: tuple(v) for k, v in pairs.items()},
        gene_results={k: tuple(v) for k, v in gene_results.items()}, names=names)
