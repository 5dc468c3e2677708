"""The effective config of a run: written once by the workflow (validated, defaults filled,
sample sheet resolved), read by every annotation job; and ``pgxannot check``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

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
from pgxannot.kb import registry
from pgxannot.kb.resolve import selected_dirs, selectors
from pgxannot.preflight import INDEX_DIR, check_inputs, sample_line
from pgxannot.report.formats import enabled_formats


def write_sample_files(sheet: Path, output: Path) -> None:
    """``results/work/sample_files.tsv``: each sample id and the name of its output files."""
    rows = load_sample_sheet(sheet)
    write_atomic(output, "sample\tfiles\n" + "".join(f"{r.sample}\t{r.file_stem}\n" for r in rows))


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


@dataclass(frozen=True)
class CheckOutcome:
    """What ``pgxannot check`` prints: one line per sample, a summary, the errors."""

    lines: list[str]
    summary: str
    errors: list[str]

    def show(self, out: TextIO, err: TextIO) -> int:
        """Print the lines and summary to ``out``, each error to ``err``; the exit status."""
        for line in [*self.lines, self.summary]:
            print(line, file=out)
        for line in self.errors:
            print(f"pgxannot: error: {line}", file=err)
        return 2 if self.errors else 0


def check_config(configfile: Path, *, index_dir: Path | None = INDEX_DIR) -> CheckOutcome:
    """``pgxannot check``: validate a config and its sheet and read the inputs (headers, the
    records at the PGx positions, each patient's own files); say what a run would call."""
    cfg = _with_sources(load_config(configfile))
    enabled_formats(cfg, source=str(configfile))  # `outputs` and the older `fhir` switch must agree
    sheet = resolve_samples_path(cfg)
    rows = load_sample_sheet(sheet)
    warnings = sheet_medication_warnings(rows, sheet, _medication_names(cfg),
                                         strict=bool(cfg.get("medications_strict")))  # guidance's check (#13)
    result = check_inputs(cfg, rows, index_dir=index_dir, genotypes=True)
    errors = result.run_errors + [f"patient {s}: {m}" for s, m in result.patient_errors.items()]
    ok = len(rows) - len(result.patient_errors)
    summary = (f"{configfile}: valid; {len(rows)} sample(s) in {sheet}, {len(result.groups)} VCF group(s), "
               f"build {cfg['reference_build']}: " + (
                   f"{ok} sample(s) ready" if not result.run_errors else "the run would stop")
               + (f", {len(result.patient_errors)} would not be reported" if result.patient_errors else ""))
    return CheckOutcome([*(sample_line(r, result) for r in rows), *warnings], summary, errors)


def _medication_names(cfg: Mapping[str, Any]) -> dict[str, str]:
    """The medication-name index of the selected guideline bodies, from their tables only
    (loading every table, ClinVar and CIViC too, took two of check's seconds)."""
    dirs = selected_dirs(cfg["knowledge_base"])
    wanted = ["cpic"] + (["dpwg"] if "dpwg" in {g.lower() for g in cfg["guidelines"]} else [])
    tables = {name: _load(registry.get(name), dirs.get(name)) for name in wanted}
    return medication_names(tables["cpic"], tables.get("dpwg"), cfg["guidelines"])


def _load(source: registry.Source, folder: Path | None) -> Any:
    return source.load(folder or source.bundled_folder())


def _with_sources(cfg: dict[str, Any]) -> dict[str, Any]:
    """``cfg`` with a ``knowledge_base`` selector for every downloadable source of the
    registry (the schema cannot list them: the registry is their one list)."""
    cfg["knowledge_base"] = selectors(cfg.get("knowledge_base") or {})
    return cfg


def select_samples(rows: Sequence[SampleRow], wanted: Sequence[str], sheet: Path) -> list[SampleRow]:
    """The sheet rows of ``wanted`` (their file names, see :mod:`pgxannot.sample_ids`), which one
    job annotates: they must share their VCF file(s)."""
    by_stem = {r.file_stem: r for r in rows}
    missing = [s for s in wanted if s not in by_stem]
    if missing:
        raise SampleSheetError(f"sample(s) {', '.join(missing)} not in the sample sheet", path=sheet)
    chosen = [by_stem[s] for s in wanted]
    keys = {r.vcf_key for r in chosen}
    if len(keys) != 1:
        raise SampleSheetError("one annotation job needs samples that share their VCF file(s)", path=sheet)
    return chosen
