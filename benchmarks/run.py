#!/usr/bin/env python3
"""Speed and memory of pgxannot's stages, against the floor of reading the genotypes once.

Inputs (built under ``benchmarks/out/`` on first use, never committed):

* ``1kgp_grch38.vcf.gz``: the 18 per-gene 1000 Genomes GRCh38 panels of
  ``../shared/data/1kgp/GRCh38`` (3,202 samples) merged into one bgzipped, indexed VCF;
* ``synthetic_genome.vcf.gz``: a single-sample genome of ``--genome-records`` records
  (default 5,000,000) spread over chr1-22/X in proportion to their length, with the
  PharmCAT pharmacogene positions among them.

Stages, each in a fresh process (wall time, CPU time, peak RSS):

* ``floor``: parse every genotype of the merged VCF once with cyvcf2;
* ``read+call``: pgxannot reads the pharmacogene positions of N samples and calls them;
* ``workflow``: ``pgxannot run`` end to end with the default config (all four per-patient
  formats: JSON, TSV, HTML, FHIR) + cohort files; ``--no-fhir`` runs it with ``fhir: false``;
* ``cohort``: ``benchmarks/synth.py`` cohorts of ``--cohort-sizes`` patients (default
  10,000 and 100,000), each first planned (``snakemake -n``: time to build the DAG), then
  run in cohort mode (``outputs: [json]``), and with ``--full-sizes`` with full reports:
  wall, CPU, the largest peak memory of any one job (Snakemake's ``benchmark:`` files),
  files written;
* ``genome``: pharmacogene calls and the germline ClinVar screen of the 5 M-record genome,
  indexed and unindexed.

Usage: ``python benchmarks/run.py [--sizes 100,1000,3202] [--cohort-sizes 10000,100000]
[--full-sizes 10000] [--skip-genome] [--skip-cohort]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pgxannot.paths import shared_data_dir  # noqa: E402
from pgxannot.vcf.genome import CONTIG_LENGTHS  # noqa: E402

CHROM_ORDER = {c: i for i, c in enumerate(CONTIG_LENGTHS["GRCh38"])}


# ------------------------------------------------------------------------ inputs


def merged_1kgp() -> Path:
    import pysam

    target = OUT / "1kgp_grch38.vcf.gz"
    if target.exists() and Path(str(target) + ".tbi").exists():
        return target
    shared = shared_data_dir()
    if shared is None:
        sys.exit("benchmarks need ../shared/data (1000 Genomes panels)")
    OUT.mkdir(parents=True, exist_ok=True)
    files = sorted((shared / "1kgp" / "GRCh38").glob("*.vcf.gz"))
    header: list[str] = []
    body: list[tuple[int, int, str]] = []
    contigs: set[str] = set()
    for i, f in enumerate(files):
        with gzip.open(f, "rt") as fh:
            for line in fh:
                if line.startswith("#"):
                    if line.startswith("##contig"):
                        contigs.add(line)
                        continue
                    if i == 0:
                        header.append(line)
                    continue
                chrom, pos = line.split("\t", 2)[:2]
                body.append((CHROM_ORDER[chrom], int(pos), line))
    body.sort(key=lambda t: (t[0], t[1]))
    plain = OUT / "1kgp_grch38.vcf"
    with open(plain, "w") as out:
        out.writelines(header[:-1])
        out.writelines(sorted(contigs, key=lambda c: CHROM_ORDER.get(c.split("ID=")[1].split(",")[0].rstrip(">\n"), 99)))
        out.write(header[-1])
        seen = set()
        for _, _, line in body:
            key = line.split("\t", 5)[:5]
            k = tuple(key)
            if k in seen:  # a position in two overlapping gene panels
                continue
            seen.add(k)
            out.write(line)
    pysam.tabix_compress(str(plain), str(target), force=True)
    plain.unlink()
    pysam.tabix_index(str(target), preset="vcf", force=True)
    return target


def synthetic_genome(n_records: int) -> Path:
    """One sample, n_records SNVs over chr1-22/X, plus every pharmacogene position."""
    import pysam

    target = OUT / f"synthetic_genome_{n_records}.vcf.gz"
    if target.exists():
        return target
    from pgxannot.pgx import pgx_sites

    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(42)
    chroms = [c for c in CONTIG_LENGTHS["GRCh38"] if c not in ("chrY", "chrM")]
    total = sum(CONTIG_LENGTHS["GRCh38"][c] for c in chroms)
    pgx = {(s.chrom, s.pos): s.ref for s in pgx_sites()}
    plain = OUT / "synthetic_genome.vcf"
    bases = "ACGT"
    with open(plain, "w") as out:
        out.write("##fileformat=VCFv4.2\n##reference=GRCh38\n")
        out.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        out.write('##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n')
        for c in chroms:
            out.write(f"##contig=<ID={c},length={CONTIG_LENGTHS['GRCh38'][c]}>\n")
        out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tGENOME1\n")
        for c in chroms:
            n = max(1, round(n_records * CONTIG_LENGTHS["GRCh38"][c] / total))
            positions = set(rng.sample(range(10_000, CONTIG_LENGTHS["GRCh38"][c] - 10_000), n))
            positions |= {p for (ch, p) in pgx if ch == c}
            for p in sorted(positions):
                ref = pgx.get((c, p)) or rng.choice(bases)
                alt = rng.choice([b for b in bases if b != ref[0]]) if len(ref) == 1 else ref[0]
                gt = rng.choice(("0/1", "1/1", "0/1", "0/0")) if (c, p) not in pgx else "0/0"
                out.write(f"{c}\t{p}\t.\t{ref}\t{alt}\t50\tPASS\tDP=30\tGT\t{gt}\n")
    pysam.tabix_compress(str(plain), str(target), force=True)
    plain.unlink()
    return target


# -------------------------------------------------------------------- measuring


def measure(code: str, *, cwd: Path | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; wall, CPU (user+sys of the process tree), peak RSS."""
    wrapper = textwrap.dedent(f"""
        import json, resource, sys, time
        sys.path.insert(0, {str(ROOT / 'src')!r})
        t0 = time.perf_counter()
        result = None
        {textwrap.indent(textwrap.dedent(code), '        ').strip()}
        wall = time.perf_counter() - t0
        ru = resource.getrusage(resource.RUSAGE_SELF)
        rc = resource.getrusage(resource.RUSAGE_CHILDREN)
        # VmHWM: this process's own peak (ru_maxrss survives exec from the parent on Linux)
        hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
        print(json.dumps({{"wall": wall, "cpu": ru.ru_utime + ru.ru_stime + rc.ru_utime + rc.ru_stime,
                          "rss_mb": max(hwm, rc.ru_maxrss) / 1024, "result": result}}))
    """)
    proc = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark stage failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def stage_floor(vcf: Path) -> dict:
    return measure(f"""
        import cyvcf2
        n = 0
        for v in cyvcf2.VCF({str(vcf)!r}):
            v.genotype.array()
            n += 1
        result = n
    """)


