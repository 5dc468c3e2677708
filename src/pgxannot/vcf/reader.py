"""Reading VCF/BCF files: format checks, build check, genotype arrays for many samples.

The only module that touches VCF files. Everything it hands on is numpy arrays
(:class:`~pgxannot.vcf.model.SiteGenotypes`) or :class:`~pgxannot.vcf.model.VariantRecord`
with the genotypes of all selected samples; see :mod:`pgxannot.vcf.model` for the
conventions.

Reading strategy
----------------
* Indexed (``.tbi``/``.csi`` beside a bgzipped VCF or BCF): region queries only.
* Bgzipped without an index: an index is built once into ``index_dir`` (the
  workflow's work folder; never beside the user's file) and then queried.
* Plain or plain-gzip text: streamed once, records outside the wanted
  positions skipped before their genotypes are decoded (``lazy`` parsing).
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import logging
import os
import warnings
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pgxannot.errors import BuildMismatchError, VcfError
from pgxannot.vcf.genome import (
    BUILDS,
    build_from_contigs,
    build_from_reference_line,
    canonical_chrom,
    vcf_names_for,
)
from pgxannot.vcf.model import (
    HAPLOID,
    MISSING,
    Site,
    SiteGenotypes,
    SiteStatus,
    VariantRecord,
)
from pgxannot.vcf.normalize import NON_REF_ALLELES, is_symbolic, reexpress

log = logging.getLogger(__name__)

# Query windows closer than this are merged into one region query.
_MERGE_GAP = 5_000


# --------------------------------------------------------------------------- format


@dataclass(frozen=True)
class VcfInfo:
    """What the header of one VCF says, checked."""

    path: Path
    kind: str  # "vcf", "vcf.gz" (plain gzip), "vcf.bgz" (BGZF), "bcf"
    samples: tuple[str, ...]
    contigs: dict[str, int]
    reference: str | None
    has_gt: bool
    indexed: bool
    build: str | None  # inferred from contig lengths / ##reference, None when undecidable


_BOM = b"\xef\xbb\xbf"
_FILEFORMAT = b"##fileformat=VCF"


def _check_text_start(head: bytes, path: Path, *, compressed: bool) -> None:
    """The first bytes of VCF text must be ``##fileformat=VCF`` (htslib refuses anything else)."""
    if head.startswith(_FILEFORMAT):
        return
    inside = "compressed file" if compressed else "file"
    if head.startswith(_BOM):
        raise VcfError(f"{inside} starts with a UTF-8 byte-order mark before '##fileformat'", path=path,
                       hint="save it without the BOM (e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)")
    if head.startswith(b"#CHROM") or head.startswith(b"##"):
        raise VcfError(f"{inside} has no '##fileformat' line first", path=path,
                       hint="the first line must be '##fileformat=VCFv4.x'")
    if compressed:
        raise VcfError("compressed file does not hold a VCF (no '##fileformat' header)", path=path)
    raise VcfError("not a VCF file (no '##fileformat=VCF' header; plain text, gzip, bgzip or BCF expected)",
                   path=path)


