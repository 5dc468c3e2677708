"""PharmCAT documentation examples: our calls against PharmCAT 3.1's expected outputs."""

from __future__ import annotations

import csv
import json

import pytest

from pgxannot.pgx import call_samples, merge_outside_calls, pgx_sites, read_outside_calls
from pgxannot.vcf.sites import read_site_genotypes

# Deliberate differences from PharmCAT, each with its reason.
INTENDED = {
    # PharmCAT does not recognise "1555A>G" (no "m." prefix) and reports "Unassigned function";
    # we read it as m.1555A>G, so the increased-risk phenotype reaches the aminoglycoside guidance.
    "MT-RNR1": ("m.1555A>G", "increased risk of aminoglycoside-induced hearing loss"),
    # PharmCAT lists HLA-B allele statuses as separate lookup keys; we join them in one string.
    "HLA-B": ("*15:02/*57:01", "*15:02 positive; *57:01 positive; *58:01 negative"),
}


def _expected(path):
    rows = {}
    with open(path, encoding="utf-8") as fh:
        next(fh)  # PharmCAT version line
        for row in csv.DictReader(fh, delimiter="\t"):
            rows[row["Gene"]] = row
    return rows


@pytest.mark.parametrize("name", ["pharmcat.example", "pharmcat.example2"])
def test_docs_examples_match_pharmcat(shared_data, name):
    d = shared_data / "pharmcat" / "examples" / "docs_examples"
    sg = read_site_genotypes([d / f"{name}.vcf"], pgx_sites())
    (_sample, calls), = call_samples(sg).items()
    outside = read_outside_calls(d / "pharmcat.example.outsideCall.tsv") if name == "pharmcat.example" else {}
    merged = {c.gene: c for c in merge_outside_calls(calls, outside)}
    expected = _expected(d / f"{name}.report.tsv")
    assert len(expected) >= 19
    for gene, row in expected.items():
        call = merged[gene]
        assert call.status in ("called", "outside_call"), (gene, call.reason)
        assert call.diplotypes == (row["Source Diplotype"],), gene
        want = row["Phenotype"].strip() or None
        assert call.phenotype == want, gene
        assert (call.activity_score or "") == row["Activity Score"], gene
        assert call.missing_positions == ()
    if outside:
        for gene, (dip, pheno) in INTENDED.items():
            assert merged[gene].diplotypes == (dip,) and merged[gene].phenotype == pheno
        assert merged["CYP2D6"].candidates[0].lookup_key == "1.0"


def test_phenotype_json_lookup_keys(shared_data):
    d = shared_data / "pharmcat" / "examples" / "docs_examples"
    report = json.loads((d / "pharmcat.example2.phenotype.json").read_text())["geneReports"]
    sg = read_site_genotypes([d / "pharmcat.example2.vcf"], pgx_sites())
    calls = {c.gene: c for c in next(iter(call_samples(sg).values()))}
    checked = 0
    for gene, rep in report.items():
        if rep["callSource"] != "MATCHER" or gene not in calls or not rep["recommendationDiplotypes"]:
            continue
        keys = rep["recommendationDiplotypes"][0]["lookupKey"]
        ours = calls[gene].candidates[0].lookup_key
        if keys and keys[0] not in (None, "", "n/a"):
            assert ours == keys[0], gene
            checked += 1
    assert checked >= 12
