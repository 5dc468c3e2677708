"""Germline screen: ClinVar P/LP matching, inheritance, consent, normalization."""

from __future__ import annotations

import pytest

from pgxannot.errors import BuildMismatchError
from pgxannot.risk.germline import (
    germline_limitations,
    germline_regions,
    match_record,
    screen_germline,
)

R408W = "chr12\t102840493\t.\tG\tA\t50\tPASS\t.\tGT"
IVS12 = "chr12\t102840399\t.\tC\tT\t50\tPASS\t.\tGT"
BRCA1 = "chr17\t43045711\t.\tG\tC\t50\tPASS\t.\tGT"
PAH_BENIGN = "chr12\t102839253\t.\tG\tA\t50\tPASS\t.\tGT"
G6PD = "chrX\t154532083\t.\tG\tA\t50\tPASS\t.\tGT"


def _screen(risk_kb, make_vcf, read_records, samples, rows, **kw):
    kw.setdefault("secondary_findings", {})
    records = read_records(make_vcf(samples, rows))
    return screen_germline(records, samples, risk_kb, **kw)


def test_pah_variants_are_plp_expert_panel(risk_kb):
    for key in [("chr12", 102840493, "G", "A"), ("chr12", 102840399, "C", "T")]:
        v = risk_kb.clinvar[key]
        assert v.gene == "PAH"
        assert v.significance == "Pathogenic"
        assert v.stars == 3 and v.review_status == "reviewed by expert panel"


def test_pah_compound_het_unphased_is_phenylketonuria(risk_kb, make_vcf, read_records):
    out = _screen(risk_kb, make_vcf, read_records, ["P1"],
                  [f"{IVS12}\t0/1", f"{R408W}\t0/1"])
    found = out["P1"]
    assert {f["variant"] for f in found} == {"chr12:102840493:G:A", "chr12:102840399:C:T"}
    for f in found:
        assert f["category"] == "germline" and f["gene"] == "PAH"
        assert f["zygosity"] == "heterozygous" and f["inheritance"] == "AR"
        assert f["high_risk"] is True and f["incidental"] is False
        assert f["phase_known"] is False
        assert "phenylketonuria" in f["interpretation"].lower()
        assert "phase unknown" in f["interpretation"]
        assert "sapropterin" in f["interpretation"] and "pegvaliase" in f["interpretation"]
        assert f["evidence"][0]["source"] == "ClinVar" and f["stars"] == 3


def test_pah_compound_het_phased_in_trans_and_in_cis(risk_kb, make_vcf, read_records):
    trans = _screen(risk_kb, make_vcf, read_records, ["P1"],
                    [f"{IVS12}\t0|1", f"{R408W}\t1|0"])["P1"]
    assert all(f["phase_known"] is True and "in trans" in f["interpretation"] for f in trans)
    assert all(f["high_risk"] for f in trans)
    cis = _screen(risk_kb, make_vcf, read_records, ["P1"],
                  [f"{IVS12}\t0|1", f"{R408W}\t0|1"])["P1"]
    assert all(f["high_risk"] is False and "in cis" in f["interpretation"] for f in cis)


def test_pah_homozygous_and_single_carrier(risk_kb, make_vcf, read_records):
    out = _screen(risk_kb, make_vcf, read_records, ["HOM", "CAR", "REF", "NC"],
                  [f"{R408W}\t1/1\t0/1\t0/0\t./."])
    assert out["HOM"][0]["zygosity"] == "homozygous" and out["HOM"][0]["high_risk"]
    assert "consistent with phenylketonuria" in out["HOM"][0]["interpretation"].lower()
    car = out["CAR"]
    assert len(car) == 1 and car[0]["high_risk"] is False
    assert "carrier" in car[0]["interpretation"].lower()
    assert out["REF"] == [] and out["NC"] == []


def test_brca1_reported_and_suppressed_without_consent(risk_kb, make_vcf, read_records):
    rows = [f"{BRCA1}\t0/1\t0/1\t0/1"]
    samples = ["YES", "NO", "NO_IND"]
    out = _screen(risk_kb, make_vcf, read_records, samples, rows,
                  secondary_findings={"YES": True, "NO": False, "NO_IND": False},
                  indication_genes={"NO_IND": {"BRCA1", "BRCA2"}})
    f = out["YES"][0]
    assert f["gene"] == "BRCA1" and f["inheritance"] == "AD" and f["incidental"] is True
    assert "PARP" in f["interpretation"] and f["high_risk"]
    assert out["NO"] == []  # withheld on request
    assert out["NO_IND"][0]["incidental"] is False  # tied to the indication: kept
    lim = germline_limitations(risk_kb, secondary_findings=False)
    assert any("not analysed at the patient's request" in t for t in lim)


def test_pah_kept_without_secondary_findings_consent(risk_kb, make_vcf, read_records):
    out = _screen(risk_kb, make_vcf, read_records, ["P"], [f"{R408W}\t1/1"],
                  secondary_findings={"P": False})
    assert out["P"] and out["P"][0]["incidental"] is False


def test_clinvar_benign_and_unknown_variants_not_reported(risk_kb, make_vcf, read_records):
    assert ("chr12", 102839253, "G", "A") not in risk_kb.clinvar
    out = _screen(risk_kb, make_vcf, read_records, ["P"],
                  [f"{PAH_BENIGN}\t1/1", "chr12\t102840493\t.\tG\tT\t50\tPASS\t.\tGT\t1/1"])
    assert out["P"] == []


