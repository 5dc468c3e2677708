"""The knowledge sources: the one list that ``kb status``, ``kb update/use``,
``pgxannot --version``, the CLI, the config's ``knowledge_base`` selectors, the report
provenance and the run's tables (:class:`pgxannot.kb.resolve.KnowledgeBase`) iterate.

Each :class:`Source` names its bundled folder under ``resources/``, the metadata file
its builder writes (and the key of the version in it), and three functions by
``"module:function"`` name (:mod:`pgxannot.lazy`: imported when first called, so this
module stays light for ``pgxannot --version``):

- ``loader``: ``load(folder) -> tables``, in ``pgxannot.kb.<x>`` beside the table format
  (file names, columns); what it returns is ``KnowledgeBase.tables["<name>"]`` of a run;
- ``builder``: ``build(source, out, *, version=None, include_text=False) -> dict`` in
  ``pgxannot.kb.build.<x>`` (one signature for all: :class:`Builder`);
- ``preparer`` (only if ``pgxannot kb update <name>`` downloads it):
  ``prepare(url, work, downloads, policy, floors) -> Prepared`` (:mod:`pgxannot.kb.prepare`),
  with the official URL and the minimum record counts a release must reach.

Adding a source: ``kb/<name>.py`` (loader and table format), ``kb/build/<name>.py``
(builder, and its preparer when downloadable) and one ``Source(...)`` below; see
``docs/architecture.md`` ("Add a knowledge source"). Status lines, ``--version``,
``kb update/use`` choices, the ``knowledge_base.<name>`` selector (default ``bundled``)
and its rerun signature, the report's ``provenance.knowledge_base`` entry and the loaded
tables follow from the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pgxannot import lazy
from pgxannot.errors import KnowledgeBaseError
from pgxannot.kb import risk as risk_tables
from pgxannot.paths import resources_dir


class Builder(Protocol):
    """Build one source's compact tables from a release in ``source`` into ``out``; returns
    the metadata it also writes. ``include_text`` keeps the source's own free text (only for
    a user's download, never bundled)."""

    def __call__(self, source: Path, out: Path, /, *, version: str | None = None,
                 include_text: bool = False) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Source:
    """One knowledge source and everything pgxannot needs to know about it."""

    name: str  # CLI, config (knowledge_base.<name>) and $PGXANNOT_HOME/kb/<name>
    label: str  # `kb status` lines
    short_name: str  # `pgxannot --version`
    folder: str  # bundled tables: resources/<folder>/
    meta_file: str  # metadata file the builder writes into a table folder
    version_key: str  # the version's key in meta_file
    builder: str  # "module:function" with the Builder signature
    provenance_key: str  # key in the report's provenance.knowledge_base
    provenance_fields: tuple[tuple[str, str], ...]  # (report key, meta_file key)
    # "module:function" reading a table folder into what a run uses; None: not loaded per
    # run (pgx: the caller reads the bundled gene tables itself, kb.pgx.gene_table)
    loader: str | None = None
    provenance_source: str | None = None  # constant "source" entry of the provenance block
    preparer: str | None = None  # "module:function"; None: bundled only, no `kb update`
    official_url: str | None = None
    minimums: Mapping[str, int] = field(default_factory=dict)  # floors of an official release
    mirror_minimums: Mapping[str, int] = field(default_factory=dict)  # floors with --url

    @property
    def updatable(self) -> bool:
        """Downloadable with ``pgxannot kb update`` and selectable in the config."""
        return self.preparer is not None

    def bundled_folder(self) -> Path:
        """``resources/<folder>`` of the installation (FileNotFoundError when not installed)."""
        return resources_dir() / self.folder

    def load(self, folder: Path) -> Any:
        """The tables of ``folder`` as a run uses them (the loader's result)."""
        if self.loader is None:
            raise KnowledgeBaseError(f"the {self.name} tables are not loaded per run")
        return lazy.call(self.loader, folder)

    def build(self, source: Path, out: Path, *, version: str | None = None,
              include_text: bool = False) -> Mapping[str, Any]:
        builder: Builder = lazy.function(self.builder)
        return builder(source, out, version=version, include_text=include_text)

    def prepare(self, url: str, work: Path, downloads: Path, policy: Any, floors: Mapping[str, int]) -> Any:
        """Download, verify and build a release (``kb update``): a :class:`~pgxannot.kb.prepare.Prepared`."""
        if self.preparer is None:
            raise KnowledgeBaseError(f"{self.name} cannot be downloaded (bundled only)")
        return lazy.call(self.preparer, url, work, downloads, policy, floors)


