"""``pgxannot kb update dpwg`` against a loopback server answering in the shape of
PharmGKB's guideline-annotation API (``{"data": [...], "status": "success"}``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pgxannot.errors import DownloadError
from pgxannot.guidance.dpwg import dpwg_guidance
from pgxannot.kb import manage, registry, resolve
from pgxannot.kb.build.dpwg import SNAPSHOT_FILE, _norm_text
from pgxannot.kb.dpwg import load_dpwg_kb
from pgxannot.kb.status import status_text
from pgxannot.kb.update_dpwg import api_url, verify_answer
from pgxannot.pgx.model import GeneCall
from pgxannot.pgx.phenotype import describe

PATH = "/v1/data/guidelineAnnotation"


def _rec(rid: str, gene: str, key: str, html: str, *, alt: bool = False, dosing: bool = False) -> dict:
    return {"id": rid, "lookupKey": {gene: key}, "text": {"html": html}, "implications": [],
            "classification": {"term": "Unspecified"}, "alternateDrugAvailable": alt,
            "dosingInformation": dosing, "otherPrescribingGuidance": False}


def _guideline(gid: str, drug: str, gene: str, recs: list[dict]) -> dict:
    return {"objCls": "Guideline Annotation", "id": gid, "name": f"Annotation of DPWG Guideline for {drug} and {gene}",
            "source": "DPWG", "recommendation": True, "relatedChemicals": [{"id": "PA0", "name": drug}],
            "relatedGenes": [{"id": "PA1", "symbol": gene}], "summaryMarkdown": {"html": "<p>summary</p>"},
            "recommendations": recs}


def tiny_answer() -> bytes:
    """Two guidelines in the API's shape; texts are made up (a newer release's wording)."""
    data = [
        _guideline("PA166211021", "siponimod", "CYP2C9", [
            _rec("PA1", "CYP2C9", "0.0", "<p>Avoid siponimod: do not use it.</p>"),
            _rec("PA2", "CYP2C9", "1.0", "<p>Halve the maintenance dose.</p>", dosing=True)]),
        _guideline("PA166104956", "clopidogrel", "CYP2C19", [
            _rec("PA3", "CYP2C19", "Poor Metabolizer", "<p>PCI: avoid clopidogrel; use prasugrel.</p>", alt=True),
            _rec("PA4", "CYP2C19", "Normal Metabolizer", "<p>NO action is needed.</p>")]),
    ]
    return json.dumps({"data": data, "status": "success"}).encode()


def test_api_url_accepts_a_base_or_the_endpoint():
    assert api_url("https://api.pharmgkb.org/v1") == "https://api.pharmgkb.org/v1/data/guidelineAnnotation?" \
                                                     "source=dpwg&view=max"
    assert api_url("http://x/v1/data/guidelineAnnotation").endswith("guidelineAnnotation?source=dpwg&view=max")
    assert api_url("http://x/q?source=dpwg") == "http://x/q?source=dpwg"


def test_update_installs_activates_and_keeps_dpwg_text(server, home, fast):
    server.add(PATH, tiny_answer())
    summary = manage.update("dpwg", url=server.url(PATH), allow_http=True, home=home, policy=fast)
    name = resolve.active_version("dpwg", home)
    assert name and name.startswith("api-") and f"dpwg {name} activated" in summary
    assert server.hits(PATH)[0].query == "source=dpwg&view=max"
    folder = resolve.source_root("dpwg", home) / "versions" / name
    kb = load_dpwg_kb(folder)
    assert kb.version["includes_dpwg_text"] is True
    call = GeneCall("CYP2C9", "called", (describe("CYP2C9", ["*3", "*3"]),), "Poor Metabolizer", "0.0", (), "vcf")
    a = next(x for x in dpwg_guidance([call], kb=kb).advice if x.drug == "siponimod")
    assert a.action == "avoid" and a.dpwg_text == "Avoid siponimod: do not use it."
    assert "derived automatically" in a.recommendation.lower()  # new text: no curated structure, said so
    assert "dpwg" in status_text(home=home)
    # the bundled tables are untouched and still load offline
    assert load_dpwg_kb().version["includes_dpwg_text"] is False


@pytest.mark.parametrize(("body", "message"), [
    (b"<html>maintenance</html>", "not JSON"),
    (b'{"status": "success"}', "no 'data' list"),
    (json.dumps({"data": [_guideline("PA9", "siponimod", "CYP2C9", [])]}).encode(), "view=max"),
    (json.dumps({"data": [{"id": "PA9", "source": "DPWG"}]}).encode(), "relatedChemicals"),
])
def test_a_bad_answer_is_refused_and_the_active_version_kept(server, home, fast, body, message):
    server.add(PATH, body)
    with pytest.raises(DownloadError, match=message) as err:
        manage.update("dpwg", url=server.url(PATH), allow_http=True, home=home, policy=fast)
    assert "keeps using the bundled version" in str(err.value)
    assert resolve.active_version("dpwg", home) is None


def test_official_floors_catch_a_truncated_answer(server, home, fast):
    server.add(PATH, tiny_answer())
    with pytest.raises(DownloadError, match="only 2 guidelines"):
        manage.update("dpwg", url=server.url(PATH), allow_http=True, home=home, policy=fast,
                      minimums=registry.get("dpwg").minimums)


def test_verify_counts():
    assert verify_answer(tiny_answer().decode()) == {"guidelines": 2, "recommendations": 4}


def _api_from_snapshot(shared: Path) -> bytes:
    """The 2022 snapshot laid out as an API answer (at test time; nothing is copied)."""
    keys = {"521 TC": "Decreased Function", "521 CC": "Poor Function", "(GT genotype)": "Decreased Function",
            "(TT genotype)": "Poor Function", "Heterozygote": "Intermediate Metabolizer",
            "Homozygous": "Normal Metabolizer"}
    guidelines: dict[str, dict] = {}
    with (shared / "dpwg" / SNAPSHOT_FILE).open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["gene"] == "F5":
                continue
            label = r["phenotype"]
            key = next((v for k, v in keys.items() if label.endswith(k)), label)
            key = key.replace("HLA-B", "").replace("HLA-A", "").replace("DPD AS ", "").replace("Activity Score ", "")
            g = guidelines.setdefault(r["pharmgkb_guideline_id"], _guideline(
                r["pharmgkb_guideline_id"], r["drug"], r["gene"], []))
            rec = _rec(r["guideline_row_id"], r["gene"], key, "<p>" + _norm_text(r["recommendation"]) + "</p>",
                       alt=r["alternate"] == "1", dosing=r["dosing"] == "1")
            g["recommendations"].append({**rec, "relatedChemicals": [{"id": "PA0", "name": r["drug"]}]})
    return json.dumps({"data": list(guidelines.values()), "status": "success"}).encode()


@pytest.mark.shared
def test_update_with_the_snapshot_in_api_shape_reuses_the_curated_structure(server, home, fast, shared_data):
    server.add(PATH, _api_from_snapshot(shared_data))
    manage.update("dpwg", url=server.url(PATH), allow_http=True, home=home, policy=fast,
                  minimums=registry.get("dpwg").minimums)
    folder = resolve.source_root("dpwg", home) / "versions" / str(resolve.active_version("dpwg", home))
    kb = load_dpwg_kb(folder)
    bundled = load_dpwg_kb().version
    assert kb.version["curated_rows"] == bundled["curated_rows"] - 2  # same texts, same structure (F5 left out)
    calls = [GeneCall("CYP2C19", "called", (describe("CYP2C19", ["*2", "*2"]),), "Poor Metabolizer", None, (),
                      "vcf")]
    a = next(x for x in dpwg_guidance(calls, kb=kb).advice if x.drug == "clopidogrel")
    assert a.action == "avoid" and a.condition == "pci_stroke_tia" and a.dpwg_text
