"""``pgxannot run``'s supervision: Snakemake's output filtered, progress lines, the summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pgxannot import runner
from pgxannot.progress import PLAN_FILE, ProgressFile, format_duration, progress_line, read_progress
from pgxannot.runner import SnakemakeOutput

# Snakemake 9's terminal output of a failed annotation job, as it prints it
FAILED_JOB = """\
[Tue Dec  1 12:48:35 2026]
localrule annotate_g001c001:
    input: results/work/config.json, /data/cohort.vcf.gz
    output: {outputs}
    log: logs/annotate/g001c001.log
    jobid: 2
    reason: Missing output files: {outputs}; Input files updated by another job: results/work/config.json
    resources: tmpdir=/tmp, runtime=30, mem_mb=2000, mem=2 GB, mem_mib=1908
RuleException:
CalledProcessError in file "/x/workflow/rules/annotate.smk", line 82:
Command 'set -euo pipefail;  /x/python -m pgxannot annotate --config results/work/config.json 2> logs/annotate/g001c001.log' returned non-zero exit status 2.
[Tue Dec  1 12:48:48 2026]
Error in rule annotate_g001c001:
    message: None
    jobid: 2
    input: results/work/config.json, /data/cohort.vcf.gz
    output: {outputs}
    log: logs/annotate/g001c001.log (check log file(s) for error details)
    shell:
        /x/python -m pgxannot annotate --config results/work/config.json 2> logs/annotate/g001c001.log
        (command exited with non-zero exit code)
Removing output files of failed job annotate_g001c001 since they might be corrupted:
    {outputs}
Exiting because a job execution failed. Look above for error messages
Complete log(s): /w/.snakemake/log/2026-12-01T124831.112975.snakemake.log
WorkflowError:
At least one job did not complete successfully.
"""

PARSE_ERROR = """\
WorkflowError in file "/x/workflow/rules/common.smk", line 53:
pgxannot: error: /data/a.vcf.gz: the records are GRCh37, but reference_build is GRCh38: REF matches GRCh37 at 100% of 22 PGx positions. set 'reference_build: GRCh37' in config.yaml, or give a GRCh38 VCF
  File "/x/workflow/rules/common.smk", line 53, in <module>
