"""Terminology the renderers code with: HGNC ids of genes, RxNorm ids of drugs, gene strand.

Facts come from the bundled knowledge base: ``resources/genes/gene_codes.tsv`` (built by
:mod:`pgxannot.kb.build.hgnc` from HGNC's complete set) and the ``drug_id`` column of the
CPIC drug table (``RxNorm:5470``). Lookups only: no call is computed here. A name the
tables do not know returns None and the renderer writes text only.
"""

from __future__ import annotations

import csv
from functools import cache

from pgxannot.kb.cpic import load_guidance_kb
from pgxannot.paths import resources_dir

HGNC_SYSTEM = "http://www.genenames.org/geneId"
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
GENE_CODES = ("genes", "gene_codes.tsv")


@cache
def _gene_table() -> dict[str, tuple[str, str]]:
    path = resources_dir().joinpath(*GENE_CODES)
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["gene"]: (r["hgnc_id"], r["strand"]) for r in csv.DictReader(fh, delimiter="\t")}


def hgnc_id(gene: str) -> str | None:
    """``HGNC:3430`` for ``ERBB2``; None when the gene is not in the table."""
    hit = _gene_table().get(gene)
    return hit[0] if hit else None


def strand(gene: str) -> str | None:
    """``+`` or ``-`` for pharmacogenes PyPGx lists; None otherwise."""
    hit = _gene_table().get(gene)
    return hit[1] if hit and hit[1] else None


@cache
def _rxnorm_table() -> dict[str, str]:
    kb = load_guidance_kb()
    return {name: info.drug_id.split(":", 1)[1] for name, info in kb.drugs.items()
            if info.drug_id.startswith("RxNorm:")}


def rxnorm_id(drug: str) -> str | None:
    """RxNorm concept id of a CPIC drug name (``hydralazine`` -> ``5470``), else None."""
    return _rxnorm_table().get(drug)
