"""The output formats of a patient report: THE list, read by the pipeline (what to render)
and by the workflow (``workflow/rules/common.smk``: which files a job declares).

Adding a format: a renderer ``render_<x>(report) -> str`` (a module of ``report/``) and
one :class:`Format` below, whose ``enabled`` reads its config switch if it has one; the
workflow then declares the new file of every sample by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pgxannot.report.fhir import render_fhir
from pgxannot.report.html import render_html
from pgxannot.report.text import render_json, render_tsv

Report = Mapping[str, Any]


@dataclass(frozen=True)
class Format:
    """One per-patient output file ``results/reports/<sample>.<suffix>``."""

    name: str
    suffix: str  # file name after "<sample>."
    render: Callable[[Report, Report | None], str]  # (report, previous report or None) -> text
    enabled: Callable[[Mapping[str, Any]], bool]  # by the effective config


def _always(cfg: Mapping[str, Any]) -> bool:
    return True


def _fhir_enabled(cfg: Mapping[str, Any]) -> bool:
    return bool(cfg.get("fhir", True))


FORMATS: tuple[Format, ...] = (
    Format("json", "json", lambda report, previous: render_json(report), _always),
    Format("tsv", "tsv", lambda report, previous: render_tsv(report), _always),
    Format("html", "html", lambda report, previous: render_html(report, previous=previous), _always),
    Format("fhir", "fhir.json", lambda report, previous: render_fhir(report), _fhir_enabled),
)


def enabled_formats(cfg: Mapping[str, Any]) -> tuple[Format, ...]:
    """The formats a run with config ``cfg`` writes, in output order."""
    return tuple(f for f in FORMATS if f.enabled(cfg))


def report_suffixes(cfg: Mapping[str, Any]) -> list[str]:
    """File suffixes of every report a sample gets (``json``, ``tsv``, ``html``, ``fhir.json``)."""
    return [f.suffix for f in enabled_formats(cfg)]
