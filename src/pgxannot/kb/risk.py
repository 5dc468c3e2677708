"""The risk knowledge base: ClinVar P/LP table, gene table, CNV gene coordinates, CIViC.

:func:`load_risk_kb` reads the compact tables written by
:mod:`pgxannot.kb.build.clinvar` and :mod:`pgxannot.kb.build.civic` (bundled under
``resources/`` or a downloaded knowledge base) into one immutable object that the
screening functions take as ``kb``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pgxannot.errors import KnowledgeBaseError
from pgxannot.files import read_json, read_tsv
from pgxannot.paths import default_resources

# Table formats, as pgxannot.kb.build.clinvar and pgxannot.kb.build.civic write them.
PLP_FILE = "clinvar_plp.tsv.xz"
BENIGN_FILE = "clinvar_benign.tsv.xz"
META_FILE = "clinvar_meta.json"
GENES_FILE = "germline_genes.tsv"

PLP_COLUMNS = ("chrom", "pos", "ref", "alt", "gene", "significance", "stars", "condition",
               "clinvar_id")
BENIGN_COLUMNS = ("chrom", "pos", "ref", "alt", "gene", "significance", "stars", "clinvar_id")

# Significance codes of the compact tables.
SIGNIFICANCE_CODES = {
    "Pathogenic": "P", "Likely pathogenic": "LP", "Pathogenic/Likely pathogenic": "P/LP",
    "Benign": "B", "Likely benign": "LB", "Benign/Likely benign": "B/LB",
}
SIGNIFICANCE_NAMES = {v: k for k, v in SIGNIFICANCE_CODES.items()}

STARS_REVIEW = {
    4: "practice guideline",
    3: "reviewed by expert panel",
    2: "criteria provided, multiple submitters, no conflicts",
    1: "criteria provided, single submitter",
    0: "no assertion criteria provided",
}

CNV_GENES_FILE = "cnv_genes.tsv"
CIVIC_FILE = "civic_evidence.tsv.xz"
CIVIC_META_FILE = "civic_meta.json"
CIVIC_COLUMNS = ("evidence_id", "gene", "variant", "protein_change", "disease", "therapies",
                 "evidence_type", "direction", "level", "significance", "origin", "rating",
                 "citation", "pmid", "chrom37", "pos37", "ref37", "alt37", "chrom38", "pos38",
                 "ref38", "alt38", "grch38_method")


@dataclass(frozen=True)
class GermlineGene:
    """One gene of the germline screen (ACMG SF v3.2 or the indication panel)."""

    gene: str
    inheritance: str  # AR | AD | XL
    category: str  # cancer | cardiovascular | metabolism | miscellaneous
    gene_list: str  # ACMG_SF_v3.2 | indication_panel
    condition: str
    report_rule: str  # "-" | biallelic_only | hfe_c282y_homozygous | truncating_only
    prescribing: bool  # a CPIC guideline uses the gene: never withheld as incidental
    management: str
    management_female: str = ""  # added for female patients (and, labelled, when sex is unknown)
    management_male: str = ""

    @property
    def is_acmg_sf(self) -> bool:
        return self.gene_list.startswith("ACMG_SF")

    def management_for(self, sex: str | None) -> str:
        """The management wording for a patient of ``sex``: advice that concerns only
        one sex is left out for the other and labelled when the sex is not known."""
        parts = [self.management]
        if sex == "female":
            parts.append(self.management_female)
        elif sex == "male":
            parts.append(self.management_male)
        else:
            parts += [f"For females: {self.management_female}" if self.management_female else "",
                      f"For males: {self.management_male}" if self.management_male else ""]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class ClinvarVariant:
    """One normalized ClinVar P/LP allele."""

    chrom: str
    pos: int
    ref: str
    alt: str
    gene: str
    significance: str  # Pathogenic | Likely pathogenic | Pathogenic/Likely pathogenic
    stars: int
    condition: str
    clinvar_id: str

    @property
    def key(self) -> str:
        return f"{self.chrom}:{self.pos}:{self.ref}:{self.alt}"

    @property
    def review_status(self) -> str:
        return STARS_REVIEW.get(self.stars, "unknown")


@dataclass(frozen=True)
class CnvGene:
    gene: str
    role: str  # oncogene | tumour_suppressor
    chrom: str
    start: int
    end: int


@dataclass(frozen=True)
class CivicEvidence:
    """One CIViC evidence item (accepted), with GRCh37 and, where mapped, GRCh38 coordinates."""

    evidence_id: str
    gene: str
    variant: str  # CIViC variant name, e.g. "V600E", "AMPLIFICATION"
    protein_change: str  # one-letter protein change parsed from the name ("" if none)
    disease: str
    therapies: tuple[str, ...]
    evidence_type: str  # Predictive | Prognostic | Diagnostic | Predisposing | Functional
    direction: str  # Supports | Does Not Support
    level: str  # A..E
    significance: str
    origin: str
    rating: str
    citation: str
    pmid: str
    chrom37: str
    pos37: int | None
    ref37: str
    alt37: str
    chrom38: str
    pos38: int | None
    ref38: str
    alt38: str

    @property
    def url(self) -> str:
        return f"https://civicdb.org/links/evidence_items/{self.evidence_id}"


@dataclass(frozen=True)
class RiskKnowledgeBase:
    """Everything the risk screens need, loaded once."""

    genes: dict[str, GermlineGene]
    clinvar: dict[tuple[str, int, str, str], ClinvarVariant]
    clinvar_meta: dict[str, object]
    cnv_genes: dict[str, tuple[CnvGene, ...]]  # build -> genes
    civic: tuple[CivicEvidence, ...] = ()
    civic_meta: dict[str, object] = field(default_factory=dict)
    _civic_pos38: dict[tuple[str, int, str, str], tuple[CivicEvidence, ...]] = field(
        default_factory=dict, repr=False)
    _civic_pos37: dict[tuple[str, int, str, str], tuple[CivicEvidence, ...]] = field(
        default_factory=dict, repr=False)
    _civic_name: dict[tuple[str, str], tuple[CivicEvidence, ...]] = field(
        default_factory=dict, repr=False)

    @property
    def clinvar_build(self) -> str:
        return str(self.clinvar_meta.get("build", "GRCh38"))

    def civic_by_position(self, build: str, chrom: str, pos: int, ref: str,
                          alt: str) -> tuple[CivicEvidence, ...]:
        index = self._civic_pos37 if build == "GRCh37" else self._civic_pos38
        return index.get((chrom, pos, ref, alt), ())

    def civic_by_name(self, gene: str, name: str) -> tuple[CivicEvidence, ...]:
        """Evidence of ``gene`` whose CIViC variant name (upper case) is ``name``."""
        return self._civic_name.get((gene, name.upper()), ())

    @property
    def civic_genes(self) -> frozenset[str]:
        return frozenset(e.gene for e in self.civic)


# --------------------------------------------------------------------------- loading
def _read_tsv(path: Path) -> list[dict[str, str]]:
    return read_tsv(path, error=KnowledgeBaseError, what="risk knowledge-base table",
                    hint="rebuild it (python -m pgxannot.kb.build.clinvar / pgxannot.kb.build.civic) "
                         "or run `pgxannot kb update`")


def _read_json(path: Path) -> dict[str, object]:
    return read_json(path, error=KnowledgeBaseError, what="risk knowledge-base metadata",
                     hint="rebuild or re-download it") if path.is_file() else {}


def load_genes(genes_dir: Path) -> tuple[dict[str, GermlineGene], dict[str, tuple[CnvGene, ...]]]:
    genes = {
        r["gene"]: GermlineGene(r["gene"], r["inheritance"], r["category"], r["list"],
                                r["condition"], r["report_rule"], r["prescribing"] == "yes",
                                r["management"], r.get("management_female") or "",
                                r.get("management_male") or "")
        for r in _read_tsv(genes_dir / GENES_FILE)
    }
    cnv: dict[str, list[CnvGene]] = defaultdict(list)
    for r in _read_tsv(genes_dir / CNV_GENES_FILE):
        cnv[r["build"]].append(CnvGene(r["gene"], r["role"], r["chrom"], int(r["start"]),
                                       int(r["end"])))
    return genes, {b: tuple(v) for b, v in cnv.items()}


def load_clinvar(clinvar_dir: Path) -> tuple[dict, dict[str, object]]:
    table = {}
    path = clinvar_dir / PLP_FILE
    for lineno, r in enumerate(_read_tsv(path), start=2):
        try:
            v = ClinvarVariant(r["chrom"], int(r["pos"]), r["ref"], r["alt"], r["gene"],
                               SIGNIFICANCE_NAMES[r["significance"]], int(r["stars"]),
                               r["condition"], r["clinvar_id"])
        except (KeyError, ValueError, TypeError) as exc:
            raise KnowledgeBaseError("malformed ClinVar table row", path=path,
                                     where=f"line {lineno}", hint="rebuild the table") from exc
        table[(v.chrom, v.pos, v.ref, v.alt)] = v
    return table, _read_json(clinvar_dir / META_FILE)


def _opt_int(text: str) -> int | None:
    return int(text) if text not in ("", None) else None


def load_civic(civic_dir: Path) -> tuple[tuple[CivicEvidence, ...], dict[str, object]]:
    path = civic_dir / CIVIC_FILE
    if not path.is_file():
        return (), {}
    items = []
    for r in _read_tsv(path):
        items.append(CivicEvidence(
            r["evidence_id"], r["gene"], r["variant"], r["protein_change"], r["disease"],
            tuple(t for t in r["therapies"].split(";") if t), r["evidence_type"],
            r["direction"], r["level"], r["significance"], r["origin"], r["rating"],
            r["citation"], r["pmid"], r["chrom37"], _opt_int(r["pos37"]), r["ref37"],
            r["alt37"], r["chrom38"], _opt_int(r["pos38"]), r["ref38"], r["alt38"]))
    return tuple(items), _read_json(civic_dir / CIVIC_META_FILE)


def load_risk_kb(resources: Path | None = None, *, clinvar_dir: Path | None = None,
                 civic_dir: Path | None = None) -> RiskKnowledgeBase:
    """Load the risk knowledge base.

    ``resources`` is the folder holding ``genes/``, ``clinvar/`` and ``civic/`` (default:
    the bundled ``resources/``); ``clinvar_dir``/``civic_dir`` point at a downloaded
    release instead (as ``pgxannot kb update`` writes them).
    """
    root = Path(resources) if resources is not None else default_resources()
    return risk_kb(load_clinvar(Path(clinvar_dir) if clinvar_dir else root / "clinvar"),
                   load_civic(Path(civic_dir) if civic_dir else root / "civic"), genes_dir=root / "genes")


def risk_kb(clinvar: tuple[dict, dict[str, object]], civic: tuple[tuple[CivicEvidence, ...], dict[str, object]],
            *, genes_dir: Path | None = None) -> RiskKnowledgeBase:
    """The risk knowledge base from loaded ClinVar and CIViC tables (what :func:`load_clinvar`
    and :func:`load_civic`, the registry's loaders, return) and the gene tables in
    ``genes_dir`` (default: the bundled ``resources/genes``)."""
    genes, cnv = load_genes(genes_dir if genes_dir is not None else default_resources() / "genes")
    (table, clinvar_meta), (items, civic_meta) = clinvar, civic
    return make_kb(genes, table, clinvar_meta, cnv, items, civic_meta)


def name_aliases(variant: str, protein_change: str = "") -> list[str]:
    """Upper-case lookup names of a CIViC variant: its name, its protein change, and each
    alternative of ``S310F/Y``-style names."""
    out = [variant.upper()]
    if protein_change and protein_change.upper() not in out:
        out.append(protein_change.upper())
    m = re.match(r"^([A-Z]\d+)([A-Z*](?:/[A-Z*])+)$", variant.strip().upper())
    if m:
        out += [m.group(1) + a for a in m.group(2).split("/")]
    return out


def make_kb(genes: dict[str, GermlineGene], clinvar: dict, clinvar_meta: dict[str, object],
            cnv: dict[str, tuple[CnvGene, ...]], civic: tuple[CivicEvidence, ...] = (),
            civic_meta: dict[str, object] | None = None) -> RiskKnowledgeBase:
    """Assemble a knowledge base (and its indexes) from already-loaded parts."""
    pos38: dict[tuple, list[CivicEvidence]] = defaultdict(list)
    pos37: dict[tuple, list[CivicEvidence]] = defaultdict(list)
    names: dict[tuple, list[CivicEvidence]] = defaultdict(list)
    for e in civic:
        if e.pos38 is not None and (e.ref38 or e.alt38):
            pos38[(e.chrom38, e.pos38, e.ref38, e.alt38)].append(e)
        if e.pos37 is not None and (e.ref37 or e.alt37):
            pos37[(e.chrom37, e.pos37, e.ref37, e.alt37)].append(e)
        for alias in name_aliases(e.variant, e.protein_change):
            names[(e.gene, alias)].append(e)
    return RiskKnowledgeBase(
        genes=genes, clinvar=clinvar, clinvar_meta=clinvar_meta, cnv_genes=cnv, civic=civic,
        civic_meta=civic_meta or {},
        _civic_pos38={k: tuple(v) for k, v in pos38.items()},
        _civic_pos37={k: tuple(v) for k, v in pos37.items()},
        _civic_name={k: tuple(v) for k, v in names.items()},
    )
