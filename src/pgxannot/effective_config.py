"""The effective config of a run: written once by the workflow (validated, defaults filled,
sample sheet resolved), read by every annotation job; and ``pgxannot check``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from pgxannot.config import (
    SampleRow,
    load_config,
    load_sample_sheet,
    resolve_samples_path,
    validate_config,
)
from pgxannot.errors import ConfigError, SampleSheetError
from pgxannot.files import write_atomic
from pgxannot.guidance.medications import sheet_medication_warnings
from pgxannot.guidance.sources import medication_names
from pgxannot.kb.resolve import load_knowledge_base, selectors


def write_effective_config(config: Mapping[str, Any], sheet: Path, output: Path) -> None:
    """Validate the workflow's config and write it (with the resolved sheet path) as JSON."""
    cfg = _with_sources(validate_config(config))
    cfg["sample_sheet"] = str(Path(sheet).resolve())
    write_atomic(output, json.dumps(cfg, indent=2, sort_keys=True) + "\n")


def read_effective_config(path: Path) -> dict[str, Any]:
    """The effective config a job runs with (JSON as the workflow writes it, or YAML),
    validated, with ``sample_sheet`` resolved."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the effective config ({exc.strerror})", path=path) from None
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    sheet = data.pop("sample_sheet", None)
    cfg = _with_sources(validate_config(data, source=str(path)))
    if sheet is None:
        sheet = str(resolve_samples_path(cfg))
    cfg["sample_sheet"] = sheet
    return cfg


def check_config(configfile: Path) -> str:
    """``pgxannot check``: validate a config and its sheet, say what a run would do."""
    cfg = _with_sources(load_config(configfile))
    sheet = resolve_samples_path(cfg)
    rows = load_sample_sheet(sheet)
    groups = {r.vcf_key for r in rows}
    kb = load_knowledge_base(cfg.get("knowledge_base", {}))
    warnings = sheet_medication_warnings(rows, sheet, medication_names(kb.guidance, kb.tables.get("dpwg"),
                                                                       cfg["guidelines"]),
                                         strict=bool(cfg.get("medications_strict")))  # guidance's check (#13)
    return "\n".join([*warnings, f"{configfile}: valid; {len(rows)} sample(s) in {sheet} reading {len(groups)} "
                                  f"VCF group(s); build {cfg['reference_build']}"])


def _with_sources(cfg: dict[str, Any]) -> dict[str, Any]:
    """``cfg`` with a ``knowledge_base`` selector for every downloadable source of the
    registry (the schema cannot list them: the registry is their one list)."""
    cfg["knowledge_base"] = selectors(cfg.get("knowledge_base") or {})
    return cfg


def select_samples(rows: Sequence[SampleRow], wanted: Sequence[str], sheet: Path) -> list[SampleRow]:
    """The sheet rows of ``wanted``, which one job annotates: they must share their VCF file(s)."""
    by_id = {r.sample: r for r in rows}
    missing = [s for s in wanted if s not in by_id]
    if missing:
        raise SampleSheetError(f"sample(s) {', '.join(missing)} not in the sample sheet", path=sheet)
    chosen = [by_id[s] for s in wanted]
    keys = {r.vcf_key for r in chosen}
    if len(keys) != 1:
        raise SampleSheetError("one annotation job needs samples that share their VCF file(s)", path=sheet)
    return chosen
