"""What changed between two reports of the same sample.

Used by ``pgxannot diff OLD.json NEW.json`` and by the HTML "changed since the last
report" section. Gene calls are keyed by gene, drugs by drug (and genes, when a drug
appears more than once), findings by (category, gene, variant).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pgxannot.errors import OutputError
from pgxannot.files import read_json
from pgxannot.report.common import text

GENE_FIELDS = ("status", "diplotypes", "phenotype", "activity_score", "missing_positions", "source")
DRUG_FIELDS = ("action", "classification", "traffic_light", "recommendation",
               "dose_change_percent", "current_medication", "genes")
# What a "new" entry shows (the rest is in the report itself).
NEW_SUMMARY = {
    "gene": ("status", "diplotypes", "phenotype"),
    "drug": ("action", "classification", "current_medication"),
    "finding": ("classification", "zygosity", "condition"),
    "her2_status": ("her2_status",),
}
FINDING_FIELDS = ("classification", "zygosity", "condition", "stars", "tier", "copy_number",
                  "high_risk", "incidental")


def _keyed(items: Any, key: Callable[[Mapping[str, Any]], str]) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for it in items or []:
        if isinstance(it, Mapping):
            out[key(it)] = it
    return out


def _drug_key_fn(items: Any) -> Callable[[Mapping[str, Any]], str]:
    names = [str(x.get("drug")) for x in items or [] if isinstance(x, Mapping)]
    repeated = {n for n in names if names.count(n) > 1}

    def key(x: Mapping[str, Any]) -> str:
        name = str(x.get("drug"))
        if name in repeated:
            return f"{name} ({'+'.join(str(g) for g in x.get('genes') or [])})"
        return name

    return key


def _compare(section: str, old: dict[str, Mapping[str, Any]], new: dict[str, Mapping[str, Any]],
             fields: tuple[str, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            out.append({"section": section, "key": key, "change": "new", "fields": [],
                        "old": None, "new": {f: b.get(f) for f in fields}})
        elif b is None and a is not None:
            out.append({"section": section, "key": key, "change": "removed", "fields": [],
                        "old": {f: a.get(f) for f in fields}, "new": None})
        elif a is not None and b is not None:
            changed = [f for f in fields if a.get(f) != b.get(f)]
            if changed:
                out.append({"section": section, "key": key, "change": "changed", "fields": changed,
                            "old": {f: a.get(f) for f in changed},
                            "new": {f: b.get(f) for f in changed}})
    return out


def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """New, changed and removed gene calls, drug recommendations, findings and HER2 status.

    Each change: ``{"section": "gene"|"drug"|"finding"|"her2_status", "key", "change":
    "new"|"changed"|"removed", "fields": [changed field names], "old": {...}|None,
    "new": {...}|None, "item": key, "detail": one readable line}``, sorted by section
    then key. Empty when nothing changed.
    """
    changes = _compare(
        "gene",
        _keyed(old.get("genes"), lambda g: str(g.get("gene"))),
        _keyed(new.get("genes"), lambda g: str(g.get("gene"))),
        GENE_FIELDS,
    )
    changes += _compare(
        "drug",
        _keyed(old.get("drugs"), _drug_key_fn(old.get("drugs"))),
        _keyed(new.get("drugs"), _drug_key_fn(new.get("drugs"))),
        DRUG_FIELDS,
    )

    def fkey(f: Mapping[str, Any]) -> str:
        return f"{f.get('category')} {f.get('gene')} {f.get('variant')}"

    changes += _compare("finding", _keyed(old.get("findings"), fkey),
                        _keyed(new.get("findings"), fkey), FINDING_FIELDS)
    a, b = old.get("her2_status"), new.get("her2_status")
    if a != b:
        change = "new" if a is None else "removed" if b is None else "changed"
        changes.append({"section": "her2_status", "key": "ERBB2", "change": change,
                        "fields": ["her2_status"], "old": {"her2_status": a} if a is not None else None,
                        "new": {"her2_status": b} if b is not None else None})
    for c in changes:  # aliases for plain listings: item = key, detail = one readable line
        c["item"] = c["key"]
        c["detail"] = describe_change(c)
    return changes


def _show(value: Any) -> str:
    if isinstance(value, list) and len(value) > 6:
        return f"{len(value)} items"
    s = text(value)
    return s if s else "none"


def describe_change(c: Mapping[str, Any]) -> str:
    """One readable line for a change (used by the HTML and the CLI)."""
    if c["change"] == "new":
        new = c.get("new") or {}
        keys = NEW_SUMMARY.get(str(c.get("section")), tuple(new))
        fields = {k: new.get(k) for k in keys if new.get(k) not in (None, [], "")}
        return "new: " + "; ".join(f"{k} {_show(v)}" for k, v in fields.items())
    if c["change"] == "removed":
        return "no longer reported"
    parts = [f"{f} {_show((c.get('old') or {}).get(f))} → {_show((c.get('new') or {}).get(f))}"
             for f in c.get("fields") or []]
    return "; ".join(parts)


def format_changes(changes: list[dict[str, Any]]) -> str:
    """``pgxannot diff``'s listing: ``section, change, item, detail`` tab-separated, one line
    per change; ``no changes`` when there is none."""
    if not changes:
        return "no changes\n"
    return "".join(f"{c['section']}\t{c['change']}\t{c['item']}\t{c['detail']}\n" for c in changes)


def diff_files(old: Path, new: Path, *, as_json: bool = False) -> str:
    """``pgxannot diff OLD NEW``: the changes between two JSON reports, as TSV lines or JSON."""
    docs = [read_json(p, error=OutputError, what="report") for p in (old, new)]
    for p, d in zip((old, new), docs, strict=True):
        if not isinstance(d, dict):
            raise OutputError("not a JSON report (an object with genes, drugs, findings)", path=p)
    changes = diff_reports(docs[0], docs[1])
    if as_json:
        return json.dumps(changes, indent=2, ensure_ascii=False) + "\n"
    return format_changes(changes)