def stage_call(vcf: Path, n: int) -> dict:
    return measure(f"""
        import cyvcf2
        from pgxannot.pgx import call_samples, pgx_sites
        from pgxannot.vcf.sites import read_site_genotypes
        samples = list(cyvcf2.VCF({str(vcf)!r}).samples)[:{n}]
        sg = read_site_genotypes([{str(vcf)!r}], pgx_sites(), samples=samples)
        t_read = time.perf_counter() - t0
        calls = call_samples(sg, missing_as_reference=True)
        result = {{"samples": len(calls), "read_s": t_read}}
    """)


def _run_workflow(work: Path, *extra: str) -> str:
    """Code for :func:`measure`: ``pgxannot run --cores 2`` in ``work``."""
    return f"""
        import subprocess
        rc = subprocess.call([sys.executable, "-m", "pgxannot", "run", "--cores", "2", "-q", *{list(extra)!r},
                              "--directory", {str(work)!r}], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={{**__import__('os').environ, "SOURCE_DATE_EPOCH": "1700000000"}})
        assert rc == 0, "workflow failed; rerun by hand in " + {str(work)!r}
        result = rc
    """


def job_peaks(work: Path) -> dict:
    """Per job kind (annotate, split): the largest peak RSS (MB) and the longest wall (s) of
    its jobs, from Snakemake's benchmark files."""
    out: dict = {}
    for f in sorted((work / "logs" / "benchmark").glob("*.tsv")):
        kind = f.stem.split("_", 1)[0]
        head, values = f.read_text().splitlines()[:2]
        rec = dict(zip(head.split("\t"), values.split("\t"), strict=False))
        mb, s = float(rec["max_rss"]), float(rec["s"])
        old = out.get(kind, {"rss_mb": 0.0, "wall": 0.0, "jobs": 0})
        out[kind] = {"rss_mb": max(old["rss_mb"], mb), "wall": max(old["wall"], s), "jobs": old["jobs"] + 1}
    return out


