"""The annotation pipeline: one chunk of samples sharing VCF file(s) -> their reports.

Data flows one way: VCF -> genotype arrays (``vcf``) -> gene calls (``pgx``) ->
drug guidance (``guidance``) and findings (``risk``) -> one report record per
sample (``report.assemble``) -> renderers (``report.formats``). This module only
wires the stages together.

Every input of every sample is checked before the first report is written: a bad VCF
fails the chunk with one clear message, a patient's bad own file fails that patient (the
workflow then runs the others without it, see :mod:`pgxannot.failures`); a failed job
leaves no report behind.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pgxannot.chunks import chunk_members
from pgxannot.config import SampleRow, load_sample_sheet, sheet_entries
from pgxannot.effective_config import read_effective_config, select_samples
from pgxannot.errors import ConfigError, PatientsFailed, PgxannotError
from pgxannot.failures import clear_failures, record_failure
from pgxannot.files import fsync_dir
from pgxannot.guidance import GuidanceResult
from pgxannot.guidance.medications import sheet_medication_warnings
from pgxannot.guidance.sources import guide, medication_names, used_versions
from pgxannot.kb.resolve import KnowledgeBase, load_knowledge_base
from pgxannot.pgx import GeneCall, call_samples, merge_outside_calls, pgx_sites, read_outside_calls
from pgxannot.preflight import check_group
from pgxannot.progress import ProgressFile
from pgxannot.report.assemble import assemble_report, generated_at, inputs_of
from pgxannot.report.cohort_tables import ChunkParts
from pgxannot.report.common import unchanged
from pgxannot.report.formats import enabled_formats
from pgxannot.report.history import compare_history, keep_history, link_history
from pgxannot.report.io import StagedFiles, file_sha256
from pgxannot.report.text import render_json
from pgxannot.report.validation import validate_report
from pgxannot.risk.cnv import Segment, read_cnv
from pgxannot.risk.screen import RiskResult, annotate_risk
from pgxannot.risk.somatic import chemo_pgx_crossref
from pgxannot.sample_ids import file_stem
from pgxannot.splitting import known_digests
from pgxannot.vcf.sites import read_site_genotypes

log = logging.getLogger("pgxannot")


def annotate_samples(config_path: Path, samples: Sequence[str] | None, *, outdir: Path, index_dir: Path | None,
                     chunk: str | None = None, leave_out: Sequence[str] = (), parts: Path | None = None,
                     read_vcfs: Sequence[Path] = (), digests: Path | None = None, failed_dir: Path | None = None,
                     progress: Path | None = None) -> list[Path]:
    """Annotate ``samples`` (file names of samples sharing VCF file(s), see
    :mod:`pgxannot.sample_ids`), or the samples of ``chunk`` (see :mod:`pgxannot.chunks`)
    but those whose file names are in ``leave_out``; write their reports to ``outdir``.

    A problem of the VCF(s) fails the whole job. A problem of one patient's own input (a
    malformed outside-call or copy-number file, a report that cannot be assembled) is
    collected: every other patient is still checked, then :class:`PatientsFailed` names
    them all, each is recorded in ``failed_dir`` (the workflow runs the chunk again without
    them) and no report of the job is written. Used by the workflow: ``parts`` (a path prefix, e.g. ``results/work/parts/g001c001``):
    also write the chunk's cohort parts (``.cohort.jsonl``, ``.calls.tsv``: see
    :mod:`pgxannot.report.cohort_tables`) and ``.sha256``, the checksum lines of every report
    written, which the cohort and checksum jobs merge instead of reading every patient's
    files again. ``read_vcfs``: genotypes come from the chunk's split VCF(s) (see
    :mod:`pgxannot.splitting`); the reports still name the sheet's files, whose sha256 the
    split job recorded in ``digests``. ``progress``: patients done so far, for ``pgxannot run``.
    """
    t0 = time.perf_counter()
    cfg = read_effective_config(config_path)
    rows = _rows(cfg, samples, chunk, leave_out)
    build = cfg["reference_build"]
    tracker = ProgressFile(progress, len(rows))
    kb = load_knowledge_base(cfg.get("knowledge_base", {}))
    if cfg.get("medications_strict"):  # unknown medication names are an error before anything is read
        names = medication_names(kb.guidance, kb.tables.get("dpwg"), cfg["guidelines"])
        sheet_medication_warnings(rows, Path(cfg["sample_sheet"]), names, strict=True)
    vcfs = list(read_vcfs or rows[0].vcfs)
    ids = [r.sample for r in rows]
    log.info("annotating %d sample(s) from %s", len(ids), ", ".join(str(v) for v in vcfs))

    # 1. the VCF(s): header, samples, the build decided from the records, PGx regions reached
    check_group(vcfs, ids, build, index_dir=index_dir).raise_errors()
    # 2. every patient's own files, before any genotype is read
    outside, cnv = _patient_files(rows, cfg, failed_dir)

    # 3. pharmacogenes: one pass over the VCF(s) for every sample of the chunk
    sg = read_site_genotypes(vcfs, pgx_sites(build), samples=ids, build=build, index_dir=index_dir)
    calls = call_samples(sg, sexes={r.sample: r.sex for r in rows},
                         missing_as_reference=bool(cfg["missing_positions_as_reference"]), build=build)
    log.info("pharmacogenes called for %d sample(s) in %.1f s", len(ids), time.perf_counter() - t0)

    # 4. germline, copy-number and somatic findings (their own region queries)
    risk = annotate_risk(vcfs, rows, kb.risk, cnv=cnv, cfg=cfg, build=build, index_dir=index_dir)
    log.info("risk screen done in %.1f s", time.perf_counter() - t0)

    # 5. per-sample assembly and rendering; nothing is written until all renders succeeded
    job = _Chunk(cfg=cfg, kb=kb, outdir=outdir, reader_notes=sg.notes, generated=generated_at(),
                 hashes=known_digests(digests), parts=ChunkParts(links=_writes_html(cfg)) if parts else None)
    written = _write_reports(job, rows, _Genotyped(calls, outside, risk), tracker=tracker, t0=t0, parts=parts,
                             failed_dir=failed_dir)
    job.remember()
    if failed_dir is not None:
        clear_failures(failed_dir, rows)
    tracker.update(len(rows), force=True)
    log.info("wrote %d report file(s) for %d sample(s) in %.1f s", len(written), len(rows), time.perf_counter() - t0)
    return written


def _patient_files(rows: Sequence[SampleRow], cfg: Mapping[str, Any],
                   failed_dir: Path | None) -> tuple[dict[str, dict[str, GeneCall]], dict[str, list[Segment]]]:
    """Every patient's outside calls and copy-number segments; the patients whose files are
    bad fail together (:func:`_fail`) after all were read."""
    outside: dict[str, dict[str, GeneCall]] = {}
    cnv: dict[str, list[Segment]] = {}
    failures: dict[str, str] = {}
    for r in rows:
        try:
            if r.outside_calls is not None:
                outside[r.sample] = read_outside_calls(r.outside_calls)
            if r.cnv is not None:
                cnv[r.sample] = read_cnv(r.cnv, cfg["reference_build"], sample=r.sample)
        except PgxannotError as exc:
            failures[r.sample] = exc.one_line()
    _fail(failures, rows, cfg, failed_dir)
    return outside, cnv


def _fail(failures: Mapping[str, str], rows: Sequence[SampleRow], cfg: Mapping[str, Any],
          failed_dir: Path | None) -> None:
    """Record the failed patients and stop the job (no report of it is written)."""
    if not failures:
        return
    if failed_dir is not None:
        for r in rows:
            if r.sample in failures:
                record_failure(failed_dir, r, failures[r.sample], stage="job", cfg=cfg)
    raise PatientsFailed(failures)


@dataclass(frozen=True)
class _Genotyped:
    """What the stages before assembly found for the patients of a job."""

    calls: Mapping[str, list[GeneCall]]
    outside: Mapping[str, Mapping[str, GeneCall]]
    risk: Mapping[str, RiskResult]


def _write_reports(job: _Chunk, rows: Sequence[SampleRow], found: _Genotyped, *, tracker: ProgressFile, t0: float,
                   parts: Path | None, failed_dir: Path | None) -> list[Path]:
    """Render every patient's reports, each file staged in its folder as it is rendered
    (:class:`StagedFiles`), and the chunk's cohort parts; then rename them all into place.
    A patient whose report fails is collected; when any failed, they are recorded and the
    job stops with no file written (:func:`_fail`)."""
    failures: dict[str, str] = {}
    step = max(1, len(rows) // 10)
    with StagedFiles() as staged:
        for k, r in enumerate(rows, start=1):
            genes = merge_outside_calls(found.calls[r.sample], found.outside.get(r.sample, {}))
            try:
                files = job.render(r, genes, found.risk[r.sample])
            except PgxannotError as exc:
                failures[r.sample] = exc.one_line()
                files = []
            for path, text in files:
                staged.add(path, text)
            tracker.update(k)
            if k % step == 0 or k == len(rows):
                log.info("assembled and rendered %d/%d report(s) (%.1f s)", k, len(rows), time.perf_counter() - t0)
        _fail(failures, rows, job.cfg, failed_dir)
        if parts is not None and job.parts is not None:
            for path, text in _part_files(parts, job.parts, staged.sha256):
                staged.add(path, text)
        return staged.commit()


def _rows(cfg: Mapping[str, Any], samples: Sequence[str] | None, chunk: str | None,
          leave_out: Sequence[str]) -> list[SampleRow]:
    """The sheet rows a job annotates: ``samples`` (file names), or those of ``chunk`` but
    the file names ``leave_out`` (only the chunk's rows are validated: the workflow checked
    the whole sheet before it started the job)."""
    sheet = Path(cfg["sample_sheet"])
    if chunk is None:
        if not samples:
            raise ConfigError("no samples to annotate", hint="give --samples or --chunk")
        return select_samples(load_sample_sheet(sheet), samples, sheet)
    entries = sheet_entries(sheet)
    skip = set(leave_out)
    excluded = {e.sample for e in entries if skip and file_stem(e.sample) in skip}
    ids = [e.sample for e in chunk_members(entries, int(cfg["chunk_size"]), chunk, excluded)]
    return select_samples(load_sample_sheet(sheet, only=set(ids)), [file_stem(i) for i in ids], sheet)


def _writes_html(cfg: Mapping[str, Any]) -> bool:
    return any(f.name == "html" for f in enabled_formats(cfg))


def _part_files(prefix: Path, parts: ChunkParts, digests: Mapping[Path, str]) -> list[tuple[Path, str]]:
    """The chunk's cohort parts and the sha256 lines (``sha256sum`` format, paths relative to
    the working directory) of the reports written (path -> sha256)."""
    jsonl, tsv = parts.texts()
    sums = sorted((os.path.relpath(p), d) for p, d in digests.items())
    return [(Path(f"{prefix}.cohort.jsonl"), jsonl), (Path(f"{prefix}.calls.tsv"), tsv),
            (Path(f"{prefix}.sha256"), "".join(f"{d}  {rel}\n" for rel, d in sums))]


@dataclass
class _Chunk:
    """What every report of one chunk shares, and the caches across its samples."""

    cfg: Mapping[str, Any]
    kb: KnowledgeBase
    outdir: Path
    reader_notes: Sequence[str]
    generated: str
    hashes: dict[str, str] = field(default_factory=dict)  # input checksums (samples share VCFs)
    # samples with equal calls, medications and conditions share guidance
    guidance: dict[tuple[object, ...], GuidanceResult] = field(default_factory=dict)
    parts: ChunkParts | None = None  # the chunk's cohort parts, when the workflow asks for them
    # (sample, JSON text or None: its JSON report is written) to keep as history, for the
    # patients whose history is absent or differs: it serves the HTML's "changed since",
    # so only beside HTML
    history: list[tuple[str, str | None]] = field(default_factory=list)

    def remember(self) -> None:
        """Keep the JSON report of each patient given an HTML report as its history: a hard
        link to the report just written (no copy), or the JSON text when no JSON report is
        written."""
        folders = set()
        for sample, kept in self.history:  # only those whose history is absent or differs (compare_history)
            if kept is None:
                folders.add(link_history(self.outdir, sample, self.outdir / f"{file_stem(sample)}.json").parent)
            else:
                folders.add(keep_history(self.outdir, sample, kept).parent)
        for folder in sorted(folders):
            fsync_dir(folder)

    def render(self, r: SampleRow, genes: list[GeneCall], risk: RiskResult) -> list[tuple[Path, str | bytes]]:
        """Assemble, validate and render the reports of one sample (nothing written yet)."""
        conditions = (*r.conditions, r.indication or "")
        key = (tuple(genes), tuple(r.medications), conditions)
        guidance = self.guidance.get(key)
        if guidance is None:  # every selected guideline body (config guidelines: CPIC, DPWG)
            guidance = self.guidance[key] = guide(
                genes, r.medications, cpic=self.kb.guidance, dpwg=self.kb.tables.get("dpwg"),
                guidelines=self.cfg["guidelines"], conditions=conditions)
        report = assemble_report(
            r, genes=genes, guidance=guidance, risk=risk, cfg=self.cfg,
            kb_versions=used_versions(self.kb.versions, self.cfg["guidelines"]),
            inputs=[{"role": role, "path": given, "sha256": file_sha256(p, self.hashes)}
                    for role, given, p in inputs_of(r)], generated=self.generated,
            reader_notes=self.reader_notes,
        )
        if r.tumor_type or risk.analyses.get("somatic"):
            report["chemotherapy_pgx"] = chemo_pgx_crossref(report["findings"], report["genes"],
                                                            tumor_type=r.tumor_type)
        with unchanged(report):  # nothing below changes the report: its parts' keys are computed once
            validate_report(report)
            previous, update = compare_history(self.outdir, r.sample, report) if _writes_html(self.cfg) else (None, False)
            texts = {fmt.name: fmt.render_for(report, previous, self.cfg) for fmt in enabled_formats(self.cfg)}
            if self.parts is not None:
                tsv = texts.get("tsv")
                self.parts.add(report, tsv.decode("utf-8") if isinstance(tsv, bytes) else tsv)
        if "html" in texts and update:
            self.history.append((r.sample, None if "json" in texts else render_json(report)))
        return [(self.outdir / f"{r.file_stem}.{fmt.suffix}", texts[fmt.name]) for fmt in enabled_formats(self.cfg)]
