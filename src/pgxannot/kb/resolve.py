"""Which knowledge-base version a run uses, and loading it.

Layout of downloaded knowledge bases (``$PGXANNOT_HOME``, default ``~/.pgxannot``)::

    kb/<source>/versions/<version>/   tables built by `pgxannot kb update <source>`
    kb/<source>/active                text file naming the active version

A config selector per source (``knowledge_base.<source>``) is ``bundled`` (the
tables in ``resources/``), ``active`` (the activated download, or bundled when
none), or a version name that pins a download so reruns are reproducible.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pgxannot.errors import KnowledgeBaseError
from pgxannot.paths import resources_dir

SOURCES = ("cpic", "clinvar", "civic")


def kb_home(configured: str | None = None) -> Path:
    if configured:
        return Path(configured).expanduser()
    env = os.environ.get("PGXANNOT_HOME")
    return Path(env).expanduser() if env else Path.home() / ".pgxannot"


def source_root(source: str, home: Path) -> Path:
    return home / "kb" / source


def active_version(source: str, home: Path) -> str | None:
    p = source_root(source, home) / "active"
    try:
        name = p.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if name in ("", "bundled"):  # `pgxannot kb use SOURCE bundled`
        return None
    return name


def source_dir(source: str, selector: str, home: Path) -> Path | None:
    """Folder of the tables to use for ``source``; None means the bundled tables."""
    if selector in ("", "bundled"):
        return None
    if selector == "active":
        name = active_version(source, home)
        if name is None:
            return None
    else:
        name = selector
    d = source_root(source, home) / "versions" / name
    if not (d / "meta.json").is_file():
        raise KnowledgeBaseError(
            f"{source} knowledge base version '{name}' is not installed in {source_root(source, home)}",
            hint=f"run 'pgxannot kb update {source}' or set knowledge_base.{source}: bundled")
    return d


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KnowledgeBaseError(f"knowledge-base metadata unreadable ({exc})", path=path,
                                 hint="reinstall pgxannot or rerun 'pgxannot kb update'") from None


def bundled_versions() -> dict[str, Any]:
    res = resources_dir()
    pgx = _read_json(res / "pgx" / "index.json")
    return {
        "pgx_definitions": {"source": "PharmCAT allele definitions", "version": pgx.get("definitions_version"),
                            "origin": "bundled"},
    }


def load_all(kb_cfg: Mapping[str, Any]):
    """Load guidance and risk tables selected by the config's ``knowledge_base`` block."""
    from pgxannot.kb.cpic import load_guidance_kb
    from pgxannot.kb.risk import load_risk_kb
    from pgxannot.pipeline import KnowledgeBase

    home = kb_home(kb_cfg.get("home"))
    dirs = {s: source_dir(s, str(kb_cfg.get(s, "bundled")), home) for s in SOURCES}
    guidance = load_guidance_kb(dirs["cpic"])
    risk = load_risk_kb(clinvar_dir=dirs["clinvar"], civic_dir=dirs["civic"])
    versions = bundled_versions()
    res = resources_dir()
    cpic_meta = _read_json((dirs["cpic"] or res / "cpic") / ("meta.json" if dirs["cpic"] else "version.json"))
    versions["cpic"] = {"source": "CPIC", "version": cpic_meta.get("version"),
                        "origin": "downloaded" if dirs["cpic"] else "bundled"}
    for name, info in risk.versions().items():
        versions[name] = {**info, "origin": "downloaded" if dirs.get(name) else "bundled"}
    for s in SOURCES:
        versions.setdefault(s, {"origin": "bundled"})
        versions[s].update(download_provenance(s, dirs[s], str(kb_cfg.get(s, "bundled"))))
    return KnowledgeBase(guidance=guidance, risk=risk, versions=versions)


def download_provenance(source: str, folder: Path | None, selector: str) -> dict[str, Any]:
    """What a report names about a source's tables: the config selector and, for a
    downloaded version, its installed name, release date, URL and checksums."""
    out: dict[str, Any] = {"selector": selector or "bundled"}
    if folder is None:
        return out
    meta = _read_json(folder / "meta.json")
    out.update({"installed_as": folder.name,
                **{k: meta.get(k) for k in ("date", "url", "sha256", "tables_sha256", "built_at")
                   if meta.get(k) is not None}})
    if meta.get("version") is not None:
        out["version"] = meta["version"]
    return out


def selection_signature(kb_cfg: Mapping[str, Any]) -> str:
    """Which knowledge-base version each source resolves to now, as one string.

    The workflow passes it to annotation jobs as a parameter, so activating another
    version (``pgxannot kb update/use``) reruns the reports that depend on it.
    Cheap: reads only the ``active`` pointers, never the tables.
    """
    from pgxannot import __version__

    home = kb_home(kb_cfg.get("home"))
    parts = [f"pgxannot={__version__}"]
    for s in SOURCES:
        selector = str(kb_cfg.get(s, "bundled"))
        resolved = (active_version(s, home) or "bundled") if selector == "active" else selector
        parts.append(f"{s}={resolved}")
    return ";".join(parts)
