"""Progress of a run: each annotation job writes how many of its patients are done.

A job writes ``results/work/progress/{chunk}.json`` (``{"done": k, "total": n}``) when it
starts, every couple of seconds while it renders reports, and when it ends;
``pgxannot run`` adds these up into one terminal line every ten seconds. The files are
small and replaced atomically, so a reader never sees half of one, on a cluster's shared
file system too.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgxannot.errors import OutputError
from pgxannot.files import read_json_or, write_atomic

PROGRESS_DIR = Path("results") / "work" / "progress"
FAILED_DIR = Path("results") / "work" / "failed"  # failure records (pgxannot.failures)
WRITE_EVERY_S = 2.0


class ProgressFile:
    """Writes one job's progress (no-op without a path)."""

    def __init__(self, path: Path | None, total: int) -> None:
        self.path = path
        self.total = total
        self._last = 0.0
        self.update(0, force=True)

    def update(self, done: int, *, force: bool = False) -> None:
        if self.path is None:
            return
        now = time.monotonic()
        if not force and now - self._last < WRITE_EVERY_S:
            return
        self._last = now
        write_json(self.path, {"done": done, "total": self.total, "time": time.time()})


@dataclass(frozen=True)
class JobProgress:
    done: int
    total: int


def read_progress(folder: Path, *, since: float) -> dict[str, JobProgress]:
    """Progress of every job that wrote after ``since`` (a ``time.time()``), by chunk name."""
    out: dict[str, JobProgress] = {}
    if not folder.is_dir():
        return out
    for p in folder.glob("*.json"):
        d = read_json(p, since=since)
        try:
            if d is not None:
                out[p.stem] = JobProgress(int(d["done"]), int(d["total"]))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def format_duration(seconds: float) -> str:
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def progress_line(done: int, total: int, elapsed: float, rate_done: int | None = None) -> str:
    """``1,234/3,202 patients (38%), 14.2/s, about 2 min 19 s left``.

    ``rate_done`` is the number of patients done in ``elapsed`` seconds (default ``done``).
    """
    pct = 100 * done / total if total else 100.0
    line = f"{done:,}/{total:,} patients ({pct:.0f}%)"
    counted = done if rate_done is None else rate_done
    if elapsed > 0 and counted > 0 and done > 0:
        rate = counted / elapsed
        line += f", {rate:.1f}/s"
        if done < total:
            line += f", about {format_duration((total - done) / rate)} left"
    return line


# ------------------------------------------------------------------ the run's plan

PLAN_FILE = Path("results") / "work" / "plan.json"  # written when the workflow is parsed
RUN_FILE = Path("results") / "work" / "run.json"  # written when the jobs are about to start


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a small JSON file atomically; progress and plans never fail their writer."""
    with contextlib.suppress(OutputError):
        write_atomic(path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", durable=False)


def read_json(path: Path, *, since: float = 0.0) -> dict[str, Any] | None:
    """``path``'s JSON object when it was written after ``since``; None otherwise."""
    try:
        if path.stat().st_mtime < since:
            return None
    except OSError:
        return None
    data = read_json_or(path, None)
    return data if isinstance(data, dict) else None
