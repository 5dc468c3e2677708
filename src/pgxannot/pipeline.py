"""The annotation pipeline: one chunk of samples sharing VCF file(s) -> their reports.

Data flows one way: VCF -> genotype arrays (``vcf``) -> gene calls (``pgx``) ->
drug guidance (``guidance``) and findings (``risk``) -> one report dict per
sample -> renderers (``report``). This module only wires the stages together and
does the I/O at the edges (reading inputs, atomic writes).

Every input of every sample is checked before the first report is written, so a
bad input fails the chunk with one clear message and leaves no report behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from pgxannot import __version__
from pgxannot.config import SampleRow, load_config, load_sample_sheet, validate_config
from pgxannot.errors import ConfigError, OutputError, PgxannotError, SampleSheetError
from pgxannot.report.io import write_all_atomic, write_atomic

log = logging.getLogger("pgxannot")

SCHEMA_VERSION = "1.0"
HISTORY_DIR = "history"  # under the results folder: last report per sample, for "changed since"


# ------------------------------------------------------------------------- config


def write_effective_config(config: Mapping[str, Any], sheet: Path, output: Path) -> None:
    """Validate the workflow's config and write it (with the resolved sheet path) as JSON."""
    cfg = validate_config(config)
    cfg["sample_sheet"] = str(Path(sheet).resolve())
    write_atomic(output, json.dumps(cfg, indent=2, sort_keys=True) + "\n")


def read_effective_config(path: Path) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the effective config ({exc.strerror})", path=path) from None
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    sheet = data.pop("sample_sheet", None)
    cfg = validate_config(data, source=str(path))
    if sheet is None:
        from pgxannot.config import resolve_samples_path

        sheet = str(resolve_samples_path(cfg))
    cfg["sample_sheet"] = sheet
    return cfg


def check_config(configfile: Path) -> str:
    """``pgxannot check``: validate a config and its sheet, say what a run would do."""
    from pgxannot.config import resolve_samples_path

    cfg = load_config(configfile)
    sheet = resolve_samples_path(cfg)
    rows = load_sample_sheet(sheet)
    groups = {r.vcf_key for r in rows}
    return (f"{configfile}: valid; {len(rows)} sample(s) in {sheet} reading {len(groups)} VCF group(s); "
            f"build {cfg['reference_build']}")


# ---------------------------------------------------------------------- knowledge


@dataclass(frozen=True)
class KnowledgeBase:
    """Every table a run uses, loaded once per job, with the versions for provenance."""

    guidance: Any
    risk: Any
    versions: dict[str, Any]


def load_knowledge_base(cfg: Mapping[str, Any]) -> KnowledgeBase:
    from pgxannot.kb import resolve

    return resolve.load_all(cfg.get("knowledge_base", {}))


# ----------------------------------------------------------------------- samples


def _sha256(path: Path, cache: dict[str, str]) -> str:
    key = str(path)
    if key not in cache:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        cache[key] = h.hexdigest()
    return cache[key]


def _select(rows: Sequence[SampleRow], wanted: Sequence[str], sheet: Path) -> list[SampleRow]:
    by_id = {r.sample: r for r in rows}
    missing = [s for s in wanted if s not in by_id]
    if missing:
        raise SampleSheetError(f"sample(s) {', '.join(missing)} not in the sample sheet", path=sheet)
    chosen = [by_id[s] for s in wanted]
    keys = {r.vcf_key for r in chosen}
    if len(keys) != 1:
        raise SampleSheetError("one annotation job needs samples that share their VCF file(s)", path=sheet)
    return chosen


