#!/usr/bin/env python3
"""Build the bundled example patients (examples/) from facts.

Writes small synthetic VCFs that look like the output of a targeted
pharmacogenomics + germline panel on GRCh38: every pharmacogene position of the
PharmCAT position list (positions and reference alleles are facts taken from
``../shared/data/pharmcat/positions/pharmcat_positions.vcf``) called as
reference, plus the patients' own variants:

* ``BC-001``  breast cancer, ERBB2-amplified tumour (``BC-001.cnv.tsv``), carries
  DPYD c.1905+1G>A (rs3918290, chr1:97450058 C>T) and a ClinVar-benign BRCA1 variant.
* ``PAIN-003`` chronic pain on codeine and celecoxib: CYP2C9 *3/*3 (rs1057910
  chr10:94981296 A>C homozygous); CYP2D6 *4/*4 from an outside call.
* ``ADD-004`` addiction treatment on methadone and sertraline: CYP2B6 *6/*6
  (rs3745274 + rs2279343 homozygous), CYP2C19 *2/*17 (phased), and a pathogenic
  BRCA1 variant (an ACMG secondary finding; consent given).
* ``PKU-002`` a child referred for phenylketonuria (own single-sample VCF): PAH
  R408W (chr12:102840493 G>A) and IVS12+1G>A (chr12:102840399 C>T), unphased;
  no consent to secondary findings.

Run from the repository root: ``python scripts/make_examples.py`` (needs ../shared/data).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pysam

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pgxannot.paths import shared_data_dir  # noqa: E402
from pgxannot.vcf.genome import CONTIG_LENGTHS  # noqa: E402

OUT = ROOT / "examples"
COHORT = ("BC-001", "PAIN-003", "ADD-004")
MALES = {"PAIN-003", "PKU-002"}

# (chrom, pos, ref, alt): genotype per sample; phased when "|"
VARIANTS: dict[tuple[str, int, str, str], dict[str, str]] = {
    # CYP2C19 rs3758581 (chr10:94842866 A>G): GRCh38 carries the rare *38 base; nearly
    # everyone (and every *1, *2, *17) has G, so real patients are homozygous here
    ("chr10", 94842866, "A", "G"): {"BC-001": "1/1", "PAIN-003": "1/1", "ADD-004": "1/1"},
    ("chr1", 97450058, "C", "T"): {"BC-001": "0/1"},  # DPYD c.1905+1G>A (*2A)
    ("chr10", 94981296, "A", "C"): {"PAIN-003": "1/1"},  # CYP2C9*3
    ("chr19", 41006936, "G", "T"): {"ADD-004": "1/1"},  # CYP2B6 516G>T
    ("chr19", 41009358, "A", "G"): {"ADD-004": "1/1"},  # CYP2B6 785A>G
    ("chr10", 94761900, "C", "T"): {"ADD-004": "0|1"},  # CYP2C19*17
    ("chr10", 94781859, "G", "A"): {"ADD-004": "1|0"},  # CYP2C19*2 (681G>A) ...
    ("chr10", 94775367, "A", "G"): {"ADD-004": "1|0"},  # ... on its haplotype with rs12769205
    ("chr17", 43039471, "G", "A"): {"BC-001": "0/1"},  # BRCA1 benign (ClinVar expert panel)
    ("chr17", 43045711, "G", "T"): {"ADD-004": "0/1"},  # BRCA1 pathogenic
}
PKU_VARIANTS = {
    ("chr10", 94842866, "A", "G"): "1/1",  # CYP2C19 rs3758581 (see above)
    ("chr12", 102840399, "C", "T"): "0/1",  # PAH IVS12+1G>A
    ("chr12", 102840493, "G", "A"): "0/1",  # PAH R408W
}


def positions(shared: Path) -> list[tuple[str, int, str, str]]:
    text = (shared / "pharmcat/positions/pharmcat_positions.vcf").read_text(encoding="utf-8")
    return [(f[0], int(f[1]), f[2], f[3]) for f in (ln.split("\t") for ln in text.splitlines())
            if not f[0].startswith("#")]


def header(samples: tuple[str, ...]) -> list[str]:
    lines = [
        "##fileformat=VCFv4.2",
        "##source=pgxannot example generator (synthetic patients; positions from PharmCAT 2025-11-05)",
        "##reference=GRCh38",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
    ]
    lines += [f"##contig=<ID={c},length={n},assembly=GRCh38>" for c, n in CONTIG_LENGTHS["GRCh38"].items()]
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]))
    return lines


def ref_gt(sample: str, chrom: str) -> str:
    return "0" if chrom == "chrX" and sample in MALES else "0/0"


def write(path: Path, samples: tuple[str, ...], records: list[tuple], variants: dict) -> None:
    order = {c: i for i, c in enumerate(CONTIG_LENGTHS["GRCh38"])}
    rows: dict[tuple[str, int, str], tuple] = {}
    for chrom, pos, rsid, ref in records:
        rows[(chrom, pos, ref)] = (chrom, pos, rsid, ref, None)
    for (chrom, pos, ref, alt) in variants:
        key = (chrom, pos, ref)
        rsid = rows.get(key, (None, None, ".", None, None))[2]
        rows[key] = (chrom, pos, rsid, ref, alt)
    body = []
    for chrom, pos, rsid, ref, alt in sorted(rows.values(), key=lambda r: (order[r[0]], r[1])):
        gts = []
        for s in samples:
            g = variants.get((chrom, pos, ref, alt), {}).get(s) if alt else None
            gts.append(f"{g or ref_gt(s, chrom)}:{35 + (pos % 20)}")
        body.append("\t".join([chrom, str(pos), rsid or ".", ref, alt or ".", "50", "PASS", ".", "GT:DP", *gts]))
    text = "\n".join(header(samples) + body) + "\n"
    if path.suffix == ".gz":
        plain = path.with_suffix("")
        plain.write_text(text, encoding="utf-8")
        pysam.tabix_compress(str(plain), str(path), force=True)
        plain.unlink()
        pysam.tabix_index(str(path), preset="vcf", force=True)
    else:
        path.write_text(text, encoding="utf-8")


def main() -> None:
    shared = shared_data_dir()
    if shared is None:
        sys.exit("make_examples.py needs ../shared/data (PharmCAT position list)")
    recs = positions(shared)
    OUT.mkdir(exist_ok=True)
    write(OUT / "cohort.vcf.gz", COHORT, recs, VARIANTS)
    write(OUT / "PKU-002.vcf", ("PKU-002",), recs, {k: {"PKU-002": g} for k, g in PKU_VARIANTS.items()})
    (OUT / "PAIN-003.outside_calls.tsv").write_text(
        "# gene\tdiplotype\tphenotype (optional)\n"
        "# CYP2D6 genotyped by a long-read assay (outside call)\n"
        "CYP2D6\t*4/*4\n", encoding="utf-8")
    (OUT / "BC-001.cnv.tsv").write_text(
        "Chromosome\tStart\tEnd\tCN\n"
        "chr17\t7000001\t8000000\t2\n"
        "chr17\t39600010\t39900000\t9\n"
        "chr17\t43000001\t43200000\t2\n"
        "chr8\t127700001\t127800000\t3\n", encoding="utf-8")
    (OUT / "samples.tsv").write_text(
        "# pgxannot example patients (synthetic). Paths are relative to this sheet's folder.\n"
        "sample\tvcf\tsex\tmedications\toutside_calls\tcnv\ttumor_type\tsecondary_findings\tindication\n"
        "BC-001\tcohort.vcf.gz\tfemale\tcapecitabine;tamoxifen;ondansetron\t\tBC-001.cnv.tsv\tbreast\tyes\tbreast cancer\n"
        "PKU-002\tPKU-002.vcf\tmale\t\t\t\t\tno\tphenylketonuria\n"
        "PAIN-003\tcohort.vcf.gz\tmale\tcodeine;celecoxib\tPAIN-003.outside_calls.tsv\t\t\tyes\tchronic pain\n"
        "ADD-004\tcohort.vcf.gz\tfemale\tmethadone;sertraline\t\t\t\tyes\topioid use disorder\n",
        encoding="utf-8")
    print(f"wrote examples to {OUT}")


if __name__ == "__main__":
    main()
