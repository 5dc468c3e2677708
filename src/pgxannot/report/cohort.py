"""The whole run at a glance: ``results/cohort/summary.html`` and ``calls.tsv``.

Aggregates the per-sample report dicts (never the raw calls): call rates per gene,
phenotype frequencies per gene as inline SVG bar charts, missing-position hot spots,
samples with actionable current medications or high-risk findings, and links to
each patient's report.
"""

from __future__ import annotations

import os
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pgxannot.errors import OutputError
from pgxannot.files import atomic_writer, read_json, write_atomic
from pgxannot.report.common import as_list, is_actionable, text
from pgxannot.report.html import environment
from pgxannot.report.text import format_tsv, tsv_rows
from pgxannot.sample_ids import file_stem

STATUS_ORDER = ("called", "outside_call", "ambiguous", "not_called")
STATUS_COLOURS = {"called": "#1a6b35", "outside_call": "#4c9a63", "ambiguous": "#b7791f",
                  "not_called": "#9aa3ad"}
HOTSPOTS = 25


def safe_link(href: Any) -> str | None:
    """A report link fit for ``href``: a relative path (percent-encoded) or an https URL.

    Anything with another scheme (``javascript:``, ``data:``, ``file:``, ``http:``) is
    refused, so the cohort page never links out of the results folder unexpectedly.
    """
    if not isinstance(href, str) or not href.strip():
        return None
    h = href.strip()
    if h.lower().startswith("https://"):
        return h if not any(c in h for c in "\"'<>` \t\r\n\\") else None
    parsed = urllib.parse.urlsplit(h)
    if parsed.scheme or parsed.netloc or h.startswith("//") or "\\" in h:
        return None
    return urllib.parse.quote(h, safe="/._-~#%")


def bar_chart(items: Sequence[tuple[str, int]], total: int, *, width: int = 560,
              label_width: int = 210, row: int = 22) -> dict[str, Any]:
    """Geometry of a horizontal bar chart (the template draws it as inline SVG)."""
    bar_space = width - label_width - 90
    top = max((c for _, c in items), default=0) or 1
    bars = []
    for i, (label, count) in enumerate(items):
        pct = 100.0 * count / total if total else 0.0
        bars.append({
            "label": label, "count": count, "pct": f"{pct:.0f}",
            "y": i * row + 3, "ty": i * row + row // 2 + 5,
            "w": max(round(bar_space * count / top, 1), 1.0 if count else 0.0),
            "x": label_width,
        })
    return {"width": width, "height": len(items) * row + 6, "label_x": label_width - 6,
            "bars": bars, "bar_h": row - 7, "count_pad": 6}


def stacked_bar(counts: Mapping[str, int], total: int, width: int = 240) -> list[dict[str, Any]]:
    x = 0.0
    segs = []
    for s in STATUS_ORDER:
        c = counts.get(s, 0)
        if not c or not total:
            continue
        w = width * c / total
        segs.append({"status": s, "x": round(x, 2), "w": round(w, 2), "colour": STATUS_COLOURS[s],
                     "count": c})
        x += w
    return segs


def _phenotype_label(g: Mapping[str, Any]) -> str:
    if g.get("phenotype"):
        return str(g["phenotype"])
    status = g.get("status")
    if status == "not_called":
        return "(not called)"
    if status == "ambiguous":
        return "(ambiguous)"
    return "(no phenotype)"


def _sample_row(d: Mapping[str, Any], genes: Sequence[Mapping[str, Any]],
                report_links: Mapping[str, str]) -> dict[str, Any]:
    """One sample's line of the page: call counts, actionable current drugs, high-risk findings."""
    sample = text(d.get("sample"))
    drugs = [x for x in d.get("drugs") or [] if isinstance(x, Mapping)]
    act_drugs = [x for x in drugs if x.get("current_medication") and is_actionable(x)]
    statuses = Counter(str(g.get("status")) for g in genes)
    return {
        "sample": sample,
        "href": safe_link(report_links.get(sample)),
        "genes": len(genes),
        "called": statuses["called"] + statuses["outside_call"],
        "ambiguous": statuses["ambiguous"],
        "not_called": statuses["not_called"],
        "actionable": sorted({text(x.get("drug")) for x in act_drugs}),
        "actionable_light": "red" if any(x.get("traffic_light") == "red" for x in act_drugs) else "amber",
        "high_risk": [f"{text(f.get('gene'))} {text(f.get('classification'))}"
                      for f in d.get("findings") or [] if isinstance(f, Mapping) and f.get("high_risk")],
        "her2": text(d.get("her2_status")) if d.get("her2_status") is not None else "",
    }


