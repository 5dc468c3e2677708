"""Required elements and cardinalities of the Genomics Reporting IG (STU3) profiles we claim.

No validator for implementation-guide profiles installs from the package registries this
project uses (HL7's Java validator is not on PyPI or Debian; the npm wrappers download
the validator and the IG package from the internet at run time). ``fhir.resources``
validates the R4(B) base resources; this module checks, for every resource that claims a
profile, what that profile adds: fixed codes, required values, forbidden values, slice
cardinalities and the coding of genes (HGNC), taken from the IG's FSH sources
(``GenomicBase``, ``GenomicFinding``, ``Genotype``, ``Haplotype``, ``Variant``,
``GenomicImplication``, ``TherapeuticImplication``, ``DiagnosticImplication``,
``GenomicReport``).

:func:`problems` returns every violation as ``"<resource id>: <what>"``; [] is conformant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

IG = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"
LOINC = "http://loinc.org"
TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
HGNC = "http://www.genenames.org/geneId"
OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

FIXED_CODE = {  # profile -> (system, code) its Observation.code must carry
    "genotype": (LOINC, "84413-4"),
    "haplotype": (LOINC, "84414-2"),
    "variant": (LOINC, "69548-6"),
    "therapeutic-implication": (TBD, "therapeutic-implication"),
    "diagnostic-implication": (TBD, "diagnostic-implication"),
}
FINDINGS = ("genotype", "haplotype", "variant")
IMPLICATIONS = ("therapeutic-implication", "diagnostic-implication")
VARIANT_PRESENCE = {"LA9633-4", "LA9634-2", "LA18198-4", "LA11884-6"}  # LL1971-2
# component slices of at most one (Variant; GenomicImplication)
AT_MOST_ONE = {
    "variant": [(LOINC, c) for c in ("53034-5", "69547-8", "69551-0", "92822-6", "81254-5",
                                     "48002-0", "82155-3", "48004-6", "81290-9")],
    "therapeutic-implication": [(LOINC, "53037-8")],
    "diagnostic-implication": [(LOINC, "53037-8"), (TBD, "condition-inheritance")],
}
CODEABLE_SLICES = [(LOINC, "48018-6"), (LOINC, "93044-6"), (LOINC, "51963-7"), (LOINC, "53040-2"),
                   (LOINC, "81259-4"), (TBD, "therapeutic-implication"), (LOINC, "53034-5"),
                   (LOINC, "48002-0"), (LOINC, "62374-4"), (LOINC, "53037-8"), (TBD, "condition-inheritance")]


def _codes(concept: Any) -> set[tuple[str, str]]:
    if not isinstance(concept, dict):
        return set()
    return {(c.get("system"), c.get("code")) for c in concept.get("coding") or []}


def _values(x: dict[str, Any]) -> list[str]:
    return [k for k in x if k.startswith("value")]


def _profiles(res: dict[str, Any]) -> list[str]:
    return [p.removeprefix(IG) for p in (res.get("meta") or {}).get("profile") or [] if p.startswith(IG)]


def _observation_problems(res: dict[str, Any], profile: str) -> Iterable[str]:
    if res.get("status") not in ("registered", "preliminary", "final", "amended", "corrected"):
        yield "status missing or not a result status"
    labs = [c for c in res.get("category") or [] if (OBS_CAT, "laboratory") in _codes(c)]
    if len(labs) != 1:
        yield f"category laboratory must appear exactly once (found {len(labs)})"
    if profile in FIXED_CODE and FIXED_CODE[profile] not in _codes(res.get("code")):
        yield f"code must be {FIXED_CODE[profile]}"
    if not str((res.get("subject") or {}).get("reference", "")).startswith("urn:uuid:"):
        yield "subject must reference the Patient"
    if profile in FINDINGS:
        if "valueCodeableConcept" not in res:
            yield "value[x] 1..1 (CodeableConcept) missing"
        if "dataAbsentReason" in res:
            yield "dataAbsentReason with a required value"
    if profile == "variant" and not _codes(res.get("valueCodeableConcept")) & {(LOINC, c) for c in VARIANT_PRESENCE}:
        yield "variant value must come from LL1971-2 (Present/Absent/No call/Indeterminate)"
    if profile in IMPLICATIONS:
        if _values(res):
            yield "value[x] 0..0 in an implication"
        if not res.get("derivedFrom"):
            yield "derivedFrom 1..* missing"
    yield from _component_problems(res, profile)


def _component_problems(res: dict[str, Any], profile: str) -> Iterable[str]:
    comps = res.get("component") or []
    for i, c in enumerate(comps):
        if not c.get("code"):
            yield f"component[{i}] without code"
        if len(_values(c)) + ("dataAbsentReason" in c) != 1:
            yield f"component[{i}] needs exactly one value[x] or dataAbsentReason"
        codes = _codes(c.get("code"))
        if codes & set(CODEABLE_SLICES) and "valueCodeableConcept" not in c:
            yield f"component[{i}] {sorted(codes)} needs valueCodeableConcept"
        if (LOINC, "48018-6") in codes:
            hgnc = [x for x in (c.get("valueCodeableConcept") or {}).get("coding") or [] if x.get("system") == HGNC]
            if not hgnc or not re.fullmatch(r"HGNC:\d+", str(hgnc[0].get("code"))):
                yield f"component[{i}] gene-studied without an HGNC id"
    for slice_code in AT_MOST_ONE.get(profile, []):
        n = sum(1 for c in comps if slice_code in _codes(c.get("code")))
        if n > 1:
            yield f"component {slice_code} appears {n} times (max 1)"


def _report_problems(res: dict[str, Any]) -> Iterable[str]:
    if res.get("resourceType") != "DiagnosticReport":
        yield "genomic-report profile on a non-DiagnosticReport"
        return
    ge = [c for c in res.get("category") or [] if (V2_0074, "GE") in _codes(c)]
    if len(ge) != 1:
        yield "category Genetics (v2-0074 GE) must appear exactly once"
    if (LOINC, "51969-4") not in _codes(res.get("code")):
        yield "code must be LOINC 51969-4"
    if res.get("status") not in ("registered", "partial", "preliminary", "final", "amended", "corrected"):
        yield "status missing"
    if [k for k in res if k.startswith("effective") and k != "effectiveDateTime"]:
        yield "effective[x] only dateTime"
    if "imagingStudy" in res:
        yield "imagingStudy 0..0"
    if "issued" in res and not INSTANT.match(str(res["issued"])):
        yield "issued not an instant"


def problems(bundle: dict[str, Any]) -> list[str]:
    """Every profile violation in ``bundle`` (plus bundle-level identity and references)."""
    out = []
    if not (bundle.get("identifier") or {}).get("value"):
        out.append("Bundle: identifier missing")
    if "timestamp" in bundle and not INSTANT.match(str(bundle["timestamp"])):
        out.append("Bundle: timestamp not an instant")
    urls = [e.get("fullUrl") for e in bundle.get("entry") or []]
    if len(set(urls)) != len(urls):
        out.append("Bundle: duplicate fullUrl")
    for e in bundle.get("entry") or []:
        res = e.get("resource") or {}
        for profile in _profiles(res):
            found = _report_problems(res) if profile == "genomic-report" else _observation_problems(res, profile)
            out += [f"{res.get('id')} ({profile}): {p}" for p in found]
    return out
