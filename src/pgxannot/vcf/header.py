"""VCF headers: which kind of file it is, what its header says, and whether it fits the run."""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pgxannot.errors import BuildMismatchError, VcfError
from pgxannot.vcf.genome import build_from_contigs, build_from_reference_line, require_build
from pgxannot.vcf.handle import open_vcf
from pgxannot.vcf.model import VcfInfo

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
    dupes = sorted(s for s, n in Counter(samples).items() if n > 1)  # linear: biobank headers hold 10^5 names
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
        vcf = open_vcf(path)
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
    key: str | None = None
    buf: list[str] = []
    quoted = False
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
    require_build(build)
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


def checked_inputs(paths: Sequence[str | Path], samples: Sequence[str] | None,
                   build: str) -> tuple[list[VcfInfo], list[str]]:
    """Headers of ``paths``, each checked against ``build`` and holding every wanted sample
    (default: all samples of the first file), and the wanted samples."""
    infos = [inspect_vcf(p) for p in paths]
    wanted = list(samples) if samples is not None else list(infos[0].samples)
    for info in infos:
        check_build(info, build)
        check_samples(info, wanted)
    return infos, wanted
