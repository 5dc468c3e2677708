"""Somatic evidence: CIViC matching, AMP/ASCO/CAP-style tiers, chemotherapy PGx cross-check.

Matching, in order, for each ALT the tumour sample carries:

1. by position and alleles: GRCh38 coordinates where the CIViC build mapped them (see
   :mod:`pgxannot.kb.build.civic`), CIViC's own GRCh37 coordinates for GRCh37 VCFs;
2. by gene + protein change from a VEP ``CSQ`` or SnpEff ``ANN`` annotation in
   ``record.info`` (``p.Val600Glu`` -> ``V600E``; also the codon, ``V600``).

Gene-level CIViC evidence ("MUTATION") is attached only to variants CIViC itself lists
for that gene (known functional/hotspot variants), never to unlisted variants.

Tiers (Li et al. 2017, AMP/ASCO/CAP somatic variant guideline, simplified):

* I: level A or B evidence supporting the variant in the patient's tumour type;
* II: level A/B evidence in another tumour type, or level C/D evidence;
* III: a protein-altering variant in a CIViC cancer gene without matching evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pgxannot.kb.risk import CivicEvidence, RiskKnowledgeBase
from pgxannot.vcf.model import VariantRecord
from pgxannot.vcf.normalize import trim_alleles

_LEVEL_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 4}

TUMOUR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "breast": ("breast",),
    "colorectal": ("colorectal", "colon", "rectal", "rectum", "large intestine"),
    "lung": ("lung", "nsclc", "non-small cell"),
    "gastric": ("gastric", "stomach", "gastroesophageal", "gastro-oesophageal", "esophagogastric"),
    "esophageal": ("esophag", "oesophag"),
    "melanoma": ("melanoma",),
    "ovarian": ("ovarian", "ovary", "fallopian"),
    "prostate": ("prostate",),
    "pancreatic": ("pancrea",),
    "thyroid": ("thyroid",),
    "glioma": ("glioma", "glioblastoma", "astrocytoma", "oligodendroglioma"),
    "leukemia": ("leukemia", "leukaemia"),
    "lymphoma": ("lymphoma",),
    "bladder": ("bladder", "urothelial"),
    "endometrial": ("endometri", "uterine"),
    "kidney": ("renal", "kidney"),
    "liver": ("hepatocellular", "liver"),
    "head and neck": ("head and neck", "oral", "salivary"),
    "gist": ("gastrointestinal stromal", "gist"),
    "cholangiocarcinoma": ("cholangiocarcinoma", "biliary"),
    "sarcoma": ("sarcoma",),
}
_PAN_CANCER = {"cancer", "solid tumor", "solid tumour"}

_AA3 = {"Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
        "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
        "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
        "Sec": "U", "Xaa": "X"}
_HGVSP = re.compile(r"p\.\(?([A-Z][a-z]{2}\d+[^\s|,)]*)\)?")
_PROTEIN_ALTERING = ("missense", "stop_gained", "frameshift", "inframe", "start_lost",
                     "stop_lost", "splice_acceptor", "splice_donor", "protein_altering")


# --------------------------------------------------------------------------- tumour types
def _groups(text: str) -> set[str]:
    t = text.lower()
    return {g for g, syns in TUMOUR_SYNONYMS.items() if g in t or any(s in t for s in syns)}


def tumour_matches(disease: str | None, tumor_type: str | None) -> bool:
    """Does a CIViC disease name apply to the patient's tumour type?"""
    if not disease or not tumor_type:
        return False
    d = disease.lower().strip()
    if d in _PAN_CANCER:
        return True
    groups = _groups(tumor_type)
    if groups:
        return any(s in d for g in groups for s in (g, *TUMOUR_SYNONYMS[g]))
    t = tumor_type.lower().strip()
    return t in d or d in t


# --------------------------------------------------------------------------- evidence
def _supports(e: CivicEvidence) -> bool:
    return e.direction == "Supports"


def tier_of(evidence: Sequence[CivicEvidence], tumor_type: str | None) -> str:
    """AMP/ASCO/CAP-style tier of a variant from its CIViC evidence."""
    clinical = [e for e in evidence if _supports(e) and e.evidence_type in
                {"Predictive", "Diagnostic", "Prognostic"}]
    if any(e.level in {"A", "B"} and tumour_matches(e.disease, tumor_type) for e in clinical):
        return "I"
    if clinical:
        return "II"
    return "III"


