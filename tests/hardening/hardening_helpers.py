"""Run pgxannot the way a user does (subprocesses in a scratch folder) and inspect what it left.

Each run gets three folders under one scratch root: ``in/`` (the user's input files,
copied from the corpus), ``out/`` (the working directory: config.yaml, samples.tsv and
everything pgxannot writes) and ``home/`` (``$HOME``, ``$PGXANNOT_HOME`` and the XDG
folders). ``elsewhere/`` is the shell's current directory for ``pgxannot run --directory``.
After a run, :func:`snapshot` tells whether anything appeared outside ``out/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pgxannot.sample_ids import file_stem

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BAD = REPO / "tests" / "data" / "bad"
FILES = BAD / "files"
PATH_COLUMNS = ("vcf", "outside_calls", "cnv")
EPOCH = "1700000000"
# a log line of the pgxannot CLI: "2024-01-01 12:00:00,000 pgxannot INFO message"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ pgxannot (DEBUG|INFO|WARNING) ")
DEFAULT_SHEET = [{"sample": "S1", "vcf": "good.vcf"}]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def load_cases() -> list[dict]:
    return yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))


@dataclass
class Scratch:
    root: Path

    @property
    def inp(self) -> Path:
        return self.root / "in"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def elsewhere(self) -> Path:
        return self.root / "elsewhere"

    def make(self) -> Scratch:
        for d in (self.inp, self.out, self.home, self.elsewhere):
            d.mkdir(parents=True, exist_ok=True)
        return self


def user_env(scratch: Scratch, **extra: str) -> dict[str, str]:
    """The environment of a user whose home is a fresh folder (nothing cached)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PGXANNOT_", "PYTEST_", "SNAKEMAKE_"))}
    env.update({
        "HOME": str(scratch.home),
        "PGXANNOT_HOME": str(scratch.home / ".pgxannot"),
        "XDG_CACHE_HOME": str(scratch.home / ".cache"),
        "XDG_CONFIG_HOME": str(scratch.home / ".config"),
        "XDG_DATA_HOME": str(scratch.home / ".local" / "share"),
        "SOURCE_DATE_EPOCH": EPOCH,
        "PYTHONHASHSEED": "0",
        "LC_ALL": "C.UTF-8",
    })
    env.update(extra)
    return env


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Relative path -> (size, mtime_ns, mode) of everything under ``folder``."""
    out = {}
    for p in sorted(folder.rglob("*")):
        try:
            st = p.lstat()
        except OSError:
            continue
        out[str(p.relative_to(folder))] = (st.st_size if p.is_file() else 0, st.st_mtime_ns, st.st_mode)
    return out


# ----------------------------------------------------------------------- case setup


def _path_value(value: str, scratch: Scratch) -> str:
    return ";".join(str(scratch.inp / v.strip()) for v in value.split(";") if v.strip())


def sheet_text(rows: list[dict], scratch: Scratch) -> str:
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    lines = ["\t".join(cols)]
    for r in rows:
        vals = []
        for c in cols:
            v = str(r.get(c, ""))
            vals.append(_path_value(v, scratch) if c in PATH_COLUMNS and v else v)
        lines.append("\t".join(vals))
    return "\n".join(lines) + "\n"


def prepare(case: dict, scratch: Scratch) -> None:
    """Copy the case's files to in/, write out/samples.tsv and out/config.yaml."""
    scratch.make()
    for name in case.get("files", []):
        shutil.copyfile(FILES / name, scratch.inp / name)
    for name in case.get("mkdir", []):
        (scratch.inp / name).mkdir()
    if "sheet_file" in case:
        raw = (FILES / case["sheet_file"]).read_bytes().replace(b"{IN}", str(scratch.inp).encode())
        (scratch.out / "samples.tsv").write_bytes(raw)
    else:
        (scratch.out / "samples.tsv").write_text(sheet_text(case.get("sheet", DEFAULT_SHEET), scratch), encoding="utf-8")
    if "config_file" in case:
        raw = (FILES / case["config_file"]).read_bytes().replace(b"{SHEET}", b"samples.tsv")
        (scratch.out / "config.yaml").write_bytes(raw)
    else:
        cfg = {"samples": "samples.tsv", **case.get("config", {})}
        (scratch.out / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    for name, offset in case.get("mtime", {}).items():  # seconds relative to now
        st = (scratch.inp / name).stat()
        os.utime(scratch.inp / name, (st.st_atime + offset, st.st_mtime + offset))
    for name, mode in case.get("chmod", {}).items():
        os.chmod(scratch.inp / name, mode)


def case_samples(case: dict) -> list[str]:
    return [r["sample"] for r in case.get("sheet", DEFAULT_SHEET)]


# ------------------------------------------------------------------------ running


@dataclass
class Outcome:
    case: dict
    scratch: Scratch
    rc: int
    stdout: str
    stderr: str
    commands: list[list[str]] = field(default_factory=list)
    before_in: dict = field(default_factory=dict)
    after_in: dict = field(default_factory=dict)

    def logs(self) -> dict[str, str]:
        """Every log file pgxannot or Snakemake wrote under out/."""
        found = {}
        for base in (self.scratch.out / "logs", self.scratch.out / ".snakemake" / "log"):
            if base.is_dir():
                for p in sorted(base.rglob("*")):
                    if p.is_file():
                        found[str(p.relative_to(self.scratch.out))] = p.read_text(encoding="utf-8", errors="replace")
        return found

    def reports(self, sample: str) -> list[Path]:
        """The report files of ``sample`` (named by its safe file name, see pgxannot.sample_ids)."""
        d = self.scratch.out / "results" / "reports"
        stem = file_stem(sample)
        return sorted(p for p in d.iterdir() if p.name.split(".", 1)[0] == stem) if d.is_dir() else []


def pgxannot(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pgxannot", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, errors="replace", timeout=timeout, check=False)


class Zygote:
    """Client of hardening_zygote.py: one forked pgxannot process per command."""

    def __init__(self) -> None:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONHASHSEED="0")
        self.proc = subprocess.Popen([sys.executable, str(HERE / "hardening_zygote.py")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        ready = self.proc.stdout.readline()
        if '"ready"' not in ready:
            raise RuntimeError(f"zygote did not start: {ready!r}")

    def run(self, args: list[str], *, cwd: Path, env: dict[str, str], io_dir: Path) -> tuple[int, str, str]:
        out, err = io_dir / ".zygote.stdout", io_dir / ".zygote.stderr"
        req = {"args": args, "cwd": str(cwd), "env": env, "stdout": str(out), "stderr": str(err)}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in (out, err)]
        out.unlink()
        err.unlink()
        return reply["rc"], texts[0], texts[1]

    def call(self, req: dict, *, io_dir: Path) -> tuple[int, str]:
        """A raw request (e.g. ``{"target": "read_vcf", ...}``): (exit code, child's stderr)."""
        out, err = io_dir / ".zygote.stdout", io_dir / ".zygote.stderr"
        full = {"cwd": str(io_dir), "env": dict(os.environ), "stdout": str(out), "stderr": str(err), **req}
        self.proc.stdin.write(json.dumps(full) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        text = err.read_text(encoding="utf-8", errors="replace")
        out.unlink()
        err.unlink()
        return reply["rc"], text

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def run_case(case: dict, root: Path, zygote: Zygote | None = None) -> Outcome:
    scratch = Scratch(root)
    prepare(case, scratch)
    env = user_env(scratch)
    before = snapshot(scratch.inp)
    via = case.get("via", "annotate")
    samples = case_samples(case)
    cmds: list[list[str]] = []
    if via == "check":
        cmds.append(["check", "--configfile", "config.yaml"])
    elif via == "annotate":  # what the workflow's two jobs run, in order
        cmds.append(["write-config", "--config-json", _config_json(scratch), "--sample-sheet", "samples.tsv",
                     "-o", "results/work/config.json"])
        cmds.append(["annotate", "--config", "results/work/config.json", "--samples",
                     ",".join(file_stem(s) for s in samples),
                     "--outdir", "results/reports", "--index-dir", "results/work/index"])
    elif via == "run":
        cmds.append(["run", "--cores", "1", "--directory", str(scratch.out)])
    else:
        raise ValueError(via)
    stdout, stderr, rc = "", "", 0
    for args in cmds:
        if via != "run" and zygote is not None:
            rc, o, e = zygote.run(args, cwd=scratch.out, env=env, io_dir=scratch.root)
        else:
            p = pgxannot(args, cwd=scratch.elsewhere if via == "run" else scratch.out, env=env)
            rc, o, e = p.returncode, p.stdout, p.stderr
        stdout += o
        stderr += e
        if rc != 0:
            break
    after = snapshot(scratch.inp)
    for name in case.get("chmod", {}):
        os.chmod(scratch.inp / name, 0o644)
    return Outcome(case=case, scratch=scratch, rc=rc, stdout=stdout, stderr=stderr, commands=cmds,
                   before_in=before, after_in=after)


def _config_json(scratch: Scratch) -> str:
    """The config as the workflow hands it to write-config (YAML parsed, as Snakemake does)."""
    return json.dumps(yaml.safe_load((scratch.out / "config.yaml").read_text(encoding="utf-8")))


def error_lines(text: str) -> list[str]:
    """pgxannot's error lines (progress, summary and notes start with 'pgxannot: ' only)."""
    return [ln for ln in text.splitlines() if ln.startswith(("pgxannot: error:", "pgxannot: internal error"))]


def stray_lines(stderr: str) -> list[str]:
    """stderr lines of a pgxannot subcommand that are neither log lines nor the one error line."""
    return [ln for ln in stderr.splitlines()
            if ln.strip() and not LOG_LINE.match(ln) and not ln.startswith("pgxannot: ")]


# ------------------------------------------------------------------ whole workflow runs

HOOKS = HERE / "hooks"


def workflow_env(scratch: Scratch, hook: str | None = None, marker: Path | None = None) -> dict[str, str]:
    env = user_env(scratch)
    if hook:
        env["PYTHONPATH"] = os.pathsep.join([str(HOOKS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["HARDENING_HOOK"] = hook
        if marker is not None:
            env["HARDENING_MARKER"] = str(marker)
    return env


def start_workflow(out: Path, env: dict[str, str], *, cwd: Path, extra: tuple[str, ...] = ()) -> subprocess.Popen:
    """``pgxannot run --cores 1 --directory OUT`` in its own process group (killable as a whole)."""
    return subprocess.Popen([sys.executable, "-m", "pgxannot", "run", "--cores", "1", "--directory", str(out), *extra],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="replace", start_new_session=True)


def run_workflow(out: Path, env: dict[str, str], *, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    p = start_workflow(out, env, cwd=cwd)
    stdout, stderr = p.communicate(timeout=timeout)
    return subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr)


def outputs(out: Path) -> dict[str, bytes]:
    """Every result file a run leaves (reports, cohort, history, checksums), by relative path."""
    res = out / "results"
    files = {}
    for sub in ("reports", "cohort", "history"):
        for p in sorted((res / sub).glob("*")) if (res / sub).is_dir() else []:
            files[str(p.relative_to(out))] = p.read_bytes()
    if (res / "checksums.sha256").is_file():
        files["results/checksums.sha256"] = (res / "checksums.sha256").read_bytes()
    return files
