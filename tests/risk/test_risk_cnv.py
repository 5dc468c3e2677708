"""Copy-number input and HER2 status."""

from __future__ import annotations

import pytest

from pgxannot.errors import CnvError
from pgxannot.risk.cnv import Segment, copy_number_findings, read_cnv


def test_pcgr_breast_erbb2_amplified_with_trastuzumab(risk_kb, shared_data):
    segs = read_cnv(shared_data / "onco" / "pcgr" / "T001-BRCA.grch38.cna.tsv")
    assert len(segs) == 260
    findings, her2 = copy_number_findings(segs, risk_kb, tumor_type="breast")
    assert her2 == "amplified"
    erbb2 = next(f for f in findings if f["gene"] == "ERBB2")
    assert erbb2["category"] == "copy_number" and erbb2["classification"] == "amplified"
    assert erbb2["copy_number"] == 9.0 and erbb2["tier"] == "I" and erbb2["high_risk"]
    assert erbb2["variant"] == "chr17:39687914-39730426"
    top = [t["therapy"] for t in erbb2["therapies"] if t["evidence_level"] == "A"]
    assert "Trastuzumab" in top
    names = {t["therapy"] for t in erbb2["therapies"]}
    assert any("Pertuzumab" in n for n in names) and "Trastuzumab Emtansine" in names
    assert "Trastuzumab" in erbb2["interpretation"]
    # #15: the headline names only therapies with level A evidence in breast cancer
    # (afatinib has breast evidence of level B only, and a "does not support" item)
    headline = erbb2["interpretation"].split("HER2-positive", 1)[1]
    level_a_breast = {t["therapy"] for t in erbb2["therapies"] if t["evidence_level"] == "A"
                      and t["in_tumour_type"] and t["direction"] == "supports"}
    assert level_a_breast == {"Trastuzumab", "Neratinib"}
    named = {n.strip() for n in headline.split("(", 1)[1].split(")", 1)[0].split(",")}
    assert named == level_a_breast
    assert "Afatinib" not in erbb2["interpretation"] and "Lapatinib" not in erbb2["interpretation"]
    assert all(t["citation"] for t in erbb2["therapies"])


def test_her2_status_by_tumour_type_and_coverage(risk_kb):
    segs = [Segment("chr17", 39_000_000, 40_000_000, 2.0)]
    assert copy_number_findings(segs, risk_kb, tumor_type="gastric adenocarcinoma")[1] == "not amplified"
    assert copy_number_findings(segs, risk_kb, tumor_type="colorectal")[1] is None
    assert copy_number_findings([], risk_kb, tumor_type="breast") == ([], "not assessed")
    # ploidy-relative threshold: 6 copies in a tetraploid tumour is not amplification
    amp = [Segment("chr17", 39_000_000, 40_000_000, 6.0)]
    assert copy_number_findings(amp, risk_kb, tumor_type="breast")[1] == "amplified"
    assert copy_number_findings(amp, risk_kb, tumor_type="breast", ploidy=4.0)[1] == "not amplified"


def test_homozygous_deletion_of_tumour_suppressor(risk_kb):
    segs = [Segment("chr9", 21_900_000, 22_100_000, 0.0), Segment("chr12", 25_000_000, 26_000_000, 0.0)]
    findings, _ = copy_number_findings(segs, risk_kb)
    assert [(f["gene"], f["classification"]) for f in findings] == [("CDKN2A", "deleted")]


def test_cnv_vcf_info_and_format_cn(tmp_path):
    vcf = tmp_path / "cnv.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tT1\tT2\n"
        "17\t39600000\t.\tN\t<DUP>\t.\tPASS\tSVTYPE=DUP;END=40000000;CN=12\tGT\t./.\t./.\n"
        "chr9\t21900000\t.\tN\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=22100000\tGT:CN\t0/0:0\t0/0:1\n"
        "chr1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t0/1\n")
    segs = read_cnv(vcf)
    assert [(s.chrom, s.start, s.end, s.copy_number, s.svtype) for s in segs] == [
        ("chr17", 39600001, 40000000, 12.0, "DUP"), ("chr9", 21900001, 22100000, 0.0, "DEL")]
    assert read_cnv(vcf, sample="T2")[1].copy_number == 1.0


@pytest.mark.parametrize(("body", "where"), [
    ("Chromosome\tStart\tEnd\tCN\n1\t100\t50\t2\n", "line 2"),
    ("Chromosome\tStart\tEnd\tCN\n1\t1\t50\t2\n1\tabc\t60\t2\n", "line 3"),
    ("Chromosome\tStart\tEnd\tCN\n1\t1\t50\ttwo\n", "line 2"),
    ("Chromosome\tStart\tEnd\n1\t1\t50\n", "line 1"),
])
def test_bad_segment_lines_name_file_and_line(tmp_path, body, where):
    path = tmp_path / "bad.tsv"
    path.write_text(body)
    with pytest.raises(CnvError) as err:
        read_cnv(path)
    assert str(path) in str(err.value) and where in str(err.value)


def test_major_minor_columns(tmp_path):
    path = tmp_path / "seg.tsv"
    path.write_text("# purity 0.6\nChromosome\tStart\tEnd\tnMajor\tnMinor\nchr17\t1\t50\t3\t1\n")
    assert read_cnv(path)[0].copy_number == 4.0


def test_cnv_gene_coordinates_agree_with_clinvar_spans(risk_kb):
    """The CNV gene table's GRCh38 spans contain almost all ClinVar P/LP positions."""
    genes = {g.gene: g for g in risk_kb.cnv_genes["GRCh38"]}
    for name in ("BRCA1", "BRCA2", "PTEN", "RB1"):
        g = genes[name]
        pos = [v.pos for v in risk_kb.clinvar.values() if v.gene == name]
        inside = sum(g.start - 5000 <= p <= g.end + 5000 for p in pos)
        assert inside / len(pos) > 0.98, name


def test_her2_headline_without_level_a_in_tumour_type(risk_kb):
    from pgxannot.risk.cnv import her2_headline

    gastric_b = [{"therapy": "Lapatinib", "evidence_level": "B", "significance": "Sensitivity/Response",
                  "direction": "supports", "in_tumour_type": True}]
    text = her2_headline(gastric_b, "gastric")
    assert "no level A" in text and "Lapatinib" not in text
    other_a = [{"therapy": "Trastuzumab", "evidence_level": "A", "significance": "Sensitivity/Response",
                "direction": "supports", "in_tumour_type": False}]
    assert "Trastuzumab" not in her2_headline(other_a, "breast")
    against = [{**other_a[0], "in_tumour_type": True, "direction": "does_not_support"}]
    assert "Trastuzumab" not in her2_headline(against, "breast")