"""


def _feed(text: str, workdir: Path) -> tuple[list[str], SnakemakeOutput]:
    out = SnakemakeOutput(workdir)
    shown = [line for raw in text.splitlines(keepends=True) for line in out.feed(raw)]
    return shown + out.finish(), out


def test_a_failed_job_shows_pgxannots_message_and_log_not_snakemakes(tmp_path):
    outputs = ", ".join(f"results/reports/P{k:04d}.{e}" for k in range(1000) for e in ("json", "html"))
    log = tmp_path / "logs" / "annotate" / "g001c001.log"
    log.parent.mkdir(parents=True)
    log.write_text("2026-12-01 12:48:40,000 pgxannot INFO annotating 1000 sample(s)\n"
                   "pgxannot: error: /data/cohort.vcf.gz (line 31): malformed record: POS 'x' is not a whole "
                   "number. fix or remove the line\n")
    shown, out = _feed(FAILED_JOB.format(outputs=outputs), tmp_path)
    text = "\n".join(shown)
    for gone in ("CalledProcessError", "WorkflowError", "RuleException", "message: None", "reason:",
                 "Exiting because", "At least one job", "P0999.html"):
        assert gone not in text, gone
    assert "    output: 2,000 files (results/reports/P0000.json, ...)" in shown
    errors = [s for s in shown if s.startswith("pgxannot: error:")]
    assert errors == ["pgxannot: error: /data/cohort.vcf.gz (line 31): malformed record: POS 'x' is not a whole "
                      "number. fix or remove the line [job annotate_g001c001, log logs/annotate/g001c001.log]"]
    assert any(s.startswith("Complete log(s):") for s in shown)  # where Snakemake keeps everything
    assert [f.rule for f in out.failures] == ["annotate_g001c001"]
    assert max(len(s) for s in shown) < 300


def test_a_job_without_a_pgxannot_message_still_names_its_log(tmp_path):
    shown, _ = _feed(FAILED_JOB.format(outputs="results/reports/A.json"), tmp_path)
    assert [s for s in shown if s.startswith("pgxannot:")] == [
        "pgxannot: error: job annotate_g001c001 failed without a pgxannot message; see logs/annotate/g001c001.log"]


def test_a_patient_failure_inside_a_job_is_not_an_error_line_twice(tmp_path):
    log = tmp_path / "logs" / "annotate" / "g001c001.log"
    log.parent.mkdir(parents=True)
    log.write_text("pgxannot: error: patient S2: /d/oc.tsv: unknown allele\n")
    shown, _ = _feed(FAILED_JOB.format(outputs="results/reports/A.json"), tmp_path)
    mine = [s for s in shown if s.startswith("pgxannot:")]
    assert len(mine) == 1 and mine[0].startswith("pgxannot: patient S2: /d/oc.tsv: unknown allele [job ")


def test_a_parse_time_error_is_pgxannots_line_only(tmp_path):
    shown, _ = _feed(PARSE_ERROR, tmp_path)
    assert len(shown) == 1 and shown[0].startswith("pgxannot: error: /data/a.vcf.gz: the records are GRCh37")


def test_ordinary_lines_pass_through(tmp_path):
    text = "Building DAG of jobs...\nJob stats:\njob    count\n3 of 7 steps (43%) done\n"
    shown, _ = _feed(text, tmp_path)
    assert shown == text.splitlines()


def test_progress_line():
    assert progress_line(1234, 3202, 100.0) == "1,234/3,202 patients (39%), 12.3/s, about 2 min 39 s left"
    assert progress_line(0, 3202, 5.0) == "0/3,202 patients (0%)"
    assert progress_line(3202, 3202, 200.0) == "3,202/3,202 patients (100%), 16.0/s"
    assert format_duration(59.4) == "59 s" and format_duration(3725) == "1 h 02 min"


def test_progress_files_add_up(tmp_path):
    a = ProgressFile(tmp_path / "g001c001.json", 500)
    b = ProgressFile(tmp_path / "g002c001.json", 3)
    a.update(120, force=True)
    b.update(3, force=True)
    a.update(121)  # within the write interval: not written
    got = read_progress(tmp_path, since=0)
    assert {k: (v.done, v.total) for k, v in got.items()} == {"g001c001": (120, 500), "g002c001": (3, 3)}
    assert read_progress(tmp_path, since=(tmp_path / "g001c001.json").stat().st_mtime + 10) == {}
    ProgressFile(None, 5).update(5, force=True)  # no path: nothing written, no error


def test_summary_counts_reported_and_failed_patients(tmp_path, capsys):
    plan = {"patients": 2, "excluded": {"S2": "oc.tsv (line 1): unknown CYP2D6 allele '*999'"},
            "chunks": {"g001c001": 2}, "files": {"S1": "S1", "LAB_1~abcd1234": "LAB 1"}}
    (tmp_path / PLAN_FILE).parent.mkdir(parents=True)
    (tmp_path / PLAN_FILE).write_text(json.dumps(plan))
    (tmp_path / "results" / "reports").mkdir(parents=True)
    (tmp_path / "results" / "reports" / "S1.json").write_text("{}")
    last = runner._Round(started=0.0, rc=0, output=SnakemakeOutput(tmp_path))
    assert runner._summary(tmp_path, last, runner._Say()) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "pgxannot: 1 patient(s) reported, 1 failed, 1 not reported because a job failed (see above):"
    assert err[1] == "pgxannot: error: patient S2 not reported: oc.tsv (line 1): unknown CYP2D6 allele '*999'"


def test_summary_when_nothing_started(tmp_path, capsys):
    last = runner._Round(started=0.0, rc=1, output=SnakemakeOutput(tmp_path))
    assert runner._summary(tmp_path, last, runner._Say()) == 1
    assert capsys.readouterr().err == "pgxannot: no job was started: fix the problem(s) above and run again\n"


def test_run_help_is_pgxannots_and_says_snakemake_options_pass_through():
    p = subprocess.run([sys.executable, "-m", "pgxannot", "run", "--help"], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0
    assert p.stdout.startswith("usage: pgxannot run [SNAKEMAKE OPTIONS ...]")
    assert "Every Snakemake option passes through" in p.stdout and "__main__.py" not in p.stdout
    assert "--help-snakemake" in p.stdout


def test_the_rate_ignores_the_time_before_the_first_report(tmp_path):
    """Jobs read their VCF before their first report: minutes of 0 done must not make the
    time left look like hours."""
    p = runner._Progress(tmp_path, 0.0, runner._Say())
    p.history = [(0.0, 0), (10.0, 0), (20.0, 0), (30.0, 10), (40.0, 110)]
    assert p._line(110, 1110, 40.0) == "110/1,110 patients (10%), 10.0/s, about 1 min 40 s left"
    p.history = [(0.0, 0), (10.0, 0)]
    assert p._line(0, 1110, 10.0) == "0/1,110 patients (0%)"


def test_a_line_every_ten_seconds_before_the_jobs_start(tmp_path, capsys, monkeypatch):
    """The checks and Snakemake's plan of a 3,202-sample run take half a minute: not silent."""
    clock = [1000.0]
    monkeypatch.setattr(runner.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(runner.time, "time", lambda: clock[0])
    p = runner._Progress(tmp_path, 1000.0, runner._Say())  # no run.json yet: jobs not started
    for t in (1005.0, 1010.5, 1015.0, 1021.0):
        clock[0] = t
        p.tick()
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["pgxannot: checking the inputs and planning the jobs (10 s so far)",
                     "pgxannot: checking the inputs and planning the jobs (21 s so far)"]


def test_the_start_line_says_how_many_patients_are_left_out(tmp_path, capsys):
    work = tmp_path / "results" / "work"
    work.mkdir(parents=True)
    (work / "plan.json").write_text(json.dumps({"patients": 3, "excluded": {"S2": "oc.tsv (line 1): bad"}}))
    (work / "run.json").write_text(json.dumps({"chunks": {"g001c001": 2}}))
    runner._Progress(tmp_path, 0.0, runner._Say()).tick()
    assert capsys.readouterr().err.splitlines()[:2] == [
        "pgxannot: 2 patient(s) to annotate in 1 job(s); progress every 10 s",
        "pgxannot: 1 patient(s) left out: their own input failed (why: at the end)"]


def test_lines_go_on_while_the_cohort_summary_and_checksums_run(tmp_path, capsys, monkeypatch):
    """After the last report, the cohort page of 3,202 patients took 90 s: not silent either."""
    clock = [1000.0]
    monkeypatch.setattr(runner.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(runner.time, "time", lambda: clock[0])
    work = tmp_path / "results" / "work"
    (work / "progress").mkdir(parents=True)
    (work / "run.json").write_text(json.dumps({"chunks": {"g001c001": 2}}))
    ProgressFile(work / "progress" / "g001c001.json", 2).update(2, force=True)
    p = runner._Progress(tmp_path, 0.0, runner._Say())
    for t in (1000.0, 1010.0, 1020.0, 1030.0):
        clock[0] = t
        p.tick()
    p.tick(final=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines[1:] == ["pgxannot: 2/2 patients (100%)",
                         "pgxannot: all 2 patients annotated; the cohort summary and checksums (10 s so far)",
                         "pgxannot: all 2 patients annotated; the cohort summary and checksums (20 s so far)"]