def generated_at() -> str:
    """UTC time of this run; ``SOURCE_DATE_EPOCH`` pins it for reproducible reports."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise ConfigError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds") from None
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def annotate_samples(config_path: Path, samples: Sequence[str], *, outdir: Path, index_dir: Path | None) -> list[Path]:
    """Annotate ``samples`` (sharing VCF file(s)) and write their reports to ``outdir``."""
    from pgxannot.guidance import guidance_for
    from pgxannot.pgx import call_samples, merge_outside_calls, pgx_sites, read_outside_calls
    from pgxannot.report import render_fhir, render_html, render_json, render_tsv, validate_report
    from pgxannot.risk.somatic import chemo_pgx_crossref
    from pgxannot.vcf.sites import read_site_genotypes

    t0 = time.perf_counter()
    cfg = read_effective_config(config_path)
    sheet = Path(cfg["sample_sheet"])
    rows = _select(load_sample_sheet(sheet), samples, sheet)
    build = cfg["reference_build"]
    kb = load_knowledge_base(cfg)
    vcfs = list(rows[0].vcfs)
    ids = [r.sample for r in rows]
    log.info("annotating %d sample(s) from %s", len(ids), ", ".join(str(v) for v in vcfs))

    # 1. every per-sample input is checked before any genotype is read or report written
    outside = {r.sample: read_outside_calls(r.outside_calls) for r in rows if r.outside_calls}
    cnv = read_cnv_inputs(rows, build)

    # 2. pharmacogenes: one pass over the VCF(s) for every sample of the chunk
    sg = read_site_genotypes(vcfs, pgx_sites(build), samples=ids, build=build, index_dir=index_dir)
    calls = call_samples(sg, sexes={r.sample: r.sex for r in rows},
                         missing_as_reference=bool(cfg["missing_positions_as_reference"]), build=build)
    log.info("pharmacogenes called for %d sample(s) in %.1f s", len(ids), time.perf_counter() - t0)

    # 3. germline, copy-number and somatic findings (their own region queries)
    risk = annotate_risk(vcfs, rows, kb.risk, cnv=cnv, cfg=cfg, build=build, index_dir=index_dir)
    log.info("risk screen done in %.1f s", time.perf_counter() - t0)

    # 4. per-sample assembly and rendering; nothing is written until all renders succeeded
    hashes: dict[str, str] = {}
    stamp = generated_at()
    rendered: list[tuple[Path, str]] = []
    guidance_cache: dict[tuple, Any] = {}  # samples with equal calls and medications share guidance
    step = max(1, len(rows) // 10)
    for k, r in enumerate(rows, start=1):
        genes = merge_outside_calls(calls[r.sample], outside.get(r.sample, {}))
        key = (tuple(genes), r.medications)
        guidance = guidance_cache.get(key)
        if guidance is None:
            guidance = guidance_cache[key] = guidance_for(genes, r.medications, kb=kb.guidance)
        sample_risk = risk[r.sample]
        report = assemble_report(
            r, genes=genes, guidance=guidance, risk=sample_risk, cfg=cfg, kb_versions=kb.versions,
            inputs={str(p): _sha256(p, hashes) for p in _inputs_of(r)}, generated=stamp,
            reader_notes=sg.notes,
        )
        if r.tumor_type or sample_risk.analyses.get("somatic"):
            report["chemotherapy_pgx"] = chemo_pgx_crossref(report["findings"], report["genes"],
                                                            tumor_type=r.tumor_type)
        validate_report(report)
        previous = _previous_report(outdir, r.sample, report)
        rendered.append((outdir / f"{r.sample}.json", render_json(report)))
        rendered.append((outdir / f"{r.sample}.tsv", render_tsv(report)))
        rendered.append((outdir / f"{r.sample}.html", render_html(report, previous=previous)))
        if cfg.get("fhir", True):
            rendered.append((outdir / f"{r.sample}.fhir.json", render_fhir(report)))
        if k % step == 0 or k == len(rows):
            log.info("assembled and rendered %d/%d report(s) (%.1f s)", k, len(rows), time.perf_counter() - t0)
    written = write_all_atomic(rendered)
    for r in rows:
        _remember_report(outdir, r.sample)
    log.info("wrote %d report file(s) for %d sample(s) in %.1f s", len(written), len(rows), time.perf_counter() - t0)
    return written


def _inputs_of(r: SampleRow) -> list[Path]:
    out = list(r.vcfs)
    out += [p for p in (r.outside_calls, r.cnv) if p is not None]
    return out


def assemble_report(r: SampleRow, *, genes, guidance, risk, cfg: Mapping[str, Any], kb_versions: Mapping[str, Any],
                    inputs: Mapping[str, str], generated: str, reader_notes: Sequence[str] = ()) -> dict:
    """The per-sample report dict (the JSON form every renderer works from)."""
    gene_dicts = [g.to_dict() for g in genes]
    limitations: list[str] = []
    for g in genes:
        if g.status == "not_called":
            limitations.append(f"{g.gene} not called: {g.reason or 'no data'}")
        elif g.status == "ambiguous":
            limitations.append(f"{g.gene} ambiguous ({len(g.candidates)} candidate diplotypes): {g.reason or ''}".rstrip(": "))
    limitations.extend(risk.limitations)
    assumptions: list[str] = []
    if cfg.get("missing_positions_as_reference"):
        assumptions.append("Pharmacogene positions absent from the VCF were assumed homozygous reference "
                           "(missing_positions_as_reference: true).")
    for g in genes:
        for w in g.warnings:
            msg = f"{g.gene}: {w}"
            if msg not in assumptions:
                assumptions.append(msg)
    assumptions.extend(risk.assumptions)
    assumptions.extend(f"VCF reader: {n}" for n in reader_notes)
    cfg_public = {k: v for k, v in cfg.items() if k != "sample_sheet"}
    return {
        "schema_version": SCHEMA_VERSION,
        "sample": r.sample,
        "patient": {
            "sex": r.sex,
            "medications": list(r.medications),
            "tumor_type": r.tumor_type,
            "secondary_findings": r.secondary_findings,
            "indication": r.indication,
        },
        "genes": gene_dicts,
        "drugs": guidance.drugs,
        "medications": {"recognized": list(guidance.recognized), "not_recognized": list(guidance.not_recognized)},
        "findings": risk.findings,
        "her2_status": risk.her2_status,
        "analyses": dict(risk.analyses),
        "secondary_findings_status": risk.secondary_findings_status,
        "limitations": limitations,
        "assumptions": assumptions,
        "provenance": {
            "pgxannot_version": __version__,
            "knowledge_base": dict(kb_versions),
            "inputs": {"sample_sheet": str(cfg.get("sample_sheet")), "files": dict(inputs)},
            "config": cfg_public,
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
            "generated_at": generated,
        },
    }


# ------------------------------------------------------------------ risk stage


@dataclass
class RiskResult:
    """Findings of one sample and what the screens could and could not do."""

    findings: list[dict]
    her2_status: str | None
    secondary_findings_status: str
    analyses: dict[str, bool]
    limitations: list[str]
    assumptions: list[str]


_TUMOUR_ORIGIN_NOTE = ("Seen in a tumour sample without a matched normal: germline origin is not "
                       "established; confirm in a blood or saliva sample before acting on it. ")


def read_cnv_inputs(rows: Sequence[SampleRow], build: str) -> dict[str, list]:
    from pgxannot.risk.cnv import read_cnv

    return {r.sample: read_cnv(r.cnv, build, sample=r.sample) for r in rows if r.cnv is not None}


def annotate_risk(vcfs: Sequence[Path], rows: Sequence[SampleRow], kb: Any, *, cnv: Mapping[str, list],
                  cfg: Mapping[str, Any], build: str, index_dir: Path | None) -> dict[str, RiskResult]:
    """Germline ClinVar screen (one streamed pass over the gene regions for all samples),
    copy number from each sample's CNV file, and somatic evidence for tumour samples."""
    from pgxannot.risk.cnv import copy_number_findings, is_her2_tumour
    from pgxannot.risk.germline import (
        germline_limitations,
        germline_regions,
        indication_genes_from_text,
        screen_germline,
    )
    from pgxannot.risk.somatic import somatic_findings
    from pgxannot.vcf.variants import iter_variants

    ids = [r.sample for r in rows]
    germ_cfg = cfg.get("germline", {})
    germline_ok = kb.clinvar_build == build
    germline: dict[str, list[dict]] = {}
    if germline_ok:
        regions = germline_regions(kb, germ_cfg.get("extra_genes", ()), germ_cfg.get("regions_bed"))
        fasta = _open_fasta(germ_cfg.get("reference_fasta"))
        records = iter_variants(vcfs, samples=ids, regions=regions, build=build, index_dir=index_dir)
        germline = screen_germline(
            records, ids, kb,
            secondary_findings={r.sample: r.secondary_findings for r in rows},
            indication_genes={r.sample: indication_genes_from_text(r.indication, kb) for r in rows},
            sex={r.sample: r.sex for r in rows}, fasta=fasta, build=build,
        )
    else:
        log.warning("germline screen skipped: the ClinVar table is %s, the run is %s", kb.clinvar_build, build)
    cn_cfg = cfg.get("copy_number", {})
    out: dict[str, RiskResult] = {}
    for i, r in enumerate(rows):
        findings = list(germline.get(r.sample, []))
        if r.tumor_type:
            # a tumour VCF without a matched normal: a ClinVar-pathogenic hit may be somatic
            findings = [{**f, "interpretation": _TUMOUR_ORIGIN_NOTE + str(f.get("interpretation") or "")}
                        for f in findings]
        if germline_ok:
            limitations = germline_limitations(kb, secondary_findings=r.secondary_findings)
        else:
            limitations = [f"Germline screen not performed: the ClinVar table in use is {kb.clinvar_build} and "
                           f"this run is {build}. Install and select a {build} ClinVar release "
                           "(pgxannot kb update clinvar --url ...; knowledge_base.clinvar) to screen it."]
        assumptions: list[str] = []
        her2: str | None = None
        analyses = {"germline": germline_ok, "copy_number": r.cnv is not None, "somatic": bool(r.tumor_type)}
        if r.cnv is not None:
            cn_findings, her2 = copy_number_findings(
                cnv[r.sample], kb, ploidy=cn_cfg.get("ploidy"),
                amp_threshold=float(cn_cfg.get("amplification_cn", 5)),
                amp_ploidy_factor=float(cn_cfg.get("amplification_ploidy_factor", 2.5)),
                tumor_type=r.tumor_type, build=build)
            findings.extend(cn_findings)
        elif is_her2_tumour(r.tumor_type):
            her2 = "not assessed"
            limitations.append("HER2 (ERBB2) copy number not assessed: no copy-number file was given "
                               "(sample sheet column 'cnv').")
        if r.tumor_type:
            tumour_records = iter_variants(vcfs, samples=ids, build=build, index_dir=index_dir,
                                           info_keys=("CSQ", "ANN"))
            findings.extend(somatic_findings(tumour_records, kb, tumor_type=r.tumor_type, sample_index=i,
                                             build=build))
            assumptions.append("Somatic evidence (CIViC) was matched on every variant of the sample's VCF; "
                               "germline and somatic origin are not distinguished without a matched normal.")
        out[r.sample] = RiskResult(
            findings=findings, her2_status=her2,
            secondary_findings_status="reported" if r.secondary_findings else "not analysed on request",
            analyses=analyses, limitations=limitations, assumptions=assumptions)
    return out


