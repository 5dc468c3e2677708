"""Report history: the last report of each sample under ``results/history/``, so a new
report can say what changed since (the HTML's "changed since" section)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pgxannot.files import read_json_or, write_atomic
from pgxannot.sample_ids import file_stem

log = logging.getLogger("pgxannot")

HISTORY_DIR = "history"  # under the results folder: last report per sample, for "changed since"


def history_path(outdir: Path, sample: str) -> Path:
    return outdir.parent / HISTORY_DIR / f"{file_stem(sample)}.json"


def compare_history(outdir: Path, sample: str, new: Mapping[str, Any]) -> tuple[dict | None, bool]:
    """(the last report of ``sample`` when its content differs from ``new``, else None;
    whether ``new`` should become the history): an absent or unreadable history is replaced,
    one whose content equals ``new`` (provenance aside) is kept."""
    path = history_path(outdir, sample)
    if not path.is_file():
        return None, True
    old = read_json_or(path, None)
    if not isinstance(old, dict):
        log.warning("%s: previous report unreadable; no comparison made", path)
        return None, True
    if _content(old) == _content(new):
        return None, False
    return old, True


def keep_history(outdir: Path, sample: str, text: str) -> Path:
    """Make ``text``, the sample's JSON report (no JSON file is written), its history. The
    folder is made durable by the caller (:func:`~pgxannot.files.fsync_dir`)."""
    return write_atomic(history_path(outdir, sample), text, durable=False)


def link_history(outdir: Path, sample: str, report: Path) -> Path:
    """Make ``report``, the JSON report just written, the sample's history without copying
    it: a hard link to its file. pgxannot replaces a report by renaming a new file over it,
    so the history keeps the old text when the report is rewritten. Where the folder cannot
    hold a hard link (another file system, no link support) the text is copied. The folder
    is made durable by the caller (:func:`~pgxannot.files.fsync_dir`)."""
    dst = history_path(outdir, sample)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.link.tmp")
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.link(report, tmp)
        os.replace(tmp, dst)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        write_atomic(dst, report.read_text("utf-8"), durable=False)
    return dst


def _content(report: Mapping[str, Any]) -> dict[str, Any]:
    """A report without its provenance (which changes with every run)."""
    return {k: v for k, v in report.items() if k != "provenance"}
