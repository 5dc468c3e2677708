"""The JSON and TSV forms of a per-sample report.

JSON is the single source every other output is rendered from; TSV is a flat view
of it (one row per gene call, drug and finding) for spreadsheets and pandas.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from pgxannot.errors import OutputError
from pgxannot.files import compact_json_bytes, pretty_json_bytes
from pgxannot.report.common import as_mapping, content_key, known_alike, light_of, shared, text

# Top-level keys in contract order; unknown keys follow, sorted.
TOP_LEVEL_ORDER: tuple[str, ...] = (
    "sample", "patient", "genes", "drugs", "medications", "findings", "her2_status",
    "analyses", "limitations", "assumptions", "provenance",
)

TSV_COLUMNS: tuple[str, ...] = (
    "sample",
    "section",  # gene | drug | finding
    "gene",  # gene symbol; drugs: ';'-joined genes
    "status",  # gene: call status; drug: action; finding: classification
    "diplotypes",  # ';'-joined candidates, best first
    "phenotype",
    "activity_score",
    "missing_positions",  # count of PGx positions absent from the input
    "source",  # gene: where the call came from (vcf, outside_call); drug: the guideline body (CPIC, DPWG)
    "drug",
    "current_medication",
    "traffic_light",
    "classification",  # CPIC strength (drug) / clinical classification (finding)
    "recommendation",
    "dose_change_percent",
    "category",
    "variant",
    "zygosity",
    "condition",
    "stars",
    "tier",
    "high_risk",
    "note",  # why not called / not available; interpretation
    "applicability",  # drug: applies | conditional (advice for a condition the patient is not known to have)
    "hedged",  # drug: yes when the advice is a "consider"
)


def canonical(d: Mapping[str, Any]) -> dict[str, Any]:
    """The report with top-level keys in contract order (nested order kept)."""
    known = [k for k in TOP_LEVEL_ORDER if k in d]
    rest = sorted(k for k in d if k not in TOP_LEVEL_ORDER)
    return {k: d[k] for k in (*known, *rest)}


def render_json(d: Mapping[str, Any]) -> str:
    """The report as pretty JSON (UTF-8 text, 2-space indent, trailing newline).

    Deterministic for equal input; NaN/Infinity are refused (not valid JSON).
    """
    return render_json_bytes(d).decode("utf-8")


def render_json_bytes(d: Mapping[str, Any], *, compact: bool = False) -> bytes:
    """:func:`render_json` as the file's UTF-8 bytes; ``compact``: no whitespace (config
    ``json_layout: compact``), the same JSON values."""
    write = compact_json_bytes if compact else pretty_json_bytes
    try:
        return write(canonical(d), alike=known_alike(d), newline=True)
    except (TypeError, ValueError) as exc:
        raise OutputError(f"report of {d.get('sample')!r} cannot be written as JSON: {exc}",
                          hint="this is a bug in the stage that assembled the report") from exc


def _cell(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    s = text(value)
    return " ".join(s.split()) if any(c in s for c in "\t\r\n") else s


def tsv_rows(d: Mapping[str, Any]) -> list[dict[str, str]]:
    """The flat rows of one report (dicts over :data:`TSV_COLUMNS`)."""
    sample = _cell(d.get("sample", ""))
    rows: list[dict[str, str]] = []
    for g in d.get("genes") or []:
        rows.append(_cells({
            "section": "gene", "gene": g.get("gene"), "status": g.get("status"),
            "diplotypes": g.get("diplotypes"), "phenotype": g.get("phenotype"),
            "activity_score": g.get("activity_score"),
            "missing_positions": len(g.get("missing_positions") or []),
            "source": g.get("source"), "note": g.get("reason"),
        }, sample))
    for x in d.get("drugs") or []:
        # a drug's rows are the same for every patient with the same entry: made once (report.common.shared)
        rows.extend({**r, "sample": sample} for r in shared(("tsv", content_key(x)), partial(_drug_cells, x)))
    for f in d.get("findings") or []:
        rows.append(_cells({
            "section": "finding", "gene": f.get("gene"), "status": f.get("classification"),
            "classification": f.get("classification"), "category": f.get("category"),
            "variant": f.get("variant"), "zygosity": f.get("zygosity"),
            "condition": f.get("condition"), "stars": f.get("stars"), "tier": f.get("tier"),
            "high_risk": bool(f.get("high_risk")) if "high_risk" in f else None,
            "note": f.get("interpretation"),
        }, sample))
    return rows


def _cells(row: Mapping[str, Any], sample: str) -> dict[str, str]:
    return {c: sample if c == "sample" else _cell(row.get(c)) for c in TSV_COLUMNS}


def _drug_cells(x: Mapping[str, Any]) -> tuple[dict[str, str], ...]:
    return tuple(_cells(r, "") for r in drug_rows(x))


def _calls_cell(rec: Mapping[str, Any]) -> list[str]:
    """Per gene the call the advice rests on and where it came from: ``CYP2C19 *2/*2 (vcf)``."""
    calls = as_mapping(rec.get("calls"))
    return [f"{g} {' or '.join(c.get('diplotypes') or []) or 'not called'}"
            + (f" ({c.get('source')})" if c.get("source") not in (None, "none") else "") for g, c in calls.items()]


def drug_rows(x: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per guideline body's advice for a drug, leading advice first; ``source`` names the body
    (CPIC, DPWG), ``diplotypes`` the call each gene rests on and where it came from; the first row's
    note also states a disagreement between the bodies."""
    recs = [r for r in (x.get("recommendations") or [x]) if isinstance(r, Mapping)]
    out = []
    for i, rec in enumerate(recs):
        app = as_mapping(rec.get("applicability"))
        notes = [rec.get("reason"), x.get("difference") if i == 0 else None,
                 f"DPWG snapshot {rec['snapshot']}" if rec.get("snapshot") else None]
        out.append({
            "section": "drug", "gene": rec.get("genes"), "status": rec.get("action"),
            "diplotypes": _calls_cell(rec) or _calls_cell(x), "source": rec.get("source") or "CPIC",
            "applicability": app.get("status"), "hedged": rec.get("hedged") if "hedged" in rec else None,
            "drug": x.get("drug"), "current_medication": bool(x.get("current_medication")),
            "traffic_light": light_of(rec), "classification": rec.get("classification"),
            "recommendation": rec.get("recommendation"),
            "dose_change_percent": x.get("dose_change_percent") if (rec.get("source") or "CPIC") == "CPIC" else None,
            "condition": app.get("label") or rec.get("population"), "note": "; ".join(str(n) for n in notes if n),
        })
    return out


def format_tsv(rows: Iterable[Mapping[str, str]]) -> str:
    lines = ["\t".join(TSV_COLUMNS)]
    lines.extend("\t".join(r[c] for c in TSV_COLUMNS) for r in rows)
    return "\n".join(lines) + "\n"


def render_tsv(d: Mapping[str, Any]) -> str:
    """One header line, then one row per gene call, drug and finding, in report order.

    Columns are :data:`TSV_COLUMNS` (always all of them; empty where not applicable);
    lists are ``;``-joined, booleans ``yes``/``no``, tabs and newlines in text become
    spaces.
    """
    return format_tsv(tsv_rows(d))