def test_multiallelic_split_and_trimmed(risk_kb, make_vcf, read_records):
    # ALT 1: G>C (not P/LP); ALT 2: G>A R408W; genotype 1/2 -> one heterozygous hit
    snv = "chr12\t102840493\t.\tG\tC,A\t50\tPASS\t.\tGT\t1/2"
    # padded deletion GCTTTAC>GC is ClinVar's GCTTTA>G (LP) after trimming the shared C
    indel = "chr12\t102839172\t.\tGCTTTAC\tACTTTAC,GC\t50\tPASS\t.\tGT\t0/2"
    records = read_records(make_vcf(["P"], [indel, snv]))
    assert [v.key for _, v in match_record(records[0], risk_kb)] == ["chr12:102839172:GCTTTA:G"]
    out = screen_germline(records, ["P"], risk_kb, secondary_findings={})["P"]
    assert {f["variant"] for f in out} == {"chr12:102840493:G:A", "chr12:102839172:GCTTTA:G"}
    assert all(f["zygosity"] == "heterozygous" for f in out)
    assert all(f["high_risk"] for f in out)  # two different P/LP PAH variants


def test_left_alignment_with_fasta(risk_kb, tmp_path, make_vcf, read_records):
    pysam = pytest.importorskip("pysam")
    from pgxannot.risk.germline import left_align

    fa = tmp_path / "ref.fa"
    fa.write_text(">chrT\nGATTTTTC\n")
    pysam.faidx(str(fa))
    ref = pysam.FastaFile(str(fa))
    # deleting the last T of the run (pos 6 TT>T) left-aligns to pos 2 (AT>A)
    assert left_align("chrT", 6, "TT", "T", ref) == (2, "AT", "A")


def test_xlinked_g6pd_by_sex(risk_kb, make_vcf, read_records):
    rows = [f"{G6PD}\t1\t0/1\t0/1"]
    out = _screen(risk_kb, make_vcf, read_records, ["M", "F", "U"], rows,
                  sex={"M": "male", "F": "female"})
    assert out["M"][0]["zygosity"] == "hemizygous" and out["M"][0]["high_risk"]
    assert "consistent with G6PD deficiency" in out["M"][0]["interpretation"]
    assert out["F"][0]["high_risk"] is False and "carrier" in out["F"][0]["interpretation"]
    assert "unknown sex" in out["U"][0]["interpretation"]


def test_mutyh_single_het_not_reported_as_secondary_finding(risk_kb, make_vcf, read_records):
    row = "chr1\t45330515\t.\tC\tA\t50\tPASS\t.\tGT"
    out = _screen(risk_kb, make_vcf, read_records, ["HET", "HOM"], [f"{row}\t0/1\t1/1"])
    assert out["HET"] == []
    assert out["HOM"][0]["high_risk"] and "polyposis" in out["HOM"][0]["interpretation"]


def test_build_mismatch_is_an_error(risk_kb):
    with pytest.raises(BuildMismatchError):
        screen_germline([], [], risk_kb, secondary_findings={}, build="GRCh37")


def test_regions_cover_pah_and_respect_bed(risk_kb, tmp_path):
    regions = germline_regions(risk_kb)
    assert any(c == "chr12" and s <= 102840493 <= e for c, s, e in regions)
    assert len({c for c, _, _ in regions}) > 15
    bed = tmp_path / "kit.bed"
    bed.write_text("chr12\t102840000\t102841000\n")
    assert germline_regions(risk_kb, bed=bed) == [("chr12", 102840001, 102841000)]


def test_clinvar_table_genes_and_size(risk_kb, shared_data):
    assert len(risk_kb.genes) == 86
    assert sum(g.is_acmg_sf for g in risk_kb.genes.values()) == 81
    assert {risk_kb.genes[g].inheritance for g in ("PAH", "BRCA1", "G6PD", "F8")} == {"AR", "AD", "XL"}
    # every P/LP row of the shared PAH table is in the bundled table (after trimming)
    n = 0
    with open(shared_data / "clinvar" / "PAH_clinvar_PLP_BLB_GRCh38.tsv") as fh:
        next(fh)
        for line in fh:
            chrom, pos, ref, alt, _gene, sig = line.split("\t")[:6]
            if "athogenic" in sig:
                n += 1
                from pgxannot.kb.build.clinvar import trim_alleles
                p, r, a = trim_alleles(int(pos), ref, alt)
                assert ("chr" + chrom, p, r, a) in risk_kb.clinvar
    assert n == 890


@pytest.mark.parametrize(("sex", "has_female", "labelled"), [
    ("male", False, False), ("female", True, False), ("unknown", True, True)])
def test_pah_pregnancy_advice_only_for_women(risk_kb, make_vcf, read_records, sex, has_female, labelled):
    """#15: a male patient's PKU finding advised 'preconception phenylalanine control for women'."""
    found = _screen(risk_kb, make_vcf, read_records, ["P1"], [f"{IVS12}\t0/1", f"{R408W}\t0/1"],
                    sex={"P1": sex})["P1"]
    for f in found:
        text = f["interpretation"]
        assert "sapropterin" in text  # the shared advice stays
        assert ("pregnan" in text) is has_female
        assert ("For females:" in text) is labelled
        assert "for women" not in text


def test_sex_specific_management_is_never_given_to_the_other_sex(risk_kb):
    genes = [g for g in risk_kb.genes.values() if g.management_female or g.management_male]
    assert {"PAH", "BRCA1", "BRCA2", "F8"} <= {g.gene for g in genes}
    for g in genes:
        if g.management_female:
            assert g.management_female not in g.management_for("male")
            assert g.management_female in g.management_for("female")
        if g.management_male:
            assert g.management_male not in g.management_for("female")
            assert g.management_male in g.management_for("male")
