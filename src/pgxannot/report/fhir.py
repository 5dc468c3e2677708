"""The report as an HL7 FHIR R4 ``Bundle`` following the Genomics Reporting IG (STU3).

One ``DiagnosticReport`` (genomic-report) whose results are, per gene, a genotype
Observation (LOINC 84413-4) with haplotype Observations (84414-2) and a phenotype
therapeutic-implication; per drug a therapeutic-implication naming the medication
assessed; per finding a variant Observation (69548-6) with a diagnostic or
therapeutic implication. The bundle is built as plain dicts, validated with
``fhir.resources`` (R4B models, structurally R4 for these resources) and serialized
from the validated model.

Deterministic: resource ids are UUIDv5 of sample + resource content; the only
timestamp is ``Provenance.recorded`` (``provenance.generated_at``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pgxannot.errors import OutputError
from pgxannot.report.common import as_list, flatten, light_of, safe_href, text
from pgxannot.vocabulary import ACTION_LABELS

NAMESPACE = uuid.UUID("6f6c8d1e-3b7a-5c55-9a51-70677861616e")  # fixed: pgxannot FHIR ids

LOINC = "http://loinc.org"
IG = "http://hl7.org/fhir/uv/genomics-reporting"
TBD = f"{IG}/CodeSystem/tbd-codes-cs"
PROFILE = {k: f"{IG}/StructureDefinition/{k}" for k in (
    "genomic-report", "genotype", "haplotype", "variant", "therapeutic-implication",
    "diagnostic-implication")}
CATEGORY = [
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                 "code": "laboratory"}]},
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "GE",
                 "display": "Genetics"}]},
]
# LOINC answers for metabolizer phenotypes (genetic-therapeutic-implications value set).
METABOLIZER = {
    "ultrarapid metabolizer": ("LA10315-2", "Ultrarapid metabolizer"),
    "rapid metabolizer": ("LA25390-8", "Rapid metabolizer"),
    "normal metabolizer": ("LA25391-6", "Normal metabolizer"),
    "intermediate metabolizer": ("LA10317-8", "Intermediate metabolizer"),
    "poor metabolizer": ("LA9657-3", "Poor metabolizer"),
}
SIGNIFICANCE = {
    "pathogenic": ("LA6668-3", "Pathogenic"),
    "likely pathogenic": ("LA26332-9", "Likely pathogenic"),
}
ZYGOSITY = {
    "heterozygous": ("LA6706-1", "Heterozygous"),
    "homozygous": ("LA6705-3", "Homozygous"),
    "hemizygous": ("LA6707-9", "Hemizygous"),
}
SOURCE_CLASS = {"germline": ("LA6683-2", "Germline"), "somatic": ("LA6684-0", "Somatic")}
BUILD = {"grch38": ("LA26806-2", "GRCh38"), "grch37": ("LA14029-5", "GRCh37")}


def _loinc(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code, "display": display}]}


def _cc(value: Any, table: Mapping[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    """A CodeableConcept: coded when ``table`` knows the value, always with text."""
    s = text(value)
    hit = table.get(s.lower()) if table else None
    out: dict[str, Any] = {}
    if hit:
        out["coding"] = [{"system": LOINC, "code": hit[0], "display": hit[1]}]
    out["text"] = s
    return out


def _comp(code: dict[str, Any], **value: Any) -> dict[str, Any]:
    return {"code": code, **value}


GENE_STUDIED = _loinc("48018-6", "Gene studied [ID]")
TBD_TI = {"coding": [{"system": TBD, "code": "therapeutic-implication",
                      "display": "Therapeutic Implication"}]}


class _Builder:
    """Collects resources; ids are UUIDv5 of (sample, kind, content)."""

    def __init__(self, sample: str) -> None:
        self.sample = sample
        self.entries: list[dict[str, Any]] = []
        self.ids: set[str] = set()

    def add(self, kind: str, resource: dict[str, Any]) -> str:
        content = json.dumps(resource, sort_keys=True, ensure_ascii=False)
        rid = str(uuid.uuid5(NAMESPACE, f"{self.sample}\x1f{kind}\x1f{content}"))
        n = 1
        while rid in self.ids:  # identical content twice (e.g. both haplotypes *2): number them
            n += 1
            rid = str(uuid.uuid5(NAMESPACE, f"{self.sample}\x1f{kind}\x1f{content}\x1f{n}"))
        self.ids.add(rid)
        self.entries.append({"fullUrl": f"urn:uuid:{rid}",
                             "resource": {"resourceType": resource["resourceType"], "id": rid,
                                          **resource}})
        return f"urn:uuid:{rid}"


def _observation(profile: str, code: dict[str, Any], subject: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "meta": {"profile": [PROFILE[profile]]},
        "status": "final",
        "category": CATEGORY,
        "code": code,
        "subject": {"reference": subject},
        **{k: v for k, v in fields.items() if v not in (None, [], {})},
    }


def _notes(*items: str | None) -> list[dict[str, str]]:
    return [{"text": s} for s in items if s]


def _gene_resources(b: _Builder, g: Mapping[str, Any], patient: str) -> tuple[list[str], str]:
    """Genotype, haplotype and phenotype Observations of one gene; returns (refs, genotype ref)."""
    gene = text(g.get("gene"))
    status = str(g.get("status"))
    diplotypes = [str(x) for x in as_list(g.get("diplotypes"))]
    missing = [str(p) for p in as_list(g.get("missing_positions"))]
    refs: list[str] = []
    haplo_refs: list[str] = []
    candidates = [c for c in as_list(g.get("candidates")) if isinstance(c, Mapping)]
    if status in ("called", "outside_call") and len(candidates) == 1:
        for allele in as_list(candidates[0].get("alleles")):
            ref = b.add(f"haplotype:{gene}", _observation(
                "haplotype", _loinc("84414-2", "Haplotype name"), patient,
                valueCodeableConcept={"text": str(allele)},
                component=[_comp(GENE_STUDIED, valueCodeableConcept={"text": gene})],
            ))
            haplo_refs.append(ref)
    notes = _notes(
        f"Ambiguous: every candidate diplotype is listed ({' or '.join(diplotypes)})." if status == "ambiguous" else None,
        text(g.get("reason")) or None,
        (f"{len(missing)} defining position(s) absent from the input: {', '.join(missing)}" if missing else None),
        *[str(w) for w in as_list(g.get("warnings"))],
    )
    method = {"vcf": "Genotyping from VCF (pgxannot star-allele matching)",
              "outside_call": "Outside call (result made elsewhere)"}.get(str(g.get("source")))
    genotype: dict[str, Any] = {
        "component": [_comp(GENE_STUDIED, valueCodeableConcept={"text": gene})],
        "method": {"text": method} if method else None,
        "note": notes,
        "derivedFrom": [{"reference": r} for r in haplo_refs],
    }
    if diplotypes:
        genotype["valueCodeableConcept"] = {"text": " or ".join(f"{gene} {d}" for d in diplotypes)}
    else:
        genotype["dataAbsentReason"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                        "code": "unknown", "display": "Unknown"}],
            "text": text(g.get("reason")) or "not called",
        }
    geno_ref = b.add(f"genotype:{gene}", _observation(
        "genotype", _loinc("84413-4", "Genotype display name"), patient, **genotype))
    refs.extend([*haplo_refs, geno_ref])
    phenotype = g.get("phenotype")
    if phenotype:
        comps = [_comp(TBD_TI, valueCodeableConcept=_cc(f"{gene} {phenotype}"
                                                        if phenotype.lower() not in METABOLIZER
                                                        else phenotype, METABOLIZER)),
                 _comp({"text": "Gene"}, valueCodeableConcept={"text": gene})]
        if g.get("activity_score") is not None:
            comps.append(_comp({"text": "Activity score"}, valueString=text(g.get("activity_score"))))
        refs.append(b.add(f"phenotype:{gene}", _observation(
            "therapeutic-implication", TBD_TI, patient, component=comps,
            derivedFrom=[{"reference": geno_ref}])))
    return refs, geno_ref


def _drug_resource(b: _Builder, x: Mapping[str, Any], patient: str, genotype: dict[str, str]) -> str:
    drug = text(x.get("drug"))
    action = str(x.get("action"))
    lookup = x.get("lookup") if isinstance(x.get("lookup"), Mapping) else {}
    comps = [_comp(_loinc("51963-7", "Medication assessed [ID]"), valueCodeableConcept={"text": drug})]
    for gene, key in lookup.items():
        comps.append(_comp(TBD_TI, valueCodeableConcept=_cc(
            key if text(key).lower() in METABOLIZER else f"{gene}: {text(key)}", METABOLIZER)))
    if x.get("classification"):
        comps.append(_comp(_loinc("93044-6", "Level of evidence"),
                           valueCodeableConcept={"text": f"CPIC {text(x.get('classification'))}"}))
    comps.append(_comp({"text": "Recommended action (pgxannot category)"},
                       valueCodeableConcept={"text": ACTION_LABELS.get(action, action)}))
    comps.append(_comp({"text": "Current medication"}, valueBoolean=bool(x.get("current_medication"))))
    if x.get("dose_change_percent") is not None:
        comps.append(_comp({"text": "Dose change (%)"},
                           valueQuantity={"value": x["dose_change_percent"], "unit": "%",
                                          "system": "http://unitsofmeasure.org", "code": "%"}))
    guideline = x.get("guideline") if isinstance(x.get("guideline"), Mapping) else {}
    href = safe_href(guideline.get("url"))
    extension = [{"url": "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact",
                  "valueRelatedArtifact": {"type": "citation", "url": href,
                                           **({"label": text(guideline.get("name"))}
                                              if guideline.get("name") else {})}}] if href else []
    derived = [{"reference": genotype[str(gn)]} for gn in as_list(x.get("genes")) if str(gn) in genotype]
    light = light_of(x)
    return b.add(f"drug:{drug}", {
        **_observation(
            "therapeutic-implication", TBD_TI, patient, component=comps,
            note=_notes(text(x.get("recommendation")) or None, text(x.get("reason")) or None),
            derivedFrom=derived,
            interpretation=[{"text": {"red": "avoid or change", "amber": "adjust or monitor",
                                      "green": "standard use", "grey": "no guidance"}[light]}],
        ),
        **({"extension": extension} if extension else {}),
    })


def _parse_variant(variant: str) -> dict[str, Any]:
    """``chr1:100:A:G`` -> chrom/start/end/ref/alt; ``chr17:10-20`` -> chrom/start/end."""
    parts = variant.split(":")
    out: dict[str, Any] = {"chrom": parts[0]}
    try:
        if len(parts) == 4:
            start = int(parts[1])
            out.update(start=start, end=start + max(len(parts[2]), 1) - 1, ref=parts[2], alt=parts[3])
        elif len(parts) == 2 and "-" in parts[1]:
            s, e = parts[1].split("-", 1)
            out.update(start=int(s), end=int(e))
    except ValueError:
        pass
    return out


def _finding_resources(b: _Builder, f: Mapping[str, Any], patient: str, build: str | None) -> list[str]:
    category = str(f.get("category"))
    gene = text(f.get("gene"))
    variant = text(f.get("variant"))
    v = _parse_variant(variant)
    comps = [_comp(GENE_STUDIED, valueCodeableConcept={"text": gene}),
             _comp({"text": "Variant (chrom:pos:ref:alt or chrom:start-end)"}, valueString=variant)]
    if build and build.lower() in BUILD:
        comps.append(_comp(_loinc("62374-4", "Human reference sequence assembly version"),
                           valueCodeableConcept=_cc(build, BUILD)))
    if "start" in v:
        comps.append(_comp(_loinc("92822-6", "Genomic coordinate system [Type]"),
                           valueCodeableConcept=_loinc("LA30102-0", "1-based character counting")))
        comps.append(_comp(_loinc("81254-5", "Genomic allele start-end"),
                           valueRange={"low": {"value": v["start"]}, "high": {"value": v["end"]}}))
    if "ref" in v:
        comps.append(_comp(_loinc("69547-8", "Genomic ref allele [ID]"), valueString=v["ref"]))
        comps.append(_comp(_loinc("69551-0", "Genomic alt allele [ID]"), valueString=v["alt"]))
    if category in SOURCE_CLASS or category == "copy_number":
        comps.append(_comp(_loinc("48002-0", "Genomic source class [Type]"),
                           valueCodeableConcept=_cc(SOURCE_CLASS.get(category, ("", "Somatic"))[1], SOURCE_CLASS)))
    if f.get("zygosity"):
        comps.append(_comp(_loinc("53034-5", "Allelic state"), valueCodeableConcept=_cc(f["zygosity"], ZYGOSITY)))
    if isinstance(f.get("copy_number"), int | float) and not isinstance(f.get("copy_number"), bool):
        comps.append(_comp(_loinc("82155-3", "Genomic structural variant copy number"),
                           valueQuantity={"value": f["copy_number"]}))
    var_ref = b.add(f"variant:{category}:{gene}:{variant}", _observation(
        "variant", _loinc("69548-6", "Genetic variant assessment"), patient,
        valueCodeableConcept=_loinc("LA9633-4", "Present"), component=comps,
        note=_notes(text(f.get("interpretation")) or None)))
    refs = [var_ref]
    imp = [_comp(_loinc("53037-8", "Genetic variation clinical significance [Imp]"),
                 valueCodeableConcept=_cc(f.get("classification"), SIGNIFICANCE))]
    if f.get("condition"):
        imp.append(_comp(_loinc("81259-4", "Associated phenotype"), valueCodeableConcept={"text": text(f["condition"])}))
    if f.get("inheritance"):
        imp.append(_comp(_loinc("79742-3", "Inheritance pattern based on family history"),
                         valueCodeableConcept={"text": text(f["inheritance"])}))
    ev_bits = [f"{text(e.get('source'))} {text(e.get('id'))}".strip()
               for e in as_list(f.get("evidence")) if isinstance(e, Mapping)]
    tier_star = [s for s in (
        f"ClinVar review: {f['stars']} star(s), {text(f.get('review_status'))}" if f.get("stars") is not None else None,
        f"Tier {f['tier']}" if f.get("tier") else None,
        "ACMG secondary (incidental) finding" if f.get("incidental") else None,
        ("Evidence: " + "; ".join(ev_bits)) if ev_bits else None) if s]
    refs.append(b.add(f"implication:{category}:{gene}:{variant}", _observation(
        "diagnostic-implication",
        {"coding": [{"system": TBD, "code": "diagnostic-implication", "display": "Diagnostic Implication"}]},
        patient, component=imp, derivedFrom=[{"reference": var_ref}], note=_notes(*tier_star))))
    for t in as_list(f.get("therapies")):
        if not isinstance(t, Mapping):
            continue
        comps_t = [_comp(_loinc("51963-7", "Medication assessed [ID]"), valueCodeableConcept={"text": text(t.get("therapy"))})]
        if t.get("evidence_level"):
            comps_t.append(_comp(_loinc("93044-6", "Level of evidence"), valueCodeableConcept={"text": text(t.get("evidence_level"))}))
        if t.get("significance"):
            comps_t.append(_comp(TBD_TI, valueCodeableConcept={"text": text(t.get("significance"))}))
        refs.append(b.add(f"therapy:{gene}:{variant}:{text(t.get('therapy'))}", _observation(
            "therapeutic-implication", TBD_TI, patient, component=comps_t,
            derivedFrom=[{"reference": var_ref}],
            note=_notes(" · ".join(s for s in (text(t.get("tumor_type")), text(t.get("citation"))) if s) or None))))
    return refs


def _instant(value: Any) -> str | None:
    """``generated_at`` as a FHIR instant (UTC assumed when no offset), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    out = t.isoformat(timespec="seconds")
    return out[:-6] + "Z" if out.endswith("+00:00") else out


