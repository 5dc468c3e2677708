"""pgxannot on a real SLURM cluster through snakemake-executor-plugin-slurm.

The SLURM run uses the shipped profile ``workflow/profiles/slurm`` and must give the same
reports as a local ``--cores 2`` run of the same config: JSON/TSV/FHIR and, with
``SOURCE_DATE_EPOCH`` pinned, HTML byte-identical.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from slurm_fixture import LocalSlurm, unavailable

import pgxannot
from pgxannot.paths import bundled_root

pytestmark = pytest.mark.slurm

SOURCE_DATE_EPOCH = "1700000000"
RUN_TIMEOUT_S = 240
# the workflow's largest request: default-resources mem_mb of the profile, annotate jobs
WORKFLOW_MEM_MB = 2000
# The cluster has no slurmdbd, so `sacct` answers "accounting storage is disabled": the
# executor asks `squeue --states=all` instead, which lists finished jobs for MinJobAge
# (300 s). The plugin adds 10 s to the check interval after every check that finds no job
# finished; starting at 1 s, a ~6 s batch job is seen finished after ~12 s.
SLURM_EXECUTOR_ARGS = [
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "1",
    "--seconds-between-status-checks",
    "1",
    "--slurm-keep-successful-logs",
]


@pytest.fixture(scope="module")
def slurm_plugin() -> None:
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        unavailable(
            "snakemake-executor-plugin-slurm is not installed (pip install snakemake-executor-plugin-slurm)"
        )


def workflow_env(cluster: LocalSlurm) -> dict[str, str]:
    env = cluster.env()
    env["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    env["PYTHONHASHSEED"] = "0"
    # the same pgxannot as this test session, installed or not (batch jobs inherit it)
    pkg_parent = str(Path(pgxannot.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_parent, env.get("PYTHONPATH", "")) if p)
    return env


def prepare_workdir(path: Path) -> list[str]:
    """A fresh working directory holding the bundled config.yaml; returns the --config args."""
    path.mkdir(parents=True)
    root = bundled_root()
    shutil.copy(root / "config.yaml", path / "config.yaml")
    return ["--config", f"samples={root / 'examples' / 'samples.tsv'}"]


def start(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    log = open(cwd / "run.log", "w")  # noqa: SIM115 (handed to the child, closed below)
    try:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        log.close()


def finish(proc: subprocess.Popen[str], cwd: Path, cluster: LocalSlurm | None = None) -> str | None:
    """Wait for a run: None when it succeeded, else what went wrong with the logs that explain it."""
    try:
        rc = proc.wait(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        rc = None
    if rc == 0:
        return None
    return (
        f"=== run in {cwd.name} {'timed out' if rc is None else f'exited with {rc}'}\n"
        + diagnostics(cwd)
        + (f"\n{cluster.logs()}" if cluster is not None and rc is None else "")
    )


def diagnostics(cwd: Path, lines: int = 25) -> str:
    parts = []
    logs = [
        cwd / "run.log",
        *sorted((cwd / "logs").rglob("*.log")),
        *sorted((cwd / ".snakemake" / "slurm_logs").rglob("*.log")),
    ]
    for f in logs:
        if f.is_file():
            tail = f.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {f.relative_to(cwd)}\n" + "\n".join(tail))
    return "\n".join(parts)


def output_files(results: Path) -> dict[str, bytes]:
    """Per-patient reports, cohort files and the checksum manifest, by path under results/."""
    files = [*results.glob("reports/*"), *results.glob("cohort/*"), results / "checksums.sha256"]
    return {str(p.relative_to(results)): p.read_bytes() for p in sorted(files) if p.is_file()}


def test_snakemake_slurm_executor_runs_jobs(
    slurm_cluster: LocalSlurm, slurm_plugin: None, tmp_path: Path
) -> None:
    """The executor plumbing alone (a two-rule workflow) with the shipped profile."""
    (tmp_path / "Snakefile").write_text(
        "rule all:\n"
        "    input: 'b.txt'\n"
        "rule a:\n"
        "    output: 'a.txt'\n"
        "    threads: 1\n"
        "    resources: mem_mb=200, runtime=5\n"
        "    shell: 'echo job=$SLURM_JOB_ID node=$SLURMD_NODENAME > {output}'\n"
        "rule b:\n"
        "    input: 'a.txt'\n"
        "    output: 'b.txt'\n"
        "    shell: 'cat {input} > {output}'\n"
    )
    profile = bundled_root() / "workflow" / "profiles" / "slurm"
    argv = [
        sys.executable,
        "-m",
        "snakemake",
        "--executor",
        "slurm",
        "--workflow-profile",
        str(profile),
        *SLURM_EXECUTOR_ARGS,
    ]
    failure = finish(start(argv, tmp_path, workflow_env(slurm_cluster)), tmp_path, slurm_cluster)
    assert failure is None, failure
    text = (tmp_path / "b.txt").read_text()
    assert "node=pgxnode1" in text
    assert text.split()[0].removeprefix("job=").isdigit()  # ran inside a SLURM job


@pytest.mark.slow
def test_pgxannot_on_slurm_matches_local_run(
    slurm_cluster: LocalSlurm, slurm_plugin: None, tmp_path: Path
) -> None:
    assert slurm_cluster.node is not None
    if slurm_cluster.node.real_memory_mb < WORKFLOW_MEM_MB:
        unavailable(
            f"the SLURM node has {slurm_cluster.node.real_memory_mb} MB; "
            f"the workflow's jobs ask for {WORKFLOW_MEM_MB} MB"
        )
    env = workflow_env(slurm_cluster)
    pgx = [sys.executable, "-m", "pgxannot", "run"]
    profile = bundled_root() / "workflow" / "profiles" / "slurm"

    on_slurm = tmp_path / "slurm"
    slurm_proc = start(
        [
            *pgx,
            "--executor",
            "slurm",
            "--workflow-profile",
            str(profile),
            *SLURM_EXECUTOR_ARGS,
            *prepare_workdir(on_slurm),
        ],
        on_slurm,
        env,
    )
    # the local run overlaps the SLURM run's status-check waits
    local = tmp_path / "local"
    local_proc = start([*pgx, "--cores", "2", *prepare_workdir(local)], local, env)
    failures = [
        f for f in (finish(local_proc, local), finish(slurm_proc, on_slurm, slurm_cluster)) if f
    ]
    assert not failures, "\n".join(failures)

    # the annotation and cohort jobs really went through SLURM
    slurm_logs = on_slurm / ".snakemake" / "slurm_logs"
    rules_on_slurm = {p.name for p in slurm_logs.iterdir()} if slurm_logs.is_dir() else set()
    assert any(r.startswith("rule_annotate_") for r in rules_on_slurm), rules_on_slurm
    assert "rule_cohort" in rules_on_slurm, rules_on_slurm

    got, want = output_files(on_slurm / "results"), output_files(local / "results")
    assert sorted(got) == sorted(want)
    assert any(name.startswith("reports/") and name.endswith(".html") for name in want)
    for kind in (".fhir.json", ".json", ".tsv", ".html", ".sha256"):
        differing = [n for n in want if n.endswith(kind) and got[n] != want[n]]
        assert not differing, (
            f"{kind} outputs differ between the SLURM and the local run: {differing}"
        )
