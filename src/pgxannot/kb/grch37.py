"""The bundled GRCh37 map (``resources/pgx/grch37_positions.tsv``): rows and coverage per gene.

Built by :mod:`pgxannot.kb.build.grch37`; the pgx build copies its coordinates into the gene
tables. This module reads it for ``pgxannot kb status`` and the coverage table of
``resources/README.md``: positions mapped / total per gene, and every position that is not
fully mapped named with the reason.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pgxannot.errors import KnowledgeBaseError
from pgxannot.paths import resources_dir

TABLE_NAME = "grch37_positions.tsv"
COLUMNS = ("gene", "chrom", "pos38", "ref38", "rsid", "pos37", "ref37", "status",
           "coordinate_source", "ref37_check", "note")
VERIFIED, UNCONFIRMED, UNMAPPED = "verified", "ref_unverified", "unmapped"
STATUSES = (VERIFIED, UNCONFIRMED, UNMAPPED)


@dataclass(frozen=True)
class Entry:
    """One row of the GRCh37 map."""

    gene: str
    chrom: str
    pos38: int
    ref38: str
    rsid: str | None
    pos37: int | None
    ref37: str | None
    status: str  # verified | ref_unverified | unmapped
    coordinate_source: str  # "pypgx+chain", ... ("" when unmapped)
    ref37_check: str  # which GRCh37 records confirmed the REF ("" when none)
    note: str  # why unmapped / unconfirmed, or what differs between the builds

    @property
    def mapped(self) -> bool:
        return self.status != UNMAPPED

    @property
    def label(self) -> str:
        """``chr2:233760233 (rs3064744)``: the GRCh38 position as reports name it."""
        return f"{self.chrom}:{self.pos38}" + (f" ({self.rsid})" if self.rsid else "")


def default_table() -> Path:
    return resources_dir() / "pgx" / TABLE_NAME


def _row_entry(row: dict[str, str]) -> Entry:
    return Entry(row["gene"], row["chrom"], int(row["pos38"]), row["ref38"], row["rsid"] or None,
                 int(row["pos37"]) if row["pos37"] else None, row["ref37"] or None, row["status"],
                 row["coordinate_source"], row["ref37_check"], row["note"])


def read_entries(path: Path | None = None) -> tuple[Entry, ...]:
    """Every row of the map; ``path`` defaults to the bundled table."""
    path = path or default_table()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KnowledgeBaseError("the GRCh37 position map is missing", path=path,
                                 hint="rebuild it with `python -m pgxannot.kb.build.grch37`") from exc
    rows = csv.DictReader((x for x in text.splitlines() if not x.startswith("#")), delimiter="\t")
    if tuple(rows.fieldnames or ()) != COLUMNS:
        raise KnowledgeBaseError("the GRCh37 position map has unexpected columns", path=path,
                                 hint="rebuild it with `python -m pgxannot.kb.build.grch37`")
    return tuple(_row_entry(r) for r in rows)


def read_map(path: Path | None = None) -> dict[tuple[str, int], Entry]:
    """The map as (chrom, GRCh38 pos) -> row."""
    return {(e.chrom, e.pos38): e for e in read_entries(path)}


@cache
def _bundled() -> tuple[Entry, ...]:
    return read_entries()


@dataclass(frozen=True)
class GeneCoverage:
    gene: str
    total: int
    verified: int
    unconfirmed: int
    unmapped: tuple[Entry, ...]

    @property
    def mapped(self) -> int:
        return self.verified + self.unconfirmed


def coverage(entries: tuple[Entry, ...] | None = None) -> list[GeneCoverage]:
    """Per gene (sorted): positions, REF-verified, REF-unconfirmed, and the unmapped rows."""
    entries = _bundled() if entries is None else entries
    count: Counter[tuple[str, str]] = Counter((e.gene, e.status) for e in entries)
    genes = sorted({e.gene for e in entries})
    return [GeneCoverage(g, sum(count[(g, s)] for s in STATUSES), count[(g, VERIFIED)], count[(g, UNCONFIRMED)],
                         tuple(e for e in entries if e.gene == g and not e.mapped)) for g in genes]


def status_lines(entries: tuple[Entry, ...] | None = None) -> list[str]:
    """The GRCh37 part of ``pgxannot kb status``: per gene mapped / total, unmapped named."""
    entries = _bundled() if entries is None else entries
    cov = coverage(entries)
    n = {s: sum(e.status == s for e in entries) for s in STATUSES}
    lines = [f"GRCh37 map (resources/pgx/{TABLE_NAME}): {len(entries)} positions of {len(cov)} genes; "
             f"{n[VERIFIED]} GRCh37 REF verified, {n[UNCONFIRMED]} REF unconfirmed (read only where the VCF "
             f"has a record with that REF, never assumed reference), {n[UNMAPPED]} unmapped"]
    complete = [f"{c.gene} {c.verified}/{c.total}" for c in cov if c.verified == c.total]
    lines.append("  complete: " + (", ".join(complete) or "none"))
    for c in cov:
        if c.verified == c.total:
            continue
        lines.append(f"  {c.gene}: {c.mapped}/{c.total} mapped ({c.verified} REF verified, "
                     f"{c.unconfirmed} REF unconfirmed, {len(c.unmapped)} unmapped)")
        lines.extend(f"    unmapped {e.label}: {e.note}" for e in c.unmapped)
    return lines


def readme_table(entries: tuple[Entry, ...] | None = None) -> str:
    """The per-gene coverage table of ``resources/README.md`` (markdown)."""
    cov = coverage(entries)
    lines = ["| gene | positions | mapped | GRCh37 REF verified | REF unconfirmed | unmapped (why) |",
             "|---|---|---|---|---|---|"]
    for c in cov:
        why = "; ".join(f"{e.label}: {e.note}" for e in c.unmapped) or "none"
        lines.append(f"| {c.gene} | {c.total} | {c.mapped} | {c.verified} | {c.unconfirmed} | {why} |")
    t = [sum(getattr(c, k) for c in cov) for k in ("total", "mapped", "verified", "unconfirmed")]
    lines.append(f"| all | {t[0]} | {t[1]} | {t[2]} | {t[3]} | {sum(len(c.unmapped) for c in cov)} |")
    return "\n".join(lines) + "\n"
