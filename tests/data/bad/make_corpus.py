#!/usr/bin/env python3
"""Build the bad-input corpus: tiny files under ``files/`` and the manifest ``cases.yaml``.

Deterministic (no timestamps, no randomness without a fixed seed): rerunning it gives
byte-identical files. Run from anywhere: ``python tests/data/bad/make_corpus.py``.

Every case names the files it needs, the sample sheet and config a user would write,
how it is run (``check``: ``pgxannot check``; ``annotate``: ``python -m pgxannot annotate``;
``run``: the whole ``pgxannot run``) and what must happen:

* ``expect: error`` with ``message`` substrings the one-line error must contain
  (file name, record/line, and the fix);
* ``expect: report`` with ``assert`` checks on the sample's JSON/HTML report.

Sheet values naming a corpus file are rewritten by the test to the copy's absolute path.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import tempfile
from pathlib import Path

import pysam
import yaml

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"

GRCH38 = {"chr10": 133797422, "chr2": 242193529, "chrX": 156040895, "chr17": 83257441}
GRCH37 = {"chr10": 135534747, "chr2": 243199373, "chrX": 155270560, "chr17": 81195210}

# CYP2C19 definition positions (GRCh38, PharmCAT order); *1/*2 = rs3758581 hom alt,
# rs12769205 and rs4244285 het, everything else reference.
CYP2C19 = [
    (94761900, "C", "T"), (94762706, "A", "G"), (94762712, "C", "T"), (94762715, "T", "C"),
    (94762755, "T", "C"), (94762760, "A", "C"), (94762788, "A", "T"), (94762856, "A", "G"),
    (94775106, "C", "T"), (94775121, "C", "T"), (94775160, "G", "C"), (94775185, "A", "G"),
    (94775367, "A", "G"), (94775416, "T", "C"), (94775423, "A", "C"), (94775453, "G", "A"),
    (94775489, "G", "A"), (94775507, "G", "A"), (94780544, "A", "G"), (94780574, "G", "C"),
    (94780579, "G", "A"), (94780653, "G", "A"), (94781858, "C", "T"), (94781859, "G", "A"),
    (94781944, "G", "A"), (94781999, "T", "A"), (94842861, "G", "A"), (94842866, "A", "G"),
    (94842879, "G", "A"), (94842995, "G", "A"), (94849995, "C", "T"), (94852738, "C", "T"),
    (94852765, "C", "T"), (94852785, "C", "G"), (94852914, "A", "C"),
]
STAR2 = {94842866: "1/1", 94775367: "0/1", 94781859: "0/1"}  # *1/*2
STAR17 = {94842866: "1/1", 94761900: "0/1"}  # *1/*17
STAR2_POS = 94781859
# The same positions on GRCh37 (pos37, REF37) where mapped (PyPGx variant table via resources/pgx);
# at 94842866 the two builds' reference bases differ (GRCh38 A, GRCh37 G). Written out here so
# the corpus does not change when the derived tables grow.
CYP2C19_37 = {
    94761900: (96521657, "C"), 94762706: (96522463, "A"), 94762712: (96522469, "C"), 94762715: (96522472, "T"),
    94762755: (96522512, "T"), 94762760: (96522517, "A"), 94762788: (96522545, "A"), 94762856: (96522613, "A"),
    94775106: (96534863, "C"), 94775121: (96534878, "C"), 94775160: (96534917, "G"), 94775185: (96534942, "A"),
    94775367: (96535124, "A"), 94775416: (96535173, "T"), 94775423: (96535180, "A"), 94775453: (96535210, "G"),
    94775489: (96535246, "G"), 94775507: (96535264, "G"), 94780574: (96540331, "G"), 94780579: (96540336, "G"),
    94780653: (96540410, "G"), 94781858: (96541615, "C"), 94781859: (96541616, "G"), 94781944: (96541701, "G"),
    94781999: (96541756, "T"), 94842861: (96602618, "G"), 94842866: (96602623, "G"), 94842879: (96602636, "G"),
    94842995: (96602752, "G"), 94849995: (96609752, "C"), 94852738: (96612495, "C"), 94852765: (96612522, "C"),
    94852785: (96612542, "C"), 94852914: (96612671, "A"),
}
# Unusual sample ids a VCF allows (LIMS exports): each gets a safe, hashed output file name
UNUSUAL_IDS = ("S 1", "LAB 2024/001", "LAB_2024/001", "P1<i>", "Müller-07", "../../etc/evil", ".hidden",
               "<script>alert(1)</script>")

FORMAT_GT = '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">'
FORMAT_DP = '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">'
FORMAT_PS = '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">'
INFO_END = '##INFO=<ID=END,Number=1,Type=Integer,Description="End of a reference block">'
INFO_BIG = '##INFO=<ID=BIG,Number=1,Type=String,Description="A very long annotation">'
INFO_NOTE = '##INFO=<ID=NOTE,Number=1,Type=String,Description="Free text">'
ALT_NONREF = '##ALT=<ID=NON_REF,Description="Any other allele">'
ALT_DEL = '##ALT=<ID=DEL,Description="Deletion">'
COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"]


# ----------------------------------------------------------------------------- helpers


def header(samples=("S1",), *, contigs=None, extra=(), fileformat=True, chrom_line=True, fmt=(FORMAT_GT,)):
    contigs = GRCH38 if contigs is None else contigs
    lines = ["##fileformat=VCFv4.2"] if fileformat else []
    lines += list(fmt) + list(extra)
    lines += [f"##contig=<ID={c},length={n}>" for c, n in contigs.items()]
    if chrom_line:
        lines.append("\t".join(COLUMNS + list(samples)) if samples is not None else "\t".join(COLUMNS[:8]))
    return lines


def cyp_rows(gts=STAR2, *, nsamples=1, chrom="chr10", info=".", fmt="GT", per_sample=None):
    """One record per CYP2C19 position; ``per_sample[k]`` overrides genotypes of sample k."""
    rows = []
    for pos, ref, alt in CYP2C19:
        calls = []
        for k in range(nsamples):
            g = (per_sample[k] if per_sample else gts).get(pos, "0/0")
            calls.append(g)
        rows.append("\t".join([chrom, str(pos), ".", ref, alt, "50", "PASS", info, fmt, *calls]))
    return rows


def grch37_rows(gts=STAR2, *, chrom="10"):
    """The CYP2C19 records of a GRCh37 VCF (1000 Genomes style: contig '10', GRCh37 REF)."""
    rows = []
    for pos, ref, alt in CYP2C19:
        if pos not in CYP2C19_37:
            continue
        pos37, ref37 = CYP2C19_37[pos]
        g = gts.get(pos, "0/0")
        if ref37 != ref:  # the GRCh38 ALT is the GRCh37 reference: swap alleles and genotype
            alt, g = ref, {"0/0": "1/1", "1/1": "0/0"}.get(g, g)
        rows.append("\t".join([chrom, str(pos37), ".", ref37, alt, "50", "PASS", ".", "GT", g]))
    return rows


def off_target_rows():
    """Records on chr10 far from any pharmacogene (a VCF filtered to other regions)."""
    return ["\t".join(["chr10", str(1_000_000 + 100 * k), ".", "A", "G", "50", "PASS", ".", "GT", "0/1"])
            for k in range(30)]


def text(lines, *, newline="\n") -> bytes:
    return (newline.join(lines) + newline).encode("utf-8")


def good_vcf(**kw) -> bytes:
    return text(header() + cyp_rows(**kw))


def replace_row(rows, pos, new_cols):
    out = []
    for r in rows:
        cols = r.split("\t")
        if cols[1] == str(pos):
            for k, v in new_cols.items():
                cols[k] = v
            r = "\t".join(cols)
        out.append(r)
    return out


def bgzip(data: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.vcf"
        dst = Path(tmp) / "out.vcf.gz"
        src.write_bytes(data)
        pysam.tabix_compress(str(src), str(dst), force=True)
        return dst.read_bytes()


def tabix_of(data: bytes) -> bytes:
    """The .tbi of ``data`` bgzipped (to pair with another file: a stale index)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.vcf"
        src.write_bytes(data)
        pysam.tabix_compress(str(src), str(src) + ".gz", force=True)
        pysam.tabix_index(str(src) + ".gz", preset="vcf", force=True)
        return Path(str(src) + ".gz.tbi").read_bytes()


