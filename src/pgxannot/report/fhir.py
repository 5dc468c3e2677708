"""The report as an HL7 FHIR R4 ``Bundle`` following the Genomics Reporting IG (STU3).

One ``DiagnosticReport`` (genomic-report) whose results are, per gene, a genotype
Observation (LOINC 84413-4) with haplotype Observations (84414-2) and a predicted
phenotype (therapeutic-implication; metabolizer phenotypes under LOINC 53040-2, coded
with their LOINC answers); per drug a therapeutic-implication naming the medication
assessed (RxNorm), the guideline source and strength, and the recommended action
(coded); per finding a variant Observation (69548-6) with a diagnostic or therapeutic
implication. Genes are coded with HGNC ids (``http://www.genenames.org/geneId``).

The bundle is built as plain dicts and serialized directly with ``json.dumps``: no
model objects on the per-patient path. The tests validate every bundled example and a
seeded sample of generated patients with ``fhir.resources`` (R4B models) and check the
IG profiles' required elements and cardinalities (see ``tests/report/fhir_profiles.py``).

Deterministic: resource ids are UUIDv5 of sample + resource content, computed without
the time stamps; the time (``provenance.generated_at``, pinned by ``SOURCE_DATE_EPOCH``)
appears as ``Bundle.timestamp``, ``DiagnosticReport.issued`` and ``Provenance.recorded``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from pgxannot.errors import OutputError
from pgxannot.frozen import derived
from pgxannot.report.codes import HGNC_SYSTEM, RXNORM_SYSTEM, hgnc_id, rxnorm_id
from pgxannot.report.common import (
    as_list,
    as_mapping,
    flatten,
    known_alike,
    light_of,
    safe_href,
    text,
)
from pgxannot.report.guidelines import source_entries
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
ACTION_SYSTEM = "urn:pgxannot:action"  # pgxannot's closed action vocabulary (pgxannot.vocabulary)
HPO = "http://human-phenotype-ontology.org"
INHERITANCE = {"AD": ("HP:0000006", "Autosomal dominant inheritance"),
               "AR": ("HP:0000007", "Autosomal recessive inheritance"),
               "XL": ("HP:0001417", "X-linked inheritance")}
RESPONSE = {"sensitivity": ("LA6677-4", "Responsive"), "resistance": ("LA6676-6", "Resistant")}
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
METABOLISM = _loinc("53040-2", "Genetic variation's effect on drug metabolism")
MEDICATION = _loinc("51963-7", "Medication assessed [ID]")
EVIDENCE = _loinc("93044-6", "Level of evidence")


def gene_concept(gene: str) -> dict[str, Any]:
    """A gene as the IG wants it: HGNC id as code, symbol as display (text when unknown)."""
    hgnc = hgnc_id(gene)
    if hgnc is None:
        return {"text": gene}
    return {"coding": [{"system": HGNC_SYSTEM, "code": hgnc, "display": gene}], "text": gene}


def medication_concept(drug: str) -> dict[str, Any]:
    """A drug coded with RxNorm when the CPIC drug table has its id (always with text)."""
    rx = rxnorm_id(drug) or rxnorm_id(drug.lower())
    if rx is None:
        return {"text": drug}
    return {"coding": [{"system": RXNORM_SYSTEM, "code": rx, "display": drug}], "text": drug}


def _gene_component(gene: str) -> dict[str, Any]:
    return _comp(GENE_STUDIED, valueCodeableConcept=gene_concept(gene))


class _Builder:
    """Collects resources; ids are UUIDv5 of (sample, kind, content).

    Each resource is serialized once: the text that gives its id is also the text the
    bundle is written from (``texts``, parallel to ``entries``), so rendering costs one
    C-encoder pass over the bundle.
    """

    def __init__(self, sample: str, *, keep_dicts: bool = True) -> None:
        self.sample = sample
        self.keep_dicts = keep_dicts  # False when only the text is wanted (rendering)
        self.entries: list[dict[str, Any]] = []
        self.texts: list[str] = []
        self.ids: set[str] = set()

    def add(self, kind: str, resource: dict[str, Any], *, timed: Mapping[str, Any] | None = None,
            content: str | None = None) -> str:
        """Add ``resource`` (``resourceType`` its first key); ``timed`` fields (time stamps)
        are set after the id is computed, so ids do not change when only the time does.
        ``content`` is ``_dumps(resource)`` when the caller assembled it from cached parts."""
        # the resources are built in a fixed key order, so the compact dump is canonical
        if content is None:
            content = _dumps(resource)
        rid = uuid5(f"{self.sample}\x1f{kind}\x1f{content}")
        n = 1
        while rid in self.ids:  # identical content twice (e.g. both haplotypes *2): number them
            n += 1
            rid = uuid5(f"{self.sample}\x1f{kind}\x1f{content}\x1f{n}")
        self.ids.add(rid)
        stamps = {k: v for k, v in (timed or {}).items() if v is not None}
        body = ({"resourceType": resource["resourceType"], "id": rid, **resource, **stamps}
                if self.keep_dicts else {"resourceType": resource["resourceType"]})
        self.entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": body})
        head = _HEADS.get(resource["resourceType"]) or '{"resourceType":' + _dumps(resource["resourceType"]) + ","
        assert content.startswith(head)
        rest = content[len(head):]
        if stamps:
            rest = rest[:-1] + "," + _dumps(stamps)[1:]
        self.texts.append(f'{{"fullUrl":"urn:uuid:{rid}","resource":{head}"id":"{rid}",{rest}}}')
        return f"urn:uuid:{rid}"

    def first(self, index: int) -> None:
        """Move entry ``index`` to the front (the DiagnosticReport leads the bundle)."""
        self.entries.insert(0, self.entries.pop(index))
        self.texts.insert(0, self.texts.pop(index))


_NAMESPACE_BYTES = NAMESPACE.bytes
# the text a resource of each type starts with (_Builder.add)
_HEADS = {t: f'{{"resourceType":"{t}",' for t in ("Patient", "Observation", "DiagnosticReport", "Provenance",
                                                  "Device", "Bundle")}


def uuid5(name: str) -> str:
    """``str(uuid.uuid5(NAMESPACE, name))``, without building UUID objects (hot path)."""
    b = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8")).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# inside render_fhir of a report that holds nothing orjson writes differently from the
# standard library (report.common.known_alike): the resources, made of the report's values and
# this module's own strings and numbers, are written by orjson (the same bytes, ~5x faster)
_orjson_alike = False


def _dumps(value: Any) -> str:
    if _orjson_alike:
        with contextlib.suppress(orjson.JSONEncodeError):
            return orjson.dumps(value).decode("utf-8")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _observation(profile: str | None, code: dict[str, Any], subject: str, **fields: Any) -> dict[str, Any]:
    """An Observation claiming ``profile`` (None: a plain Observation, no profile claimed)."""
    return {
        "resourceType": "Observation",
        **({"meta": {"profile": [PROFILE[profile]]}} if profile else {}),
        "status": "final",
        "category": CATEGORY,
        "code": code,
        "subject": {"reference": subject},
        **{k: v for k, v in fields.items() if v not in (None, [], {})},
    }


def _notes(*items: str | None) -> list[dict[str, str]]:
    return [{"text": s} for s in items if s]


def haplotype_text(gene: str, allele: str) -> str:
    """Star-allele text as PharmVar writes it (``CYP2C19*2``); other names after the gene."""
    return f"{gene}{allele}" if allele.startswith("*") else f"{gene} {allele}"


def _haplotypes(b: _Builder, g: Mapping[str, Any], patient: str) -> list[str]:
    gene = text(g.get("gene"))
    candidates = [c for c in as_list(g.get("candidates")) if isinstance(c, Mapping)]
    if str(g.get("status")) not in ("called", "outside_call") or len(candidates) != 1:
        return []
    return [b.add(f"haplotype:{gene}", _observation(
        "haplotype", _loinc("84414-2", "Haplotype name"), patient,
        valueCodeableConcept={"text": haplotype_text(gene, str(allele))},
        component=[_gene_component(gene)]))
        for allele in as_list(candidates[0].get("alleles"))]


def _genotype(b: _Builder, g: Mapping[str, Any], patient: str, haplo_refs: list[str]) -> str:
    gene = text(g.get("gene"))
    status = str(g.get("status"))
    diplotypes = [str(x) for x in as_list(g.get("diplotypes"))]
    missing = [str(p) for p in as_list(g.get("missing_positions"))]
    notes = _notes(
        f"Ambiguous: every candidate diplotype is listed ({' or '.join(diplotypes)})." if status == "ambiguous" else None,
        text(g.get("reason")) or None,
        (f"{len(missing)} defining position(s) absent from the input: {', '.join(missing)}" if missing else None),
        *[str(w) for w in as_list(g.get("warnings"))],
    )
    method = {"vcf": "Genotyping from VCF (pgxannot star-allele matching)",
              "outside_call": "Outside call (result made elsewhere)"}.get(str(g.get("source")))
    fields: dict[str, Any] = {
        "component": [_gene_component(gene)],
        "method": {"text": method} if method else None,
        "note": notes,
        "derivedFrom": [{"reference": r} for r in haplo_refs],
    }
    if diplotypes:
        fields["valueCodeableConcept"] = {"text": " or ".join(f"{gene} {d}" for d in diplotypes)}
        profile: str | None = "genotype"
    else:
        # the genotype profile requires a value: a gene not called is a plain Observation
        fields["dataAbsentReason"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                        "code": "unknown", "display": "Unknown"}],
            "text": text(g.get("reason")) or "not called",
        }
        profile = None
    return b.add(f"genotype:{gene}", _observation(
        profile, _loinc("84413-4", "Genotype display name"), patient, **fields))


def phenotype_component(gene: str, phenotype: str) -> dict[str, Any]:
    """The predicted phenotype: a metabolizer status under LOINC 53040-2 with its LOINC answer;
    any other phenotype (function, deficiency, risk) as the IG's therapeutic-implication."""
    hit = METABOLIZER.get(phenotype.lower())
    if hit:
        return _comp(METABOLISM, valueCodeableConcept={
            "coding": [{"system": LOINC, "code": hit[0], "display": hit[1]}], "text": phenotype})
    return _comp(TBD_TI, valueCodeableConcept={"text": f"{gene} {phenotype}"})


