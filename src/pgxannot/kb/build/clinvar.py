"""Build the compact ClinVar tables of the germline screen.

One code path turns either source into the same table:

* the panel TSV in ``shared/data/clinvar`` (``chrom pos ref alt gene significance
  review_status disease clinvar_id``), or
* a real ClinVar VCF (``clinvar.vcf.gz`` as downloaded from NCBI: ``INFO`` keys
  ``CLNSIG``, ``CLNREVSTAT``, ``GENEINFO``, ``CLNDN``; ``ID`` is the VariationID;
  the version is its ``##fileDate``).

Rows are kept when the gene is in ``resources/genes/germline_genes.tsv`` (ACMG SF
v3.2 plus the indication panel). Pathogenic/likely pathogenic rows go to
``clinvar_plp.tsv.gz``; benign/likely benign rows to a small ``clinvar_benign.tsv.gz``
index (used only to say "known benign" in counts, never to clear a gene).
Alleles are split (one ALT per row) and trimmed of shared leading/trailing bases.

Rebuild::

    python -m pgxannot.kb.build.clinvar [SOURCE] [OUT_DIR]
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import lzma
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pgxannot.errors import KnowledgeBaseError
from pgxannot.kb.risk import (
    BENIGN_COLUMNS,
    BENIGN_FILE,
    GENES_FILE,
    META_FILE,
    PLP_COLUMNS,
    PLP_FILE,
    SIGNIFICANCE_CODES,
)
from pgxannot.paths import default_resources, shared_data_dir
from pgxannot.vcf.genome import canonical_chrom, chrom_order
from pgxannot.vcf.normalize import trim_alleles

# ClinVar review status -> "gold stars" (ClinVar's own mapping). For P/LP assertions
# (never "conflicting") the stars give the review status back: STARS_REVIEW.
REVIEW_STARS = {
    "practice guideline": 4,
    "reviewed by expert panel": 3,
    "criteria provided, multiple submitters, no conflicts": 2,
    "criteria provided, conflicting interpretations": 1,
    "criteria provided, conflicting classifications": 1,
    "criteria provided, single submitter": 1,
    "no assertion criteria provided": 0,
    "no assertion provided": 0,
    "no classification provided": 0,
    "no interpretation for the single variant": 0,
    "no classification for the single variant": 0,
    "no classifications from unflagged records": 0,
}

# Disease names that say nothing about the condition.
_GENERIC_DISEASES = {
    "not provided", "not specified", "see cases", "inborn genetic diseases",
    "none provided", "",
}


@dataclass(frozen=True)
class RawClinvarRow:
    """One ClinVar assertion as read from either source (alleles as in the source)."""

    chrom: str
    pos: int
    ref: str
    alt: str
    genes: tuple[str, ...]
    significance: str
    review_status: str
    disease: str
    clinvar_id: str


# --------------------------------------------------------------------------- helpers
def normalize_significance(raw: str) -> str | None:
    """ClinVar ``CLNSIG`` text -> one of our five classes, or None for the rest.

    ``Pathogenic|risk_factor`` keeps its first (germline) term; ``Conflicting``,
    ``Uncertain`` and ``risk factor``-only assertions give None.
    """
    text = raw.replace("_", " ").strip()
    first = re.split(r"[|;]", text)[0].strip().rstrip(",").lower()
    first = first.split(", low penetrance")[0]
    mapping = {
        "pathogenic": "Pathogenic",
        "likely pathogenic": "Likely pathogenic",
        "pathogenic/likely pathogenic": "Pathogenic/Likely pathogenic",
        "benign": "Benign",
        "likely benign": "Likely benign",
        "benign/likely benign": "Benign/Likely benign",
    }
    return mapping.get(first)


def review_stars(review_status: str) -> int:
    """ClinVar review status (``_`` or spaces) -> 0..4 stars (0 when unknown)."""
    return REVIEW_STARS.get(review_status.replace("_", " ").strip().lower(), 0)


def compact_condition(disease: str, *, max_names: int = 2, max_len: int = 120) -> str:
    """ClinVar disease list (``|``/``,`` separated) -> a short readable condition."""
    names: list[str] = []
    for part in re.split(r"\|", disease.replace("_", " ")):
        name = part.strip()
        if name.lower() in _GENERIC_DISEASES or name.lower().startswith("see cases"):
            continue
        if name not in names:
            names.append(name)
        if len(names) == max_names:
            break
    text = "; ".join(names)
    return text if len(text) <= max_len else text[: max_len - 1].rstrip() + "…"


def load_gene_table(path: Path) -> dict[str, dict[str, str]]:
    """``resources/genes/germline_genes.tsv`` keyed by gene symbol."""
    if not path.is_file():
        raise KnowledgeBaseError("the germline gene table is missing", path=path,
                                 hint="restore resources/genes/germline_genes.tsv")
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["gene"]: row for row in csv.DictReader(fh, delimiter="\t")}


def _open_text(path: Path) -> io.TextIOBase:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


# --------------------------------------------------------------------------- readers
# The shared panel extract cuts the disease column at about 80 characters.
_PANEL_DISEASE_WIDTH = 79


def _read_panel_tsv(path: Path) -> tuple[Iterator[RawClinvarRow], dict[str, str]]:
    fh = _open_text(path)
    reader = csv.reader(fh, delimiter="\t")
    header = next(reader, None)
    required = ["chrom", "pos", "ref", "alt", "gene", "significance", "review_status",
                "disease", "clinvar_id"]
    if header is None or any(c not in header for c in required):
        fh.close()
        raise KnowledgeBaseError(f"not a ClinVar panel TSV: expected columns {', '.join(required)}",
                                 path=path, where="line 1")
    idx = {c: header.index(c) for c in required}

    def rows() -> Iterator[RawClinvarRow]:
        with fh:
            for lineno, row in enumerate(reader, start=2):
                if not row or row[0].startswith("#"):
                    continue
                try:
                    pos = int(row[idx["pos"]])
                except (ValueError, IndexError) as exc:
                    raise KnowledgeBaseError("malformed ClinVar panel row", path=path,
                                             where=f"line {lineno}") from exc
                disease = row[idx["disease"]]
                if len(disease) >= _PANEL_DISEASE_WIDTH and "|" in disease:
                    disease = disease.rsplit("|", 1)[0]  # last name cut by the extract
                yield RawClinvarRow(
                    row[idx["chrom"]], pos, row[idx["ref"]], row[idx["alt"]],
                    (row[idx["gene"]],), row[idx["significance"]], row[idx["review_status"]],
                    disease, row[idx["clinvar_id"]])

    return rows(), {"format": "panel_tsv"}


def _parse_info(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in text.split(";"):
        key, _, value = item.partition("=")
        out[key] = value
    return out


def _read_clinvar_vcf(path: Path) -> tuple[Iterator[RawClinvarRow], dict[str, str]]:
    fh = _open_text(path)
    meta: dict[str, str] = {"format": "clinvar_vcf"}
    first_data: str | None = None
    for line in fh:
        if line.startswith("##"):
            key, _, value = line[2:].rstrip("\r\n").partition("=")
            if key in {"fileDate", "reference", "source"}:
                meta[key] = value
            continue
        if line.startswith("#CHROM"):
            continue
        first_data = line
        break

    def rows() -> Iterator[RawClinvarRow]:
        lines: Iterable[str] = fh if first_data is None else _chain(first_data, fh)
        with fh:
            for lineno, line in enumerate(lines, start=1):
                fields = line.rstrip("\r\n").split("\t")
                if len(fields) < 8:
                    raise KnowledgeBaseError("malformed ClinVar VCF record (fewer than 8 columns)",
                                             path=path, where=f"data line {lineno}")
                info = _parse_info(fields[7])
                sig = info.get("CLNSIG")
                if not sig:
                    continue
                genes = tuple(g.split(":")[0] for g in info.get("GENEINFO", "").split("|") if g)
                try:
                    pos = int(fields[1])
                except ValueError as exc:
                    raise KnowledgeBaseError("non-numeric POS in ClinVar VCF", path=path,
                                             where=f"data line {lineno}") from exc
                for alt in fields[4].split(","):
                    yield RawClinvarRow(fields[0], pos, fields[3], alt, genes, sig,
                                        info.get("CLNREVSTAT", ""),
                                        info.get("CLNDN", ""), fields[2])

    return rows(), meta


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _is_vcf(path: Path) -> bool:
    with _open_text(path) as fh:
        return fh.readline().startswith("##fileformat=VCF")


# --------------------------------------------------------------------------- build
def build(source: Path, out_dir: Path, *, version: str | None = None, include_text: bool = False,
          genes_table: Path | None = None, genome_build: str | None = None,
          include_benign: bool = False) -> dict:
    """Build ``clinvar_plp.tsv.gz``, ``clinvar_benign.tsv.gz`` and ``clinvar_meta.json``.

    Parameters
    ----------
    source
        The shared panel TSV or a ClinVar VCF (plain or gzipped), detected by content.
    out_dir
        Folder to write to (created).
    genes_table
        Gene table restricting the genes kept; default: ``resources/genes/germline_genes.tsv``
        beside the package (source checkout or installed wheel).
    version, genome_build
        Override the version label / genome build. A VCF gives ``##fileDate`` and
        ``##reference``; the panel TSV gives its file name and GRCh38 (from the name).
    include_benign
        Also write the benign/likely-benign index (off for the bundled knowledge base:
        it only ever serves counts, and absence from either table proves nothing).
    include_text
        Accepted for the common builder signature; ClinVar tables hold no free text.

    Returns
    -------
    dict
        The metadata written to ``clinvar_meta.json`` (version, build, counts).
    """
    source = Path(source)
    out_dir = Path(out_dir)
    build = genome_build
    if not source.is_file():
        raise KnowledgeBaseError("ClinVar source file not found", path=source)
    if genes_table is None:
        genes_table = default_resources() / "genes" / GENES_FILE
    genes = load_gene_table(Path(genes_table))

    rows, meta = _read_clinvar_vcf(source) if _is_vcf(source) else _read_panel_tsv(source)
    if build is None:
        ref = meta.get("reference", "") + source.name
        build = "GRCh37" if ("GRCh37" in ref or "hg19" in ref) else "GRCh38"
    if version is None:
        version = meta.get("fileDate") or source.name.split(".")[0]

    plp: dict[tuple, tuple] = {}
    benign: dict[tuple, tuple] = {}
    n_read = n_other = 0
    for raw in rows:
        n_read += 1
        gene = next((g for g in raw.genes if g in genes), None)
        if gene is None or raw.alt in {".", "*", ""} or raw.alt.startswith("<"):
            continue
        sig = normalize_significance(raw.significance)
        if sig is None:
            n_other += 1
            continue
        pos, ref, alt = trim_alleles(raw.pos, raw.ref, raw.alt)
        key = (canonical_chrom(raw.chrom), pos, ref, alt)
        stars = review_stars(raw.review_status)
        code = SIGNIFICANCE_CODES[sig]
        if "athogenic" in sig:
            row = (*key, gene, code, stars, compact_condition(raw.disease), raw.clinvar_id)
            old = plp.get(key)
            if old is None or stars > old[6]:
                plp[key] = row
        elif include_benign:
            benign.setdefault(key, (*key, gene, code, stars, raw.clinvar_id))

    out_dir.mkdir(parents=True, exist_ok=True)
    write_xz_tsv(out_dir / PLP_FILE, PLP_COLUMNS, plp.values())
    if include_benign:
        write_xz_tsv(out_dir / BENIGN_FILE, BENIGN_COLUMNS, benign.values())
    meta_out = {
        "source": "ClinVar (NCBI), public domain",
        "source_file": source.name,
        "source_format": meta["format"],
        "version": version,
        "build": build,
        "built": date.today().isoformat(),
        "genes": len(genes),
        "records_read": n_read,
        "plp_variants": len(plp),
        "benign_variants": len(benign),
        "skipped_other_significance": n_other,
    }
    (out_dir / META_FILE).write_text(json.dumps(meta_out, indent=1, sort_keys=True) + "\n",
                                     encoding="utf-8")
    return meta_out


def write_xz_tsv(path: Path, columns: tuple[str, ...], rows: Iterable[tuple], *,
                 sort: bool = True) -> None:
    """xz-compressed TSV, by default sorted on (chrom, pos, ref, alt): xz keeps the ClinVar
    table ~30% smaller than gzip, and the output is byte-identical for identical input."""
    ordered = sorted(rows, key=lambda r: (chrom_order(r[0]), r[1], r[2], r[3])) if sort else rows
    lines = ["\t".join(columns)] + ["\t".join(str(v) for v in r) for r in ordered]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        source = Path(args[0])
    else:
        shared = shared_data_dir()
        if shared is None:
            print("no source given and ../shared/data is absent", file=sys.stderr)
            return 2
        source = shared / "clinvar" / "clinvar_acmgsf32_pah_panel_GRCh38.tsv.gz"
    out = Path(args[1]) if len(args) > 1 else default_resources() / "clinvar"
    # the shared panel extract has no header date; its README dates it to the weekly
    # ClinVar VCF of about 2026-07
    version = "2026-07 (ACMG SF v3.2 + PAH panel extract)" if source.name.startswith(
        "clinvar_acmgsf32_pah_panel") else None
    meta = build(source, out, version=version)
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
