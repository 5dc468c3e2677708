"""Writing report files safely: all or nothing, never a half-written report."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pgxannot.errors import OutputError


def write_all_atomic(items: list[tuple[str | os.PathLike[str], str]]) -> list[Path]:
    """Write many files, each atomically (temporary file + rename), syncing each folder once.

    For a batch of reports: a killed process never leaves a truncated file under a
    final name (the rename is atomic); the per-file ``fsync`` of :func:`write_atomic`
    is replaced by one ``fsync`` per folder after the renames, which keeps writing
    thousands of reports cheap.
    """
    written = [write_atomic(p, t, durable=False) for p, t in items]
    for folder in sorted({p.parent for p in written}):
        _fsync_dir(folder)
    return written


def write_atomic(path: str | os.PathLike[str], text: str, *, durable: bool = True) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` newlines) to ``path`` atomically.

    The text goes to a temporary file in the same folder, is flushed and fsynced, then
    renamed over ``path`` with :func:`os.replace`, so readers see either the old file
    or the complete new one. The folder is created when missing.
    """
    target = Path(path)
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror or exc}", path=folder,
                          hint="choose a writable output folder") from exc
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o666 & ~_umask())
        os.replace(tmp_name, target)
        tmp_name = None
        if durable:
            _fsync_dir(folder)
    except OSError as exc:
        raise OutputError(f"cannot write the file: {exc.strerror or exc}", path=target,
                          hint="check that the folder is writable and the disk is not full") from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return target


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
