"""Outside calls: parsing, validation, phenotype derivation, merging."""

from __future__ import annotations

import pytest
from pgx_helpers import make_sg

from pgxannot.errors import OutsideCallError
from pgxannot.kb.pgx import report_genes
from pgxannot.pgx import merge_outside_calls, read_outside_calls
from pgxannot.pgx.caller import call_samples


def write(tmp_path, text):
    p = tmp_path / "outside.tsv"
    p.write_text(text, encoding="utf-8")
    return p


def test_derives_phenotypes_from_diplotype(tmp_path):
    p = write(tmp_path, "# comment\nCYP2D6\t*1/*4\nHLA-A\t*31:01/*02:01\nHLA-B\t*57:01/*08:01\n"
                        "MT-RNR1\tm.827A>G\nCYP2D6x\n".replace("CYP2D6x\n", ""))
    calls = read_outside_calls(p)
    assert calls["CYP2D6"].activity_score == "1.0" and calls["CYP2D6"].phenotype == "Intermediate Metabolizer"
    assert calls["CYP2D6"].candidates[0].lookup_key == "1.0"
    assert calls["HLA-A"].phenotype == "*31:01 positive"
    assert "*57:01 positive" in calls["HLA-B"].phenotype and "*58:01 negative" in calls["HLA-B"].phenotype
    assert calls["MT-RNR1"].phenotype == "normal risk of aminoglycoside-induced hearing loss"
    assert all(c.status == "outside_call" and c.source == "outside_call" for c in calls.values())


def test_duplications_and_given_phenotype(tmp_path):
    p = write(tmp_path, "CYP2D6\t*1x2/*2\nCYP2C19\t*1/*2\tPoor Metabolizer\n")
    calls = read_outside_calls(p)
    assert calls["CYP2D6"].activity_score == "3.0" and calls["CYP2D6"].phenotype == "Ultrarapid Metabolizer"
    assert calls["CYP2C19"].phenotype == "Poor Metabolizer"
    assert any("differs" in w for w in calls["CYP2C19"].warnings)


def test_every_bad_line_reported_once(tmp_path):
    p = write(tmp_path, "CYP2D6\t*1/*999\nNOTAGENE\t*1/*1\nHLA-B\nCYP2D6\t*1/*1\nCYP2C9\t*1/*2/*3\n"
                        "CYP2C9\t*1/*1\t\tabc\n")
    with pytest.raises(OutsideCallError) as exc:
        read_outside_calls(p)
    msg = str(exc.value)
    assert str(p) in msg
    for n in (1, 2, 3, 5, 6):
        assert f"line {n}:" in msg
    assert "*999" in msg and "NOTAGENE" in msg


def test_missing_file_is_outside_call_error(tmp_path):
    with pytest.raises(OutsideCallError):
        read_outside_calls(tmp_path / "absent.tsv")


def test_merge_overrides_and_lists_every_gene(tmp_path):
    sg = make_sg("CYP2C19", {"s": {}})
    vcf = call_samples(sg, genes=["CYP2C19"])["s"]
    out = read_outside_calls(write(tmp_path, "CYP2C19\t*2/*2\n"))
    merged = {c.gene: c for c in merge_outside_calls(vcf, out)}
    assert set(merged) == set(report_genes())
    assert merged["CYP2C19"].diplotypes == ("*2/*2",) and merged["CYP2C19"].status == "outside_call"
    assert any("replaces" in w for w in merged["CYP2C19"].warnings)
    for g in ("CYP2D6", "HLA-A", "HLA-B", "MT-RNR1"):
        assert merged[g].status == "not_called" and "outside call" in merged[g].reason
    assert merged["DPYD"].reason == "no VCF records cover DPYD positions"
