"""Star-allele calling for every sample of a :class:`SiteGenotypes` (numpy, grouped by pattern).

Per gene, each sample's genotypes are translated into the definitions' allele codes,
canonicalised (unphased heterozygous sites sorted; a single phase block oriented) and
grouped: every distinct pattern is called once and its frozen :class:`GeneCall` is shared
by all samples showing it. A cohort of thousands of samples has only a few hundred
patterns per gene.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from pgxannot.errors import ConfigError
from pgxannot.kb.pgx import GeneTable, gene_table, report_genes
from pgxannot.pgx import grch37
from pgxannot.pgx.matcher import MISSING_CODE, UNDOCUMENTED, match_pattern, variant_alleles_found
from pgxannot.pgx.model import Diplotype, GeneCall
from pgxannot.pgx.phenotype import describe, lowest_two, sort_alleles
from pgxannot.vcf.model import HAPLOID, MISSING, Site, SiteGenotypes, SiteStatus

BUILDS = ("GRCh38", "GRCh37")
SEX_CODES = {"female": 1, "f": 1, "male": 2, "m": 2}
_HAPLOID_CODE = -2


def _check_build(build: str) -> None:
    if build not in BUILDS:
        raise ConfigError(f"unknown reference build {build!r}", hint="use GRCh38 or GRCh37")


def _genes(genes: Iterable[str] | None) -> tuple[str, ...]:
    allg = report_genes()
    if genes is None:
        return allg
    wanted = tuple(dict.fromkeys(genes))
    unknown = [g for g in wanted if g not in allg]
    if unknown:
        raise ConfigError(f"unknown PGx gene(s): {', '.join(unknown)}", hint=f"known genes: {', '.join(allg)}")
    return wanted


def _site_of(table: GeneTable, j: int, build: str) -> Site | None:
    p = table.positions[j]
    if build == "GRCh38":
        return Site(p.chrom, p.pos, p.ref)
    if p.pos37 is None or p.ref37 is None:
        return None
    return Site(p.chrom, p.pos37, p.ref37)


def pgx_sites(build: str = "GRCh38", genes: Iterable[str] | None = None) -> list[Site]:
    """Every position the caller reads, in ``build`` coordinates, sorted and unique.

    GRCh37 positions without a known mapping are left out (they are reported missing).
    """
    _check_build(build)
    sites: set[Site] = set()
    for g in _genes(genes):
        t = gene_table(g)
        for j in range(len(t.positions)):
            s = _site_of(t, j, build)
            if s is not None:
                sites.add(s)
    return sorted(sites, key=lambda s: (_chrom_rank(s.chrom), s.pos, s.ref))


def _chrom_rank(chrom: str) -> tuple[int, str]:
    c = chrom.removeprefix("chr")
    return (int(c), "") if c.isdigit() else (100, c)


def _label(table: GeneTable, j: int, build: str) -> str:
    s = _site_of(table, j, build)
    if s is None:
        return f"GRCh38:{table.positions[j].chrom}:{table.positions[j].pos}"
    return s.key


@dataclass(frozen=True)
class _GeneContext:
    table: GeneTable
    build: str
    labels: tuple[str, ...]
    assumed_reference: tuple[str, ...]  # positions absent from the VCF, set to reference
    unmapped: tuple[str, ...]  # GRCh37 positions without a mapping
    unmapped_idx: tuple[int, ...] = ()
    unconfirmed_idx: tuple[int, ...] = ()  # GRCh37 REF unconfirmed and not confirmed by the VCF: missing


def _not_called(gene: str, reason: str, missing: tuple[str, ...] = (), warnings: tuple[str, ...] = ()) -> GeneCall:
    return GeneCall(gene=gene, status="not_called", candidates=(), phenotype=None, activity_score=None,
                    missing_positions=missing, source="none", reason=reason, warnings=warnings)


def outside_needed(gene: str) -> GeneCall:
    """Placeholder for genes that need a call made elsewhere."""
    if gene == "MT-RNR1":
        reason = "no chrM records in the VCF; provide an MT-RNR1 outside call"
    else:
        reason = f"{gene} cannot be called from a VCF; provide an outside call"
    return _not_called(gene, reason)


def _translate(sg: SiteGenotypes, table: GeneTable, build: str, missing_as_reference: bool,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, _GeneContext, bool]:
    """Allele codes (P, N) for both haplotypes, phased flags and PS, plus the gene context."""
    n = len(sg.samples)
    npos = len(table.positions)
    c1 = np.full((npos, n), MISSING_CODE, dtype=np.int16)
    c2 = np.full((npos, n), MISSING_CODE, dtype=np.int16)
    ph = np.zeros((npos, n), dtype=bool)
    ps = np.zeros((npos, n), dtype=np.int64)
    where = {(s.chrom, s.pos): i for i, s in enumerate(sg.sites)}
    labels, assumed, unmapped, unmapped_idx, unconfirmed = [], [], [], [], []
    covered = False
    for j in range(npos):
        labels.append(_label(table, j, build))
        site = _site_of(table, j, build)
        if site is None:
            unmapped.append(labels[-1])
            unmapped_idx.append(j)
            continue
        i = where.get((site.chrom, site.pos))
        absent = i is None or int(sg.status[i]) == SiteStatus.ABSENT
        if not grch37.confirmed(table.positions[j], build, None if absent else int(sg.status[i]),
                                () if i is None else sg.alleles[i]):
            unconfirmed.append(j)
            continue
        if absent:
            ref_code = grch37.reference_code(table.positions[j], build)
            if missing_as_reference and ref_code is not None:
                c1[j] = ref_code
                c2[j] = ref_code
                assumed.append(labels[-1])
            continue
        covered = True
        defs = table.positions[j].alleles
        lut = np.array([defs.index(a) if a in defs else UNDOCUMENTED for a in sg.alleles[i]]
                       + [_HAPLOID_CODE, MISSING_CODE], dtype=np.int16)
        g = sg.gt[i].astype(np.int64)
        g = np.where(g == HAPLOID, len(lut) - 2, np.where(g == MISSING, len(lut) - 1, g))
        c1[j] = lut[g[:, 0]]
        c2[j] = lut[g[:, 1]]
        ph[j] = sg.phased[i]
        ps[j] = sg.ps[i]
    ctx = _GeneContext(table, build, tuple(labels), tuple(assumed), tuple(unmapped), tuple(unmapped_idx),
                       tuple(unconfirmed))
    return c1, c2, ph, ps, ctx, covered


def _canonical(c1: np.ndarray, c2: np.ndarray, ph: np.ndarray, ps: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort unphased het sites, orient single-block phased samples, block ids for het sites."""
    het = (c1 != c2) & (c1 >= 0) & (c2 >= 0)
    unph = het & ~ph
    lo, hi = np.minimum(c1, c2), np.maximum(c1, c2)
    a = np.where(unph, lo, c1)
    b = np.where(unph, hi, c2)
    phet = het & ph
    blk = np.where(phet, ps, -1)
    if phet.any():
        big = np.iinfo(np.int64).max
        pmin = np.where(phet, ps, big).min(axis=0)
        pmax = np.where(phet, ps, -big).max(axis=0)
        single = phet.any(axis=0) & (pmin == pmax)
        first = np.argmax(phet, axis=0)
        cols = np.arange(c1.shape[1])
        flip = single & (a[first, cols] > b[first, cols])
        fmask = phet & flip[None, :]
        a, b = np.where(fmask, b, a), np.where(fmask, a, b)
        blk = np.where(phet & single[None, :], 0, blk)
    return a, b, blk