def _open_fasta(path: str | None):
    if not path:
        return None
    import pysam

    from pgxannot.errors import InputFileError

    try:
        return pysam.FastaFile(str(path))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"reference FASTA cannot be opened ({exc})", path=path,
                             hint="give a bgzipped or plain FASTA with its .fai index (samtools faidx)") from None


# ------------------------------------------------------------- report history


def _history_path(outdir: Path, sample: str) -> Path:
    return outdir.parent / HISTORY_DIR / f"{sample}.json"


def _previous_report(outdir: Path, sample: str, new: Mapping[str, Any]) -> dict | None:
    """The last report of ``sample`` when its content differs from ``new`` (else None)."""
    path = _history_path(outdir, sample)
    if not path.is_file():
        return None
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("%s: previous report unreadable; no comparison made", path)
        return None
    strip = lambda d: {k: v for k, v in d.items() if k != "provenance"}  # noqa: E731
    return None if strip(old) == strip(dict(new)) else old


def _remember_report(outdir: Path, sample: str) -> None:
    src = outdir / f"{sample}.json"
    dst = _history_path(outdir, sample)
    if dst.is_file():
        try:
            old = json.loads(dst.read_text(encoding="utf-8"))
            new = json.loads(src.read_text(encoding="utf-8"))
            old.pop("provenance", None)
            new.pop("provenance", None)
            if old == new:
                return
        except (OSError, ValueError):
            pass
    write_atomic(dst, src.read_text(encoding="utf-8"))


