"""``pgxannot run``: the bundled Snakemake workflow, supervised.

Every Snakemake option passes through. What pgxannot adds around Snakemake:

* before Snakemake starts: the output folder must be writable, and the folder's run lock
  is taken (a run killed half-way is simply started again with the same command);
* the workflow checks the inputs before any job (:mod:`pgxannot.preflight`): a VCF
  problem stops the run with pgxannot's one-line message; a patient whose own file is bad
  is left out and listed at the end;
* on the terminal: pgxannot's own message (patient, file, fix) and the job's log when a
  job fails, instead of Snakemake's CalledProcessError/WorkflowError text; no per-job
  list of thousands of input/output paths (Snakemake's log in ``.snakemake/log`` keeps
  everything); a progress line every ten seconds (patients done/total, rate, time left),
  plain lines that read well in a SLURM log;
* a patient that fails inside a job (:mod:`pgxannot.failures`) is recorded, and the
  workflow runs again without it, so every other patient of its chunk is reported;
* a closing summary: patients reported, patients failed and why; a non-zero exit status
  when any patient failed.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pgxannot.errors import OutputError
from pgxannot.paths import bundled_root
from pgxannot.progress import (
    FAILED_DIR,
    PLAN_FILE,
    PROGRESS_DIR,
    RUN_FILE,
    format_duration,
    progress_line,
    read_json,
    read_progress,
)

PROGRESS_EVERY_S = 10.0
RATE_WINDOW_S = 180.0  # the rate (and time left) of the progress line: over the last 3 minutes
MAX_ROUNDS = 3  # a job-time patient failure leads to one more round without that patient
LIST_MAX = 200  # an input/output list longer than this (characters) is shown as a count
FAILED_SHOWN = 50  # failed patients listed in the summary (all are in results/work/failed/)

RUN_HELP = """\
usage: pgxannot run [SNAKEMAKE OPTIONS ...]

Run the bundled workflow: per patient, a clinician report (HTML), JSON, TSV and FHIR
under results/, from the sample sheet named in config.yaml (the bundled example
patients when the working folder has no config.yaml).

Every Snakemake option passes through, for example:
  --cores N, -c N          cores to use (default: all of this machine)
  --directory DIR, -d DIR  working folder (config.yaml, results/, logs/)
  --configfile FILE        the config to use
  -n, --dry-run            show what would run
  --executor slurm         run the jobs on a SLURM cluster (with --workflow-profile DIR)
Snakemake's own help: pgxannot run --help-snakemake (or snakemake --help).