def build_bundle(d: Mapping[str, Any]) -> dict[str, Any]:
    """The Bundle as a plain dict (not yet validated)."""
    sample = text(d.get("sample"))
    b = _Builder(sample)
    patient_info = d.get("patient") or {}
    sex = patient_info.get("sex")
    patient = b.add("patient", {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:pgxannot:sample", "value": sample}],
        **({"gender": sex} if sex in ("female", "male", "unknown") else {}),
    })
    prov = d.get("provenance") or {}
    config = prov.get("config") if isinstance(prov.get("config"), Mapping) else {}
    build = config.get("reference_build") if isinstance(config.get("reference_build"), str) else None
    results: list[str] = []
    genotype: dict[str, str] = {}
    for g in d.get("genes") or []:
        refs, geno = _gene_resources(b, g, patient)
        genotype[str(g.get("gene"))] = geno
        results.extend(refs)
    for x in d.get("drugs") or []:
        results.append(_drug_resource(b, x, patient, genotype))
    erbb2: list[str] = []
    for f in d.get("findings") or []:
        refs = _finding_resources(b, f, patient, build)
        if f.get("gene") == "ERBB2" and f.get("category") == "copy_number":
            erbb2.append(refs[0])
        results.extend(refs)
    if d.get("her2_status") is not None:
        results.append(b.add("her2", _observation(
            "diagnostic-implication",
            {"coding": [{"system": TBD, "code": "diagnostic-implication", "display": "Diagnostic Implication"}],
             "text": "ERBB2 (HER2) copy-number status"},
            patient,
            component=[_comp(GENE_STUDIED, valueCodeableConcept={"text": "ERBB2"}),
                       _comp({"text": "ERBB2 (HER2) status"}, valueCodeableConcept={"text": text(d["her2_status"])})],
            derivedFrom=[{"reference": r} for r in erbb2],
        )))
    drugs = d.get("drugs") or []
    findings = d.get("findings") or []
    conclusion = (f"{sum(1 for x in drugs if light_of(x) in ('red', 'amber'))} of {len(drugs)} drugs "
                  f"with a change from standard use; {sum(1 for f in findings if f.get('high_risk'))} "
                  f"high-risk finding(s); {sum(1 for g in d.get('genes') or [] if g.get('status') == 'not_called')} "
                  f"gene(s) not called.")
    report = b.add("report", {
        "resourceType": "DiagnosticReport",
        "meta": {"profile": [PROFILE["genomic-report"]]},
        "status": "final",
        "category": [CATEGORY[1]],
        "code": _loinc("51969-4", "Genetic analysis report"),
        "subject": {"reference": patient},
        "result": [{"reference": r} for r in results],
        "conclusion": conclusion,
    })
    # the report first, then everything it references
    b.entries.insert(0, b.entries.pop())
    version = text(prov.get("pgxannot_version")) or "unknown"
    device = b.add("device", {
        "resourceType": "Device",
        "deviceName": [{"name": "pgxannot", "type": "manufacturer-name"}],
        "version": [{"value": version}],
    })
    recorded = _instant(prov.get("generated_at"))
    if recorded:
        entities = [{"role": "source", "what": {"display": f"{k}: {v}"}}
                    for k, v in _flat_inputs(prov.get("inputs") or {})]
        b.add("provenance", {
            "resourceType": "Provenance",
            "target": [{"reference": report}],
            "recorded": recorded,
            "agent": [{"who": {"reference": device}}],
            **({"entity": entities} if entities else {}),
        })
    bundle_id = str(uuid.uuid5(NAMESPACE, sample + "\x1fbundle\x1f"
                               + "".join(e["fullUrl"] for e in b.entries)))
    return {"resourceType": "Bundle", "id": bundle_id, "type": "collection", "entry": b.entries}


