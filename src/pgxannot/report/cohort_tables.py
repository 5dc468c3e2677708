"""The cohort files of a run, from per-chunk parts the annotation jobs write.

Each annotation job writes, beside its patients' reports, one *part* per cohort file:
``<chunk>.cohort.jsonl`` (what the cohort page shows of each patient, plus the chunk's
phenotype and drug-action counts) and ``<chunk>.calls.tsv`` (the patients' TSV rows).
The cohort job merges the parts: it never reads the per-patient reports again, holds one
line of each part at a time, and its command line names one file per chunk, never one
per patient, so 10^5 patients cost what the parts cost.

Merged outputs (``results/cohort/``):

* ``summary.html``: the cohort page (:func:`pgxannot.report.cohort.render_cohort`);
* ``calls.tsv``: every patient's rows of their TSV report under one header;
* ``phenotypes.tsv``: per gene, how many patients have each phenotype (as the page's charts);
* ``drug_actions.tsv``: per drug, how many patients get each action and traffic light, and
  how many of them take the drug now.

Patients are in the order of their report file names (``<file name>.json``), the order the
cohort page has always used, whichever chunk they were annotated in.
"""

from __future__ import annotations

import heapq
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from pgxannot.errors import ConfigError, OutputError
from pgxannot.files import atomic_writer
from pgxannot.report.cohort import _phenotype_label, _slim_for_cohort, render_cohort, write_cohort
from pgxannot.report.common import light_of, text
from pgxannot.report.io import write_all_atomic
from pgxannot.report.text import TSV_COLUMNS, format_tsv, tsv_rows
from pgxannot.sample_ids import file_stem

PHENOTYPE_COLUMNS = ("gene", "phenotype", "patients", "percent")
DRUG_ACTION_COLUMNS = ("drug", "action", "traffic_light", "patients", "percent", "current_medication")
COHORT_FILES = ("summary.html", "calls.tsv", "phenotypes.tsv", "drug_actions.tsv")
TSV_HEADER = "\t".join(TSV_COLUMNS) + "\n"


def order_key(sample: str) -> str:
    """Patients are listed in the order of their report file names (see :mod:`pgxannot.sample_ids`)."""
    return f"{file_stem(sample)}.json"


# --------------------------------------------------------------------- one chunk


def phenotype_counts(reports: Iterable[Mapping[str, Any]]) -> Counter[tuple[str, str]]:
    """(gene, phenotype label) -> patients, with the cohort page's labels."""
    counts: Counter[tuple[str, str]] = Counter()
    for d in reports:
        for g in d.get("genes") or []:
            if isinstance(g, Mapping):
                counts[(text(g.get("gene")), _phenotype_label(g))] += 1
    return counts


def drug_action_counts(reports: Iterable[Mapping[str, Any]]) -> Counter[tuple[str, str, str, bool]]:
    """(drug, action, traffic light, is a current medication) -> patients."""
    counts: Counter[tuple[str, str, str, bool]] = Counter()
    for d in reports:
        for x in d.get("drugs") or []:
            if isinstance(x, Mapping):
                counts[(text(x.get("drug")), text(x.get("action")), light_of(x),
                        bool(x.get("current_medication")))] += 1
    return counts


class ChunkParts:
    """The cohort parts of one chunk, built report by report (only the slim view, the
    counts and the TSV rows of each report are kept, not the report)."""

    def __init__(self, *, links: bool) -> None:
        self.links = links  # the patients' HTML reports exist
        self._rows: list[tuple[str, str, str]] = []  # (order key, slim JSON line, TSV rows)
        self._phenotypes: Counter[tuple[str, str]] = Counter()
        self._drugs: Counter[tuple[str, str, str, bool]] = Counter()

    def add(self, report: Mapping[str, Any], tsv_text: str | None = None) -> None:
        """One report; ``tsv_text``: its rendered TSV report, when TSV is an output."""
        own = tsv_text if tsv_text is not None else format_tsv(tsv_rows(report))
        self._rows.append((order_key(str(report.get("sample"))),
                           json.dumps(_slim_for_cohort(report), ensure_ascii=False), own.split("\n", 1)[1]))
        self._phenotypes.update(phenotype_counts([report]))
        self._drugs.update(drug_action_counts([report]))

    def texts(self) -> tuple[str, str]:
        """``(<chunk>.cohort.jsonl, <chunk>.calls.tsv)``: a header line of counts, then the
        patients in :func:`order_key` order."""
        rows = sorted(self._rows)
        head = {
            "links": self.links,
            "patients": len(rows),
            "phenotypes": [[g, p, n] for (g, p), n in sorted(self._phenotypes.items())],
            "drug_actions": [[*k, n] for k, n in sorted(self._drugs.items())],
        }
        jsonl = "\n".join([json.dumps(head, ensure_ascii=False, sort_keys=True), *(r[1] for r in rows)]) + "\n"
        return jsonl, TSV_HEADER + "".join(r[2] for r in rows)