Before any job starts, the inputs are checked as `pgxannot check` does (VCF headers, the
records at the pharmacogene positions, the genome build decided from them, outside-call
and copy-number files). A problem of a VCF stops the run; a patient whose own file is bad
is not reported and is listed at the end. Progress is printed every 10 s; the run ends
with a summary and exits non-zero when any patient could not be reported.
"""

# Snakemake options after which nothing is run or written: no supervision, no output-folder preparation.
_NO_RUN_FLAGS = ("-h", "--help", "--version", "-v", "--unlock", "-n", "--dry-run", "--dryrun", "-l", "--list",
                 "--list-rules", "--lint", "--dag", "--rulegraph", "--filegraph", "-S", "--summary",
                 "-D", "--detailed-summary", "--report", "--cleanup-metadata", "--cleanup-shadow")
_SNAKEMAKE_CORE_FLAGS = ("--cores", "-c", "--jobs", "-j", "--profile", "--workflow-profile", "--executor", "-e")
_RERUN_INCOMPLETE = ("--rerun-incomplete", "--ri")
_KEEP_GOING = ("--keep-going", "-k")


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


# ------------------------------------------------------------------ Snakemake's output


_DROP = re.compile(
    r"^(RuleException:|CalledProcessError in file|Command 'set -euo pipefail|Exiting because a job execution "
    r"failed|WorkflowError( in file .*)?:$|At least one job did not complete successfully|Shutting down, this "
    r"might take some time|Removing output files of failed job|  File \")")
_LIST_LINE = re.compile(r"^(\s+)(input|output): (.*)$")
_LOG_LINE = re.compile(r"^\s+log: (.*?)( \(check log file\(s\) for error details\))?$")
_PGX_ERROR = ("pgxannot: error:", "pgxannot: internal error")
_PATIENT = "pgxannot: error: "


@dataclass
class JobFailure:
    rule: str
    logs: list[str]
    messages: list[str]


@dataclass
class SnakemakeOutput:
    """Snakemake's terminal output, minus what pgxannot says better (see the module docstring).

    :meth:`feed` takes one line and returns the lines to print; a failed job's error block
    becomes pgxannot's message(s) from the job's log, with the log's path.
    """

    workdir: Path
    failures: list[JobFailure] = field(default_factory=list)
    _error_rule: str | None = None
    _error_block: list[str] = field(default_factory=list)
    _dropping: bool = False

    def feed(self, line: str) -> list[str]:
        line = line.rstrip("\n")
        out: list[str] = []
        if self._error_rule is not None:
            if line.startswith((" ", "\t")):
                self._error_block.append(line)
                return []
            out += self._end_error_block()
        if line.startswith("Error in rule ") and line.endswith(":"):
            self._error_rule, self._error_block = line[len("Error in rule "):-1], []
            return out
        if _DROP.match(line):
            self._dropping = line.startswith("Removing output files")
            return out
        if self._dropping and line.startswith((" ", "\t")):
            return out
        self._dropping = False
        return out + self._job_info(line)

    def finish(self) -> list[str]:
        return self._end_error_block() if self._error_rule is not None else []

    @staticmethod
    def _job_info(line: str) -> list[str]:
        if line.lstrip().startswith("reason: "):
            return []  # "Missing output files: ..." of thousands of reports: in Snakemake's log only
        m = _LIST_LINE.match(line)
        if m and len(line) > LIST_MAX:
            n = m.group(3).count(", ") + 1
            return [f"{m.group(1)}{m.group(2)}: {n:,} files ({m.group(3).split(', ', 1)[0]}, ...)"]
        return [line]

    def _end_error_block(self) -> list[str]:
        rule, block = self._error_rule or "?", self._error_block
        self._error_rule, self._error_block = None, []
        logs = [m.group(1) for m in map(_LOG_LINE.match, block) if m]
        logs = [p for entry in logs for p in entry.split(", ")]
        failure = JobFailure(rule, logs, job_messages(self.workdir, logs))
        self.failures.append(failure)
        where = f"job {rule}" + (f", log {', '.join(logs)}" if logs else "")
        if not failure.messages:
            return [f"pgxannot: error: job {rule} failed without a pgxannot message; see "
                    + (", ".join(logs) if logs else "Snakemake's log (.snakemake/log/)")]
        # a patient that failed inside the job is listed in the summary: not an error line twice
        return [(f"pgxannot: {m.removeprefix(_PATIENT)} [{where}; the job's other patients run again]"
                 if m.startswith(_PATIENT + "patient ") else f"{m} [{where}]") for m in failure.messages]


def job_messages(workdir: Path, logs: Sequence[str]) -> list[str]:
    """pgxannot's error lines in a job's log file(s)."""
    out: list[str] = []
    for name in logs:
        try:
            text = (workdir / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        out += [ln.strip() for ln in text.splitlines() if ln.startswith(_PGX_ERROR)]
    return out


# ------------------------------------------------------------------------ supervision


class _Say:
    """Lines on stderr, whole and in order, from the reader thread and the progress loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            print(line, file=sys.stderr, flush=True)


@dataclass
class _Round:
    started: float
    rc: int
    output: SnakemakeOutput