def sniff_kind(path: Path) -> str:
    """Tell plain VCF, gzip, BGZF and BCF apart from the first bytes; raise VcfError otherwise."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(18)
    except FileNotFoundError:
        raise VcfError("file does not exist", path=path,
                       hint="check the 'vcf' column of the sample sheet (relative paths resolve against the working directory)") from None
    except PermissionError:
        raise VcfError("file is not readable (permission denied)", path=path,
                       hint="make it readable for this user") from None
    except IsADirectoryError:
        raise VcfError("is a directory, not a VCF file", path=path) from None
    if not head:
        raise VcfError("file is empty", path=path, hint="give a VCF with a header and a #CHROM line")
    if head[:2] == b"\x1f\x8b":
        bgzf = len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC"
        try:
            with gzip.open(path, "rb") as fh:
                inner = fh.read(len(_FILEFORMAT))
        except (OSError, EOFError, zlib.error) as exc:
            raise VcfError(f"compressed file is corrupt or truncated ({exc})", path=path,
                           hint="re-create it with bgzip and check the transfer") from None
        if inner.startswith(b"BCF"):
            return "bcf"
        _check_text_start(inner, path, compressed=True)
        return "vcf.bgz" if bgzf else "vcf.gz"
    if head.startswith(b"BCF"):
        raise VcfError("uncompressed BCF is not supported", path=path, hint="convert with 'bcftools view -Ob'")
    _check_text_start(head, path, compressed=False)
    return "vcf"


def _check_gzip_integrity(path: Path) -> None:
    """Decompress a gzip/BGZF file to its end: catches truncation before any report is written."""
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error) as exc:
        raise VcfError(f"compressed file is corrupt or truncated ({exc})", path=path,
                       hint="re-create it with bgzip and check the transfer") from None


def _has_index(path: Path) -> bool:
    return any(Path(str(path) + ext).is_file() for ext in (".tbi", ".csi"))


def _open(path: Path, *, samples: Sequence[str] | None = None, lazy: bool = True):
    import cyvcf2

    try:
        vcf = cyvcf2.VCF(str(path), lazy=lazy, samples=list(samples) if samples is not None else None)
    except (OSError, ValueError, Exception) as exc:  # cyvcf2 raises bare Exception on parse errors
        raise VcfError(f"cannot be parsed as VCF ({exc})", path=path,
                       hint="check it with 'bcftools view -h'") from None
    return vcf


def inspect_vcf(path: str | Path, *, check_integrity: bool = True) -> VcfInfo:
    """Read and check the header of ``path``: format, samples, contigs, GT, build."""
    path = Path(path)
    kind = sniff_kind(path)
    if check_integrity and kind in ("vcf.gz", "vcf.bgz", "bcf"):
        _check_gzip_integrity(path)
    header_lines = _raw_header(path, kind)
    if not any(line.startswith("#CHROM") for line in header_lines):
        raise VcfError("header has no '#CHROM' line", path=path,
                       hint="a VCF needs the '#CHROM POS ID REF ALT ...' column line")
    chrom_line = next(line for line in header_lines if line.startswith("#CHROM"))
    columns = chrom_line.rstrip("\r\n").split("\t")
    samples = tuple(columns[9:]) if len(columns) > 9 else ()
    dupes = sorted({s for s in samples if samples.count(s) > 1})
    if dupes:
        raise VcfError(f"duplicate sample column(s) {', '.join(dupes)}", path=path, where="#CHROM line",
                       hint="rename the samples (e.g. bcftools reheader) so each column is unique")
    contigs: dict[str, int] = {}
    reference = None
    has_gt = False
    for line in header_lines:
        if line.startswith("##contig=<"):
            fields = _header_fields(line)
            if "ID" in fields:
                try:
                    contigs[fields["ID"]] = int(fields.get("length", "0") or 0)
                except ValueError:
                    contigs[fields["ID"]] = 0
        elif line.startswith("##reference="):
            reference = line.split("=", 1)[1].strip()
        elif line.startswith("##FORMAT=<") and _header_fields(line).get("ID") == "GT":
            has_gt = True
    build = build_from_contigs(contigs)
    if build is None and reference:
        build = build_from_reference_line(reference)
    return VcfInfo(path=path, kind=kind, samples=samples, contigs=contigs, reference=reference,
                   has_gt=has_gt, indexed=_has_index(path), build=build)


def _raw_header(path: Path, kind: str) -> list[str]:
    if kind == "bcf":
        vcf = _open(path)
        text = vcf.raw_header
        vcf.close()
        return text.splitlines()
    opener = gzip.open if kind in ("vcf.gz", "vcf.bgz") else open
    lines: list[str] = []
    try:
        with opener(path, "rb") as fh:
            for raw in fh:
                line = raw.decode("utf-8", errors="replace")
                if not line.startswith("#"):
                    break
                lines.append(line.rstrip("\r\n"))
    except (OSError, EOFError, zlib.error) as exc:
        raise VcfError(f"compressed file is corrupt or truncated ({exc})", path=path) from None
    return lines


def _header_fields(line: str) -> dict[str, str]:
    inner = line[line.find("<") + 1 : line.rfind(">")]
    out: dict[str, str] = {}
    key, buf, quoted = None, [], False
    for ch in inner + ",":
        if ch == '"':
            quoted = not quoted
        elif ch == "=" and key is None and not quoted:
            key, buf = "".join(buf), []
        elif ch == "," and not quoted:
            if key is not None:
                out[key.strip()] = "".join(buf)
            key, buf = None, []
        else:
            buf.append(ch)
    return out


def check_build(info: VcfInfo, build: str) -> None:
    """Raise BuildMismatchError when the header says another build than ``build``."""
    if build not in BUILDS:
        raise VcfError(f"unknown reference build {build!r}", hint=f"use one of {', '.join(BUILDS)} (config key reference_build)")
    if info.build == "mixed":
        raise BuildMismatchError("header contig lengths mix GRCh37 and GRCh38", path=info.path,
                                 hint="fix the ##contig lines or re-create the VCF on one build")
    if info.build is not None and info.build != build:
        raise BuildMismatchError(
            f"header says {info.build} (contig lengths/##reference) but reference_build is {build}",
            path=info.path,
            hint=f"set 'reference_build: {info.build}' in config.yaml, or give a {build} VCF",
        )


def check_samples(info: VcfInfo, wanted: Sequence[str]) -> None:
    if not info.has_gt:
        raise VcfError("header declares no FORMAT/GT field", path=info.path,
                       hint="pgxannot needs genotypes (GT); a sites-only VCF cannot be annotated per patient")
    missing = [s for s in wanted if s not in info.samples]
    if missing:
        shown = ", ".join(info.samples[:10]) + (" ..." if len(info.samples) > 10 else "")
        raise VcfError(f"sample(s) {', '.join(missing)} not in the VCF (it has: {shown or 'no samples'})",
                       path=info.path, hint="fix the 'sample' column of the sample sheet")


# ---------------------------------------------------------------------- chromosomes


class _ChromMap:
    """Maps canonical chromosome names to the names one VCF uses, and back."""

    def __init__(self, names: Iterable[str]) -> None:
        names = set(names)
        self.to_vcf: dict[str, str] = {}
        for name in sorted(names):
            c = canonical_chrom(name)
            if c not in self.to_vcf or name in vcf_names_for(c)[:1]:
                self.to_vcf[c] = name
        self.known = bool(names)

    def vcf_name(self, canonical: str) -> list[str]:
        if canonical in self.to_vcf:
            return [self.to_vcf[canonical]]
        if self.known:
            return []
        return list(vcf_names_for(canonical))


def _seqnames(vcf) -> list[str]:
    """Sequence names the file knows (header contigs or index)."""
    try:
        return list(vcf.seqnames)
    except Exception:
        return []


def _query(vcf, region: str):
    """Records overlapping ``region``; a chromosome without records yields nothing."""
    return vcf(region)


# cyvcf2 warns for every region on a chromosome the file lacks: expected for per-chromosome files
warnings.filterwarnings("ignore", message="no intervals found", category=UserWarning)


def _merge_windows(positions: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(positions):
        if out and start <= out[-1][1] + _MERGE_GAP:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def ensure_index(info: VcfInfo, index_dir: Path | None) -> Path | None:
    """The path to open for region queries, or None to stream the file.

    A file with its own ``.tbi``/``.csi`` is queried directly, unless that index is
    older than the file: a stale index silently skips records (positions reported
    missing, variants lost), so it is ignored. A bgzipped VCF or a BCF without a
    usable index gets one built once in ``index_dir`` (never beside the user's
    file, which may be read-only): a symbolic link to the file sits there with its
    index, because htslib finds an index by the name of the file it opens.
    """
    for ext in (".tbi", ".csi"):
        p = Path(str(info.path) + ext)
        if p.is_file():
            if p.stat().st_mtime + 1 < info.path.stat().st_mtime:
                log.warning("%s: index %s is older than the file (stale); not used", info.path, p.name)
                continue
            return info.path
    if index_dir is None:
        return None
    if info.kind in ("vcf", "vcf.gz"):
        return _bgzf_copy(info, index_dir)
    import pysam

    st = info.path.stat()
    key = f"{info.path.resolve()}:{st.st_size}:{int(st.st_mtime)}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    folder = index_dir / digest
    link = folder / info.path.name
    if Path(str(link) + ".csi").is_file():
        return link
    tmp = index_dir / f".{digest}.tmp{os.getpid()}"
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        tmp_link = tmp / info.path.name
        if not tmp_link.exists():
            tmp_link.symlink_to(info.path.resolve())
        pysam.tabix_index(str(tmp_link), preset="bcf" if info.kind == "bcf" else "vcf",
                          csi=True, keep_original=True, force=True)
        if not Path(str(tmp_link) + ".csi").is_file():
            raise OSError("index was not written")
        os.replace(tmp, folder)
    except OSError as exc:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        if Path(str(link) + ".csi").is_file():  # a concurrent run built it first
            return link
        log.warning("%s: could not build an index (%s); streaming the file instead", info.path, exc)
        return None
    except Exception as exc:  # pysam raises plain Exceptions for malformed files
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise VcfError(f"cannot be indexed ({exc})", path=info.path,
                       hint="the file must be sorted by position; sort it with 'bcftools sort'") from None
    return link


# Plain or plain-gzip VCFs at least this large are recompressed to BGZF and indexed in the
# work folder before reading: measured on a 5-million-record genome (208 MB of text), copy
# and index take 4.7 s, while streaming it for the pharmacogene sites and again for the
# germline regions takes 54 s. Smaller files are simply streamed.
RECOMPRESS_MIN_BYTES = 16 << 20


def _bgzf_copy(info: VcfInfo, index_dir: Path) -> Path | None:
    """A bgzipped, indexed copy of a large plain/gzip VCF in ``index_dir`` (None: stream it)."""
    import shutil

    import pysam

    st = info.path.stat()
    if st.st_size < RECOMPRESS_MIN_BYTES // (8 if info.kind == "vcf.gz" else 1):
        return None
    key = f"{info.path.resolve()}:{st.st_size}:{int(st.st_mtime)}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    folder = index_dir / digest
    copy = folder / (info.path.name.removesuffix(".gz") + ".bgz")
    if Path(str(copy) + ".csi").is_file():
        return copy
    tmp = index_dir / f".{digest}.tmp{os.getpid()}"
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        tmp_copy = tmp / copy.name
        log.info("%s: recompressing to BGZF and indexing in %s (faster than streaming it twice)",
                 info.path, index_dir)
        opener = gzip.open if info.kind == "vcf.gz" else open
        with opener(info.path, "rb") as src, pysam.BGZFile(str(tmp_copy), "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        pysam.tabix_index(str(tmp_copy), preset="vcf", csi=True, keep_original=True, force=True)
        os.replace(tmp, folder)
    except Exception as exc:  # unsorted input, full disk...: streaming still works
        shutil.rmtree(tmp, ignore_errors=True)
        if Path(str(copy) + ".csi").is_file():  # a concurrent job built it first
            return copy
        log.warning("%s: no indexed copy (%s); streaming the file instead", info.path, exc)
        return None
    return copy


# -------------------------------------------------------------------- record checks


def _record_genotypes(v, path: Path, n_alleles: int, n_samples: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """(gt int16 (n,2), phased bool (n,), haploid_any) of one record, checked.

    A record whose FORMAT has no GT (GT is optional per record) is a no-call for every sample.
    """
    try:
        arr = v.genotype.array()
    except Exception as exc:
        if "GT" not in (v.FORMAT or ()):  # GT is optional per record: no call here
            return (np.full((n_samples, 2), MISSING, dtype=np.int16), np.zeros(n_samples, dtype=bool), False)
        raise VcfError(f"genotypes cannot be read ({exc})", path=path,
                       where=f"record {v.CHROM}:{v.POS}") from None
    ploidy = arr.shape[1] - 1
    if ploidy > 2:
        # a trailing -2 column pads lower-ploidy calls; a real third allele is an error
        extra = arr[:, 2:ploidy]
        if (extra != HAPLOID).any():
            raise VcfError(f"ploidy {ploidy} genotype", path=path, where=f"record {v.CHROM}:{v.POS}",
                           hint="pgxannot handles diploid and haploid calls; split or drop polyploid records")
    if ploidy == 1:
        gt = np.full((arr.shape[0], 2), HAPLOID, dtype=np.int16)
        gt[:, 0] = arr[:, 0]
    else:
        gt = arr[:, :2].astype(np.int16)
    phased = arr[:, -1].astype(bool)
    top = gt.max(initial=-1)
    if top >= n_alleles:
        raise VcfError(f"genotype allele index {top} but the record has only {n_alleles - 1} ALT allele(s)",
                       path=path, where=f"record {v.CHROM}:{v.POS}",
                       hint="the GT field is corrupt; re-create the VCF")
    gt[gt < HAPLOID] = MISSING
    haploid = bool((gt[:, 1] == HAPLOID).any())
    # a haploid call whose only allele is missing stays missing
    return gt, phased, haploid


def _check_record(v, info: VcfInfo) -> None:
    """Refuse a record without REF (a line whose columns are not tab-separated).

    htslib parses such a line into a record with no alleles, and cyvcf2 crashes (segfault)
    on the first access to its REF, so it must be caught before anything reads it. A
    valid record always spans at least one base (``end > start``).
    """
    if v.end > v.start:
        return
    bad = _locate_bad_line(info)
    where = f"line {bad[0]}" if bad else f"record starting {v.CHROM[:40]!r}"
    raise VcfError("malformed record: no REF/ALT columns (fewer than 8 tab-separated columns)",
                   path=info.path, where=where,
                   hint="VCF columns must be separated by tabs, not spaces; check it with 'bcftools view'")


def _record_ps(v, n: int) -> np.ndarray:
    try:
        ps = v.format("PS")
    except (KeyError, Exception):
        ps = None
    if ps is None:
        return np.zeros(n, dtype=np.int64)
    ps = np.asarray(ps).reshape(n, -1)[:, 0]
    ps = np.where(ps < 0, 0, ps)  # missing PS (int32 min) -> none
    return ps.astype(np.int64)


def _ref_block_end(v) -> int | None:
    """END of a gVCF reference block (ALT only <NON_REF>/<*> or '.'), else None."""
    alts = v.ALT
    if alts and not all(a in NON_REF_ALLELES for a in alts):
        return None
    end = v.INFO.get("END")
    if end is None:
        return v.POS + len(v.REF) - 1
    try:
        return int(end)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------- site reading


class _SiteAccumulator:
    """Builds SiteGenotypes arrays record by record, merging split records at one site."""

    def __init__(self, sites: Sequence[Site], n: int) -> None:
        self.sites = list(sites)
        self.n = n
        self.by_pos: dict[tuple[str, int], list[int]] = {}
        for i, s in enumerate(self.sites):
            self.by_pos.setdefault((s.chrom, s.pos), []).append(i)
        self.alleles: list[list[str]] = [[s.ref] for s in self.sites]
        self.gt = np.full((len(self.sites), n, 2), MISSING, dtype=np.int16)
        self.phased = np.zeros((len(self.sites), n), dtype=bool)
        self.ps = np.zeros((len(self.sites), n), dtype=np.int64)
        self.status = np.zeros(len(self.sites), dtype=np.int8)
        self.seen = np.zeros(len(self.sites), dtype=bool)
        self.ref_mismatch: list[str] = []
        self.notes: list[str] = []
        # sorted positions per chromosome, for reference-block overlap
        self.sorted_pos: dict[str, list[int]] = {}
        for s in self.sites:
            self.sorted_pos.setdefault(s.chrom, []).append(s.pos)
        for v in self.sorted_pos.values():
            v.sort()

    def wants(self, chrom: str, pos: int, end: int | None) -> bool:
        if (chrom, pos) in self.by_pos:
            return True
        if end is None or end <= pos:
            return False
        plist = self.sorted_pos.get(chrom)
        if not plist:
            return False
        j = bisect.bisect_left(plist, pos)
        return j < len(plist) and plist[j] <= end

    def add_record(self, chrom: str, v, path: Path) -> None:
        pos = v.POS
        block_end = _ref_block_end(v)
        if block_end is not None:
            idx: list[int] = []
            plist = self.sorted_pos.get(chrom, [])
            lo = bisect.bisect_left(plist, pos)
            hi = bisect.bisect_right(plist, block_end)
            for p in sorted(set(plist[lo:hi])):
                idx.extend(self.by_pos[(chrom, p)])
            if not idx:
                return
            gt, phased, _ = _record_genotypes(v, path, 1 + len(v.ALT), self.n)
            gt = np.where(gt > 0, MISSING, gt)  # a call of <NON_REF> is not a known allele
            ps = _record_ps(v, self.n)
            for i in idx:
                self._merge(i, gt, phased, ps, SiteStatus.REF_BLOCK)
            return
        idx = self.by_pos.get((chrom, pos), [])
        if not idx:
            return
        rec_ref = v.REF.upper()
        alts = [a.upper() for a in v.ALT]
        gt, phased, _ = _record_genotypes(v, path, 1 + len(alts), self.n)
        ps = _record_ps(v, self.n)
        for i in idx:
            site = self.sites[i]
            codes = np.empty(1 + len(alts) + 2, dtype=np.int16)
            codes[-1] = MISSING  # index -1 -> missing
            codes[-2] = HAPLOID  # index -2 -> haploid marker
            ref_expr = reexpress(site.ref, rec_ref, rec_ref)
            if ref_expr is None:
                self.ref_mismatch.append(f"{site.key} (VCF REF {rec_ref}, expected {site.ref})")
                codes[0] = self._allele_code(i, f"{rec_ref}>{rec_ref}")
            else:
                codes[0] = 0 if ref_expr == site.ref else self._allele_code(i, ref_expr)
            for k, alt in enumerate(alts, start=1):
                if is_symbolic(alt):
                    codes[k] = MISSING
                    continue
                expr = reexpress(site.ref, rec_ref, alt) if ref_expr is not None else None
                codes[k] = self._allele_code(i, expr if expr is not None else f"{rec_ref}>{alt}")
            mapped = codes[gt]  # fancy index; -1/-2 map through the tail entries
            self._merge(i, mapped, phased, ps, SiteStatus.VARIANT)

    def _allele_code(self, i: int, allele: str) -> int:
        al = self.alleles[i]
        if allele not in al:
            al.append(allele)
        return al.index(allele)

    def _merge(self, i: int, gt: np.ndarray, phased: np.ndarray, ps: np.ndarray, status: SiteStatus) -> None:
        if not self.seen[i]:
            self.gt[i] = gt
            self.phased[i] = phased
            self.ps[i] = ps
            self.status[i] = status
            self.seen[i] = True
            return
        if status == SiteStatus.VARIANT:
            self.status[i] = SiteStatus.VARIANT
        cur = self.gt[i]
        cur_missing = (cur == MISSING).all(axis=1)
        new_missing = (gt == MISSING).all(axis=1)
        take = cur_missing & ~new_missing
        cur[take] = gt[take]
        self.phased[i][take] = phased[take]
        self.ps[i][take] = ps[take]
        both = np.flatnonzero(~cur_missing & ~new_missing & (gt > 0).any(axis=1))
        for s in both:  # only samples with a second non-reference record here: rare
            merged = _combine(cur[s], gt[s])
            if merged is None:
                self.notes.append(f"{self.sites[i].key}: conflicting records for one sample; set to missing")
                cur[s] = (MISSING, MISSING if cur[s][1] != HAPLOID else HAPLOID)
            else:
                cur[s] = merged

    def result(self, samples: Sequence[str]) -> SiteGenotypes:
        return SiteGenotypes(
            samples=tuple(samples),
            sites=tuple(self.sites),
            alleles=tuple(tuple(a) for a in self.alleles),
            gt=self.gt,
            phased=self.phased,
            ps=self.ps,
            status=self.status,
            notes=tuple(self.notes),
        )


def _combine(cur: np.ndarray, new: np.ndarray) -> np.ndarray | None:
    """Merge one sample's genotypes from two records at one site (split multi-allelics)."""
    out = cur.copy()
    for k in range(2):
        a = int(new[k])
        if a <= 0 or a in out:
            continue
        if out[k] in (0, MISSING):
            out[k] = a
        elif out[1 - k] in (0, MISSING):
            out[1 - k] = a
        else:
            return None
    return out


