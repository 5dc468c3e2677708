"""Build the compact CIViC evidence table of the somatic/copy-number screens.

Source: a CIViC release's ``*-ClinicalEvidenceSummaries.tsv`` (CC0 1.0), e.g. the
2021-08-01 release in ``shared/data/civic``. Output: ``civic_evidence.tsv.xz`` (one row
per accepted evidence item: gene, variant name, parsed protein change, disease,
therapies, type, direction, level, significance, origin, citation/PMID, GRCh37
coordinates and, where they can be mapped, GRCh38 coordinates) and ``civic_meta.json``.

GRCh38 coordinates
------------------
CIViC 2021 gives GRCh37 only. No chain file is available offline, so a variant is
moved to GRCh38 by the *local offset* of nearby anchor positions known in both
builds: the nearest anchors on both sides (within ``ANCHOR_WINDOW``) must agree, or a
single-sided anchor must lie within ``ONE_SIDED_WINDOW`` (see :func:`map_to_grch38`). Anchors come from:

1. CIViC's own GRCh38 genomic HGVS (``NC_...`` of the GRCh38 assembly) per variant;
2. the ClinVar panel (GRCh38) joined on the variant's ClinVar ids (SNVs);
3. the PCGR T001-BRCA tumour given in both builds (CrossMap liftover, same records);
4. PyPGx's variant table (both builds);
5. genes whose NCBI coordinates have the same length in both builds
   (``resources/genes/cnv_genes.tsv``);
6. a handful of hotspot positions from dbSNP (``HOTSPOT_ANCHORS``).

Unmapped variants still match GRCh37 VCFs by position and any VCF by gene + protein
change from VEP/SnpEff annotations.

Rebuild::

    python -m pgxannot.kb.build.civic [SOURCE_DIR] [OUT_DIR]
"""

from __future__ import annotations

import bisect
import csv
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from pgxannot.errors import KnowledgeBaseError
from pgxannot.files import read_tsv
from pgxannot.kb.build.clinvar import write_xz_tsv
from pgxannot.kb.risk import CIVIC_COLUMNS, CIVIC_FILE, CIVIC_META_FILE
from pgxannot.paths import default_resources, shared_data_dir
from pgxannot.vcf.genome import canonical_chrom

ANCHOR_WINDOW = 1_000_000
ONE_SIDED_WINDOW = 100_000

# (chrom, GRCh37 pos, GRCh38 pos, what): dbSNP positions of the commonest hotspots.
HOTSPOT_ANCHORS = (
    ("chr7", 140453136, 140753336, "BRAF V600E rs113488022"),
    ("chr12", 25398284, 25245350, "KRAS G12D rs121913529"),
    ("chr7", 55259515, 55191822, "EGFR L858R rs121434568"),
    ("chr1", 115256530, 114713909, "NRAS Q61K rs121913254"),
    ("chr2", 209113112, 208248388, "IDH1 R132H rs121913500"),
    ("chr3", 178952085, 179234297, "PIK3CA H1047R rs121913279"),
)

# RefSeq accession versions of GRCh38 chromosomes (GRCh37 = one less).
_GRCH38_NC = dict(zip(range(1, 25), (
    11, 12, 12, 12, 10, 12, 14, 11, 12, 11, 10, 12, 11, 9, 10, 10, 11, 10, 10, 11, 9, 11, 11, 10),
    strict=True))

_PROTEIN = re.compile(r"^([A-Z])(\d+)([A-Z]|\*|FS|DEL|DUP|INS|DELINS[A-Z]*|X)?$", re.IGNORECASE)


def protein_change_of(variant_name: str) -> str:
    """``V600E``/``R167Q (c.500G>A)``/``E384*`` -> one-letter change; "" for other names."""
    token = re.sub(r"\s*\(.*\)\s*$", "", variant_name.strip())  # "R167Q (c.500G>A)"
    m = _PROTEIN.match(token)  # multi-variant names ("V600E and V600M") do not match
    if not m:
        return ""
    return (m.group(1) + m.group(2) + (m.group(3) or "")).upper()


def therapy_labels(drugs: str, interaction: str) -> list[str]:
    """CIViC ``drugs`` + interaction type -> therapy labels ("A + B" for combinations)."""
    names = [d.strip() for d in drugs.split(",") if d.strip()]
    if not names:
        return []
    if interaction.strip().lower() == "combination":
        return [" + ".join(names)]
    return names


