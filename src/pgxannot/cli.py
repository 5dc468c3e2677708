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
import fcntl
import json
import logging
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from pgxannot import __version__, lazy
from pgxannot.errors import OutputError, PgxannotError
from pgxannot.kb import registry
from pgxannot.kb.status import short_versions
from pgxannot.paths import bundled_root

log = logging.getLogger("pgxannot")

_SNAKEMAKE_CORE_FLAGS = ("--cores", "-c", "--jobs", "-j", "--profile", "--workflow-profile", "--executor", "-e")


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
        help="run the bundled Snakemake workflow (every Snakemake option passes through)",
        add_help=False,
    )

    a = sub.add_parser("annotate", help="annotate samples and write their reports (used by the workflow)")
    a.add_argument("--config", required=True, type=Path, help="effective config (JSON or YAML)")
    a.add_argument("--samples", required=True, help="comma-separated sample ids of the sheet")
    a.add_argument("--outdir", type=Path, default=Path("results/reports"))
    a.add_argument("--index-dir", type=Path, default=Path("results/work/index"),
                   help="where indexes of unindexed bgzipped VCFs are built")

    w = sub.add_parser("write-config", help="validate and write the effective config (used by the workflow)")
    w.add_argument("--config-json", required=True)
    w.add_argument("--sample-sheet", required=True, type=Path)
    w.add_argument("-o", "--output", required=True, type=Path)

    c = sub.add_parser("check", help="validate a config and its sample sheet without running anything")
    c.add_argument("--configfile", type=Path, default=Path("config.yaml"))

    co = sub.add_parser("cohort", help="cohort summary page and call table from per-sample JSON reports")
    co.add_argument("reports", nargs="+", type=Path)
    co.add_argument("--reports-dir", type=Path, default=Path("results/reports"))
    co.add_argument("--html", required=True, type=Path)
    co.add_argument("--tsv", required=True, type=Path)

    ck = sub.add_parser("checksums", help="sha256 manifest of output files")
    ck.add_argument("files", nargs="+", type=Path)
    ck.add_argument("--base", type=Path, default=Path("."))
    ck.add_argument("-o", "--output", required=True, type=Path)

    sub.add_parser("schema", help="print the JSON Schema of the per-sample report")

    d = sub.add_parser("diff", help="what changed between two JSON reports of one sample")
    d.add_argument("old", type=Path)
    d.add_argument("new", type=Path)
    d.add_argument("--json", action="store_true", help="machine-readable output")

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
    return p


# Snakemake options after which nothing is run or written: no output-folder preparation.
_NO_RUN_FLAGS = ("-h", "--help", "--version", "-v", "--unlock", "-n", "--dry-run", "--dryrun", "-l", "--list",
                 "--list-rules", "--lint", "--dag", "--rulegraph", "--filegraph", "-S", "--summary",
                 "-D", "--detailed-summary", "--report", "--cleanup-metadata", "--cleanup-shadow")
_RERUN_INCOMPLETE = ("--rerun-incomplete", "--ri")


def _has_flag(args: Sequence[str], flags: Sequence[str]) -> bool:
    return any(a == f or a.startswith(f + "=") for a in args for f in flags)


def _workdir(args: Sequence[str]) -> Path:
    """The folder Snakemake will work in: ``--directory``/``-d`` or the current one."""
    workdir = None
    for i, a in enumerate(args):
        if a in ("--directory", "-d") and i + 1 < len(args):
            workdir = args[i + 1]
        elif a.startswith("--directory="):
            workdir = a.split("=", 1)[1]
    return Path(workdir).expanduser() if workdir else Path.cwd()


