"""Faults and determinism of whole ``pgxannot run``s.

* SIGKILL of the whole run during star-allele calling and in the middle of writing a
  report: no truncated file under a final name, and the same command reruns to
  completion with outputs byte-identical to an uninterrupted run;
* a full disk while writing, a read-only output folder: one clear line, nothing half-written;
* two concurrent runs in different folders do not interfere; a second run in the same
  folder is refused while the first works;
* two runs with ``SOURCE_DATE_EPOCH`` pinned give byte-identical JSON/TSV/FHIR/HTML and
  checksums.

Runs that are compared byte for byte happen one after another at the same absolute path
(reports record the absolute paths of their inputs), then the folder is moved aside.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from hardening_helpers import (
    EPOCH,
    FILES,
    IS_ROOT,
    Scratch,
    error_lines,
    outputs,
    run_workflow,
    snapshot,
    start_workflow,
    workflow_env,
)

pytestmark = pytest.mark.slow

SAMPLES = "sample\tvcf\tmedications\toutside_calls\n" \
          "S1\t{IN}/good_multi.vcf\tclopidogrel;citalopram\t\n" \
          "S2\t{IN}/good_multi.vcf\t\t{IN}/outside_ok.tsv\n" \
          "S3\t{IN}/good_multi.vcf\tvoriconazole\t\n"


class Bench:
    """One input folder and $HOME; runs happen at ``self.out`` and are then moved aside."""

    def __init__(self, root: Path) -> None:
        self.scratch = Scratch(root).make()
        for name in ("good_multi.vcf", "outside_ok.tsv"):
            shutil.copyfile(FILES / name, self.scratch.inp / name)
        self.out = self.scratch.out

    def fresh(self, **config) -> Path:
        if self.out.exists():
            shutil.rmtree(self.out)
        self.out.mkdir()
        (self.out / "samples.tsv").write_text(SAMPLES.replace("{IN}", str(self.scratch.inp)), encoding="utf-8")
        cfg = {"samples": "samples.tsv", "chunk_size": 2, **config}
        (self.out / "config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
        return self.out

    def env(self, hook: str | None = None, marker: Path | None = None) -> dict[str, str]:
        return workflow_env(self.scratch, hook, marker)

    def run(self, hook: str | None = None) -> subprocess.CompletedProcess:
        return run_workflow(self.out, self.env(hook), cwd=self.scratch.elsewhere)

    def keep(self, name: str) -> Path:
        dest = self.scratch.root / name
        if dest.exists():
            shutil.rmtree(dest)
        self.out.rename(dest)
        return dest

    def killed_at(self, hook: str) -> subprocess.Popen:
        """Start a run whose hook pauses at a known point, then SIGKILL its whole process group."""
        marker = self.scratch.root / f"marker-{hook.replace(':', '-')}"
        marker.unlink(missing_ok=True)
        p = start_workflow(self.out, self.env(hook, marker), cwd=self.scratch.elsewhere)
        deadline = time.monotonic() + 120
        while not marker.exists():
            if p.poll() is not None or time.monotonic() > deadline:
                _out, err = p.communicate()
                pytest.fail(f"the hook {hook} never fired (exit {p.returncode})\n{err[-3000:]}")
            time.sleep(0.1)
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate(timeout=30)
        assert p.returncode == -signal.SIGKILL
        return p


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> Bench:
    return Bench(tmp_path_factory.mktemp("faults"))


@pytest.fixture(scope="module")
def reference(bench: Bench) -> dict[str, bytes]:
    """Outputs of an uninterrupted run."""
    bench.fresh()
    p = bench.run()
    assert p.returncode == 0, p.stderr[-3000:]
    files = outputs(bench.out)
    bench.keep("reference")
    return files


def _assert_no_truncated(out: Path, reference: dict[str, bytes]) -> None:
    """Every file under a final name is complete: byte-identical to the reference run's."""
    for rel, data in outputs(out).items():
        if Path(rel).name.startswith("."):
            continue
        assert data == reference.get(rel), f"{rel} differs from the uninterrupted run (truncated?)"


def _no_temp_files(out: Path) -> list[Path]:
    return sorted(p for p in (out / "results").rglob(".*.tmp")) if (out / "results").is_dir() else []