# --------------------------------------------------------------------------- anchors
def _nc_chrom(acc: str) -> tuple[str, bool] | None:
    m = re.match(r"NC_0000(\d\d)\.(\d+)$", acc)
    if not m:
        return None
    n, version = int(m.group(1)), int(m.group(2))
    chrom = {23: "chrX", 24: "chrY"}.get(n, f"chr{n}")
    return chrom, version == _GRCH38_NC.get(n)


def anchors_from_shared(shared: Path | None, variants: list[dict[str, str]],
                        resources: Path) -> dict[str, list[tuple[int, int, str]]]:
    """chrom -> sorted [(pos37, pos38, source)] anchor pairs."""
    out: dict[str, list[tuple[int, int, str]]] = defaultdict(list)

    def add(chrom: str, p37: int, p38: int, source: str) -> None:
        out[canonical_chrom(chrom)].append((p37, p38, source))

    # 1. CIViC's own GRCh38 HGVS
    for v in variants:
        if not v.get("start") or not v.get("chromosome"):
            continue
        for h in v.get("hgvs_expressions", "").split(","):
            acc, _, rest = h.strip().partition(":g.")
            parsed = _nc_chrom(acc)
            # SNVs only: HGVS shifts indels 3' while CIViC keeps its own start
            m = re.fullmatch(r"(\d+)[ACGT]>[ACGT]", rest)
            if parsed and parsed[1] and m and parsed[0] == canonical_chrom(v["chromosome"]) \
                    and v.get("start") == v.get("stop"):
                add(parsed[0], int(v["start"]), int(m.group(1)), "civic_hgvs_grch38")
    for c, p37, p38, what in HOTSPOT_ANCHORS:
        add(c, p37, p38, f"dbsnp:{what}")
    genes = resources / "genes" / "cnv_genes.tsv"
    if genes.is_file():
        by_gene: dict[str, dict[str, tuple[str, int, int]]] = defaultdict(dict)
        for r in read_tsv(genes, error=KnowledgeBaseError, what="copy-number gene table"):
            by_gene[r["gene"]][r["build"]] = (r["chrom"], int(r["start"]), int(r["end"]))
        for g, b in by_gene.items():
            if {"GRCh37", "GRCh38"} <= set(b):
                (c, s37, e37), (_, s38, e38) = b["GRCh37"], b["GRCh38"]
                if e37 - s37 == e38 - s38:
                    add(c, s37, s38, f"ncbi_gene:{g}")
                    add(c, e37, e38, f"ncbi_gene:{g}")
    if shared is not None:
        _anchors_clinvar(shared, variants, add)
        _anchors_pcgr(shared, add)
        _anchors_pypgx(shared, add)
    return {c: sorted(v) for c, v in out.items()}


def _anchors_clinvar(shared: Path, variants: list[dict[str, str]], add) -> None:
    path = shared / "clinvar" / "clinvar_acmgsf32_pah_panel_GRCh38.tsv.gz"
    wanted: dict[str, tuple[str, int]] = {}
    for v in variants:
        if v.get("start") and v.get("reference_bases") and len(v["reference_bases"]) == 1 \
                and len(v.get("variant_bases", "")) == 1:
            for cid in v.get("clinvar_ids", "").split(","):
                if cid.strip().isdigit():
                    wanted[cid.strip()] = (v["chromosome"], int(v["start"]))
    if not wanted or not path.is_file():
        return
    with gzip.open(path, "rt") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            hit = wanted.get(row["clinvar_id"])
            if hit and len(row["ref"]) == 1 and len(row["alt"]) == 1:
                add(hit[0], hit[1], int(row["pos"]), "clinvar_id")


def _vcf_sites(path: Path) -> list[tuple[str, int, str, str]]:
    with gzip.open(path, "rt") as fh:
        return [(f[0], int(f[1]), f[3], f[4]) for f in (line.split("\t") for line in fh
                                                        if not line.startswith("#"))]