def to_bcf(data: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.vcf", Path(tmp) / "out.bcf"
        src.write_bytes(data)
        with pysam.VariantFile(str(src)) as vin, pysam.VariantFile(str(dst), "wb", header=vin.header) as vout:
            for rec in vin:
                vout.write(rec)
        return dst.read_bytes()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


# ----------------------------------------------------------------------------- files


def build_files() -> dict[str, bytes]:
    f: dict[str, bytes] = {}
    f["good.vcf"] = good_vcf()
    f["good_multi.vcf"] = text(header(("S1", "S2", "S3")) + cyp_rows(nsamples=3, per_sample=[STAR2, {94842866: "1/1"}, STAR17]))
    f["not_a_vcf.vcf"] = b"Patient notes: please genotype CYP2C19 and CYP2D6.\nThis is not a VCF.\n"
    bgz = bgzip(good_vcf())
    f["truncated.vcf.gz"] = bgz[: len(bgz) // 2]
    plain_gz = gz(good_vcf())
    f["truncated_gzip.vcf.gz"] = plain_gz[: len(plain_gz) // 2]
    f["plain_named.vcf.gz"] = good_vcf()
    rng = random.Random(20240601)
    garbage = b"BCF\x02\x02" + bytes(rng.randrange(256) for _ in range(600))
    f["garbage.bcf"] = bgzip(garbage)
    f["garbage_uncompressed.bcf"] = garbage
    f["random_bytes.vcf.gz"] = b"\x1f\x8b" + bytes(rng.randrange(256) for _ in range(300))
    f["empty.vcf"] = b""
    f["gzip_of_nothing.vcf.gz"] = gz(b"")
    f["no_chrom_line.vcf"] = text(header(chrom_line=False) + cyp_rows())
    f["no_fileformat.vcf"] = text(header(fileformat=False) + cyp_rows())
    f["no_gt_header.vcf"] = text(header(fmt=(FORMAT_DP,)) + cyp_rows(fmt="DP", gts={}) )
    rows_dp = [r.rsplit("\t", 2)[0] + "\tDP\t30" for r in cyp_rows()]
    f["gt_absent_in_records.vcf"] = text(header(fmt=(FORMAT_GT, FORMAT_DP)) + rows_dp)
    f["allele_index_out_of_range.vcf"] = good_vcf(gts={**STAR2, STAR2_POS: "0/2"})
    f["ploidy3.vcf"] = good_vcf(gts={**STAR2, STAR2_POS: "0/1/1"})
    f["duplicate_sample_columns.vcf"] = text(header(("S1", "S1")) + cyp_rows(nsamples=2))
    f["sites_only.vcf"] = text(header(samples=None) + [r.rsplit("\t", 2)[0] for r in cyp_rows()])
    f["grch37_contigs.vcf"] = text(header(contigs=GRCH37) + cyp_rows())
    f["mixed_contig_lengths.vcf"] = text(header(contigs={"chr10": GRCH38["chr10"], "chr2": GRCH37["chr2"]}) + cyp_rows())
    mixed = cyp_rows()
    mixed = [r if i % 2 else r.replace("chr10\t", "10\t", 1) for i, r in enumerate(mixed)]
    f["mixed_chr_names.vcf"] = text(header(contigs={"chr10": GRCH38["chr10"], "10": GRCH38["chr10"]}) + mixed)
    f["no_chr_prefix.vcf"] = text(header(contigs={"10": GRCH38["chr10"]}) + cyp_rows(chrom="10"))
    f["crlf.vcf"] = text(header() + cyp_rows(), newline="\r\n")
    f["header_only.vcf"] = text(header())
    f["symbolic_allele.vcf"] = text(header(extra=(ALT_DEL, INFO_END)) + replace_row(
        cyp_rows(), STAR2_POS, {4: "<DEL>", 7: "END=94781900"}))
    span = cyp_rows()
    span = replace_row(span, STAR2_POS, {4: "A,*", 9: "1/2"})
    span.insert(23, "\t".join(["chr10", "94781855", ".", "CTGCG", "C", "50", "PASS", ".", "GT", "0/1"]))
    f["spanning_deletion.vcf"] = text(header() + span)
    f["ref_mismatch_one.vcf"] = text(header() + replace_row(cyp_rows(), STAR2_POS, {3: "C", 4: "A"}))
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    wrong = ["\t".join([*r.split("\t")[:3], comp[r.split("\t")[3]], *r.split("\t")[4:]]) for r in cyp_rows()]
    f["ref_mismatch_many.vcf"] = text(header() + wrong)
    f["iupac_ref.vcf"] = text(header() + replace_row(cyp_rows(), STAR2_POS, {3: "R"}))
    big = "BIG=" + "ACGT" * (1 << 18)  # 1 MiB
    f["enormous_info.vcf.gz"] = bgzip(text(header(extra=(INFO_BIG,)) + replace_row(cyp_rows(), 94761900, {7: big})))
    hdr = "\n".join(header(extra=(INFO_NOTE,))).encode()
    hdr = hdr.replace(b"##fileformat=VCFv4.2", b"##fileformat=VCFv4.2\n##source=Universit\xe4tsklinikum M\xfcnchen")
    body = "\n".join(replace_row(cyp_rows(), 94761900, {7: "NOTE=M_decin"})).encode().replace(b"M_decin", b"M\xe9decin\xff")
    f["non_utf8.vcf"] = hdr + b"\n" + body + b"\n"
    f["bom.vcf"] = b"\xef\xbb\xbf" + good_vcf()
    dup = []
    for r in cyp_rows():
        dup += [r, r]
    f["duplicate_records.vcf"] = text(header() + dup)
    f["unsorted.vcf"] = text(header() + list(reversed(cyp_rows())))
    f["unsorted_noindex.vcf.gz"] = bgzip(text(header() + list(reversed(cyp_rows()))))
    f["sorted_noindex.vcf.gz"] = bgzip(good_vcf())
    f["stale_index.vcf.gz"] = bgzip(good_vcf())
    f["stale_index.vcf.gz.tbi"] = tabix_of(text(header() + cyp_rows()[-5:]))  # index of another file
    f["good_noindex.bcf"] = to_bcf(good_vcf())
    blocks = []
    for start, end in ((94761800, 94781900), (94842800, 94853000)):
        blocks.append("\t".join(["chr10", str(start), ".", "N", "<NON_REF>", ".", ".", f"END={end}", "GT", "0/0"]))
    f["gvcf_blocks_only.vcf"] = text(header(extra=(INFO_END, ALT_NONREF)) + blocks)
    f["all_missing_gt.vcf"] = text(header() + [r.rsplit("\t", 1)[0] + "\t./." for r in cyp_rows()])
    f["spaces_not_tabs.vcf"] = text(header() + [r.replace("\t", " ") for r in cyp_rows()])
    f["bad_pos.vcf"] = text(header() + replace_row(cyp_rows(), STAR2_POS, {1: "94781859x"}))
    short = cyp_rows()
    short = [r if str(STAR2_POS) not in r else "\t".join(r.split("\t")[:5]) for r in short]
    f["short_record.vcf"] = text(header() + short)
    f["haploid_autosome.vcf"] = good_vcf(gts={94842866: "1", 94775367: "1", 94781859: "1"})
    f["no_contig_lines.vcf"] = text(header(contigs={}) + cyp_rows())
    f["phased_hom.vcf"] = good_vcf(gts={94842866: "1|1", 94775367: "0|1", 94781859: "0|1"})
    f["chr10_part.vcf"] = text(header() + cyp_rows()[:20])
    f["chr10_rest_other_sample.vcf"] = text(header(("S2",)) + cyp_rows()[20:])
    f["split_a.vcf"] = text(header() + cyp_rows()[:20])
    f["split_b.vcf"] = text(header() + cyp_rows()[20:])
    f["multiallelic_split.vcf"] = text(header() + cyp_rows() + [
        "\t".join(["chr10", str(STAR2_POS), ".", "G", "T", "50", "PASS", ".", "GT", "0/0"])])
    f["gt_dot_partial.vcf"] = good_vcf(gts={**STAR2, STAR2_POS: "./1"})
    f["lowercase_alleles.vcf"] = text(header() + [
        "\t".join(c.lower() if i in (3, 4) else c for i, c in enumerate(r.split("\t"))) for r in cyp_rows()])
    # build from the data, regions, sample ids
    f["grch37_no_header.vcf"] = text(header(contigs={}) + grch37_rows())
    f["off_target.vcf"] = text(header() + off_target_rows())
    f["grch38_and_grch37_parts.vcf"] = text(header(contigs={}) + grch37_rows()[:20])
    # *1/*17 for the ids the same-slug case reads as "other samples", *1/*2 for the others
    multi = {k: (STAR17 if n in ("LAB_2024/001", "P1<i>", "Müller-07") else STAR2) for k, n in enumerate(UNUSUAL_IDS)}
    f["unusual_ids.vcf"] = text(header(UNUSUAL_IDS) + cyp_rows(nsamples=len(UNUSUAL_IDS), per_sample=multi))
    # outside calls and copy number
    f["outside_unknown_gene.tsv"] = b"# gene\tdiplotype\nCYP2D6\t*1/*4\nCYP9Z9\t*1/*2\n"
    f["outside_unknown_allele.tsv"] = b"CYP2D6\t*1/*999\n"
    f["outside_non_utf8.tsv"] = b"CYP2D6\t*1/*4\tPoor metaboliser \xe9\xff\n"
    f["outside_ok.tsv"] = b"# gene\tdiplotype\nCYP2D6\t*1/*4\n"
    f["cnv_inverted.tsv"] = b"Chromosome\tStart\tEnd\tCN\nchr17\t39900000\t39600010\t9\n"
    f["cnv_non_numeric.tsv"] = b"Chromosome\tStart\tEnd\tCN\nchr17\t39600010\t39900000\tmany\n"
    # sample sheets kept as raw bytes ({IN} is the folder of the copied inputs)
    f["sheet_bom.tsv"] = b"\xef\xbb\xbfsample\tvcf\nS1\t{IN}/good.vcf\n"
    f["sheet_crlf.tsv"] = b"# CRLF sheet\r\nsample\tvcf\tmedications\r\nS1\t{IN}/good.vcf\tclopidogrel\r\n"
    f["sheet_empty.tsv"] = b""
    f["sheet_header_only.tsv"] = b"sample\tvcf\n"
    f["sheet_missing_vcf_column.tsv"] = b"sample\tsex\nS1\tfemale\n"
    f["sheet_extra_fields.tsv"] = b"sample\tvcf\nS1\t{IN}/good.vcf\tfemale\n"
    f["sheet_non_utf8.tsv"] = b"sample\tvcf\tmedications\nS1\t{IN}/good.vcf\tcod\xe9ine\n"
    f["sheet_comma_separated.csv"] = b"sample,vcf\nS1,{IN}/good.vcf\n"
    # configs kept as raw text ({SHEET} is the sheet path)
    f["config_bad_yaml.yaml"] = b"samples: {SHEET}\nreference_build: [GRCh38\nfhir: true\n"
    f["config_list.yaml"] = b"- samples: {SHEET}\n"
    f["config_tabs.yaml"] = b"samples: {SHEET}\ncopy_number:\n\tploidy: 2\n"
    return f


# ----------------------------------------------------------------------------- cases

S1 = [{"sample": "S1", "vcf": "good.vcf"}]


def json_string(value: str) -> str:
    """How ``value`` appears in a report's JSON text."""
    return json.dumps(value, ensure_ascii=False)
CYP_12 = {"genes": {"CYP2C19": {"status": "called", "diplotype": "*1/*2"}}}


def vcf_case(cid, file, expect, *, via="annotate", message=(), asserts=None, what="", stdout=(), **extra):
    case = {"id": cid, "what": what, "via": via, "files": [file], "sheet": [{"sample": "S1", "vcf": file}],
            "expect": expect}
    if expect == "error":
        case["message"] = list(message)
    elif expect == "ok":
        case["stdout"] = list(stdout)
    else:
        case["assert"] = asserts or {}
    case.update(extra)
    return case


def build_cases() -> list[dict]:
    c: list[dict] = []
    E = "error"
    R = "report"
    # ------------------------------------------------------------- VCF container/format
    c.append(vcf_case("not_a_vcf", "not_a_vcf.vcf", E, via="run", what="plain text, not a VCF",
                      message=["not_a_vcf.vcf", "not a VCF", "fileformat"]))
    c.append(vcf_case("truncated_bgzip", "truncated.vcf.gz", E, via="run", what="bgzipped VCF cut in half",
                      message=["truncated.vcf.gz", "truncated", "bgzip"]))
    c.append(vcf_case("truncated_gzip", "truncated_gzip.vcf.gz", E, what="plain-gzip VCF cut in half",
                      message=["truncated_gzip.vcf.gz", "truncated", "bgzip"]))
    c.append(vcf_case("plain_text_named_gz", "plain_named.vcf.gz", R, what="uncompressed VCF named .vcf.gz",
                      asserts=CYP_12))
    c.append(vcf_case("bcf_garbage", "garbage.bcf", E, what="BGZF block holding 'BCF' magic then garbage",
                      message=["garbage.bcf", "bcftools"]))
    c.append(vcf_case("bcf_uncompressed_garbage", "garbage_uncompressed.bcf", E, what="raw BCF magic then garbage",
                      message=["garbage_uncompressed.bcf", "uncompressed BCF", "bcftools view -Ob"]))
    c.append(vcf_case("random_gzip_magic", "random_bytes.vcf.gz", E, what="gzip magic then random bytes",
                      message=["random_bytes.vcf.gz", "corrupt", "bgzip"]))
    c.append(vcf_case("empty_file", "empty.vcf", E, what="0-byte VCF", message=["empty.vcf", "empty", "#CHROM"]))
    c.append(vcf_case("gzip_of_nothing", "gzip_of_nothing.vcf.gz", E, what="valid gzip of 0 bytes",
                      message=["gzip_of_nothing.vcf.gz", "VCF"]))
    c.append(vcf_case("vcf_is_directory", "a_directory.vcf", E, what="the vcf path is a folder",
                      message=["a_directory.vcf", "directory"], files=[], mkdir=["a_directory.vcf"]))
    c.append(vcf_case("missing_chrom_line", "no_chrom_line.vcf", E, what="header without #CHROM",
                      message=["no_chrom_line.vcf", "#CHROM"]))
    c.append(vcf_case("missing_fileformat", "no_fileformat.vcf", E, what="no ##fileformat line",
                      message=["no_fileformat.vcf", "##fileformat"]))
    c.append(vcf_case("spaces_not_tabs", "spaces_not_tabs.vcf", E, what="records separated by spaces",
                      message=["spaces_not_tabs.vcf", "line 8", "tab-separated", "not spaces"]))
    c.append(vcf_case("bad_pos", "bad_pos.vcf", E, what="POS not a number",
                      message=["bad_pos.vcf", "line 31", "POS", "not a whole number"]))
    c.append(vcf_case("short_record", "short_record.vcf", E, what="a record with 5 columns only",
                      message=["short_record.vcf", "line 31", "5 tab-separated column(s), expected 10"]))
    c.append(vcf_case("vcf_bom", "bom.vcf", E, what="UTF-8 byte-order mark before ##fileformat",
                      message=["bom.vcf", "byte-order mark", "without the BOM"]))
    c.append(vcf_case("crlf_line_endings", "crlf.vcf", R, via="run", what="Windows line endings",
                      asserts=CYP_12))
    c.append(vcf_case("non_utf8_bytes", "non_utf8.vcf", R, what="Latin-1 bytes in header and INFO",
                      asserts=CYP_12))
    c.append(vcf_case("enormous_info", "enormous_info.vcf.gz", R, what="a 1 MiB INFO field (bgzipped)",
                      asserts=CYP_12))
    # ------------------------------------------------------------------- genotypes
    c.append(vcf_case("missing_gt_header", "no_gt_header.vcf", E, what="FORMAT has DP only",
                      message=["no_gt_header.vcf", "GT", "genotypes"]))
    c.append(vcf_case("gt_absent_in_records", "gt_absent_in_records.vcf", R,
                      what="GT declared but records carry DP only",
                      asserts={"genes": {"CYP2C19": {"status": "not_called"}}}))
    c.append(vcf_case("allele_index_out_of_range", "allele_index_out_of_range.vcf", E, what="GT 0/2 with one ALT",
                      message=["allele_index_out_of_range.vcf", "chr10:94781859", "allele index", "re-create"]))
    c.append(vcf_case("ploidy_3", "ploidy3.vcf", E, what="GT 0/1/1",
                      message=["ploidy3.vcf", "chr10:94781859", "ploidy 3", "diploid"]))
    c.append(vcf_case("haploid_autosome", "haploid_autosome.vcf", R, what="haploid GTs on chr10",
                      asserts={"genes": {"CYP2C19": {"status_in": ["not_called", "ambiguous", "called"]}}}))
    c.append(vcf_case("all_missing_gt", "all_missing_gt.vcf", R, what="every GT ./.",
                      asserts={"genes": {"CYP2C19": {"status": "not_called"}}}))
    c.append(vcf_case("partial_gt", "gt_dot_partial.vcf", R, what="GT ./1 at the *2 position",
                      asserts={"genes": {"CYP2C19": {"diplotype_not": "*1/*1"}}}))
    c.append(vcf_case("phased_hom_sites", "phased_hom.vcf", R, what="1|1 and 0|1 notation",
                      asserts=CYP_12))
    c.append(vcf_case("lowercase_alleles", "lowercase_alleles.vcf", R, what="REF/ALT in lower case",
                      asserts=CYP_12))
    # ---------------------------------------------------------------------- samples
    c.append(vcf_case("duplicate_sample_columns", "duplicate_sample_columns.vcf", E,
                      what="two columns named S1", message=["duplicate_sample_columns.vcf", "duplicate sample", "reheader"]))
    c.append(vcf_case("sample_not_in_vcf", "good.vcf", E, via="run", what="sheet names S9, VCF has S1",
                      message=["good.vcf", "S9", "not in the VCF", "sample sheet"],
                      sheet=[{"sample": "S9", "vcf": "good.vcf"}], sample="S9"))
    c.append(vcf_case("sample_not_in_vcf_check", "good_multi.vcf", E, via="check",
                      what="sheet names S-1 and S9, VCF has S1, S2, S3: caught by check, closest name offered",
                      message=["good_multi.vcf", "S-1, S9", "not in the VCF", "S-1 -> S1", "sample sheet"],
                      sheet=[{"sample": "S-1", "vcf": "good_multi.vcf"}, {"sample": "S9", "vcf": "good_multi.vcf"}],
                      sample="S-1"))
    c.append(vcf_case("no_samples_in_vcf", "sites_only.vcf", E, what="sites-only VCF",
                      message=["sites_only.vcf", "no samples"]))
    c.append(vcf_case("multi_sample_subset_order", "good_multi.vcf", R, what="sheet lists S3, S1 of a 3-sample VCF",
                      sheet=[{"sample": "S3", "vcf": "good_multi.vcf"}, {"sample": "S1", "vcf": "good_multi.vcf"}],
                      asserts={"genes": {"CYP2C19": {"status": "called", "diplotype": "*1/*2"}},
                               "other_samples": {"S3": {"CYP2C19": "*1/*17"}}}))
    c.append({"id": "split_vcf_sample_missing", "what": "split over two files, the second lacks S1",
              "via": "annotate", "files": ["chr10_part.vcf", "chr10_rest_other_sample.vcf"],
              "sheet": [{"sample": "S1", "vcf": "chr10_part.vcf;chr10_rest_other_sample.vcf"}],
              "expect": E, "message": ["chr10_rest_other_sample.vcf", "S1", "not in the VCF"]})
    c.append({"id": "split_vcf_ok", "what": "one sample split over two files", "via": "annotate",
              "files": ["split_a.vcf", "split_b.vcf"], "sheet": [{"sample": "S1", "vcf": "split_a.vcf;split_b.vcf"}],
              "expect": R, "assert": CYP_12})
    # ---------------------------------------------------------------- build / contigs
    c.append(vcf_case("unknown_build", "good.vcf", E, via="check", what="reference_build: hg19",
                      config={"reference_build": "hg19"}, message=["reference_build", "GRCh38"]))
    c.append(vcf_case("other_build_contigs", "grch37_contigs.vcf", E, via="run",
                      what="##contig lengths of GRCh37, config GRCh38",
                      message=["grch37_contigs.vcf", "GRCh37", "reference_build"]))
    grch37_msg = ["grch37_no_header.vcf", "the records are GRCh37", "REF matches GRCh37 at 100% of 34 PGx positions",
                  "reference_build: GRCh37"]
    c.append(vcf_case("grch37_no_header_check", "grch37_no_header.vcf", E, via="check",
                      what="GRCh37 records, no ##contig/##reference, config GRCh38: decided from REF",
                      message=grch37_msg))
    c.append(vcf_case("grch37_no_header_run", "grch37_no_header.vcf", E, via="run",
                      what="the same through the whole workflow: stops before any job", message=grch37_msg))
    c.append(vcf_case("grch37_no_header_job", "grch37_no_header.vcf", E,
                      what="the same in the annotation job alone (a direct snakemake/annotate run)",
                      message=grch37_msg))
    c.append(vcf_case("grch37_no_header_as_grch37", "grch37_no_header.vcf", R, config={"reference_build": "GRCh37"},
                      what="the same VCF with reference_build: GRCh37 is called",
                      asserts={"genes": {"CYP2C19": {"status_in": ["called", "ambiguous"]}}}))
    c.append({"id": "split_vcf_one_part_grch37", "what": "one sample split over a GRCh38 and a GRCh37 file",
              "via": "check", "files": ["split_a.vcf", "grch38_and_grch37_parts.vcf"],
              "sheet": [{"sample": "S1", "vcf": "split_a.vcf;grch38_and_grch37_parts.vcf"}],
              "expect": E, "message": ["grch38_and_grch37_parts.vcf", "the records are GRCh37"]})
    c.append(vcf_case("mixed_build_contigs", "mixed_contig_lengths.vcf", E, what="contig lengths of both builds",
                      message=["mixed_contig_lengths.vcf", "GRCh37 and GRCh38"]))
    c.append(vcf_case("mixed_chr_names", "mixed_chr_names.vcf", R, what="records alternate chr10 / 10",
                      asserts=CYP_12))
    c.append(vcf_case("no_chr_prefix", "no_chr_prefix.vcf", R, what="contig '10' instead of 'chr10'",
                      asserts=CYP_12))
    c.append(vcf_case("no_contig_lines", "no_contig_lines.vcf", R, what="no ##contig lines at all",
                      asserts=CYP_12))
    c.append(vcf_case("ref_mismatch_one_site", "ref_mismatch_one.vcf", R, what="REF C where the definitions say G",
                      asserts={"genes": {"CYP2C19": {"diplotype_not": "*1/*2"}},
                               "json_contains": ["REF mismatch at chr10:94781859"]}))
    c.append(vcf_case("ref_mismatch_many", "ref_mismatch_many.vcf", E, what="every REF complemented",
                      message=["ref_mismatch_many.vcf", "REF alleles differ", "reference_build"]))
    c.append(vcf_case("iupac_ref", "iupac_ref.vcf", R, what="REF 'R' at the *2 position",
                      asserts={"genes": {"CYP2C19": {"diplotype_not": "*1/*2"}},
                               "json_contains": ["REF mismatch at chr10:94781859"]}))
    # ------------------------------------------------------------------ alleles / records
    c.append(vcf_case("symbolic_allele", "symbolic_allele.vcf", R, what="<DEL> at the *2 position",
                      asserts={"genes": {"CYP2C19": {"diplotype_not": "*1/*1"}}}))
    c.append(vcf_case("spanning_deletion", "spanning_deletion.vcf", R, what="'*' allele at the *2 position",
                      asserts={"genes": {"CYP2C19": {"diplotype_not": "*1/*1"}}}))
    c.append(vcf_case("duplicate_records", "duplicate_records.vcf", R, via="run", what="every record twice",
                      asserts=CYP_12))
    c.append(vcf_case("multiallelic_split_records", "multiallelic_split.vcf", R,
                      what="a second (hom-ref) record at the *2 position", asserts=CYP_12))
    c.append(vcf_case("unsorted_plain", "unsorted.vcf", R, what="records in reverse order, plain text",
                      asserts=CYP_12))
    c.append(vcf_case("unsorted_bgzip_no_index", "unsorted_noindex.vcf.gz", R,
                      what="records in reverse order, bgzipped, no index", asserts=CYP_12))
    c.append(vcf_case("bgzip_no_index", "sorted_noindex.vcf.gz", R, via="run",
                      what="bgzipped without index: index built under results/work, not beside the input",
                      asserts=CYP_12))
    c.append(vcf_case("stale_index_older_than_vcf", "stale_index.vcf.gz", R, via="run",
                      files=["stale_index.vcf.gz", "stale_index.vcf.gz.tbi"],
                      mtime={"stale_index.vcf.gz.tbi": -7200},
                      what="a .tbi of another file, older than the VCF: ignored, an index is built under results/work",
                      asserts=CYP_12))
    c.append(vcf_case("bcf_without_index", "good_noindex.bcf", R, what="a valid BCF without .csi",
                      asserts=CYP_12))
    c.append(vcf_case("gvcf_blocks_only", "gvcf_blocks_only.vcf", R, what="only <NON_REF> reference blocks",
                      asserts={"genes": {"CYP2C19": {"status": "called", "diplotype": "*38/*38"}}}))
    c.append(vcf_case("check_gvcf", "gvcf_blocks_only.vcf", "ok", via="check", what="check says gVCF",
                      stdout=["S1: 1 VCF, gVCF", "GRCh38"]))
    c.append(vcf_case("check_phased", "phased_hom.vcf", "ok", via="check", what="check says phased",
                      stdout=["REF matches GRCh38 at 100% of 35 PGx positions", "1/20 VCF genes", "% phased;"]))
    c.append(vcf_case("check_unphased", "good.vcf", "ok", via="check", what="check says unphased",
                      stdout=["; unphased;", "S1:"]))
    c.append(vcf_case("empty_body", "header_only.vcf", E, what="header only, no records: never a report of "
                      "all-not-called genes", message=["header_only.vcf", "no records"]))
    c.append(vcf_case("empty_body_run", "header_only.vcf", E, via="run", what="header only, through the workflow",
                      message=["header_only.vcf", "no records"]))
    c.append(vcf_case("off_target_records", "off_target.vcf", E, via="check",
                      what="records only far from the pharmacogenes",
                      message=["off_target.vcf", "pharmacogene region", "wrong build or a VCF filtered"]))
    c.append(vcf_case("off_target_records_job", "off_target.vcf", E, what="the same in the annotation job",
                      message=["off_target.vcf", "wrong build or a VCF filtered"]))
    # ---------------------------------------------------------------- unreadable file
    c.append(vcf_case("unreadable_vcf", "good.vcf", E, what="chmod 000 (skipped as root: root reads anything)",
                      chmod={"good.vcf": 0}, skip_if_root=True, message=["good.vcf", "permission"]))
    c.append(vcf_case("vcf_path_missing", "does_not_exist.vcf", E, via="run", files=[],
                      what="the sheet names a file that does not exist",
                      message=["does_not_exist.vcf", "does not exist", "line 2"]))
    # ----------------------------------------------------------------- sample sheets
    def sheet_case(cid, what, expect="error", message=(), **kw):
        d = {"id": cid, "what": what, "via": kw.pop("via", "check"), "files": kw.pop("files", ["good.vcf"]),
             "expect": expect}
        d.update(kw)
        if expect == "error":
            d["message"] = list(message)
        return d

    c.append(sheet_case("sheet_repeated_sample", "S1 listed twice", via="run",
                        sheet=[{"sample": "S1", "vcf": "good.vcf"}, {"sample": "S1", "vcf": "good.vcf"}],
                        message=["samples.tsv", "line 3", "repeated", "list each sample once"]))
    c.append(sheet_case("sheet_missing_vcf_column", "no 'vcf' column", files=["good.vcf", "sheet_missing_vcf_column.tsv"],
                        sheet_file="sheet_missing_vcf_column.tsv", message=["required column", "vcf", "line 1"]))
    c.append(sheet_case("sheet_empty", "0-byte sample sheet", files=["sheet_empty.tsv"], sheet_file="sheet_empty.tsv",
                        message=["samples.tsv", "no header"]))
    c.append(sheet_case("sheet_header_only", "header, no rows", files=["sheet_header_only.tsv"],
                        sheet_file="sheet_header_only.tsv", message=["samples.tsv", "no samples"]))
    c.append(sheet_case("sheet_extra_fields", "a row with more fields than the header",
                        files=["good.vcf", "sheet_extra_fields.tsv"], sheet_file="sheet_extra_fields.tsv",
                        message=["samples.tsv", "line 2", "stray tabs"]))
    c.append(sheet_case("sheet_non_utf8", "Latin-1 byte in a medication", files=["good.vcf", "sheet_non_utf8.tsv"],
                        sheet_file="sheet_non_utf8.tsv", message=["samples.tsv", "UTF-8"]))
    c.append(sheet_case("sheet_comma_separated", "CSV instead of TSV", files=["good.vcf", "sheet_comma_separated.csv"],
                        sheet_file="sheet_comma_separated.csv", message=["samples.tsv", "tab-separated"]))
    c.append(sheet_case("sheet_bom", "UTF-8 BOM before the header", expect="report", via="annotate",
                        files=["good.vcf", "sheet_bom.tsv"], sheet_file="sheet_bom.tsv", **{"assert": CYP_12}))
    c.append(sheet_case("sheet_crlf", "sheet with CRLF line endings", expect="report", via="annotate",
                        files=["good.vcf", "sheet_crlf.tsv"], sheet_file="sheet_crlf.tsv",
                        **{"assert": {**CYP_12, "json_contains": ['"clopidogrel"']}}))
    # any id the VCF allows works (output files get a safe name, the report shows the id)
    def id_case(cid, what, sample, *, via="annotate", asserts=None):
        return {"id": cid, "what": what, "via": via, "files": ["unusual_ids.vcf"],
                "sheet": [{"sample": sample, "vcf": "unusual_ids.vcf"}], "sample": sample, "expect": "report",
                "assert": asserts or {**CYP_12, "json_contains": [json_string(sample)]}}

    c.append(id_case("sheet_name_with_space", "sample 'S 1': reported as S_1~<hash>.*", "S 1"))
    c.append(id_case("sheet_name_html", "sample '<script>alert(1)</script>': escaped in the HTML",
                     "<script>alert(1)</script>", via="run",
                     asserts={**CYP_12, "html_not_contains": ["<script>alert(1)"],
                              "html_contains": ["&lt;script&gt;alert(1)&lt;/script&gt;"]}))
    c.append(id_case("sheet_name_path_separator", "sample '../../etc/evil': written under results/ only",
                     "../../etc/evil", via="run"))
    c.append(id_case("sheet_name_dotfile", "sample '.hidden': no hidden file", ".hidden"))
    c.append({"id": "sheet_names_same_slug_and_unicode", "what": "ids that slug the same, unicode, '<', '/'",
              "via": "run", "files": ["unusual_ids.vcf"],
              "sheet": [{"sample": n, "vcf": "unusual_ids.vcf"} for n in
                        ("LAB 2024/001", "LAB_2024/001", "P1<i>", "Müller-07")],
              "sample": "LAB 2024/001", "expect": "report",
              "assert": {**CYP_12, "other_samples": {"LAB_2024/001": {"CYP2C19": "*1/*17"},
                                                     "P1<i>": {"CYP2C19": "*1/*17"},
                                                     "Müller-07": {"CYP2C19": "*1/*17"}}}})
    c.append(sheet_case("sheet_bad_sex", "sex 'yes'", sheet=[{"sample": "S1", "vcf": "good.vcf", "sex": "yes"}],
                        message=["samples.tsv", "line 2", "female, male or unknown"]))
    c.append(sheet_case("sheet_bad_secondary_findings", "secondary_findings 'maybe'",
                        sheet=[{"sample": "S1", "vcf": "good.vcf", "secondary_findings": "maybe"}],
                        message=["samples.tsv", "line 2", "yes or no"]))
    c.append(sheet_case("sheet_unknown_column", "a 'notes' column",
                        sheet=[{"sample": "S1", "vcf": "good.vcf", "notes": "x"}],
                        message=["samples.tsv", "unknown column", "notes", "allowed columns"]))
    c.append(sheet_case("sheet_missing_outside_file", "outside_calls names a missing file",
                        sheet=[{"sample": "S1", "vcf": "good.vcf", "outside_calls": "nope.tsv"}],
                        message=["samples.tsv", "line 2", "nope.tsv", "does not exist"]))
    c.append(sheet_case("config_samples_missing", "config names a sheet that does not exist",
                        config={"samples": "no_such_sheet.tsv"}, message=["no_such_sheet.tsv", "does not exist", "samples:"]))
    # ------------------------------------------------------------------------ config
    c.append(sheet_case("config_chunk_size_string", "chunk_size: 'ten'", config={"chunk_size": "ten"},
                        message=["config.yaml", "chunk_size", "integer"]))
    c.append(sheet_case("config_fhir_string", "fhir: 'sometimes'", config={"fhir": "sometimes"},
                        message=["config.yaml", "fhir", "boolean"]))
    c.append(sheet_case("config_outputs_unknown_via_check", "outputs: [jsn] (a misspelt format)",
                        config={"outputs": ["jsn"]}, message=["config.yaml", "outputs", "'jsn'", "json, tsv"]))
    c.append(sheet_case("config_outputs_unknown_via_run", "outputs: [jsn] through the whole workflow", via="run",
                        config={"outputs": ["jsn"]}, message=["config.yaml", "outputs", "'jsn'", "json, tsv"]))
    c.append(sheet_case("config_schema_error_via_run", "reference_build: hg19 through the whole workflow",
                        via="run", config={"reference_build": "hg19"}, message=["config.yaml", "reference_build", "GRCh38"]))
    c.append(sheet_case("sheet_sex_abbreviation", "sex 'F', secondary_findings 'y' (accepted by pgxannot check)",
                        via="run", expect="report",
                        sheet=[{"sample": "S1", "vcf": "good.vcf", "sex": "F", "secondary_findings": "y"}],
                        **{"assert": CYP_12}))
    c.append(sheet_case("config_unknown_key", "a misspelt key", config={"refrence_build": "GRCh38"},
                        message=["config.yaml", "refrence_build"]))
    c.append(sheet_case("config_chunk_size_zero", "chunk_size: 0", config={"chunk_size": 0},
                        message=["config.yaml", "chunk_size"]))
    c.append(sheet_case("config_missing_as_ref_string", "missing_positions_as_reference: 'no'",
                        config={"missing_positions_as_reference": "no"},
                        message=["config.yaml", "missing_positions_as_reference", "boolean"]))
    c.append(sheet_case("config_nested_wrong_type", "copy_number: 5", config={"copy_number": 5},
                        message=["config.yaml", "copy_number", "object"]))
    c.append(sheet_case("config_bad_yaml", "unclosed bracket", files=["good.vcf", "config_bad_yaml.yaml"],
                        config_file="config_bad_yaml.yaml", message=["config.yaml", "YAML", "line"]))
    c.append(sheet_case("config_list", "a YAML list instead of a mapping", files=["good.vcf", "config_list.yaml"],
                        config_file="config_list.yaml", message=["config.yaml", "mapping"]))
    c.append(sheet_case("config_tabs", "tab indentation", files=["good.vcf", "config_tabs.yaml"],
                        config_file="config_tabs.yaml", message=["config.yaml", "YAML", "line 3"]))
    # -------------------------------------------------------- outside calls and CNV
    c.append({"id": "outside_unknown_gene", "what": "outside call for gene CYP9Z9", "via": "annotate",
              "files": ["good.vcf", "outside_unknown_gene.tsv"],
              "sheet": [{"sample": "S1", "vcf": "good.vcf", "outside_calls": "outside_unknown_gene.tsv"}],
              "expect": E, "message": ["outside_unknown_gene.tsv", "line 3", "CYP9Z9"]})
    c.append({"id": "outside_unknown_allele", "what": "CYP2D6 *999", "via": "run",
              "files": ["good.vcf", "outside_unknown_allele.tsv"],
              "sheet": [{"sample": "S1", "vcf": "good.vcf", "outside_calls": "outside_unknown_allele.tsv"}],
              "expect": E, "message": ["outside_unknown_allele.tsv", "line 1", "*999"]})
    c.append({"id": "outside_non_utf8", "what": "Latin-1 byte in an outside-call file", "via": "annotate",
              "files": ["good.vcf", "outside_non_utf8.tsv"],
              "sheet": [{"sample": "S1", "vcf": "good.vcf", "outside_calls": "outside_non_utf8.tsv"}],
              "expect": E, "message": ["outside_non_utf8.tsv"]})
    c.append({"id": "cnv_inverted_coordinates", "what": "segment End < Start", "via": "annotate",
              "files": ["good.vcf", "cnv_inverted.tsv"],
              "sheet": [{"sample": "S1", "vcf": "good.vcf", "cnv": "cnv_inverted.tsv", "tumor_type": "breast"}],
              "expect": E, "message": ["cnv_inverted.tsv", "line 2", "inverted"]})
    c.append({"id": "cnv_non_numeric", "what": "CN 'many'", "via": "annotate",
              "files": ["good.vcf", "cnv_non_numeric.tsv"],
              "sheet": [{"sample": "S1", "vcf": "good.vcf", "cnv": "cnv_non_numeric.tsv"}],
              "expect": E, "message": ["cnv_non_numeric.tsv", "line 2", "many"]})
    # one patient's bad file fails that patient only: the others are reported
    c.append({"id": "outside_bad_one_of_three", "what": "S2's outside-call file is bad; S1 and S3 are reported",
              "via": "run", "files": ["good_multi.vcf", "outside_unknown_allele.tsv"],
              "sheet": [{"sample": "S1", "vcf": "good_multi.vcf"},
                        {"sample": "S2", "vcf": "good_multi.vcf", "outside_calls": "outside_unknown_allele.tsv"},
                        {"sample": "S3", "vcf": "good_multi.vcf"}],
              "expect": "partial", "failed": {"S2": ["outside_unknown_allele.tsv", "line 1", "*999"]},
              "reported": ["S1", "S3"]})
    c.append({"id": "cnv_bad_one_of_two", "what": "S1's copy-number file is bad; S3 is reported",
              "via": "run", "files": ["good_multi.vcf", "cnv_non_numeric.tsv"],
              "sheet": [{"sample": "S1", "vcf": "good_multi.vcf", "cnv": "cnv_non_numeric.tsv"},
                        {"sample": "S3", "vcf": "good_multi.vcf"}],
              "expect": "partial", "failed": {"S1": ["cnv_non_numeric.tsv", "line 2", "many"]},
              "reported": ["S3"]})
    c.append({"id": "outside_bad_check", "what": "pgxannot check parses every outside-call file",
              "via": "check", "files": ["good_multi.vcf", "outside_unknown_gene.tsv"],
              "sheet": [{"sample": "S1", "vcf": "good_multi.vcf"},
                        {"sample": "S2", "vcf": "good_multi.vcf", "outside_calls": "outside_unknown_gene.tsv"}],
              "expect": E, "message": ["patient S2", "outside_unknown_gene.tsv", "CYP9Z9"]})
    # ----------------------------------------------------------------- HTML payloads
    payload_meds = "<script>alert(1)</script>;\"><img src=x onerror=alert(2)>;javascript:alert(3)"
    c.append({"id": "html_payload_in_medications", "what": "script/attribute/URL payloads in medications and indication",
              "via": "run", "files": ["good.vcf", "outside_ok.tsv"],
              "sheet": [{"sample": "S1", "vcf": "good.vcf", "medications": payload_meds,
                         "outside_calls": "outside_ok.tsv",
                         "indication": "<a href=\"javascript:alert(4)\">pain</a>' onmouseover='alert(5)"}],
              "expect": R, "assert": {**CYP_12, "html_not_contains": [
                  "<script>alert(1)", "<img src=x", "<a href=\"javascript:", "' onmouseover='alert(5)"],
                  "html_contains": ["&lt;script&gt;alert(1)&lt;/script&gt;"]}})
    return c


def main() -> None:
    if FILES.exists():
        shutil.rmtree(FILES)
    FILES.mkdir(parents=True)
    files = build_files()
    for name, data in sorted(files.items()):
        (FILES / name).write_bytes(data)
    cases = build_cases()
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    for c in cases:
        for f in c["files"]:
            assert f in files, f"{c['id']}: unknown file {f}"
    doc = ("# Bad-input corpus: generated by make_corpus.py (do not edit by hand).\n"
           "# expect: error -> non-zero exit, one-line message containing every 'message' substring;\n"
           "# expect: report -> exit 0 and the 'assert' checks hold on the sample's report;\n"
           "# expect: ok -> (pgxannot check) exit 0, stdout contains every 'stdout' substring;\n"
           "# expect: partial -> non-zero exit; each 'failed' patient gets no report and one error line\n"
           "#   with its substrings; every 'reported' patient gets its reports.\n")
    doc += yaml.safe_dump(cases, sort_keys=False, allow_unicode=True, width=120)
    (HERE / "cases.yaml").write_text(doc, encoding="utf-8")
    total = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file())
    print(f"{len(cases)} cases, {len(files)} files, corpus {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
