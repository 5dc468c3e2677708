"""A coordinate holding a defining SNV and an ignored indel, read from a real VCF (#17)."""

from __future__ import annotations

import numpy as np
import pytest

from pgxannot.kb.pgx import gene_table
from pgxannot.pgx import call_samples, pgx_sites
from pgxannot.vcf.model import HAPLOID
from pgxannot.vcf.sites import _combine, read_site_genotypes

HEADER = ("##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
          "##contig=<ID=chrX,length=156040895>\n##contig=<ID=chr19,length=58617616>\n"
          "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tHOM\tDEL\tHET\n")


def _vcf(tmp_path, records):
    path = tmp_path / "shared.vcf"
    path.write_text(HEADER + "".join("\t".join(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_g6pd_snv_and_ignored_deletion_at_one_coordinate(tmp_path):
    # chrX:154532990: rs5030869 C>T (Chatham) and the deletion CGGT>C that PharmCAT ignores
    # (Villeurbanne). Both records at one POS, as a normalised VCF writes them.
    path = _vcf(tmp_path, [
        ("chrX", "154532990", ".", "CGGT", "C", ".", "PASS", ".", "GT", "0/0", "0/1", "0/0"),
        ("chrX", "154532990", "rs5030869", "C", "T", ".", "PASS", ".", "GT", "1/1", "0/0", "0/1"),
    ])
    sg = read_site_genotypes([path], pgx_sites(genes=["G6PD"]))
    calls = {s: c[0] for s, c in call_samples(sg, genes=["G6PD"], sexes=dict.fromkeys(sg.samples, "female"),
                                                   missing_as_reference=True).items()}
    assert calls["HOM"].diplotypes == ("Chatham/Chatham",) and calls["HOM"].phenotype == "Deficient"
    assert calls["HET"].diplotypes == ("B (reference)/Chatham",)
    # the ignored deletion is not in the definitions: reference, as PharmCAT does for G6PD, and said so
    assert calls["DEL"].diplotypes == ("B (reference)/B (reference)",)
    assert any("chrX:154532990" in w and "treated as reference" in w for w in calls["DEL"].warnings)


def test_ryr1_snv_beside_ignored_deletion(tmp_path):
    path = _vcf(tmp_path, [
        ("chr19", "38580126", "rs193922877", "CA", "C", ".", "PASS", ".", "GT", "0/0", "0/1", "0/0"),
        ("chr19", "38580126", ".", "C", "G", ".", "PASS", ".", "GT", "1/1", "0/0", "0/1"),
    ])
    sg = read_site_genotypes([path], pgx_sites(genes=["RYR1"]))
    calls = {s: c[0] for s, c in call_samples(sg, genes=["RYR1"], missing_as_reference=True).items()}
    assert calls["HOM"].diplotypes == ("c.14509C>G/c.14509C>G",)
    assert calls["HET"].diplotypes == ("Reference/c.14509C>G",)
    assert calls["DEL"].diplotypes == ("Reference/Reference",)
    assert gene_table("RYR1").undocumented_as_reference


@pytest.mark.parametrize(("cur", "new", "want"), [
    ((0, 0), (2, 2), (2, 2)),  # regression: a homozygous second record was merged as heterozygous
    ((1, 0), (0, 2), (1, 2)),  # split multi-allelic 1/2 (bcftools norm -m-)
    ((0, 1), (0, 2), (2, 1)),  # the same, both records writing the alternate second
    ((1, 0), (1, 0), (1, 0)),  # a repeated record adds nothing
    ((1, 0), (0, 1), (1, 0)),  # ... whichever slot it names
    ((0, HAPLOID), (2, HAPLOID), (2, HAPLOID)),  # hemizygous
    ((1, 1), (2, 0), None),  # three alternate copies: conflict
    ((1, 0), (2, 2), None),
])
def test_combining_two_records_at_one_site(cur, new, want):
    got = _combine(np.array(cur, dtype=np.int16), np.array(new, dtype=np.int16))
    assert (got is None and want is None) or tuple(int(x) for x in got) == want
