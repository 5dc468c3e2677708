"""Germline screen: ClinVar pathogenic/likely pathogenic variants in ACMG SF v3.2 genes
and the indication panel (PAH, CFTR, HBB, G6PD, F8), interpreted by inheritance.

Streaming: :func:`screen_germline` walks the records once, keeps only the carriers of
matching alleles (a few arrays per hit), so memory does not grow with the VCF.

Consent and indication
----------------------
* ``secondary_findings[sample]`` (default True) is the sample sheet's column. When it is
  False, findings that are *incidental* are withheld and :func:`germline_limitations`
  says so in the report.
* A finding is *incidental* when its gene is on the ACMG SF v3.2 list, is not among the
  sample's indication genes and is not used for prescribing (RYR1, CACNA1S: CPIC
  guideline genes, kept because they change drug choice).
* ``indication_genes[sample]`` is the set of genes the test was ordered for (e.g.
  ``{"PAH"}`` for a phenylketonuria referral, ``{"BRCA1", "BRCA2"}`` for a familial
  breast cancer referral). The indication panel genes (list ``indication_panel`` in
  ``resources/genes/germline_genes.tsv``) are always part of the requested screen, with
  or without this mapping, and are never incidental.

Never: a variant absent from the VCF, or absent from the ClinVar table, is not called
benign; the limitations say what was not screened.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pysam

from pgxannot.errors import BuildMismatchError, InputFileError
from pgxannot.kb.risk import ClinvarVariant, GermlineGene, RiskKnowledgeBase
from pgxannot.vcf.genome import canonical_chrom, chrom_order
from pgxannot.vcf.model import HAPLOID, VariantRecord
from pgxannot.vcf.normalize import trim_alleles

CLINVAR_URL = "https://www.ncbi.nlm.nih.gov/clinvar/variation/{}/"
HFE_C282Y = {"GRCh38": ("chr6", 26092913, "G", "A"), "GRCh37": ("chr6", 26093141, "G", "A")}
_PAD = 100  # bp added around gene spans so indels anchored just before a gene are read


@dataclass(frozen=True)
class Carrier:
    """One sample carrying one ClinVar P/LP allele."""

    variant: ClinvarVariant
    copies: int  # 1 heterozygous, 2 homozygous, 1 with hemizygous=True
    hemizygous: bool
    phased: bool
    haplotype: int | None  # 0/1: which phased haplotype carries it (heterozygous, phased)


# --------------------------------------------------------------------------- regions
def germline_regions(kb: RiskKnowledgeBase, extra_genes: Iterable[str] = (),
                     bed: Path | str | None = None) -> list[tuple[str, int, int]]:
    """Regions (chrom, start, end; 1-based inclusive) the germline screen needs.

    One span per gene from its first to last ClinVar P/LP position (padded by 100 bp),
    for every gene of the gene table plus ``extra_genes`` found in the ClinVar or CNV
    tables. ``bed`` (a capture-kit BED, 0-based half-open) restricts the spans to its
    intervals. Sorted and merged.
    """
    wanted = set(kb.genes) | set(extra_genes)
    spans: dict[str, tuple[str, int, int]] = {}
    for v in kb.clinvar.values():
        if v.gene in wanted:
            chrom, lo, hi = spans.get(v.gene, (v.chrom, v.pos, v.pos + len(v.ref) - 1))
            spans[v.gene] = (chrom, min(lo, v.pos), max(hi, v.pos + len(v.ref) - 1))
    for g in kb.cnv_genes.get(kb.clinvar_build, ()):
        if g.gene in set(extra_genes) and g.gene not in spans:
            spans[g.gene] = (g.chrom, g.start, g.end)
    regions = [(c, max(1, s - _PAD), e + _PAD) for c, s, e in spans.values()]
    if bed is not None:
        regions = _intersect(regions, _read_bed(Path(bed)))
    return _merge(regions)


def _read_bed(path: Path) -> list[tuple[str, int, int]]:
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputFileError(f"cannot read BED file: {exc.strerror}", path=path) from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        f = line.split("\t")
        try:
            start, end = int(f[1]), int(f[2])
        except (IndexError, ValueError) as exc:
            raise InputFileError("malformed BED line (need chrom, start, end)", path=path,
                                 where=f"line {n}") from exc
        out.append((canonical_chrom(f[0]), start + 1, end))
    return out


def _merge(regions: Iterable[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for c, s, e in sorted(regions, key=lambda r: (chrom_order(r[0]), r[1], r[2])):
        if out and out[-1][0] == c and s <= out[-1][2] + 1:
            out[-1] = (c, out[-1][1], max(out[-1][2], e))
        else:
            out.append((c, s, e))
    return out


def _intersect(a: list[tuple[str, int, int]], b: list[tuple[str, int, int]]):
    by_chrom: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for c, s, e in b:
        by_chrom[c].append((s, e))
    out = []
    for c, s, e in a:
        for bs, be in by_chrom.get(c, ()):
            lo, hi = max(s, bs), min(e, be)
            if lo <= hi:
                out.append((c, lo, hi))
    return out


# --------------------------------------------------------------------------- matching
def left_align(chrom: str, pos: int, ref: str, alt: str, fasta: Any) -> tuple[int, str, str]:
    """Left-align an indel against the reference (``pysam.FastaFile``), then trim.

    Needed only when the VCF was not normalized (``bcftools norm -f``); ClinVar's own
    VCF is left-aligned.
    """
    pos, ref, alt = trim_alleles(pos, ref, alt)
    if len(ref) == len(alt):
        return pos, ref, alt
    names = set(fasta.references)
    contig = chrom if chrom in names else chrom.removeprefix("chr")
    if contig not in names:
        return pos, ref, alt
    while pos > 1 and ref[-1] == alt[-1]:
        base = fasta.fetch(contig, pos - 2, pos - 1).upper()
        ref, alt, pos = base + ref[:-1], base + alt[:-1], pos - 1
    return trim_alleles(pos, ref, alt)


def match_record(record: VariantRecord, kb: RiskKnowledgeBase,
                 fasta: Any = None) -> list[tuple[int, ClinvarVariant]]:
    """(ALT index 1-based, ClinVar variant) for every ALT of ``record`` in the P/LP table."""
    hits = []
    table = kb.clinvar
    snv = len(record.ref) == 1
    for k, alt in enumerate(record.alts, start=1):
        if snv and len(alt) == 1:
            key = (record.chrom, record.pos, record.ref.upper(), alt.upper())
        else:
            if not alt or alt in {"*", "."} or alt.startswith("<") or "[" in alt or "]" in alt:
                continue
            if fasta is not None:
                p, r, a = left_align(record.chrom, record.pos, record.ref, alt, fasta)
            else:
                p, r, a = trim_alleles(record.pos, record.ref, alt)
            key = (record.chrom, p, r, a)
        v = table.get(key)
        if v is not None:
            hits.append((k, v))
    return hits


def carriers_of(record: VariantRecord, k: int, variant: ClinvarVariant) -> list[tuple[int, Carrier]]:
    """(sample index, Carrier) for every sample carrying ALT ``k`` (vectorized over samples)."""
    gt = record.gt
    copies = (gt == k).sum(axis=1)
    idx = np.nonzero(copies)[0]
    if idx.size == 0:
        return []
    haploid = gt[idx, 1] == HAPLOID
    first_hap = (gt[idx, 0] == k)
    out = []
    for j, s in enumerate(idx.tolist()):
        c = int(copies[s])
        phased = bool(record.phased[s])
        hap = None if (c != 1 or haploid[j] or not phased) else (0 if first_hap[j] else 1)
        out.append((s, Carrier(variant, c, bool(haploid[j]), phased, hap)))
    return out


# --------------------------------------------------------------------------- screen
def screen_germline(records: Iterable[VariantRecord], samples: Sequence[str],
                    kb: RiskKnowledgeBase, *, secondary_findings: Mapping[str, bool],
                    indication_genes: Mapping[str, set[str]] | None = None,
                    sex: Mapping[str, str] | None = None, fasta: Any = None,
                    build: str | None = None) -> dict[str, list[dict]]:
    """Screen every sample for ClinVar P/LP variants; findings per sample.

    Parameters
    ----------
    records
        Variant records (one pass, streamed); ``record.gt`` columns follow ``samples``.
    samples
        Sample names in the order of the genotype arrays.
    secondary_findings
        Per sample: may incidental ACMG SF findings be reported (missing sample: True).
    indication_genes
        Per sample: genes the test was ordered for; their findings are never incidental.
    sex
        Per sample ``female``/``male``/``unknown``: X-linked interpretation.
    fasta
        Optional ``pysam.FastaFile`` (or path) of the reference to left-align indels.
    build
        The records' genome build; must equal the ClinVar table's.
    """
    if build is not None and build != kb.clinvar_build:
        raise BuildMismatchError(
            f"the VCF is {build} but the ClinVar table is {kb.clinvar_build}",
            hint="use a ClinVar knowledge base of the same build (pgxannot kb update clinvar)")
    if isinstance(fasta, str | Path):
        fasta = pysam.FastaFile(str(fasta))
    hits: dict[int, dict[str, list[Carrier]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        for k, variant in match_record(record, kb, fasta):
            for s, carrier in carriers_of(record, k, variant):
                hits[s][variant.gene].append(carrier)

    out: dict[str, list[dict]] = {name: [] for name in samples}
    for s, by_gene in hits.items():
        name = samples[s]
        allowed = secondary_findings.get(name, True)
        indication = set(indication_genes.get(name, set())) if indication_genes else set()
        sample_sex = (sex or {}).get(name, "unknown")
        for gene_name in sorted(by_gene):
            gene = kb.genes[gene_name]
            incidental = gene.is_acmg_sf and gene_name not in indication and not gene.prescribing
            if incidental and not allowed:
                continue
            out[name].extend(interpret_gene(gene, by_gene[gene_name], kb, sex=sample_sex,
                                            incidental=incidental,
                                            in_indication=gene_name in indication))
    return out


def germline_limitations(kb: RiskKnowledgeBase, *, secondary_findings: bool) -> list[str]:
    """Report limitations of the germline screen for one sample."""
    out = [
        f"Germline screen: ClinVar pathogenic/likely pathogenic variants ({kb.clinvar_meta.get('version', 'unknown version')}, "
        f"{kb.clinvar_meta.get('plp_variants', len(kb.clinvar))} variants) in {len(kb.genes)} genes "
        "(ACMG SF v3.2 and PAH, CFTR, HBB, G6PD, F8). Variants of uncertain significance, "
        "novel variants, copy-number changes and repeat expansions are not assessed; a negative "
        "screen does not exclude these conditions, and positions not covered by the VCF were not tested.",
    ]
    if not secondary_findings:
        out.append("Secondary (incidental) findings in ACMG SF v3.2 genes were not analysed at the "
                   "patient's request; findings tied to the indication or to prescribing are still reported.")
    return out


# --------------------------------------------------------------------------- interpretation
def _evidence(v: ClinvarVariant, kb: RiskKnowledgeBase) -> list[dict]:
    version = kb.clinvar_meta.get("version", "unknown")
    return [{
        "source": "ClinVar",
        "id": v.clinvar_id,
        "detail": f"{v.significance}; {v.review_status} ({v.stars} star{'s' if v.stars != 1 else ''}); "
                  f"ClinVar {version}",
        "url": CLINVAR_URL.format(v.clinvar_id),
    }]


def _zygosity(c: Carrier) -> str:
    if c.hemizygous:
        return "hemizygous"
    return "homozygous" if c.copies >= 2 else "heterozygous"


def _finding(gene: GermlineGene, c: Carrier, kb: RiskKnowledgeBase, *, interpretation: str,
             incidental: bool, high_risk: bool, phase_known: bool | None) -> dict:
    v = c.variant
    return {
        "category": "germline",
        "gene": gene.gene,
        "variant": v.key,
        "classification": v.significance,
        "zygosity": _zygosity(c),
        "condition": gene.condition,
        "evidence": _evidence(v, kb),
        "interpretation": interpretation,
        "inheritance": gene.inheritance,
        "stars": v.stars,
        "review_status": v.review_status,
        "tier": None,
        "therapies": [],
        "copy_number": None,
        "incidental": incidental,
        "phase_known": phase_known,
        "high_risk": high_risk,
    }


def _biallelic_state(carriers: list[Carrier]) -> tuple[bool, bool | None, str]:
    """(biallelic?, phase known?, wording) for an autosomal-recessive gene's carriers."""
    if any(c.copies >= 2 for c in carriers):
        return True, True, "homozygous"
    distinct = {c.variant.key: c for c in carriers}
    if len(distinct) < 2:
        return False, None, "single heterozygous variant"
    cs = list(distinct.values())
    if all(c.phased and c.haplotype is not None for c in cs):
        if len({c.haplotype for c in cs}) > 1:
            return True, True, "compound heterozygous, in trans (phased genotypes)"
        return False, True, "two variants in cis on the same haplotype (phased genotypes)"
    return True, False, ("two different variants, phase unknown (compound heterozygosity "
                         "assumed; parental testing can confirm they are in trans)")


