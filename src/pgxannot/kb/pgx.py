"""The bundled PGx tables (``resources/pgx/``) as immutable, array-ready objects.

Built by :mod:`pgxannot.kb.build.pgx`; loaded once per process. Each gene table also
carries the gene's *behaviour* as data, so that callers never branch on a gene's name:

* ``ploidy``: ``diploid``; ``x_linked`` (hemizygous in males: G6PD); ``mitochondrial``
  (haploid, heteroplasmy possible: MT-RNR1);
* ``outside_call``: ``always`` (never called from a VCF: CYP2D6, HLA-A, HLA-B),
  ``when_uncovered`` (an outside call is asked for when the VCF has no records there:
  MT-RNR1) or ``never``;
* ``matching``: ``diplotype`` or ``lowest_function`` (DPYD, RYR1: unphased data lists the
  variant alleles found and the phenotype follows the two lowest-function ones);
* ``lookup``: what CPIC recommendations are keyed by (``phenotype``, ``activity_score``,
  ``allele_status``);
* ``allele_syntax``: how outside-call files name the alleles (``definition``, ``hla``,
  ``mitochondrial``, ``star_copies``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from pgxannot.errors import KnowledgeBaseError
from pgxannot.paths import default_resources

# IUPAC codes used by a few definitions (an allele that allows either base).
IUPAC = {
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}


@dataclass(frozen=True)
class Position:
    chrom: str
    pos: int  # GRCh38
    ref: str
    alts: tuple[str, ...]
    rsid: str | None
    pos37: int | None
    ref37: str | None
    # GRCh37 REF confirmed by GRCh37 records (kb.build.grch37); an unconfirmed one is used only
    # where the VCF has a record with that REF, never assumed reference
    ref37_verified: bool = False

    @property
    def alleles(self) -> tuple[str, ...]:
        """Definition allele strings; the index is the allele code used by the matcher."""
        return (self.ref, *self.alts)


Ploidy = Literal["diploid", "x_linked", "mitochondrial"]
OutsideCall = Literal["always", "when_uncovered", "never"]
Matching = Literal["diplotype", "lowest_function"]
Lookup = Literal["phenotype", "activity_score", "allele_status"]
AlleleSyntax = Literal["definition", "hla", "mitochondrial", "star_copies"]


@dataclass(frozen=True)
class AlleleInfo:
    function: str | None
    activity: str | None
    key: str | None  # what the phenotype pair table is keyed by


@dataclass(frozen=True, eq=False)
class GeneTable:
    gene: str
    chrom: str | None
    reference_allele: str | None
    positions: tuple[Position, ...]
    allele_names: tuple[str, ...]
    masks: np.ndarray  # int32 (n_alleles, n_positions): bit k set = allele code k allowed
    defined: np.ndarray  # bool (n_alleles, n_positions): position defined (non-null) in the allele
    variant_def: np.ndarray  # bool (n_alleles, n_positions): defined and not the reference base
    wobble: np.ndarray  # bool (n_alleles, n_positions): an IUPAC cell allowing more than one VCF allele
    required_positions: frozenset[int]
    unphased_priorities: tuple[tuple[frozenset[str], str], ...]
    undocumented_as_reference: bool
    phenotype_alleles: dict[str, AlleleInfo] = field(hash=False, compare=False)
    pairs: dict[str, tuple[str | None, str | None, str | None]] = field(hash=False, compare=False)
    single: dict[str, tuple[str | None, str | None, str | None]] = field(hash=False, compare=False)
    lookup: Lookup = "phenotype"
    ploidy: Ploidy = "diploid"
    outside_call: OutsideCall = "never"
    matching: Matching = "diplotype"
    allele_syntax: AlleleSyntax = "definition"
    suballeles: dict[str, str] = field(default_factory=dict, hash=False, compare=False)  # "*45.001" -> "*45"
    activity_bands: tuple[tuple[float, float | None, str], ...] = ()
    status_alleles: tuple[str, ...] = ()
    summary_alleles: tuple[str, ...] = ()
    definitions_version: str | None = None

    @property
    def vcf_callable(self) -> bool:
        """False for genes only ever called elsewhere (outside calls)."""
        return self.outside_call != "always"

    def display_name(self, allele: str) -> str:
        """The name reports use for a definition allele (a suballele by its parent's name)."""
        return self.suballeles.get(allele, allele)

    @property
    def order(self) -> dict[str, int]:
        """Allele name -> rank in the definitions' order (diplotype names follow it)."""
        return _order(self)

    def known_allele(self, name: str) -> bool:
        return name in self.order or name in self.phenotype_alleles or name in self.summary_alleles


@cache
def _order(t: GeneTable) -> dict[str, int]:
    names = list(t.allele_names) + [n for n in t.summary_alleles if n not in t.allele_names]
    names += [n for n in t.phenotype_alleles if n not in names]
    return {n: i for i, n in enumerate(names)}


def exemption_ignores(variant: Mapping[str, Any], ignored: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The ``ignoredPositions`` entry of PharmCAT's exemptions that ignores a definition variant.

    By rsID when the entry has one, else by HGVS name (PharmCAT's
    ``DefinitionExemption.shouldIgnorePosition``); never by coordinate: one coordinate can
    hold an ignored indel and a defining SNV (G6PD chrX:154532990, RYR1 chr19:38580126).
    """
    for ip in ignored:
        if ip.get("rsid"):
            if variant.get("rsid") == ip["rsid"]:
                return ip
        elif variant.get("chromosomeHgvsName") == ip.get("chromosomeHgvsName"):
            return ip
    return None


def pgx_resources() -> Path:
    """``resources/pgx`` of the installation (or of the source checkout)."""
    path = default_resources() / "pgx"
    if not path.is_dir():
        raise KnowledgeBaseError("the bundled PGx tables are missing", path=path,
                                 hint="rebuild them with `python -m pgxannot.kb.build.pgx`")
    return path


@cache
def index() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((pgx_resources() / "index.json").read_text(encoding="utf-8"))
    return data


def vcf_genes() -> tuple[str, ...]:
    return tuple(str(g) for g in index()["vcf_genes"])


def report_genes() -> tuple[str, ...]:
    return tuple(sorted(str(g) for g in index()["always_report"]))


def _codes_for(defn: str, pos: Position) -> int:
    alleles = pos.alleles
    if defn in alleles:
        return 1 << alleles.index(defn)
    if defn in IUPAC:
        mask = 0
        for i, a in enumerate(alleles):
            if len(a) == 1 and a in IUPAC[defn]:
                mask |= 1 << i
        if mask:
            return mask
    raise KnowledgeBaseError(f"allele definition {defn!r} at {pos.chrom}:{pos.pos} matches no VCF allele")


@cache
def gene_table(gene: str) -> GeneTable:
    path = pgx_resources() / "genes" / f"{gene}.json"
    if not path.is_file():
        raise KnowledgeBaseError(f"no PGx table for gene {gene}", path=path,
                                 hint="rebuild with `python -m pgxannot.kb.build.pgx`")
    d = json.loads(path.read_text(encoding="utf-8"))
    chrom = d.get("chrom")
    positions = tuple(
        Position(chrom, p["pos"], p["ref"], tuple(p["alts"]), p.get("rsid"), p.get("pos37"), p.get("ref37"),
                 bool(p.get("ref37_verified")))
        for p in d.get("positions", [])
    )
    alleles = d.get("alleles", [])
    n_a, n_p = len(alleles), len(positions)
    masks = np.ones((n_a, n_p), dtype=np.int32)  # null = reference (code 0)
    defined = np.zeros((n_a, n_p), dtype=bool)
    variant = np.zeros((n_a, n_p), dtype=bool)
    wobble = np.zeros((n_a, n_p), dtype=bool)
    for i, a in enumerate(alleles):
        for k, v in a["def"].items():
            j = int(k)
            masks[i, j] = _codes_for(v, positions[j])
            defined[i, j] = True
            variant[i, j] = masks[i, j] != 1
            wobble[i, j] = bin(int(masks[i, j])).count("1") > 1
    pa = {n: AlleleInfo(v.get("function"), v.get("activity"), v.get("key"))
          for n, v in d.get("phenotype_alleles", {}).items()}
    return GeneTable(
        gene=gene, chrom=chrom,
        reference_allele=d.get("reference_allele"), positions=positions,
        allele_names=tuple(a["name"] for a in alleles), masks=masks, defined=defined, variant_def=variant, wobble=wobble,
        required_positions=frozenset(d.get("required_positions", [])),
        unphased_priorities=tuple((frozenset(p["list"]), p["pick"]) for p in d.get("unphased_priorities", [])),
        undocumented_as_reference=bool(d.get("undocumented_as_reference")),
        phenotype_alleles=pa,
        pairs={k: tuple(v) for k, v in d.get("pairs", {}).items()},
        single={k: tuple(v) for k, v in d.get("single", {}).items()},
        lookup=d.get("lookup", "phenotype"),
        ploidy=d.get("ploidy", "diploid"),
        outside_call=d.get("outside_call", "never"),
        matching=d.get("matching", "diplotype"),
        allele_syntax=d.get("allele_syntax", "definition"),
        suballeles=dict(d.get("suballeles", {})),
        activity_bands=tuple((b[0], b[1], b[2]) for b in d.get("activity_bands", [])),
        status_alleles=tuple(d.get("status_alleles", [])),
        summary_alleles=tuple(d.get("summary_alleles", [])),
        definitions_version=d.get("definitions_version"),
    )
