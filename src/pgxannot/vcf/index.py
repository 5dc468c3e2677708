"""Indexes for region queries: use the file's own, or build one (or an indexed BGZF copy)
in the work folder. The one place pysam is called."""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
from pathlib import Path

import pysam

from pgxannot.errors import VcfError
from pgxannot.vcf.model import VcfInfo

log = logging.getLogger(__name__)


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
        pysam.tabix_index(str(tmp_link), preset="bcf" if info.kind == "bcf" else "vcf",  # type: ignore[arg-type]
                          csi=True, keep_original=True, force=True)  # (pysam's stubs omit its "bcf" preset)
        if not Path(str(tmp_link) + ".csi").is_file():
            raise OSError("index was not written")
        os.replace(tmp, folder)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if Path(str(link) + ".csi").is_file():  # a concurrent run built it first
            return link
        log.warning("%s: could not build an index (%s); streaming the file instead", info.path, exc)
        return None
    except Exception as exc:  # pysam raises plain Exceptions for malformed files
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
        with opener(info.path, "rb") as src, pysam.BGZFile(str(tmp_copy), "wb", None) as dst:
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
