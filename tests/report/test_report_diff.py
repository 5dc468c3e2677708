"""diff_reports finds new, changed and removed calls, drugs, findings and HER2 status."""

from __future__ import annotations

import copy

import report_fixtures as fx

from pgxannot.report import diff_reports, format_changes


def test_identical_reports_have_no_changes():
    assert diff_reports(fx.pgx_report(), fx.pgx_report()) == []
    assert format_changes([]) == "no changes\n"


def test_changes_are_found_and_ordered():
    old = fx.pgx_report()
    new = copy.deepcopy(old)
    new["genes"][0]["diplotypes"] = ["*1/*2"]                    # CYP2C19 changed
    new["genes"][0]["phenotype"] = "Intermediate Metabolizer"
    del new["genes"][2]                                           # CYP2D6 removed
    new["genes"].append({"gene": "NUDT15", "status": "called", "diplotypes": ["*1/*1"],
                         "phenotype": "Normal Metabolizer", "activity_score": None,
                         "missing_positions": []})                # new
    new["drugs"][0]["action"] = "standard_dosing"                 # clopidogrel changed
    new["findings"][0]["classification"] = "Likely pathogenic"    # finding changed
    new["her2_status"] = "not assessed"                            # HER2 new
    changes = diff_reports(old, new)
    got = {(c["section"], c["key"], c["change"]) for c in changes}
    assert got == {
        ("gene", "CYP2C19", "changed"), ("gene", "CYP2D6", "removed"), ("gene", "NUDT15", "new"),
        ("drug", "clopidogrel", "changed"),
        ("finding", "germline BRCA2 chr13:32340300:GT:G", "changed"),
        ("her2_status", "ERBB2", "new"),
    }
    assert [c["section"] for c in changes] == sorted((c["section"] for c in changes),
                                                     key=["gene", "drug", "finding", "her2_status"].index)
    cyp = next(c for c in changes if c["key"] == "CYP2C19")
    assert cyp["fields"] == ["diplotypes", "phenotype"]
    assert cyp["old"]["phenotype"] == "Poor Metabolizer"
    text = format_changes(changes)
    assert "gene\tchanged\tCYP2C19\tdiplotypes *2/*2 → *1/*2; phenotype Poor Metabolizer → Intermediate Metabolizer" in text
    assert len(text.splitlines()) == len(changes)
    assert all(c["item"] == c["key"] and c["detail"] for c in changes)
    assert next(c for c in changes if c["key"] == "CYP2D6")["detail"] == "no longer reported"


def test_repeated_drug_names_are_keyed_by_genes():
    old = fx.sparse_report()
    old["drugs"] = [
        {"drug": "amitriptyline", "genes": ["CYP2C19"], "classification": "Optional",
         "action": "standard_dosing", "current_medication": False},
        {"drug": "amitriptyline", "genes": ["CYP2D6"], "classification": None,
         "action": "not_available", "current_medication": False},
    ]
    new = copy.deepcopy(old)
    new["drugs"][1]["action"] = "reduce_dose"
    changes = diff_reports(old, new)
    assert [(c["key"], c["fields"]) for c in changes] == [("amitriptyline (CYP2D6)", ["action"])]
