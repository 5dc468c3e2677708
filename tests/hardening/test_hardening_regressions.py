"""Regression tests for the bugs the hardening corpus found in vcf/reader.py and cli.py."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
from hardening_helpers import FILES

from pgxannot import runner
from pgxannot.errors import OutputError, VcfError
from pgxannot.vcf.header import inspect_vcf
from pgxannot.vcf.model import MISSING, Site
from pgxannot.vcf.sites import read_site_genotypes
from pgxannot.vcf.variants import iter_variants

STAR2 = Site("chr10", 94781859, "G")


def _good_lines() -> list[str]:
    return (FILES / "good.vcf").read_text().splitlines()


def test_space_separated_record_is_an_error_not_a_segfault(tmp_path: Path) -> None:
    """htslib turns a line without tabs into a record without REF; cyvcf2 segfaulted on v.REF."""
    p = tmp_path / "spaces.vcf"
    lines = _good_lines()
    p.write_text("\n".join(lines[:7] + [ln.replace("\t", " ") for ln in lines[7:]]) + "\n")
    code = ("import sys\nfrom pgxannot.errors import VcfError\nfrom pgxannot.vcf.model import Site\n"
            "from pgxannot.vcf.sites import read_site_genotypes\n"
            "try:\n    read_site_genotypes([sys.argv[1]], [Site('chr10', 94781859, 'G')])\n"
            "except VcfError as e:\n    print(e.one_line())\n")
    r = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, f"crashed with {r.returncode}: {r.stderr[-2000:]}"
    assert "(line 8): malformed record" in r.stdout and "not spaces" in r.stdout


@pytest.mark.parametrize("compress", [False, True])
def test_byte_order_mark_is_named(tmp_path: Path, compress: bool) -> None:
    data = b"\xef\xbb\xbf" + (FILES / "good.vcf").read_bytes()
    p = tmp_path / ("bom.vcf.gz" if compress else "bom.vcf")
    p.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    with pytest.raises(VcfError, match="byte-order mark"):
        inspect_vcf(p)


def test_header_without_fileformat_first_is_named(tmp_path: Path) -> None:
    p = tmp_path / "nofmt.vcf"
    p.write_text("\n".join(_good_lines()[1:]) + "\n")  # starts with ##FORMAT
    with pytest.raises(VcfError, match="no '##fileformat' line first"):
        inspect_vcf(p)


def test_records_without_gt_are_no_calls(tmp_path: Path) -> None:
    """GT is optional per record: a record with FORMAT DP only is missing, not an error."""
    lines = _good_lines()
    lines.insert(2, '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">')
    out = []
    for ln in lines:
        if ln.startswith("chr10\t94781859\t"):
            ln = ln.rsplit("\t", 2)[0] + "\tDP\t30"
        out.append(ln)
    p = tmp_path / "nogt.vcf"
    p.write_text("\n".join(out) + "\n")
    sg = read_site_genotypes([p], [STAR2, Site("chr10", 94775367, "A")])
    assert (sg.gt[0] == MISSING).all()
    assert sg.gt[1, 0].tolist() == [0, 1]
    recs = list(iter_variants([p], regions=[("chr10", 94781800, 94781900)]))
    assert any(r.pos == 94781859 and (r.gt == MISSING).all() for r in recs)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda c: c[:5], "5 tab-separated column(s), expected 10"),
    (lambda c: [c[0], "12x", *c[2:]], "POS '12x' is not a whole number"),
])
@pytest.mark.parametrize("compress", [False, True])
def test_malformed_line_is_located(tmp_path: Path, edit, message, compress) -> None:
    lines = _good_lines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith("chr10\t94781859\t"))
    lines[i] = "\t".join(edit(lines[i].split("\t")))
    data = ("\n".join(lines) + "\n").encode()
    p = tmp_path / ("bad.vcf.gz" if compress else "bad.vcf")
    p.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    with pytest.raises(VcfError) as info:
        read_site_genotypes([p], [STAR2])
    msg = info.value.one_line()
    assert f"(line {i + 1})" in msg and message in msg and "\n" not in msg


# ------------------------------------------------------------------------- cli run


def test_workdir_parsing(tmp_path: Path) -> None:
    assert runner._workdir(["--cores", "1", "--directory", str(tmp_path)]) == tmp_path
    assert runner._workdir([f"--directory={tmp_path}"]) == tmp_path
    assert runner._workdir(["-d", str(tmp_path)]) == tmp_path
    assert runner._workdir(["--cores", "1"]) == Path.cwd()


def test_unwritable_output_folder_is_one_line(tmp_path: Path, monkeypatch) -> None:
    import errno
    import tempfile

    def refuse(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError) as info:
        runner._check_writable(tmp_path / "not" / "yet")
    msg = info.value.one_line()
    assert msg.startswith(f"{tmp_path}: output folder is not writable (Read-only file system)")
    assert "--directory" in msg


def test_run_lock_refuses_a_second_run_and_clears_stale_locks(tmp_path: Path) -> None:
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("x")
    reports = tmp_path / "results" / "reports"
    reports.mkdir(parents=True)
    (reports / ".S1.html.abc123.tmp").write_text("half")
    (reports / "S1.json").write_text("{}")
    held = runner._hold_run_lock(tmp_path)
    try:
        assert not list(locks.iterdir()), "stale Snakemake locks were not removed"
        assert [p.name for p in reports.iterdir()] == ["S1.json"]
        with pytest.raises(OutputError, match="another 'pgxannot run' is working in this folder"):
            runner._hold_run_lock(tmp_path)
    finally:
        held.close()
    again = runner._hold_run_lock(tmp_path)  # released with its file
    again.close()


def test_run_passes_rerun_incomplete_and_keeps_dry_runs_untouched(tmp_path: Path, monkeypatch) -> None:
    seen: list[list[str]] = []
    fds: list[tuple[int, ...]] = []

    def fake_call(argv, **kwargs):
        seen.append(list(argv))
        fds.append(tuple(kwargs.get("pass_fds", ())))
        return 0

    def fake_supervise(argv, env, workdir, keep_fd):
        seen.append(list(argv))
        fds.append((keep_fd,))
        assert env["PGXANNOT_SUPERVISED"] == "1"
        return 0

    monkeypatch.setattr(subprocess, "call", fake_call)
    monkeypatch.setattr(runner, "_supervise", fake_supervise)
    assert runner.run_workflow(["--cores", "1", "--directory", str(tmp_path)]) == 0
    assert "--rerun-incomplete" in seen[-1] and "--keep-going" in seen[-1]
    assert (tmp_path / ".snakemake" / "pgxannot-run.lock").is_file()
    assert len(fds[-1]) == 1, "Snakemake must inherit the run lock"
    dry = tmp_path / "dry"
    assert runner.run_workflow(["-n", "--directory", str(dry)]) == 0
    assert "--rerun-incomplete" not in seen[-1] and not dry.exists()
    assert runner.run_workflow(["--cores", "1", "--ri", "--directory", str(tmp_path)]) == 0
    assert seen[-1].count("--rerun-incomplete") == 0 and "--ri" in seen[-1]


def test_stale_index_is_not_used(tmp_path: Path) -> None:
    """A .tbi older than its VCF (here: the index of another file) silently lost records."""
    import os

    vcf = tmp_path / "a.vcf.gz"
    vcf.write_bytes((FILES / "stale_index.vcf.gz").read_bytes())
    tbi = tmp_path / "a.vcf.gz.tbi"
    tbi.write_bytes((FILES / "stale_index.vcf.gz.tbi").read_bytes())
    old = vcf.stat().st_mtime - 3600
    os.utime(tbi, (old, old))
    sg = read_site_genotypes([vcf], [STAR2], index_dir=tmp_path / "idx")
    assert sg.gt[0, 0].tolist() == [0, 1]
    assert list((tmp_path / "idx").rglob("*.csi")), "an index should have been built in index_dir"


def test_bcf_without_index_is_indexed_in_index_dir(tmp_path: Path) -> None:
    bcf = tmp_path / "a.bcf"
    bcf.write_bytes((FILES / "good_noindex.bcf").read_bytes())
    sg = read_site_genotypes([bcf], [STAR2], index_dir=tmp_path / "idx")
    assert sg.gt[0, 0].tolist() == [0, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bcf", "idx"], "nothing written beside the input"
