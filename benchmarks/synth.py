#!/usr/bin/env python3
"""A synthetic biobank: N patients whose haplotypes are resampled from the 1000 Genomes panels.

Every patient gets, for each of the 18 per-gene GRCh38 panels of ``../shared/data/1kgp/``,
two haplotypes drawn (with replacement, seeded) from the panel's 6,404 phased haplotypes;
a male gets one chrX haplotype (G6PD), drawn from every chrX haplotype of the panel.
Within a gene the haplotypes are real 1000 Genomes haplotypes, so star alleles, their
frequencies and their linkage are those of the panel; across genes they are independent.

Written as one bgzipped, tabix-indexed multi-sample VCF (``SYN000001`` ...), every panel
record kept (ID, REF, ALT, QUAL, FILTER; INFO dropped: the panel's counts would not
describe the synthetic cohort), genotypes phased as in the panel (``--unphased`` writes
``a/b``), and a sample sheet (sex, 0-3 current medications drawn from a list of drugs
with CPIC guidance). Same seed and N -> byte-identical files.

Usage: ``python benchmarks/synth.py N [--seed 19] [--out benchmarks/out] [--unphased]``
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pgxannot.paths import shared_data_dir  # noqa: E402
from pgxannot.vcf.genome import CONTIG_LENGTHS  # noqa: E402

CHROM_ORDER = {c: i for i, c in enumerate(CONTIG_LENGTHS["GRCh38"])}
# commonly prescribed drugs with CPIC guidance: the medications column of the sheet
MEDICATIONS = ("clopidogrel", "simvastatin", "atorvastatin", "warfarin", "citalopram", "sertraline",
               "omeprazole", "ondansetron", "codeine", "tramadol", "celecoxib", "ibuprofen",
               "allopurinol", "tacrolimus", "efavirenz", "azathioprine")
HAPLOID = -2  # cyvcf2's second allele of a haploid genotype


@dataclass
class Panel:
    """One per-gene 1000 Genomes panel: its records and the haplotypes of every sample."""

    gene: str
    chrom: str
    fixed: list[bytes]  # per record: CHROM..FILTER, INFO '.', FORMAT GT (tab-joined, no trailing tab)
    haps: np.ndarray  # (records, samples, 2) allele indexes; HAPLOID marks a haploid genotype
    max_allele: int


def load_panels(folder: Path) -> tuple[list[Panel], list[str]]:
    """Every ``*.vcf.gz`` panel of ``folder``; a record in two panels is kept in the first."""
    import cyvcf2

    panels, seen = [], set()
    header_lines: list[str] = []
    for path in sorted(folder.glob("*.vcf.gz")):
        vcf = cyvcf2.VCF(str(path))
        if not header_lines:
            header_lines = [ln for ln in vcf.raw_header.splitlines()
                            if ln.startswith(("##FILTER", "##ALT"))]
        fixed, haps, chrom = [], [], ""
        for v in vcf:
            key = (v.CHROM, v.POS, v.REF, tuple(v.ALT))
            if key in seen:
                continue
            seen.add(key)
            chrom = v.CHROM
            qual = "." if v.QUAL is None else f"{v.QUAL:g}"
            cols = (v.CHROM, str(v.POS), v.ID or ".", v.REF, ",".join(v.ALT) or ".", qual,
                    v.FILTER or "PASS", ".", "GT")
            fixed.append("\t".join(cols).encode())
            haps.append(v.genotype.array()[:, :2].astype(np.int8))
        vcf.close()
        if fixed:
            h = np.stack(haps)
            panels.append(Panel(path.name.split(".")[0], chrom, fixed, h, int(h.max())))
    return panels, header_lines


def draw_sexes(n: int, rng: np.random.Generator) -> np.ndarray:
    """True for a male: half of the cohort, seeded."""
    return rng.random(n) < 0.5


def draw_haplotypes(panel: Panel, males: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(sample, haplotype) picks into ``panel.haps`` for each synthetic patient's two copies.

    Autosomes: any of the panel's haplotypes. chrX: from every real chrX haplotype
    (a male of the panel has one); a synthetic male's second copy is marked haploid (-1).
    """
    n_src = panel.haps.shape[1]
    if panel.chrom != "chrX":
        flat = rng.integers(0, 2 * n_src, size=(len(males), 2))
        return flat // 2, flat % 2
    first = panel.haps[0]
    pool = np.array([(s, h) for s in range(n_src) for h in range(2) if h == 0 or first[s, 1] != HAPLOID])
    pick = pool[rng.integers(0, len(pool), size=(len(males), 2))]
    sample, hap = pick[..., 0], pick[..., 1]
    sample[males, 1] = -1
    return sample, hap


