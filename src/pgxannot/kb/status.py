"""What knowledge base is installed and active: ``pgxannot kb status`` and ``--version``.

Read-only and offline: the bundled tables' version files, and ``meta.json`` of every
downloaded version under ``$PGXANNOT_HOME/kb/<source>/versions/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgxannot.files import read_json_or, tree_digest
from pgxannot.kb import grch37, registry
from pgxannot.kb.registry import Source
from pgxannot.kb.store import active_version, installed_versions, kb_home, read_meta, version_dir


@dataclass(frozen=True)
class VersionInfo:
    """One installed version of one source (bundled or downloaded)."""

    source: str
    name: str  # "bundled" or the folder name under versions/
    version: str | None
    date: str | None
    origin: str  # bundled | downloaded
    location: Path
    checksum: str | None  # "sha256:<hex>" of the download, or of the bundled tables
    build: str | None
    active: bool


def bundled_info(source: str) -> dict[str, Any]:
    """Version facts of the bundled tables of ``source`` ({} when not bundled)."""
    s = registry.get(source)
    try:
        path = s.bundled_folder() / s.meta_file
    except FileNotFoundError:
        return {}
    data = read_json_or(path, {})
    if not isinstance(data, dict) or not data:
        return {}
    return {"version": data.get(s.version_key), "build": data.get("build"), "folder": path.parent,
            "date": data.get("date")}


def versions_of(source: str, home: Path, *, checksums: bool = True) -> list[VersionInfo]:
    """Bundled first, then downloaded versions (oldest first); ``active`` marked."""
    updatable = registry.get(source).updatable
    active = active_version(source, home) if updatable else None
    out: list[VersionInfo] = []
    b = bundled_info(source)
    if b:
        digest = tree_digest(b["folder"]) if checksums else None
        out.append(VersionInfo(source, "bundled", b.get("version"), b.get("date"), "bundled",
                               b["folder"], f"sha256:{digest}" if digest else None, b.get("build"),
                               active is None))
    if updatable:
        for name in installed_versions(source, home):
            meta = read_meta(source, name, home)
            out.append(VersionInfo(
                source, name, meta.get("version"), meta.get("date"), "downloaded",
                version_dir(source, name, home),
                f"sha256:{meta['sha256']}" if meta.get("sha256") else None, meta.get("build"),
                name == active))
    return out


def status_text(*, home: Path | None = None) -> str:
    """``pgxannot kb status``: every source, every installed version, which is active."""
    home = home or kb_home()
    lines = [f"pgxannot knowledge base (downloads in {home / 'kb'})"]
    for source in registry.SOURCES:
        lines.extend(_source_lines(source, home))
    lines.extend(grch37.status_lines())  # per-gene GRCh37 coverage (kb/grch37.py)
    lines.append("* = active (used by runs with knowledge_base.<source>: active); "
                 "pin a version in config for reproducible reruns")
    return "\n".join(lines) + "\n"


def _source_lines(source: Source, home: Path) -> list[str]:
    """The ``kb status`` lines of one source: which version is active, then every version."""
    infos = versions_of(source.name, home)
    active_name = active_version(source.name, home) if source.updatable else None
    if active_name and not any(i.name == active_name for i in infos):
        lines = [f"{source.label}: active version '{active_name}' is NOT installed "
                 f"(runs with 'active' fail; run 'pgxannot kb use {source.name} bundled')"]
    elif not infos:
        return [f"{source.label}: none bundled, none downloaded"]
    else:
        act = next((i for i in infos if i.active), None)
        lines = [f"{source.label}: active {act.name if act else 'none'}"
                 + (f" ({act.version})" if act and act.name == "bundled" and act.version else "")]
    for i in infos:
        mark = "*" if i.active else " "
        parts = [f"version {i.version or 'unknown'}"]
        if i.date and i.date != i.version:
            parts.append(f"date {i.date}")
        if i.build:
            parts.append(i.build)
        parts.append(i.origin)
        if i.checksum:
            parts.append(i.checksum[:7 + 16])
        lines.append(f"  {mark} {i.name:<22} " + ", ".join(parts) + f"  {i.location}")
    return lines


def short_versions(*, home: Path | None = None) -> str:
    """One line for ``pgxannot --version``: the active version of every source."""
    home = home or kb_home()
    parts = []
    for source in registry.SOURCES:
        infos = versions_of(source.name, home, checksums=False)
        act = next((i for i in infos if i.active), None)
        if act is None:
            continue
        label = act.version or act.name
        if act.origin == "downloaded":
            label += " downloaded"
        parts.append(f"{source.short_name} {label}")
    return "knowledge base: " + (", ".join(parts) if parts else "bundled")
