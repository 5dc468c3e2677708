"""One patient's report record: gene calls, drug guidance, findings, limitations,
assumptions and provenance, in the JSON form every renderer works from."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pgxannot import __version__
from pgxannot.config import SampleRow
from pgxannot.errors import ConfigError
from pgxannot.guidance.engine import GuidanceResult
from pgxannot.pgx.model import GeneCall
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


def inputs_of(r: SampleRow) -> list[Path]:
    """Every input file of a sample (VCFs, outside calls, CNV), for provenance checksums."""
    out = list(r.vcfs)
    out += [p for p in (r.outside_calls, r.cnv) if p is not None]
    return out


def assemble_report(r: SampleRow, *, genes: Sequence[GeneCall], guidance: GuidanceResult, risk: RiskResult,
                    cfg: Mapping[str, Any], kb_versions: Mapping[str, Any], inputs: Mapping[str, str],
                    generated: str, reader_notes: Sequence[str] = ()) -> dict:
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