# ------------------------------------------------------------------------ merging


def _open_part(stack: ExitStack, path: Path) -> IO[str]:
    try:
        return stack.enter_context(open(path, encoding="utf-8"))
    except OSError as exc:
        raise OutputError(f"cohort part cannot be read ({exc.strerror or exc})", path=path,
                          hint="rerun the annotation job of this chunk") from None


def _slim_lines(fh: IO[str], path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for line in fh:
        try:
            d = json.loads(line)
        except ValueError:
            raise OutputError("cohort part is not JSON lines", path=path,
                              hint="rerun the annotation job of this chunk") from None
        yield order_key(str(d.get("sample"))), d


def _tsv_blocks(fh: IO[str], path: Path) -> Iterator[tuple[str, str]]:
    """One patient's rows at a time (rows of a patient are adjacent in a part)."""
    if fh.readline() != TSV_HEADER:
        raise OutputError("cohort part has another TSV header", path=path,
                          hint="rerun the annotation job of this chunk")
    sample: str | None = None
    rows: list[str] = []
    for line in fh:
        s = line.split("\t", 1)[0]
        if s != sample and rows:
            yield order_key(str(sample)), "".join(rows)
            rows = []
        sample = s
        rows.append(line)
    if rows:
        yield order_key(str(sample)), "".join(rows)


class _Totals:
    """Counts summed over the parts' first lines."""

    def __init__(self) -> None:
        self.patients = 0
        self.phenotypes: Counter[tuple[str, str]] = Counter()
        self.drugs: Counter[tuple[str, str, str, bool]] = Counter()
        self.links = True

    def add(self, head: Mapping[str, Any]) -> None:
        self.patients += int(head["patients"])
        self.links = self.links and bool(head["links"])
        for g, p, n in head["phenotypes"]:
            self.phenotypes[(g, p)] += n
        for drug, action, light, current, n in head["drug_actions"]:
            self.drugs[(drug, action, light, bool(current))] += n


def phenotypes_tsv(counts: Mapping[tuple[str, str], int]) -> str:
    """Genes alphabetically; per gene the most frequent phenotype first (as the page)."""
    per_gene: dict[str, int] = Counter()
    for (g, _), n in counts.items():
        per_gene[g] += n
    rows = sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1]))
    lines = ["\t".join(PHENOTYPE_COLUMNS)]
    lines += [f"{g}\t{p}\t{n}\t{100.0 * n / per_gene[g]:.1f}" for (g, p), n in rows]
    return "\n".join(lines) + "\n"


def drug_actions_tsv(counts: Mapping[tuple[str, str, str, bool], int]) -> str:
    """Drugs alphabetically; per drug the most frequent action first."""
    merged: Counter[tuple[str, str, str]] = Counter()
    current: Counter[tuple[str, str, str]] = Counter()
    per_drug: Counter[str] = Counter()
    for (drug, action, light, now), n in counts.items():
        merged[(drug, action, light)] += n
        per_drug[drug] += n
        if now:
            current[(drug, action, light)] += n
    rows = sorted(merged.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1], kv[0][2]))
    lines = ["\t".join(DRUG_ACTION_COLUMNS)]
    lines += [f"{d}\t{a}\t{lt}\t{n}\t{100.0 * n / per_drug[d]:.1f}\t{current[(d, a, lt)]}"
              for (d, a, lt), n in rows]
    return "\n".join(lines) + "\n"