# --------------------------------------------------------------- cohort, diff, sums


def write_cohort(reports: Sequence[Path], *, html: Path, tsv: Path, reports_dir: Path) -> None:
    """Cohort page and call table, streaming: one report in memory at a time.

    ``calls.tsv`` is written row block by row block; the summary page gets a slim view
    of each report (gene calls, current-medication drugs, high-risk findings), so
    memory stays bounded by the page's content, not by the cohort's reports.
    """
    import tempfile

    from pgxannot.report import render_cohort
    from pgxannot.report.text import format_tsv, tsv_rows

    slim: list[dict] = []
    tsv.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{tsv.name}.", suffix=".tmp", dir=tsv.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            for i, p in enumerate(sorted(reports)):
                try:
                    d = json.loads(Path(p).read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise OutputError(f"report cannot be read ({exc})", path=p) from None
                block = format_tsv(tsv_rows(d))
                out.write(block if i == 0 else block.split("\n", 1)[1])
                slim.append(_slim_for_cohort(d))
        os.replace(tmp, tsv)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    links = {d["sample"]: os.path.relpath(reports_dir / f"{d['sample']}.html", html.parent) for d in slim}
    page, _ = render_cohort(slim, report_links=links)
    write_atomic(html, page)


_COHORT_GENE_KEYS = ("gene", "status", "diplotypes", "phenotype", "activity_score", "missing_positions", "source")


def _slim_for_cohort(d: Mapping[str, Any]) -> dict:
    """What the cohort page shows of one report (keeps memory flat for large cohorts)."""
    prov = d.get("provenance") or {}
    return {
        "sample": d.get("sample"),
        "her2_status": d.get("her2_status"),
        "genes": [{k: g.get(k) for k in _COHORT_GENE_KEYS} for g in d.get("genes") or []],
        "drugs": [x for x in d.get("drugs") or [] if x.get("current_medication")],
        "findings": [f for f in d.get("findings") or [] if f.get("high_risk")],
        "provenance": {"knowledge_base": prov.get("knowledge_base"), "generated_at": prov.get("generated_at")},
    }


def write_checksums(files: Sequence[Path], *, base: Path, output: Path) -> None:
    """``sha256  path`` lines (sha256sum format), sorted by path."""
    cache: dict[str, str] = {}
    lines = []
    for f in sorted({Path(p) for p in files}, key=str):
        rel = os.path.relpath(f, base)
        lines.append(f"{_sha256(f, cache)}  {rel}")
    write_atomic(output, "\n".join(lines) + "\n")


def diff_files(old: Path, new: Path, *, as_json: bool = False) -> str:
    from pgxannot.report import diff_reports

    docs = []
    for p in (old, new):
        try:
            docs.append(json.loads(Path(p).read_text(encoding="utf-8")))
        except OSError as exc:
            raise OutputError(f"cannot read report ({exc.strerror})", path=p) from None
        except ValueError as exc:
            raise OutputError(f"not a JSON report ({exc})", path=p) from None
    changes = diff_reports(docs[0], docs[1])
    if as_json:
        return json.dumps(changes, indent=2, ensure_ascii=False) + "\n"
    if not changes:
        return "no changes\n"
    return "".join(f"{c.get('section', '')}\t{c.get('change', '')}\t{c.get('item', '')}\t{c.get('detail', '')}\n"
                   for c in changes)


__all__ = [
    "PgxannotError",
    "annotate_samples",
    "assemble_report",
    "check_config",
    "diff_files",
    "write_checksums",
    "write_cohort",
    "write_effective_config",
]
