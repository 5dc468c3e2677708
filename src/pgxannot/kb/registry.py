"""The knowledge sources: the one list that ``kb status``, ``kb update/use``,
``pgxannot --version``, the CLI, the report provenance and the run's table selection iterate.

Each :class:`Source` names its bundled folder under ``resources/``, the metadata file
its builder writes (and the key of the version in it), its loader (``pgxannot.kb.<x>``,
where the table file names and columns are defined), its builder
(``pgxannot.kb.build.<x>.build``, one signature for all: :class:`Builder`), and, when
``pgxannot kb update`` can download it, its preparer (:mod:`pgxannot.kb.prepare`),
official URL and the minimum record counts a release must reach.

Adding a source (DPWG is next: ``kb/build/dpwg.py`` and its loader are being written)
------------------------------------------------------------------------------------
1. ``kb/build/<name>.py`` with ``build(source, out, *, version=None, include_text=False)
   -> dict`` and a loader module ``kb/<name>.py`` holding the table format;
2. one ``Source(...)`` below (with ``prepare=`` a function of :mod:`pgxannot.kb.prepare`
   if ``kb update <name>`` should download it; then also add ``<name>`` to
   ``knowledge_base`` in ``workflow/schemas/config.schema.yaml``);
3. a typed field of :class:`pgxannot.kb.resolve.KnowledgeBase` and the line of
   :func:`pgxannot.kb.resolve.load_knowledge_base` that loads it.

Status lines, ``--version``, ``kb update/use`` choices, the config selector's rerun
signature and the report's ``provenance.knowledge_base`` entry follow from the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pgxannot.errors import KnowledgeBaseError
from pgxannot.kb import cpic as cpic_tables
from pgxannot.kb import pgx as pgx_tables
from pgxannot.kb import risk as risk_tables
from pgxannot.kb.build import civic as civic_builder
from pgxannot.kb.build import clinvar as clinvar_builder
from pgxannot.kb.build import cpic as cpic_builder
from pgxannot.kb.build import pgx as pgx_builder
from pgxannot.kb.prepare import Preparer, prepare_civic, prepare_clinvar, prepare_cpic


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
    # reads this source's tables: a table folder (cpic, clinvar, civic; the run loads them
    # through kb.resolve.load_knowledge_base), or pgx's gene_table(gene) (bundled only)
    loader: Callable[..., Any]
    builder: Builder
    provenance_key: str  # key in the report's provenance.knowledge_base
    provenance_fields: tuple[tuple[str, str], ...]  # (report key, meta_file key)
    provenance_source: str | None = None  # constant "source" entry of the provenance block
    prepare: Preparer | None = None  # None: bundled only, no `kb update`
    official_url: str | None = None
    minimums: Mapping[str, int] = field(default_factory=dict)  # floors of an official release
    mirror_minimums: Mapping[str, int] = field(default_factory=dict)  # floors with --url

    @property
    def updatable(self) -> bool:
        """Downloadable with ``pgxannot kb update`` and selectable in the config."""
        return self.prepare is not None


SOURCES: tuple[Source, ...] = (
    Source(
        name="pgx", label="pgx definitions", short_name="definitions", folder="pgx",
        meta_file="index.json", version_key="definitions_version",
        loader=pgx_tables.gene_table, builder=pgx_builder.build,
        provenance_key="pgx_definitions", provenance_fields=(("version", "definitions_version"),),
        provenance_source="PharmCAT allele definitions",
    ),
    Source(
        name="cpic", label="cpic", short_name="CPIC", folder="cpic",
        meta_file="version.json", version_key="version",
        loader=cpic_tables.load_guidance_kb, builder=cpic_builder.build,
        provenance_key="cpic", provenance_fields=(("version", "version"),), provenance_source="CPIC",
        prepare=prepare_cpic,
        # CPIC publishes its database through a PostgREST API (whole-database exports are
        # PostgreSQL dumps); the API tables are fetched and laid out as the builder expects.
        official_url="https://api.cpicpgx.org/v1/",
        minimums={"recommendations": 1000, "drugs": 50, "pairs": 100, "gene_results": 20},
        mirror_minimums={"recommendations": 1, "drugs": 1, "pairs": 1, "gene_results": 1},
    ),
    Source(
        name="clinvar", label="clinvar", short_name="ClinVar", folder="clinvar",
        meta_file=risk_tables.META_FILE, version_key="version",
        loader=risk_tables.load_clinvar, builder=clinvar_builder.build,
        provenance_key="clinvar",
        provenance_fields=(("version", "version"), ("build", "build"), ("plp_variants", "plp_variants")),
        prepare=prepare_clinvar,
        # the weekly ClinVar VCF (GRCh38), with clinvar.vcf.gz.md5 beside it
        official_url="https://ftp.ncbi.nlm.nih.gov/pub/clinvar/vcf_GRCh38/clinvar.vcf.gz",
        minimums={"records": 1_000_000, "plp_variants": 10_000},
        mirror_minimums={"records": 1, "plp_variants": 1},
    ),
    Source(
        name="civic", label="civic", short_name="CIViC", folder="civic",
        meta_file=risk_tables.CIVIC_META_FILE, version_key="version",
        loader=risk_tables.load_civic, builder=civic_builder.build,
        provenance_key="civic",
        provenance_fields=(("version", "version"), ("evidence_items", "evidence_items"),
                           ("grch38_mapped", "grch38_mapped")),
        prepare=prepare_civic,
        # CIViC nightly TSV summaries
        official_url="https://civicdb.org/downloads/nightly/",
        minimums={"evidence_items": 1000},
        mirror_minimums={"evidence_items": 1},
    ),
    # DPWG: Source(name="dpwg", ..., loader=<kb/dpwg loader>, builder=dpwg_builder.build, ...)
)

BY_NAME: Mapping[str, Source] = {s.name: s for s in SOURCES}


def updatable() -> tuple[Source, ...]:
    """The sources ``pgxannot kb update/use`` and ``knowledge_base.<name>`` accept, in order."""
    return tuple(s for s in SOURCES if s.updatable)


def updatable_names() -> tuple[str, ...]:
    return tuple(s.name for s in updatable())


def get(name: str, *, updatable_only: bool = False) -> Source:
    """The source called ``name``; KnowledgeBaseError naming the choices otherwise."""
    src = BY_NAME.get(name)
    if src is None or (updatable_only and not src.updatable):
        names = updatable_names() if updatable_only else tuple(BY_NAME)
        raise KnowledgeBaseError(f"unknown knowledge-base source '{name}'",
                                 hint=f"choose one of {', '.join(names)}")
    return src
