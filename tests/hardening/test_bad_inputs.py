"""The bad-input corpus (tests/data/bad/cases.yaml) through the command line, as a user runs it.

Every case ends either in a correct report (robustness) or in a non-zero exit with ONE
line ``pgxannot: error: <file> (<line/record>): <what>. <fix>``; never a Python traceback
(stderr, job logs, Snakemake's log), never a report for the failed sample, never a file
written outside the output folder (the inputs' folder and $HOME stay untouched).

``via: run`` cases start the whole workflow (``python -m pgxannot run --cores 1 --directory
OUT`` from another folder). ``via: check``/``annotate`` cases run the subcommands the
workflow runs, each in its own process forked from a pre-warmed interpreter
(hardening_zygote.py) so ~80 cases fit in about a minute; set ``HARDENING_FRESH=1`` to start
a fresh interpreter for each command instead.
"""

from __future__ import annotations

import json
import os
import queue
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hardening_helpers import IS_ROOT, Outcome, Zygote, error_lines, load_cases, run_case

from pgxannot.sample_ids import file_stem

CASES = load_cases()
WORKERS = 3  # runs wait on I/O and Snakemake polling: 3 keep 2 cores busy
HTSLIB_MESSAGE = re.compile(r"^\[[WEI]::\w+\]")


def _skipped(case: dict) -> bool:
    return bool(case.get("skip_if_root")) and IS_ROOT


def _params():
    for c in CASES:
        marks = []
        if _skipped(c):
            marks.append(pytest.mark.skip(reason="running as root: root can read a chmod 000 file"))
        if c.get("xfail"):
            marks.append(pytest.mark.xfail(reason=c["xfail"], strict=False))
        if c.get("via") == "run":
            marks.append(pytest.mark.slow)
        yield pytest.param(c["id"], marks=marks, id=c["id"])


@pytest.fixture(scope="session")
def outcomes(request, tmp_path_factory) -> dict[str, Outcome]:
    """Run every selected case once, in parallel (whole runs and subcommands interleaved)."""
    wanted = {item.callspec.params["case_id"] for item in request.session.items
              if hasattr(item, "callspec") and "case_id" in item.callspec.params}
    todo = [c for c in CASES if c["id"] in wanted and not _skipped(c)]
    todo.sort(key=lambda c: c.get("via") != "run")  # the slow ones first
    root = tmp_path_factory.mktemp("bad_inputs")
    fresh = os.environ.get("HARDENING_FRESH") == "1" or not hasattr(os, "fork")
    pool: queue.Queue = queue.Queue()
    zygotes = [] if fresh else [Zygote() for _ in range(WORKERS)]
    for z in zygotes or [None] * WORKERS:
        pool.put(z)

    def one(case: dict) -> Outcome:
        z = pool.get()
        try:
            return run_case(case, root / case["id"], z)
        finally:
            pool.put(z)

    try:
        with ThreadPoolExecutor(WORKERS) as ex:
            results = list(ex.map(one, todo))
    finally:
        for z in zygotes:
            z.close()
    return {o.case["id"]: o for o in results}


def _no_traceback(o: Outcome) -> None:
    assert "Traceback" not in o.stderr, o.stderr[-3000:]
    assert "Traceback" not in o.stdout
    for name, text in o.logs().items():
        assert "Traceback" not in text, f"{name}:\n{text[-3000:]}"


def _nothing_outside(o: Outcome) -> None:
    assert o.after_in == o.before_in, "the input folder was modified (index or temp file beside the input?)"
    assert not any(o.scratch.elsewhere.iterdir()), "files appeared in the shell's current folder"
    home_files = [p for p in o.scratch.home.rglob("*") if p.is_file()]
    assert not home_files, f"files written to $HOME: {home_files}"


def _check_error(o: Outcome) -> None:
    case = o.case
    assert o.rc != 0, f"expected an error, got exit 0\n{o.stderr[-2000:]}"
    assert o.rc > 0, f"killed by signal {-o.rc} (crash)\n{o.stderr[-2000:]}"
    lines = error_lines(o.stderr)
    job_log = None
    if case["via"] == "run" and not lines:  # the message is in the failed job's log
        for name, text in o.logs().items():
            if name.startswith("logs/") and error_lines(text):
                lines, job_log = error_lines(text), name
        assert job_log, f"no pgxannot message in stderr or logs/\n{o.stderr[-3000:]}"
        assert job_log in o.stderr, f"Snakemake's summary does not name the log {job_log}"
    assert len(lines) == 1, f"expected one pgxannot error line, got {lines}\n{o.stderr[-2000:]}"
    msg = lines[0]
    missing = [m for m in case["message"] if m not in msg]
    assert not missing, f"message lacks {missing}: {msg}"
    if case["via"] != "run":
        stray = [ln for ln in o.stderr.splitlines() if ln.strip() and not ln.startswith("pgxannot: ")
                 and not HTSLIB_MESSAGE.match(ln) and " pgxannot " not in ln[:40]]
        assert not stray, f"stderr lines besides logging and the error line: {stray[:5]}"
    for sample in _samples(case):
        assert not o.reports(sample), f"report files left for failed sample {sample}: {o.reports(sample)}"


def _samples(case: dict) -> list[str]:
    return [r["sample"] for r in case.get("sheet", [{"sample": "S1"}])]


def _gene(doc: dict, gene: str) -> dict:
    return next(g for g in doc["genes"] if g["gene"] == gene)


