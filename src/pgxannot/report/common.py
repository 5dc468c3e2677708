"""Shared vocabulary of the renderers: action order, labels, traffic lights.

Renderers read the report dict and never recompute a call; these helpers only
order and word what the dict already says, tolerating absent optional fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pgxannot.kb.build.cpic import ACTIONS as CPIC_ACTIONS

# Most to least urgent; the HTML groups drug guidance in this order: the action categories
# derived from CPIC rows, then "not_available" (no guidance possible for this patient).
ACTIONS: tuple[str, ...] = (*CPIC_ACTIONS, "not_available")
ACTION_LABELS: dict[str, str] = {
    "avoid": "Avoid",
    "use_alternative": "Use an alternative",
    "reduce_dose": "Reduce the dose",
    "increase_dose": "Increase the dose",
    "use_with_caution": "Use with caution",
    "standard_dosing": "Standard dosing",
    "no_recommendation": "No recommendation",
    "not_available": "Guidance not available",
}
# Traffic light implied by an action when the dict carries none (display only).
ACTION_LIGHT: dict[str, str] = {
    "avoid": "red",
    "use_alternative": "red",
    "reduce_dose": "amber",
    "increase_dose": "amber",
    "use_with_caution": "amber",
    "standard_dosing": "green",
    "no_recommendation": "grey",
    "not_available": "grey",
}
LIGHT_LABELS: dict[str, str] = {
    "red": "Act: avoid or change",
    "amber": "Adjust or monitor",
    "green": "Standard use",
    "grey": "No guidance",
}
STATUS_LABELS: dict[str, str] = {
    "called": "Called",
    "ambiguous": "Ambiguous",
    "not_called": "Not called",
    "outside_call": "Outside call",
}
SOURCE_LABELS: dict[str, str] = {
    "vcf": "VCF",
    "outside_call": "Outside call",
    "none": "—",
}
CATEGORY_LABELS: dict[str, str] = {
    "germline": "Germline",
    "somatic": "Somatic",
    "copy_number": "Copy number",
}


def light_of(drug: Mapping[str, Any]) -> str:
    """The drug's traffic light as the dict states it (else implied by its action)."""
    light = drug.get("traffic_light")
    if light in LIGHT_LABELS:
        return str(light)
    return ACTION_LIGHT.get(str(drug.get("action")), "grey")


def action_rank(action: Any) -> int:
    try:
        return ACTIONS.index(str(action))
    except ValueError:
        return len(ACTIONS)


def is_actionable(drug: Mapping[str, Any]) -> bool:
    """Red or amber: the genotype changes what to do with this drug."""
    return light_of(drug) in ("red", "amber")


def yes(value: Any) -> bool:
    """Sample-sheet style booleans: True/'yes'/'true'/'1'."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "1", "y")
    return bool(value)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def text(value: Any) -> str:
    """One display string for a scalar, list or mapping (None -> '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(text(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def safe_href(url: Any) -> str | None:
    """``url`` when it is an https link a clinician may click, else None.

    Only ``https://`` is linked (no javascript:, data:, http: or relative paths);
    anything else is shown as plain text by the caller.
    """
    if not isinstance(url, str):
        return None
    u = url.strip()
    if not u.lower().startswith("https://") or any(c in u for c in "\"'<>` \t\r\n\\"):
        return None
    return u


def finding_key(f: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(f.get("category")), str(f.get("gene")), str(f.get("variant")))


def unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for it in items:
        seen.setdefault(it, None)
    return list(seen)


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested provenance as (dotted key, display value) rows, in dict order."""
    if isinstance(value, Mapping):
        rows: list[tuple[str, str]] = []
        for k, v in value.items():
            rows.extend(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return rows
    if isinstance(value, list | tuple) and any(isinstance(v, Mapping | list | tuple) for v in value):
        rows = []
        for i, v in enumerate(value):
            rows.extend(flatten(v, f"{prefix}[{i}]"))
        return rows
    return [(prefix, text(value))]
