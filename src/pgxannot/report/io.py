"""Writing report files safely: all or nothing, never a half-written report (the atomic
write itself is :func:`pgxannot.files.write_atomic`); checksums of what was written."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from pgxannot.errors import OutputError
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


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


class StagedFiles:
    """Many files that appear under their final names together, or not at all, without
    holding their texts: :meth:`add` writes a text to a temporary file in the target folder
    at once (``.NAME.PID.tmp``), :meth:`commit` renames every one (one folder ``fsync``
    each); leaving the ``with`` block by an exception removes them. A chunk of 500 full
    reports (~1 MB each) then needs the memory of one report, not of 500.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[str, Path]] = []  # (temporary name, final path)
        self.sha256: dict[Path, str] = {}  # final path -> sha256 of its text
        umask = os.umask(0o022)
        os.umask(umask)
        self._mode = 0o666 & ~umask  # what a plain open() would give, as pgxannot.files does
        self._folders: set[Path] = set()  # folders made (or found) already

    def add(self, path: str | os.PathLike[str], text: str | bytes) -> None:
        """Stage ``text`` (or its UTF-8 bytes) as the file ``path``."""
        target = Path(path)
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        folder = target.parent
        try:
            if folder not in self._folders:
                folder.mkdir(parents=True, exist_ok=True)
                self._folders.add(folder)
            # a name of this process (tempfile.mkstemp costs 4x the file's creation: its random
            # names); created exclusively, with a plain open()'s mode; taken (a stale file of an
            # earlier process of this id): a random name
            tmp = str(folder / f".{target.name}.{os.getpid()}.tmp")
            try:
                fd = os.open(tmp, _CREATE, 0o666)
            except FileExistsError:
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
                os.chmod(tmp, self._mode)
            self._staged.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise OutputError(f"cannot write the file: {exc.strerror or exc}", path=target,
                              hint="check that the folder is writable and the disk is not full") from None
        self.sha256[target] = hashlib.sha256(data).hexdigest()

    def commit(self) -> list[Path]:
        """Rename every staged file to its final name; the final paths, in the order added."""
        try:
            for tmp, target in self._staged:
                os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(f"cannot write the file: {exc.strerror or exc}", path=target) from None
        written = [target for _, target in self._staged]
        self._staged = []
        for folder in sorted({p.parent for p in written}):
            fsync_dir(folder)
        return written

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for tmp, _ in self._staged:  # not committed: nothing appears under a final name
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._staged = []


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


def write_checksums(files: Sequence[Path], *, base: Path, output: Path, parts: Sequence[Path] = ()) -> None:
    """``sha256  path`` lines (sha256sum format), sorted by path, for ``files`` (relative to
    ``base``) and the lines already computed in ``parts`` (files in that format)."""
    cache: dict[str, str] = {}
    lines = {}
    for part in parts:
        try:
            text = Path(part).read_text(encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"checksum part cannot be read ({exc.strerror or exc})", path=part,
                              hint="rerun the annotation job of this chunk") from None
        for line in text.splitlines():
            digest, rel = line.split("  ", 1)
            lines[rel] = digest
    for f in sorted({Path(p) for p in files}, key=str):
        lines[os.path.relpath(f, base)] = file_sha256(f, cache)
    write_atomic(output, "".join(f"{lines[rel]}  {rel}\n" for rel in sorted(lines)))