def call_samples(sg: SiteGenotypes, *, sexes: Mapping[str, str] | None = None,
                 missing_as_reference: bool = False, build: str = "GRCh38",
                 genes: Iterable[str] | None = None) -> dict[str, list[GeneCall]]:
    """Call every gene for every sample of ``sg``; genes needing outside calls are listed as such."""
    _check_build(build)
    wanted = _genes(genes)
    n = len(sg.samples)
    sexes = sexes or {}
    sex = np.array([SEX_CODES.get(str(sexes.get(s, "unknown")).lower(), 0) for s in sg.samples], dtype=np.int64)
    out: dict[str, list[GeneCall]] = {s: [] for s in sg.samples}
    for gene in wanted:
        table = gene_table(gene)
        if not table.vcf_callable:
            call = outside_needed(gene)
            for s in sg.samples:
                out[s].append(call)
            continue
        calls = _call_gene(sg, table, sex, missing_as_reference, build)
        for s, c in zip(sg.samples, calls, strict=True):
            out[s].append(c)
    assert all(len(v) == len(wanted) for v in out.values()) or n == 0
    return out


def _call_gene(sg: SiteGenotypes, table: GeneTable, sex: np.ndarray, missing_as_reference: bool,
               build: str) -> list[GeneCall]:
    n = len(sg.samples)
    gene = table.gene
    c1, c2, ph, ps, ctx, covered = _translate(sg, table, build, missing_as_reference)
    if not covered:
        if gene == "MT-RNR1":
            return [outside_needed(gene)] * n
        call = _not_called(gene, f"no VCF records cover {gene} positions",
                           tuple(x for x in ctx.labels if x not in set(ctx.unmapped)))
        return [grch37.with_gaps(call, table, ctx.unmapped_idx, ctx.unconfirmed_idx, ctx.labels)] * n
    a, b, blk = _canonical(c1, c2, ph, ps)
    sexcol = sex if gene == "G6PD" else np.zeros(n, dtype=np.int64)
    keys = np.concatenate([a.T.astype(np.int64), b.T.astype(np.int64), blk.T, sexcol[:, None]], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    npos = len(table.positions)
    results = []
    for row in uniq:
        call = _call_pattern(ctx, row[:npos], row[npos:2 * npos], row[2 * npos:3 * npos], int(row[-1]))
        results.append(grch37.with_gaps(call, table, ctx.unmapped_idx, ctx.unconfirmed_idx, ctx.labels))
    return [results[k] for k in inverse.ravel()]


def _variants(ctx: _GeneContext, h1: np.ndarray, h2: np.ndarray | None, present: np.ndarray) -> tuple[str, ...]:
    out = []
    for j in np.flatnonzero(present):
        p = ctx.table.positions[j]
        label = ctx.labels[j]
        alleles = p.alleles
        codes = [int(h1[j])] if h2 is None else [int(h1[j]), int(h2[j])]
        for k in sorted({c for c in codes if c > 0}):
            zyg = "hemi" if h2 is None else ("hom" if codes.count(k) == 2 else "het")
            out.append(f"{label}:{p.ref}:{alleles[k]} {zyg}")
    return tuple(out)


def _call_pattern(ctx: _GeneContext, h1: np.ndarray, h2: np.ndarray, blk: np.ndarray, sex: int) -> GeneCall:
    t = ctx.table
    gene = t.gene
    warnings: list[str] = []
    extra: dict[str, object] = {}
    h1 = h1.copy()
    h2 = h2.copy()
    haploid_pos = h2 == _HAPLOID_CODE
    missing = (h1 == MISSING_CODE) | ((h2 == MISSING_CODE) & ~haploid_pos)
    present = ~missing
    # positions with no coordinate in the run's build are not "chr:pos" of that build: they
    # are named in a warning, never in missing_positions (the contract's chr:pos list)
    unmapped = set(ctx.unmapped)
    missing_labels = tuple(ctx.labels[j] for j in np.flatnonzero(missing) if ctx.labels[j] not in unmapped)
    if ctx.assumed_reference:
        warnings.append(f"{len(ctx.assumed_reference)} {gene} position(s) absent from the VCF were assumed "
                        "to be reference (missing_positions_as_reference)")
    if not present.any():
        return _not_called(gene, f"no genotype at any {gene} position", missing_labels, tuple(warnings))
    undoc = present & ((h1 == UNDOCUMENTED) | (h2 == UNDOCUMENTED))
    if undoc.any():
        where = ", ".join(ctx.labels[j] for j in np.flatnonzero(undoc))
        if not t.undocumented_as_reference:
            return _not_called(gene, f"allele not in the {gene} definitions at {where}; the gene cannot be called",
                               missing_labels, tuple(warnings))
        h1[undoc & (h1 == UNDOCUMENTED)] = 0
        h2[undoc & (h2 == UNDOCUMENTED)] = 0
        warnings.append(f"allele not in the definitions at {where} treated as reference (as PharmCAT does for {gene})")
    req_missing = [ctx.labels[j] for j in np.flatnonzero(missing) if t.positions[j].pos in t.required_positions]
    if req_missing:
        return _not_called(gene, f"required {gene} position(s) missing: {', '.join(req_missing)}",
                           missing_labels, tuple(warnings))

    haploid = bool(haploid_pos[present].all())
    if haploid_pos[present].any() and not haploid:
        dip = present & ~haploid_pos
        if (h1[dip] == h2[dip]).all():  # e.g. positions assumed reference around haploid calls
            haploid = True
            h2 = np.where(dip, _HAPLOID_CODE, h2)
    if haploid_pos[present].any() and not haploid:
        return _not_called(gene, f"mixed haploid and diploid genotypes across {gene} positions",
                           missing_labels, tuple(warnings))
    hom = bool((h1[present] == h2[present]).all())
    if t.unphased_mode == "mito" and not haploid:
        het = present & (h1 != h2)
        if het.any():
            warnings.append("heteroplasmy (heterozygous call) at " + ", ".join(ctx.labels[j] for j in np.flatnonzero(het))
                            + "; the variant allele is reported")
            h1 = np.where(het, np.maximum(h1, h2), h1)
        haploid = True
    if gene == "G6PD" and not haploid:
        if sex == 2 and hom:
            haploid = True
        elif sex == 2:
            warnings.append("heterozygous chrX genotype in a male sample; called as two X copies")
        elif sex == 0:
            warnings.append("sex unknown: G6PD called as two X copies; for a male the phenotype follows one allele")
    if haploid and gene not in ("G6PD", "MT-RNR1"):
        # an autosomal gene has two copies: a haploid GT there is a caller artefact (or a
        # deletion of the other copy, which a VCF genotype cannot show); never guess a diplotype
        return _not_called(gene, f"haploid genotype(s) at autosomal {gene} positions: a diplotype needs two "
                           "allele calls; check the variant caller's ploidy settings", missing_labels,
                           tuple(warnings))
    hb = None if haploid else h2
    variants = _variants(ctx, h1, hb, present)
    if missing_labels:
        warnings.append(f"{len(missing_labels)} of {len(t.positions)} {gene} positions missing: alleles defined "
                        "there could not be assessed")

    het_pos = present & (h1 != h2) if hb is not None else np.zeros_like(present)
    blocks_used = {int(x) for x in blk[het_pos]}
    effectively_phased = int(het_pos.sum()) <= 1 or (-1 not in blocks_used and len(blocks_used) == 1)
    if t.unphased_mode == "lowest_two" and hb is not None and not effectively_phased:
        found = variant_alleles_found(t, h1, hb, present)
        pair = lowest_two(gene, found)
        dip = describe(gene, pair)
        extra["alleles_found"] = list(sort_alleles(t, found))
        if len(found) > 0:
            warnings.append(f"unphased {gene} data: variant alleles found: {', '.join(sort_alleles(t, found))}; "
                            "phenotype from the two lowest-function alleles (CPIC)")
        return _finish(gene, (dip,), missing_labels, variants, warnings, extra)

    m = match_pattern(t, h1, hb, blk, present)
    if not m.pairs:
        if t.unphased_mode == "lowest_two" and hb is not None:
            return _phased_lowest(ctx, h1, hb, blk, present, missing_labels, variants, warnings, extra)
        return GeneCall(gene=gene, status="not_called", candidates=(), phenotype=None, activity_score=None,
                        missing_positions=missing_labels, source="vcf",
                        reason=f"the {gene} genotypes match no combination of defined alleles "
                               "(possibly a novel or combined allele)",
                        variants=variants, warnings=tuple(warnings))
    names = [tuple(t.allele_names[i] for i in p) for p in m.pairs]
    if t.unphased_priorities and not effectively_phased and len(m.all_pairs) > 1:
        # PharmCAT's unphased priorities (NAT2) choose among all diplotypes that fit
        every = [tuple(t.allele_names[i] for i in p) for p in m.all_pairs]
        dnames = {"/".join(sort_alleles(t, n)): n for n in every}
        for options, pick in t.unphased_priorities:
            if set(dnames) == options and pick in dnames:
                warnings.append(f"unphased {gene} tie {' or '.join(sorted(options))} resolved to {pick} "
                                "(PharmCAT unphased priority)")
                names = [dnames[pick]]
                break
    cands = sorted({describe(gene, n) for n in names}, key=lambda d: [t.order.get(a, 0) for a in d.alleles])
    extra["match_score"] = m.score
    return _finish(gene, tuple(cands), missing_labels, variants, warnings, extra)


def _phased_lowest(ctx: _GeneContext, h1: np.ndarray, h2: np.ndarray, blk: np.ndarray, present: np.ndarray,
                   missing_labels: tuple[str, ...], variants: tuple[str, ...], warnings: list[str],
                   extra: dict[str, object]) -> GeneCall:
    """DPYD/RYR1 phased with several variants on one haplotype: lowest-function allele per haplotype."""
    t = ctx.table
    gene = t.gene
    per_hap = [variant_alleles_found(t, h, None, present) for h in (h1, h2)]
    pick = tuple(lowest_two(gene, f)[0] for f in per_hap)
    dip = describe(gene, pick)
    extra["haplotypes"] = [" + ".join(sort_alleles(t, f)) or t.reference_allele for f in per_hap]
    warnings.append(f"{gene} haplotypes carry several variants ({' / '.join(extra['haplotypes'])}); "  # type: ignore[arg-type]
                    "each haplotype is represented by its lowest-function allele")
    return _finish(gene, (dip,), missing_labels, variants, warnings, extra)


def _finish(gene: str, cands: tuple[Diplotype, ...], missing: tuple[str, ...], variants: tuple[str, ...],
            warnings: list[str], extra: dict[str, object]) -> GeneCall:
    phenos = {d.phenotype for d in cands}
    scores = {d.activity_score for d in cands}
    status = "called" if len(cands) == 1 else "ambiguous"
    reason = None
    if status == "ambiguous":
        reason = (f"{len(cands)} {gene} diplotypes fit the genotypes equally well"
                  + (" (positions missing)" if missing else " (unphased data)"))
    return GeneCall(gene=gene, status=status, candidates=cands,
                    phenotype=phenos.pop() if len(phenos) == 1 else None,
                    activity_score=scores.pop() if len(scores) == 1 else None,
                    missing_positions=missing, source="vcf", reason=reason, variants=variants,
                    warnings=tuple(warnings), extra=extra)
