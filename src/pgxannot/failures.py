"""Patients that could not be annotated, remembered under ``results/work/failed/``.

One patient's bad input (a malformed outside-call or copy-number file) must fail that
patient only. Snakemake cannot keep part of a job's outputs (a failed job's outputs are
deleted), so a failing patient is taken out of the workflow instead: each failure is a
small JSON record ``results/work/failed/{file name}.json`` holding the one-line error and
a fingerprint of everything the patient's report depends on (sheet row, input files'
sizes and times, pgxannot version, build, knowledge-base selection). While the
fingerprint holds, the workflow leaves the patient out of the jobs and lists it as
failed; once any input changes (the user fixed the file), the record no longer applies
and the patient is annotated again. See ``docs/failures.md``.

``stage`` says who found the problem: ``input`` (the checks before any job starts, redone
by every run) or ``job`` (an annotation job).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgxannot import __version__
from pgxannot.config import SampleRow
from pgxannot.files import read_json_or, write_atomic
from pgxannot.kb.resolve import selection_signature
from pgxannot.progress import FAILED_DIR

__all__ = ["FAILED_DIR", "Failure", "clear_failures", "current_failures", "fingerprint", "record_failure",
           "sync_input_failures"]
STAGES = ("input", "job")


@dataclass(frozen=True)
class Failure:
    sample: str
    message: str
    stage: str
    fingerprint: str


def fingerprint(row: SampleRow, cfg: Mapping[str, Any]) -> str:
    """sha256 of what the patient's report depends on (changes when the user fixes an input)."""
    files = []
    for p in [*row.vcfs, *(q for q in (row.outside_calls, row.cnv) if q is not None)]:
        try:
            st = Path(p).stat()
            files.append([str(p), st.st_size, st.st_mtime_ns])
        except OSError:
            files.append([str(p), None, None])
    key = {"row": row.raw, "files": files, "version": __version__, "build": cfg.get("reference_build"),
           "kb": selection_signature(cfg.get("knowledge_base") or {})}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _record_path(folder: Path, row: SampleRow) -> Path:
    return folder / f"{row.file_stem}.json"


def record_failure(folder: Path, row: SampleRow, message: str, *, stage: str, cfg: Mapping[str, Any]) -> None:
    """Remember that ``row``'s patient failed with ``message`` (atomic write)."""
    assert stage in STAGES, stage
    data = {"sample": row.sample, "message": message, "stage": stage, "fingerprint": fingerprint(row, cfg)}
    write_atomic(_record_path(folder, row), json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def clear_failures(folder: Path, rows: Iterable[SampleRow]) -> None:
    """Forget the failures of ``rows`` (their reports were just written)."""
    for r in rows:
        with contextlib.suppress(OSError):
            _record_path(folder, r).unlink()


def _read(path: Path) -> Failure | None:
    d = read_json_or(path, None)
    try:
        return Failure(str(d["sample"]), str(d["message"]), str(d["stage"]), str(d["fingerprint"]))
    except (KeyError, TypeError):
        return None


def current_failures(folder: Path, rows: Sequence[SampleRow], cfg: Mapping[str, Any]) -> dict[str, Failure]:
    """The recorded failures that still apply (same patient, same fingerprint), by sample id."""
    out: dict[str, Failure] = {}
    if not folder.is_dir():
        return out
    for r in rows:
        path = _record_path(folder, r)
        if not path.is_file():
            continue
        f = _read(path)
        if f is not None and f.sample == r.sample and f.fingerprint == fingerprint(r, cfg):
            out[r.sample] = f
    return out


def sync_input_failures(folder: Path, rows: Sequence[SampleRow], errors: Mapping[str, str],
                        cfg: Mapping[str, Any]) -> None:
    """Make the ``input`` records match the checks just done: one per patient in ``errors``,
    none for the others (their inputs pass now)."""
    for r in rows:
        path = _record_path(folder, r)
        if r.sample in errors:
            record_failure(folder, r, errors[r.sample], stage="input", cfg=cfg)
        elif path.is_file():
            old = _read(path)
            if old is None or old.stage == "input":
                with contextlib.suppress(OSError):
                    path.unlink()
