"""Risk findings: germline pathogenic screen (ClinVar), copy number (HER2), somatic (CIViC).

Public API (all findings are dicts in the report's ``findings`` shape)::

    kb = load_risk_kb()                                   # bundled resources/
    germline_regions(kb, extra_genes=(), bed=None)        # regions for the VCF reader
    screen_germline(records, samples, kb, secondary_findings=..., indication_genes=...)
    germline_limitations(kb, secondary_findings=...)
    indication_genes_from_text("phenylketonuria", kb)      # sample sheet 'indication' -> genes
    read_cnv(path, build="GRCh38")                        # -> [Segment]
    copy_number_findings(segments, kb, tumor_type=...)    # -> (findings, her2_status)
    somatic_findings(records, kb, tumor_type=..., sample_index=0)
    chemo_pgx_crossref(findings, gene_call_dicts, tumor_type=...)
"""

from pgxannot.kb.risk import RiskKnowledgeBase, load_risk_kb
from pgxannot.risk.cnv import Segment, copy_number_findings, read_cnv
from pgxannot.risk.germline import (
    germline_limitations,
    germline_regions,
    indication_genes_from_text,
    screen_germline,
)
from pgxannot.risk.somatic import chemo_pgx_crossref, somatic_findings

__all__ = [
    "RiskKnowledgeBase",
    "Segment",
    "chemo_pgx_crossref",
    "copy_number_findings",
    "germline_limitations",
    "germline_regions",
    "indication_genes_from_text",
    "load_risk_kb",
    "read_cnv",
    "screen_germline",
    "somatic_findings",
]