def read_site_genotypes(
    paths: Sequence[str | Path],
    sites: Sequence[Site],
    *,
    samples: Sequence[str] | None = None,
    build: str = "GRCh38",
    index_dir: Path | None = None,
) -> SiteGenotypes:
    """Genotypes of ``samples`` (default: all of the first file) at ``sites``, from one or more VCFs.

    Several paths hold one set of samples split by chromosome (or region); every
    path must contain every requested sample. Sites no record covers stay
    missing (``SiteStatus.ABSENT``) — never silently reference.
    """
    if not paths:
        raise VcfError("no VCF given")
    infos = [inspect_vcf(p) for p in paths]
    wanted = list(samples) if samples is not None else list(infos[0].samples)
    for info in infos:
        check_build(info, build)
        check_samples(info, wanted)
    acc = _SiteAccumulator(sites, len(wanted))
    for info in infos:
        _read_sites_from(info, wanted, acc, index_dir)
    if acc.ref_mismatch:
        n_var = int((acc.status == SiteStatus.VARIANT).sum())
        if len(acc.ref_mismatch) >= 5 and len(acc.ref_mismatch) > 0.5 * max(n_var, 1):
            raise BuildMismatchError(
                f"REF alleles differ from the {build} reference at {len(acc.ref_mismatch)} of {n_var} "
                f"pharmacogene positions (e.g. {acc.ref_mismatch[0]})",
                path=infos[0].path, hint="the VCF is probably on another build; check reference_build")
        acc.notes.extend(f"REF mismatch at {m}" for m in acc.ref_mismatch)
    return acc.result(wanted)