def _gene_resources(b: _Builder, g: Mapping[str, Any], patient: str) -> tuple[list[str], str]:
    """Genotype, haplotype and phenotype Observations of one gene; returns (refs, genotype ref)."""
    gene = text(g.get("gene"))
    haplo_refs = _haplotypes(b, g, patient)
    geno_ref = _genotype(b, g, patient, haplo_refs)
    refs = [*haplo_refs, geno_ref]
    phenotype = text(g.get("phenotype"))
    if phenotype:
        comps = [phenotype_component(gene, phenotype), _comp({"text": "Gene"}, valueCodeableConcept=gene_concept(gene))]
        if g.get("activity_score") is not None:
            comps.append(_comp({"text": "Activity score"}, valueString=text(g.get("activity_score"))))
        refs.append(b.add(f"phenotype:{gene}", _observation(
            "therapeutic-implication", TBD_TI, patient, component=comps,
            derivedFrom=[{"reference": geno_ref}])))
    return refs, geno_ref


def _drug_components(x: Mapping[str, Any], source: str) -> list[dict[str, Any]]:
    drug = text(x.get("drug"))
    action = str(x.get("action"))
    lookup = as_mapping(x.get("lookup"))
    comps = [_comp(MEDICATION, valueCodeableConcept=medication_concept(drug))]
    for gene, key in lookup.items():
        comps.append(phenotype_component(str(gene), text(key)) if text(key).lower() in METABOLIZER
                     else _comp(TBD_TI, valueCodeableConcept={"text": f"{gene}: {text(key)}"}))
    comps.append(_comp(TBD_TI, valueCodeableConcept={
        "coding": [{"system": ACTION_SYSTEM, "code": action, "display": ACTION_LABELS.get(action, action)}],
        "text": text(x.get("recommendation")) or ACTION_LABELS.get(action, action)}))
    if x.get("classification"):
        comps.append(_comp(EVIDENCE, valueCodeableConcept={"text": f"{source} {text(x.get('classification'))}"}))
    if x.get("cpic_level"):
        comps.append(_comp(EVIDENCE, valueCodeableConcept={"text": f"{source} level {text(x.get('cpic_level'))}"}))
    comps.append(_comp({"text": "Current medication"}, valueBoolean=bool(x.get("current_medication"))))
    if x.get("dose_change_percent") is not None:
        comps.append(_comp({"text": "Dose change (%)"},
                           valueQuantity={"value": x["dose_change_percent"], "unit": "%",
                                          "system": "http://unitsofmeasure.org", "code": "%"}))
    return comps


