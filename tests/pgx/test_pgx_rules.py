"""Calling rules, one tiny hand-built genotype set per rule."""

from __future__ import annotations

import pytest
from pgx_helpers import carrying, make_sg, pos_of

from pgxannot.errors import ConfigError
from pgxannot.kb.pgx import gene_table
from pgxannot.pgx import call_samples, pgx_sites

CYP2C19_2 = 94781859  # rs4244285, *2 core
CYP2C19_17 = 94761900  # rs12248560, *17
CYP2C19_1 = 94842866  # rs3758581: *1 differs from the *38 reference here


def one(sg, gene, **kw):
    res = call_samples(sg, genes=[gene], **kw)
    return {s: calls[0] for s, calls in res.items()}


def test_reference_sample_is_most_specific_reference_allele():
    c = one(make_sg("CYP2C19", {"s": {}}), "CYP2C19")["s"]
    assert c.status == "called" and c.diplotypes == ("*38/*38",)
    assert c.phenotype == "Normal Metabolizer" and c.source == "vcf"


def test_unphased_het_resolved_over_phasings():
    sg = make_sg("CYP2C19", {"s": {CYP2C19_1: "1/1", CYP2C19_2: "0/1", 94775367: "0/1", CYP2C19_17: "0/1"}})
    c = one(sg, "CYP2C19")["s"]
    assert c.diplotypes == ("*2/*17",)
    assert c.phenotype == "Intermediate Metabolizer"
    assert any("94781859" in v and "het" in v for v in c.variants)


def test_phased_cis_vs_trans():
    cis = {CYP2C19_1: "1|1", CYP2C19_2: "1|0", 94775367: "1|0", CYP2C19_17: "1|0"}
    trans = {CYP2C19_1: "1|1", CYP2C19_2: "1|0", 94775367: "1|0", CYP2C19_17: "0|1"}
    calls = one(make_sg("CYP2C19", {"cis": cis, "trans": trans}), "CYP2C19")
    assert calls["trans"].diplotypes == ("*2/*17",)
    # *2 and *17 on one haplotype matches no defined allele: not called, with the variants listed
    assert calls["cis"].status == "not_called" and calls["cis"].variants


def test_phase_sets_matched_per_block():
    # two phase sets: orientation between blocks is unknown, so cis/trans cannot be told apart
    gts = {CYP2C19_1: "1|1", CYP2C19_2: "1|0:100", 94775367: "1|0:100", CYP2C19_17: "1|0:200"}
    c = one(make_sg("CYP2C19", {"s": gts}), "CYP2C19")["s"]
    assert c.diplotypes == ("*2/*17",)


def test_missing_position_listed_and_blocks_alleles():
    sg = make_sg("CYP2C19", {"s": {CYP2C19_2: "./."}})
    c = one(sg, "CYP2C19")["s"]
    assert "chr10:94781859" in c.missing_positions
    assert all("*2" not in d.alleles for d in c.candidates)
    assert any("missing" in w for w in c.warnings)


def test_missing_position_that_distinguishes_alleles_gives_ambiguous():
    sg = make_sg("CYP2C19", {"s": {CYP2C19_1: "./."}})
    c = one(sg, "CYP2C19")["s"]
    assert c.status == "ambiguous" and "positions missing" in c.reason
    assert {"*1/*1", "*1/*38", "*38/*38"} <= set(c.diplotypes)
    assert c.phenotype == "Normal Metabolizer"  # every candidate agrees


def test_absent_sites_not_reference_unless_asked():
    p = pos_of("CYP2C19", "rs3758581")
    sg = make_sg("CYP2C19", {"s": {}}, absent=(p,))
    assert one(sg, "CYP2C19")["s"].status == "ambiguous"
    c = one(sg, "CYP2C19", missing_as_reference=True)["s"]
    assert c.status == "called" and c.diplotypes == ("*38/*38",) and not c.missing_positions
    assert any("assumed" in w for w in c.warnings)


def test_no_records_at_all_is_not_called_even_with_missing_as_reference():
    t = gene_table("CYP2C9")
    sg = make_sg("CYP2C9", {"s": {}}, absent=tuple(p.pos for p in t.positions))
    for mar in (False, True):
        c = one(sg, "CYP2C9", missing_as_reference=mar)["s"]
        assert c.status == "not_called" and c.reason == "no VCF records cover CYP2C9 positions"