def files_written(work: Path) -> dict:
    """Files under results/ (all, per patient under results/reports) and their size."""
    every = [p for p in (work / "results").rglob("*") if p.is_file()]
    reports = [p for p in every if p.parent.name == "reports"]
    return {"files": len(every), "reports": len(reports), "mb": sum(p.stat().st_size for p in every) / 1e6}


def stage_cohort(n: int, *, outputs: str, json_layout: str = "pretty") -> dict:
    """A synthetic cohort of ``n``: the DAG's build time (dry run), then the run."""
    from synth import write_cohort

    vcf, sheet = OUT / f"synthetic_{n}.vcf.gz", OUT / f"synthetic_{n}.samples.tsv"
    if not (vcf.exists() and sheet.exists()):
        write_cohort(n, OUT)
    work = OUT / f"cohort_{n}_{outputs.replace(',', '_')}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / "config.yaml").write_text(f"samples: {sheet}\nmissing_positions_as_reference: true\n"
                                      f"outputs: [{outputs}]\njson_layout: {json_layout}\n")
    dag = measure(_run_workflow(work, "-n"))
    m = measure(_run_workflow(work))
    return {**m, "dag": dag, "jobs": job_peaks(work), **files_written(work)}


def stage_workflow(vcf: Path, n: int, work: Path, *, fhir: bool) -> dict:
    import cyvcf2

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    samples = list(cyvcf2.VCF(str(vcf)).samples)[:n]
    sexes = ["female", "male"]
    with open(work / "samples.tsv", "w") as fh:
        fh.write("sample\tvcf\tsex\tmedications\n")
        for i, s in enumerate(samples):
            fh.write(f"{s}\t{vcf}\t{sexes[i % 2]}\tclopidogrel;simvastatin\n")
    (work / "config.yaml").write_text(
        f"samples: samples.tsv\nmissing_positions_as_reference: true\nfhir: {str(fhir).lower()}\n")
    m = measure(_run_workflow(work))
    return {**m, "jobs": job_peaks(work), **files_written(work)}


def stage_genome(vcf: Path, *, indexed: bool) -> dict:
    return measure(f"""
        import tempfile
        from pathlib import Path
        from pgxannot.pgx import call_samples, pgx_sites
        from pgxannot.kb.risk import load_risk_kb
        from pgxannot.risk.germline import germline_regions, screen_germline
        from pgxannot.vcf.sites import read_site_genotypes
        from pgxannot.vcf.variants import iter_variants
        idx = Path(tempfile.mkdtemp()) if {indexed} else None
        sg = read_site_genotypes([{str(vcf)!r}], pgx_sites(), index_dir=idx)
        calls = call_samples(sg)
        kb = load_risk_kb()
        regions = germline_regions(kb)
        n = 0
        def counted(it):
            global n
            for r in it:
                n += 1
                yield r
        found = screen_germline(counted(iter_variants([{str(vcf)!r}], regions=regions, index_dir=idx)),
                                sg.samples, kb, secondary_findings={{s: True for s in sg.samples}})
        result = {{"records_screened": n, "findings": sum(len(v) for v in found.values())}}
    """)


def row(name: str, n: int, m: dict, floor: float | None = None) -> str:
    ratio = f"{m['wall'] / floor:.1f}x" if floor else ""
    rate = f"{n / m['wall']:.0f}" if n else ""
    return f"| {name} | {n} | {m['wall']:.1f} | {m['cpu']:.1f} | {m['rss_mb']:.0f} | {rate} | {ratio} |"