def _gene_rows(gene_status: Mapping[str, Counter[str]]) -> list[dict[str, Any]]:
    rows = []
    for gene in sorted(gene_status):
        st = gene_status[gene]
        total = sum(st.values())
        called = st["called"] + st["outside_call"]
        rows.append({
            "gene": gene, "total": total, "called": st["called"], "outside_call": st["outside_call"],
            "ambiguous": st["ambiguous"], "not_called": st["not_called"],
            "rate": f"{100.0 * called / total:.1f}" if total else "0.0",
            "segments": stacked_bar(st, total),
        })
    return rows


def _phenotype_charts(gene_pheno: Mapping[str, Counter[str]]) -> list[dict[str, Any]]:
    charts = []
    for gene in sorted(gene_pheno):
        items = sorted(gene_pheno[gene].items(), key=lambda kv: (-kv[1], kv[0]))
        total = sum(gene_pheno[gene].values())
        charts.append({"gene": gene, "total": total, "chart": bar_chart(items, total)})
    return charts


def _hotspots(missing: Counter[tuple[str, str]], n: int) -> list[dict[str, Any]]:
    """The most often missing positions: most samples first, ties by gene then position."""
    hot = sorted(missing.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0]))[:HOTSPOTS]
    return [{"position": p, "gene": g, "samples": c, "pct": f"{100.0 * c / n:.0f}" if n else "0"}
            for (p, g), c in hot]


def cohort_view(reports: Sequence[Mapping[str, Any]], report_links: Mapping[str, str]) -> dict[str, Any]:
    """What the cohort page shows, from the reports (or their slim views)."""
    gene_status: dict[str, Counter[str]] = defaultdict(Counter)
    gene_pheno: dict[str, Counter[str]] = defaultdict(Counter)
    missing: Counter[tuple[str, str]] = Counter()
    kb_versions: Counter[str] = Counter()
    samples, times = [], []
    for d in reports:
        genes = [g for g in d.get("genes") or [] if isinstance(g, Mapping)]
        for g in genes:
            gene = text(g.get("gene"))
            gene_status[gene][str(g.get("status"))] += 1
            gene_pheno[gene][_phenotype_label(g)] += 1
            for p in set(as_list(g.get("missing_positions"))):
                missing[(str(p), gene)] += 1
        prov = d.get("provenance") or {}
        kb = prov.get("knowledge_base")
        if isinstance(kb, Mapping):
            kb_versions["; ".join(f"{k} {text(v)}" for k, v in kb.items())] += 1
        if prov.get("generated_at"):
            times.append(str(prov["generated_at"]))
        samples.append(_sample_row(d, genes, report_links))
    return {
        "n": len(reports),
        "generated_at": max(times) if times else "",
        "samples": samples,
        "attention": [row for row in samples if row["actionable"] or row["high_risk"]],
        "genes": _gene_rows(gene_status),
        "phenotypes": _phenotype_charts(gene_pheno),
        "hotspots": _hotspots(missing, len(reports)),
        "missing_total": len(missing),
        "kb_versions": sorted(kb_versions.items(), key=lambda kv: (-kv[1], kv[0])),
        "colours": STATUS_COLOURS,
    }


def render_cohort(reports: Sequence[Mapping[str, Any]], *, report_links: Mapping[str, str]) -> str:
    """``summary.html`` of a run.

    ``report_links`` maps sample -> link to its HTML report, relative to the summary
    page (e.g. ``"../reports/S1.html"``); unsafe links are shown without a link.
    """
    return environment().get_template("cohort.html.j2").render(c=cohort_view(reports, report_links))


def calls_tsv(reports: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """``calls.tsv``, block by block: one header, then every report's :func:`render_tsv` rows."""
    yield format_tsv([])
    for d in reports:
        yield format_tsv(tsv_rows(d)).split("\n", 1)[1]


def write_cohort(reports: Sequence[Path], *, html: Path, tsv: Path, reports_dir: Path) -> None:
    """Cohort page and call table, streaming: one report in memory at a time.

    ``calls.tsv`` is written row block by row block while the reports are read; the summary
    page gets a slim view of each report (gene calls, current-medication drugs, high-risk
    findings), so memory stays bounded by the page's content, not by the cohort's reports.
    """
    slim: list[dict[str, Any]] = []

    def read_all() -> Iterator[Mapping[str, Any]]:
        for p in sorted(reports):
            d = read_json(p, error=OutputError, what="report")
            slim.append(_slim_for_cohort(d))
            yield d

    with atomic_writer(tsv, durable=False) as out:
        for block in calls_tsv(read_all()):
            out.write(block)
    links = {d["sample"]: os.path.relpath(reports_dir / f"{file_stem(str(d['sample']))}.html", html.parent)
             for d in slim}
    write_atomic(html, render_cohort(slim, report_links=links))


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