def interpret_gene(gene: GermlineGene, carriers: list[Carrier], kb: RiskKnowledgeBase, *,
                   sex: str = "unknown", incidental: bool = False,
                   in_indication: bool = False) -> list[dict]:
    """Findings for one sample and one gene from its P/LP carriers, by inheritance."""
    if gene.inheritance == "AD":
        texts = [(_dominant_text(gene, c, sex), True) for c in carriers]
    elif gene.inheritance == "XL":
        texts = [_x_linked_text(gene, c, sex) for c in carriers]
    else:
        return _recessive(gene, carriers, kb, sex=sex, incidental=incidental, in_indication=in_indication)
    return [_finding(gene, c, kb, interpretation=text, incidental=incidental, high_risk=high, phase_known=None)
            for c, (text, high) in zip(carriers, texts, strict=True)]


def _dominant_text(gene: GermlineGene, c: Carrier, sex: str) -> str:
    text = (f"{_zygosity(c).capitalize()} {c.variant.significance.lower()} variant: "
            f"increased risk of {gene.condition} (autosomal dominant). {gene.management_for(sex)}")
    if gene.report_rule == "truncating_only":
        text += (" ACMG SF v3.2 lists only truncating variants of this gene: confirm the "
                 "variant's consequence before acting.")
    return text