def _flat_inputs(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    return [(k, v) for k, v in flatten(value, prefix) if v]


def bundle_model_class() -> Any:
    try:
        from fhir.resources.R4B.bundle import Bundle
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise OutputError("the FHIR output needs the package fhir.resources (R4B models)",
                          hint="pip install 'fhir.resources>=8'") from exc
    return Bundle


def validate_bundle(bundle: dict[str, Any]) -> Any:
    """The validated ``fhir.resources`` Bundle model; OutputError when invalid."""
    Bundle = bundle_model_class()
    try:
        if hasattr(Bundle, "model_validate"):
            return Bundle.model_validate(bundle)
        return Bundle.parse_obj(bundle)  # pragma: no cover - fhir.resources < 8 (pydantic v1)
    except Exception as exc:  # pydantic.ValidationError; message names the field path
        first = " ".join(str(exc).split())[:300]
        raise OutputError(f"the FHIR bundle of {bundle.get('id')} is not valid FHIR: {first}",
                          hint="this is a bug in pgxannot's FHIR renderer; please report it") from exc


def model_json(model: Any) -> dict[str, Any]:
    """What fhir.resources itself serializes for a validated model (tests compare)."""
    if hasattr(model, "model_dump_json"):
        return json.loads(model.model_dump_json(exclude_none=True))
    return json.loads(model.json())  # pragma: no cover - fhir.resources < 8


def render_fhir(d: Mapping[str, Any]) -> str:
    """The report as FHIR R4 JSON (a ``collection`` Bundle), validated by fhir.resources.

    The bundle is validated by the ``fhir.resources`` model and written from the same
    dict (the model's own serialization is identical but ~3x slower; tests check both
    agree).
    """
    bundle = build_bundle(d)
    validate_bundle(bundle)
    return json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
