"""Build the bundled CPIC guidance tables from a CPIC release.

Run ``python -m pgxannot.kb.build.cpic [--source DIR] [--out DIR] [--with-text]``.
By default it reads ``../shared/data/cpic`` and writes ``resources/cpic``.

What is stored are *facts* and our own phrasing: per recommendation row the drug,
genes, lookup key per gene, CPIC classification, population, the structured
recommendation of :mod:`pgxannot.vocabulary` (action, hedge, doses, alternatives,
notes, condition, strength, concern, every number; derived by the named rules of
:mod:`pgxannot.kb.build.cpic_text`) and a sentence generated from that structure
(:func:`pgxannot.vocabulary.describe`). CPIC's own sentences are only stored when
``include_text=True`` (a downloaded knowledge base: ``cpic_text`` and
``cpic_implications``), never in the bundled resources.

Source layouts understood by :func:`build` (``source_dir``):

- ``cpic_db_*_extract/{pairs,drugs,gene_results}.csv`` (CPIC database extract);
- recommendations either as ``recommendations/cpic_recommendations_*.tsv`` (rows
  with ``lookupkey_reconstructed_json``) or as CPIC API JSON files, one per drug
  (``recommendations/cpic_api_json_*/*.json`` or ``*.json`` directly in
  ``source_dir``), each with ``recommendations[]`` carrying ``lookupkey``;
- guideline name, URL and PMIDs from the API JSON files (joined on drug id).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pgxannot.errors import KnowledgeBaseError
from pgxannot.kb.build.cli import builder_main
from pgxannot.kb.build.cpic_text import structure
from pgxannot.kb.pgx import gene_table
from pgxannot.vocabulary import ROW_ACTIONS, STRUCTURE_COLUMNS, describe

TABLE_FORMAT = 1
RECOMMENDATIONS = "recommendations.tsv"
PAIRS = "pairs.tsv"
DRUGS = "drugs.tsv"
GENE_RESULTS = "gene_results.tsv"
VERSION = "version.json"


# Hand-curated generic-name synonyms (lower case) -> CPIC drug name. Facts, not text.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "fluorouracil": ("5-fluorouracil", "5-fu", "5fu", "5 fluorouracil"),
    "mercaptopurine": ("6-mercaptopurine", "6-mp", "6mp"),
    "thioguanine": ("6-thioguanine", "6-tg", "tioguanine"),
    "sulfamethoxazole / trimethoprim": (
        "sulfamethoxazole/trimethoprim", "sulfamethoxazole-trimethoprim",
        "trimethoprim/sulfamethoxazole", "trimethoprim-sulfamethoxazole",
        "sulfamethoxazole and trimethoprim", "co-trimoxazole", "cotrimoxazole",
        "tmp-smx", "smx-tmp", "sulfamethoxazole trimethoprim",
    ),
    "aspirin": ("acetylsalicylic acid", "asa"),
    "vitamin c": ("ascorbic acid",),
    "vitamin k": ("phytonadione", "phytomenadione", "vitamin k1"),
    "succinylcholine": ("suxamethonium",),
    "methylene blue": ("methylthioninium chloride", "methylthioninium"),
    "toluidine blue": ("tolonium chloride",),
    "aminosalicylic acid": ("para-aminosalicylic acid", "4-aminosalicylic acid", "pas"),
    "glyburide": ("glibenclamide",),
    "sulfadimidine": ("sulfamethazine",),
    "sulfisoxazole": ("sulfafurazole",),
    "mycophenolic acid": ("mycophenolate", "mycophenolate mofetil"),
    "valproic acid": ("valproate", "sodium valproate"),
    "tacrolimus": ("fk506",),
    "rasburicase": (),
    "peginterferon alfa-2a": ("peginterferon alfa 2a", "pegylated interferon alfa-2a"),
    "peginterferon alfa-2b": ("peginterferon alfa 2b", "pegylated interferon alfa-2b"),
    "lansoprazole": (),
    "citalopram": (),
    "escitalopram": (),
    "fosphenytoin": (),
    "acenocoumarol": ("acenocoumarin",),
    "paroxetine": (),
}

# Primary population per drug: the first of these present, then the rest by name.
POPULATION_PRIORITY = (
    "general", "adults", "CVI ACS PCI", "PHT naive", "CBZ naive", "OXC naive",
    "child >40kg_adult", "<= 1g per day",
)

# Warfarin: CPIC's 2017 guideline is a dosing algorithm/flowchart, not table rows.
WARFARIN_GENES = ("CYP2C9", "VKORC1", "CYP4F2")


# ---------------------------------------------------------------- own wording


def _lookup_kind(gene: str) -> str:
    """What CPIC keys the gene's rows by: the gene table's own ``lookup`` field."""
    try:
        return gene_table(gene).lookup
    except KnowledgeBaseError:  # a gene without a PGx table (a newer CPIC release): phenotype
        return "phenotype"


def gene_state(gene: str, key: str, phenotype: str | None) -> str:
    """Readable form of one lookup key, e.g. ``CYP2D6 activity score 0.0, poor metabolizer``."""
    if key == "No Result":
        return f"{gene} not tested"
    kind = _lookup_kind(gene)
    if kind == "allele_status":
        return f"{gene}{key}"
    if kind == "activity_score":
        if key == "n/a":
            return f"{gene} activity score indeterminate"
        pheno = f", {phenotype.lower()}" if phenotype and phenotype != "n/a" else ""
        return f"{gene} activity score {key}{pheno}"
    if gene in ("MT-RNR1", "CFTR"):
        return f"{gene} {key}"
    return f"{gene} " + " ".join(w if w.isupper() else w.lower() for w in key.split())

# ---------------------------------------------------------------- reading sources


@dataclass(frozen=True)
class SourceRow:
    rec_id: str
    drug: str
    drug_id: str
    lookup: dict[str, str]
    phenotypes: dict[str, str]
    implications: str
    text: str
    classification: str | None
    population: str
    comments: str


def _find(source: Path, pattern: str) -> Path | None:
    hits = sorted(source.glob(pattern))
    return hits[-1] if hits else None


def _clean(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def _read_rows_tsv(path: Path) -> list[SourceRow]:
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            rows.append(SourceRow(
                rec_id=r["rec_id"], drug=_clean(r["drug"]), drug_id=r["drug_id"],
                lookup=json.loads(r["lookupkey_reconstructed_json"]),
                phenotypes=json.loads(r.get("phenotypes_json") or "{}"),
                implications=_clean(r.get("implications")), text=_clean(r.get("drugrecommendation")),
                classification=_clean(r.get("classification")) or None,
                population=_clean(r.get("population")) or "general",
                comments=_clean(r.get("comments"))))
    return rows


def _read_rows_api(files: list[Path]) -> list[SourceRow]:
    rows = []
    for f in files:
        d = json.loads(f.read_text(encoding="utf-8"))
        for i, r in enumerate(d.get("recommendations") or []):
            imps = r.get("implications") or {}
            rows.append(SourceRow(
                rec_id=str(r.get("id", f"{d['drugid']}#{i}")), drug=_clean(d["drugname"]),
                drug_id=d["drugid"], lookup=r.get("lookupkey") or {},
                phenotypes=r.get("phenotypes") or {},
                implications="; ".join(f"{g}: {v}" for g, v in imps.items()),
                text=_clean(r.get("drugrecommendation")),
                classification=_clean(r.get("classification")) or None,
                population=_clean(r.get("population")) or "general",
                comments=_clean(r.get("comments"))))
    return rows


def _api_files(source: Path) -> list[Path]:
    for pattern in ("recommendations/cpic_api_json*/*.json", "cpic_api_json*/*.json", "*.json"):
        files = sorted(p for p in source.glob(pattern) if p.name != VERSION)
        if files:
            return files
    return []


def _read_guidelines(files: list[Path]) -> dict[str, dict[str, object]]:
    """Guideline name/URL/PMIDs per drug id from CPIC API JSON files."""
    out: dict[str, dict[str, object]] = {}
    for f in files:
        d = json.loads(f.read_text(encoding="utf-8"))
        if "drugid" not in d:
            continue
        pmids = [str(c["pmid"]) for c in d.get("citations") or [] if c.get("pmid")]
        out[d["drugid"]] = {"name": d.get("guidelinename"), "url": d.get("url"), "pmids": pmids,
                            "genes": d.get("genes") or [], "drug": d.get("drugname")}
    return out


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _rec_group(text: str, classification: str | None) -> str:
    norm = re.sub(r"\W+", " ", text.lower()).strip()
    return hashlib.sha1(f"{norm}|{classification}".encode()).hexdigest()[:10]


def _population_order(pops: Iterable[str]) -> list[str]:
    ranked = {p: i for i, p in enumerate(POPULATION_PRIORITY)}
    return sorted(set(pops), key=lambda p: (ranked.get(p, len(ranked)), p))


def _write_tsv(path: Path, header: list[str], rows: Iterable[Mapping[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if r.get(h) is None else str(r.get(h)) for h in header])


def _version_from_name(path: Path | None, default: str) -> str:
    if path is None:
        return default
    m = re.search(r"v(\d+\.\d+(?:\.\d+)?)", path.as_posix())
    return f"v{m.group(1)}" if m else default


@dataclass(frozen=True)
class _Source:
    """One CPIC release as read: recommendation rows, extract tables, guideline links."""

    rows: list[SourceRow]
    rec_tsv: Path | None
    extract: Path
    api: list[Path]
    drugs_csv: list[dict[str, str]]
    gene_results: list[dict[str, str]]
    guidelines: dict[str, dict[str, object]]

    @property
    def drug_name(self) -> dict[str, str]:
        return {d["drug_id"]: _clean(d["drug_name"]) for d in self.drugs_csv}


def read_source(source_dir: Path) -> _Source:
    """Read a CPIC release folder (layouts in the module docstring); errors name what is missing."""
    source_dir = Path(source_dir)
    extract = _find(source_dir, "cpic_db_*extract") or source_dir
    rec_tsv = _find(source_dir, "recommendations/cpic_recommendations_v*.tsv") or _find(
        source_dir, "cpic_recommendations_v*.tsv")
    api = _api_files(source_dir)
    if rec_tsv is not None:
        rows = _read_rows_tsv(rec_tsv)
    elif api:
        rows = _read_rows_api(api)
    else:
        raise KnowledgeBaseError("no CPIC recommendations found", path=source_dir,
                                 hint="expected recommendations/cpic_recommendations_v*.tsv or CPIC API JSON files")
    for needed in ("pairs.csv", "drugs.csv", "gene_results.csv"):
        if not (extract / needed).is_file():
            raise KnowledgeBaseError(f"{needed} is missing from the CPIC source", path=extract,
                                     hint="use a complete CPIC database extract")
    return _Source(rows=rows, rec_tsv=rec_tsv, extract=extract, api=api,
                   drugs_csv=_read_csv(extract / "drugs.csv"), gene_results=_read_csv(extract / "gene_results.csv"),
                   guidelines=_read_guidelines(api))


REC_HEADER = ["rec_id", "drug", "lookup", "population", "classification",
              "action", "dose_change_percent", "concern", "rec_group", "recommendation",
              *[c for c in STRUCTURE_COLUMNS if c not in ("action", "concern")]]
TEXT_COLUMNS = ["cpic_text", "cpic_implications"]


def recommendation_row(r: SourceRow, as_pheno: Mapping[tuple[str, str], str], *,
                       include_text: bool) -> dict[str, object]:
    """One output row: facts, the structured recommendation and our sentence (+ CPIC's text if asked)."""
    try:
        rec = structure(r.text, r.classification, implications=r.implications, population=r.population,
                        drug=r.drug)
    except (KeyError, ValueError) as exc:
        raise KnowledgeBaseError(f"CPIC recommendation {r.rec_id} ({r.drug}) cannot be read: {exc}",
                                 hint="extend pgxannot.vocabulary or pgxannot.kb.build.cpic_text") from exc
    genes = list(r.lookup)
    states = [gene_state(g, r.lookup[g], r.phenotypes.get(g) or as_pheno.get((g, r.lookup[g]))) for g in genes]
    row: dict[str, object] = {
        "rec_id": r.rec_id, "drug": r.drug,
        "lookup": ";".join(f"{g}={r.lookup[g]}" for g in genes),
        "population": r.population, "classification": r.classification or "",
        "dose_change_percent": rec.dose_change_percent,
        "rec_group": _rec_group(r.text, r.classification),
        "recommendation": describe(r.drug, rec, states),
        **rec.to_columns(),
    }
    if include_text:
        row["cpic_text"] = r.text
        row["cpic_implications"] = r.implications
    return row


def _recommendations(src: _Source, include_text: bool) -> list[dict[str, object]]:
    as_pheno = {(g["gene"], g["activity_score"]): g["phenotype_result"]
                for g in src.gene_results if g.get("activity_score") not in (None, "", "n/a")}
    ordered = sorted(src.rows, key=lambda x: (x.drug.lower(), x.population, json.dumps(x.lookup, sort_keys=True),
                                              x.rec_id))
    return [recommendation_row(r, as_pheno, include_text=include_text) for r in ordered]


def _pairs(src: _Source) -> list[dict[str, object]]:
    names = src.drug_name
    pairs: list[dict[str, object]] = []
    for p in _read_csv(src.extract / "pairs.csv"):
        name = names.get(p["drug_id"])
        if not name:
            continue
        pairs.append({"gene": p["gene"], "drug": name, "drug_id": p["drug_id"],
                      "cpic_level": p["cpic_level"], "fda_label": p.get("pgx_testing") or "",
                      "pmids": ";".join(x.strip() for x in (p.get("citations") or "").split(",") if x.strip())})
    pairs.sort(key=lambda x: (str(x["drug"]).lower(), str(x["gene"])))
    return pairs


def _row_genes_and_populations(rows: Iterable[SourceRow]) -> dict[str, tuple[list[str], set[str]]]:
    out: dict[str, tuple[list[str], set[str]]] = {}
    for r in rows:
        genes, pops = out.setdefault(r.drug_id, ([], set()))
        genes.extend(g for g in r.lookup if g not in genes)
        pops.add(r.population)
    return out


def _drugs(src: _Source, pairs: list[dict[str, object]]) -> list[dict[str, object]]:
    """Every drug named in pairs or recommendations, with guideline, populations and synonyms."""
    rec_drugs = _row_genes_and_populations(src.rows)
    pair_pmids: dict[str, list[str]] = {}
    for p in pairs:
        pair_pmids.setdefault(str(p["drug_id"]), []).extend(x for x in str(p["pmids"]).split(";") if x)
    names = src.drug_name
    out = []
    for drug_id in sorted(set(names) & (set(pair_pmids) | set(rec_drugs)), key=lambda i: names[i].lower()):
        name, g = names[drug_id], src.guidelines.get(drug_id) or {}
        kind = "table" if drug_id in rec_drugs else "none"
        genes, pops = rec_drugs.get(drug_id, ([], set()))
        if name == "warfarin":
            kind, genes = "warfarin", list(WARFARIN_GENES)
        pmids = list(dict.fromkeys(g.get("pmids") or pair_pmids.get(drug_id, [])))  # type: ignore[call-overload]
        out.append({
            "drug": name, "drug_id": drug_id, "kind": kind, "genes": ",".join(genes),
            "populations": ";".join(_population_order(pops)),
            "synonyms": ";".join(SYNONYMS.get(name.lower(), ())),
            "guideline_name": g.get("name") or (
                f"CPIC guideline for {' and '.join(genes)} and {name}" if kind != "none" and pmids else ""),
            "guideline_url": g.get("url") or ("https://cpicpgx.org/guidelines/" if kind != "none" else ""),
            "guideline_pmids": ";".join(pmids),
        })
    return out


def _gene_results(src: _Source) -> list[dict[str, str]]:
    return sorted(({"gene": g["gene"], "phenotype": g["phenotype_result"],
                    "activity_score": g.get("activity_score") or "",
                    "ehr_priority": " ".join((g.get("ehr_priority") or "").replace("/ ", "/").split())}
                   for g in src.gene_results), key=lambda x: (x["gene"], x["phenotype"], x["activity_score"]))


def _version_info(src: _Source, version: str, rec_out: list[dict[str, object]], n_pairs: int, n_drugs: int,
                  include_text: bool) -> dict[str, object]:
    info: dict[str, object] = {
        "source": "CPIC", "version": version, "table_format": TABLE_FORMAT,
        "licence": "CC0 1.0 (CPIC asks for attribution)",
        "recommendation_rows": len(rec_out),
        "recommendation_drugs": len({r["drug"] for r in rec_out}), "pairs": n_pairs,
        "drugs": n_drugs, "includes_cpic_text": include_text,
        "inputs": sorted(p.name for p in [src.rec_tsv, src.extract] if p is not None)
        + ([f"{len(src.api)} CPIC API JSON files"] if src.api else []),
        "actions": {a: sum(1 for r in rec_out if r["action"] == a) for a in ROW_ACTIONS},
        "built_by": "pgxannot.kb.build.cpic",
    }
    if include_text:
        info["built_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return info


def build(source_dir: Path, out_dir: Path, *, version: str | None = None,
          include_text: bool = False) -> dict[str, object]:
    """Derive the guidance tables from a CPIC release in ``source_dir`` into ``out_dir``.

    Returns the version information also written to ``out_dir/version.json``.
    ``include_text`` keeps CPIC's own recommendation and implication sentences per row
    (columns ``cpic_text``, ``cpic_implications``) for a downloaded knowledge base; the
    bundled one never has them.
    """
    src = read_source(Path(source_dir))
    out_dir = Path(out_dir)
    version = version or _version_from_name(src.rec_tsv or src.extract, "unknown")
    rec_out = _recommendations(src, include_text)
    pairs = _pairs(src)
    drugs = _drugs(src, pairs)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_tsv(out_dir / RECOMMENDATIONS, REC_HEADER + (TEXT_COLUMNS if include_text else []), rec_out)
    _write_tsv(out_dir / PAIRS, ["drug", "gene", "cpic_level", "fda_label", "drug_id", "pmids"], pairs)
    _write_tsv(out_dir / DRUGS, ["drug", "drug_id", "kind", "genes", "populations", "synonyms",
                                 "guideline_name", "guideline_url", "guideline_pmids"], drugs)
    _write_tsv(out_dir / GENE_RESULTS, ["gene", "phenotype", "activity_score", "ehr_priority"], _gene_results(src))
    info = _version_info(src, version, rec_out, len(pairs), len(drugs), include_text)
    (out_dir / VERSION).write_text(json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    return builder_main("cpic", build, argv, label="CPIC", description=(__doc__ or "").split("\n")[0])


if __name__ == "__main__":
    raise SystemExit(main())