def test_determinism_byte_identical(bench: Bench, reference: dict[str, bytes]) -> None:
    """A second run from scratch (SOURCE_DATE_EPOCH pinned) gives byte-identical outputs and checksums."""
    bench.fresh()
    p = bench.run()
    assert p.returncode == 0, p.stderr[-3000:]
    again = outputs(bench.out)
    assert sorted(again) == sorted(reference)
    kinds = {Path(r).name.split(".", 1)[1] for r in again if r.startswith("results/reports/")}
    assert {"json", "tsv", "html", "fhir.json"} <= kinds
    diff = [r for r in again if again[r] != reference[r]]
    assert not diff, f"not byte-identical: {diff}"
    # the manifest lists every output with its real sha256
    lines = (bench.out / "results" / "checksums.sha256").read_text().splitlines()
    assert len(lines) >= 3 * 4 + 2
    for line in lines:
        digest, rel = line.split("  ", 1)
        assert hashlib.sha256((bench.out / rel).read_bytes()).hexdigest() == digest, rel
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(int(EPOCH), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert stamp.encode() in again["results/reports/S1.json"]
    bench.keep("determinism")


def test_sigkill_during_calling_reruns_identically(bench: Bench, reference: dict[str, bytes]) -> None:
    bench.fresh()
    bench.killed_at("pause:calling")
    _assert_no_truncated(bench.out, reference)
    assert not list((bench.out / "results" / "reports").glob("*")) if (bench.out / "results" / "reports").exists() else True
    p = bench.run()  # the same command again, nothing else
    assert p.returncode == 0, p.stderr[-3000:]
    assert "Traceback" not in p.stderr
    assert outputs(bench.out) == reference
    bench.keep("killed_calling")


def test_sigkill_while_writing_a_report_reruns_identically(bench: Bench, reference: dict[str, bytes]) -> None:
    bench.fresh()
    bench.killed_at("pause:write:S2.tsv")  # S1's four files and S2.json staged, S2.tsv half-way
    reports = bench.out / "results" / "reports"
    # the chunk's reports are staged under temporary names and renamed together at the end
    assert not (reports / "S1.json").exists(), "no report under its final name before the chunk's commit"
    assert _no_temp_files(bench.out), "the hook leaves a half-written temporary file, as a real kill would"
    _assert_no_truncated(bench.out, reference)
    p = bench.run()
    assert p.returncode == 0, p.stderr[-3000:]
    assert outputs(bench.out) == reference
    assert not _no_temp_files(bench.out), "temporary files of the killed run were left behind"
    bench.keep("killed_writing")


def test_disk_full_while_writing(bench: Bench, reference: dict[str, bytes]) -> None:
    bench.fresh()
    p = bench.run(hook="fail-replace:S1.html")
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    log = bench.out / "logs" / "annotate" / "g001c001.log"
    assert "logs/annotate/g001c001.log" in p.stderr
    text = log.read_text()
    assert "Traceback" not in text
    lines = error_lines(text)
    assert len(lines) == 1 and "No space left on device" in lines[0] and "S1.html" in lines[0], text
    _assert_no_truncated(bench.out, reference)
    assert not _no_temp_files(bench.out)
    assert not list((bench.out / "results" / "reports").glob("S1.*")), "reports of the failed job were kept"
    bench.keep("disk_full")


def _read_only_runner(folder: Path) -> list[str] | None:
    """A command prefix that runs with ``folder`` read-only (root ignores permission bits, so a
    read-only bind mount in a private mount namespace); None when that is impossible."""
    if not IS_ROOT:
        return []
    if not shutil.which("unshare"):
        return None
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {folder} {folder} && "
                            f"mount -o remount,bind,ro {folder} && ! touch {folder}/.probe"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return None
    return ["unshare", "-m", "sh", "-c",
            f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && exec "$@"', "sh"]


@pytest.mark.parametrize("which", ["whole folder", "results/reports"])
def test_read_only_output_folder(bench: Bench, which: str) -> None:
    out = bench.fresh()
    target = out if which == "whole folder" else out / "results" / "reports"
    target.mkdir(parents=True, exist_ok=True)
    prefix = _read_only_runner(target)
    if prefix is None:
        pytest.skip("cannot make a read-only folder here (root without mount namespaces)")
    if not IS_ROOT:
        target.chmod(0o555)
    before = snapshot(out)
    try:
        p = subprocess.run([*prefix, sys.executable, "-m", "pgxannot", "run", "--cores", "1", "--directory", str(out)],
                           cwd=bench.scratch.elsewhere, env=bench.env(), capture_output=True, text=True, timeout=120,
                           check=False)
    finally:
        target.chmod(0o755)
    assert p.returncode == 2, p.stderr[-3000:]
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("pgxannot: error:") and "not writable" in lines[0] and str(target) in lines[0]
    assert "--directory" in lines[0]
    if which == "whole folder":
        assert snapshot(out) == before, "something was written into the read-only folder"
    assert not list(target.rglob("*.json"))
    bench.keep(f"read_only_{which.replace('/', '_').replace(' ', '_')}")


def test_two_concurrent_runs_in_different_folders(bench: Bench, reference: dict[str, bytes]) -> None:
    """Same inputs, two output folders, at the same time: both complete, same calls."""
    outs = [bench.scratch.root / f"concurrent{i}" for i in (1, 2)]
    for o in outs:
        if o.exists():
            shutil.rmtree(o)
    bench.fresh()
    for o in outs:
        shutil.copytree(bench.out, o)
    results: dict[Path, subprocess.CompletedProcess] = {}

    def go(o: Path) -> None:
        results[o] = run_workflow(o, bench.env(), cwd=bench.scratch.elsewhere)

    threads = [threading.Thread(target=go, args=(o,)) for o in outs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for o in outs:
        assert results[o].returncode == 0, results[o].stderr[-3000:]
    norm = [{k: v.replace(str(o).encode(), b"OUT").replace(str(bench.out).encode(), b"OUT")
             for k, v in outputs(o).items() if k.endswith((".json", ".tsv")) and not k.endswith(".fhir.json")}
            for o in outs]  # HTML, FHIR ids and checksums embed the folder's path: compared above per folder
    assert norm[0] == norm[1]
    ref = {k: v.replace(str(bench.out).encode(), b"OUT") for k, v in reference.items()}
    assert {k: v for k, v in ref.items() if k in norm[0]} == norm[0]
    for o in outs:  # each run's reports name its own sheet, never the other folder
        other = outs[1] if o == outs[0] else outs[0]
        assert str(other).encode() not in (o / "results" / "reports" / "S1.json").read_bytes()


def test_second_run_in_the_same_folder_is_refused(bench: Bench) -> None:
    bench.fresh()
    marker = bench.scratch.root / "marker-lock"
    first = start_workflow(bench.out, bench.env("pause:calling", marker), cwd=bench.scratch.elsewhere)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.1)
        assert marker.exists(), "the first run never reached calling"
        second = run_workflow(bench.out, bench.env(), cwd=bench.scratch.elsewhere, timeout=60)
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"pgxannot: error: {bench.out}: another 'pgxannot run' is working in this folder. "
            "wait for it to finish, or give this run its own --directory"]
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.communicate(timeout=30)
    bench.keep("refused")
