#!/usr/bin/env python3
"""GRCh37 validation on the 1000 Genomes panels (../shared/data/1kgp), printed as markdown.

1. Every GRCh37 panel (phase 3, 2,504 samples, 9 genes) is called on GRCh37 with
   ``missing_as_reference`` (the panels hold variable sites only): share of unambiguous
   calls per gene.
2. The same samples in the GRCh38 30x panels (where the gene has one): share of samples
   whose GRCh37 call equals their GRCh38 call (status and every candidate diplotype).
3. UGT1A1 *28 (TA8 at the promoter TA repeat): allele frequency from the calls of both
   builds for the samples called unambiguously in both, and the TA8 allele count at the
   repeat itself in both panels, against published 1000 Genomes frequencies.

Usage: ``python benchmarks/grch37_1kgp.py [--shared DIR] [--json OUT.json]``. Run it from a
checkout; it imports that checkout's ``src`` (so running it from an older checkout gives
that version's figures: the "before" column of docs/validation.md came from main f4644ff).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pgxannot.paths import shared_data_dir  # noqa: E402
from pgxannot.pgx import call_samples, pgx_sites  # noqa: E402
from pgxannot.vcf.header import inspect_vcf  # noqa: E402
from pgxannot.vcf.sites import read_site_genotypes  # noqa: E402

# the UGT1A1 promoter TA repeat (rs3064744) in both builds
TA_REPEAT = {"GRCh38": ("chr2", 233760233), "GRCh37": ("chr2", 234668879)}


def _calls(vcf: Path, gene: str, build: str, samples: list[str] | None = None):
    sg = read_site_genotypes([vcf], pgx_sites(build, [gene]), samples=samples, build=build)
    calls = call_samples(sg, missing_as_reference=True, build=build, genes=[gene])
    return {s: c[0] for s, c in calls.items()}, sg


def _star28_alleles(call) -> int | None:
    """Copies of a *28-carrying allele in one unambiguous UGT1A1 call (None otherwise)."""
    if call.status != "called":
        return None
    return sum("*28" in a.split("+") for a in call.candidates[0].alleles)


def _ta8_count(sg, build: str) -> tuple[int, int]:
    """(TA8 allele copies, called allele copies) at the TA repeat."""
    chrom, pos = TA_REPEAT[build]
    i = next((k for k, s in enumerate(sg.sites) if s.chrom == chrom and s.pos == pos), None)
    if i is None:
        return 0, 0
    alleles = sg.alleles[i]
    ta8 = [k for k, a in enumerate(alleles) if a == "CATAT"]
    gt = sg.gt[i]
    called = int((gt >= 0).sum())
    return int(sum((gt == k).sum() for k in ta8)), called


def gene_figures(shared: Path, gene: str) -> dict:
    v37 = shared / "1kgp" / "GRCh37" / f"{gene}.vcf.gz"
    v38 = shared / "1kgp" / "GRCh38" / f"{gene}.vcf.gz"
    c37, sg37 = _calls(v37, gene, "GRCh37")
    n = len(c37)
    st = Counter(c.status for c in c37.values())
    out: dict = {"gene": gene, "samples": n, "called": st["called"], "ambiguous": st["ambiguous"],
                 "not_called": st["not_called"], "positions_read": len(sg37.sites)}
    if not v38.is_file():
        return out
    in38 = set(inspect_vcf(v38, check_integrity=False).samples)
    common = [s for s in c37 if s in in38]
    c38, sg38 = _calls(v38, gene, "GRCh38", common)
    same = sum(c37[s].status == c38[s].status and c37[s].diplotypes == c38[s].diplotypes for s in common)
    out.update(common=len(common), same_call=same)
    differ = Counter((_show(c37[s]), _show(c38[s])) for s in common
                     if c37[s].diplotypes != c38[s].diplotypes or c37[s].status != c38[s].status)
    out["top_differences"] = [[a, b, k] for (a, b), k in differ.most_common(5)]
    if gene == "UGT1A1":
        differs = [s for s in common if c37[s].diplotypes != c38[s].diplotypes or c37[s].status != c38[s].status]
        ta69 = sum(any("*36" in d or "*37" in d for d in c38[s].diplotypes) for s in differs)
        out["differences"] = {"ta6_ta9": ta69, "other": len(differs) - ta69}
        both = [s for s in common if _star28_alleles(c37[s]) is not None and _star28_alleles(c38[s]) is not None]
        out["star28"] = {
            "samples_called_in_both": len(both),
            "GRCh37": sum(_star28_alleles(c37[s]) or 0 for s in both) / (2 * len(both)) if both else None,
            "GRCh38": sum(_star28_alleles(c38[s]) or 0 for s in both) / (2 * len(both)) if both else None,
            "ta8_site_GRCh37": _ta8_count(sg37, "GRCh37"),
            "ta8_site_GRCh38": _ta8_count(sg38, "GRCh38"),
        }
    return out


def _show(call) -> str:
    return " or ".join(call.diplotypes) if call.diplotypes else call.status.replace("_", " ")


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def markdown(rows: list[dict], seconds: float, before: list[dict] | None = None) -> str:
    """The GRCh37 section of docs/validation.md (``before``: the same figures from an older checkout)."""
    old = {r["gene"]: r for r in before or []}
    head = "| gene | samples | unambiguous calls | ambiguous | not called | same call as GRCh38 |"
    if old:
        head = ("| gene | samples | unambiguous before | unambiguous after | ambiguous after | not called after "
                "| same call as GRCh38 before | after |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        n, o = r["samples"], old.get(r["gene"])
        same = _pct(r.get("same_call", 0), r.get("common", 0)) if r.get("common") else "no GRCh38 panel"
        if o:
            same_o = _pct(o.get("same_call", 0), o.get("common", 0)) if o.get("common") else "no GRCh38 panel"
            lines.append(f"| {r['gene']} | {n} | {_pct(o['called'], n)} | {_pct(r['called'], n)} | "
                         f"{_pct(r['ambiguous'], n)} | {_pct(r['not_called'], n)} | {same_o} | {same} |")
        else:
            lines.append(f"| {r['gene']} | {n} | {_pct(r['called'], n)} | {_pct(r['ambiguous'], n)} | "
                         f"{_pct(r['not_called'], n)} | {same} |")
    lines += ["", f"Read and called in {seconds:.1f} s (2 shared cores, other jobs running)."]
    ugt = next((r for r in rows if r["gene"] == "UGT1A1" and "star28" in r), None)
    if ugt:
        s28 = ugt["star28"]
        a37, n37 = s28["ta8_site_GRCh37"]
        a38, n38 = s28["ta8_site_GRCh38"]
        lines += ["", "UGT1A1 *28 (the TA8 allele of the promoter repeat in the definitions' numbering):", "",
                  "| measure | GRCh37 (phase 3) | GRCh38 (30x) |", "|---|---|---|",
                  f"| *28 allele frequency from unambiguous calls ({s28['samples_called_in_both']} samples called "
                  f"in both builds) | {s28['GRCh37']:.3f} | {s28['GRCh38']:.3f} |",
                  f"| TA8 allele at the repeat, same {n37 // 2} samples | {a37 / n37:.3f} ({a37}/{n37}) | "
                  f"{a38 / n38:.3f} ({a38}/{n38}) |"]
        c = ugt.get("differences", {})
        lines += ["", f"Of the {ugt['common'] - ugt['same_call']} samples whose GRCh37 UGT1A1 call differs from "
                  f"GRCh38: {c.get('ta6_ta9', 0)} carry TA6 (*36) or TA9 (*37) in the GRCh38 call set, alleles the "
                  f"GRCh37 phase 3 panel has no record for (it holds the repeat as one biallelic C>CAT site); "
                  f"{c.get('other', 0)} differ in the genotypes the two call sets hold for the same person."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    ap.add_argument("--before", type=Path, default=None, help="figures (--json) of an older checkout to compare")
    args = ap.parse_args(argv)
    shared = args.shared or shared_data_dir()
    if shared is None:
        print("reference data not found: pass --shared DIR", file=sys.stderr)
        return 2
    genes = sorted(p.name.removesuffix(".vcf.gz") for p in (shared / "1kgp" / "GRCh37").glob("*.vcf.gz"))
    t = time.perf_counter()
    rows = [gene_figures(shared, g) for g in genes]
    before = json.loads(args.before.read_text(encoding="utf-8")) if args.before else None
    print(markdown(rows, time.perf_counter() - t, before))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