def _x_linked_text(gene: GermlineGene, c: Carrier, sex: str) -> tuple[str, bool]:
    """(interpretation, high risk?) of an X-linked carrier."""
    significance = c.variant.significance.lower()
    if c.hemizygous or (sex == "male" and c.copies >= 1):
        return (f"Hemizygous {significance} variant: consistent with "
                f"{gene.condition} (X-linked). {gene.management_for(sex)}"), True
    if c.copies >= 2:
        return (f"Homozygous {significance} variant in a female: "
                f"consistent with {gene.condition} (X-linked). {gene.management_for(sex)}"), True
    who = "female" if sex == "female" else "sample of unknown sex (diploid call)"
    return (f"Heterozygous {significance} variant in a {who}: "
            f"carrier of {gene.condition}; heterozygous females can be affected "
            f"(skewed X-inactivation). {gene.management_for(sex)}"), False


def _recessive(gene: GermlineGene, carriers: list[Carrier], kb: RiskKnowledgeBase, *, sex: str,
               incidental: bool, in_indication: bool) -> list[dict]:
    if gene.report_rule == "hfe_c282y_homozygous" and not in_indication:
        # ACMG SF v3.2 reports HFE only for p.Cys282Tyr homozygotes
        c282y = HFE_C282Y.get(kb.clinvar_build)
        carriers = [c for c in carriers if c.copies >= 2 and
                    (c.variant.chrom, c.variant.pos, c.variant.ref, c.variant.alt) == c282y]
        if not carriers:
            return []
    biallelic, phase_known, how = _biallelic_state(carriers)
    if not biallelic and gene.report_rule == "biallelic_only" and not in_indication:
        return []  # ACMG SF reports these AR genes only when biallelic
    if biallelic:
        # one wording for every variant of the pair, naming all of them, so the finding
        # reads the same whichever variant a reader starts from (and a card shows it once)
        both = sorted({o.variant.key for o in carriers})
        text = (f"Biallelic pathogenic variants ({how}"
                + (f"; {' and '.join(both)}" if len(both) > 1 else "")
                + f"): consistent with {gene.condition} (autosomal recessive). {gene.management_for(sex)}")
    else:
        text = (f"Heterozygous carrier of {gene.condition} (autosomal recessive; {how}"
                + "). Not expected to cause disease alone; relevant for family planning: "
                  "offer partner testing.")
    return [_finding(gene, c, kb, interpretation=text, incidental=incidental, high_risk=biallelic,
                     phase_known=phase_known) for c in carriers]