def _anchors_pcgr(shared: Path, add) -> None:
    a = shared / "onco" / "pcgr" / "T001-BRCA.grch37.vcf.gz"
    b = shared / "onco" / "pcgr" / "T001-BRCA.grch38.vcf.gz"
    if not (a.is_file() and b.is_file()):
        return
    s37, s38 = _vcf_sites(a), _vcf_sites(b)
    if len(s37) != len(s38):
        return
    for x, y in zip(s37, s38, strict=True):
        if x[0] == y[0] and x[2:] == y[2:]:
            add(x[0], x[1], y[1], "pcgr_T001_liftover")


def _anchors_pypgx(shared: Path, add) -> None:
    path = shared / "pypgx" / "variant-table.csv"
    if not path.is_file():
        return
    with path.open() as fh:
        for r in csv.DictReader(fh):
            try:
                add(r["Chromosome"], int(r["GRCh37Position"]), int(r["GRCh38Position"]), "pypgx")
            except (ValueError, KeyError):
                continue


def map_to_grch38(chrom: str, pos37: int, anchors: dict[str, list[tuple[int, int, str]]],
                  window: int = ANCHOR_WINDOW,
                  one_sided: int = ONE_SIDED_WINDOW) -> tuple[int, str] | None:
    """GRCh38 position by the offset of the nearest anchors; None when unsure.

    The nearest anchor on each side (within ``window``) must agree on the offset (every
    anchor at the same distance too); with anchors on one side only, the nearest must be
    within ``one_sided`` bp. A chain break between the anchors shows as disagreement.
    """
    pts = anchors.get(chrom)
    if not pts:
        return None
    keys = [p[0] for p in pts]
    i = bisect.bisect_left(keys, pos37)
    left = [p for p in pts[:i] if pos37 - p[0] <= window]
    right = [p for p in pts[i:] if p[0] - pos37 <= window]
    near = []
    if left:
        near += [p for p in left if p[0] == left[-1][0]]
    if right:
        near += [p for p in right if p[0] == right[0][0]]
    if not near:
        return None
    if not (left and right) and min(abs(p[0] - pos37) for p in near) > one_sided:
        return None
    offsets = {p38 - p37 for p37, p38, _ in near}
    if len(offsets) != 1:
        return None
    sources = sorted({s.split(":")[0] for _, _, s in near})
    return pos37 + offsets.pop(), "anchor_offset:" + "+".join(sources)


# --------------------------------------------------------------------------- build
def _read_tsv(path: Path) -> list[dict[str, str]]:
    return read_tsv(path, error=KnowledgeBaseError, what="CIViC source table", raw_quotes=True)


_COORD_KEYS = ("chromosome", "start", "stop", "reference_bases", "variant_bases")