class _Progress:
    """Every ten seconds: patients done/total over the annotation jobs of this round."""

    def __init__(self, workdir: Path, since: float, say: _Say) -> None:
        self.workdir, self.since, self.say = workdir, since, say
        self.next = time.monotonic() + PROGRESS_EVERY_S
        self.chunks: dict[str, int] | None = None
        self.last: int | None = None
        self.history: list[tuple[float, int]] = []  # (time, patients done) of recent ticks
        self.all_done_at = 0.0  # when the last line with a new count was printed

    def tick(self, *, final: bool = False) -> None:
        if self.chunks is None and not self._plan():
            self._preparing()
            return
        now = time.monotonic()
        if not final and now < self.next:
            return
        self.next = now + PROGRESS_EVERY_S
        assert self.chunks is not None
        total = sum(self.chunks.values())
        progress = read_progress(self.workdir / PROGRESS_DIR, since=self.since)
        done = sum(min(progress[c].done, n) for c, n in self.chunks.items() if c in progress)
        now_s = time.time()
        self.history = [(t, d) for t, d in self.history if t >= now_s - RATE_WINDOW_S] + [(now_s, done)]
        if total and done == total == self.last:  # then the cohort summary and checksums run
            if not final:
                self.say(f"pgxannot: all {total:,} patients annotated; the cohort summary and checksums "
                         f"({format_duration(now_s - self.all_done_at)} so far)")
            return
        # below 100 %: every ten seconds (not after the jobs ended); 100 %: once
        show = bool(total) and (done != self.last if done == total else not final)
        if show:
            self.say("pgxannot: " + self._line(done, total, now_s))
            self.last = done
            self.all_done_at = now_s

    def _preparing(self) -> None:
        """Before the jobs start (the input checks, Snakemake's plan of thousands of files):
        a line every ten seconds too, so a long start is not mistaken for a hang."""
        now = time.monotonic()
        if now >= self.next:
            self.next = now + PROGRESS_EVERY_S
            self.say("pgxannot: checking the inputs and planning the jobs "
                     f"({format_duration(time.time() - self.since)} so far)")

    def _line(self, done: int, total: int, now_s: float) -> str:
        """The rate over the last minutes, counted from the first patient done in that window
        (a job reads its VCF before its first report: that time says nothing of the rest)."""
        first = next(((t, d) for t, d in self.history if d > 0), None)
        if first is None or first[0] == now_s:
            return progress_line(done, total, 0.0)
        return progress_line(done, total, now_s - first[0], rate_done=done - first[1])

    def _plan(self) -> bool:
        run = read_json(self.workdir / RUN_FILE, since=self.since)
        if run is None:
            return False
        self.chunks = {str(k): int(v) for k, v in (run.get("chunks") or {}).items()}
        total = sum(self.chunks.values())
        plan = read_json(self.workdir / PLAN_FILE, since=self.since) or {}
        left_out = len(plan.get("excluded") or {})
        if total:
            self.say(f"pgxannot: {total:,} patient(s) to annotate in {len(self.chunks)} job(s); "
                     f"progress every {PROGRESS_EVERY_S:.0f} s")
        if left_out:
            self.say(f"pgxannot: {left_out:,} patient(s) left out: their own input failed (why: at the end)")
        return True


def _pump(stream: Iterable[str], output: SnakemakeOutput, say: _Say) -> None:
    for line in stream:
        for shown in output.feed(line):
            say(shown)
    for shown in output.finish():
        say(shown)


def _run_round(argv: Sequence[str], env: dict[str, str], workdir: Path, keep_fd: int, say: _Say) -> _Round:
    """One Snakemake run, its output filtered, with progress lines."""
    started = time.time()
    proc = subprocess.Popen(list(argv), env=env, stderr=subprocess.PIPE, text=True, errors="replace",
                            bufsize=1, pass_fds=(keep_fd,))
    output = SnakemakeOutput(workdir)
    reader = threading.Thread(target=_pump, args=(proc.stderr, output, say), daemon=True)
    reader.start()
    progress = _Progress(workdir, started, say)
    try:
        while proc.poll() is None:
            time.sleep(0.5)
            progress.tick()
    except KeyboardInterrupt:
        proc.wait()
        raise
    reader.join()
    progress.tick(final=True)
    if proc.returncode != 0 and not output.failures:  # e.g. under -q Snakemake prints no error block
        for line in _errors_in_logs(workdir, since=started):
            say(line)
    return _Round(started, proc.returncode, output)


def _errors_in_logs(workdir: Path, *, since: float) -> list[str]:
    logs = workdir / "logs"
    found = []
    for p in sorted(logs.rglob("*.log")) if logs.is_dir() else []:
        if p.stat().st_mtime >= since:
            rel = str(p.relative_to(workdir))
            found += [f"{m} [log {rel}]" for m in job_messages(workdir, [rel])]
    return found


