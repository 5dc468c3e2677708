"""Calling GRCh37 VCFs through the GRCh37 map: gaps are named, never assumed reference."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import pgxannot.pgx.caller as caller
from pgxannot.kb.pgx import gene_table
from pgxannot.pgx import call_samples, pgx_sites
from pgxannot.vcf.sites import read_site_genotypes

HEADER = "##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
# 1000 Genomes samples in both panels, one per kind of UGT1A1 call (GRCh38 30x calls, same people):
# *1/*80+*28, *1/*1, *80+*28/*80+*28, *1/*6, *6/*80+*28, *6/*6, *1/*28
UGT1A1_SAMPLES = ["HG00096", "HG00100", "HG00103", "HG00187", "HG00323", "HG00452", "HG01710"]


def _vcf(tmp_path: Path, records: list[str], name: str = "s37.vcf") -> Path:
    """A one-sample GRCh37 VCF (b37 names: ``2``, ``7``, ...); records are 'CHROM POS REF ALT GT'."""
    lines = [HEADER + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts\n"]
    for r in records:
        chrom, pos, ref, alt, gt = r.split()
        lines.append(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT\t{gt}\n")
    path = tmp_path / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _call37(path: Path, gene: str, *, missing_as_reference: bool = True):
    sg = read_site_genotypes([path], pgx_sites("GRCh37", [gene]), build="GRCh37")
    return call_samples(sg, missing_as_reference=missing_as_reference, build="GRCh37", genes=[gene])["s"][0]


def test_absent_position_takes_the_grch37_reference_base(tmp_path):
    # GRCh37's reference at CYP3A5 rs776746 (7:99270539) is C, the *3 allele (GRCh38's is T):
    # a GRCh37 variant-only VCF without that record is *3/*3, not *1/*1
    c = _call37(_vcf(tmp_path, ["7 99258139 C T 0/0"]), "CYP3A5")
    assert c.status == "called" and c.diplotypes == ("*3/*3",)
    assert c.phenotype == "Poor Metabolizer"


def test_grch37_record_at_a_site_where_the_builds_differ(tmp_path):
    c = _call37(_vcf(tmp_path, ["7 99270539 C T 0/1"]), "CYP3A5")
    assert c.diplotypes == ("*1/*3",)


SLCO1B1_56_ONLY = "12 21294509"  # rs185905373: REF unconfirmed on GRCh37 (chain coordinate only)


def test_unconfirmed_position_absent_is_missing_not_reference(tmp_path):
    c = _call37(_vcf(tmp_path, ["12 21329738 A G 0/1"]), "SLCO1B1")
    assert "chr12:21294509" in c.missing_positions
    assert "*56" in c.not_assessable and "*37" not in c.not_assessable
    assert any("not assumed reference" in w and "*56" in w for w in c.warnings)
    assert c.status == "ambiguous" and "*1/*56" in c.diplotypes and "*1/*37" in c.diplotypes


def test_unconfirmed_position_confirmed_by_the_vcf_is_read(tmp_path):
    c = _call37(_vcf(tmp_path, ["12 21294509 A T 0/1", "12 21329738 A G 1/1"]), "SLCO1B1")
    assert "chr12:21294509" not in c.missing_positions and "*56" not in c.not_assessable
    assert any("*56" in d for d in c.diplotypes)


def test_unconfirmed_position_with_another_ref_is_missing(tmp_path):
    c = _call37(_vcf(tmp_path, ["12 21294509 G T 0/1", "12 21329738 A G 0/1"]), "SLCO1B1")
    assert "chr12:21294509" in c.missing_positions and "*56" in c.not_assessable
    assert not any("treated as reference" in w for w in c.warnings)


@pytest.fixture
def ugt1a1_ta_unmapped(monkeypatch):
    """UGT1A1 as if its TA repeat had no GRCh37 coordinate (the map before #18)."""
    t = gene_table("UGT1A1")
    positions = tuple(replace(p, pos37=None, ref37=None, ref37_verified=False) if p.pos == 233760233 else p
                      for p in t.positions)
    patched = replace(t, positions=positions)
    monkeypatch.setattr(caller, "gene_table", lambda g: patched if g == "UGT1A1" else gene_table(g))
    return patched


def test_unmapped_position_named_by_grch38_coordinate_with_its_alleles(tmp_path, ugt1a1_ta_unmapped):
    c = _call37(_vcf(tmp_path, ["2 234668570 C T 0/1"]), "UGT1A1")
    assert c.unmapped_positions == ("chr2:233760233",)
    assert not any("233760233" in m or "234668879" in m for m in c.missing_positions)
    assert {"*28", "*36", "*37", "*80+*28", "*80+*37"} <= set(c.not_assessable)
    assert "*80" not in c.not_assessable and "*6" not in c.not_assessable
    # never assumed reference (TA7), even with missing_positions_as_reference
    assert c.status == "ambiguous" and set(c.diplotypes) == {"*1/*80", "*1/*80+*28", "*1/*80+*37"}
    d = c.to_dict()
    assert d["unmapped_positions_grch38"] == ["chr2:233760233"] and "*28" in d["not_assessable_alleles"]
    assert any(w.startswith("GRCh37 call of UGT1A1 is incomplete") and "GRCh38 chr2:233760233" in w
               for w in c.warnings)


def test_unmapped_gaps_named_also_when_nothing_is_covered(tmp_path, ugt1a1_ta_unmapped):
    c = _call37(_vcf(tmp_path, ["2 1000 C T 0/1"]), "UGT1A1")
    assert c.status == "not_called" and c.unmapped_positions == ("chr2:233760233",)


def test_grch38_calls_carry_no_grch37_fields(tmp_path):
    path = tmp_path / "s38.vcf"
    path.write_text(HEADER + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts\n"
                    "chr2\t233759924\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\n", encoding="utf-8")
    sg = read_site_genotypes([path], pgx_sites("GRCh38", ["UGT1A1"]))
    c = call_samples(sg, missing_as_reference=True, genes=["UGT1A1"])["s"][0]
    assert c.unmapped_positions == () and c.not_assessable == ()
    assert "unmapped_positions_grch38" not in c.to_dict() and "not_assessable_alleles" not in c.to_dict()


def test_ugt1a1_grch37_calls_equal_grch38_on_1000_genomes(shared_data):
    kg = shared_data / "1kgp"
    s37 = read_site_genotypes([kg / "GRCh37" / "UGT1A1.vcf.gz"], pgx_sites("GRCh37", ["UGT1A1"]),
                              samples=UGT1A1_SAMPLES, build="GRCh37")
    s38 = read_site_genotypes([kg / "GRCh38" / "UGT1A1.vcf.gz"], pgx_sites("GRCh38", ["UGT1A1"]),
                              samples=UGT1A1_SAMPLES)
    c37 = call_samples(s37, missing_as_reference=True, build="GRCh37", genes=["UGT1A1"])
    c38 = call_samples(s38, missing_as_reference=True, genes=["UGT1A1"])
    for s in UGT1A1_SAMPLES:
        a, b = c37[s][0], c38[s][0]
        assert a.status == b.status == "called", (s, a.diplotypes, b.diplotypes)
        assert a.diplotypes == b.diplotypes and a.phenotype == b.phenotype, s
    assert {c38[s][0].diplotypes[0] for s in UGT1A1_SAMPLES} >= {"*1/*80+*28", "*80+*28/*80+*28", "*1/*28"}
