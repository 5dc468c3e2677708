#!/usr/bin/env python3
"""CPU per patient of each report format, on the JSON reports of a finished run.

Renders every ``<sample>.json`` of a reports folder again in this process (after one
warm-up) and prints CPU milliseconds per patient for schema validation, JSON, TSV, HTML
and FHIR, and what FHIR adds to JSON+TSV+HTML. The rendering reads the report only, so
this isolates the renderers from calling, guidance and file writing.

Usage: ``python benchmarks/report_render.py results/reports [--passes 3]``
(e.g. on the 200-sample 1000 Genomes run of ``/work/baseline/run_kg200.sh``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from pgxannot.frozen import freeze
from pgxannot.report import render_fhir, render_html, render_json, render_tsv, validate_report
from pgxannot.report.common import unchanged

RENDERERS = {"validate": validate_report, "json": render_json, "tsv": render_tsv, "html": render_html,
             "fhir": render_fhir}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("reports", type=Path)
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args()
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(args.reports.glob("*.json"))
            if not p.name.endswith(".fhir.json")]
    if not docs:
        raise SystemExit(f"no <sample>.json reports in {args.reports}")
    cost = {}
    for name, render in RENDERERS.items():
        render(docs[0])  # warm-up: templates, code tables
        runs = []
        for _ in range(args.passes):
            t = time.process_time()
            for d in docs:
                render(d)
            runs.append((time.process_time() - t) / len(docs) * 1000)
        cost[name] = statistics.median(runs)
    base = cost["json"] + cost["tsv"] + cost["html"]
    print(f"{len(docs)} reports, CPU ms per patient (median of {args.passes}): "
          + ", ".join(f"{k} {v:.2f}" for k, v in cost.items()))
    print(f"JSON+TSV+HTML {base:.2f} ms; with FHIR {base + cost['fhir']:.2f} ms "
          f"(FHIR adds {100 * cost['fhir'] / base:.1f}% of the rendering)")
    print(f"as a job renders them (all five in one unchanged(report) block; the drug entries equal in "
          f"content made one object and frozen, as the guidance shares them): {_as_pipeline(docs, args.passes):.2f} ms")


def _as_pipeline(docs: list[dict], passes: int) -> float:
    """CPU ms per patient of validate + the four formats inside the pipeline's block."""
    one: dict[str, dict] = {}
    for d in docs:  # equal drug entries become one shared, frozen object, as in a job
        d["drugs"] = [one.setdefault(json.dumps(x), x) for x in d["drugs"]]
    for x in one.values():
        freeze(x)
    runs = []
    for _ in range(passes + 1):  # the first pass warms the shared stores, as a job's first patients do
        t = time.process_time()
        for d in docs:
            with unchanged(d):
                for render in RENDERERS.values():
                    render(d)
        runs.append((time.process_time() - t) / len(docs) * 1000)
    return statistics.median(runs[1:])


if __name__ == "__main__":
    main()
