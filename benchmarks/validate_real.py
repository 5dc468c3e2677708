#!/usr/bin/env python3
"""Validation of the PGx engine on real data (../shared/data), printed as markdown.

1. GeT-RM whole genomes (NA18526, NA18565, NA18861): raw, multi-allelic,
   per-chromosome VCFs (11 files per sample) against the same samples reduced to the
   pharmacogene positions by PharmCAT's preprocessor: every gene's call must agree.
2. 1000 Genomes GRCh38 (3,202 samples, 18 genes; variant-only panels, so absent positions
   are reference: ``missing_as_reference``): call rate per gene, phenotype frequencies, and
   allele frequencies of well-studied alleles against published 1000 Genomes/gnomAD figures.

Usage: ``python benchmarks/validate_real.py [--update docs/validation.md]``: prints the section, or
replaces the text between the marker lines ``<!-- validate_real.py -->`` and
``<!-- /validate_real.py -->`` of that file.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pgxannot.paths import shared_data_dir  # noqa: E402
from pgxannot.pgx import call_samples, pgx_sites  # noqa: E402
from pgxannot.vcf.sites import read_site_genotypes  # noqa: E402

# Published allele frequencies across all 1000 Genomes phase 3 samples (PharmGKB/CPIC
# frequency tables and the 1000 Genomes browser; rounded), for a sanity comparison.
PUBLISHED = {
    ("CYP2C19", "*2"): (0.22, "rs4244285, 1000 Genomes phase 3 all populations ~0.22 (EUR 0.15, EAS 0.31, SAS 0.34)"),
    ("CYP2C19", "*17"): (0.15, "rs12248560 ~0.15 overall (EUR 0.22, EAS 0.02)"),
    ("CYP2C9", "*2"): (0.03, "rs1799853 ~0.03 overall (EUR 0.12, EAS 0.00)"),
    ("CYP2C9", "*3"): (0.04, "rs1057910 ~0.04 overall (EUR 0.07, SAS 0.11)"),
    ("CYP3A5", "*3"): (0.65, "rs776746 ~0.65 overall (EUR 0.94, AFR 0.18)"),
    ("TPMT", "*3C"): (0.02, "rs1142345 alone ~0.02 overall (AFR 0.07)"),
    ("NUDT15", "*3"): (0.03, "rs116855232 ~0.03 overall (EAS 0.10, SAS 0.07)"),
    ("CYP2B6", "*6"): (0.25, "rs3745274 + rs2279343 ~0.25 overall (AFR 0.37, EAS 0.21)"),
}


def getrm(shared: Path) -> list[str]:
    raw = sorted((shared / "getrm_wgs").glob("*.vcf.bgz"))
    pre_dir = shared / "pharmcat" / "examples" / "getrm_preprocessed"
    samples = ["NA18526", "NA18565", "NA18861"]
    sites = pgx_sites()
    t = time.perf_counter()
    import tempfile

    with tempfile.TemporaryDirectory() as idx:
        sg_raw = read_site_genotypes(raw, sites, samples=samples, index_dir=Path(idx))
    t_raw = time.perf_counter() - t
    raw_calls = call_samples(sg_raw)
    lines = ["### GeT-RM whole genomes: raw per-chromosome VCFs vs PharmCAT-preprocessed VCFs", "",
             f"Raw input: {len(raw)} files, read in {t_raw:.1f} s (index built on the fly).", "",
             "| sample | genes | same call | differ | raw calls (diplotype, phenotype) that differ |",
             "|---|---|---|---|---|"]
    for s in samples:
        sg_pre = read_site_genotypes([pre_dir / f"{s}.preprocessed.vcf"], sites)
        pre = {c.gene: c for c in call_samples(sg_pre)[s]}
        same, diff = 0, []
        for c in raw_calls[s]:
            p = pre[c.gene]
            if (c.status, c.diplotypes, c.phenotype) == (p.status, p.diplotypes, p.phenotype):
                same += 1
            else:
                diff.append(f"{c.gene}: raw {c.status} {'/'.join(c.diplotypes) or '-'} vs preprocessed "
                            f"{p.status} {'/'.join(p.diplotypes) or '-'}")
        lines.append(f"| {s} | {len(raw_calls[s])} | {same} | {len(diff)} | {'; '.join(diff) or '—'} |")
    lines.append("")
    lines.append("Calls of the raw genomes:")
    lines.append("")
    lines.append("| gene | " + " | ".join(samples) + " |")
    lines.append("|---|" + "---|" * len(samples))
    for i, c in enumerate(raw_calls[samples[0]]):
        cells = []
        for s in samples:
            g = raw_calls[s][i]
            cells.append(f"{' or '.join(g.diplotypes) or g.status} ({g.phenotype or '—'})")
        lines.append(f"| {c.gene} | " + " | ".join(cells) + " |")
    return lines


def thousand_genomes(shared: Path) -> list[str]:
    files = sorted((shared / "1kgp" / "GRCh38").glob("*.vcf.gz"))
    t = time.perf_counter()
    sg = read_site_genotypes(files, pgx_sites())
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    calls = call_samples(sg, missing_as_reference=True)
    t_call = time.perf_counter() - t
    n = len(sg.samples)
    by_gene: dict[str, list] = {}
    for s in sg.samples:
        for c in calls[s]:
            by_gene.setdefault(c.gene, []).append(c)
    lines = ["### 1000 Genomes GRCh38 (3,202 samples, 18 genes, missing positions as reference)", "",
             f"Read {len(files)} panels in {t_read:.1f} s, called in {t_call:.1f} s.", "",
             "| gene | called | ambiguous | not called | top phenotypes |", "|---|---|---|---|---|"]
    for gene, cs in sorted(by_gene.items()):
        st = Counter(c.status for c in cs)
        if st["not_called"] == n and gene in ("CYP2D6", "HLA-A", "HLA-B", "MT-RNR1"):
            continue
        ph = Counter(c.phenotype or "(none: " + c.status + ")" for c in cs)
        top = ", ".join(f"{k} {v / n:.1%}" for k, v in ph.most_common(4))
        lines.append(f"| {gene} | {st['called'] / n:.1%} | {st['ambiguous'] / n:.1%} | "
                     f"{st['not_called'] / n:.1%} | {top} |")
    lines += ["", "Allele frequencies from single (unambiguous) calls vs published figures "
              "(last column: defining positions of the allele that no panel record covers, which "
              "`missing_as_reference` then assumes reference):", "",
              "| gene | allele | pgxannot frequency | called samples | published (1000 Genomes, all) | "
              "defining positions absent from the panels |",
              "|---|---|---|---|---|---|"]
    from pgxannot.kb.pgx import gene_table
    from pgxannot.vcf.model import SiteStatus

    present = {(s.chrom, s.pos) for s, st in zip(sg.sites, sg.status, strict=True) if st != SiteStatus.ABSENT}
    for (gene, allele), (_pub, note) in PUBLISHED.items():
        cs = [c for c in by_gene.get(gene, []) if c.status == "called"]
        absent = _absent_positions(gene_table(gene), allele, present)
        if not cs:
            lines.append(f"| {gene} | {allele} | not callable | 0 | {note} | {absent} |")
            continue
        count = sum(c.candidates[0].alleles.count(allele) for c in cs)
        total = sum(len(c.candidates[0].alleles) for c in cs)
        lines.append(f"| {gene} | {allele} | {count / total:.3f} | {len(cs)} | {note} | {absent} |")
    return lines


def _absent_positions(table, allele: str, present: set[tuple[str, int]]) -> str:
    """Positions that define ``allele`` (non-reference cells) but no panel record covers."""
    if allele not in table.allele_names:
        return "?"
    a = table.allele_names.index(allele)
    out = []
    for j, pos in enumerate(table.positions):
        if table.variant_def[a, j] and (pos.chrom, pos.pos) not in present:
            out.append(f"{pos.chrom}:{pos.pos}")
    return ", ".join(out) or "none"


MARKER = "<!-- validate_real.py -->"
END_MARKER = "<!-- /validate_real.py -->"


def main() -> None:
    shared = shared_data_dir()
    if shared is None:
        sys.exit("validate_real.py needs ../shared/data")
    out = ["## Real data", "", "Generated by `python benchmarks/validate_real.py --update docs/validation.md`.", ""]
    out += getrm(shared)
    out += ["", "Where raw and preprocessed calls differ, the preprocessed files lack the positions "
            "(the tutorial's preprocessing used an older position list): pgxannot reports those genes "
            "not called or ambiguous from the preprocessed file and calls them from the raw genome."]
    out.append("")
    out += thousand_genomes(shared)
    text = "\n".join(out) + "\n"
    if sys.argv[1:2] == ["--update"]:
        doc = Path(sys.argv[2])
        head, rest = doc.read_text(encoding="utf-8").split(MARKER, 1)
        tail = rest.split(END_MARKER, 1)[1] if END_MARKER in rest else "\n"
        doc.write_text(f"{head}{MARKER}\n\n{text}\n{END_MARKER}{tail}", encoding="utf-8")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
