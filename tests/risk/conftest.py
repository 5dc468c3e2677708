"""Fixtures of the risk tests: the bundled risk knowledge base and a cyvcf2-based reader.

``read_records`` turns a VCF into :class:`VariantRecord` objects the way the VCF layer
does (canonical ``chr`` names, -1 missing, -2 haploid), so these tests do not depend on
``pgxannot.vcf``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pgxannot.kb.risk import RiskKnowledgeBase, load_risk_kb
from pgxannot.vcf.genome import canonical_chrom
from pgxannot.vcf.model import VariantRecord

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def risk_kb() -> RiskKnowledgeBase:
    return load_risk_kb(ROOT / "resources")


def iter_records(path: Path | str, *, info_keys: tuple[str, ...] = ()) -> Iterator[VariantRecord]:
    from cyvcf2 import VCF

    vcf = VCF(str(path), gts012=False, strict_gt=False)
    for v in vcf:
        arr = v.genotype.array() if v.genotype is not None else np.full((len(vcf.samples), 3), -1)
        gt = np.asarray(arr[:, :2], dtype=np.int16)
        phased = np.asarray(arr[:, 2], dtype=bool)
        info = {k: v.INFO.get(k) for k in info_keys if v.INFO.get(k) is not None}
        yield VariantRecord(canonical_chrom(v.CHROM), v.POS, v.REF, tuple(v.ALT), gt, phased,
                            info, v.ID)
    vcf.close()


@pytest.fixture(scope="session")
def read_records():
    return lambda path, **kw: list(iter_records(path, **kw))


def write_vcf(path: Path, samples: list[str], rows: list[str]) -> Path:
    """A small VCF: ``rows`` are tab-separated data lines (CHROM..FORMAT+samples)."""
    header = [
        "##fileformat=VCFv4.2",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp">',
        '##INFO=<ID=ANN,Number=.,Type=String,Description="SnpEff">',
    ]
    for c in [*range(1, 23), "X", "Y"]:
        header.append(f"##contig=<ID=chr{c}>")
    header.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples))
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def make_vcf(tmp_path):
    def make(samples: list[str], rows: list[str], name: str = "t.vcf") -> Path:
        return write_vcf(tmp_path / name, samples, rows)
    return make