def therapies_from_evidence(evidence: Iterable[CivicEvidence],
                            tumor_type: str | None) -> list[dict]:
    """Predictive CIViC evidence -> therapy entries, patient's tumour type and best level first.

    Each entry says whether CIViC's disease matches the patient's tumour type
    (``in_tumour_type``) and the evidence direction (``direction``: ``supports`` or
    ``does_not_support``), so renderers group and label without re-matching.
    """
    seen: set[tuple[str, str, str, str]] = set()
    out: list[dict[str, Any]] = []
    for e in evidence:
        if e.evidence_type != "Predictive" or not e.therapies:
            continue
        significance = e.significance + ("" if _supports(e) else " (evidence does not support)")
        citation = e.citation + (f", PMID {e.pmid}" if e.pmid else "") + f"; CIViC EID{e.evidence_id}"
        for therapy in e.therapies:
            key = (therapy, e.level, significance, e.disease)
            if key in seen:
                continue
            seen.add(key)
            out.append({"therapy": therapy, "evidence_level": e.level,
                        "significance": significance, "tumor_type": e.disease,
                        "citation": citation,
                        "direction": "supports" if _supports(e) else "does_not_support",
                        "in_tumour_type": tumour_matches(e.disease, tumor_type)})
    out.sort(key=lambda t: (not t["in_tumour_type"], t["direction"] != "supports",
                            _LEVEL_ORDER.get(str(t["evidence_level"]), 9), str(t["therapy"])))
    return out


def supported_in_tumour(therapies: Iterable[Mapping], *, levels: str = "AB") -> list[str]:
    """Therapies with supporting sensitivity evidence of ``levels`` in the patient's tumour
    type, best level first, each once (no resistance, no "does not support")."""
    names = [t["therapy"] for t in therapies
             if t.get("in_tumour_type") and t.get("direction") == "supports"
             and str(t.get("significance", "")).startswith("Sensitivity")
             and t.get("evidence_level") and str(t["evidence_level"]) in levels]
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------- annotations
def hgvsp_to_short(hgvsp: str) -> str:
    """``p.Val600Glu``/``ENSP..:p.(His1047Arg)`` -> ``V600E``/``H1047R``; "" if unparsable."""
    m = _HGVSP.search(hgvsp)
    if not m:
        return ""
    text = m.group(1)
    text = re.sub(r"fs(Ter|\*)?\d*$", "fs", text)
    for three, one in _AA3.items():
        text = text.replace(three, one)
    if text.endswith("="):
        return ""
    return text.upper()


def consequence_annotations(record: VariantRecord, alt: str) -> list[tuple[str, str, str]]:
    """(gene, short protein change, consequence) from VEP CSQ / SnpEff ANN for ``alt``."""
    out = []
    for key in ("CSQ", "ANN"):
        raw = record.info.get(key)
        if not raw:
            continue
        entries = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        for entry in entries:
            f = str(entry).split("|")
            if len(f) < 4:
                continue
            allele = f[0]
            if len(record.alts) > 1 and allele not in {alt, alt[1:] or "-"}:
                continue
            pc = next((hgvsp_to_short(x) for x in f if "p." in x and hgvsp_to_short(x)), "")
            if f[3] and (pc or f[1]):
                out.append((f[3], pc, f[1]))
    return out


def _codon(pc: str) -> str:
    m = re.match(r"^([A-Z])(\d+)", pc)
    return m.group(0) if m else ""


def _position_keys(chrom: str, pos: int, ref: str, alt: str) -> list[tuple[str, int, str, str]]:
    """Keys in VCF style and in CIViC's anchor-less indel style."""
    p, r, a = trim_alleles(pos, ref, alt)
    keys = [(chrom, p, r, a)]
    if len(r) > len(a) == 1 and r[0] == a:  # deletion: CIViC gives deleted bases only
        keys.append((chrom, p + 1, r[1:], ""))
    if len(a) > len(r) == 1 and a[0] == r:  # insertion
        keys += [(chrom, p, "", a[1:]), (chrom, p + 1, "", a[1:])]
    return keys


