"""The view of several guideline bodies' advice for one drug (CPIC and DPWG side by side).

Kept apart from the rest of the HTML view model so the side-by-side rendering is one
function and one template macro (``templates/_guidelines.html.j2``): it renders the
``recommendations[]`` the guidance layer assembled and never recomputes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pgxannot.report.common import as_list, as_mapping, light_of, safe_href, text
from pgxannot.vocabulary import ACTION_LABELS

SOURCE_NAMES = {"CPIC": "CPIC", "DPWG": "DPWG (Dutch Pharmacogenetics Working Group)"}


def source_item(r: Mapping[str, Any]) -> dict[str, Any]:
    """One body's advice as the macro shows it."""
    action = str(r.get("action"))
    guideline, lookup = as_mapping(r.get("guideline")), as_mapping(r.get("lookup"))
    return {
        "source": text(r.get("source")) or "CPIC",
        "source_name": SOURCE_NAMES.get(text(r.get("source")), text(r.get("source"))),
        "light": light_of(r), "action_label": ACTION_LABELS.get(action, action),
        "recommendation": text(r.get("recommendation")) or text(r.get("reason")),
        "conditional": _applicability(r).get("status") == "conditional",
        "population": text(_applicability(r).get("label")) or text(r.get("population")),
        "genes": ", ".join(str(g) for g in as_list(r.get("genes"))),
        "lookup": [f"{k}: {text(v)}" for k, v in lookup.items() if text(v)],
        "classification": text(r.get("classification")),
        "guideline_name": text(guideline.get("name")) or text(guideline.get("url")),
        "guideline_href": safe_href(guideline.get("url")),
        "citation": text(guideline.get("citation")),
        "snapshot": text(r.get("snapshot")),
        "own_text": text(r.get("text")),
        "others": [{"condition": text(o.get("condition")), "action_label": ACTION_LABELS.get(
            str(o.get("action")), text(o.get("action"))), "recommendation": text(o.get("recommendation"))}
            for o in as_list(r.get("other_branches")) if isinstance(o, Mapping)],
    }


def _applicability(r: Mapping[str, Any]) -> Mapping[str, Any]:
    app = r.get("applicability")
    return app if isinstance(app, Mapping) else {"status": app}


def sources_view(x: Mapping[str, Any]) -> dict[str, Any]:
    """Whether and how to show the bodies side by side (more than one with advice, or a
    DPWG-only drug). A later body with no advice for this result that does not disagree is
    one line (``quiet``), not a box, so agreeing drugs stay one row."""
    recs = [r for r in as_list(x.get("recommendations")) if isinstance(r, Mapping)]
    items = [source_item(r) for r in recs]
    quiet_at = {i for i, e in enumerate(items) if i > 0 and not x.get("difference") and e["light"] == "grey"}
    boxes = [e for i, e in enumerate(items) if i not in quiet_at]
    quiet: list[dict[str, Any]] = []
    for i in sorted(quiet_at):
        if all((q["source"], q["recommendation"]) != (items[i]["source"], items[i]["recommendation"])
               for q in quiet):
            quiet.append(items[i])
    show = len(boxes) > 1 or any(e["source"] != "CPIC" for e in boxes)
    return {"show": show, "difference": text(x.get("difference")), "entries": boxes, "quiet": quiet}


def dpwg_statement(provenance: Mapping[str, Any]) -> str | None:
    """The DPWG release every report that uses it names (None when the report has no DPWG)."""
    kb = provenance.get("knowledge_base")
    dpwg = kb.get("dpwg") if isinstance(kb, Mapping) else None
    if not isinstance(dpwg, Mapping):
        return None
    return (f"DPWG (Dutch Pharmacogenetics Working Group) guidance: {text(dpwg.get('source'))}, "
            f"{text(dpwg.get('version'))}, snapshot {text(dpwg.get('date'))} ({text(dpwg.get('origin'))}); "
            "PharmGKB data, CC BY-SA 4.0. DPWG has revised some guidelines since: 'pgxannot kb update dpwg' "
            "fetches the current ones.")


_PER_SOURCE = ("genes", "action", "traffic_light", "recommendation", "classification", "lookup", "reason",
               "guideline", "source")


def source_entries(x: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The drug once per guideline body's advice (for per-source outputs such as FHIR implications)."""
    recs = [r for r in as_list(x.get("recommendations")) if isinstance(r, Mapping)]
    if not recs:
        return [dict(x)]
    out = []
    for r in recs:
        e = {**x, **{k: r.get(k) for k in _PER_SOURCE}}
        if r.get("source") != "CPIC":
            e["dose_change_percent"] = None
        if r.get("snapshot"):
            e["reason"] = "; ".join(t for t in (text(r.get("reason")), f"DPWG snapshot {r['snapshot']}") if t)
        out.append(e)
    return out