_LIGHT_WORDS = {"red": "avoid or change", "amber": "adjust or monitor", "green": "standard use",
                "grey": "no guidance"}
_DRUG_PARTS: dict[tuple[Any, ...], dict[str, Any]] = {}  # equal drug rows recur across patients
_DRUG_PARTS_MAX = 50_000


def _drug_key(x: Mapping[str, Any]) -> tuple[Any, ...] | None:
    lookup = as_mapping(x.get("lookup"))
    guideline = as_mapping(x.get("guideline"))
    key = (x.get("drug"), x.get("action"), x.get("recommendation"), x.get("reason"), x.get("classification"),
           x.get("cpic_level"), x.get("current_medication"), x.get("dose_change_percent"), x.get("source"),
           x.get("traffic_light"), tuple(lookup.items()), guideline.get("url"), guideline.get("name"))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _drug_parts(x: Mapping[str, Any]) -> dict[str, Any]:
    """The patient-independent parts of a drug's implication (components, note,
    interpretation, citation), built once per distinct drug row of a process."""
    key = _drug_key(x)
    if key is not None and key in _DRUG_PARTS:
        return _DRUG_PARTS[key]
    source = text(x.get("source")) or "CPIC"
    guideline = as_mapping(x.get("guideline"))
    href = safe_href(guideline.get("url"))
    name = text(guideline.get("name"))
    # every implication names its body (CPIC, DPWG) in its citation, with the URL when known
    label = name if name.startswith(source) else " ".join(s for s in (source, name) if s)
    parts: dict[str, Any] = {
        "source": source,
        "component": _drug_components(x, source),
        # the recommendation text is the coded action's text; the note says why, when it must
        "note": _notes(text(x.get("reason")) or None),
        "interpretation": [{"text": _LIGHT_WORDS[light_of(x)]}],
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact",
                       "valueRelatedArtifact": {"type": "citation", "label": label,
                                                **({"url": href} if href else {})}}],
    }
    parts["text"] = {k: _dumps(parts[k]) for k in ("component", "note", "interpretation", "extension")}
    if key is not None:
        if len(_DRUG_PARTS) >= _DRUG_PARTS_MAX:
            _DRUG_PARTS.clear()
        _DRUG_PARTS[key] = parts
    return parts