# --------------------------------------------------------------------------- screen
def somatic_findings(records: Iterable[VariantRecord], kb: RiskKnowledgeBase, *,
                     tumor_type: str | None, sample_index: int,
                     build: str = "GRCh38") -> list[dict]:
    """CIViC-backed findings for the tumour sample at ``sample_index`` of the records.

    A sample with no genotype at a record (sites-only or GT missing) is taken to carry
    every ALT: tumour VCFs list called variants.
    """
    findings = []
    civic_genes = kb.civic_genes
    for record in records:
        gt = record.gt[sample_index] if record.gt.size else ()
        called = [int(x) for x in gt if x > 0]
        present = sorted(set(called)) if called else (
            list(range(1, len(record.alts) + 1)) if all(x < 0 for x in gt) else [])
        for k in present:
            alt = record.alts[k - 1]
            if not alt or alt in {"*", "."} or alt.startswith("<"):
                continue
            f = _match_one(record, alt, kb, tumor_type, build, civic_genes)
            if f is not None:
                findings.append(f)
    findings.sort(key=lambda f: ({"I": 0, "II": 1, "III": 2}.get(f["tier"], 3), f["gene"]))
    return findings


def somatic_evidence(items: Iterable[CivicEvidence]) -> list[CivicEvidence]:
    """Evidence that may tier a tumour variant: not germline-origin, not predisposition
    (germline PGx such as DPYD*2A goes through :func:`chemo_pgx_crossref` instead)."""
    return [e for e in items if "germline" not in e.origin.lower()
            and e.evidence_type not in {"Predisposing", "Functional"}]


def _match_one(record: VariantRecord, alt: str, kb: RiskKnowledgeBase, tumor_type: str | None,
               build: str, civic_genes: frozenset[str]) -> dict | None:
    matched: dict[str, CivicEvidence] = {}
    how = []
    for key in _position_keys(record.chrom, record.pos, record.ref, alt):
        for e in somatic_evidence(kb.civic_by_position(build, *key)):
            matched.setdefault(e.evidence_id, e)
    if matched:
        how.append(f"CIViC {build} position")
    notes = consequence_annotations(record, alt)
    gene = name = ""
    for g, pc, _ in notes:
        if not pc:
            continue
        hits = somatic_evidence([*kb.civic_by_name(g, pc), *kb.civic_by_name(g, _codon(pc))])
        if hits:
            how.append(f"{g} p.{pc} annotation")
            gene, name = g, pc
            for e in hits:
                matched.setdefault(e.evidence_id, e)
    if matched:
        specific = list(matched.values())
        gene = gene or specific[0].gene
        names = sorted({e.variant for e in specific if e.gene == gene})
        name = name or (specific[0].protein_change or specific[0].variant)
        # gene-level evidence applies to variants CIViC lists for the gene
        for e in somatic_evidence(kb.civic_by_name(gene, "MUTATION")):
            matched.setdefault(e.evidence_id, e)
        evidence = sorted(matched.values(), key=lambda e: (
            not tumour_matches(e.disease, tumor_type), _LEVEL_ORDER.get(e.level, 9), e.evidence_id))
        tier = tier_of(evidence, tumor_type)
        therapies = therapies_from_evidence(evidence, tumor_type)
        best = supported_in_tumour(therapies, levels="A")[:4]
        text = (f"{gene} {name} (CIViC: {', '.join(names)}); tier {tier} "
                f"({'strong' if tier == 'I' else 'potential'} clinical significance"
                + (f" in {tumor_type}" if tumor_type else "") + ")")
        if best:
            text += f". CIViC level A evidence in this tumour type supports: {', '.join(best)}"
        resist = sorted({t["therapy"] for t in therapies if t["significance"].startswith("Resistance")
                         and t["direction"] == "supports" and t["in_tumour_type"]})
        if resist:
            text += f". Evidence of resistance: {', '.join(resist)}"
        return _somatic_finding(record, alt, gene, f"Tier {tier}", evidence, text + ".",
                                tier, therapies, how)
    # tier III: protein-altering variant in a cancer gene, known only from annotation
    for g, pc, consequence in notes:
        if g in civic_genes and any(c in consequence for c in _PROTEIN_ALTERING):
            text = (f"{g} {('p.' + pc) if pc else consequence}: protein-altering variant in a "
                    "cancer gene without CIViC evidence (tier III, unknown significance).")
            return _somatic_finding(record, alt, g, "Tier III", [], text, "III", [],
                                    [f"{g} annotation"])
    return None


