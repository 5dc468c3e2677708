"""The derived tables are reproducible and small."""

from __future__ import annotations

import json

from pgxannot.kb.build.pgx import build
from pgxannot.kb.pgx import gene_table, pgx_resources, report_genes, vcf_genes


def test_build_is_deterministic_and_matches_bundle(shared_data, tmp_path):
    written = build(shared_data, tmp_path)["files"]
    bundled = pgx_resources()
    assert len(written) == 24
    for p in written:
        rel = p.relative_to(tmp_path)
        assert p.stat().st_size < 1_000_000
        assert p.read_bytes() == (bundled / rel).read_bytes(), f"{rel} differs: rerun python -m pgxannot.kb.build.pgx"


def _definition_files(shared_data):
    folder = shared_data / "pharmcat" / "definitions" / "alleles"
    exemptions = json.loads((folder / "exemptions.json").read_text(encoding="utf-8"))
    for path in sorted(folder.glob("*_translation.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        if d["gene"] in vcf_genes():
            yield d, exemptions.get(d["gene"], {})


def _ignored(variant, exemption):
    """PharmCAT's rule, written out independently of the builder: rsID if given, else HGVS name."""
    for ip in exemption.get("ignoredPositions", []):
        if ip.get("rsid"):
            if variant["rsid"] == ip["rsid"]:
                return True
        elif variant["chromosomeHgvsName"] == ip["chromosomeHgvsName"]:
            return True
    return False


def test_every_defining_variant_is_in_the_tables(shared_data):
    """Regression: positions shared with an ignored indel were dropped (G6PD Chatham, RYR1 c.14509C>G)."""
    checked = 0
    for d, ex in _definition_files(shared_data):
        t = gene_table(d["gene"])
        have = {(p.pos, p.ref, p.alts) for p in t.positions}
        names = set(t.allele_names)
        ignored_alleles = set(ex.get("ignoredAlleles", []))
        for v in d["variants"]:
            if _ignored(v, ex):
                continue
            assert (v["position"], v["ref"], tuple(v["alts"])) in have, (d["gene"], v["chromosomeHgvsName"])
            checked += 1
        for a in d["namedAlleles"]:
            if a["name"] in ignored_alleles:
                continue
            assert a["name"] in names, (d["gene"], a["name"])
            j = t.allele_names.index(a["name"])
            want = {k: x for k, x in enumerate(a["alleles"]) if x is not None and not _ignored(d["variants"][k], ex)}
            assert int(t.defined[j].sum()) == len(want), (d["gene"], a["name"])
    assert checked > 1000


def test_shared_coordinates_keep_the_snv():
    g6pd = {p.pos: p for p in gene_table("G6PD").positions}
    ryr1 = {p.pos: p for p in gene_table("RYR1").positions}
    assert (g6pd[154532990].ref, g6pd[154532990].alts) == ("C", ("T",))  # rs5030869, Chatham
    assert (ryr1[38580126].ref, ryr1[38580126].alts) == ("C", ("G",))  # c.14509C>G
    for gene, name in (("G6PD", "Chatham"), ("RYR1", "c.14509C>G")):
        t = gene_table(gene)
        assert t.variant_def[t.allele_names.index(name)].any(), name


def test_ignored_variants_are_listed_with_their_fate():
    ign = {v["hgvs"]: v for v in _gene_json("G6PD")["ignored_variants"]}
    assert set(ign) == {"g.154532439A>G", "g.154532991_154532993delGGT"}
    assert not any(v["in_definitions"] for v in ign.values())  # PharmCAT's definitions already omit them
    assert _gene_json("RYR1")["ignored_variants"][0]["hgvs"] == "g.38580127del"
    assert _gene_json("G6PD")["ignored_alleles"] == [{"in_definitions": False, "name": "Mediterranean Haplotype"}]


def _gene_json(gene):
    return json.loads((pgx_resources() / "genes" / f"{gene}.json").read_text(encoding="utf-8"))


def test_gene_behaviour_is_data():
    want = {"G6PD": ("x_linked", "never", "diplotype"), "MT-RNR1": ("mitochondrial", "when_uncovered", "diplotype"),
            "CYP2D6": ("diploid", "always", "diplotype"), "DPYD": ("diploid", "never", "lowest_function"),
            "RYR1": ("diploid", "never", "lowest_function"), "CYP2C19": ("diploid", "never", "diplotype")}
    for gene, (ploidy, outside, matching) in want.items():
        t = gene_table(gene)
        assert (t.ploidy, t.outside_call, t.matching) == (ploidy, outside, matching), gene
    assert [g for g in report_genes() if not gene_table(g).vcf_callable] == ["CYP2D6", "HLA-A", "HLA-B"]
    assert gene_table("SLCO1B1").display_name("*45.002") == "*45"
