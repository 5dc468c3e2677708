"""The ``pgxannot`` command: subcommands only.

Each subcommand parses its arguments and calls one function of the package, named in
:data:`COMMANDS` as ``"module:function"`` and imported only when that subcommand runs
(:mod:`pgxannot.lazy`): ``pgxannot --version`` and ``--help`` load none of the pipeline.
A :class:`~pgxannot.errors.PgxannotError` becomes one line on stderr and exit code
2; an unexpected exception is reported in one line too (with the traceback only
under ``PGXANNOT_DEBUG=1``), because a clinician-facing tool must never dump a
stack trace over a bad input.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pgxannot import __version__, lazy
from pgxannot.errors import PgxannotError
from pgxannot.kb import registry
from pgxannot.kb.status import short_versions

log = logging.getLogger("pgxannot")

def _kb_version_line() -> str:
    try:
        return short_versions()
    except Exception:  # the version line must never fail
        return "knowledge base: bundled"


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pgxannot",
        description="Pharmacogenomic and clinical-risk reports from VCFs.",
    )
    p.add_argument("--version", action="store_true", help="print the package and knowledge-base versions")
    p.add_argument("-v", "--verbose", action="store_true", help="more progress messages")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser(
        "run",
        help="run the bundled Snakemake workflow (every Snakemake option passes through; "
             "pgxannot run --help)",
        add_help=False,
    )
    _add_workflow_commands(sub)

    c = sub.add_parser("check", help="check a config, its sample sheet and the inputs (VCF headers and records at "
                                     "the PGx positions, outside-call and CNV files) without writing any report")
    c.add_argument("--configfile", type=Path, default=Path("config.yaml"))

    sub.add_parser("schema", help="print the JSON Schema of the per-sample report")

    d = sub.add_parser("diff", help="what changed between two JSON reports of one sample")
    d.add_argument("old", type=Path)
    d.add_argument("new", type=Path)
    d.add_argument("--json", action="store_true", help="machine-readable output")
    _add_kb_commands(sub)
    return p


def _add_workflow_commands(sub: Any) -> None:
    """The subcommands the workflow's jobs run."""
    a = sub.add_parser("annotate", help="annotate samples and write their reports (used by the workflow)")
    a.add_argument("--config", required=True, type=Path, help="effective config (JSON or YAML)")
    who = a.add_mutually_exclusive_group(required=True)
    who.add_argument("--samples",
                     help="comma-separated output file names of sheet samples (a safe id is its own file name)")
    who.add_argument("--chunk", help="the samples of this chunk of the sheet (g001c001 ...; used by the workflow)")
    a.add_argument("--leave-out", default="", help="with --chunk: comma-separated output file names of its "
                   "samples to leave out (patients that failed)")
    a.add_argument("--outdir", type=Path, default=Path("results/reports"))
    a.add_argument("--index-dir", type=Path, default=Path("results/work/index"),
                   help="where indexes of unindexed bgzipped VCFs are built")
    a.add_argument("--failed-dir", type=Path, help="record patients that fail here (results/work/failed)")
    a.add_argument("--progress", type=Path, help="write the job's progress to this JSON file")
    a.add_argument("--parts", type=Path, help="also write the chunk's cohort parts and checksums "
                   "as PARTS.cohort.jsonl, PARTS.calls.tsv, PARTS.sha256 (used by the workflow)")
    a.add_argument("--read-vcf", type=Path, action="append", default=[],
                   help="read genotypes from this split VCF instead (one per file of the sheet; workflow)")
    a.add_argument("--input-digests", type=Path, help="sha256 of the sheet's VCFs, from the split job")

    sp = sub.add_parser("split", help="split a VCF group's file(s) into one VCF per chunk (used by the workflow)")
    sp.add_argument("--config", required=True, type=Path, help="effective config (JSON or YAML)")
    sp.add_argument("--group", required=True, help="VCF group (g001 ...)")
    sp.add_argument("--out-dir", type=Path, default=Path("results/work/split"))
    sp.add_argument("--index-dir", type=Path, default=Path("results/work/index"))

    co = sub.add_parser("cohort", help="cohort summary page and call table from per-sample JSON reports, "
                        "or every cohort file from the annotation jobs' parts (--parts)")
    co.add_argument("reports", nargs="*", type=Path)
    co.add_argument("--reports-dir", type=Path, default=Path("results/reports"))
    co.add_argument("--html", type=Path)
    co.add_argument("--tsv", type=Path)
    co.add_argument("--parts", nargs="+", type=Path, help="chunk parts (.cohort.jsonl and .calls.tsv)")
    co.add_argument("--out-dir", type=Path, default=Path("results/cohort"),
                    help="with --parts: where summary.html, calls.tsv, phenotypes.tsv, drug_actions.tsv go")

    ck = sub.add_parser("checksums", help="sha256 manifest of output files")
    ck.add_argument("files", nargs="*", type=Path)
    ck.add_argument("--parts", nargs="+", type=Path, default=[],
                    help="sha256 lines already computed (the annotation jobs' .sha256 parts)")
    ck.add_argument("--base", type=Path, default=Path("."))
    ck.add_argument("-o", "--output", required=True, type=Path)

    sf = sub.add_parser("sample-files", help="write the sample id -> output file name table (used by the workflow)")
    sf.add_argument("--sample-sheet", required=True, type=Path)
    sf.add_argument("-o", "--output", required=True, type=Path)

    w = sub.add_parser("write-config", help="validate and write the effective config (used by the workflow)")
    w.add_argument("--config-json", required=True)
    w.add_argument("--sample-sheet", required=True, type=Path)
    w.add_argument("-o", "--output", required=True, type=Path)


