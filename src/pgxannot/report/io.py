"""Writing report files safely: all or nothing, never a half-written report (the atomic
write itself is :func:`pgxannot.files.write_atomic`); checksums of what was written."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from pgxannot.files import fsync_dir, write_atomic


def write_all_atomic(items: Sequence[tuple[str | os.PathLike[str], str]]) -> list[Path]:
    """Write many files, each atomically (temporary file + rename), syncing each folder once.

    For a batch of reports: a killed process never leaves a truncated file under a
    final name (the rename is atomic); the per-file ``fsync`` of :func:`~pgxannot.files.write_atomic`
    is replaced by one ``fsync`` per folder after the renames, which keeps writing
    thousands of reports cheap.
    """
    written = [write_atomic(p, t, durable=False) for p, t in items]
    for folder in sorted({p.parent for p in written}):
        fsync_dir(folder)
    return written


def file_sha256(path: Path, cache: dict[str, str]) -> str:
    """sha256 of a file's bytes (hex), remembered in ``cache`` by path."""
    key = str(path)
    if key not in cache:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        cache[key] = h.hexdigest()
    return cache[key]


def write_checksums(files: Sequence[Path], *, base: Path, output: Path) -> None:
    """``sha256  path`` lines (sha256sum format), sorted by path."""
    cache: dict[str, str] = {}
    lines = []
    for f in sorted({Path(p) for p in files}, key=str):
        rel = os.path.relpath(f, base)
        lines.append(f"{file_sha256(f, cache)}  {rel}")
    write_atomic(output, "\n".join(lines) + "\n")
