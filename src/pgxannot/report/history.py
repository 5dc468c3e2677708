"""Report history: the last report of each sample under ``results/history/``, so a new
report can say what changed since (the HTML's "changed since" section)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pgxannot.report.io import write_atomic

log = logging.getLogger("pgxannot")

HISTORY_DIR = "history"  # under the results folder: last report per sample, for "changed since"


def history_path(outdir: Path, sample: str) -> Path:
    return outdir.parent / HISTORY_DIR / f"{sample}.json"


def previous_report(outdir: Path, sample: str, new: Mapping[str, Any]) -> dict | None:
    """The last report of ``sample`` when its content differs from ``new`` (else None)."""
    path = history_path(outdir, sample)
    if not path.is_file():
        return None
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("%s: previous report unreadable; no comparison made", path)
        return None
    strip = lambda d: {k: v for k, v in d.items() if k != "provenance"}  # noqa: E731
    return None if strip(old) == strip(dict(new)) else old


def remember_report(outdir: Path, sample: str) -> None:
    """Keep the report just written as the sample's history (unless only provenance changed)."""
    src = outdir / f"{sample}.json"
    dst = history_path(outdir, sample)
    if dst.is_file():
        try:
            old = json.loads(dst.read_text(encoding="utf-8"))
            new = json.loads(src.read_text(encoding="utf-8"))
            old.pop("provenance", None)
            new.pop("provenance", None)
            if old == new:
                return
        except (OSError, ValueError):
            pass
    write_atomic(dst, src.read_text(encoding="utf-8"))