class _Counted:
    """The merged patients of the page, streamed once, with their number known up front."""

    def __init__(self, items: Iterator[dict[str, Any]], n: int) -> None:
        self._items, self._n = items, n

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._items


class _ReportLinks(Mapping[str, str]):
    """sample -> its HTML report, relative to the cohort page (every patient has one)."""

    def __init__(self, reports_dir: Path, page: Path) -> None:
        base = os.path.relpath(reports_dir, page.parent)
        self._prefix = "" if base == "." else base + "/"

    def __getitem__(self, sample: str) -> str:
        return f"{self._prefix}{file_stem(sample)}.html"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def part_stems(parts: Iterable[Path]) -> list[str]:
    """The chunks of ``parts`` (either file of a chunk names it), sorted."""
    stems = set()
    for p in map(str, parts):
        for suffix in (".cohort.jsonl", ".calls.tsv"):
            if p.endswith(suffix):
                stems.add(p[: -len(suffix)])
                break
        else:
            raise OutputError("not a cohort part (.cohort.jsonl or .calls.tsv)", path=p)
    return sorted(stems)


def merge_parts(parts: Sequence[Path], *, out_dir: Path, reports_dir: Path) -> list[Path]:
    """Merge chunk parts (``<chunk>.cohort.jsonl`` and ``<chunk>.calls.tsv`` side by side)
    into the cohort files of ``out_dir`` (:data:`COHORT_FILES`), each written atomically."""
    stems = part_stems(parts)
    totals = _Totals()
    page_path, calls = out_dir / "summary.html", out_dir / "calls.tsv"
    with ExitStack() as stack:
        slims = []
        for stem in stems:
            path = Path(stem + ".cohort.jsonl")
            fh = _open_part(stack, path)
            totals.add(_head(fh.readline(), path))
            slims.append(_slim_lines(fh, path))
        merged = (d for _, d in heapq.merge(*slims, key=lambda kd: kd[0]))
        links: Mapping[str, str] = _ReportLinks(reports_dir, page_path) if totals.links else {}
        page = render_cohort(_Counted(merged, totals.patients), report_links=links)  # type: ignore[arg-type]
        blocks = []
        for stem in stems:
            path = Path(stem + ".calls.tsv")
            blocks.append(_tsv_blocks(_open_part(stack, path), path))
        with atomic_writer(calls, durable=False) as out:
            out.write(TSV_HEADER)
            for _, block in heapq.merge(*blocks, key=lambda kb: kb[0]):
                out.write(block)
    page_text = page[0] if isinstance(page, tuple) else page
    return [*write_all_atomic([(page_path, page_text),
                               (out_dir / "phenotypes.tsv", phenotypes_tsv(totals.phenotypes)),
                               (out_dir / "drug_actions.tsv", drug_actions_tsv(totals.drugs))]), calls]


def _head(line: str, path: Path) -> dict[str, Any]:
    try:
        head = json.loads(line)
    except ValueError:
        head = None
    if not isinstance(head, dict) or "patients" not in head:
        raise OutputError("cohort part has no header line", path=path,
                          hint="rerun the annotation job of this chunk")
    return head


def cohort_command(reports: Sequence[Path], *, html: Path | None, tsv: Path | None, parts: Sequence[Path] | None,
                   out_dir: Path, reports_dir: Path) -> None:
    """``pgxannot cohort``: every cohort file from the annotation jobs' ``parts`` (the
    workflow), or the page and call table from per-patient JSON ``reports``."""
    if parts:
        merge_parts(parts, out_dir=out_dir, reports_dir=reports_dir)
    elif reports and html and tsv:
        write_cohort(reports, html=html, tsv=tsv, reports_dir=reports_dir)
    else:
        raise ConfigError("pgxannot cohort needs JSON REPORTS with --html and --tsv, or --parts",
                          hint="pgxannot cohort results/reports/*.json --html summary.html --tsv calls.tsv")
