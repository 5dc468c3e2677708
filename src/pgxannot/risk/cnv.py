"""Copy-number calls: reading CNV VCFs / segment TSVs, gene amplification and HER2 status.

Thresholds (absolute copy number, tumour cells):

* amplified: ``CN >= amp_ploidy_factor * ploidy`` when the tumour ploidy is known,
  else ``CN >= amp_threshold`` (default 5, i.e. >= 2.5x a diploid genome);
* deleted (homozygous deletion): ``CN < 0.5``.

Only the clinically meaningful direction is reported per gene: gains of oncogenes,
deletions of tumour suppressors (role column of ``resources/genes/cnv_genes.tsv``).
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path

from pgxannot.errors import CnvError
from pgxannot.kb.risk import CivicEvidence, CnvGene, RiskKnowledgeBase
from pgxannot.risk.somatic import supported_in_tumour, therapies_from_evidence, tier_of
from pgxannot.vcf.genome import canonical_chrom

HER2_TUMOURS = ("breast", "gastric", "stomach", "gastroesophageal", "gastro-oesophageal",
                "esophagogastric", "oesophagogastric")
_AMP_NAMES = {"AMPLIFICATION", "COPY NUMBER GAIN"}
_DEL_NAMES = {"DELETION", "LOSS", "COPY NUMBER LOSS", "HOMOZYGOUS DELETION"}


@dataclass(frozen=True)
class Segment:
    """One copy-number segment (1-based inclusive coordinates)."""

    chrom: str
    start: int
    end: int
    copy_number: float | None  # total copies; None when the file gives only a type
    svtype: str | None = None  # DEL / DUP / CNV (VCF input)
    major: int | None = None
    minor: int | None = None

    @property
    def label(self) -> str:
        return f"{self.chrom}:{self.start}-{self.end}"


# --------------------------------------------------------------------------- reading
def _open(path: Path) -> io.TextIOBase:
    try:
        with path.open("rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
        if gz:
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
        return path.open(encoding="utf-8")
    except OSError as exc:
        raise CnvError(f"cannot read copy-number file: {exc.strerror}", path=path,
                       hint="check the sample sheet's cnv column") from exc


def read_cnv(path: Path | str, build: str = "GRCh38", *, sample: str | None = None) -> list[Segment]:
    """Read a CNV VCF (``<DEL>/<DUP>/<CNV>``, ``END``, ``CN`` in INFO or FORMAT) or a
    segment TSV (``Chromosome Start End`` + ``CN`` or ``nMajor nMinor``).

    ``sample`` picks the FORMAT column of a multi-sample VCF (default: the first).
    Malformed lines raise :class:`CnvError` naming the file and line. ``build`` is
    recorded by the caller; coordinates are taken as given.
    """
    path = Path(path)
    with _open(path) as fh:
        try:
            lines = fh.read().splitlines()
        except UnicodeDecodeError as exc:
            raise CnvError("copy-number file is not text (or a corrupt gzip)", path=path) from exc
    if lines and lines[0].startswith("##fileformat=VCF"):
        return _read_vcf(path, lines, sample)
    return _read_tsv(path, lines)


def _num(text: str, path: Path, lineno: int, what: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise CnvError(f"non-numeric {what} {text!r}", path=path, where=f"line {lineno}",
                       hint="fix or remove the line") from exc


def _int(text: str, path: Path, lineno: int, what: str) -> int:
    value = _num(text, path, lineno, what)
    if value != int(value):
        raise CnvError(f"non-integer {what} {text!r}", path=path, where=f"line {lineno}")
    return int(value)


def _check(seg: Segment, path: Path, lineno: int) -> Segment:
    if seg.start < 1 or seg.end < seg.start:
        raise CnvError(f"inverted or invalid coordinates {seg.start}-{seg.end}", path=path,
                       where=f"line {lineno}", hint="segments need 1 <= start <= end")
    if seg.copy_number is not None and seg.copy_number < 0:
        raise CnvError(f"negative copy number {seg.copy_number}", path=path, where=f"line {lineno}")
    return seg


_TSV_ALIASES = {
    "chrom": ("chromosome", "chrom", "chr", "#chrom", "#chromosome", "contig"),
    "start": ("start", "chromstart", "loc.start", "start.pos", "segment_start"),
    "end": ("end", "chromend", "stop", "loc.end", "end.pos", "segment_end"),
    "cn": ("cn", "copy_number", "copynumber", "total_cn", "tcn", "copy.number"),
    "major": ("nmajor", "major_cn", "cn_major", "major"),
    "minor": ("nminor", "minor_cn", "cn_minor", "minor"),
}


def _read_tsv(path: Path, lines: list[str]) -> list[Segment]:
    rows = [(n, line) for n, line in enumerate(lines, start=1)
            if line.strip() and not line.startswith("##") and not (
                line.startswith("#") and not line.lower().startswith(("#chrom",)))]
    if not rows:
        raise CnvError("empty copy-number file", path=path)
    head_n, head = rows[0]
    cols = [c.strip().lower() for c in head.split("\t")]
    idx: dict[str, int] = {}
    for key, names in _TSV_ALIASES.items():
        for name in names:
            if name in cols:
                idx[key] = cols.index(name)
                break
    if not {"chrom", "start", "end"} <= set(idx) or not ("cn" in idx or {"major", "minor"} <= set(idx)):
        raise CnvError("segment TSV needs columns Chromosome, Start, End and CN (or nMajor and nMinor)",
                       path=path, where=f"line {head_n}",
                       hint=f"found columns: {', '.join(head.split(chr(9)))}")
    out = []
    for n, line in rows[1:]:
        f = line.split("\t")
        if len(f) < len(cols):
            raise CnvError(f"expected {len(cols)} columns, found {len(f)}", path=path,
                           where=f"line {n}")
        start = _int(f[idx["start"]], path, n, "Start")
        end = _int(f[idx["end"]], path, n, "End")
        major = minor = None
        if "cn" in idx and f[idx["cn"]] not in ("", "NA", "."):
            cn: float | None = _num(f[idx["cn"]], path, n, "CN")
        else:
            cn = None
        if "major" in idx and "minor" in idx:
            major = _int(f[idx["major"]], path, n, "nMajor")
            minor = _int(f[idx["minor"]], path, n, "nMinor")
            if cn is None:
                cn = float(major + minor)
        out.append(_check(Segment(canonical_chrom(f[idx["chrom"]]), start, end, cn, None,
                                  major, minor), path, n))
    return out


def _read_vcf(path: Path, lines: list[str], sample: str | None) -> list[Segment]:
    out = []
    samples: list[str] = []
    for n, line in enumerate(lines, start=1):
        if line.startswith("##") or not line.strip():
            continue
        f = line.split("\t")
        if line.startswith("#CHROM"):
            samples = f[9:]
            continue
        if len(f) < 8:
            raise CnvError("VCF record with fewer than 8 columns", path=path, where=f"line {n}")
        info = dict(item.partition("=")[::2] for item in f[7].split(";") if item)
        alt = f[4]
        svtype = info.get("SVTYPE") or alt.strip("<>").split(":")[0]
        if svtype not in {"DEL", "DUP", "CNV", "AMP"} and not alt.startswith("<"):
            continue  # a small variant in a mixed VCF
        pos = _int(f[1], path, n, "POS")
        if "END" not in info:
            raise CnvError("CNV record without INFO END", path=path, where=f"line {n}",
                           hint="add END=<last position> to the record")
        end = _int(info["END"], path, n, "END")
        cn = None
        if "CN" in info:
            cn = _num(info["CN"], path, n, "CN")
        elif len(f) > 9:
            keys = f[8].split(":")
            col = 9 + (samples.index(sample) if sample in samples else 0)
            if "CN" in keys and col < len(f):
                values = f[col].split(":")
                k = keys.index("CN")
                if k < len(values) and values[k] not in (".", ""):
                    cn = _num(values[k], path, n, "CN")
        # VCF POS of a symbolic SV is the base before the event
        start = pos + 1 if alt.startswith("<") and end > pos else pos
        out.append(_check(Segment(canonical_chrom(f[0]), start, end, cn, svtype), path, n))
    return out


# --------------------------------------------------------------------------- findings
def _gene_cn(gene: CnvGene, segments: list[Segment]) -> tuple[Segment | None, list[Segment]]:
    """The segment covering most of the gene, and every overlapping segment."""
    over = [s for s in segments if s.chrom == gene.chrom and s.start <= gene.end and s.end >= gene.start]
    if not over:
        return None, []
    best = max(over, key=lambda s: min(s.end, gene.end) - max(s.start, gene.start))
    return best, over


def _civic_cnv_evidence(kb: RiskKnowledgeBase, gene: str, names: set[str]) -> list[CivicEvidence]:
    return [e for e in kb.civic if e.gene == gene and e.variant.upper() in names]


def is_her2_tumour(tumor_type: str | None) -> bool:
    return tumor_type is not None and any(t in tumor_type.lower() for t in HER2_TUMOURS)


def her2_headline(therapies: list[dict], tumor_type: str | None) -> str:
    """What an ERBB2 amplification means for a HER2-relevant tumour, naming only therapies
    with CIViC level A evidence supporting sensitivity in the patient's tumour type."""
    level_a = supported_in_tumour(therapies, levels="A")
    where = f"in {tumor_type}" if tumor_type else "in this tumour type"
    if level_a:
        claim = (f"HER2-positive by copy number: CIViC level A evidence {where} supports "
                 f"HER2-directed therapy ({', '.join(level_a)})")
    else:
        claim = (f"HER2-positive by copy number; CIViC has no level A therapy evidence {where} "
                 "(other evidence is listed by tumour type)")
    return claim + "; confirm by IHC/ISH as the ASCO/CAP HER2 testing guideline requires"


