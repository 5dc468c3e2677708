"""Whole runs for issue #16 (fail early and say why), as a user runs them.

* a header-less GRCh37 VCF under the default GRCh38 config stops ``pgxannot run`` before
  any job, with the REF evidence, and a direct ``snakemake`` run too;
* a failed job prints pgxannot's own line and the log path, not Snakemake's text;
* a patient that fails inside a job fails alone: the rest of its chunk is reported in a
  second round, the run exits non-zero and says who and why; the next run retries it;
  with chunks of a split VCF group, only the failing patient's chunk runs again;
* progress lines every ~10 s that read well when stderr is not a terminal;
* ``snakemake --lint`` is clean and the conda environment file installs pgxannot itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hardening_helpers import FILES, REPO, Scratch, error_lines, run_workflow, workflow_env

pytestmark = pytest.mark.slow

SHEET = ("sample\tvcf\tmedications\n"
         "S1\t{IN}/good_multi.vcf\tclopidogrel\n"
         "S2\t{IN}/good_multi.vcf\t\n"
         "S3\t{IN}/good_multi.vcf\tvoriconazole\n")


def _setup(root: Path, sheet: str = SHEET, **config) -> Scratch:
    scratch = Scratch(root).make()
    shutil.copyfile(FILES / "good_multi.vcf", scratch.inp / "good_multi.vcf")
    (scratch.out / "samples.tsv").write_text(sheet.replace("{IN}", str(scratch.inp)))
    (scratch.out / "config.yaml").write_text(yaml.safe_dump({"samples": "samples.tsv", "fhir": False, **config}))
    return scratch


def _reported(out: Path) -> list[str]:
    d = out / "results" / "reports"
    return sorted(p.name.split(".")[0] for p in d.glob("*.json")) if d.is_dir() else []


def _cohort_patients(out: Path) -> set[str]:
    lines = (out / "results" / "cohort" / "calls.tsv").read_text(encoding="utf-8").splitlines()
    return {ln.split("\t", 1)[0] for ln in lines[1:]}


def _no_snakemake_noise(stderr: str) -> None:
    for noise in ("Traceback", "CalledProcessError", "WorkflowError", "RuleException", "reason: Missing output"):
        assert noise not in stderr, f"{noise!r} on the terminal:\n{stderr[-3000:]}"


def test_headerless_grch37_panel_stops_the_run_before_any_job(shared_data, tmp_path):
    g37 = shared_data / "1kgp" / "GRCh37"
    sheet = f"sample\tvcf\nHG00096\t{g37 / 'CYP2C19.vcf.gz'};{g37 / 'CYP2C9.vcf.gz'}\n"
    scratch = _setup(tmp_path, sheet=sheet)
    p = run_workflow(scratch.out, workflow_env(scratch), cwd=scratch.elsewhere)
    assert p.returncode != 0
    _no_snakemake_noise(p.stderr)
    (line,) = error_lines(p.stderr)
    # the sheet's paths are resolved (a ../shared that is a symlink shows as its target)
    assert line.startswith(f"pgxannot: error: {(g37 / 'CYP2C19.vcf.gz').resolve()}: the records are GRCh37, but "
                           "reference_build is GRCh38: REF matches GRCh37 at 100% of ")
    assert "set 'reference_build: GRCh37' in config.yaml" in line
    assert "pgxannot: no job was started" in p.stderr
    assert not (scratch.out / "logs" / "annotate").exists() and not _reported(scratch.out)
    # a direct snakemake run is stopped by the same check (Snakemake wraps the message)
    d = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "1",
                        "--directory", str(scratch.out)], capture_output=True, text=True, timeout=300,
                       env=workflow_env(scratch))
    assert d.returncode != 0 and "the records are GRCh37" in d.stderr and "Traceback" not in d.stderr


def test_a_failed_job_prints_pgxannots_message_and_its_log(tmp_path):
    scratch = _setup(tmp_path)
    p = run_workflow(scratch.out, workflow_env(scratch, hook="fail-replace:S1.html"), cwd=scratch.elsewhere)
    assert p.returncode != 0
    _no_snakemake_noise(p.stderr)
    (line,) = error_lines(p.stderr)
    assert "S1.html: cannot write the file: No space left on device" in line
    assert line.endswith("[job annotate_g001c001, log logs/annotate/g001c001.log]")
    assert "pgxannot: 0 patient(s) reported, 3 not reported because a job failed (see above)" in p.stderr


def test_a_patient_failing_inside_its_job_fails_alone(tmp_path):
    scratch = _setup(tmp_path)
    p = run_workflow(scratch.out, workflow_env(scratch, hook="fail-patient:S2"), cwd=scratch.elsewhere)
    assert p.returncode == 2, p.stderr[-3000:]
    _no_snakemake_noise(p.stderr)
    assert _reported(scratch.out) == ["S1", "S3"]
    (line,) = error_lines(p.stderr)
    assert line == ("pgxannot: error: patient S2 not reported: hardening-hook: injected per-patient failure. "
                    "nothing to fix: a test injected it")
    assert "running again without them, so the rest of their chunk is reported" in p.stderr
    assert "pgxannot: 2 patient(s) reported, 1 failed:" in p.stderr
    # the next run retries it (the failure is gone: the hook is not set)
    again = run_workflow(scratch.out, workflow_env(scratch), cwd=scratch.elsewhere)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _reported(scratch.out) == ["S1", "S2", "S3"]
    assert "pgxannot: 3 patient(s) reported" in again.stderr.splitlines()[-1]


def test_a_patient_failing_in_a_split_group_leaves_the_other_chunk_alone(tmp_path):
    """chunk_size 2: S1 and S2 in chunk g001c001, S3 in g001c002; the group's VCF is split
    into one file per chunk. S2 fails: only its chunk runs again, without it (--leave-out),
    the split files and S3's chunk stay as they were, the cohort files list S1 and S3."""
    scratch = _setup(tmp_path, chunk_size=2)
    p = run_workflow(scratch.out, workflow_env(scratch, hook="fail-patient:S2"), cwd=scratch.elsewhere)
    assert p.returncode == 2, p.stderr[-3000:]
    _no_snakemake_noise(p.stderr)
    assert _reported(scratch.out) == ["S1", "S3"]
    assert sorted(f.name for f in (scratch.out / "results" / "work" / "split").glob("*.vcf.gz")) == [
        "g001c001.1.vcf.gz", "g001c002.1.vcf.gz"]
    assert _cohort_patients(scratch.out) == {"S1", "S3"}
    assert "pgxannot: 2 patient(s) reported, 1 failed:" in p.stderr
    again = run_workflow(scratch.out, workflow_env(scratch), cwd=scratch.elsewhere)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _reported(scratch.out) == ["S1", "S2", "S3"]
    assert _cohort_patients(scratch.out) == {"S1", "S2", "S3"}


