"""FHIR R4 Bundle (Genomics Reporting): valid, deterministic, complete, linked."""

from __future__ import annotations

import copy
import json

import pytest
import report_fixtures as fx

from pgxannot.report import render_fhir
from pgxannot.report.fhir import build_bundle, model_json, validate_bundle

Bundle = pytest.importorskip("fhir.resources.R4B.bundle").Bundle
IG = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"


def _parse(text: str):
    return Bundle.model_validate_json(text) if hasattr(Bundle, "model_validate_json") else Bundle.parse_raw(text)


def _resources(text: str) -> list[dict]:
    return [e["resource"] for e in json.loads(text)["entry"]]


def _codes(res: dict) -> set[str]:
    return {c.get("code") for c in (res.get("code") or {}).get("coding", [])}


@pytest.mark.parametrize("make", [fx.pgx_report, fx.tumour_report, fx.sparse_report, fx.hostile_report])
def test_parses_back_and_is_deterministic(make):
    a, b = render_fhir(make()), render_fhir(make())
    assert a == b
    bundle = _parse(a)
    assert bundle.type == "collection"
    assert bundle.entry[0].resource.get_resource_type() == "DiagnosticReport"


def test_structure_per_gene_drug_and_finding():
    d = fx.pgx_report()
    res = _resources(render_fhir(d))
    report = res[0]
    assert IG + "genomic-report" in report["meta"]["profile"]
    assert "51969-4" in _codes(report)
    obs = [r for r in res if r["resourceType"] == "Observation"]
    genotypes = [o for o in obs if "84413-4" in _codes(o)]
    assert len(genotypes) == len(d["genes"])
    cyp2d6 = next(o for o in genotypes if o["component"][0]["valueCodeableConcept"]["text"] == "CYP2D6")
    assert "dataAbsentReason" in cyp2d6 and "valueCodeableConcept" not in cyp2d6
    slco = next(o for o in genotypes if o["component"][0]["valueCodeableConcept"]["text"] == "SLCO1B1")
    assert slco["valueCodeableConcept"]["text"] == "SLCO1B1 *1/*15 or SLCO1B1 *5/*37"
    haplotypes = [o for o in obs if "84414-2" in _codes(o)]
    assert {h["valueCodeableConcept"]["text"] for h in haplotypes} >= {"*2", "*1", "*3"}
    implications = [o for o in obs if "therapeutic-implication" in _codes(o)]
    meds = [o for o in implications if any("51963-7" in _codes(c) for c in o["component"])]
    assert len(meds) == len(d["drugs"])
    clop = next(o for o in meds if o["component"][0]["valueCodeableConcept"]["text"] == "clopidogrel")
    assert clop["extension"][0]["valueRelatedArtifact"]["url"].startswith("https://cpicpgx.org/")
    poor = [c for c in clop["component"] if c["valueCodeableConcept" if "valueCodeableConcept" in c else "code"]
            .get("coding", [{}])[0].get("code") == "LA9657-3"]
    assert poor, "Poor metabolizer coded with its LOINC answer"
    variants = [o for o in obs if "69548-6" in _codes(o)]
    assert len(variants) == len(d["findings"])
    comps = {c["code"].get("coding", [{}])[0].get("code"): c for c in variants[0]["component"]}
    assert comps["69547-8"]["valueString"] == "GT" and comps["69551-0"]["valueString"] == "G"
    assert comps["81254-5"]["valueRange"]["low"]["value"] == 32340300
    assert comps["53034-5"]["valueCodeableConcept"]["coding"][0]["code"] == "LA6706-1"


def _references(x) -> list[str]:
    if isinstance(x, dict):
        own = [x["reference"]] if isinstance(x.get("reference"), str) else []
        return own + [r for v in x.values() for r in _references(v)]
    if isinstance(x, list):
        return [r for v in x for r in _references(v)]
    return []


def test_every_reference_resolves_inside_the_bundle():
    for make in (fx.pgx_report, fx.tumour_report):
        text = render_fhir(make())
        data = json.loads(text)
        full = {e["fullUrl"] for e in data["entry"]}
        assert len(full) == len(data["entry"])
        refs = _references(data)
        assert refs and set(refs) <= full
        report = data["entry"][0]["resource"]
        observations = {e["fullUrl"] for e in data["entry"] if e["resource"]["resourceType"] == "Observation"}
        assert {r["reference"] for r in report["result"]} == observations


def test_only_timestamp_is_provenance_recorded():
    text = render_fhir(fx.pgx_report())
    res = _resources(text)
    prov = [r for r in res if r["resourceType"] == "Provenance"]
    assert len(prov) == 1 and prov[0]["recorded"] == "2026-01-01T00:00:00Z"
    for r in res:
        for key in ("issued", "effectiveDateTime", "timestamp", "meta.lastUpdated"):
            assert key not in r
    assert "timestamp" not in json.loads(text)
    assert text.count("2026-01-01T00:00:00") == 1


def test_ids_follow_content():
    a = fx.pgx_report()
    b = copy.deepcopy(a)
    b["drugs"][0]["recommendation"] = "different wording"
    ra, rb = _resources(render_fhir(a)), _resources(render_fhir(b))
    ids_a = {r["id"] for r in ra}
    ids_b = {r["id"] for r in rb}
    changed = ids_a ^ ids_b
    # the drug's observation, the report listing it and the provenance naming the report
    # change; gene observations do not
    assert len(ids_a - ids_b) == 3 and len(changed) == 6
    geno_a = {r["id"] for r in ra if "84413-4" in _codes(r)}
    assert geno_a <= ids_b
    other_sample = copy.deepcopy(a)
    other_sample["sample"] = "PATIENT-002"
    assert not ids_a & {r["id"] for r in _resources(render_fhir(other_sample))}


def test_her2_only_when_assessed():
    tum = _resources(render_fhir(fx.tumour_report()))
    her2 = [r for r in tum if (r.get("code") or {}).get("text") == "ERBB2 (HER2) copy-number status"]
    assert len(her2) == 1 and her2[0]["derivedFrom"]
    pgx = _resources(render_fhir(fx.pgx_report()))
    assert not [r for r in pgx if (r.get("code") or {}).get("text") == "ERBB2 (HER2) copy-number status"]


@pytest.mark.parametrize("make", [fx.pgx_report, fx.tumour_report, fx.sparse_report, fx.hostile_report])
def test_output_equals_what_fhir_resources_serializes(make):
    text = render_fhir(make())
    assert json.loads(text) == model_json(validate_bundle(build_bundle(make())))
    assert json.loads(text) == model_json(_parse(text))