def cohort_row(label: str, n: int, m: dict) -> str:
    ann = m["jobs"].get("annotate", {})
    split = m["jobs"].get("split", {})
    cohort = m["jobs"].get("cohort", {})
    dag = f"{m['dag']['wall']:.1f}" if "dag" in m else ""
    return (f"| {label} | {n:,} | {dag} | {m['wall']:.0f} | {m['cpu']:.0f} | {1000 * m['cpu'] / n:.1f} | "
            f"{ann.get('jobs', 0)} x {ann.get('rss_mb', 0):.0f} MB, {ann.get('wall', 0):.0f} s | "
            f"{split.get('rss_mb', 0):.0f} MB, {split.get('wall', 0):.0f} s | "
            f"{cohort.get('rss_mb', 0):.0f} MB, {cohort.get('wall', 0):.0f} s | {m['files']:,} ({m['mb']:.0f} MB) |")


def main() -> None:
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,1000,3202")
    ap.add_argument("--genome-records", type=int, default=5_000_000)
    ap.add_argument("--skip-genome", action="store_true")
    ap.add_argument("--skip-workflow", action="store_true")
    ap.add_argument("--no-fhir", action="store_true", help="workflow stage with fhir: false")
    ap.add_argument("--cohort-sizes", default="10000,100000")
    ap.add_argument("--full-sizes", default="10000", help="synthetic cohorts also run with full reports")
    ap.add_argument("--skip-cohort", action="store_true")
    ap.add_argument("--json-layout", choices=("pretty", "compact"), default="pretty",
                    help="cohort mode's JSON layout (compact: ~40%% fewer bytes; what 10^5 patients need on a small disk)")
    ap.add_argument("--out", type=Path, help="where inputs and runs go (default benchmarks/out)")
    args = ap.parse_args()
    OUT = args.out or OUT
    fhir = not args.no_fhir
    sizes = [int(s) for s in args.sizes.split(",") if s]
    vcf = merged_1kgp()
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}",
        "",
        "| stage | samples | wall s | CPU s | peak MB | samples/s | x floor |",
        "|---|---|---|---|---|---|---|",
    ]
    floor = stage_floor(vcf)
    lines.append(row("floor: cyvcf2 parses every genotype once", 3202, floor))
    print(lines[-1], flush=True)
    for n in sizes:
        m = stage_call(vcf, n)
        lines.append(row(f"read + call 18 genes (read {m['result']['read_s']:.1f} s)", n, m,
                         floor["wall"] if n == 3202 else None))
        print(lines[-1], flush=True)
    if not args.skip_workflow:
        for n in sizes:
            m = stage_workflow(vcf, n, OUT / f"work_{n}", fhir=fhir)
            lines.append(row("workflow, default config: JSON/TSV/HTML" + (" + FHIR" if fhir else "")
                             + f" ({m['files']:,} files; CPU {1000 * m['cpu'] / n:.1f} ms/patient; largest job "
                             f"{m['jobs'].get('annotate', {}).get('rss_mb', 0):.0f} MB)", n, m,
                             floor["wall"] if n == 3202 else None))
            print(lines[-1], flush=True)
    if not args.skip_cohort:
        lines += ["", "| synthetic cohort | patients | DAG s (-n) | wall s | CPU s | CPU ms/patient | "
                      "annotate jobs x peak, longest | split job peak, wall | cohort job peak, wall | files written |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        full = {int(x) for x in args.full_sizes.split(",") if x}
        for n in [int(x) for x in args.cohort_sizes.split(",") if x]:
            lines.append(cohort_row(f"cohort mode (outputs: [json], json_layout: {args.json_layout})", n,
                                    stage_cohort(n, outputs="json", json_layout=args.json_layout)))
            print(lines[-1], flush=True)
            if n in full:
                m = stage_cohort(n, outputs="json,tsv,html,fhir")
                lines.append(cohort_row("full reports (all four)", n, m))
                print(lines[-1], flush=True)
    if not args.skip_genome:
        g = synthetic_genome(args.genome_records)
        plain = OUT / f"synthetic_genome_{args.genome_records}.vcf"
        if not plain.exists():
            with gzip.open(g, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        for path, indexed, label in (
            (g, False, "bgzipped, no index, streamed twice"),
            (g, True, "bgzipped, index built in the work folder first"),
            (plain, True, "plain text, recompressed to BGZF + indexed in the work folder"),
        ):
            m = stage_genome(path, indexed=indexed)
            lines.append(f"| genome {args.genome_records:,} records, {label}: PGx + germline screen | 1 | "
                         f"{m['wall']:.1f} | {m['cpu']:.1f} | {m['rss_mb']:.0f} | "
                         f"{m['result']['records_screened']:,} records screened | |")
            print(lines[-1], flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
