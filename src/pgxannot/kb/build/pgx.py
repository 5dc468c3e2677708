"""Build the bundled PGx tables in ``resources/pgx/`` from the reference data.

Run ``python -m pgxannot.kb.build.pgx [--shared DIR] [--out DIR]``. It reads

* PharmCAT allele definitions (``pharmcat/definitions/alleles/*_translation.json``,
  ``exemptions.json``) and phenotype tables (``pharmcat/phenotypes/*.json``,
  ``phenotypes_summary.tsv``), definitions version 2025-11-05, MPL-2.0;
* the GRCh37 map ``resources/pgx/grch37_positions.tsv`` (built first by
  :mod:`pgxannot.kb.build.grch37`) and PyPGx's ``diplotype-table.csv`` (MIT; to cross-check
  the G6PD rules);
* the CPIC database extract (``alleles.csv``, ``gene_results.csv``, CC0) for allele
  functions/activity values of genes whose PharmCAT phenotype JSON is absent
  (CYP2D6, G6PD, RYR1) and for the CYP2D6 activity-score bands,

and writes one compact JSON per gene under ``resources/pgx/genes/`` plus
``resources/pgx/index.json``. Output is deterministic (sorted keys, stable order).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from pgxannot.errors import KnowledgeBaseError
from pgxannot.files import read_json
from pgxannot.kb.build import grch37
from pgxannot.kb.pgx import exemption_ignores
from pgxannot.paths import shared_data_dir

VCF_GENES = (
    "ABCG2", "CACNA1S", "CFTR", "CYP2B6", "CYP2C19", "CYP2C9", "CYP3A4", "CYP3A5", "CYP4F2",
    "DPYD", "G6PD", "IFNL3", "NAT2", "NUDT15", "RYR1", "SLCO1B1", "TPMT", "UGT1A1", "VKORC1",
)
OUTSIDE_GENES = ("CYP2D6", "HLA-A", "HLA-B", "MT-RNR1")
# PharmCAT sets undocumented alternates to reference for these (toxicity genes).
UNDOCUMENTED_AS_REFERENCE = ("CACNA1S", "DPYD", "G6PD", "NUDT15", "RYR1", "TPMT")
# Genes whose phenotype follows the lowest-function alleles (CPIC: DPYD; RYR1 likewise):
# unphased calls list every variant allele found and take the two lowest-function ones.
LOWEST_FUNCTION_GENES = ("DPYD", "RYR1")
HLA_STATUS_ALLELES = {"HLA-A": ("*31:01",), "HLA-B": ("*15:02", "*57:01", "*58:01")}
# Gene behaviour written into every gene table (read by pgxannot.kb.pgx.GeneTable):
#   ploidy        diploid | x_linked (hemizygous in males) | mitochondrial (haploid): from the chromosome
#   outside_call  always (never called from a VCF) | when_uncovered (MT-RNR1: chrM is often absent) | never
#   matching      diplotype | lowest_function
#   allele_syntax how outside-call files name alleles: definition | hla | mitochondrial | star_copies
#   lookup        phenotype | activity_score | allele_status (what CPIC recommendations are keyed by)
ALWAYS_OUTSIDE = ("CYP2D6", "HLA-A", "HLA-B")
ACTIVITY_SCORE_LOOKUP = ("CYP2C9", "CYP2D6", "DPYD")
MT_NAME = re.compile(r"^m\.(\d+)([ACGT])>([ACGT])$")


def _read_json(path: Path) -> Any:
    return read_json(path, error=KnowledgeBaseError, what="source file", hint="check the shared data folder")


def _cpic_alleles(shared: Path) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    """gene -> allele -> (clinical function, activity value) from the CPIC extract."""
    out: dict[str, dict[str, tuple[str | None, str | None]]] = defaultdict(dict)
    path = shared / "cpic" / "cpic_db_v1.54.0_extract" / "alleles.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            func = row["clinical_function"] or None
            act = row["activity_value"] or None
            out[row["gene"]][row["allele_name"]] = (func, act)
    return out


def _cpic_results(shared: Path) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    path = shared / "cpic" / "cpic_db_v1.54.0_extract" / "gene_results.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[row["gene"]].append((row["phenotype_result"], row["activity_score"]))
    return out


def _summary(shared: Path) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    path = shared / "pharmcat" / "phenotypes" / "phenotypes_summary.tsv"
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            out[row["Gene"]] = {
                "alleles": [a for a in (row["Named Alleles"] or "").split(";") if a],
                "phenotypes": [a for a in (row["CPIC Phenotypes"] or "").split(";") if a],
                "scores": [a for a in (row["CPIC Activity Scores"] or "").split(";") if a],
            }
    return out


def _pair_key(a: str, b: str) -> str:
    return "|".join(sorted((a, b)))


def _phenotypes_from_pharmcat(pheno: dict[str, Any]) -> dict[str, Any]:
    """Allele function table and function-pair -> (phenotype, lookup key, activity score)."""
    alleles = {
        a["name"]: {"function": a["functionValue"], "activity": a["activityValue"], "key": a["lookupKey"]}
        for a in pheno["namedAlleles"]
    }
    pairs: dict[str, list[str | None]] = {}
    singles: dict[str, list[str | None]] = {}
    for dip in pheno["diplotypes"]:
        keys = [alleles[n]["key"] for n, c in dip["diplotypekey"].items() for _ in range(c)]
        value = [dip["generesult"], dip["lookupkey"], dip["activityScore"]]
        target = singles if len(keys) == 1 else pairs
        k = keys[0] if len(keys) == 1 else _pair_key(keys[0], keys[1])
        if k in target and target[k] != value:
            raise KnowledgeBaseError(f"{pheno['gene']}: function pair {k} maps to two phenotypes")
        target[k] = value
    return {"alleles": alleles, "pairs": pairs, "single": singles}


def _cpic_function_phenotypes(gene: str, names: list[str], cpic: dict[str, tuple[str | None, str | None]],
                              ) -> dict[str, Any]:
    """Allele table built from the CPIC extract (genes without a PharmCAT phenotype JSON)."""
    alleles: dict[str, dict[str, str | None]] = {}
    for name in names:
        func, act = cpic.get(name, (None, None))
        alleles[name] = {"function": func, "activity": act, "key": act if gene == "CYP2D6" else func}
    for name, (func, act) in sorted(cpic.items()):
        alleles.setdefault(name, {"function": func, "activity": act, "key": act if gene == "CYP2D6" else func})
    return alleles


def _g6pd_rules(shared: Path, alleles: dict[str, dict[str, str | None]]) -> tuple[dict, dict]:
    """G6PD function-pair rules (CPIC 2022 logic), cross-checked against PyPGx's diplotype table."""
    def cls(f: str | None) -> str:
        if f is None or f.startswith("Uncertain"):
            return "U"
        return {"IV/Normal": "N", "I/Deficient with CNSHA": "C"}.get(f, "D" if "Deficient" in f else "U")

    def female(a: str, b: str) -> str:
        s = {cls(a), cls(b)}
        if "U" in s:
            return "Indeterminate"
        if s == {"N"}:
            return "Normal"
        if "N" in s:
            return "Variable"
        if s == {"C"}:
            return "Deficient with CNSHA"
        return "Deficient"

    def male(a: str) -> str:
        return {"N": "Normal", "D": "Deficient", "C": "Deficient with CNSHA", "U": "Indeterminate"}[cls(a)]

    funcs = sorted({v["function"] for v in alleles.values() if v["function"]})
    pairs = {_pair_key(a, b): [female(a, b), female(a, b), None] for a in funcs for b in funcs}
    singles = {a: [male(a), male(a), None] for a in funcs}
    # cross-check: PyPGx's female diplotypes must agree with these rules
    disagree: Counter[tuple[str, str, str]] = Counter()
    with open(shared / "pypgx" / "diplotype-table.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["Gene"] != "G6PD" or "MALE" in row["Diplotype"]:
                continue
            a, _, b = row["Diplotype"].partition("/")
            fa, fb = alleles.get(a, {}).get("function"), alleles.get(b, {}).get("function")
            if fa and fb and pairs[_pair_key(fa, fb)][0] != row["Phenotype"].removeprefix("G6PD "):
                disagree[(fa, fb, row["Phenotype"].removeprefix("G6PD "))] += 1
    if sum(disagree.values()) > 0:
        print(f"note: G6PD rules disagree with PyPGx for {sum(disagree.values())} diplotypes: "
              f"{disagree.most_common(3)}", file=sys.stderr)
    return pairs, singles


def _mh_rules(alleles: dict[str, dict[str, str | None]]) -> dict:
    funcs = sorted({v["function"] or "Uncertain function" for v in alleles.values()})
    def ph(a: str, b: str) -> str:
        return ("Malignant Hyperthermia Susceptibility" if "Malignant Hyperthermia associated" in (a, b)
                else "Uncertain Susceptibility")
    return {_pair_key(a, b): [ph(a, b), ph(a, b), None] for a in funcs for b in funcs}


def _cyp2d6_bands(results: list[tuple[str, str]]) -> list[list[Any]]:
    """[[low, high, phenotype], ...] from the CPIC gene results (numeric scores only)."""
    band: dict[str, list[float]] = defaultdict(list)
    for pheno, score in results:
        try:
            value = float(score)
        except ValueError:
            continue
        band[pheno].append(value)
    out = [[min(v), max(v), k] for k, v in band.items()]
    out.sort()
    # the top band is open-ended
    out[-1][1] = None
    return out


def _ignored_notes(d: dict[str, Any], ex: dict[str, Any], dropped: list[int]) -> list[dict[str, Any]]:
    """What the exemptions ignore and whether the definitions still carry it."""
    notes = []
    for ip in ex.get("ignoredPositions", []):
        hits = [i for i in dropped if exemption_ignores(d["variants"][i], [ip]) is not None]
        notes.append({"hgvs": ip.get("chromosomeHgvsName"), "rsid": ip.get("rsid"), "pos": ip.get("position"),
                      "in_definitions": bool(hits)})
    return notes


def _gene_definitions(gene: str, defs_dir: Path, exemptions: dict[str, Any],
                      g37: dict[tuple[str, int], grch37.Entry]) -> dict[str, Any]:
    d = _read_json(defs_dir / f"{gene}_translation.json")
    ex = exemptions.get(gene, {})
    ignored = ex.get("ignoredPositions", [])
    ignored_alleles = set(ex.get("ignoredAlleles", []))
    dropped = [i for i, v in enumerate(d["variants"]) if exemption_ignores(v, ignored) is not None]
    keep = [i for i in range(len(d["variants"])) if i not in dropped]
    positions = []
    for i in keep:
        v = d["variants"][i]
        positions.append({
            "pos": v["position"], "ref": v["ref"], "alts": v["alts"], "rsid": v["rsid"],
            **grch37.position_fields(g37.get((v["chromosome"], v["position"])), v["ref"]),
        })
    alleles = []
    reference = None
    for a in d["namedAlleles"]:
        if a["name"] in ignored_alleles:
            continue
        defs = {}
        for new_i, old_i in enumerate(keep):
            x = a["alleles"][old_i]
            if x is not None:
                defs[str(new_i)] = x
        if a["reference"]:
            reference = a["name"]
        alleles.append({"name": a["name"], "score": len(defs), "def": defs})
    if reference is None:
        raise KnowledgeBaseError(f"{gene}: no reference allele in definitions")
    required = sorted(ex.get("requiredPositions", []))
    priorities = [{"list": p["list"], "pick": p["pick"]} for p in ex.get("unphasedDiplotypePriorities", [])]
    return {
        "chrom": d["chromosome"], "definitions_version": d["version"], "genome_build": d["genomeBuild"],
        "reference_allele": reference, "positions": positions, "alleles": alleles,
        "ignored_variants": _ignored_notes(d, ex, dropped),
        "ignored_alleles": [{"name": n, "in_definitions": any(a["name"] == n for a in d["namedAlleles"])}
                            for n in sorted(ignored_alleles)],
        "required_positions": required, "unphased_priorities": priorities,
        "undocumented_as_reference": gene in UNDOCUMENTED_AS_REFERENCE,
        "suballeles": dict(sorted((d.get("suballelesMap") or {}).items())),
    }


def _mt_rnr1_definitions(names: list[str]) -> dict[str, Any]:
    """MT-RNR1 single-base positions parsed from the allele names (rCRS = GRCh38 chrM)."""
    positions: list[dict[str, Any]] = []
    alleles: list[dict[str, Any]] = [{"name": "Reference", "score": 0, "def": {}}]
    skipped: list[str] = []
    for name in names:
        m = MT_NAME.match(name)
        if not m:
            if name != "Reference":
                skipped.append(name)
            continue
        pos, ref, alt = int(m.group(1)), m.group(2), m.group(3)
        idx = next((i for i, p in enumerate(positions) if p["pos"] == pos), None)
        if idx is None:
            positions.append({"pos": pos, "ref": ref, "alts": [alt], "rsid": None, "pos37": pos, "ref37": ref,
                              "ref37_verified": True})  # GRCh37 MT is the rCRS, as GRCh38 chrM
            idx = len(positions) - 1
        elif alt not in positions[idx]["alts"]:
            positions[idx]["alts"].append(alt)
        alleles.append({"name": name, "score": 1, "def": {str(idx): alt}})
    # order positions by coordinate and re-index
    order = sorted(range(len(positions)), key=lambda i: positions[i]["pos"])
    remap = {str(old): str(new) for new, old in enumerate(order)}
    positions = [positions[i] for i in order]
    for a in alleles:
        a["def"] = {remap[k]: v for k, v in a["def"].items()}
    alleles[0]["score"] = len(positions)
    alleles[0]["def"] = {str(i): p["ref"] for i, p in enumerate(positions)}
    return {
        "chrom": "chrM", "reference_allele": "Reference", "positions": positions, "alleles": alleles,
        "ignored_variants": [], "ignored_alleles": [], "required_positions": [],
        "unphased_priorities": [], "undocumented_as_reference": False, "suballeles": {},
        "not_vcf_callable_alleles": skipped,
    }


def _behaviour(gene: str, chrom: str | None) -> dict[str, Any]:
    """How the caller, the outside-call reader and the guidance treat ``gene`` (see the constants)."""
    ploidy = {"chrX": "x_linked", "chrM": "mitochondrial"}.get(chrom or "", "diploid")
    outside = "always" if gene in ALWAYS_OUTSIDE else "when_uncovered" if ploidy == "mitochondrial" else "never"
    syntax = ("hla" if gene in HLA_STATUS_ALLELES else "mitochondrial" if ploidy == "mitochondrial"
              else "star_copies" if gene == "CYP2D6" else "definition")
    lookup = ("allele_status" if gene in HLA_STATUS_ALLELES
              else "activity_score" if gene in ACTIVITY_SCORE_LOOKUP else "phenotype")
    return {"ploidy": ploidy, "outside_call": outside, "vcf_callable": outside != "always",
            "matching": "lowest_function" if gene in LOWEST_FUNCTION_GENES else "diplotype",
            "allele_syntax": syntax, "lookup": lookup}


def build(shared: Path, out: Path, *, version: str | None = None,
          include_text: bool = False) -> dict[str, object]:
    """Derive every table from the reference data folder ``shared``; returns the definitions
    version and the files written. ``version`` and ``include_text`` are accepted for the
    common builder signature: the definitions carry their own version, the tables no text."""
    defs_dir = shared / "pharmcat" / "definitions" / "alleles"
    pheno_dir = shared / "pharmcat" / "phenotypes"
    exemptions = _read_json(defs_dir / "exemptions.json")
    g37 = grch37.bundled_map()  # resources/pgx/grch37_positions.tsv (python -m pgxannot.kb.build.grch37)
    cpic = _cpic_alleles(shared)
    results = _cpic_results(shared)
    summary = _summary(shared)
    genes: dict[str, dict[str, Any]] = {}

    for gene in VCF_GENES + OUTSIDE_GENES:
        rec: dict[str, Any] = {"gene": gene}
        pjson = pheno_dir / f"{gene.replace('-', '_')}.json"
        if gene in VCF_GENES:
            rec.update(_gene_definitions(gene, defs_dir, exemptions, g37))
        elif gene == "MT-RNR1":
            rec.update(_mt_rnr1_definitions(summary[gene]["alleles"]))
        rec.update(_behaviour(gene, rec.get("chrom")))
        names = summary.get(gene, {}).get("alleles", [])
        if pjson.is_file():
            ph = _phenotypes_from_pharmcat(_read_json(pjson))
            rec["phenotype_alleles"] = ph["alleles"]
            rec["pairs"] = ph["pairs"]
            rec["single"] = ph["single"]
        elif gene in ("CYP2D6", "G6PD", "RYR1"):
            rec["phenotype_alleles"] = _cpic_function_phenotypes(gene, names, cpic.get(gene, {}))
            rec["single"] = {}
            if gene == "G6PD":
                rec["pairs"], rec["single"] = _g6pd_rules(shared, rec["phenotype_alleles"])
            elif gene == "RYR1":
                rec["pairs"] = _mh_rules(rec["phenotype_alleles"])
            else:
                rec["pairs"] = {}
                rec["activity_bands"] = _cyp2d6_bands(results["CYP2D6"])
        else:  # HLA: allele status only
            rec["phenotype_alleles"] = {n: {"function": None, "activity": None, "key": None} for n in names}
            rec["pairs"], rec["single"] = {}, {}
        if gene in HLA_STATUS_ALLELES:
            rec["status_alleles"] = list(HLA_STATUS_ALLELES[gene])
        rec["summary_alleles"] = names
        rec["cpic_phenotypes"] = summary.get(gene, {}).get("phenotypes", [])
        genes[gene] = rec

    out.mkdir(parents=True, exist_ok=True)
    (out / "genes").mkdir(exist_ok=True)
    written = []
    for gene, rec in genes.items():
        path = out / "genes" / f"{gene}.json"
        path.write_text(_dump(rec), encoding="utf-8")
        written.append(path)
    index = {
        "definitions_version": "2025-11-05",
        "source": "PharmCAT allele definitions and phenotypes (MPL-2.0); CPIC database v1.54.0 (CC0); "
                  "PyPGx 0.27.0 variant table (MIT)",
        "vcf_genes": [*list(VCF_GENES), "MT-RNR1"],
        "outside_only_genes": ["CYP2D6", "HLA-A", "HLA-B"],
        "always_report": list(VCF_GENES) + list(OUTSIDE_GENES),
    }
    (out / "index.json").write_text(_dump(index), encoding="utf-8")
    written.append(out / "index.json")
    return {"definitions_version": index["definitions_version"], "files": written}


def _dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), indent=0) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=None, help="reference data folder (../shared/data)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[4] / "resources" / "pgx")
    args = ap.parse_args(argv)
    shared = args.shared or shared_data_dir()
    if shared is None:
        print("reference data not found: pass --shared DIR or set PGXANNOT_SHARED_DATA", file=sys.stderr)
        return 2
    for p in build(shared, args.out)["files"]:  # type: ignore[attr-defined]
        print(f"{p}\t{p.stat().st_size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
