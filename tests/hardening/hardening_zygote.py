"""A pre-warmed pgxannot process that forks one child per command (test helper, POSIX only).

Start it with ``python hardening_zygote.py``; it imports pgxannot, runs one annotation to
fill the package's caches, then reads one JSON request per line on stdin::

    {"args": [...], "cwd": "...", "env": {...}, "stdout": "file", "stderr": "file"}

For each it forks: the child changes to ``cwd``, takes ``env`` as its whole environment,
sends file descriptors 1 and 2 to the given files (C-level htslib messages included) and
calls ``pgxannot.cli.main(args)`` exactly as ``python -m pgxannot ARGS`` does, then exits
with its return code. The parent answers ``{"rc": N}`` (negative: killed by signal -N,
e.g. -11 for a segfault). Every command so runs in its own process (a crash stays
contained) without paying the interpreter start and knowledge-base load each time.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from pathlib import Path


def _warm() -> None:
    """Load every table an annotation uses (in this process, so children inherit them)."""
    from pgxannot import cli

    here = Path(__file__).resolve().parent
    good = here.parents[0] / "data" / "bad" / "files" / "good.vcf"
    with tempfile.TemporaryDirectory(prefix="zygote") as tmp:
        t = Path(tmp)
        (t / "samples.tsv").write_text(f"sample\tvcf\nS1\t{good}\n", encoding="utf-8")
        (t / "config.yaml").write_text("samples: samples.tsv\n", encoding="utf-8")
        old = os.getcwd()
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(2)
        try:
            os.chdir(t)
            os.dup2(devnull, 2)
            cli.main(["annotate", "--config", "config.yaml", "--samples", "S1", "--outdir", "r"])
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
            os.chdir(old)


def read_vcf_target(path: str, work: str) -> None:
    """Fuzz target: everything the pipeline does with a VCF (header checks, site genotypes,
    star-allele calls, region and whole-file iteration)."""
    from pgxannot.pgx import call_samples, pgx_sites
    from pgxannot.vcf.sites import read_site_genotypes
    from pgxannot.vcf.variants import iter_variants

    genes = ["CYP2C19"]
    sg = read_site_genotypes([path], pgx_sites("GRCh38", genes=genes), build="GRCh38", index_dir=Path(work))
    call_samples(sg, genes=genes)
    for _ in iter_variants([path], regions=[("chr10", 94_700_000, 94_900_000)], index_dir=Path(work)):
        pass
    for _ in iter_variants([path], info_keys=("CSQ", "ANN")):
        pass


def _target(req: dict) -> int:
    """``{"target": "read_vcf", "path": ..., "work": ...}``: 0 done, 2 PgxannotError, 1 any other
    exception (its traceback on the child's stderr)."""
    from pgxannot.errors import PgxannotError

    try:
        read_vcf_target(req["path"], req["work"])
    except PgxannotError as exc:
        print(exc.one_line(), file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        return 1
    return 0


def _child(req: dict) -> int:
    from pgxannot import cli

    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(err, 2)
    if "target" in req:
        return _target(req)
    sys.argv = ["pgxannot", *req["args"]]
    try:
        rc = cli.main(req["args"])
    except SystemExit as exc:  # argparse errors
        rc = exc.code if isinstance(exc.code, int) else 2
    sys.stdout.flush()
    sys.stderr.flush()
    return int(rc or 0)


def main() -> None:
    _warm()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            rc = 70
            try:
                rc = _child(req)
            except BaseException:  # a bug of this helper, not of pgxannot's error handling
                traceback.print_exc()
            finally:
                os._exit(rc)
        _, status = os.waitpid(pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        print(json.dumps({"rc": rc}), flush=True)


if __name__ == "__main__":
    main()