def test_a_direct_snakemake_run_lists_the_patients_left_out(tmp_path):
    sheet = ("sample\tvcf\toutside_calls\n"
             "S1\t{IN}/good_multi.vcf\t\n"
             "S2\t{IN}/good_multi.vcf\t{IN}/oc.tsv\n"
             "S3\t{IN}/good_multi.vcf\t\n")
    scratch = _setup(tmp_path, sheet=sheet)
    shutil.copyfile(FILES / "outside_unknown_allele.tsv", scratch.inp / "oc.tsv")
    d = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "1",
                        "--directory", str(scratch.out)], capture_output=True, text=True, timeout=300,
                       env=workflow_env(scratch))
    assert d.returncode == 0, d.stderr[-3000:]
    assert _reported(scratch.out) == ["S1", "S3"]
    lines = [ln for ln in d.stderr.splitlines() if ln.startswith("pgxannot: error: patient S2 not reported")]
    assert lines and "*999" in lines[-1]


def test_progress_lines_read_well_without_a_terminal(tmp_path):
    """stderr is a pipe here (as in a SLURM log): whole lines, no carriage returns, a progress
    line at least every ~10 s while the annotation jobs run, no per-job path lists."""
    scratch = _setup(tmp_path)
    p = run_workflow(scratch.out, workflow_env(scratch), cwd=scratch.elsewhere)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "\r" not in p.stderr
    progress = [ln for ln in p.stderr.splitlines() if ln.startswith("pgxannot: ") and " patients (" in ln]
    assert progress and progress[-1].startswith("pgxannot: 3/3 patients (100%)")
    assert "pgxannot: 3 patient(s) to annotate in 1 job(s); progress every 10 s" in p.stderr
    assert "reason:" not in p.stderr


def test_snakemake_lint_is_clean_and_every_rule_declares_the_conda_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    work = tmp_path / "lint"
    work.mkdir()
    p = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--lint",
                        "--directory", str(work)], capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    # the lint that asked for "a conda environment or container for each rule" is gone
    assert "Congratulations, your workflow is in a good condition!" in p.stdout + p.stderr


def test_the_conda_environment_installs_pgxannot_itself():
    env_file = REPO / "workflow" / "envs" / "pgxannot.yaml"
    env = yaml.safe_load(env_file.read_text())
    assert set(env) == {"channels", "dependencies"} and "conda-forge" in env["channels"]
    deps = env["dependencies"]
    assert any(str(d).startswith("python ") for d in deps) and "pip" in deps
    (pip,) = [d["pip"] for d in deps if isinstance(d, dict)]
    (source,) = pip
    project = (env_file.parent / source).resolve()  # conda runs pip in the environment file's folder
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "pgxannot"' in pyproject and project == REPO
    # one list of dependencies: the environment adds none of its own beyond Python and pip
    assert len(deps) == 3