def test_undocumented_allele_not_called_or_reference_for_toxicity_genes():
    sg = make_sg("CYP2C19", {"s": {CYP2C19_2: "0/2"}})
    sg.alleles = tuple((*a, "T") if s.pos == CYP2C19_2 else a for a, s in zip(sg.alleles, sg.sites, strict=True))
    assert len(gene_table("CYP2C19").positions[[p.pos for p in gene_table("CYP2C19").positions].index(CYP2C19_2)].alts) == 1
    c = one(sg, "CYP2C19")["s"]
    assert c.status == "not_called" and "not in the CYP2C19 definitions" in c.reason
    tp = next(p for p in gene_table("TPMT").positions if len(p.alts) == 1)
    sg2 = make_sg("TPMT", {"s": {tp.pos: "0/2"}})
    sg2.alleles = tuple((*a, "NNN") if s.pos == tp.pos else a for a, s in zip(sg2.alleles, sg2.sites, strict=True))
    c2 = one(sg2, "TPMT")["s"]
    assert c2.status == "called" and c2.diplotypes == ("*1/*1",)
    assert any("treated as reference" in w for w in c2.warnings)


def test_g6pd_sex():
    p = pos_of("G6PD", 154536002)  # A- 202A_376G needs 154535277 and 154536002
    q = pos_of("G6PD", 154535277)
    male_hemi = {p: "1", q: "1"}
    male_dip = {p: "1/1", q: "1/1"}
    female_het = {p: "0/1", q: "0/1"}
    sg = make_sg("G6PD", {"m1": male_hemi, "m2": male_dip, "f": female_het, "u": female_het})
    # haploid elsewhere too for the hemizygous male
    for i in range(len(sg.sites)):
        if sg.sites[i].pos not in (p, q):
            sg.gt[i, 0] = (0, -2)
    calls = one(sg, "G6PD", sexes={"m1": "male", "m2": "male", "f": "female"})
    assert calls["m1"].diplotypes == ("A- 202A_376G",) and calls["m1"].phenotype == "Deficient"
    assert calls["m2"].diplotypes == ("A- 202A_376G",) and calls["m2"].phenotype == "Deficient"
    assert calls["f"].phenotype == "Variable" and not calls["f"].warnings
    assert any("sex unknown" in w for w in calls["u"].warnings)


def test_nat2_unphased_priority():
    gts = carrying("NAT2", "*5", "*6")
    c = one(make_sg("NAT2", {"s": gts}), "NAT2")["s"]
    assert c.diplotypes == ("*5/*6",)  # PharmCAT pick among *1/*30, *16/*34, *5/*6
    assert any("unphased" in w for w in c.warnings)


def test_dpyd_unphased_lowest_two():
    gts = carrying("DPYD", "c.1905+1G>A (*2A)", "c.85T>C (*9A)", "c.2846A>T")
    c = one(make_sg("DPYD", {"s": gts}), "DPYD")["s"]
    assert c.diplotypes == ("c.1905+1G>A (*2A)/c.2846A>T",)
    assert c.activity_score == "0.5" and c.phenotype == "Poor Metabolizer"
    assert len(c.extra["alleles_found"]) == 3


def test_samples_with_same_pattern_share_a_call_and_many_samples_fast():
    import time
    base = {**carrying("CYP2C19", "*2"), **carrying("CYP2C19", "*1", gt="1/1")}
    sg = make_sg("CYP2C19", {f"s{i}": (base if i % 2 else {}) for i in range(2000)})
    t0 = time.perf_counter()
    calls = one(sg, "CYP2C19")
    assert time.perf_counter() - t0 < 2
    assert calls["s1"] is calls["s3"] and calls["s1"].diplotypes == ("*1/*2",)


def test_outside_only_genes_listed_and_sites():
    res = call_samples(make_sg("VKORC1", {"s": {}}), genes=["VKORC1", "CYP2D6", "HLA-B"])
    st = {c.gene: c for c in res["s"]}
    assert st["CYP2D6"].status == "not_called" and "outside call" in st["CYP2D6"].reason
    assert st["VKORC1"].phenotype == "-1639 GG"
    s38 = pgx_sites("GRCh38", ["CYP2C19"])
    s37 = pgx_sites("GRCh37", ["CYP2C19"])
    # every CYP2C19 position has a GRCh37 coordinate since the GRCh37 map (#18); none is the GRCh38 one
    assert len(s38) == len(s37) == 35 and all(s.chrom == "chr10" for s in s37)
    assert not {s.pos for s in s37} & {s.pos for s in s38}
    with pytest.raises(ConfigError):
        pgx_sites("hg19")


