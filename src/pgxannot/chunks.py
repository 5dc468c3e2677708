"""Chunks of a run: the samples one annotation job annotates.

Samples sharing VCF file(s) form a group (``g001``, ``g002`` ... in the order the sheet
first names their files); each group is cut into chunks of at most ``chunk_size``
samples in sheet order (``g001c001``, ``g001c002`` ...). The workflow names its jobs
after the chunks and the jobs find their samples here, so both read one definition.

A group of two or more chunks is first split into one VCF per chunk by one job (see
:mod:`pgxannot.vcf.split`): the big file is then read once, not once per chunk.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from pgxannot.errors import ConfigError


class _Entry(Protocol):
    @property
    def sample(self) -> str: ...

    @property
    def vcf_key(self) -> tuple[str, ...]: ...


E = TypeVar("E", bound=_Entry)

SPLIT_SUFFIXES = (".vcf", ".vcf.gz", ".vcf.bgz")  # text VCFs are split; a BCF is read as it is


def make_chunks(rows: Iterable[E], size: int, excluded: Collection[str] = ()) -> dict[str, list[E]]:
    """Chunk name -> its samples (sheet rows or entries), groups in first-seen order.

    Chunks are cut from the whole sheet, then the ``excluded`` samples (patients left out,
    see :mod:`pgxannot.failures`) are dropped, so leaving a patient out reruns its chunk
    only; a chunk left with no sample is no chunk."""
    groups: dict[tuple[str, ...], list[E]] = {}
    for r in rows:
        groups.setdefault(r.vcf_key, []).append(r)
    chunks: dict[str, list[E]] = {}
    for gi, members in enumerate(groups.values(), start=1):
        for ci in range(0, len(members), size):
            kept = [r for r in members[ci: ci + size] if r.sample not in excluded]
            if kept:
                chunks[f"g{gi:03d}c{ci // size + 1:03d}"] = kept
    return chunks


def group_of(chunk: str) -> str:
    """``g001c002`` -> ``g001``."""
    return chunk.split("c", 1)[0]


def chunk_members(rows: Iterable[E], size: int, chunk: str, excluded: Collection[str] = ()) -> list[E]:
    """The samples of ``chunk`` but the ``excluded``; a ConfigError when the sheet has no such chunk."""
    chunks = make_chunks(rows, size, excluded)
    if chunk not in chunks:
        raise ConfigError(f"no chunk {chunk!r} in this sample sheet with chunk_size {size}",
                          hint="rerun the workflow: the sheet or chunk_size changed since it was planned")
    return chunks[chunk]


def split_groups(chunks: dict[str, list[E]]) -> dict[str, list[str]]:
    """Group -> its chunks, for the groups worth splitting: two or more chunks, text VCFs."""
    out: dict[str, list[str]] = {}
    for name in chunks:
        out.setdefault(group_of(name), []).append(name)
    return {g: names for g, names in out.items() if len(names) > 1
            and all(v.endswith(SPLIT_SUFFIXES) for v in chunks[names[0]][0].vcf_key)}


def split_paths(chunk: str, vcf_key: Sequence[object], folder: Path) -> list[Path]:
    """The split VCF(s) of a chunk: one per file of its group, in the group's order."""
    return [folder / f"{chunk}.{k}.vcf.gz" for k in range(1, len(vcf_key) + 1)]
