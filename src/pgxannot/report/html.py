"""The self-contained clinician HTML report of one sample.

:func:`render_html` turns the report dict into a view model (pure Python: ordering,
wording, 'not analysed' vs 'nothing found') and renders it with Jinja2, autoescape
on, from ``templates/report.html.j2``. The page has no scripts and loads nothing:
CSS is inline, charts are inline SVG, and a Content-Security-Policy forbids any
fetch. Only ``https://`` guideline and evidence links are clickable.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, partial
from typing import Any

import jinja2
from markupsafe import Markup

from pgxannot.report.common import (
    CATEGORY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    as_list,
    as_mapping,
    content_key,
    flatten,
    is_actionable,
    light_of,
    safe_href,
    shared,
    text,
    unique,
    yes,
)
from pgxannot.report.diff import describe_change, diff_reports
from pgxannot.report.gene_detail import REFERENCE_NOTE, gene_detail
from pgxannot.report.guidelines import dpwg_statement, sources_view
from pgxannot.vocabulary import ACTION_LABELS, ACTIONS, LIGHT_LABELS, PATIENT_ACTIONS, action_rank

# no recommendation was given for this patient's genotypes (none exists, or a gene it needs
# was not called); counted apart from "drugs with guidance"
NO_GUIDANCE = (*PATIENT_ACTIONS, "no_recommendation")

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")


# Every attribute of a plain dict is its type's: for any other name getattr() fails, and Jinja2
# then looks the key up. _Environment gives that answer without raising the AttributeError first.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja2's environment, with ``x.name`` on a plain dict looked up without an exception
    (a page does ~1,500 such lookups; 6.0 -> 5.5 ms a page on 500 synthetic patients)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of every HTML output (autoescape always on)."""
    env = _Environment(
        loader=jinja2.PackageLoader("pgxannot.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["CSP"] = CSP
    return env


def render_html(d: Mapping[str, Any], *, previous: Mapping[str, Any] | None = None) -> str:
    """The clinician report as one self-contained HTML page.

    ``previous`` is the last report of the same sample: when given, a "changed since
    the last report" section lists new, changed and removed calls, drugs and findings.
    """
    return environment().get_template("report.html.j2").render(r=report_view(d, previous))


# ---------------------------------------------------------------- fragments shared by patients
@cache
def _fragment_macros() -> Any:
    return environment().get_template("_fragments.html.j2").module


def shared_drug_view(x: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`drug_view` of ``x``, made once per distinct drug entry (``key``: its content key)."""
    key = content_key(x)
    return shared(("drug", key), lambda: drug_view(x) | {"key": key})


def drug_row_html(x: Mapping[str, Any], *, dense: bool) -> Markup:
    """The table row of one drug view (``dense``: the standard-dosing table's short form)."""
    return shared(("row", x.get("key"), dense), lambda: Markup(_fragment_macros().drug_row(x, dense)))


def _gene_block(gd: Mapping[str, Any], index: int) -> Markup:
    return Markup(_fragment_macros().gene_detail_block(gd, index))


def gene_details_view(genes: list[Any], patient: Mapping[str, Any]) -> dict[str, Any]:
    """Appendix A: per gene with position-level detail, its view and its rendered block."""
    sex = text(patient.get("sex"))
    details: list[dict[str, Any]] = []
    blocks: list[Markup] = []
    for g in genes:
        if not (isinstance(g, Mapping) and (g.get("positions") or g.get("candidates"))):
            continue
        key = content_key(g)
        gd = shared(("gene", key, sex), partial(gene_detail, g, patient))
        index = len(details) + 1
        blocks.append(shared(("gene_html", key, sex, index), partial(_gene_block, gd, index)))
        details.append(gd)
    return {"gene_details": details, "gene_detail_html": blocks}


# ---------------------------------------------------------------- view model


def report_view(d: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything the template shows, worded and ordered; no call is recomputed."""
    patient = d.get("patient") or {}
    meds = d.get("medications") or {}
    genes = [gene_view(g) for g in d.get("genes") or []]
    drugs = [shared_drug_view(x) for x in d.get("drugs") or []]
    findings = [finding_view(f) for f in d.get("findings") or []]
    prov = d.get("provenance") or {}
    listed_meds = [str(m) for m in as_list(patient.get("medications"))]
    current = [x for x in drugs if x["current"]]
    generated = text(prov.get("generated_at"))
    return {
        "sample": text(d.get("sample")),
        "page_label": css_string(f"Patient {text(d.get('sample'))}"),
        "page_date": css_string(f"Report date {report_date(generated) or 'not recorded'}"),
        "patient": {
            "sex": text(patient.get("sex")) or "not stated",
            "medications": listed_meds,
            "tumor_type": text(patient.get("tumor_type")),
            "indication": text(patient.get("indication")),
            "secondary_findings": _secondary_label(patient),
        },
        "meds_recognized": [str(m) for m in as_list(meds.get("recognized"))],
        "meds_not_recognized": [medication_view(m) for m in as_list(meds.get("not_recognized"))],
        "generated_at": generated,
        "report_date": report_date(generated),
        "version": text(prov.get("pgxannot_version")),
        "counts": counts_view(genes, drugs, findings),
        "has_medications": bool(listed_meds) or bool(current),
        "current_actionable": sorted((x for x in current if x["actionable"]),
                                     key=lambda x: (x["rank"], x["drug"].lower())),
        "current_unassessed": [x for x in current if x["light"] == "grey"],
        "current_standard": [x for x in current if x["light"] == "green"],
        "high_risk": high_risk_groups(findings),
        "notices": [text(n.get("text") if isinstance(n, Mapping) else n)
                    for n in as_list(d.get("notices"))],
        "drug_groups": drug_groups(drugs),
        "genes": genes,
        "germline": section_view(d, "germline", findings),
        "somatic": section_view(d, "somatic", findings),
        "copy_number": section_view(d, "copy_number", findings),
        "her2": her2_view(d),
        "chemotherapy_pgx": [text(n) for n in d.get("chemotherapy_pgx") or []],
        "limitations": limitations_view(d, genes, drugs),
        "changes": changes_view(previous, d) if previous is not None else None,
        "provenance": provenance_view(prov),
        "dpwg_statement": dpwg_statement(prov),
        **gene_details_view(d.get("genes") or [], patient),
        "reference_note": REFERENCE_NOTE,
        "other_evidence": [f for f in findings if f["therapies_other"] or len(f["evidence"]) > 3],
    }


def report_date(generated: str) -> str:
    """The date part of an ISO time stamp (``2026-01-01``), else ''."""
    return generated[:10] if len(generated) >= 10 and generated[4:5] == "-" else ""


def css_string(value: str) -> Markup:
    """``value`` as a quoted CSS string safe inside ``<style>``: everything but letters,
    digits, space and ``.,:_-`` becomes a CSS hex escape (no quote, backslash or ``<``)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in " .,:_-") else f"\\{ord(c):06x}"
                   for c in value)
    return Markup(f'"{safe}"')


def counts_view(genes: list[dict[str, Any]], drugs: list[dict[str, Any]],
                findings: list[dict[str, Any]]) -> dict[str, int]:
    """Summary counts. A drug "has guidance" only when the knowledge base gave a
    recommendation for this patient's genotypes (not when none exists or none applies)."""
    counts = {s: sum(1 for g in genes if g["status"] == s) for s in STATUS_LABELS}
    return {
        "genes": len(genes), **counts,
        "drugs": len(drugs),
        "with_guidance": sum(1 for x in drugs if x["action"] not in NO_GUIDANCE),
        "not_available": sum(1 for x in drugs if x["action"] in PATIENT_ACTIONS),
        "no_recommendation": sum(1 for x in drugs if x["action"] == "no_recommendation"),
        "actionable": sum(1 for x in drugs if x["actionable"]),
        "findings": len(findings),
    }


def _secondary_label(patient: Mapping[str, Any]) -> str:
    value = patient.get("secondary_findings")
    if value is None:
        return "yes (default)"
    return "yes" if yes(value) else "no"


def gene_view(g: Mapping[str, Any]) -> dict[str, Any]:
    status = str(g.get("status"))
    candidates = [
        {
            "diplotype": text(c.get("diplotype")),
            "phenotype": text(c.get("phenotype")),
            "activity_score": text(c.get("activity_score")),
            "functions": ", ".join(text(f) or "unknown" for f in as_list(c.get("functions"))),
        }
        for c in as_list(g.get("candidates")) if isinstance(c, Mapping)
    ]
    diplotypes = [str(x) for x in as_list(g.get("diplotypes"))]
    phenotype = text(g.get("phenotype"))
    if not phenotype and status == "ambiguous" and len({c["phenotype"] for c in candidates}) > 1:
        phenotype_note = "differs between candidates"
    else:
        phenotype_note = ""
    missing = [str(p) for p in as_list(g.get("missing_positions"))]
    return {
        "gene": text(g.get("gene")),
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "diplotypes": diplotypes,
        "phenotype": phenotype,
        "phenotype_note": phenotype_note,
        "activity_score": text(g.get("activity_score")),
        "missing": missing,
        "source": SOURCE_LABELS.get(str(g.get("source")), text(g.get("source")) or "—"),
        "reason": text(g.get("reason")),
        "warnings": [str(w) for w in as_list(g.get("warnings"))],
        "variants": [str(v) for v in as_list(g.get("variants"))],
        "candidates": candidates if status == "ambiguous" or len(candidates) > 1 else [],
        "needs_outside_call": bool((g.get("extra") or {}).get("needs_outside_call"))
        if isinstance(g.get("extra"), Mapping) else False,
    }


def medication_view(m: Any) -> dict[str, Any]:
    """A not-recognised medication: the name as written and its "did you mean" suggestions."""
    if isinstance(m, Mapping):
        return {"name": text(m.get("name")), "suggestions": [str(s) for s in as_list(m.get("suggestions"))]}
    return {"name": text(m), "suggestions": []}


CALL_SOURCE_WORDS = {"vcf": "from the VCF", "outside_call": "outside call", "none": "not called"}


def call_views(x: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per gene of a drug: the diplotype(s), phenotype or labelled activity score, and where the call came from."""
    calls = as_mapping(x.get("calls"))
    out = []
    for gene, c in calls.items():
        if not isinstance(c, Mapping):
            continue
        dips = " or ".join(str(d) for d in as_list(c.get("diplotypes")))
        facts = [text(c.get("phenotype"))] if c.get("phenotype") else []
        if c.get("activity_score"):
            facts.append(f"activity score {text(c.get('activity_score'))}")
        source = str(c.get("source") or "none")
        out.append({"gene": str(gene), "diplotypes": dips, "facts": ", ".join(facts),
                    "source": source, "source_label": CALL_SOURCE_WORDS.get(source, source),
                    "outside": source == "outside_call", "called": source != "none"})
    return out


def drug_view(x: Mapping[str, Any]) -> dict[str, Any]:
    action = str(x.get("action"))
    light = light_of(x)
    guideline = as_mapping(x.get("guideline"))
    lookup = as_mapping(x.get("lookup"))
    app = as_mapping(x.get("applicability"))
    return {
        "calls": call_views(x),
        "conditional": app.get("status") == "conditional",
        "condition_label": text(app.get("label")),
        "settled_by": [str(g) for g in as_list(x.get("settled_by"))],
        "hedged": bool(x.get("hedged")),
        "cpic_implications": text(x.get("cpic_implications")),
        "drug": text(x.get("drug")),
        "genes": ", ".join(str(g) for g in as_list(x.get("genes"))),
        "classification": text(x.get("classification")),
        "action": action,
        "action_label": ACTION_LABELS.get(action, action),
        "rank": action_rank(action),
        "light": light,
        "light_label": LIGHT_LABELS[light],
        "actionable": is_actionable(x),
        "current": bool(x.get("current_medication")),
        "recommendation": text(x.get("recommendation")),
        "dose_change_percent": x.get("dose_change_percent"),
        "lookup": [f"{k}: {text(v)}" for k, v in lookup.items()],
        "population": text(x.get("population")),
        "population_label": text(x.get("population_label")) or text(app.get("label")),
        "cpic_level": text(x.get("cpic_level")),
        "fda_label": text(x.get("fda_label")),
        "source": text(x.get("source")) or "CPIC",
        "guideline_name": text(guideline.get("name")),
        "guideline_url": text(guideline.get("url")),
        "guideline_href": safe_href(guideline.get("url")),
        "pmids": [str(p) for p in as_list(guideline.get("pmids"))],
        "reason": text(x.get("reason")),
        "cpic_text": text(x.get("cpic_text")),
        "sources": sources_view(x),  # CPIC and DPWG side by side (report/guidelines.py)
        "other_populations": [
            {k: text(o.get(k)) for k in ("population", "population_label", "classification", "action",
                                         "recommendation")}
            | {"action_label": ACTION_LABELS.get(str(o.get("action")), text(o.get("action")))}
            for o in as_list(x.get("other_populations")) if isinstance(o, Mapping)
        ],
    }


CONDITIONAL_GROUP = "Only if the patient has the condition"


def _group_key(x: Mapping[str, Any]) -> str:
    # advice to avoid or change a drug for a condition the patient is not known to have is not in the
    # avoid list: it has its own group after the dose changes
    if x.get("conditional") and x["action"] in ("avoid", "use_alternative"):
        return "conditional"
    return x["action"] if x["action"] in ACTIONS else "other"


def drug_groups(drugs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drugs grouped by action, most urgent first; within a group current meds first.

    Groups without a change from standard use are shown compactly: "guidance not
    available" by reason (one line per reason), standard use as short rows.
    """
    order = [*ACTIONS[:ACTIONS.index("use_with_caution") + 1], "conditional",
             *ACTIONS[ACTIONS.index("use_with_caution") + 1:], "other"]
    buckets: dict[str, list[dict[str, Any]]] = {}
    for x in drugs:  # each drug's group once (in the drugs' order), not once per group
        buckets.setdefault(_group_key(x), []).append(x)
    groups = []
    for key in order:
        members = buckets.get(key)
        if not members:
            continue
        members.sort(key=lambda x: (not x["current"], x["drug"].lower()))
        label = CONDITIONAL_GROUP if key == "conditional" else ACTION_LABELS.get(key, "Other")
        by_reason: dict[str, list[dict[str, Any]]] = {}
        for x in members:
            by_reason.setdefault(x["reason"] or x["recommendation"] or "no reason recorded", []).append(x)
        compact = key in COMPACT_ACTIONS
        groups.append({"action": key, "label": label, "drugs": members, "light": members[0]["light"],
                       "compact": compact,
                       "rows": [] if compact else [drug_row_html(x, dense=key == "standard_dosing") for x in members],
                       "by_reason": [{"reason": r, "drugs": xs} for r, xs in by_reason.items()]})
    return groups


COMPACT_ACTIONS = NO_GUIDANCE


def stars_text(stars: Any) -> str:
    if not isinstance(stars, int) or isinstance(stars, bool) or not 0 <= stars <= 4:
        return ""
    return "★" * stars + "☆" * (4 - stars)


def finding_view(f: Mapping[str, Any]) -> dict[str, Any]:
    evidence = []
    for e in as_list(f.get("evidence")):
        if not isinstance(e, Mapping):
            evidence.append({"source": text(e), "id": "", "detail": "", "url": "", "href": None})
            continue
        evidence.append({
            "source": text(e.get("source")), "id": text(e.get("id")),
            "detail": text(e.get("detail")), "url": text(e.get("url")),
            "href": safe_href(e.get("url")),
        })
    stars = f.get("stars")
    category = str(f.get("category"))
    return {
        "category": category,
        "category_label": CATEGORY_LABELS.get(category, category),
        "gene": text(f.get("gene")),
        "variant": text(f.get("variant")),
        "classification": text(f.get("classification")),
        "zygosity": text(f.get("zygosity")),
        "condition": text(f.get("condition")),
        "interpretation": text(f.get("interpretation")),
        "inheritance": text(f.get("inheritance")),
        "stars": stars if isinstance(stars, int) and not isinstance(stars, bool) else None,
        "stars_text": stars_text(stars),
        "review_status": text(f.get("review_status")),
        "tier": text(f.get("tier")),
        **therapy_groups(f),
        "copy_number": f.get("copy_number"),
        "incidental": bool(f.get("incidental")),
        "high_risk": bool(f.get("high_risk")),
        "phase_known": f.get("phase_known"),
        "evidence": evidence,
    }


def therapy_view(t: Mapping[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {k: text(t.get(k)) for k in ("therapy", "evidence_level", "tumor_type", "citation")}
    significance = text(t.get("significance")).replace(" (evidence does not support)", "")
    against = t.get("direction") == "does_not_support" or "does not support" in text(t.get("significance"))
    view["effect"] = (f"Does not support {significance.lower()}" if against else significance) or "—"
    view["against"] = against or significance.lower().startswith("resistance")
    return view


def therapy_groups(f: Mapping[str, Any]) -> dict[str, Any]:
    """Therapy evidence in the patient's tumour type, and the rest grouped by tumour type.

    ``in_tumour_type`` comes from the risk screen; reports written before it existed
    count every therapy as the patient's tumour type (they were listed that way).
    """
    here: list[dict[str, Any]] = []
    other: dict[str, list[dict[str, Any]]] = {}
    for t in as_list(f.get("therapies")):
        if not isinstance(t, Mapping):
            continue
        if t.get("in_tumour_type", True):
            here.append(therapy_view(t))
        else:
            other.setdefault(text(t.get("tumor_type")) or "tumour type not stated", []).append(therapy_view(t))
    return {
        "therapies": here,
        "therapies_other": [{"tumor_type": k, "therapies": v} for k, v in sorted(other.items())],
        "therapies_other_count": sum(len(v) for v in other.values()),
    }


def high_risk_groups(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """High-risk findings, one card per gene and category (two PAH variants: one card)."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for f in findings:
        if not f["high_risk"]:
            continue
        g = groups.setdefault((f["category"], f["gene"]), {**f, "variants": [], "interpretations": []})
        g["variants"].append({"variant": f["variant"], "zygosity": f["zygosity"]})
        if f["interpretation"] and f["interpretation"] not in g["interpretations"]:
            g["interpretations"].append(f["interpretation"])
    return list(groups.values())


def section_view(d: Mapping[str, Any], category: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Findings of one category and whether the analysis ran at all.

    ``analyses[category]`` decides when present; otherwise germline is analysed
    whenever a report exists, somatic when a tumour type is given or somatic findings
    exist, copy number when HER2 has a status or copy-number findings exist.
    """
    mine = [f for f in findings if f["category"] == category]
    analyses = as_mapping(d.get("analyses"))
    patient = d.get("patient") or {}
    flag = analyses.get(category)
    if isinstance(flag, bool):
        analysed = flag or bool(mine)
    elif category == "germline":
        analysed = True
    elif category == "somatic":
        analysed = bool(patient.get("tumor_type")) or bool(mine)
    else:
        analysed = d.get("her2_status") is not None or bool(mine)
    return {"analysed": analysed, "findings": mine}


HER2_LABELS = {
    "amplified": "ERBB2 (HER2) amplified",
    "not amplified": "ERBB2 (HER2) not amplified",
    "not assessed": "ERBB2 (HER2) not assessed: the copy-number input did not allow a call over ERBB2",
}


def her2_view(d: Mapping[str, Any]) -> dict[str, Any]:
    status = d.get("her2_status")
    if status is None:
        return {"status": None, "label": "Not analysed (no copy-number input for this sample)",
                "light": "grey"}
    status = str(status)
    light = {"amplified": "red", "not amplified": "green"}.get(status, "grey")
    return {"status": status, "label": HER2_LABELS.get(status, status), "light": light}


def limitations_view(d: Mapping[str, Any], genes: list[dict[str, Any]],
                     drugs: list[dict[str, Any]]) -> dict[str, Any]:
    not_called = [{"gene": g["gene"], "reason": g["reason"] or "no reason recorded"}
                  for g in genes if g["status"] == "not_called"]
    ambiguous = [{"gene": g["gene"], "diplotypes": g["diplotypes"], "reason": g["reason"]}
                 for g in genes if g["status"] == "ambiguous"]
    outside = [g["gene"] for g in genes if g["status"] == "outside_call"]
    needs_outside = [g["gene"] for g in genes
                     if g["status"] == "not_called" and (g["needs_outside_call"]
                                                         or "outside call" in g["reason"].lower())]
    unavailable = [{"drug": x["drug"], "reason": x["reason"] or "no reason recorded"}
                   for x in drugs if x["action"] in PATIENT_ACTIONS]
    gene_warnings = [f"{g['gene']}: {w}" for g in genes for w in g["warnings"]]
    # limitations that only repeat a gene listed above ("CYP2D6 not called: ...") are not shown twice
    listed = tuple(f"{g['gene']} not called" for g in not_called) + tuple(
        f"{g['gene']} ambiguous" for g in ambiguous)
    other = [str(s) for s in as_list(d.get("limitations")) if not str(s).startswith(listed)]
    return {
        "other": other,
        "assumptions": unique([*(str(s) for s in as_list(d.get("assumptions"))), *gene_warnings]),
        "not_called": not_called,
        "ambiguous": ambiguous,
        "outside": outside,
        "needs_outside": needs_outside,
        "unavailable": unavailable,
    }


def changes_view(previous: Mapping[str, Any], d: Mapping[str, Any]) -> dict[str, Any]:
    changes = diff_reports(previous, d)
    prev_time = text((previous.get("provenance") or {}).get("generated_at"))
    return {
        "previous_generated_at": prev_time,
        "entries": [
            {"section": c["section"], "key": c["key"], "change": c["change"],
             "detail": describe_change(c)}
            for c in changes
        ],
    }


def provenance_view(prov: Mapping[str, Any]) -> dict[str, Any]:
    inputs = as_mapping(prov.get("inputs"))
    return {
        "version": text(prov.get("pgxannot_version")),
        "knowledge_base": [(str(k), flatten(v) if isinstance(v, Mapping) else [("version", text(v))])
                           for k, v in (prov.get("knowledge_base") or {}).items()]
        if isinstance(prov.get("knowledge_base"), Mapping) else [],
        "inputs": input_rows(inputs),
        "config": flatten(prov.get("config") or {}),
        "generated_at": text(prov.get("generated_at")),
        "other": flatten({k: v for k, v in prov.items() if k not in (
            "pgxannot_version", "knowledge_base", "inputs", "config", "command", "generated_at")}),
    }


def input_rows(inputs: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(role, file as given, sha256) rows of the patient's inputs.

    Current reports list ``files`` as ``[{"role", "path", "sha256"}]``; older ones mapped
    path -> sha256, or nested other shapes, which are shown flattened.
    """
    rows: list[tuple[str, str, str]] = []
    for k, v in inputs.items():
        if isinstance(v, list) and all(isinstance(x, Mapping) for x in v):
            rows += [(text(x.get("role")) or str(k), text(x.get("path")), text(x.get("sha256"))) for x in v]
        elif isinstance(v, Mapping) and all(isinstance(x, str) for x in v.values()):
            rows += [(str(k), str(path), str(sha)) for path, sha in v.items()]
        else:
            rows += [(key, val, "") for key, val in flatten(v, str(k))]
    return rows
