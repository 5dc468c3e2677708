#!/usr/bin/env python3
"""Scan the allele definitions for the class of bug behind issue #17, printed as markdown.

For every gene of PharmCAT's definitions (``../shared/data/pharmcat/definitions/alleles``)
and the bundled tables (``resources/pgx``), count and check:

* coordinates holding more than one variant (an SNV beside an indel, in the definitions or
  among the exemptions' ignored variants): ignoring or indexing by coordinate loses one;
* variants shared by several alleles (a variant consumed by one allele must not hide
  another: the lowest-function path consumes cells);
* alleles defined by a single position (losing that position loses the allele silently);
* definition variants missing from the tables, alleles without a variant left in the
  tables, and table positions sharing a coordinate (the caller indexes sites by position).

Usage: ``PYTHONPATH=src python benchmarks/pgx_scan.py [--shared DIR]``; exit status 1 when a
definition variant or allele is missing from the tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from pgxannot.kb.pgx import gene_table
from pgxannot.paths import shared_data_dir


def _ignored(variant: dict, exemption: dict) -> bool:
    for ip in exemption.get("ignoredPositions", []):
        if ip.get("rsid"):
            if variant["rsid"] == ip["rsid"]:
                return True
        elif variant["chromosomeHgvsName"] == ip["chromosomeHgvsName"]:
            return True
    return False


def scan_gene(d: dict, ex: dict) -> dict[str, object]:
    gene = d["gene"]
    variants = d["variants"]
    t = gene_table(gene)
    by_pos = Counter(v["position"] for v in variants)
    for ip in ex.get("ignoredPositions", []):
        by_pos[ip["position"]] += 1
    shared_coord = sorted(p for p, n in by_pos.items() if n > 1)
    users = Counter()
    single = []
    for a in d["namedAlleles"]:
        if a["reference"]:
            continue
        cells = [i for i, x in enumerate(a["alleles"]) if x is not None]
        users.update(cells)
        if len(cells) == 1:
            single.append(a["name"])
    have = {(p.pos, p.ref, p.alts) for p in t.positions}
    lost_variants = [v["chromosomeHgvsName"] for v in variants
                     if not _ignored(v, ex) and (v["position"], v["ref"], tuple(v["alts"])) not in have]
    ref = t.reference_allele
    empty = [n for i, n in enumerate(t.allele_names) if n != ref and not t.variant_def[i].any()]
    lost_alleles = sorted(set(a["name"] for a in d["namedAlleles"]) - set(t.allele_names)
                          - set(ex.get("ignoredAlleles", [])))
    table_dup = sorted(p for p, n in Counter(p.pos for p in t.positions).items() if n > 1)
    return {
        "gene": gene, "variants": len(variants), "alleles": len(d["namedAlleles"]),
        "shared_coordinates": shared_coord,
        "shared_variants": sum(1 for n in users.values() if n > 1),
        "single_position_alleles": len(single),
        "lost_variants": lost_variants, "lost_alleles": lost_alleles, "empty_alleles": empty,
        "table_duplicate_positions": table_dup,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=None)
    args = ap.parse_args(argv)
    shared = args.shared or shared_data_dir()
    if shared is None:
        print("reference data not found: pass --shared DIR", file=sys.stderr)
        return 2
    folder = shared / "pharmcat" / "definitions" / "alleles"
    exemptions = json.loads((folder / "exemptions.json").read_text(encoding="utf-8"))
    print("| gene | variants | alleles | coordinates with >1 variant (incl. ignored) | variants in >1 allele "
          "| single-position alleles | definition variants lost | alleles lost or empty | table positions sharing a coordinate |")
    print("|---|---|---|---|---|---|---|---|---|")
    bad = 0
    for path in sorted(folder.glob("*_translation.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        if d["gene"] == "CYP2D6":  # outside calls only
            continue
        r = scan_gene(d, exemptions.get(d["gene"], {}))
        lost = len(r["lost_variants"]) + len(r["lost_alleles"]) + len(r["empty_alleles"])  # type: ignore[arg-type]
        bad += lost
        print(f"| {r['gene']} | {r['variants']} | {r['alleles']} | "
              f"{', '.join(map(str, r['shared_coordinates'])) or 'none'} | {r['shared_variants']} | "  # type: ignore[arg-type]
              f"{r['single_position_alleles']} | {', '.join(r['lost_variants']) or 'none'} | "  # type: ignore[arg-type]
              f"{', '.join(r['lost_alleles'] + r['empty_alleles']) or 'none'} | "  # type: ignore[operator]
              f"{', '.join(map(str, r['table_duplicate_positions'])) or 'none'} |")  # type: ignore[arg-type]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