def _check_writable(folder: Path) -> None:
    """Raise OutputError unless a file can be created in ``folder`` (and in its existing
    result folders): a read-only folder must fail here with one line, not deep in Snakemake."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    candidates = [probe] + [folder / d for d in ("results", "results/reports", "results/cohort", "logs",
                                                 ".snakemake") if (folder / d).is_dir()]
    for d in candidates:
        try:
            fd, name = tempfile.mkstemp(prefix=".pgxannot-write-test.", dir=d)
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            raise OutputError(f"output folder is not writable ({exc.strerror or exc})", path=d,
                              hint="run in a writable folder (--directory DIR) or fix its permissions") from None


def _hold_run_lock(workdir: Path) -> TextIO:
    """Hold an exclusive lock on ``workdir`` for the whole run and clear stale Snakemake locks.

    The lock (``flock``) is released by the kernel however this process ends, SIGKILL
    included. Holding it proves no other ``pgxannot run`` works in this folder, so
    Snakemake locks still present were left by a run that was killed: they are removed,
    and ``--rerun-incomplete`` redoes the jobs it had not finished (every report is
    written atomically, so rerunning is always safe).
    """
    meta = workdir / ".snakemake"
    try:
        meta.mkdir(parents=True, exist_ok=True)
        fh = open(meta / "pgxannot-run.lock", "a")  # noqa: SIM115 (held until the process ends)
    except OSError as exc:
        raise OutputError(f"cannot prepare the output folder ({exc.strerror or exc})", path=workdir,
                          hint="run in a writable folder (--directory DIR)") from None
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise OutputError("another 'pgxannot run' is working in this folder", path=workdir,
                          hint="wait for it to finish, or give this run its own --directory") from None
    stale = sorted((meta / "locks").glob("*.lock")) if (meta / "locks").is_dir() else []
    # temporary files of atomic writes (".NAME.XXXX.tmp") a killed job left behind
    if (workdir / "results").is_dir():
        stale += sorted(p for p in (workdir / "results").rglob(".*.tmp") if p.is_file())
    for path in stale:
        path.unlink(missing_ok=True)
    if stale:
        print(f"pgxannot: removed {len(stale)} lock/temporary file(s) left by an interrupted run in {workdir}; "
              "unfinished jobs are redone", file=sys.stderr)
    return fh


def run_snakemake(args: Sequence[str]) -> int:
    """``pgxannot run``: Snakemake on the bundled Snakefile with every option passed through.

    Before Snakemake starts, a run that would write checks that its output folder is
    writable and takes the folder's run lock (see :func:`_hold_run_lock`), so a run
    killed half-way is simply started again with the same command.
    """
    root = bundled_root()
    argv = [sys.executable, "-m", "snakemake", "--snakefile", str(root / "Snakefile")]
    user = list(args)
    if not _has_flag(user, _SNAKEMAKE_CORE_FLAGS):
        argv += ["--cores", str(os.cpu_count() or 1)]
    lock = None
    if not _has_flag(user, _NO_RUN_FLAGS):
        workdir = _workdir(user)
        _check_writable(workdir)
        lock = _hold_run_lock(workdir)
        if not _has_flag(user, _RERUN_INCOMPLETE):
            argv.append("--rerun-incomplete")
    argv += user
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    try:
        # Snakemake inherits the lock: it stays held while either process lives
        return subprocess.call(argv, env=env, pass_fds=(lock.fileno(),) if lock is not None else ())
    finally:
        if lock is not None:
            lock.close()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        try:
            return run_snakemake(argv[1:])
        except PgxannotError as exc:
            print(f"pgxannot: error: {exc.one_line()}", file=sys.stderr)
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
        print(f"pgxannot: error: {exc.one_line()}", file=sys.stderr)
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
        a.config, a.samples.split(","), outdir=a.outdir, index_dir=a.index_dir)),
    "write-config": ("pgxannot.effective_config:write_effective_config", lambda f, a: f(
        json.loads(a.config_json), a.sample_sheet, a.output)),
    "check": ("pgxannot.effective_config:check_config", lambda f, a: f(a.configfile)),
    "cohort": ("pgxannot.report.cohort:write_cohort", lambda f, a: f(
        a.reports, html=a.html, tsv=a.tsv, reports_dir=a.reports_dir)),
    "checksums": ("pgxannot.report.io:write_checksums", lambda f, a: f(a.files, base=a.base, output=a.output)),
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
