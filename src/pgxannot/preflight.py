"""Input checks before any report: ``pgxannot check``, the workflow before its first job,
and every annotation job.

They read the inputs, not just their names: each VCF's header (format, samples, GT,
contigs) and its records at the pharmacogene positions (index-based region queries
where there is an index), so that

* every sheet sample is in its VCF(s);
* the build is decided from the data (:func:`pgxannot.vcf.build.decide_build`: REF at
  the GRCh38 and GRCh37 pharmacogene positions), and a VCF of another build than
  ``reference_build`` is an error naming the file, the evidence and the fix, whatever its
  header says;
* a VCF whose records reach no pharmacogene region is an error, never a report of
  not-called genes;
* each patient's outside-call and copy-number files are parsed.

Problems of a VCF stop the run (every patient of the file would be wrong); problems of
one patient's own files fail that patient only (see :mod:`pgxannot.failures`).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pgxannot.config import SampleRow
from pgxannot.errors import BuildMismatchError, InputChecksFailed, PgxannotError, VcfError
from pgxannot.failures import FAILED_DIR, current_failures, sync_input_failures
from pgxannot.kb.pgx import report_genes, vcf_genes
from pgxannot.pgx import pgx_sites, read_outside_calls
from pgxannot.risk.cnv import read_cnv
from pgxannot.vcf.build import BuildCall, decide_build
from pgxannot.vcf.genome import BUILDS
from pgxannot.vcf.header import check_build, check_samples, inspect_vcf, sniff_kind
from pgxannot.vcf.model import Site, VcfInfo
from pgxannot.vcf.probe import GenotypeSummary, VcfProbe, probe_vcf

INDEX_DIR = Path("results") / "work" / "index"
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
# plain-gzip files up to this size are decompressed to their end by the checks (truncation)
GZIP_FULL_CHECK_BYTES = 64 << 20


@cache
def all_sites() -> dict[str, tuple[Site, ...]]:
    """Every pharmacogene position of each build (GRCh37: the mapped ones)."""
    return {b: tuple(pgx_sites(b)) for b in BUILDS}


@cache
def decision_sites() -> dict[str, tuple[Site, ...]]:
    """The positions that tell the builds apart: those not identical in both (chrM)."""
    keys = [{(s.chrom, s.pos, s.ref) for s in ss} for ss in all_sites().values()]
    common = set.intersection(*keys)
    return {b: tuple(s for s in ss if (s.chrom, s.pos, s.ref) not in common) for b, ss in all_sites().items()}


@cache
def _genes_at(build: str) -> dict[tuple[str, int], tuple[str, ...]]:
    out: dict[tuple[str, int], list[str]] = {}
    for g in report_genes():
        for s in pgx_sites(build, [g]):
            out.setdefault((s.chrom, s.pos), []).append(g)
    return {k: tuple(v) for k, v in out.items()}


# ------------------------------------------------------------------------ one VCF group


@dataclass
class GroupCheck:
    """The checks of the VCF file(s) one set of samples shares."""

    paths: tuple[Path, ...]
    build: str
    infos: list[VcfInfo] = field(default_factory=list)
    probes: list[VcfProbe] = field(default_factory=list)
    call: BuildCall | None = None  # pooled over the group's files
    errors: list[PgxannotError] = field(default_factory=list)

    def raise_errors(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InputChecksFailed([line for e in self.errors for line in e.lines()])

    @property
    def genes(self) -> tuple[str, ...]:
        """Genes with a record at one of their positions (the configured build)."""
        at = _genes_at(self.build)
        found = {g for p in self.probes for key in p.refs.get(self.build, {}) for g in at.get(key, ())}
        return tuple(g for g in vcf_genes() if g in found)

    def genotypes(self, sample: str) -> GenotypeSummary:
        total = GenotypeSummary()
        for p in self.probes:
            g = p.genotypes.get(sample)
            if g is not None:
                for k in vars(total):
                    setattr(total, k, getattr(total, k) + getattr(g, k))
        return total


def check_group(paths: Sequence[Path], samples: Sequence[str], build: str, *, index_dir: Path | None,
                genotypes: bool = False) -> GroupCheck:
    """Check the VCF(s) of ``samples``; problems are collected in ``errors``, not raised."""
    out = GroupCheck(tuple(Path(p) for p in paths), build)
    try:
        out.infos = [_header(p) for p in out.paths]
        for info in out.infos:
            check_build(info, build)
            _check_samples(info, samples)
        out.probes = [probe_vcf(i, all_sites(), main_build=build, index_dir=index_dir,
                                samples=samples if genotypes else ()) for i in out.infos]
    except PgxannotError as exc:
        out.errors.append(exc)
        return out
    out.call = decide_build(_pooled(out.probes))
    out.errors.extend(_build_errors(out, build))
    if not out.errors:
        out.errors.extend(_region_errors(out.probes, build))
    return out


def _header(path: Path) -> VcfInfo:
    """The header, checked; a compressed file is decompressed to its end only when a cheap
    test cannot tell it is complete (BGZF without its end-of-file block, small plain gzip)."""
    kind = sniff_kind(path)
    full = (kind in ("vcf.bgz", "bcf") and not _has_bgzf_eof(path)) or (
        kind == "vcf.gz" and path.stat().st_size <= GZIP_FULL_CHECK_BYTES)
    return inspect_vcf(path, check_integrity=full)


def _has_bgzf_eof(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.seek(-len(BGZF_EOF), os.SEEK_END)
            return fh.read() == BGZF_EOF
    except OSError:
        return False


def _common_start(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def closest_names(name: str, candidates: Sequence[str], n: int = 2) -> list[str]:
    """The ``n`` names most like ``name`` (difflib's ratio of at least 0.75); on a tie the
    longer common start first, then in sorted order: ``HG0096`` -> ``HG00096``, not
    ``HG04096`` (difflib alone breaks ties by the name, largest first)."""
    near = difflib.get_close_matches(name, candidates, n=max(10, n), cutoff=0.75)
    scored = [(difflib.SequenceMatcher(None, name, c).ratio(), _common_start(name, c), c)
              for c in near]
    return [c for *_, c in sorted(scored, key=lambda t: (-t[0], -t[1], t[2]))[:n]]


def _check_samples(info: VcfInfo, samples: Sequence[str]) -> None:
    """Every sample in the VCF; the error suggests close names (``BC-01``: ``BC-001``?)."""
    check_samples(info, [])  # FORMAT/GT declared
    have = set(info.samples)
    missing = [s for s in samples if s not in have]
    if not missing:
        return
    shown = ", ".join(info.samples[:10]) + (" ..." if len(info.samples) > 10 else "")
    close = []
    for s in missing[:5]:
        near = closest_names(s, info.samples)
        if near:
            close.append(f"{s} -> {' or '.join(near)}?")
    names = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
    raise VcfError(f"sample(s) {names} not in the VCF (it has: {shown or 'no samples'})"
                   + (f"; closest names: {', '.join(close)}" if close else ""),
                   path=info.path, hint="fix the 'sample' column of the sample sheet")


def _pooled(probes: Sequence[VcfProbe]) -> dict[str, list[tuple[str, str]]]:
    pooled: dict[str, list[tuple[str, str]]] = {b: [] for b in BUILDS}
    for p in probes:
        for b, pairs in p.observed(decision_sites()).items():
            pooled[b].extend(pairs)
    return pooled


def _files(paths: Sequence[Path]) -> str:
    names = [p.name for p in paths]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _build_errors(group: GroupCheck, build: str) -> list[PgxannotError]:
    """The build the records say against ``reference_build``: pooled over the group's files,
    then file by file (one sample's files on two builds)."""
    call = group.call
    assert call is not None
    first = group.paths[0]
    also = f" (files: {_files(group.paths)})" if len(group.paths) > 1 else ""
    if call.build is not None and call.build != build:
        return [_mismatch(call, build, first, also)]
    if call.verdict == "neither":
        t = call.tally(build)
        return [BuildMismatchError(
            f"REF alleles differ from the {build} reference at {t.compared - t.matching} of {t.compared} "
            f"pharmacogene positions, and match no other build either ({call.evidence()}){also}", path=first,
            hint="the REF column must hold the reference base: check reference_build and how the VCF was made "
                 "(bcftools norm --check-ref e)")]
    out: list[PgxannotError] = []
    for probe in group.probes if len(group.probes) > 1 else ():
        own = decide_build(probe.observed(decision_sites()))
        if own.build is not None and own.build != build:
            out.append(_mismatch(own, build, probe.info.path, ""))
    return out


def _mismatch(call: BuildCall, build: str, path: Path, also: str) -> BuildMismatchError:
    return BuildMismatchError(
        f"the records are {call.build}, but reference_build is {build}: {call.evidence()}{also}", path=path,
        hint=f"set 'reference_build: {call.build}' in config.yaml, or give a {build} VCF")


def _region_errors(probes: Sequence[VcfProbe], build: str) -> list[PgxannotError]:
    """A VCF (or a sample's set of files) that reaches no pharmacogene region."""
    if sum(p.records_in_regions for p in probes):
        return []
    first = probes[0].info.path
    also = f" (files: {_files([p.info.path for p in probes])})" if len(probes) > 1 else ""
    if not any(p.has_records for p in probes):
        return [VcfError(f"the VCF has a header but no records{also}", path=first,
                         hint="give the patient's variant calls; an empty VCF cannot be annotated")]
    return [VcfError(f"none of the VCF's records lies in a pharmacogene region ({build} coordinates): "
                     f"wrong build or a VCF filtered to other regions?{also}", path=first,
                     hint="give a VCF that covers the pharmacogenes (whole genome, exome or a PGx panel) "
                          "on the build set as reference_build")]


# ---------------------------------------------------------------------------- patients


def check_patient(row: SampleRow, build: str) -> tuple[str, ...]:
    """Parse the patient's own files (outside calls, copy number); the outside-called genes."""
    genes: tuple[str, ...] = ()
    if row.outside_calls is not None:
        genes = tuple(sorted(read_outside_calls(row.outside_calls)))
    if row.cnv is not None:
        read_cnv(row.cnv, build, sample=row.sample)
    return genes


@dataclass
class InputCheck:
    """Every check of a run: what stops it, which patients fail, one line per patient."""

    build: str
    groups: dict[tuple[str, ...], GroupCheck] = field(default_factory=dict)
    run_errors: list[str] = field(default_factory=list)
    patient_errors: dict[str, str] = field(default_factory=dict)
    outside: dict[str, tuple[str, ...]] = field(default_factory=dict)


def check_inputs(cfg: Mapping[str, Any], rows: Sequence[SampleRow], *, index_dir: Path | None,
                 genotypes: bool = False) -> InputCheck:
    """Check every VCF group and every patient's own files of a run."""
    build = str(cfg["reference_build"])
    result = InputCheck(build)
    by_group: dict[tuple[str, ...], list[SampleRow]] = {}
    for r in rows:
        by_group.setdefault(r.vcf_key, []).append(r)
    for key, members in by_group.items():
        g = check_group(members[0].vcfs, [r.sample for r in members], build, index_dir=index_dir,
                        genotypes=genotypes)
        result.groups[key] = g
        result.run_errors.extend(line for e in g.errors for line in e.lines())
    for r in rows:
        try:
            result.outside[r.sample] = check_patient(r, build)
        except PgxannotError as exc:
            result.patient_errors[r.sample] = exc.one_line()
    return result


# ------------------------------------------------------------------------ the workflow


@dataclass(frozen=True)
class WorkflowPlan:
    """The patients the workflow annotates, and those it leaves out (sample -> why)."""

    rows: tuple[SampleRow, ...]
    excluded: dict[str, str]


def plan_workflow(cfg: Mapping[str, Any], rows: Sequence[SampleRow], *, root: Path, check: bool,
                  record: bool) -> WorkflowPlan:
    """What the workflow runs. ``check``: run the input checks first (the main Snakemake
    process; raises :class:`InputChecksFailed` on problems that stop the run) and, with
    ``record``, remember the failing patients for the jobs (cluster jobs parse the workflow
    again without checking: they read the records). ``root`` is the working directory."""
    folder = root / FAILED_DIR
    recorded = current_failures(folder, rows, cfg)
    excluded: dict[str, str] = {}
    if check:
        result = check_inputs(cfg, rows, index_dir=root / INDEX_DIR)
        if result.run_errors:
            raise InputChecksFailed(result.run_errors)
        if record:
            sync_input_failures(folder, rows, result.patient_errors, cfg)
        recorded = {s: f for s, f in recorded.items() if f.stage != "input"}
        excluded.update(result.patient_errors)
    excluded.update({s: f.message for s, f in recorded.items() if s not in excluded})
    ordered = {r.sample: excluded[r.sample] for r in rows if r.sample in excluded}
    return WorkflowPlan(tuple(r for r in rows if r.sample not in ordered), ordered)


# ------------------------------------------------------------------- pgxannot check


def _phasing(g: GenotypeSummary) -> str:
    if not g.diploid:
        return "no diploid call at the first PGx positions"
    if g.phased == g.diploid:
        return "phased"
    if not g.phased:
        return "unphased"
    return f"{100 * g.phased / g.diploid:.0f}% phased"


def _chr_x(g: GenotypeSummary, sex: str) -> str:
    if not g.x_haploid and not g.x_diploid:
        return "chrX: no call"
    text = "chrX haploid" if g.x_haploid and not g.x_diploid else (
        "chrX diploid" if not g.x_haploid else "chrX haploid and diploid calls")
    if sex == "male" and g.x_het:
        text += " (heterozygous calls although sex is male)"
    elif sex == "female" and g.x_haploid:
        text += " (haploid calls although sex is female)"
    elif sex == "unknown" and g.x_het == 0 and g.x_haploid:
        text += " (set sex: male or female in the sheet for G6PD)"
    return text


def sample_line(row: SampleRow, result: InputCheck) -> str:
    """One line of what a run will call for ``row`` (``pgxannot check``)."""
    if row.sample in result.patient_errors:
        return f"{row.sample}: NOT REPORTED: {result.patient_errors[row.sample]}"
    group = result.groups[row.vcf_key]
    if group.errors:
        if any(row.sample not in i.samples for i in group.infos):
            return f"{row.sample}: not in its VCF (see the error below)"
        return f"{row.sample}: not checked further: its VCF has a problem (see the error below)"
    assert group.call is not None
    n = len(group.paths)
    gvcf = ", gVCF" if any(p.ref_blocks for p in group.probes) else ""
    how = result.build + (" from the records" if group.call.build else " as configured (the records do not tell)")
    genes = group.genes
    missing = [g for g in vcf_genes() if g not in genes]
    parts = [f"{n} VCF{'s' if n > 1 else ''}{gvcf}", f"{how}: {group.call.evidence()}",
             f"{len(genes)}/{len(vcf_genes())} VCF genes with records"
             + (f" (none: {', '.join(missing)})" if missing else "")]
    g = group.genotypes(row.sample)
    parts += [_phasing(g), _chr_x(g, row.sex), f"sex {row.sex}"]
    if result.outside.get(row.sample):
        parts.append(f"outside calls: {', '.join(result.outside[row.sample])}")
    if row.cnv is not None:
        parts.append("copy number: yes")
    parts.append(f"{len(row.medications)} medication(s)")
    name = row.sample if row.file_stem == row.sample else f"{row.sample} (files {row.file_stem}.*)"
    return f"{name}: " + "; ".join(parts)