def _check_report(o: Outcome) -> None:
    case = o.case
    assert o.rc == 0, f"expected a report, got exit {o.rc}\n{o.stderr[-3000:]}"
    outdir = o.scratch.out / "results" / "reports"
    for sample in _samples(case):
        _has_reports(o, sample)
    assert not list(outdir.glob(".*.tmp")), "temporary files left beside the reports"
    sample = case.get("sample", "S1")
    text = (outdir / f"{file_stem(sample)}.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    checks = case.get("assert", {})
    for gene, want in checks.get("genes", {}).items():
        g = _gene(doc, gene)
        first = g["diplotypes"][0] if g["diplotypes"] else None
        if "status" in want:
            assert g["status"] == want["status"], g
        if "status_in" in want:
            assert g["status"] in want["status_in"], g
        if "diplotype" in want:
            assert first == want["diplotype"], g
        if "diplotype_not" in want:
            assert want["diplotype_not"] not in g["diplotypes"], g
        if g["status"] == "not_called":
            assert g["reason"], f"{gene} not called without a reason"
    for s in checks.get("json_contains", []):
        assert s in text, s
    assert json.loads(text)["sample"] == sample  # the report shows the id, whatever its file name
    html = (outdir / f"{file_stem(sample)}.html").read_text(encoding="utf-8")
    for s in checks.get("html_not_contains", []):
        assert s not in html, f"unescaped payload {s!r} in the HTML report"
    for s in checks.get("html_contains", []):
        assert s in html, s
    for other, genes in checks.get("other_samples", {}).items():
        odoc = json.loads((outdir / f"{file_stem(other)}.json").read_text(encoding="utf-8"))
        for gene, dip in genes.items():
            assert _gene(odoc, gene)["diplotypes"][:1] == [dip]


def _has_reports(o: Outcome, sample: str) -> None:
    stem = file_stem(sample)
    names = {p.name for p in o.reports(sample)}
    assert {f"{stem}.json", f"{stem}.tsv", f"{stem}.html", f"{stem}.fhir.json"} <= names, (sample, names)


def _check_ok(o: Outcome) -> None:
    """``pgxannot check`` passes and its per-sample lines say what the case expects."""
    assert o.rc == 0, f"expected check to pass, got exit {o.rc}\n{o.stderr[-2000:]}"
    assert not error_lines(o.stderr), o.stderr
    missing = [s for s in o.case["stdout"] if s not in o.stdout]
    assert not missing, f"check output lacks {missing}:\n{o.stdout}"


def _check_partial(o: Outcome) -> None:
    """One patient's bad input fails that patient only: the others are reported, the run
    exits non-zero and its summary gives each failed patient one error line with the why."""
    case = o.case
    assert o.rc > 0, f"expected a non-zero exit, got {o.rc}\n{o.stderr[-2000:]}"
    lines = error_lines(o.stderr)
    for sample, needles in case["failed"].items():
        mine = [ln for ln in lines if f"patient {sample} " in ln]
        assert len(mine) == 1, (sample, lines)
        assert all(n in mine[0] for n in needles), (needles, mine[0])
        assert not o.reports(sample), f"report files for failed patient {sample}"
    assert len(lines) == len(case["failed"]), lines
    for sample in case["reported"]:
        _has_reports(o, sample)
    summary = [ln for ln in o.stderr.splitlines() if "patient(s) reported" in ln]
    assert summary and summary[-1].startswith(f"pgxannot: {len(case['reported'])} patient(s) reported, "
                                              f"{len(case['failed'])} failed"), o.stderr[-2000:]


CHECKS = {"error": _check_error, "report": _check_report, "ok": _check_ok, "partial": _check_partial}


@pytest.mark.parametrize("case_id", list(_params()))
def test_bad_input(case_id: str, outcomes: dict[str, Outcome]) -> None:
    o = outcomes[case_id]
    _no_traceback(o)
    _nothing_outside(o)
    CHECKS[o.case["expect"]](o)


def test_corpus_is_large_and_small():
    """At least 40 cases, at least 10 through the whole workflow, the corpus under 300 KB."""
    assert len(CASES) >= 40
    assert sum(c.get("via") == "run" for c in CASES) >= 10
    bad = Path(__file__).resolve().parents[1] / "data" / "bad"
    size = sum(p.stat().st_size for p in bad.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert size < 300_000, size
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert {c["expect"] for c in CASES} == set(CHECKS)


def test_corpus_is_reproducible(tmp_path):
    """make_corpus.py regenerates byte-identical files (the committed corpus is its output)."""
    import importlib.util

    bad = Path(__file__).resolve().parents[1] / "data" / "bad"
    spec = importlib.util.spec_from_file_location("make_corpus", bad / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    files = mod.build_files()
    assert sorted(files) == sorted(p.name for p in (bad / "files").iterdir())
    # compressed files depend on the zlib build; their uncompressed text is what matters
    compressed = (".gz", ".bcf", ".tbi")
    changed = [n for n, data in files.items() if not n.endswith(compressed)
               and (bad / "files" / n).read_bytes() != data]
    changed += [n for n, data in files.items() if n.endswith(compressed)
                and _inflate((bad / "files" / n).read_bytes()) != _inflate(data)]
    assert not changed, f"regenerate the corpus (python tests/data/bad/make_corpus.py): {changed}"


def _inflate(data: bytes) -> bytes:
    """Every gzip member of ``data`` decompressed, as far as it goes (corpus files may be cut)."""
    import zlib

    out = b""
    while data:
        d = zlib.decompressobj(31)
        try:
            out += d.decompress(data)
        except zlib.error:
            return out + b"<corrupt>"
        if not d.eof:
            return out + b"<truncated>"
        data = d.unused_data
    return out