def _somatic_finding(record: VariantRecord, alt: str, gene: str, classification: str,
                     evidence: list[CivicEvidence], text: str, tier: str,
                     therapies: list[dict], how: list[str]) -> dict:
    return {
        "category": "somatic",
        "gene": gene,
        "variant": f"{record.chrom}:{record.pos}:{record.ref}:{alt}",
        "classification": classification,
        "zygosity": None,
        "condition": None,
        "evidence": [{"source": "CIViC", "id": e.evidence_id,
                      "detail": f"{e.gene} {e.variant} in {e.disease}: {e.evidence_type}, level {e.level}, "
                                f"{e.direction.lower()} {e.significance}"
                                + (f" ({', '.join(e.therapies)})" if e.therapies else "")
                                + f"; matched by {', '.join(how)}",
                      "url": e.url} for e in evidence[:60]],
        "interpretation": text,
        "inheritance": None,
        "stars": None,
        "review_status": None,
        "tier": tier,
        "therapies": therapies,
        "copy_number": None,
        "incidental": False,
        "phase_known": None,
        "high_risk": tier == "I",
    }


# --------------------------------------------------------------------------- chemo PGx
CHEMO_PGX: dict[str, tuple[tuple[str, ...], str]] = {
    "DPYD": (("capecitabine", "fluorouracil", "5-fluorouracil", "tegafur"),
             "CPIC fluoropyrimidine guideline"),
    "UGT1A1": (("irinotecan", "sacituzumab govitecan"), "irinotecan labelling / DPWG UGT1A1"),
    "TPMT": (("mercaptopurine", "thioguanine", "azathioprine"), "CPIC thiopurine guideline"),
    "NUDT15": (("mercaptopurine", "thioguanine", "azathioprine"), "CPIC thiopurine guideline"),
}
STANDARD_CHEMO: dict[str, tuple[str, ...]] = {
    "colorectal": ("fluorouracil", "capecitabine", "irinotecan"),
    "gastric": ("fluorouracil", "capecitabine"),
    "esophageal": ("fluorouracil", "capecitabine"),
    "pancreatic": ("fluorouracil", "irinotecan"),
    "breast": ("capecitabine",),
    "head and neck": ("fluorouracil",),
    "leukemia": ("mercaptopurine", "thioguanine"),
}
_NORMAL = ("normal metabolizer", "normal function")


def chemo_pgx_crossref(findings: Iterable[Mapping], gene_calls_dicts: Iterable[Mapping], *,
                       tumor_type: str | None = None) -> list[str]:
    """Notes linking chemotherapies in the findings (or standard for the tumour type) to
    the patient's germline DPYD/UGT1A1/TPMT/NUDT15 calls (``GeneCall.to_dict()`` dicts)."""
    drugs: dict[str, str] = {}
    for f in findings:
        # only therapies the evidence supports in the patient's own tumour type: an
        # irinotecan combination studied in lung cancer is no reason to name it for a breast tumour
        for therapy in supported_in_tumour(f.get("therapies", []), levels="ABCDE"):
            for d in therapy.lower().split(" + "):
                drugs.setdefault(d.strip(), f"evidence for {f.get('gene')} in this tumour type")
    for group in _groups(tumor_type or ""):
        for d in STANDARD_CHEMO.get(group, ()):
            drugs.setdefault(d, f"standard in {group} cancer")
    calls = {str(c.get("gene")): c for c in gene_calls_dicts}
    notes = []
    for gene, (gene_drugs, guideline) in CHEMO_PGX.items():
        hit = [d for d in gene_drugs if d in drugs]
        if not hit:
            continue
        why = "; ".join(f"{d} ({drugs[d]})" for d in hit)
        call = calls.get(gene)
        if call is None or call.get("status") == "not_called":
            reason = f": {call.get('reason')}" if call and call.get("reason") else ""
            notes.append(f"{why}: {gene} was not called{reason}. Genotype {gene} before prescribing "
                         f"({guideline}).")
            continue
        phen = call.get("phenotype") or "/".join(
            str(c.get("phenotype")) for c in call.get("candidates", [])) or "phenotype unknown"
        dip = ", ".join(call.get("diplotypes", [])) or "?"
        score = f", activity score {call['activity_score']}" if call.get("activity_score") else ""
        if call.get("status") == "ambiguous":
            action = "the call is ambiguous: resolve it before dosing"
        elif str(phen).lower().startswith(_NORMAL):
            action = "standard dosing"
        else:
            action = "adjust or avoid per guideline before the first dose"
        notes.append(f"{why}: {gene} {dip} ({phen}{score}): {action} ({guideline}).")
    return notes
