"""Report history: the last report of each sample under ``results/history/``, so a new
report can say what changed since (the HTML's "changed since" section)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pgxannot.files import read_json_or, write_atomic
from pgxannot.sample_ids import file_stem

log = logging.getLogger("pgxannot")

HISTORY_DIR = "history"  # under the results folder: last report per sample, for "changed since"


def history_path(outdir: Path, sample: str) -> Path:
    return outdir.parent / HISTORY_DIR / f"{file_stem(sample)}.json"


def previous_report(outdir: Path, sample: str, new: Mapping[str, Any]) -> dict | None:
    """The last report of ``sample`` when its content differs from ``new`` (else None)."""
    path = history_path(outdir, sample)
    if not path.is_file():
        return None
    old = read_json_or(path, None)
    if not isinstance(old, dict):
        log.warning("%s: previous report unreadable; no comparison made", path)
        return None
    return None if _content(old) == _content(new) else old


def remember_report(outdir: Path, sample: str, text: str) -> None:
    """Keep ``text``, the JSON report just written, as the sample's history (unless only
    provenance changed)."""
    dst = history_path(outdir, sample)
    old = read_json_or(dst, None)
    if isinstance(old, dict) and _content(old) == _content(json.loads(text)):
        return
    write_atomic(dst, text)


def _content(report: Mapping[str, Any]) -> dict[str, Any]:
    """A report without its provenance (which changes with every run)."""
    return {k: v for k, v in report.items() if k != "provenance"}
