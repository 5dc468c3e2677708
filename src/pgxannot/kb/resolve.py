"""Which knowledge-base version a run uses, and loading it.

A config selector per updatable source (``knowledge_base.<source>``, default
``bundled``) is ``bundled`` (the tables in ``resources/``), ``active`` (the activated
download, or bundled when none), or a version name that pins a download so reruns are
reproducible. Downloads live in ``$PGXANNOT_HOME`` (see :mod:`pgxannot.kb.store`); the
sources, and so the selectors the config accepts, are those of :mod:`pgxannot.kb.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgxannot import __version__
from pgxannot.errors import ConfigError, KnowledgeBaseError
from pgxannot.files import read_json
from pgxannot.kb import registry
from pgxannot.kb.cpic import GuidanceKB
from pgxannot.kb.registry import Source
from pgxannot.kb.risk import RiskKnowledgeBase, risk_kb
from pgxannot.kb.store import META, active_version, kb_home, source_root


@dataclass(frozen=True)
class KnowledgeBase:
    """Every table a run uses, loaded once per job, with the versions for provenance.

    ``tables`` holds what each source's loader read, by source name in registry order: a
    new source of :mod:`pgxannot.kb.registry` is there with nothing added here, and the
    stage that uses it reads ``kb.tables["<name>"]``. The CPIC and risk tables also have
    typed fields.
    """

    tables: Mapping[str, Any]
    versions: dict[str, dict[str, Any]]  # provenance.knowledge_base of every report
    guidance: GuidanceKB  # tables["cpic"]
    risk: RiskKnowledgeBase  # tables["clinvar"] and tables["civic"] with the bundled gene tables


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
    if not (d / META).is_file():
        raise KnowledgeBaseError(
            f"{source} knowledge base version '{name}' is not installed in {source_root(source, home)}",
            hint=f"run 'pgxannot kb update {source}' or set knowledge_base.{source}: bundled")
    return d


def selectors(kb_cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The config's ``knowledge_base`` block with a selector for every updatable source
    (``bundled`` where none is given; the block's own order kept). ConfigError for a key
    that names no updatable source (a typo must not silently select the bundled tables)."""
    known = (*registry.updatable_names(), "home")
    unknown = [k for k in kb_cfg if k not in known]
    if unknown:
        raise ConfigError(f"config key 'knowledge_base.{unknown[0]}': no such knowledge source",
                          hint=f"the knowledge_base keys are {', '.join(known)}")
    out = dict(kb_cfg)
    for s in registry.updatable():
        out.setdefault(s.name, "bundled")
    return out


def selected_dirs(kb_cfg: Mapping[str, Any]) -> dict[str, Path | None]:
    """Downloaded table folder per updatable source (None: bundled), as the config selects."""
    home = kb_home(kb_cfg.get("home"))
    return {s.name: source_dir(s.name, _selector(kb_cfg, s), home) for s in registry.updatable()}


def load_knowledge_base(kb_cfg: Mapping[str, Any]) -> KnowledgeBase:
    """Load the tables selected by the config's ``knowledge_base`` block: every source of
    the registry that has a loader, from its selected download or its bundled folder."""
    dirs = selected_dirs(selectors(kb_cfg))
    tables = {s.name: s.load(dirs.get(s.name) or s.bundled_folder()) for s in registry.SOURCES if s.loader}
    return KnowledgeBase(tables=tables, versions=knowledge_versions(kb_cfg, dirs), guidance=tables["cpic"],
                         risk=risk_kb(tables["clinvar"], tables["civic"]))


def knowledge_versions(kb_cfg: Mapping[str, Any], dirs: Mapping[str, Path | None]) -> dict[str, dict[str, Any]]:
    """``provenance.knowledge_base``: per source its version facts, whether bundled or
    downloaded, and for updatable sources the selector and the download's facts."""
    out: dict[str, dict[str, Any]] = {}
    for s in registry.SOURCES:
        folder = dirs.get(s.name)
        path = (folder or s.bundled_folder()) / s.meta_file
        meta = _read_meta(path) if path.is_file() else {}
        block: dict[str, Any] = {"source": s.provenance_source} if s.provenance_source else {}
        block.update({key: meta.get(meta_key) for key, meta_key in s.provenance_fields})
        block["origin"] = "downloaded" if folder else "bundled"
        if s.updatable:
            block.update(download_provenance(folder, _selector(kb_cfg, s)))
        out[s.provenance_key] = block
    return out


def download_provenance(folder: Path | None, selector: str) -> dict[str, Any]:
    """What a report names about a source's tables: the config selector and, for a
    downloaded version, its installed name, release date, URL and checksums."""
    out: dict[str, Any] = {"selector": selector or "bundled"}
    if folder is None:
        return out
    meta = _read_meta(folder / META)
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
    home = kb_home(selectors(kb_cfg).get("home"))
    parts = [f"pgxannot={__version__}"]
    for s in registry.updatable():
        selector = _selector(kb_cfg, s)
        resolved = (active_version(s.name, home) or "bundled") if selector == "active" else selector
        parts.append(f"{s.name}={resolved}")
    return ";".join(parts)


def _selector(kb_cfg: Mapping[str, Any], source: Source) -> str:
    return str(kb_cfg.get(source.name, "bundled"))


def _read_meta(path: Path) -> dict[str, Any]:
    meta = read_json(path, error=KnowledgeBaseError, what="knowledge-base metadata",
                     hint="reinstall pgxannot or rerun 'pgxannot kb update'")
    if not isinstance(meta, dict):
        raise KnowledgeBaseError("knowledge-base metadata is not a JSON object", path=path,
                                 hint="reinstall pgxannot or rerun 'pgxannot kb update'")
    return meta