def test_haploid_genotype_on_an_autosome_is_not_called():
    # regression: a haploid GT ('1') on chr10 was called as a single allele '*2' with an
    # Indeterminate phenotype; an autosomal gene is never called from one allele
    import numpy as np

    from pgxannot.pgx import call_samples, pgx_sites
    from pgxannot.vcf.model import HAPLOID, SiteGenotypes, SiteStatus

    sites = tuple(pgx_sites(genes=["CYP2C19"]))
    n = len(sites)
    alleles = tuple((s.ref,) for s in sites)
    gt = np.zeros((n, 1, 2), dtype=np.int16)
    gt[:, 0, 1] = HAPLOID
    sg = SiteGenotypes(samples=("S",), sites=sites, alleles=alleles, gt=gt,
                       phased=np.zeros((n, 1), bool), ps=np.zeros((n, 1), np.int64),
                       status=np.full(n, SiteStatus.VARIANT, np.int8))
    (call,) = [c for c in call_samples(sg, genes=["CYP2C19"])["S"] if c.gene == "CYP2C19"]
    assert call.status == "not_called" and "haploid" in call.reason


def test_g6pd_chatham_is_called_deficient():
    # regression (#17): rs5030869 shares chrX:154532990 with an ignored deletion and was
    # dropped from the tables; Chatham/Chatham was called B (reference)/B (reference), Normal
    p = pos_of("G6PD", 154532990)
    sg = make_sg("G6PD", {"f": {p: "1/1"}, "fhet": {p: "0/1"}, "m": {p: "1"}})
    for i in range(len(sg.sites)):
        if sg.sites[i].pos != p:
            sg.gt[i, 2] = (0, -2)
    calls = one(sg, "G6PD", sexes={"f": "female", "fhet": "female", "m": "male"})
    assert calls["f"].diplotypes == ("Chatham/Chatham",) and calls["f"].phenotype == "Deficient"
    assert calls["fhet"].diplotypes == ("B (reference)/Chatham",) and calls["fhet"].phenotype == "Variable"
    assert calls["m"].diplotypes == ("Chatham",) and calls["m"].phenotype == "Deficient"


def test_ryr1_c14509_is_found():
    # regression (#17): chr19:38580126 C>G shares its coordinate with an ignored deletion
    p = pos_of("RYR1", 38580126)
    c = one(make_sg("RYR1", {"s": {p: "0/1"}}), "RYR1")["s"]
    assert c.diplotypes == ("Reference/c.14509C>G",)
    assert any("38580126:C:G het" in v for v in c.variants)


def test_wobble_cell_matched_by_the_reference_base_does_not_score():
    # PharmCAT's rule (#17): CYP2B6 *18 is R (A or G) at rs2279343. A *9/*18 sample whose *18
    # carries G there also fits *6/*18, whose *18 copy would carry the reference A: PharmCAT
    # scores that cell 0, so the two tie. Counting it made *6/*18 win outright.
    t = gene_table("CYP2B6")
    p9, p18, p_r = pos_of("CYP2B6", 41006936), pos_of("CYP2B6", 41012316), pos_of("CYP2B6", 41009358)
    assert int(t.masks[t.allele_names.index("*18"), [q.pos for q in t.positions].index(p_r)]) == 0b11  # A or G
    g_on_18 = {p9: "0/1", p_r: "0/1", p18: "0/1"}
    a_on_18 = {p9: "0/1", p18: "0/1"}
    calls = one(make_sg("CYP2B6", {"g": g_on_18, "a": a_on_18}), "CYP2B6")
    assert set(calls["g"].diplotypes) == {"*6/*18", "*9/*18"} and calls["g"].status == "ambiguous"
    assert calls["a"].diplotypes == ("*9/*18",)
    phased = one(make_sg("CYP2B6", {"s": {p9: "1|0", p_r: "0|1", p18: "0|1"}}), "CYP2B6")["s"]
    assert phased.diplotypes == ("*9/*18",)  # phase tells them apart
