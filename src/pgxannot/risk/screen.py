"""The risk stage of one chunk of samples: germline ClinVar screen, copy number, somatic
evidence, and what each screen could and could not do (limitations, assumptions).

The germline screen streams the gene regions once for all samples of the chunk; copy
number comes from each sample's CNV file; somatic evidence is matched for tumour samples.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pysam

from pgxannot.config import SampleRow
from pgxannot.errors import InputFileError
from pgxannot.kb.risk import RiskKnowledgeBase
from pgxannot.risk.cnv import Segment, copy_number_findings, is_her2_tumour, read_cnv
from pgxannot.risk.germline import (
    germline_limitations,
    germline_regions,
    indication_genes_from_text,
    screen_germline,
)
from pgxannot.risk.somatic import somatic_findings
from pgxannot.vcf.variants import iter_variants

log = logging.getLogger("pgxannot")


@dataclass
class RiskResult:
    """Findings of one sample and what the screens could and could not do."""

    findings: list[dict]
    her2_status: str | None
    secondary_findings_status: str
    analyses: dict[str, bool]
    limitations: list[str]
    assumptions: list[str]


TUMOUR_ORIGIN_NOTE = ("Seen in a tumour sample without a matched normal: germline origin is not "
                      "established; confirm in a blood or saliva sample before acting on it. ")
SOMATIC_ASSUMPTION = ("Somatic evidence (CIViC) was matched on every variant of the sample's VCF; "
                      "germline and somatic origin are not distinguished without a matched normal.")
NO_CNV_LIMITATION = ("HER2 (ERBB2) copy number not assessed: no copy-number file was given "
                     "(sample sheet column 'cnv').")


def germline_not_performed(table_build: str, build: str) -> str:
    return (f"Germline screen not performed: the ClinVar table in use is {table_build} and "
            f"this run is {build}. Install and select a {build} ClinVar release "
            "(pgxannot kb update clinvar --url ...; knowledge_base.clinvar) to screen it.")


def read_cnv_inputs(rows: Sequence[SampleRow], build: str) -> dict[str, list[Segment]]:
    """Every sample's copy-number file, read (and checked) before anything else is done."""
    return {r.sample: read_cnv(r.cnv, build, sample=r.sample) for r in rows if r.cnv is not None}


def annotate_risk(vcfs: Sequence[Path], rows: Sequence[SampleRow], kb: RiskKnowledgeBase, *,
                  cnv: Mapping[str, list[Segment]], cfg: Mapping[str, Any], build: str,
                  index_dir: Path | None) -> dict[str, RiskResult]:
    """Germline ClinVar screen (one streamed pass over the gene regions for all samples),
    copy number from each sample's CNV file, and somatic evidence for tumour samples."""
    germline_ok = kb.clinvar_build == build
    if germline_ok:
        germline = _screen_germline(vcfs, rows, kb, cfg.get("germline", {}), build=build,
                                    index_dir=index_dir)
    else:
        germline = {}
        log.warning("germline screen skipped: the ClinVar table is %s, the run is %s", kb.clinvar_build, build)
    ids = [r.sample for r in rows]
    out: dict[str, RiskResult] = {}
    for i, r in enumerate(rows):
        result = _germline_result(r, germline.get(r.sample, []), kb, germline_ok=germline_ok, build=build)
        if r.cnv is not None:
            cn_findings, result.her2_status = _copy_number(cnv[r.sample], r, kb, cfg.get("copy_number", {}),
                                                           build=build)
            result.findings.extend(cn_findings)
        elif is_her2_tumour(r.tumor_type):
            result.her2_status = "not assessed"
            result.limitations.append(NO_CNV_LIMITATION)
        if r.tumor_type:
            tumour_records = iter_variants(vcfs, samples=ids, build=build, index_dir=index_dir,
                                           info_keys=("CSQ", "ANN"))
            result.findings.extend(somatic_findings(tumour_records, kb, tumor_type=r.tumor_type,
                                                    sample_index=i, build=build))
            result.assumptions.append(SOMATIC_ASSUMPTION)
        out[r.sample] = result
    return out


def _screen_germline(vcfs: Sequence[Path], rows: Sequence[SampleRow], kb: RiskKnowledgeBase,
                     germ_cfg: Mapping[str, Any], *, build: str, index_dir: Path | None) -> dict[str, list[dict]]:
    ids = [r.sample for r in rows]
    regions = germline_regions(kb, germ_cfg.get("extra_genes", ()), germ_cfg.get("regions_bed"))
    fasta = open_fasta(germ_cfg.get("reference_fasta"))
    records = iter_variants(vcfs, samples=ids, regions=regions, build=build, index_dir=index_dir)
    return screen_germline(
        records, ids, kb,
        secondary_findings={r.sample: r.secondary_findings for r in rows},
        indication_genes={r.sample: indication_genes_from_text(r.indication, kb) for r in rows},
        sex={r.sample: r.sex for r in rows}, fasta=fasta, build=build,
    )


def _germline_result(r: SampleRow, germline: list[dict], kb: RiskKnowledgeBase, *, germline_ok: bool,
                     build: str) -> RiskResult:
    """A sample's result with its germline findings; copy number and somatic are added after."""
    findings = list(germline)
    if r.tumor_type:
        # a tumour VCF without a matched normal: a ClinVar-pathogenic hit may be somatic
        findings = [{**f, "interpretation": TUMOUR_ORIGIN_NOTE + str(f.get("interpretation") or "")}
                    for f in findings]
    if germline_ok:
        limitations = germline_limitations(kb, secondary_findings=r.secondary_findings)
    else:
        limitations = [germline_not_performed(kb.clinvar_build, build)]
    return RiskResult(
        findings=findings, her2_status=None,
        secondary_findings_status="reported" if r.secondary_findings else "not analysed on request",
        analyses={"germline": germline_ok, "copy_number": r.cnv is not None, "somatic": bool(r.tumor_type)},
        limitations=limitations, assumptions=[])


def _copy_number(segments: list[Segment], r: SampleRow, kb: RiskKnowledgeBase, cn_cfg: Mapping[str, Any], *,
                 build: str) -> tuple[list[dict], str | None]:
    return copy_number_findings(
        segments, kb, ploidy=cn_cfg.get("ploidy"),
        amp_threshold=float(cn_cfg.get("amplification_cn", 5)),
        amp_ploidy_factor=float(cn_cfg.get("amplification_ploidy_factor", 2.5)),
        tumor_type=r.tumor_type, build=build)


def open_fasta(path: str | None) -> pysam.FastaFile | None:
    """The reference FASTA of the germline screen (left-alignment of indels), if configured."""
    if not path:
        return None
    try:
        return pysam.FastaFile(str(path))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"reference FASTA cannot be opened ({exc})", path=path,
                             hint="give a bgzipped or plain FASTA with its .fai index (samtools faidx)") from None
