"""Benchmark: stream a synthetic multi-sample VCF through the germline screen.

Generates (once, under --workdir, never committed) a VCF of ``--records`` SNV records
over the chromosomes of the ClinVar table, ~1 in 10,000 of them a ClinVar P/LP allele,
then times three passes: cyvcf2 parsing alone, parsing + VariantRecord construction, and
the full screen. Prints records/s and peak resident memory.

    PYTHONPATH=src python benchmarks/germline_stream.py --records 5000000 --samples 4
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pgxannot.risk import load_risk_kb, screen_germline  # noqa: E402
from pgxannot.vcf.model import VariantRecord  # noqa: E402


def generate(path: Path, n: int, samples: int, kb, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    plp = list(kb.clinvar.values())
    snv = [v for v in plp if len(v.ref) == 1 and len(v.alt) == 1]
    chroms = sorted({v.chrom for v in plp}, key=lambda c: (len(c), c))
    per = n // len(chroms)
    bases = np.array(list("ACGT"))
    gts = np.array(["0/0", "0/1", "1/1", "./."])
    planted = 0
    with path.open("w") as fh:
        fh.write("##fileformat=VCFv4.2\n")
        fh.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        for c in chroms:
            fh.write(f"##contig=<ID={c}>\n")
        fh.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t"
                 + "\t".join(f"S{i}" for i in range(samples)) + "\n")
        for c in chroms:
            hits = sorted((v for v in snv if v.chrom == c), key=lambda v: v.pos)[: max(1, per // 10_000)]
            pos = np.sort(rng.choice(np.arange(1_000_000, 1_000_000 + per * 20), per, replace=False))
            ref = bases[rng.integers(0, 4, per)]
            alt = bases[(np.searchsorted(bases, ref) + rng.integers(1, 4, per)) % 4]
            g = gts[rng.choice(4, size=(per, samples), p=[0.7, 0.2, 0.08, 0.02])]
            rows = [f"{c}\t{p}\t.\t{r}\t{a}\t50\tPASS\t.\tGT\t" + "\t".join(gg)
                    for p, r, a, gg in zip(pos.tolist(), ref.tolist(), alt.tolist(), g.tolist(), strict=True)]
            # plant real P/LP alleles (heterozygous in S0) among the random records
            taken = set(pos.tolist())
            for v in hits:
                if v.pos in taken:
                    continue
                taken.add(v.pos)
                rows.append(f"{c}\t{v.pos}\t.\t{v.ref}\t{v.alt}\t50\tPASS\t.\tGT\t" + "\t".join(
                    ["0/1"] + ["0/0"] * (samples - 1)))
                planted += 1
            rows.sort(key=lambda r: int(r.split("\t", 2)[1]))
            fh.write("\n".join(rows) + "\n")
    return planted


def iter_records(path: Path, only_parse: bool = False):
    from cyvcf2 import VCF

    vcf = VCF(str(path))
    for v in vcf:
        arr = v.genotype.array()
        if only_parse:
            yield None
            continue
        yield VariantRecord("chr" + v.CHROM.removeprefix("chr"), v.POS, v.REF, tuple(v.ALT),
                            arr[:, :2].astype(np.int16), arr[:, 2].astype(bool), {}, None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=5_000_000)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "out")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    kb = load_risk_kb()
    path = args.workdir / f"synthetic_{args.records}_{args.samples}.vcf"
    if not path.is_file():
        t = time.perf_counter()
        planted = generate(path, args.records, args.samples, kb)
        print(f"generated {path} ({path.stat().st_size / 1e6:.0f} MB, {planted} planted P/LP) "
              f"in {time.perf_counter() - t:.1f} s")
    n = 0
    t = time.perf_counter()
    for _ in iter_records(path, only_parse=True):
        n += 1
    parse = time.perf_counter() - t
    t = time.perf_counter()
    for _ in iter_records(path):
        pass
    build = time.perf_counter() - t
    samples = [f"S{i}" for i in range(args.samples)]
    t = time.perf_counter()
    out = screen_germline(iter_records(path), samples, kb, secondary_findings={})
    full = time.perf_counter() - t
    # the pipeline's own path: pgxannot.vcf (checks, sample order) streaming every record
    from pgxannot.vcf.variants import iter_variants

    t = time.perf_counter()
    out2 = screen_germline(iter_variants([path]), samples, kb, secondary_findings={})
    reader = time.perf_counter() - t
    assert sum(map(len, out2.values())) == sum(map(len, out.values()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records: {n:,}; samples: {args.samples}")
    print(f"cyvcf2 parse + GT array: {n / parse:,.0f} records/s ({parse:.1f} s)")
    print(f"+ VariantRecord:         {n / build:,.0f} records/s ({build:.1f} s)")
    print(f"+ germline screen:       {n / full:,.0f} records/s ({full:.1f} s); "
          f"screen overhead {(full - build) / n * 1e6:.2f} us/record")
    print(f"via pgxannot.vcf.variants.iter_variants: {n / reader:,.0f} records/s ({reader:.1f} s)")
    print(f"findings: {sum(map(len, out.values()))} ({', '.join(f'{k}={len(v)}' for k, v in out.items())})")
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
