"""The output formats of a patient report: THE list, read by the pipeline (what to render)
and by the workflow (``workflow/rules/common.smk``: which files a job declares).

Which formats a run writes is the config's ``outputs`` list of format names (default:
every format here); the older ``fhir: false`` still drops FHIR when ``outputs`` is not set.

Adding a format: a renderer ``render_<x>(report) -> str`` (or its UTF-8 ``bytes``) (a module of ``report/``) and
one :class:`Format` below; ``outputs`` may then name it (the schema does not list the
names: this registry is the one list) and the workflow declares the new file of every
sample by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pgxannot.errors import ConfigError
from pgxannot.report.fhir import render_fhir
from pgxannot.report.html import render_html
from pgxannot.report.text import render_json_bytes, render_tsv

Report = Mapping[str, Any]


@dataclass(frozen=True)
class Format:
    """One per-patient output file ``results/reports/<sample>.<suffix>``."""

    name: str
    suffix: str
    # (report, previous report or None) -> text, or the file's UTF-8 bytes when the renderer makes bytes
    render: Callable[[Report, Report | None], str | bytes]
    # the same, for a renderer that also reads the run's config (json_layout); None: ``render``
    configured: Callable[[Report, Report | None, Mapping[str, Any]], str | bytes] | None = None

    def render_for(self, report: Report, previous: Report | None, cfg: Mapping[str, Any]) -> str | bytes:
        """The file of ``report`` as the run with config ``cfg`` writes it."""
        if self.configured is not None:
            return self.configured(report, previous, cfg)
        return self.render(report, previous)


FORMATS: tuple[Format, ...] = (
    Format("json", "json", lambda report, previous: render_json_bytes(report),
           configured=lambda report, previous, cfg: render_json_bytes(
               report, compact=cfg.get("json_layout") == "compact")),
    Format("tsv", "tsv", lambda report, previous: render_tsv(report)),
    Format("html", "html", lambda report, previous: render_html(report, previous=previous)),
    Format("fhir", "fhir.json", lambda report, previous: render_fhir(report)),
)


def enabled_formats(cfg: Mapping[str, Any], *, source: str | None = None) -> tuple[Format, ...]:
    """The formats a run with config ``cfg`` writes, in output order.

    ``outputs`` (a list of format names) chooses them; without it every format is
    written, except FHIR when the older switch says ``fhir: false``. ``outputs``
    naming fhir beside ``fhir: false`` is a contradiction, and a ConfigError naming
    ``source`` (the config file) when given.
    """
    chosen = cfg.get("outputs")
    fhir_off = cfg.get("fhir") is False
    if chosen is None:
        return tuple(f for f in FORMATS if not (f.name == "fhir" and fhir_off))
    known = {f.name for f in FORMATS}
    unknown = [n for n in chosen if n not in known]
    if unknown or not chosen:
        raise ConfigError(f"config key 'outputs': {', '.join(map(repr, unknown)) or 'an empty list'} "
                          f"is not a list of report formats ({', '.join(f.name for f in FORMATS)})", path=source,
                          hint=f"write e.g. 'outputs: [{', '.join(f.name for f in FORMATS)}]'")
    if fhir_off and "fhir" in chosen:
        raise ConfigError("config keys 'outputs' and 'fhir' disagree: outputs lists fhir, fhir is false",
                          path=source, hint="remove 'fhir: false' ('outputs' replaces it)")
    return tuple(f for f in FORMATS if f.name in chosen)


def report_suffixes(cfg: Mapping[str, Any], *, source: str | None = None) -> list[str]:
    """File suffixes of every report a sample gets (``json``, ``tsv``, ``html``, ``fhir.json``)."""
    return [f.suffix for f in enabled_formats(cfg, source=source)]