_OBS_HEAD = {profile: '{"resourceType":"Observation",'
             + (f'"meta":{_dumps({"profile": [PROFILE[profile]]})},' if profile else "")
             + f'"status":"final","category":{_dumps(CATEGORY)},"code":{_dumps(TBD_TI)},'
             for profile in ("therapeutic-implication", None)}


_OBSERVATION = {"resourceType": "Observation"}


def _drug_implications(x: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], dict[str, Any], tuple[str, ...]]]:
    """A drug entry's implications, one per guideline body: (its entry, its cached parts, its
    genes); kept with a drug entry the guidance froze (shared by patients)."""
    got = derived(x)
    if got is not None and "fhir" in got:
        return got["fhir"]
    out: list[tuple[Mapping[str, Any], dict[str, Any], tuple[str, ...]]] = [(rec, _drug_parts(rec), tuple(str(gn) for gn in as_list(rec.get("genes")))) for rec in source_entries(x)]
    if got is not None:
        got["fhir"] = out
    return out


def _drug_resource(b: _Builder, x: Mapping[str, Any], parts: dict[str, Any], genes: tuple[str, ...],
                   patient: str, subject: str, genotype: Mapping[str, str], genotype_texts: Mapping[str, str]) -> str:
    """One recommendation as a coded therapeutic implication, naming its source (CPIC, DPWG...).

    Its text is assembled from the cached serialized parts (the same compact dump the
    dict gives: tests compare both): ``subject`` is ``_dumps({"reference": patient})``
    and ``genotype_texts`` the same of each gene's genotype reference."""
    refs = [g for g in genes if g in genotype]
    # the profile needs derivedFrom: a drug whose genes are all unreported claims none
    profile = "therapeutic-implication" if refs else None
    resource = {
        **_observation(profile, TBD_TI, patient, component=parts["component"], note=parts["note"],
                       derivedFrom=[{"reference": genotype[g]} for g in refs], interpretation=parts["interpretation"]),
        **({"extension": parts["extension"]} if parts["extension"] else {}),
    } if b.keep_dicts else _OBSERVATION  # rendering wants the text only
    t = parts["text"]
    content = (_OBS_HEAD[profile] + '"subject":' + subject + ',"component":' + t["component"]
               + (',"note":' + t["note"] if parts["note"] else "")
               # a compact list's text is its items' texts between brackets, comma-separated
               + (',"derivedFrom":[' + ",".join(genotype_texts[g] for g in refs) + "]" if refs else "")
               + ',"interpretation":' + t["interpretation"]
               + (',"extension":' + t["extension"] if parts["extension"] else "") + "}")
    return b.add(f"drug:{parts['source']}:{text(x.get('drug'))}", resource, content=content)


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
    comps = [_gene_component(gene),
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
        hpo = INHERITANCE.get(text(f["inheritance"]))
        imp.append(_comp({"coding": [{"system": TBD, "code": "condition-inheritance",
                                      "display": "Condition Inheritance"}]},
                         valueCodeableConcept={**({"coding": [{"system": HPO, "code": hpo[0], "display": hpo[1]}]}
                                                  if hpo else {}), "text": text(f["inheritance"])}))
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
        if isinstance(t, Mapping):
            refs.append(_therapy_resource(b, t, gene, variant, var_ref, patient))
    return refs


def _therapy_resource(b: _Builder, t: Mapping[str, Any], gene: str, variant: str, var_ref: str,
                      patient: str) -> str:
    """One CIViC therapy evidence item as a therapeutic implication of the variant."""
    therapy = text(t.get("therapy"))
    significance = text(t.get("significance")).replace(" (evidence does not support)", "")
    against = t.get("direction") == "does_not_support"
    effect = RESPONSE.get(significance.split("/")[0].lower()) if not against else None
    comps = [_comp(MEDICATION, valueCodeableConcept=medication_concept(therapy))]
    if t.get("tumor_type"):
        comps.append(_comp(_loinc("81259-4", "Associated phenotype"),
                           valueCodeableConcept={"text": text(t.get("tumor_type"))}))
    if significance:
        comps.append(_comp(TBD_TI, valueCodeableConcept={
            **({"coding": [{"system": LOINC, "code": effect[0], "display": effect[1]}]} if effect else {}),
            "text": f"Evidence does not support: {significance}" if against else significance}))
    if t.get("evidence_level"):
        comps.append(_comp(EVIDENCE, valueCodeableConcept={"text": f"CIViC level {text(t.get('evidence_level'))}"}))
    where = "in the patient's tumour type" if t.get("in_tumour_type") else "in another tumour type"
    return b.add(f"therapy:{gene}:{variant}:{therapy}", _observation(
        "therapeutic-implication", TBD_TI, patient, component=comps,
        derivedFrom=[{"reference": var_ref}],
        note=_notes(" · ".join(s for s in (text(t.get("citation")),
                                           where if "in_tumour_type" in t else "") if s) or None)))


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
    """The Bundle as a plain dict (the tests validate it; rendering does not)."""
    bundle = _build(d)
    del bundle[BUNDLE_TEXTS]
    return bundle


def _build(d: Mapping[str, Any], *, keep_dicts: bool = True) -> dict[str, Any]:
    sample = text(d.get("sample"))
    b = _Builder(sample, keep_dicts=keep_dicts)
    patient_info = d.get("patient") or {}
    sex = patient_info.get("sex")
    patient = b.add("patient", {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:pgxannot:sample", "value": sample}],
        **({"gender": sex} if sex in ("female", "male", "unknown") else {}),
    })
    prov = d.get("provenance") or {}
    config = as_mapping(prov.get("config"))
    build = config.get("reference_build") if isinstance(config.get("reference_build"), str) else None
    results = _results(b, d, patient, build)
    recorded = _instant(prov.get("generated_at"))
    report = b.add("report", {
        "resourceType": "DiagnosticReport",
        "meta": {"profile": [PROFILE["genomic-report"]]},
        "status": "final",
        "category": [CATEGORY[1]],
        "code": _loinc("51969-4", "Genetic analysis report"),
        "subject": {"reference": patient},
        "result": [{"reference": r} for r in results],
        "conclusion": _conclusion(d),
    }, timed={"issued": recorded})
    b.first(len(b.entries) - 1)  # the report first, then everything it references
    bundle_id = str(uuid.uuid5(NAMESPACE, sample + "\x1fbundle\x1f"
                               + "".join(e["fullUrl"] for e in b.entries)))
    _add_provenance(b, prov, report, recorded)
    return {"resourceType": "Bundle", "id": bundle_id,
            "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
            "type": "collection", **({"timestamp": recorded} if recorded else {}), "entry": b.entries,
            BUNDLE_TEXTS: b.texts}


BUNDLE_TEXTS = "\x00texts"  # the serialized entries, parallel to "entry" (removed before use)


def _results(b: _Builder, d: Mapping[str, Any], patient: str, build: str | None) -> list[str]:
    results: list[str] = []
    genotype: dict[str, str] = {}
    for g in d.get("genes") or []:
        refs, geno = _gene_resources(b, g, patient)
        genotype[str(g.get("gene"))] = geno
        results.extend(refs)
    subject = _dumps({"reference": patient})
    genotype_texts = {g: _dumps({"reference": ref}) for g, ref in genotype.items()}
    for x in d.get("drugs") or []:
        # one therapeutic implication per guideline body (CPIC, DPWG)
        for rec, parts, genes in _drug_implications(x):
            results.append(_drug_resource(b, rec, parts, genes, patient, subject, genotype, genotype_texts))
    erbb2: list[str] = []
    for f in d.get("findings") or []:
        refs = _finding_resources(b, f, patient, build)
        if f.get("gene") == "ERBB2" and f.get("category") == "copy_number":
            erbb2.append(refs[0])
        results.extend(refs)
    if d.get("her2_status") is not None:
        results.append(b.add("her2", _observation(
            "diagnostic-implication" if erbb2 else None,
            {"coding": [{"system": TBD, "code": "diagnostic-implication", "display": "Diagnostic Implication"}],
             "text": "ERBB2 (HER2) copy-number status"},
            patient,
            component=[_gene_component("ERBB2"),
                       _comp({"text": "ERBB2 (HER2) status"}, valueCodeableConcept={"text": text(d["her2_status"])})],
            derivedFrom=[{"reference": r} for r in erbb2],
        )))
    return results


def _conclusion(d: Mapping[str, Any]) -> str:
    drugs = d.get("drugs") or []
    findings = d.get("findings") or []
    return (f"{sum(1 for x in drugs if light_of(x) in ('red', 'amber'))} of {len(drugs)} drugs "
            f"with a change from standard use; {sum(1 for f in findings if f.get('high_risk'))} "
            f"high-risk finding(s); {sum(1 for g in d.get('genes') or [] if g.get('status') == 'not_called')} "
            f"gene(s) not called.")


def _add_provenance(b: _Builder, prov: Mapping[str, Any], report: str, recorded: str | None) -> None:
    version = text(prov.get("pgxannot_version")) or "unknown"
    device = b.add("device", {
        "resourceType": "Device",
        "deviceName": [{"name": "pgxannot", "type": "manufacturer-name"}],
        "version": [{"value": version}],
    })
    if not recorded:
        return
    entities = [{"role": "source", "what": {"display": f"{k}: {v}"}}
                for k, v in _flat_inputs(prov.get("inputs") or {})]
    b.add("provenance", {
        "resourceType": "Provenance",
        "target": [{"reference": report}],
        "agent": [{"who": {"reference": device}}],
        **({"entity": entities} if entities else {}),
    }, timed={"recorded": recorded})


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
    """The report as FHIR R4 JSON (a ``collection`` Bundle), serialized directly.

    No model objects on this path (issue #19: validation cost three times everything
    else per patient); the tests validate bundles with ``fhir.resources`` and the IG
    profile rules, so a malformed bundle fails CI, not a patient's run. Compact JSON:
    Python's C encoder writes it ~3x faster than an indented dump (a 700 kB bundle is
    for machines; ``python -m json.tool`` pretty-prints it).
    """
    global _orjson_alike
    before, _orjson_alike = _orjson_alike, known_alike(d) is True
    try:
        bundle = _build(d, keep_dicts=False)
        texts = bundle.pop(BUNDLE_TEXTS)
        del bundle["entry"]
        head = _dumps(bundle)
    finally:
        _orjson_alike = before
    return head[:-1] + ',"entry":[' + ",".join(texts) + "]}\n"
