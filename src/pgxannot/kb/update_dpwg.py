"""``pgxannot kb update dpwg``: PharmGKB's DPWG guideline annotations, fetched and verified.

PharmGKB's data API answers ``GET .../v1/data/guidelineAnnotation?source=dpwg&view=max``
with ``{"data": [guideline annotation, ...], "status": "success"}``; each annotation
names its drugs (``relatedChemicals``) and genes (``relatedGenes``) and carries its
per-genotype ``recommendations`` (``lookupKey``, ``text``, ``dosingInformation``,
``alternateDrugAvailable``, ...). The answer is verified (JSON, the expected fields,
minimum counts), built by :func:`pgxannot.kb.build.dpwg.build` with DPWG's text kept
(shown verbatim, with attribution, beside pgxannot's own wording) and handed to
:mod:`pgxannot.kb.manage`, which installs and activates it atomically. The preparer is
registered in :mod:`pgxannot.kb.registry`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from pgxannot.errors import DownloadError
from pgxannot.kb.build.dpwg import build_dpwg_tables
from pgxannot.kb.download import FetchPolicy, fetch_text
from pgxannot.kb.prepare import Prepared

QUERY = "source=dpwg&view=max"
ANSWER = "guidelineAnnotation.json"


def api_url(url: str) -> str:
    """The guideline-annotation query for a base URL or endpoint given with ``--url``."""
    parts = urlsplit(url)
    if parts.query:
        return url
    base = url if url.rstrip("/").endswith("guidelineAnnotation") else url.rstrip("/") + "/data/guidelineAnnotation"
    return base.rstrip("/") + "?" + QUERY


def verify_answer(text: str) -> dict[str, int]:
    """Check the API answer's shape; return counts (guidelines, recommendations)."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise DownloadError("the PharmGKB answer is not JSON") from None
    data = doc.get("data") if isinstance(doc, Mapping) else None
    if not isinstance(data, list):
        raise DownloadError("the PharmGKB answer has no 'data' list of guideline annotations")
    guidelines = recommendations = 0
    for i, g in enumerate(data):
        if not isinstance(g, Mapping) or not g.get("id") or not g.get("relatedChemicals"):
            raise DownloadError(f"guideline annotation {i + 1} lacks an id or its drugs (relatedChemicals)")
        if str(g.get("source", "")).upper() != "DPWG":
            continue
        guidelines += 1
        for r in g.get("recommendations") or []:
            if not isinstance(r, Mapping) or "lookupKey" not in r or "text" not in r:
                raise DownloadError(f"a recommendation of {g['id']} lacks lookupKey or text")
            recommendations += 1
    if guidelines and not recommendations:
        raise DownloadError("the guideline annotations carry no per-genotype recommendations "
                            "(ask for view=max)")
    return {"guidelines": guidelines, "recommendations": recommendations}


def _require(counts: Mapping[str, int], floors: Mapping[str, int]) -> None:
    for key, floor in floors.items():
        if key in counts and counts[key] < floor:
            raise DownloadError(f"the PharmGKB answer has only {counts[key]} {key.replace('_', ' ')} "
                                f"(at least {floor} expected): truncated or not the DPWG annotations")


def prepare_dpwg(url: str, work: Path, downloads: Path, policy: FetchPolicy,
                 floors: Mapping[str, int]) -> Prepared:
    """Download, verify and build PharmGKB's current DPWG annotations (``kb.prepare.Preparer``)."""
    query = api_url(url)
    src = work / "source"
    src.mkdir(parents=True, exist_ok=True)
    text = fetch_text(query, src / ANSWER, policy=policy)
    if text is None:  # not asked with missing_ok: a 404 raises; kept for the type checker
        raise DownloadError(f"no answer from {query}")
    counts = verify_answer(text)
    _require(counts, floors)
    date = datetime.now(UTC).date().isoformat()
    version = f"api-{date}"
    tables = work / "tables"
    info = build_dpwg_tables(src, tables, include_text=True, version=version,
                             date=f"{date} (download date of PharmGKB's current DPWG annotations)")
    counts["matchable_rows"] = int(info.get("matchable_rows", 0))  # type: ignore[call-overload]
    _require(counts, floors)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Prepared(version=version, date=date, tables=tables, sha256=sha, meta={
        "counts": counts, "includes_dpwg_text": True, "warnings": len(info.get("warnings") or []),  # type: ignore[arg-type]
        "checksum": {"sha256": sha, "verified": False, "note": "PharmGKB publishes no checksums; sha256 recorded"},
        "licence": "CC BY-SA 4.0 (PharmGKB)",
    })
