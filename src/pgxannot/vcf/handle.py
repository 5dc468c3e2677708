"""Opening a VCF for reading: the one place cyvcf2 is called and its errors become VcfError.

Also the helpers every reader shares once a file is open: its sequence names, region
queries, merged query windows and the requested sample order.
"""

from __future__ import annotations

import gzip
import warnings
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import cyvcf2
import numpy as np

from pgxannot.errors import VcfError
from pgxannot.vcf.model import VcfInfo

# Query windows closer than this are merged into one region query.
MERGE_GAP = 5_000


def open_vcf(path: Path, *, samples: Sequence[str] | None = None, lazy: bool = True) -> cyvcf2.VCF:
    """``path`` opened with cyvcf2 (only ``samples`` decoded); VcfError when it cannot be parsed."""
    try:
        vcf = cyvcf2.VCF(str(path), lazy=lazy, samples=list(samples) if samples is not None else None)
    except (OSError, ValueError, Exception) as exc:  # cyvcf2 raises bare Exception on parse errors
        raise VcfError(f"cannot be parsed as VCF ({exc})", path=path,
                       hint="check it with 'bcftools view -h'") from None
    return vcf


@contextmanager
def reading(info: VcfInfo, path: Path | None = None, *, samples: Sequence[str]) -> Iterator[cyvcf2.VCF]:
    """``path`` (default ``info.path``) opened for ``samples``; a record htslib cannot parse
    becomes one VcfError naming the line (see :func:`reading_failed`); always closed."""
    vcf = open_vcf(path or info.path, samples=samples)
    try:
        yield vcf
    except VcfError:
        raise
    except Exception as exc:
        raise reading_failed(info, exc) from None
    finally:
        vcf.close()


def reading_failed(info: VcfInfo, exc: Exception) -> VcfError:
    """The error for a record htslib could not parse, naming the line when it can be found."""
    bad = locate_bad_line(info)
    if bad is None:
        return VcfError(f"reading failed ({exc})", path=info.path,
                        hint="the file may be truncated or malformed; check it with 'bcftools view'")
    line_no, problem = bad
    return VcfError(f"malformed record: {problem}", path=info.path, where=f"line {line_no}",
                    hint="fix or remove the line (columns are tab-separated); check with 'bcftools view'")


def locate_bad_line(info: VcfInfo) -> tuple[int, str] | None:
    """First visibly malformed data line of a text VCF (wrong column count, POS not a number).

    Only called after a parse failure, so the extra pass over the file costs nothing on
    good input. BCF is binary: None.
    """
    if info.kind == "bcf":
        return None
    expected = 9 + len(info.samples) if info.samples else None
    opener = gzip.open if info.kind in ("vcf.gz", "vcf.bgz") else open
    try:
        with opener(info.path, "rb") as fh:
            for line_no, raw in enumerate(fh, start=1):
                if raw.startswith(b"#"):
                    continue
                cols = raw.rstrip(b"\r\n").split(b"\t")
                if len(cols) < 8 or (expected is not None and len(cols) != expected):
                    want = expected if expected is not None else 8
                    return line_no, f"{len(cols)} tab-separated column(s), expected {want}"
                if not cols[1].isdigit():
                    pos = cols[1][:20].decode("utf-8", "replace")
                    return line_no, f"POS {pos!r} is not a whole number"
    except (OSError, EOFError, zlib.error):
        return None
    return None


def seqnames(vcf) -> list[str]:
    """Sequence names the file knows (header contigs or index)."""
    try:
        return list(vcf.seqnames)
    except Exception:
        return []


def query(vcf, region: str):
    """Records overlapping ``region``; a chromosome without records yields nothing."""
    return vcf(region)


# cyvcf2 warns for every region on a chromosome the file lacks: expected for per-chromosome files
warnings.filterwarnings("ignore", message="no intervals found", category=UserWarning)


def merge_windows(positions: Sequence[tuple[int, int]], *, gap: int = MERGE_GAP) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(positions):
        if out and start <= out[-1][1] + gap:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def sample_order(vcf, samples: list[str], path: Path) -> np.ndarray | None:
    """Index array mapping cyvcf2's sample order to the requested order (None if equal)."""
    got = list(vcf.samples)
    if got == samples:
        return None
    try:
        return np.array([got.index(s) for s in samples], dtype=np.intp)
    except ValueError:
        raise VcfError("sample subset could not be selected", path=path) from None


class Reordered:
    """A cyvcf2 Variant view whose genotypes follow the requested sample order."""

    def __init__(self, v, order: np.ndarray) -> None:
        self._v = v
        self._order = order
        self.CHROM, self.POS, self.REF, self.ALT, self.INFO, self.ID = v.CHROM, v.POS, v.REF, v.ALT, v.INFO, v.ID
        self.genotype = self

    @property
    def FORMAT(self):  # cyvcf2's attribute name
        return self._v.FORMAT

    def array(self):
        return self._v.genotype.array()[self._order]

    def format(self, key):
        f = self._v.format(key)
        return None if f is None else f[self._order]