def _cnv_finding(gene: CnvGene, state: str, cn: float, tumor_type: str | None,
                 evidence: list[CivicEvidence], therapies: list[dict], tier: str, text: str) -> dict:
    return {
        "category": "copy_number",
        "gene": gene.gene,
        "variant": f"{gene.chrom}:{gene.start}-{gene.end}",
        "classification": state,
        "zygosity": None,
        "condition": tumor_type,
        "evidence": [{"source": "CIViC", "id": e.evidence_id,
                      "detail": f"{e.variant} in {e.disease}: {e.evidence_type}, level {e.level}, "
                                f"{e.significance}" + (f" ({', '.join(e.therapies)})" if e.therapies else ""),
                      "url": e.url} for e in evidence[:50]],
        "interpretation": text + ".",
        "inheritance": None,
        "stars": None,
        "review_status": None,
        "tier": tier,
        "therapies": therapies,
        "copy_number": cn,
        "incidental": False,
        "phase_known": None,
        "high_risk": tier == "I",
    }


def copy_number_findings(segments: list[Segment], kb: RiskKnowledgeBase, *,
                         ploidy: float | None = None, amp_threshold: float = 5.0,
                         amp_ploidy_factor: float = 2.5, tumor_type: str | None = None,
                         build: str = "GRCh38") -> tuple[list[dict], str | None]:
    """Amplified oncogenes / deleted tumour suppressors, and the HER2 (ERBB2) status.

    Returns ``(findings, her2_status)``; ``her2_status`` is "amplified", "not amplified"
    or "not assessed" (no segment covers ERBB2, or its copy number is unknown) for
    breast and gastric/gastro-oesophageal tumours, and None for other tumour types.
    """
    threshold = amp_ploidy_factor * ploidy if ploidy else amp_threshold
    basis = (f"{amp_ploidy_factor} x tumour ploidy {ploidy:g}" if ploidy
             else f"absolute copy number >= {amp_threshold:g}")
    findings = []
    her2: str | None = "not assessed" if is_her2_tumour(tumor_type) else None
    for gene in kb.cnv_genes.get(build, ()):
        seg, over = _gene_cn(gene, segments)
        if seg is None or seg.copy_number is None:
            continue
        cn = seg.copy_number
        amplified = gene.role == "oncogene" and cn >= threshold
        deleted = gene.role == "tumour_suppressor" and cn < 0.5
        if gene.gene == "ERBB2" and her2 is not None:
            her2 = "amplified" if cn >= threshold else "not amplified"
        if not (amplified or deleted):
            continue
        names = _AMP_NAMES if amplified else _DEL_NAMES
        evidence = _civic_cnv_evidence(kb, gene.gene, names)
        therapies = therapies_from_evidence(evidence, tumor_type)
        tier = tier_of(evidence, tumor_type) if evidence else "III"
        state = "amplified" if amplified else "deleted"
        text = (f"{gene.gene} {state}: {cn:g} copies over {seg.label} "
                f"(threshold: {basis})" if amplified else
                f"{gene.gene} homozygous deletion: {cn:g} copies over {seg.label}")
        if len(over) > 1:
            text += f"; {len(over)} segments overlap the gene"
        if gene.gene == "ERBB2" and amplified and her2 is not None:
            text += ". " + her2_headline(therapies, tumor_type)
        findings.append(_cnv_finding(gene, state, cn, tumor_type, evidence, therapies, tier, text))
    return findings, her2
