"""One patient's report record: gene calls, drug guidance, findings, limitations,
assumptions and provenance, in the JSON form every renderer works from."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pgxannot import __version__
from pgxannot.config import SampleRow
from pgxannot.errors import ConfigError
from pgxannot.guidance.engine import GuidanceResult
from pgxannot.pgx.model import GeneCall
from pgxannot.report.model import InputFile, Report
from pgxannot.report.notices import knowledge_base_notices, sources_used
from pgxannot.risk.screen import RiskResult

SCHEMA_VERSION = "1.0"


def generated_at() -> str:
    """UTC time of this run; ``SOURCE_DATE_EPOCH`` pins it for reproducible reports."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise ConfigError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds") from None
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def inputs_of(r: SampleRow) -> list[tuple[str, str, Path]]:
    """Every input file of a sample as (role, name as given, resolved path): VCF(s), outside
    calls, CNV. The name is the sheet's own text (relative paths kept as written); an
    absolute path is reduced to its file name, so no report holds a machine path."""
    given_vcfs = [v.strip() for v in (r.raw.get("vcf") or "").split(";") if v.strip()]
    out = [("vcf", _as_given(given_vcfs[i] if i < len(given_vcfs) else "", p), p)
           for i, p in enumerate(r.vcfs)]
    for role, path in (("outside_calls", r.outside_calls), ("cnv", r.cnv)):
        if path is not None:
            out.append((role, _as_given(r.raw.get(role) or "", path), path))
    return out


def _as_given(text: str, resolved: Path) -> str:
    if not text or Path(text).is_absolute() or text.startswith("~"):
        return resolved.name
    return text


def public_config(value: Any) -> Any:
    """The run's config for provenance: every absolute path (sheet, FASTA, BED, knowledge-base
    home) becomes its file name; the resolved sample sheet (all patients) is left out."""
    if isinstance(value, Mapping):
        return {k: public_config(v) for k, v in value.items() if k != "sample_sheet"}
    if isinstance(value, list | tuple):
        return [public_config(v) for v in value]
    if isinstance(value, str) and (value.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", value)):
        return Path(value).name
    return value


def assemble_report(r: SampleRow, *, genes: Sequence[GeneCall], guidance: GuidanceResult, risk: RiskResult,
                    cfg: Mapping[str, Any], kb_versions: Mapping[str, Any], inputs: Sequence[InputFile],
                    generated: str, reader_notes: Sequence[str] = ()) -> Report:
    """The per-sample report dict (the JSON form every renderer works from).

    One patient per report: nothing in it names another patient of the job (no command
    line, no sample list, no sample sheet); ``inputs`` are this patient's files as
    ``{"role", "path" (as given), "sha256"}``.
    """
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
    analyses = dict(risk.analyses)
    return {
        "schema_version": SCHEMA_VERSION,
        "sample": r.sample,
        "patient": {
            "sex": r.sex,
            "medications": list(r.medications),
            "conditions": list(r.conditions),
            "tumor_type": r.tumor_type,
            "secondary_findings": r.secondary_findings,
            "indication": r.indication,
        },
        "genes": gene_dicts,
        "drugs": guidance.drugs,
        "medications": guidance.medications(),
        "findings": risk.findings,
        "her2_status": risk.her2_status,
        "analyses": analyses,
        "secondary_findings_status": risk.secondary_findings_status,
        "limitations": limitations,
        "assumptions": assumptions,
        "notices": knowledge_base_notices(kb_versions, generated_at=generated, used=sources_used(analyses)),
        "provenance": {
            "pgxannot_version": __version__,
            "knowledge_base": dict(kb_versions),
            "inputs": {"files": [InputFile(role=f["role"], path=f["path"], sha256=f["sha256"]) for f in inputs]},
            "config": public_config(cfg),
            "generated_at": generated,
        },
    }