def panel_lines(panel: Panel, sample: np.ndarray, hap: np.ndarray, *, phased: bool) -> Iterator[bytes]:
    """The VCF data lines of ``panel`` for the synthetic cohort (picks from :func:`draw_haplotypes`)."""
    n = len(sample)
    haploid = sample[:, 1] < 0
    s2 = np.where(haploid, 0, sample[:, 1])
    sep = ord("|") if phased else ord("/")
    keep = np.ones((n, 4), dtype=bool)
    keep[haploid, 1:3] = False  # a haploid genotype is one allele
    fast = panel.max_allele <= 9
    for i, fixed in enumerate(panel.fixed):
        rec = panel.haps[i]
        a1 = rec[sample[:, 0], hap[:, 0]]
        a2 = rec[s2, hap[:, 1]]
        if fast:
            cells = np.empty((n, 4), dtype=np.uint8)
            cells[:, 0] = 48 + a1
            cells[:, 1] = sep
            cells[:, 2] = 48 + a2
            cells[:, 3] = 9
            body = cells[keep] if haploid.any() else cells.ravel()
            body[-1] = 10
            yield fixed + b"\t" + body.tobytes()
        else:  # an allele index of two digits: rare, plain Python
            sepc = chr(sep)
            gts = [f"{x}" if h else f"{x}{sepc}{y}" for x, y, h in zip(a1, a2, haploid, strict=True)]
            yield fixed + b"\t" + "\t".join(gts).encode() + b"\n"


def header(panels: Sequence[Panel], extra: Sequence[str], names: Sequence[str]) -> bytes:
    contigs = sorted({p.chrom for p in panels}, key=lambda c: CHROM_ORDER.get(c, 99))
    lines = ["##fileformat=VCFv4.2", "##reference=GRCh38",
             "##source=pgxannot benchmarks/synth.py (haplotypes resampled from 1000 Genomes 30x panels)",
             *extra, '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             *(f"##contig=<ID={c},length={CONTIG_LENGTHS['GRCh38'][c]}>" for c in contigs),
             "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *names])]
    return ("\n".join(lines) + "\n").encode()


def sample_names(n: int) -> list[str]:
    return [f"SYN{i:06d}" for i in range(1, n + 1)]


def medications(n: int, rng: np.random.Generator) -> list[str]:
    """0-3 current medications per patient, seeded."""
    counts = rng.integers(0, 4, size=n)
    return [";".join(sorted(rng.choice(MEDICATIONS, size=k, replace=False))) for k in counts]


def write_cohort(n: int, out: Path, *, seed: int = 19, phased: bool = True,
                 panels_dir: Path | None = None) -> tuple[Path, Path]:
    """``synthetic_<n>.vcf.gz`` (+ .tbi) and ``synthetic_<n>.samples.tsv`` under ``out``."""
    import pysam

    if panels_dir is None:
        shared = shared_data_dir()
        if shared is None:
            sys.exit("the generator needs ../shared/data/1kgp/GRCh38 (1000 Genomes panels)")
        panels_dir = shared / "1kgp" / "GRCh38"
    stem = f"synthetic_{n}" + ("" if phased else "_unphased")
    vcf, sheet = out / f"{stem}.vcf.gz", out / f"{stem}.samples.tsv"
    out.mkdir(parents=True, exist_ok=True)
    panels, extra = load_panels(panels_dir)
    panels.sort(key=lambda p: (CHROM_ORDER.get(p.chrom, 99), int(p.fixed[0].split(b"\t")[1])))
    rng = np.random.default_rng(seed)
    males = draw_sexes(n, rng)
    picks = [draw_haplotypes(p, males, rng) for p in panels]
    names = sample_names(n)
    tmp = vcf.with_name(vcf.name + ".part")
    with pysam.BGZFile(str(tmp), "wb") as fh:
        fh.write(header(panels, extra, names))
        for p, (s, h) in zip(panels, picks, strict=True):
            for line in panel_lines(p, s, h, phased=phased):
                fh.write(line)
    tmp.replace(vcf)
    pysam.tabix_index(str(vcf), preset="vcf", force=True)
    meds = medications(n, rng)
    with open(sheet, "w", encoding="utf-8") as fh:
        fh.write("sample\tvcf\tsex\tmedications\n")
        for name, male, m in zip(names, males, meds, strict=True):
            fh.write(f"{name}\t{vcf.name}\t{'male' if male else 'female'}\t{m}\n")
    return vcf, sheet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int, help="number of synthetic patients")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    ap.add_argument("--unphased", action="store_true", help="write genotypes unphased (a/b)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    vcf, sheet = write_cohort(args.n, args.out, seed=args.seed, phased=not args.unphased)
    print(f"{vcf} ({vcf.stat().st_size / 1e6:.1f} MB) and {sheet}: {args.n} patients "
          f"in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
