"""Notices of the report record: knowledge-base sources older than two years.

A source's release date comes from its version as provenance records it (CIViC
``2021-08-01``, ClinVar ``2026-07 (...)``, PharmCAT definitions ``2025-11-05``); a version
without a date (CPIC ``v1.54.0``) gets no notice. Only sources the report used are
checked (CIViC only for a tumour or copy-number analysis). Pure: the caller passes the
report's generation time, so a pinned ``SOURCE_DATE_EPOCH`` gives the same notices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

MAX_AGE_DAYS = 730  # two years
UPDATE_COMMAND = {"civic": "pgxannot kb update civic", "clinvar": "pgxannot kb update clinvar",
                  "cpic": "pgxannot kb update cpic"}
SOURCE_NAMES = {"civic": "CIViC", "clinvar": "ClinVar", "cpic": "CPIC",
                "pgx_definitions": "PharmCAT allele definitions"}
_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def release_date(version: Any) -> date | None:
    """The date a version string starts with (``2026-07`` is taken as 2026-07-01)."""
    m = _DATE.match(str(version or "").strip())
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError:
        return None


def knowledge_base_notices(kb_versions: Mapping[str, Any], *, generated_at: str,
                           used: Iterable[str]) -> list[dict[str, Any]]:
    """One notice per used source whose release is more than two years before the report."""
    when = release_date(generated_at)
    if when is None:
        return []
    out = []
    for source in used:
        info = kb_versions.get(source)
        version = info.get("version") if isinstance(info, Mapping) else info
        released = release_date(version)
        if released is None or (when - released).days <= MAX_AGE_DAYS:
            continue
        years = (when - released).days / 365.25
        name = SOURCE_NAMES.get(source, source)
        command = UPDATE_COMMAND.get(source)
        out.append({
            "kind": "knowledge_base_age", "source": source, "version": str(version),
            "age_years": round(years, 1),
            "text": (f"The {name} knowledge base in use is from {released.isoformat()}, "
                     f"{years:.1f} years before this report: evidence published since is missing."
                     + (f" Run {command} to use a current release." if command else "")),
        })
    return out


def sources_used(analyses: Mapping[str, Any]) -> list[str]:
    """Knowledge sources a report drew on, from its ``analyses`` flags."""
    used = ["pgx_definitions", "cpic"]
    if analyses.get("germline"):
        used.append("clinvar")
    if analyses.get("somatic") or analyses.get("copy_number"):
        used.append("civic")
    return used