# --------------------------------------------------------------------------- indication
INDICATION_GENES: dict[str, frozenset[str]] = {
    "phenylketonuria": frozenset({"PAH"}),
    "pku": frozenset({"PAH"}),
    "hyperphenylalanin": frozenset({"PAH"}),
    "breast cancer": frozenset({"BRCA1", "BRCA2", "PALB2", "TP53", "PTEN", "STK11"}),
    "ovarian cancer": frozenset({"BRCA1", "BRCA2", "PALB2", "MLH1", "MSH2", "MSH6", "PMS2"}),
    "colorectal cancer": frozenset({"APC", "MUTYH", "MLH1", "MSH2", "MSH6", "PMS2", "SMAD4",
                                    "BMPR1A", "STK11", "PTEN", "TP53"}),
    "colon cancer": frozenset({"APC", "MUTYH", "MLH1", "MSH2", "MSH6", "PMS2"}),
    "lynch": frozenset({"MLH1", "MSH2", "MSH6", "PMS2"}),
    "polyposis": frozenset({"APC", "MUTYH", "SMAD4", "BMPR1A", "STK11"}),
    "cardiomyopathy": frozenset({"MYH7", "MYBPC3", "TNNT2", "TNNI3", "TPM1", "ACTC1", "MYL2",
                                 "MYL3", "PRKAG2", "LMNA", "TTN", "FLNC", "DES", "BAG3", "RBM20",
                                 "TNNC1", "PKP2", "DSP", "DSG2", "DSC2", "TMEM43", "GLA", "TTR"}),
    "long qt": frozenset({"KCNQ1", "KCNH2", "SCN5A", "CALM1", "CALM2", "CALM3", "TRDN"}),
    "arrhythmia": frozenset({"KCNQ1", "KCNH2", "SCN5A", "RYR2", "CASQ2", "CALM1", "CALM2", "CALM3"}),
    "hypercholesterol": frozenset({"LDLR", "APOB", "PCSK9"}),
    "aortic": frozenset({"FBN1", "ACTA2", "MYH11", "SMAD3", "TGFBR1", "TGFBR2", "COL3A1"}),
    "malignant hyperthermia": frozenset({"RYR1", "CACNA1S"}),
    "anaesthe": frozenset({"RYR1", "CACNA1S"}),
    "anesthe": frozenset({"RYR1", "CACNA1S"}),
    "cystic fibrosis": frozenset({"CFTR"}),
    "sickle": frozenset({"HBB"}),
    "thalass": frozenset({"HBB"}),
    "haemophilia": frozenset({"F8"}),
    "hemophilia": frozenset({"F8"}),
    "g6pd": frozenset({"G6PD"}),
    "haemochromatosis": frozenset({"HFE"}),
    "hemochromatosis": frozenset({"HFE"}),
    "wilson": frozenset({"ATP7B"}),
}


def indication_genes_from_text(indication: str | None, kb: RiskKnowledgeBase) -> set[str]:
    """Genes a free-text indication (sample sheet) points to.

    Matches known phrases ("phenylketonuria" -> PAH, "breast cancer" -> BRCA1/2, ...),
    gene symbols written in the text, and gene-table conditions containing the text.
    """
    if not indication:
        return set()
    text = indication.lower()
    genes: set[str] = set()
    for phrase, gs in INDICATION_GENES.items():
        if phrase in text:
            genes |= gs
    tokens = {t.strip(",;()") for t in indication.replace("/", " ").split()}
    genes |= {t for t in tokens if t in kb.genes}
    for g in kb.genes.values():
        cond = g.condition.lower()
        if len(text) >= 5 and (text in cond or cond in text):
            genes.add(g.gene)
    return genes & set(kb.genes)