def _read_sites_from(info: VcfInfo, samples: list[str], acc: _SiteAccumulator, index_dir: Path | None) -> None:
    index = ensure_index(info, index_dir)
    vcf = _open(index or info.path, samples=samples)
    order = _sample_order(vcf, samples, info.path)
    cmap = _ChromMap(_seqnames(vcf) if index is not None else info.contigs)

    def feed(v) -> None:
        _check_record(v, info)
        chrom = canonical_chrom(v.CHROM)
        end = None
        if not v.ALT or all(a in NON_REF_ALLELES for a in v.ALT):
            end = _ref_block_end(v)
        if acc.wants(chrom, v.POS, end):
            acc.add_record(chrom, v if order is None else _Reordered(v, order), info.path)

    try:
        if index is not None:
            for chrom, plist in acc.sorted_pos.items():
                for name in cmap.vcf_name(chrom):
                    for start, end in _merge_windows([(p, p) for p in plist]):
                        for v in _query(vcf, f"{name}:{start}-{end}"):
                            feed(v)
        else:
            for v in vcf:
                feed(v)
    except VcfError:
        raise
    except Exception as exc:
        raise _reading_failed(info, exc) from None
    finally:
        vcf.close()


def _reading_failed(info: VcfInfo, exc: Exception) -> VcfError:
    """The error for a record htslib could not parse, naming the line when it can be found."""
    bad = _locate_bad_line(info)
    if bad is None:
        return VcfError(f"reading failed ({exc})", path=info.path,
                        hint="the file may be truncated or malformed; check it with 'bcftools view'")
    line_no, problem = bad
    return VcfError(f"malformed record: {problem}", path=info.path, where=f"line {line_no}",
                    hint="fix or remove the line (columns are tab-separated); check with 'bcftools view'")


