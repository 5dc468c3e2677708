"""Gene and drug codes for FHIR: the HGNC table and its builder, RxNorm from the CPIC drug table."""

from __future__ import annotations

from pathlib import Path

from pgxannot.kb.build.hgnc import build, read_hgnc, report_gene_symbols
from pgxannot.paths import resources_dir
from pgxannot.report.codes import hgnc_id, rxnorm_id, strand

ROOT = Path(__file__).resolve().parents[2]


def test_every_gene_a_report_can_name_has_an_hgnc_id():
    genes = report_gene_symbols(resources_dir())
    assert len(genes) > 400
    missing = sorted(g for g in genes if hgnc_id(g) is None)
    assert missing == []
    assert hgnc_id("ERBB2") == "HGNC:3430" and hgnc_id("CYP2D6") == "HGNC:2625"
    assert hgnc_id("NOT-A-GENE") is None
    assert strand("DPYD") == "-" and strand("CYP2C19") == "+" and strand("ERBB2") is None


def test_builder_reads_hgnc_columns_and_previous_symbols(tmp_path):
    src = tmp_path / "hgnc.tsv"
    src.write_text("HGNC ID\tApproved symbol\tPrevious symbols\n"
                   "HGNC:3430\tERBB2\tNGL\nHGNC:4177\tGBA1\tGBA\nHGNC:9\tOLD\t\n", encoding="utf-8")
    ids = read_hgnc(src)
    assert ids["ERBB2"] == "HGNC:3430" and ids["GBA"] == "HGNC:4177" and ids["NGL"] == "HGNC:3430"
    rows = build(src, ROOT.parent / "shared" / "data" / "pypgx" / "gene-table.csv", resources_dir())
    assert {r["gene"] for r in rows} == {"ERBB2", "GBA"}


def test_rxnorm_ids_come_from_the_cpic_drug_table():
    assert rxnorm_id("hydralazine") == "5470" and rxnorm_id("clopidogrel") == "32968"
    assert rxnorm_id("not a drug") is None