def _new_job_failures(workdir: Path, *, since: float) -> dict[str, str]:
    """Patients an annotation job of this round recorded as failed: sample -> why."""
    folder = workdir / FAILED_DIR
    out = {}
    for p in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        d = read_json(p, since=since)
        if d is not None and d.get("stage") == "job":
            out[str(d.get("sample"))] = str(d.get("message"))
    return out


def _summary(workdir: Path, last: _Round, say: _Say) -> int:
    """N patients reported, K failed and why; the exit status of the run."""
    plan = read_json(workdir / PLAN_FILE, since=last.started)
    if plan is None:
        if last.rc != 0:
            say("pgxannot: no job was started: fix the problem(s) above and run again")
        return last.rc
    excluded = {str(k): str(v) for k, v in (plan.get("excluded") or {}).items()}
    excluded.update(_new_job_failures(workdir, since=last.started))  # failed after the last parse
    files = {str(k): str(v) for k, v in (plan.get("files") or {}).items()}  # file name -> sample
    missing = [s for stem, s in files.items() if not (workdir / "results" / "reports" / f"{stem}.json").is_file()]
    lost = [s for s in missing if s not in excluded]
    parts = [f"{len(files) - len(missing):,} patient(s) reported"]
    if excluded:
        parts.append(f"{len(excluded):,} failed")
    if lost:
        parts.append(f"{len(lost):,} not reported because a job failed (see above)")
    say("pgxannot: " + ", ".join(parts) + (":" if excluded else ""))
    for i, (sample, why) in enumerate(excluded.items()):
        if i == FAILED_SHOWN:
            say(f"pgxannot: ... and {len(excluded) - FAILED_SHOWN:,} more (results/work/failed/)")
            break
        say(f"pgxannot: error: patient {sample} not reported: {why}")
    if last.rc != 0:
        return last.rc
    return 2 if excluded else 0


def _forget_job_failures(workdir: Path) -> None:
    """A new run retries the patients that failed inside a job last time (a failure that
    persists is recorded again and its patient left out in the next round)."""
    folder = workdir / FAILED_DIR
    for p in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        d = read_json(p)
        if d is not None and d.get("stage") == "job":
            p.unlink(missing_ok=True)


def _supervise(argv: Sequence[str], env: dict[str, str], workdir: Path, keep_fd: int) -> int:
    say = _Say()
    _forget_job_failures(workdir)
    for round_no in range(1, MAX_ROUNDS + 1):
        last = _run_round(argv, env, workdir, keep_fd, say)
        new = _new_job_failures(workdir, since=last.started)
        if last.rc == 0 or not new or round_no == MAX_ROUNDS:
            break
        names = list(new)
        say(f"pgxannot: {len(new)} patient(s) failed inside their job ({', '.join(names[:5])}"
            f"{' ...' if len(new) > 5 else ''}): running again without them, so the rest of their chunk is reported")
    return _summary(workdir, last, say)


def run_workflow(args: Sequence[str]) -> int:
    """``pgxannot run``: Snakemake on the bundled Snakefile, every option passed through."""
    user = list(args)
    if _has_flag(user, ("-h", "--help")):
        sys.stdout.write(RUN_HELP)
        return 0
    argv = [sys.executable, "-m", "snakemake", "--snakefile", str(bundled_root() / "Snakefile")]
    if "--help-snakemake" in user:
        return subprocess.call([*argv, "--help"])
    if not _has_flag(user, _SNAKEMAKE_CORE_FLAGS):
        argv += ["--cores", str(os.cpu_count() or 1)]
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    if _has_flag(user, _NO_RUN_FLAGS):
        return subprocess.call(argv + user, env=env)
    workdir = _workdir(user)
    _check_writable(workdir)
    lock = _hold_run_lock(workdir)
    argv += [] if _has_flag(user, _RERUN_INCOMPLETE) else ["--rerun-incomplete"]
    argv += [] if _has_flag(user, _KEEP_GOING) else ["--keep-going"]
    env["PGXANNOT_SUPERVISED"] = "1"
    try:
        # Snakemake inherits the lock: it stays held while either process lives
        return _supervise(argv + user, env, workdir, lock.fileno())
    except KeyboardInterrupt:
        print("pgxannot: interrupted", file=sys.stderr)
        return 130
    finally:
        lock.close()