def _locate_bad_line(info: VcfInfo) -> tuple[int, str] | None:
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


def _sample_order(vcf, samples: list[str], path: Path) -> np.ndarray | None:
    """Index array mapping cyvcf2's sample order to the requested order (None if equal)."""
    got = list(vcf.samples)
    if got == samples:
        return None
    try:
        return np.array([got.index(s) for s in samples], dtype=np.intp)
    except ValueError:
        raise VcfError("sample subset could not be selected", path=path) from None


class _Reordered:
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


# ---------------------------------------------------------------- variant iteration


def iter_variants(
    paths: Sequence[str | Path],
    *,
    samples: Sequence[str] | None = None,
    regions: Sequence[tuple[str, int, int]] | None = None,
    build: str = "GRCh38",
    index_dir: Path | None = None,
    info_keys: Sequence[str] = (),
) -> Iterator[VariantRecord]:
    """Every variant record (not reference blocks) of ``paths`` in ``regions`` (all when None).

    ``regions`` are ``(canonical chrom, start, end)``, 1-based inclusive. Streams in
    bounded memory; genotypes of the selected samples only. ``info_keys`` INFO
    fields (e.g. ``CSQ``, ``ANN``) are copied into ``VariantRecord.info``.
    """
    infos = [inspect_vcf(p) for p in paths]
    wanted = list(samples) if samples is not None else list(infos[0].samples)
    for info in infos:
        check_build(info, build)
        check_samples(info, wanted)
    for info in infos:
        yield from _iter_one(info, wanted, regions, index_dir, tuple(info_keys))


