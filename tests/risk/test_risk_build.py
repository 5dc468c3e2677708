"""Knowledge-base builders: ClinVar panel TSV and ClinVar VCF give the same table."""

from __future__ import annotations

import csv
import gzip
import lzma
from pathlib import Path

import pytest

from pgxannot.kb.build.clinvar import build as build_clinvar_tables
from pgxannot.kb.build.clinvar import (
    compact_condition,
    normalize_significance,
    review_stars,
    trim_alleles,
)
from pgxannot.kb.risk import PLP_FILE

ROOT = Path(__file__).resolve().parents[2]
GENES = ROOT / "resources" / "genes" / "germline_genes.tsv"


def _pah_rows(shared_data: Path) -> list[list[str]]:
    with open(shared_data / "clinvar" / "PAH_clinvar_PLP_BLB_GRCh38.tsv") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t")][1:]
    for r in rows:  # the extract cuts long disease lists: drop the cut name on both sides
        while len(r[7]) >= 79 and "|" in r[7]:
            r[7] = r[7].rsplit("|", 1)[0]
    return rows


def _as_clinvar_vcf(rows: list[list[str]], path: Path) -> Path:
    lines = ["##fileformat=VCFv4.1", "##fileDate=2026-07-06", "##source=ClinVar",
             "##reference=GRCh38",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for chrom, pos, ref, alt, gene, sig, rev, disease, vid in rows:
        dn = disease.replace(" ", "_")
        info = f"CLNDN={dn};CLNREVSTAT={rev};CLNSIG={sig};GENEINFO={gene}:5053"
        lines.append(f"{chrom}\t{pos}\t{vid}\t{ref}\t{alt}\t.\t.\t{info}")
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


def _table(out: Path) -> list[str]:
    return lzma.decompress((out / PLP_FILE).read_bytes()).decode().splitlines()


def test_tsv_and_vcf_sources_give_the_same_table(shared_data, tmp_path):
    rows = _pah_rows(shared_data)
    tsv = tmp_path / "pah.tsv"
    tsv.write_text("chrom\tpos\tref\talt\tgene\tsignificance\treview_status\tdisease\tclinvar_id\n"
                   + "\n".join("\t".join(r) for r in rows) + "\n")
    vcf = _as_clinvar_vcf(rows, tmp_path / "clinvar.vcf.gz")
    m1 = build_clinvar_tables(tsv, tmp_path / "a", genes_table=GENES)
    m2 = build_clinvar_tables(vcf, tmp_path / "b", genes_table=GENES)
    assert _table(tmp_path / "a") == _table(tmp_path / "b")
    assert m1["plp_variants"] == m2["plp_variants"] == 890
    assert m2["version"] == "2026-07-06" and m2["build"] == "GRCh38"
    assert m2["source_format"] == "clinvar_vcf"


def test_real_clinvar_vcf_layout_is_parsed(shared_data, tmp_path):
    genes = tmp_path / "genes.tsv"
    genes.write_text(GENES.read_text() + "AGRN\tAR\tmisc\tx\tCongenital myasthenic syndrome\t-\tno\t-\n")
    meta = build_clinvar_tables(shared_data / "clinvar" / "clinvar_20191007_GRCh37_slivar_fixture.vcf.gz",
                                tmp_path / "o", genes_table=genes, include_benign=True)
    assert meta["version"] == "2019-10-07" and meta["build"] == "GRCh37"
    assert meta["records_read"] == 72
    assert meta["plp_variants"] + meta["benign_variants"] > 0
    assert (tmp_path / "o" / "clinvar_benign.tsv.xz").is_file()


def test_bundled_table_is_small_and_sorted():
    path = ROOT / "resources" / "clinvar" / PLP_FILE
    assert path.stat().st_size < 900_000
    lines = lzma.decompress(path.read_bytes()).decode().splitlines()
    assert lines[0].split("\t")[:4] == ["chrom", "pos", "ref", "alt"]
    assert len(lines) - 1 > 60_000


@pytest.mark.parametrize(("raw", "expected"), [
    ("Pathogenic", "Pathogenic"),
    ("Likely_pathogenic", "Likely pathogenic"),
    ("Pathogenic/Likely_pathogenic|risk_factor", "Pathogenic/Likely pathogenic"),
    ("Benign/Likely_benign", "Benign/Likely benign"),
    ("Uncertain_significance", None),
    ("Conflicting_interpretations_of_pathogenicity", None),
])
def test_significance(raw, expected):
    assert normalize_significance(raw) == expected


def test_stars_trim_and_condition():
    assert review_stars("reviewed_by_expert_panel") == 3
    assert review_stars("criteria_provided,_multiple_submitters,_no_conflicts") == 2
    assert review_stars("no_assertion_criteria_provided") == 0
    assert trim_alleles(100, "GCTTTAC", "GC") == (100, "GCTTTA", "G")
    assert trim_alleles(100, "ACTTTAC", "GCTTTAC") == (100, "A", "G")
    assert trim_alleles(10, "ATG", "AG") == (10, "AT", "A")
    assert compact_condition("not provided|Phenylketonuria|See cases") == "Phenylketonuria"


def test_civic_grch38_mapping_by_anchor_offsets(risk_kb):
    from pgxannot.kb.build.civic import map_to_grch38

    anchors = {"chr3": [(100, 1100, "a"), (5000, 6000, "b"), (9000, 9500, "c")]}
    assert map_to_grch38("chr3", 2000, anchors) == (3000, "anchor_offset:a+b")
    assert map_to_grch38("chr3", 7000, anchors) is None  # offsets disagree: chain break
    assert map_to_grch38("chr3", 300_000, anchors) is None  # one-sided and far
    assert map_to_grch38("chr4", 10, anchors) is None
    # the bundled table: PIK3CA H1047R and BRAF V600E carry their GRCh38 positions
    (pik,) = {(e.chrom38, e.pos38) for e in risk_kb.civic_by_name("PIK3CA", "H1047R")}
    assert pik == ("chr3", 179234297)
    assert {e.pos38 for e in risk_kb.civic_by_name("BRAF", "V600E")} == {140753336}
    assert risk_kb.civic_meta["version"] == "2021-08-01"
    assert risk_kb.civic_meta["evidence_items"] == 3650


def test_civic_builder_reads_v2_layout(tmp_path):
    from pgxannot.kb.build.civic import build as build_civic_tables
    from pgxannot.kb.build.civic import protein_change_of

    src = tmp_path / "src"
    src.mkdir()
    cols = ["molecular_profile", "disease", "therapies", "therapy_interaction_type",
            "evidence_type", "evidence_direction", "evidence_level", "significance",
            "citation_id", "source_type", "citation", "rating", "evidence_status",
            "evidence_id", "variant_origin"]
    row = ["BRAF V600E", "Melanoma", "Dabrafenib,Trametinib", "Combination", "Predictive",
           "Supports", "A", "Sensitivity/Response", "22663011", "PubMed", "Flaherty 2012", "5",
           "accepted", "101", "Somatic"]
    (src / "nightly-ClinicalEvidenceSummaries.tsv").write_text(
        "\t".join(cols) + "\n" + "\t".join(row) + "\n")
    (src / "nightly-VariantSummaries.tsv").write_text(
        "gene\tvariant\tchromosome\tstart\tstop\treference_bases\tvariant_bases\treference_build\n"
        "BRAF\tV600E\t7\t140453136\t140453136\tA\tT\tGRCh37\n")
    meta = build_civic_tables(src, tmp_path / "out", shared=src, resources=ROOT / "resources")
    assert meta["evidence_items"] == 1 and meta["grch38_mapped"] == 1
    from pgxannot.kb.risk import load_civic
    (e,), _ = load_civic(tmp_path / "out")
    assert (e.gene, e.variant, e.therapies, e.pos38) == ("BRAF", "V600E", ("Dabrafenib + Trametinib",), 140753336)
    assert protein_change_of("R167Q (c.500G>A)") == "R167Q"
    assert protein_change_of("AMPLIFICATION") == ""
