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
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pgxannot.config import SampleRow, load_sample_sheet
from pgxannot.effective_config import read_effective_config, select_samples
from pgxannot.errors import PatientsFailed, PgxannotError
from pgxannot.failures import clear_failures, record_failure
from pgxannot.guidance import GuidanceResult
from pgxannot.guidance.medications import sheet_medication_warnings
from pgxannot.guidance.sources import guide, medication_names, used_versions
from pgxannot.kb.resolve import KnowledgeBase, load_knowledge_base
from pgxannot.pgx import GeneCall, call_samples, merge_outside_calls, pgx_sites, read_outside_calls
from pgxannot.preflight import check_group
from pgxannot.progress import ProgressFile
from pgxannot.report.assemble import assemble_report, generated_at, inputs_of
from pgxannot.report.formats import enabled_formats
from pgxannot.report.history import previous_report, remember_report
from pgxannot.report.io import file_sha256, write_all_atomic
from pgxannot.report.validation import validate_report
from pgxannot.risk.cnv import Segment, read_cnv
from pgxannot.risk.screen import RiskResult, annotate_risk
from pgxannot.risk.somatic import chemo_pgx_crossref
from pgxannot.vcf.sites import read_site_genotypes

log = logging.getLogger("pgxannot")


def annotate_samples(config_path: Path, samples: Sequence[str], *, outdir: Path, index_dir: Path | None,
                     failed_dir: Path | None = None, progress: Path | None = None) -> list[Path]:
    """Annotate ``samples`` (file names of samples sharing VCF file(s)); write their reports.

    A problem of the VCF(s) fails the whole job. A problem of one patient's own input (a
    malformed outside-call or copy-number file, a report that cannot be assembled) is
    collected: every other patient is still checked, then :class:`PatientsFailed` names
    them all, each is recorded in ``failed_dir`` (the workflow runs the chunk again without
    them) and no report of the job is written.
    """
    t0 = time.perf_counter()
    cfg = read_effective_config(config_path)
    sheet = Path(cfg["sample_sheet"])
    rows = select_samples(load_sample_sheet(sheet), samples, sheet)
    build = cfg["reference_build"]
    tracker = ProgressFile(progress, len(rows))
    kb = load_knowledge_base(cfg.get("knowledge_base", {}))
    if cfg.get("medications_strict"):  # unknown medication names are an error before anything is read
        names = medication_names(kb.guidance, kb.tables.get("dpwg"), cfg["guidelines"])
        sheet_medication_warnings(rows, sheet, names, strict=True)
    vcfs = list(rows[0].vcfs)
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
    chunk = _Chunk(cfg=cfg, kb=kb, outdir=outdir, reader_notes=sg.notes, generated=generated_at())
    rendered = _render_all(chunk, rows, calls, outside, risk, tracker, t0)
    _fail(rendered.failures, rows, cfg, failed_dir)
    written = write_all_atomic(rendered.files)
    for r in rows:
        remember_report(outdir, r.sample)
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


@dataclass
class _Rendered:
    files: list[tuple[Path, str]] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def _render_all(chunk: _Chunk, rows: Sequence[SampleRow], calls: Mapping[str, list[GeneCall]],
                outside: Mapping[str, Mapping[str, GeneCall]], risk: Mapping[str, RiskResult],
                tracker: ProgressFile, t0: float) -> _Rendered:
    """Every patient's report files (in memory); a patient whose report fails is collected."""
    out = _Rendered()
    step = max(1, len(rows) // 10)
    for k, r in enumerate(rows, start=1):
        genes = merge_outside_calls(calls[r.sample], outside.get(r.sample, {}))
        try:
            out.files.extend(chunk.render(r, genes, risk[r.sample]))
        except PgxannotError as exc:
            out.failures[r.sample] = exc.one_line()
        tracker.update(k)
        if k % step == 0 or k == len(rows):
            log.info("assembled and rendered %d/%d report(s) (%.1f s)", k, len(rows), time.perf_counter() - t0)
    return out


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

    def render(self, r: SampleRow, genes: list[GeneCall], risk: RiskResult) -> list[tuple[Path, str]]:
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
        validate_report(report)
        previous = previous_report(self.outdir, r.sample, report)
        return [(self.outdir / f"{r.file_stem}.{fmt.suffix}", fmt.render(report, previous))
                for fmt in enabled_formats(self.cfg)]