def _iter_one(info, wanted, regions, index_dir, info_keys) -> Iterator[VariantRecord]:
    index = ensure_index(info, index_dir) if regions is not None else None
    vcf = _open(index or info.path, samples=wanted)
    order = _sample_order(vcf, wanted, info.path)
    cmap = _ChromMap(_seqnames(vcf) if index is not None else info.contigs)
    by_chrom: dict[str, list[tuple[int, int]]] = {}
    for c, s, e in regions or ():
        by_chrom.setdefault(canonical_chrom(c), []).append((s, e))
    merged = {c: _merge_windows(w) for c, w in by_chrom.items()}
    starts = {c: [w[0] for w in ws] for c, ws in merged.items()}

    def inside(chrom: str, pos: int) -> bool:
        ws = merged.get(chrom)
        if not ws:
            return False
        j = bisect.bisect_right(starts[chrom], pos) - 1
        return j >= 0 and ws[j][0] <= pos <= ws[j][1]

    def make(v) -> VariantRecord | None:
        _check_record(v, info)
        alts = tuple(a.upper() for a in v.ALT)
        if not alts or all(a in NON_REF_ALLELES for a in alts):
            return None
        gt, phased, _ = _record_genotypes(v, info.path, 1 + len(alts), len(wanted))
        if order is not None:
            gt, phased = gt[order], phased[order]
        info_d = {}
        for k in info_keys:
            val = v.INFO.get(k)
            if val is not None:
                info_d[k] = val
        return VariantRecord(chrom=canonical_chrom(v.CHROM), pos=v.POS, ref=v.REF.upper(), alts=alts,
                             gt=gt, phased=phased, info=info_d, record_id=v.ID)

    seen: set[tuple[str, int, str, tuple[str, ...]]] = set()
    try:
        if regions is None:
            for v in vcf:
                rec = make(v)
                if rec is not None:
                    yield rec
        elif index is not None:
            for chrom, ws in merged.items():
                for name in cmap.vcf_name(chrom):
                    for start, end in ws:
                        for v in _query(vcf, f"{name}:{start}-{end}"):
                            if start > v.POS:  # overlapping from upstream: yielded by its own window
                                key = (chrom, v.POS, v.REF, tuple(v.ALT))
                                if key in seen or not inside(chrom, v.POS):
                                    continue
                                seen.add(key)
                            rec = make(v)
                            if rec is not None:
                                yield rec
        else:
            for v in vcf:
                if inside(canonical_chrom(v.CHROM), v.POS):
                    rec = make(v)
                    if rec is not None:
                        yield rec
    except VcfError:
        raise
    except Exception as exc:
        raise _reading_failed(info, exc) from None
    finally:
        vcf.close()