def _add_kb_commands(sub: Any) -> None:
    kb = sub.add_parser("kb", help="knowledge base: status, update, use")
    kbs = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND")
    kbs.add_parser("status", help="active version of every source")
    ku = kbs.add_parser("update", help="download, verify and activate a newer release")
    ku.add_argument("source", choices=registry.updatable_names())
    ku.add_argument("--url", help="download from this URL instead of the official source")
    ku.add_argument("--insecure-http", action="store_true",
                    help="allow a plain-http URL (local mirrors)")
    kuse = kbs.add_parser("use", help="activate (pin) an installed version")
    kuse.add_argument("source", choices=registry.updatable_names())
    kuse.add_argument("kb_version", metavar="VERSION", help="an installed version, or 'bundled'")


def _print_error(exc: PgxannotError) -> None:
    for line in exc.lines():
        print(f"pgxannot: error: {line}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        try:
            return int(lazy.call("pgxannot.runner:run_workflow", argv[1:]))
        except PgxannotError as exc:
            _print_error(exc)
            return exc.exit_code
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s pgxannot %(levelname)s %(message)s", stream=sys.stderr)
    if args.version:
        print(f"pgxannot {__version__} ({_kb_version_line()})")
        return 0
    if not args.command:
        parser.print_help()
        return 1
    try:
        return _dispatch(args)
    except PgxannotError as exc:
        _print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pgxannot: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, traceback on request
        if os.environ.get("PGXANNOT_DEBUG"):
            traceback.print_exc()
        print(f"pgxannot: internal error ({type(exc).__name__}: {exc}); rerun with PGXANNOT_DEBUG=1 "
              "for the traceback and report it as a bug", file=sys.stderr)
        return 3


# Subcommand -> (the function it runs, how the parsed arguments reach it). Text it returns
# is printed (with a final newline). The functions are named, not imported: pgxannot.lazy.
Call = Callable[[Callable[..., Any], argparse.Namespace], Any]
COMMANDS: dict[str, tuple[str, Call]] = {
    "annotate": ("pgxannot.pipeline:annotate_samples", lambda f, a: f(
        a.config, a.samples.split(",") if a.samples else None, chunk=a.chunk,
        leave_out=[s for s in a.leave_out.split(",") if s], outdir=a.outdir, index_dir=a.index_dir,
        parts=a.parts, read_vcfs=a.read_vcf, digests=a.input_digests, failed_dir=a.failed_dir,
        progress=a.progress)),
    "split": ("pgxannot.splitting:split_group", lambda f, a: f(
        a.config, a.group, out_dir=a.out_dir, index_dir=a.index_dir)),
    "sample-files": ("pgxannot.effective_config:write_sample_files", lambda f, a: f(a.sample_sheet, a.output)),
    "write-config": ("pgxannot.effective_config:write_effective_config", lambda f, a: f(
        json.loads(a.config_json), a.sample_sheet, a.output)),
    # one line per sample on stdout, each error on stderr; exit 2 on any (CheckOutcome.show)
    "check": ("pgxannot.effective_config:check_config", lambda f, a: f(a.configfile).show(sys.stdout, sys.stderr)),
    "cohort": ("pgxannot.report.cohort_tables:cohort_command", lambda f, a: f(
        a.reports, html=a.html, tsv=a.tsv, parts=a.parts, out_dir=a.out_dir, reports_dir=a.reports_dir)),
    "checksums": ("pgxannot.report.io:write_checksums", lambda f, a: f(
        a.files, base=a.base, output=a.output, parts=a.parts)),
    "schema": ("pgxannot.report.validation:schema_text", lambda f, a: f()),
    "diff": ("pgxannot.report.diff:diff_files", lambda f, a: f(a.old, a.new, as_json=a.json)),
    "kb status": ("pgxannot.kb.status:status_text", lambda f, a: f()),
    "kb update": ("pgxannot.kb.manage:update", lambda f, a: f(a.source, url=a.url, allow_http=a.insecure_http)),
    "kb use": ("pgxannot.kb.manage:use", lambda f, a: f(a.source, a.kb_version)),
}


def _dispatch(args: argparse.Namespace) -> int:
    name = args.command if args.command != "kb" else f"kb {args.kb_command}"
    if name not in COMMANDS:  # `pgxannot kb` alone
        print("pgxannot kb: choose status, update or use", file=sys.stderr)
        return 1
    target, call = COMMANDS[name]
    out = call(lazy.function(target), args)
    if isinstance(out, str):
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return out if isinstance(out, int) and not isinstance(out, bool) else 0


if __name__ == "__main__":
    sys.exit(main())