def _coordinates_by_name(variants: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    out = {}
    for v in variants:
        gene = v.get("gene") or v.get("feature_name") or ""
        if gene and v.get("variant") and v.get("chromosome") and \
                v.get("reference_build", "GRCh37") in ("GRCh37", ""):
            out[(gene, v["variant"].upper())] = {k: v.get(k, "") for k in _COORD_KEYS}
    return out


def normalize_evidence_row(e: dict[str, str],
                           coords: dict[tuple[str, str], dict[str, str]]) -> dict[str, str]:
    """Map both CIViC TSV layouts to the 2021 column names.

    CIViC v2 (2022-) names ``molecular_profile`` ("BRAF V600E"), ``therapies``,
    ``therapy_interaction_type`` and ``significance`` and drops coordinates from the
    evidence file; they are then joined from VariantSummaries by gene + variant name.
    Multi-variant profiles ("A and B") keep the first variant's gene and the full name.
    """
    row = dict(e)
    if not row.get("gene") and row.get("molecular_profile"):
        gene, _, variant = row["molecular_profile"].partition(" ")
        row["gene"], row["variant"] = gene, variant
    for new, old in (("therapies", "drugs"), ("therapy_interaction_type", "drug_interaction_type"),
                     ("significance", "clinical_significance")):
        if old not in row and new in row:
            row[old] = row[new]
    if not row.get("chromosome") and row.get("gene") and row.get("variant"):
        row.update(coords.get((row["gene"], row["variant"].upper()), {}))
    if (row.get("reference_build") or "GRCh37") != "GRCh37":
        for k in _COORD_KEYS:
            row[k] = ""
    return row


def _find(source_dir: Path, suffix: str) -> Path:
    hits = sorted(source_dir.glob(f"*{suffix}")) + sorted(source_dir.glob(f"*{suffix}.gz"))
    if not hits:
        raise KnowledgeBaseError(f"no *{suffix} in the CIViC source folder", path=source_dir,
                                 hint="download the CIViC release TSVs (ClinicalEvidenceSummaries, VariantSummaries)")
    return hits[-1]


def build(source_dir: Path, out_dir: Path, *, version: str | None = None, include_text: bool = False,
          shared: Path | None = None, resources: Path | None = None) -> dict:
    """Build ``civic_evidence.tsv.xz`` and ``civic_meta.json`` from a CIViC release folder.

    ``shared`` (default: ``source_dir/..``) supplies the GRCh37->GRCh38 anchors; pass a
    folder without them to skip GRCh38 mapping beyond the bundled anchors.
    ``include_text`` is accepted for the common builder signature (CIViC rows keep no free text).
    """
    source_dir, out_dir = Path(source_dir), Path(out_dir)
    resources = Path(resources) if resources else default_resources()
    evidence_path = _find(source_dir, "ClinicalEvidenceSummaries.tsv")
    evidence = _read_tsv(evidence_path)
    try:
        variants = _read_tsv(_find(source_dir, "VariantSummaries.tsv"))
    except KnowledgeBaseError:
        variants = []
    if version is None:
        m = re.match(r"(\d{2})-([A-Za-z]{3})-(\d{4})", evidence_path.name)
        months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        version = (f"{m.group(3)}-{months.index(m.group(2).lower()) + 1:02d}-{m.group(1)}"
                   if m else evidence_path.name.split("-Clinical")[0])
    shared = shared if shared is not None else (source_dir.parent if source_dir.parent.is_dir() else None)
    anchors = anchors_from_shared(shared, variants, resources)

    evidence = [normalize_evidence_row(e, coords) for coords in [_coordinates_by_name(variants)]
                for e in evidence]
    rows = []
    methods: Counter[str] = Counter()
    for e in evidence:
        if e.get("evidence_status", "accepted") != "accepted":
            continue
        chrom37 = canonical_chrom(e["chromosome"]) if e.get("chromosome") else ""
        pos37 = int(e["start"]) if e.get("start", "").isdigit() else None
        ref37, alt37 = e.get("reference_bases", ""), e.get("variant_bases", "")
        chrom38 = ref38 = alt38 = method = ""
        pos38: int | str = ""
        if chrom37 and pos37 is not None and (ref37 or alt37):
            mapped = map_to_grch38(chrom37, pos37, anchors)
            if mapped:
                pos38, method = mapped
                chrom38, ref38, alt38 = chrom37, ref37, alt37
        methods[method.split(":")[0] or ("unmapped" if pos37 else "no_coordinates")] += 1
        rows.append((
            e["evidence_id"], e.get("gene", ""), e.get("variant", ""),
            protein_change_of(e.get("variant", "")), e.get("disease", ""), ";".join(therapy_labels(e.get("drugs", ""), e.get("drug_interaction_type", ""))),
            e.get("evidence_type", ""), e.get("evidence_direction", ""), e.get("evidence_level", ""),
            e.get("clinical_significance", ""), e.get("variant_origin", ""), e.get("rating", ""),
            e.get("citation", ""), e.get("citation_id", "") if e.get("source_type") == "PubMed" else "",
            chrom37, "" if pos37 is None else pos37, ref37, alt37, chrom38, pos38, ref38, alt38,
            method))
    rows.sort(key=lambda r: (r[1], r[2], int(r[0])))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_xz_tsv(out_dir / CIVIC_FILE, CIVIC_COLUMNS, rows, sort=False)
    meta = {
        "source": "CIViC (civicdb.org), CC0 1.0",
        "source_file": evidence_path.name,
        "version": version,
        "evidence_items": len(rows),
        "grch38_mapped": sum(1 for r in rows if r[19] != ""),
        "grch38_methods": dict(sorted(methods.items())),
        "anchor_pairs": sum(len(v) for v in anchors.values()),
    }
    (out_dir / CIVIC_META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n",
                                           encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    shared = shared_data_dir()
    if args:
        source = Path(args[0])
    elif shared is not None:
        source = shared / "civic"
    else:
        print("no source given and ../shared/data is absent", file=sys.stderr)
        return 2
    out = Path(args[1]) if len(args) > 1 else default_resources() / "civic"
    print(json.dumps(build(source, out, shared=shared), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

