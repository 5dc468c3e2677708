"""``pgxannot kb update|use|status``: downloaded knowledge bases, versioned and pinned.

``update(source)`` downloads a release (official URL by default, ``--url`` for a
mirror), verifies it (checksum where the source publishes one, gzip integrity,
expected header/columns, minimum record counts), builds the same compact tables as
the bundled knowledge base with the same build functions into
``$PGXANNOT_HOME/kb/<source>/versions/<version>/`` (+ ``meta.json``) and only then
activates it by replacing ``kb/<source>/active`` atomically. Anything that fails
leaves the active version exactly as it was.

Concurrency: a version folder is renamed into place complete and never modified
afterwards; ``active`` is swapped with ``os.replace``; a lock file
(``fcntl.flock``) serialises concurrent updates of one source. A run reading the
knowledge base meanwhile sees either the old or the new version, never a mix.
"""


from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pgxannot import __version__
from pgxannot.errors import DownloadError, KnowledgeBaseError
from pgxannot.files import tree_digest, write_atomic
from pgxannot.kb import registry
from pgxannot.kb.download import FetchPolicy
from pgxannot.kb.prepare import Prepared
from pgxannot.kb.status import bundled_info
from pgxannot.kb.store import (
    META,
    active_version,
    installed_versions,
    kb_home,
    read_meta,
    safe_name,
    source_root,
)

LOCK = ".update.lock"


def activate(source: str, version: str, home: Path) -> None:
    """Point ``active`` at ``version`` (or ``bundled``) atomically."""
    write_atomic(source_root(source, home) / "active", version + "\n")


def use(source: str, version: str, *, home: Path | None = None) -> str:
    """``pgxannot kb use SOURCE VERSION``: activate an installed version or ``bundled``."""
    registry.get(source, updatable_only=True)
    home = home or kb_home()
    if version != "bundled" and version not in installed_versions(source, home):
        have = installed_versions(source, home)
        raise KnowledgeBaseError(
            f"{source} version '{version}' is not installed",
            hint=("installed: " + ", ".join(have) + " or bundled") if have
            else f"run 'pgxannot kb update {source}' first, or use 'bundled'")
    with _lock(source, home, timeout=30.0):
        activate(source, version, home)
    pin = f"knowledge_base: {{{source}: {version}}}"
    return (f"{source}: active version is now {version}. Runs with knowledge_base.{source}: active "
            f"use it; pin it for reproducible reruns with config {pin}")


@contextmanager
def _lock(source: str, home: Path, *, timeout: float) -> Iterator[None]:
    root = source_root(source, home)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a+") as fh:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise KnowledgeBaseError(
                        f"another 'pgxannot kb update {source}' is running (lock {root / LOCK})",
                        hint="wait for it to finish and retry") from None
                if not told:
                    print(f"pgxannot: waiting for another update of {source} to finish",
                          file=sys.stderr)
                    told = True
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _current_label(source: str, home: Path) -> str:
    name = active_version(source, home)
    if name:
        return name
    v = bundled_info(source).get("version")
    return f"the bundled version ({v})" if v else "the bundled version"


def update(source: str, *, url: str | None = None, allow_http: bool = False,
           home: Path | None = None, policy: FetchPolicy | None = None,
           minimums: Mapping[str, int] | None = None, lock_timeout: float = 3600.0,
           activate_new: bool = True) -> str:
    """``pgxannot kb update SOURCE [--url URL]``: download, verify, build, activate.

    Returns a one-paragraph summary. Raises :class:`DownloadError` (one line, naming
    the version still in use) when anything fails; the active version is untouched.
    ``policy`` sets timeouts/retries (tests use short ones); ``minimums`` overrides the
    record-count floors.
    """
    src = registry.get(source, updatable_only=True)
    assert src.official_url is not None  # every updatable source names its official release
    home = home or kb_home()
    official = url is None
    url = url or src.official_url
    policy = dataclasses.replace(policy or FetchPolicy(), allow_http=allow_http)
    floors = dict(src.minimums if official else src.mirror_minimums)
    floors.update(minimums or {})
    root = source_root(source, home)
    with _lock(source, home, timeout=lock_timeout):
        keeps = _current_label(source, home)
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        for stale in (root / "tmp").iterdir():  # left by an update that was killed
            shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix="update-", dir=root / "tmp"))
        try:
            started = time.monotonic()
            prepared = src.prepare(url, work, root / "downloads", policy, floors)
            build_seconds = round(time.monotonic() - started, 3)
            name = _install(source, prepared, url=url, home=home, work=work,
                            build_seconds=build_seconds)
        except DownloadError as exc:
            raise DownloadError(f"{source} update failed: {exc.message}; pgxannot keeps using {keeps}",
                                hint=exc.hint) from None
        except KnowledgeBaseError as exc:
            raise DownloadError(f"{source} update failed: the download did not verify "
                                f"({exc.one_line()}); pgxannot keeps using {keeps}") from None
        except OSError as exc:
            raise DownloadError(f"{source} update failed: {exc}; pgxannot keeps using {keeps}",
                                hint=f"check free space and permissions in {root}") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if activate_new:
            activate(source, name, home)
    meta = read_meta(source, name, home)
    counts = ", ".join(f"{k} {v}" for k, v in (meta.get("counts") or {}).items())
    extra = ""
    if source == "clinvar" and meta.get("build") and meta["build"] != "GRCh38":
        extra = (f" Note: this ClinVar release is {meta['build']}; it only serves runs with "
                 f"reference_build: {meta['build']}.")
    state = "activated" if activate_new else "installed (not activated)"
    return (f"{source} {name} {state} (was {keeps}); {counts}; sha256 {meta.get('sha256', '')[:16]}; "
            f"in {source_root(source, home) / 'versions' / name}.{extra}")


def _install(source: str, prepared: Prepared, *, url: str, home: Path, work: Path,
             build_seconds: float) -> str:
    """Move the built tables to ``versions/<name>`` (never overwriting); return the name."""
    versions = source_root(source, home) / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    base = safe_name(prepared.version)
    name = base
    n = 1
    while (versions / name).exists():
        old = read_meta(source, name, home)
        if old.get("sha256") == prepared.sha256:
            return name  # the same release is already installed: just (re)activate it
        n += 1
        name = f"{base}.{n}"
    tables = prepared.tables
    meta = {
        "source": source,
        "version": prepared.version,
        "installed_as": name,
        "date": prepared.date,
        "url": url,
        "sha256": prepared.sha256,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": build_seconds,
        "tables_sha256": tree_digest(tables),
        "tables_bytes": sum(p.stat().st_size for p in tables.iterdir() if p.is_file()),
        "pgxannot_version": str(__version__),
        **prepared.meta,
    }
    (tables / META).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.rename(tables, versions / name)  # atomic on one file system; meta.json marks it complete
    return name
