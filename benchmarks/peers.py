#!/usr/bin/env python3
"""pgxannot beside PyPGx 0.27 on the same VCF and genes: wall, CPU, memory, per-gene agreement.

Optional and never run in CI: PyPGx and its resource bundle are not dependencies of
pgxannot. PyPGx (``pip install pypgx==0.27.0``, best in its own venv) is found as
``--pypgx`` or ``pypgx`` on PATH; its bundle where PyPGx looks for it, ``~/pypgx-bundle``
(``git clone --branch 0.27.0 --depth 1 https://github.com/sbslee/pypgx-bundle ~/pypgx-bundle``:
a download, so not to be had on an offline machine). When either is missing the
script says which and how to get it, and exits 0 without measuring anything.

With both: each gene of ``--genes`` that both tools call is run through
``pypgx run-ngs-pipeline GENE OUT --variants VCF --assembly GRCh38`` (SNVs/indels only,
no copy number: every sample is listed in ``--samples-without-sv``), and the same VCF and
samples through ``pgxannot annotate`` (JSON only). Printed as a Markdown table for
docs/benchmarks.md: wall/CPU/peak memory of each tool and their ratio, and per gene the
share of samples whose diplotypes agree (star alleles compared as unordered pairs).

Usage: ``python benchmarks/peers.py VCF [--samples 208] [--genes CYP2C19,CYP2C9,...]``
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

GENES = ("CYP2B6", "CYP2C19", "CYP2C9", "CYP3A5", "CYP4F2", "NUDT15", "SLCO1B1", "TPMT", "UGT1A1", "VKORC1")


def find_peer(pypgx: str | None) -> tuple[str, Path] | str:
    """(pypgx executable, bundle folder), or the reason the comparison cannot run."""
    exe = pypgx or shutil.which("pypgx")
    if not exe or not Path(exe).exists():
        return ("PyPGx is not installed: python3 -m venv pypgx-venv && pypgx-venv/bin/pip install "
                "pypgx==0.27.0, then pass --pypgx pypgx-venv/bin/pypgx")
    folder = Path.home() / "pypgx-bundle"
    if not (folder / "1kgp").is_dir():
        return (f"PyPGx's resource bundle is not in {folder}: it is a download (git clone --branch 0.27.0 "
                "--depth 1 https://github.com/sbslee/pypgx-bundle ~/pypgx-bundle), not to be had offline")
    return exe, folder


def timed(cmd: list[str]) -> dict[str, float]:
    """Wall, CPU of the child and its peak RSS (MB; the largest child so far)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall": time.perf_counter() - t0, "cpu": cpu, "rss_mb": after.ru_maxrss / 1024}


def pypgx_genotypes(out: Path) -> dict[str, str]:
    """sample -> genotype from a PyPGx output folder's results.zip (its data.tsv)."""
    with zipfile.ZipFile(out / "results.zip") as z:
        name = next(n for n in z.namelist() if n.endswith("data.tsv"))
        lines = z.read(name).decode().splitlines()
    head = lines[0].split("\t")
    col = head.index("Genotype")
    return {row.split("\t")[0]: row.split("\t")[col] for row in lines[1:]}


def same_pair(a: str, b: str) -> bool:
    return sorted(a.split("/")) == sorted(b.split("/"))


def run_pgxannot(vcf: Path, samples: list[str], work: Path) -> tuple[dict[str, float], dict[str, dict[str, str]]]:
    sheet = work / "samples.tsv"
    sheet.write_text("sample\tvcf\n" + "".join(f"{s}\t{vcf}\n" for s in samples))
    cfg = work / "config.json"
    subprocess.run([sys.executable, "-m", "pgxannot", "write-config", "--config-json",
                    json.dumps({"samples": str(sheet), "missing_positions_as_reference": True, "outputs": ["json"]}),
                    "--sample-sheet", str(sheet), "-o", str(cfg)], check=True)
    m = timed([sys.executable, "-m", "pgxannot", "annotate", "--config", str(cfg), "--samples", ",".join(samples),
               "--outdir", str(work / "reports"), "--index-dir", str(work / "index")])
    calls: dict[str, dict[str, str]] = {}
    for s in samples:
        doc = json.loads((work / "reports" / f"{s}.json").read_text())
        calls[s] = {g["gene"]: (g["diplotypes"][0] if g["diplotypes"] else "") for g in doc["genes"]}
    return m, calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("vcf", type=Path)
    ap.add_argument("--samples", type=int, default=208)
    ap.add_argument("--genes", default=",".join(GENES))
    ap.add_argument("--pypgx")
    args = ap.parse_args()
    peer = find_peer(args.pypgx)
    if isinstance(peer, str):
        print(f"peers.py: not measured. {peer}")
        return
    exe, _ = peer
    import pysam

    samples = list(pysam.VariantFile(str(args.vcf)).header.samples)[: args.samples]
    work = Path(tempfile.mkdtemp(prefix="peers-"))
    ours, calls = run_pgxannot(args.vcf, samples, work)
    theirs = {"wall": 0.0, "cpu": 0.0, "rss_mb": 0.0}
    rows = []
    for gene in args.genes.split(","):
        out = work / f"pypgx_{gene}"
        m = timed([exe, "run-ngs-pipeline", gene, str(out), "--variants", str(args.vcf), "--assembly", "GRCh38",
                   "--samples", *samples, "--samples-without-sv", *samples])
        theirs = {"wall": theirs["wall"] + m["wall"], "cpu": theirs["cpu"] + m["cpu"],
                  "rss_mb": max(theirs["rss_mb"], m["rss_mb"])}
        got = pypgx_genotypes(out)
        agree = sum(same_pair(got.get(s, ""), calls[s].get(gene, "")) for s in samples)
        rows.append(f"| {gene} | {agree}/{len(samples)} ({100 * agree / len(samples):.1f}%) |")
    print(f"| tool | wall s | CPU s | peak MB |\n|---|---|---|---|\n"
          f"| PyPGx 0.27 ({len(rows)} genes, {len(samples)} samples) | {theirs['wall']:.0f} | {theirs['cpu']:.0f} | "
          f"{theirs['rss_mb']:.0f} |\n| pgxannot (every gene) | {ours['wall']:.1f} | {ours['cpu']:.1f} | "
          f"{ours['rss_mb']:.0f} |\n| ratio PyPGx / pgxannot | {theirs['wall'] / ours['wall']:.0f}x | "
          f"{theirs['cpu'] / ours['cpu']:.0f}x | |\n\n| gene | same diplotype |\n|---|---|\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
