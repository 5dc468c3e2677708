"""The genome build decided from the records (vcf.build) and the fast probe of a VCF (vcf.probe)."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgxannot.preflight import all_sites, decision_sites
from pgxannot.vcf.build import MIN_COMPARED, decide_build, ref_agrees, tally
from pgxannot.vcf.header import inspect_vcf
from pgxannot.vcf.probe import probe_vcf

# cyvcf2 warns for a region on a chromosome without records (silenced outside pytest by vcf.handle)
pytestmark = pytest.mark.filterwarnings("ignore:no intervals found")
BAD = Path(__file__).resolve().parents[1] / "data" / "bad" / "files"
BASES = st.sampled_from("ACGT")


def pairs(n_match: int, n_other: int, ref: str = "A", other: str = "G") -> list[tuple[str, str]]:
    return [(ref, ref)] * n_match + [(ref, other)] * n_other


def test_a_grch37_vcf_is_grch37_with_the_evidence_in_words():
    call = decide_build({"GRCh37": pairs(206, 6), "GRCh38": pairs(14, 31)})
    assert call.build == "GRCh37" and call.verdict == "decided"
    assert call.evidence() == "REF matches GRCh37 at 97% of 212 PGx positions (GRCh38: 31% of 45)"


def test_no_record_at_the_other_builds_positions():
    call = decide_build({"GRCh38": pairs(35, 0)})
    assert call.build == "GRCh38"
    assert call.evidence().endswith("(GRCh37: no record at its positions)")


def test_too_few_records_decide_nothing():
    call = decide_build({"GRCh37": pairs(MIN_COMPARED - 1, 0)})
    assert call.build is None and call.verdict == "undecided"


def test_ref_matching_no_build_is_neither():
    call = decide_build({"GRCh38": pairs(3, 32)})
    assert call.build is None and call.verdict == "neither"


def test_uncertain_agreement_is_not_neither():
    call = decide_build({"GRCh38": pairs(20, 10)})  # 67%: neither a clear match nor clearly wrong
    assert call.build is None and call.verdict == "undecided"


def test_both_builds_supported_the_clear_majority_wins():
    assert decide_build({"GRCh38": pairs(200, 0), "GRCh37": pairs(9, 1)}).build == "GRCh38"
    assert decide_build({"GRCh38": pairs(12, 0), "GRCh37": pairs(10, 0)}).verdict == "both"


@pytest.mark.parametrize(("expected", "observed", "agree"), [
    ("A", "A", True), ("A", "a", True), ("CA", "C", True), ("C", "CAT", True),
    ("A", "G", False), ("CA", "G", False), ("A", "", False), ("", "A", False),
])
def test_ref_agrees(expected, observed, agree):
    assert ref_agrees(expected, observed) is agree


@given(st.sampled_from(["GRCh38", "GRCh37"]), st.lists(BASES, min_size=MIN_COMPARED, max_size=60),
       st.lists(st.tuples(BASES, BASES), max_size=MIN_COMPARED - 1))
def test_the_build_whose_positions_carry_the_reference_wins(build, refs, noise):
    """Every record at ``build``'s positions has the reference base; the other build sees
    fewer records than a decision needs (by chance), with any bases."""
    other = "GRCh37" if build == "GRCh38" else "GRCh38"
    call = decide_build({build: [(r, r) for r in refs], other: noise})
    assert call.build == build
    assert call.tally(build).compared == len(refs)


@given(st.sampled_from(["GRCh38", "GRCh37"]), st.lists(BASES, min_size=MIN_COMPARED, max_size=60),
       st.lists(st.tuples(BASES, BASES), max_size=60))
def test_the_wrong_build_is_never_chosen(build, refs, noise):
    """Whatever the other build's records: the build whose every record carries the reference
    is chosen, or no build is (both supported alike), never the other one unless its own
    records match at least twice as often (WIN_RATIO)."""
    other = "GRCh37" if build == "GRCh38" else "GRCh38"
    call = decide_build({build: [(r, r) for r in refs], other: noise})
    if call.build == other:
        assert call.tally(other).matching >= 2 * len(refs)
    else:
        assert call.build in (build, None)
        if call.build is None:
            assert call.verdict == "both"


@given(st.lists(st.tuples(BASES, BASES), max_size=40))
def test_tally_counts(pairs_):
    t = tally("GRCh38", pairs_)
    assert t.compared == len(pairs_) and t.matching == sum(a == b for a, b in pairs_)


def test_positions_identical_in_both_builds_do_not_vote():
    d = decision_sites()
    for b, sites in d.items():
        other = set(all_sites()["GRCh37" if b == "GRCh38" else "GRCh38"])
        assert not set(sites) & other
    assert len(d["GRCh38"]) < len(all_sites()["GRCh38"])  # chrM positions are the same in both


def _probe(name: str, samples=("S1",)):
    info = inspect_vcf(BAD / name)
    return probe_vcf(info, all_sites(), main_build="GRCh38", index_dir=None, samples=samples)


def test_probe_of_a_small_grch38_vcf():
    p = _probe("good.vcf")
    assert len(p.refs["GRCh38"]) == 35 and p.refs["GRCh37"] == {}
    assert p.records_in_regions == 35 and p.has_records and not p.ref_blocks
    g = p.genotypes["S1"]
    assert g.diploid > 0 and g.phased == 0
    assert decide_build(p.observed(decision_sites())).build == "GRCh38"


def test_probe_sees_phasing_gvcf_blocks_and_an_empty_body():
    assert _probe("phased_hom.vcf").genotypes["S1"].phased > 0
    blocks = _probe("gvcf_blocks_only.vcf")
    assert blocks.ref_blocks == 2 and blocks.records_in_regions == 2
    empty = _probe("header_only.vcf")
    assert not empty.has_records and empty.records_in_regions == 0


def test_probe_with_an_index_reads_regions_only(tmp_path):
    """An indexed bgzipped VCF is read by region queries; the answer is the same."""
    src = tmp_path / "good.vcf"
    src.write_bytes((BAD / "good.vcf").read_bytes())
    pysam.tabix_index(str(src), preset="vcf", force=True)
    info = inspect_vcf(tmp_path / "good.vcf.gz")
    p = probe_vcf(info, all_sites(), main_build="GRCh38", index_dir=None, samples=["S1"])
    assert p.indexed and len(p.refs["GRCh38"]) == 35 and p.genotypes["S1"].diploid == 35
