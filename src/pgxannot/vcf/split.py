"""One pass over a multi-sample VCF that writes one smaller VCF per group of samples.

A biobank VCF of 10^5 samples read by 200 annotation jobs would be parsed 200 times
(htslib reads every sample's column of a record even when only 500 are selected). Split
first, each job reads only its own samples: the big file is read once.

The records kept are those overlapping ``regions`` (canonical chromosome names, 1-based
inclusive), each once, in file order; every record when ``regions`` is None. Columns are
copied as text: the header (with the group's samples on the ``#CHROM`` line), the first
nine columns and the group's sample columns, byte for byte, so a reader of a split file
sees what it would have seen in the original. Outputs are BGZF (fast compression level;
work files) and written under a temporary name, then renamed.
"""

from __future__ import annotations

import contextlib
import gzip
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pysam

from pgxannot.errors import OutputError, VcfError
from pgxannot.vcf.genome import ChromMap, canonical_chrom
from pgxannot.vcf.handle import merge_windows
from pgxannot.vcf.index import ensure_index
from pgxannot.vcf.model import VcfInfo

TAB = 9  # the byte value of a tab


def split_vcf(info: VcfInfo, groups: Mapping[Path, Sequence[str]], *,
              regions: Sequence[tuple[str, int, int]] | None, index_dir: Path | None) -> None:
    """Write ``groups`` (output path -> its samples, in the file's column order or not)."""
    src = ensure_index(info, index_dir) if regions is not None else None
    header, columns = _header(src or info.path, info)
    where = {s: i for i, s in enumerate(columns[9:])}
    picks = {}
    for out, samples in groups.items():
        absent = [s for s in samples if s not in where]
        if absent:
            raise VcfError(f"sample(s) {', '.join(absent[:3])} not in the file", path=info.path)
        picks[out] = np.array([where[s] for s in samples], dtype=np.intp)
    with contextlib.ExitStack() as stack:
        writers = {out: _Writer(stack, out, header, columns[:9], groups[out], picks[out]) for out in groups}
        n_cols = len(columns)
        for line in _lines(src, info, regions):
            tabs = np.flatnonzero(np.frombuffer(line, dtype=np.uint8) == TAB)
            if len(tabs) != n_cols - 1:
                chrom, pos = line.split(b"\t", 2)[:2]
                raise VcfError(f"record {chrom.decode(errors='replace')}:{pos.decode(errors='replace')} has "
                               f"{len(tabs) + 1} columns, the header {n_cols}", path=info.path,
                               hint="every record needs one column per sample; check with 'bcftools view'")
            for w in writers.values():
                w.write(line, tabs)
        for w in writers.values():
            w.close()


def _header(path: Path, info: VcfInfo) -> tuple[list[bytes], list[str]]:
    """Header lines before ``#CHROM`` (bytes, with newlines) and the ``#CHROM`` columns."""
    opener = gzip.open if info.kind in ("vcf.gz", "vcf.bgz") else open
    lines: list[bytes] = []
    with opener(path, "rb") as fh:
        for raw in fh:
            if raw.startswith(b"#CHROM"):
                return lines, raw.rstrip(b"\r\n").decode().split("\t")
            lines.append(raw if raw.endswith(b"\n") else raw + b"\n")
    raise VcfError("header has no '#CHROM' line", path=info.path)


def _lines(src: Path | None, info: VcfInfo, regions: Sequence[tuple[str, int, int]] | None) -> Iterator[bytes]:
    """Data lines (no newline): those overlapping ``regions`` through the index, each once;
    every line when there is no index or no ``regions``."""
    if src is None:
        opener = gzip.open if info.kind in ("vcf.gz", "vcf.bgz") else open
        with opener(info.path, "rb") as fh:
            for raw in fh:
                if not raw.startswith(b"#") and raw.strip():
                    yield raw.rstrip(b"\r\n")
        return
    windows: dict[str, list[tuple[int, int]]] = {}
    for c, s, e in regions or ():
        windows.setdefault(canonical_chrom(c), []).append((s, e))
    with pysam.TabixFile(str(src)) as tbx:
        cmap = ChromMap(tbx.contigs)
        order = {name: i for i, name in enumerate(tbx.contigs)}
        names = sorted(((n, c) for c in windows for n in cmap.vcf_name(c) if n in order), key=lambda nc: order[nc[0]])
        for name, chrom in names:
            prev_end = 0
            for start, end in merge_windows(windows[chrom]):
                for text in tbx.fetch(name, start - 1, end):
                    line = text.encode()
                    if int(line.split(b"\t", 2)[1]) <= prev_end:  # overlapping from upstream: written
                        continue
                    yield line
                prev_end = end


class _Writer:
    """One group's output: the header with its samples, then each record's columns."""

    def __init__(self, stack: contextlib.ExitStack, out: Path, header: list[bytes], fixed: list[str],
                 samples: Sequence[str], cols: np.ndarray) -> None:
        self.out = out
        self.tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            # level 1: work files; pysam accepts "wb1" (its stubs list only the levelless modes)
            self.fh = stack.enter_context(pysam.BGZFile(str(self.tmp), "wb1"))  # type: ignore[call-arg]
        except OSError as exc:
            raise OutputError(f"cannot write the file: {exc.strerror or exc}", path=out) from None
        stack.callback(self._discard)
        self.fh.write(b"".join(header) + "\t".join([*fixed, *samples]).encode() + b"\n")
        # a contiguous, ordered run of columns is copied as one slice of the line
        self.run = (int(cols[0]), int(cols[-1]) + 1) if len(cols) and bool(
            np.all(np.diff(cols) == 1)) else None
        self.cols = cols

    def write(self, line: bytes, tabs: np.ndarray) -> None:
        if self.run is not None:
            a, b = self.run
            end = int(tabs[8 + b]) if 8 + b < len(tabs) else len(line)  # sample i is column 9 + i
            self.fh.write(line[: int(tabs[8])] + line[int(tabs[8 + a]): end] + b"\n")
            return
        fields = line.split(b"\t")
        self.fh.write(b"\t".join([*fields[:9], *(fields[9 + i] for i in self.cols)]) + b"\n")

    def close(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.out)

    def _discard(self) -> None:
        with contextlib.suppress(OSError):
            self.tmp.unlink()