SOURCES: tuple[Source, ...] = (
    Source(
        name="pgx", label="pgx definitions", short_name="definitions", folder="pgx",
        meta_file="index.json", version_key="definitions_version",
        builder="pgxannot.kb.build.pgx:build",
        provenance_key="pgx_definitions", provenance_fields=(("version", "definitions_version"),),
        provenance_source="PharmCAT allele definitions",
    ),
    Source(
        name="cpic", label="cpic", short_name="CPIC", folder="cpic",
        meta_file="version.json", version_key="version",
        loader="pgxannot.kb.cpic:load_guidance_kb", builder="pgxannot.kb.build.cpic:build",
        provenance_key="cpic", provenance_fields=(("version", "version"),), provenance_source="CPIC",
        preparer="pgxannot.kb.prepare:prepare_cpic",
        # CPIC publishes its database through a PostgREST API (whole-database exports are
        # PostgreSQL dumps); the API tables are fetched and laid out as the builder expects.
        official_url="https://api.cpicpgx.org/v1/",
        minimums={"recommendations": 1000, "drugs": 50, "pairs": 100, "gene_results": 20},
        mirror_minimums={"recommendations": 1, "drugs": 1, "pairs": 1, "gene_results": 1},
    ),
    Source(
        name="clinvar", label="clinvar", short_name="ClinVar", folder="clinvar",
        meta_file=risk_tables.META_FILE, version_key="version",
        loader="pgxannot.kb.risk:load_clinvar", builder="pgxannot.kb.build.clinvar:build",
        provenance_key="clinvar",
        provenance_fields=(("version", "version"), ("build", "build"), ("plp_variants", "plp_variants")),
        preparer="pgxannot.kb.prepare:prepare_clinvar",
        # the weekly ClinVar VCF (GRCh38), with clinvar.vcf.gz.md5 beside it
        official_url="https://ftp.ncbi.nlm.nih.gov/pub/clinvar/vcf_GRCh38/clinvar.vcf.gz",
        minimums={"records": 1_000_000, "plp_variants": 10_000},
        mirror_minimums={"records": 1, "plp_variants": 1},
    ),
    Source(
        name="civic", label="civic", short_name="CIViC", folder="civic",
        meta_file=risk_tables.CIVIC_META_FILE, version_key="version",
        loader="pgxannot.kb.risk:load_civic", builder="pgxannot.kb.build.civic:build",
        provenance_key="civic",
        provenance_fields=(("version", "version"), ("evidence_items", "evidence_items"),
                           ("grch38_mapped", "grch38_mapped")),
        preparer="pgxannot.kb.prepare:prepare_civic",
        # CIViC nightly TSV summaries
        official_url="https://civicdb.org/downloads/nightly/",
        minimums={"evidence_items": 1000},
        mirror_minimums={"evidence_items": 1},
    ),
    Source(
        name="dpwg", label="dpwg", short_name="DPWG", folder="dpwg",
        meta_file="version.json", version_key="version",
        loader="pgxannot.kb.dpwg:load_dpwg_kb", builder="pgxannot.kb.build.dpwg:build",
        provenance_key="dpwg", provenance_fields=(("version", "version"), ("date", "date"), ("licence", "licence")),
        provenance_source="DPWG guidelines as annotated by PharmGKB",
        preparer="pgxannot.kb.update_dpwg:prepare_dpwg",
        # PharmGKB's DPWG guideline annotations with their per-genotype recommendations
        official_url="https://api.pharmgkb.org/v1/data/guidelineAnnotation?source=dpwg&view=max",
        minimums={"guidelines": 40, "recommendations": 150, "matchable_rows": 100},
        mirror_minimums={"guidelines": 1, "recommendations": 1, "matchable_rows": 1},
    ),
)

def updatable() -> tuple[Source, ...]:
    """The sources ``pgxannot kb update/use`` and ``knowledge_base.<name>`` accept, in order."""
    return tuple(s for s in SOURCES if s.updatable)


def updatable_names() -> tuple[str, ...]:
    return tuple(s.name for s in updatable())


def get(name: str, *, updatable_only: bool = False) -> Source:
    """The source called ``name``; KnowledgeBaseError naming the choices otherwise."""
    src = next((s for s in SOURCES if s.name == name), None)
    if src is None or (updatable_only and not src.updatable):
        names = updatable_names() if updatable_only else tuple(s.name for s in SOURCES)
        raise KnowledgeBaseError(f"unknown knowledge-base source '{name}'",
                                 hint=f"choose one of {', '.join(names)}")
    return src
