"""The downloaded knowledge bases on disk (``$PGXANNOT_HOME``, default ``~/.pgxannot``)::

    kb/<source>/versions/<version>/   tables built by `pgxannot kb update <source>` (+ meta.json)
    kb/<source>/active                text file naming the active version

Read-only helpers shared by resolving (which tables a run uses), ``kb status`` and
``kb update/use``. A version folder is complete once its ``meta.json`` exists.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pgxannot.files import read_json_or

META = "meta.json"


def kb_home(configured: str | None = None) -> Path:
    if configured:
        return Path(configured).expanduser()
    env = os.environ.get("PGXANNOT_HOME")
    return Path(env).expanduser() if env else Path.home() / ".pgxannot"


def source_root(source: str, home: Path) -> Path:
    return home / "kb" / source


def version_dir(source: str, version: str, home: Path) -> Path:
    return source_root(source, home) / "versions" / version


def active_version(source: str, home: Path) -> str | None:
    p = source_root(source, home) / "active"
    try:
        name = p.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if name in ("", "bundled"):  # `pgxannot kb use SOURCE bundled`
        return None
    return name


def installed_versions(source: str, home: Path) -> list[str]:
    """Installed (complete) downloaded versions of a source, oldest first by build time."""
    root = source_root(source, home) / "versions"
    if not root.is_dir():
        return []
    found = [d for d in root.iterdir() if (d / META).is_file()]
    return [d.name for d in sorted(found, key=lambda d: ((d / META).stat().st_mtime, d.name))]


def read_meta(source: str, version: str, home: Path) -> dict[str, Any]:
    """``meta.json`` of an installed version ({} when absent or unreadable)."""
    meta = read_json_or(version_dir(source, version, home) / META, {})
    return meta if isinstance(meta, dict) else {}


def safe_name(version: str) -> str:
    """A version label as a folder name (letters, digits, ``._-``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", version).strip("._-")
    return name or "unknown"
