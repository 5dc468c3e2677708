"""Star-allele calling for every sample of a :class:`SiteGenotypes` (numpy, grouped by pattern).

Per gene, each sample's genotypes are translated into the definitions' allele codes,
canonicalised (unphased heterozygous sites sorted; a single phase block oriented) and
grouped: every distinct pattern is called once and its frozen :class:`GeneCall` is shared
by all samples showing it. A cohort of thousands of samples has only a few hundred
patterns per gene.

How a gene is called follows its table (:class:`~pgxannot.kb.pgx.GeneTable`): its ploidy
(diploid, X-linked, mitochondrial), whether it needs an outside call, and its matching
mode (diplotypes, or the lowest-function alleles for DPYD and RYR1). No gene is named here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from pgxannot.config import normalize_sex
from pgxannot.errors import ConfigError
from pgxannot.kb.pgx import GeneTable, gene_table, report_genes
from pgxannot.pgx import grch37
from pgxannot.pgx.lowest import lowest_function_call, partial_alleles
from pgxannot.pgx.matcher import HAPLOID_CODE, MISSING_CODE, UNDOCUMENTED, match_pattern
from pgxannot.pgx.model import CallStatus, Diplotype, GeneCall
from pgxannot.pgx.phenotype import describe, sort_alleles
from pgxannot.vcf.genome import require_build
from pgxannot.vcf.model import HAPLOID, MISSING, Site, SiteGenotypes, SiteStatus

_SEX_CODE = {"female": 1, "male": 2}  # anything else: 0 (unknown)


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
    require_build(build)
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
    table = gene_table(gene)
    if table.outside_call == "when_uncovered":
        reason = f"no {table.chrom} records in the VCF; provide an {gene} outside call"
    else:
        reason = f"{gene} cannot be called from a VCF; provide an outside call"
    return _not_called(gene, reason)


def not_covered(gene: str, missing: tuple[str, ...] = ()) -> GeneCall:
    """No VCF record covers any position of ``gene`` (an outside call, where the gene takes one)."""
    if gene_table(gene).outside_call != "never":
        return outside_needed(gene)
    return _not_called(gene, f"no VCF records cover {gene} positions", missing)


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
        if absent or i is None:
            ref_code = grch37.reference_code(table.positions[j], build)
            if missing_as_reference and ref_code is not None:
                c1[j] = ref_code
                c2[j] = ref_code
                assumed.append(labels[-1])
            continue
        covered = True
        defs = table.positions[j].alleles
        lut = np.array([defs.index(a) if a in defs else UNDOCUMENTED for a in sg.alleles[i]]
                       + [HAPLOID_CODE, MISSING_CODE], dtype=np.int16)
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
    require_build(build)
    wanted = _genes(genes)
    sexes = sexes or {}
    sex = np.array([_SEX_CODE.get(normalize_sex(str(sexes.get(s, "unknown"))) or "", 0) for s in sg.samples],
                   dtype=np.int64)
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
    return out


def _call_gene(sg: SiteGenotypes, table: GeneTable, sex: np.ndarray, missing_as_reference: bool,
               build: str) -> list[GeneCall]:
    n = len(sg.samples)
    gene = table.gene
    c1, c2, ph, ps, ctx, covered = _translate(sg, table, build, missing_as_reference)
    if not covered:
        call = not_covered(gene, tuple(x for x in ctx.labels if x not in set(ctx.unmapped)))
        if table.outside_call == "never":
            call = grch37.with_gaps(call, table, ctx.unmapped_idx, ctx.unconfirmed_idx, ctx.labels)
        return [call] * n
    a, b, blk = _canonical(c1, c2, ph, ps)
    sexcol = sex if table.ploidy == "x_linked" else np.zeros(n, dtype=np.int64)
    keys = np.concatenate([a.T.astype(np.int64), b.T.astype(np.int64), blk.T, sexcol[:, None]], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    npos = len(table.positions)
    results = []
    for row in uniq:
        h1, h2, blk = row[:npos], row[npos:2 * npos], row[2 * npos:3 * npos]
        call = _with_positions(ctx, _call_pattern(ctx, h1, h2, blk, int(row[-1])), h1, h2, blk)
        results.append(grch37.with_gaps(call, table, ctx.unmapped_idx, ctx.unconfirmed_idx, ctx.labels))
    return [results[k] for k in inverse.ravel()]


def _variants(ctx: _GeneContext, h1: np.ndarray, h2: np.ndarray | None, present: np.ndarray) -> tuple[str, ...]:
    out = []
    carried = (h1 > 0) if h2 is None else (h1 > 0) | (h2 > 0)
    for j in np.flatnonzero(present & carried):
        p = ctx.table.positions[j]
        label = ctx.labels[j]
        alleles = p.alleles
        codes = [int(h1[j])] if h2 is None else [int(h1[j]), int(h2[j])]
        for k in sorted({c for c in codes if c > 0}):
            zyg = "hemi" if h2 is None else ("hom" if codes.count(k) == 2 else "het")
            out.append(f"{label}:{p.ref}:{alleles[k]} {zyg}")
    return tuple(out)


def _with_positions(ctx: _GeneContext, call: GeneCall, h1: np.ndarray, h2: np.ndarray, blk: np.ndarray) -> GeneCall:
    """``call`` with its per-position evidence (the report's per-gene detail) attached."""
    positions = _position_detail(ctx, h1, h2, blk)
    named = {a for p in positions for a in p[4]} | {a for d in call.candidates for a in d.alleles}
    info = ctx.table.phenotype_alleles
    functions = tuple((a, info[a].function if a in info else None) for a in sorted(named))
    return replace(call, positions=positions, allele_functions=functions)


def _position_detail(ctx: _GeneContext, h1: np.ndarray, h2: np.ndarray, blk: np.ndarray,
                     ) -> tuple[tuple[str, str | None, str, str | None, tuple[str, ...]], ...]:
    """Per defining position: label, rsID, reference, the sample's genotype (None when
    missing) and the named alleles that genotype supports (or, missing, could not assess)."""
    t = ctx.table
    out: list[tuple[str, str | None, str, str | None, tuple[str, ...]]] = []
    for j, p in enumerate(t.positions):
        a, b = int(h1[j]), int(h2[j])
        defining = [i for i in np.flatnonzero(t.variant_def[:, j])]
        if a == MISSING_CODE or b == MISSING_CODE:
            out.append((ctx.labels[j], p.rsid, p.ref, None, tuple(t.allele_names[i] for i in defining)))
            continue
        names = p.alleles
        if b == HAPLOID_CODE:
            genotype = _base(names, a)
        else:
            genotype = f"{_base(names, a)}{'|' if blk[j] >= 0 and a != b else '/'}{_base(names, b)}"
        carried = {c for c in (a, b) if c > 0}
        alleles = tuple(t.allele_names[i] for i in defining
                        if any((int(t.masks[i, j]) >> c) & 1 for c in carried))
        out.append((ctx.labels[j], p.rsid, p.ref, genotype, alleles))
    return tuple(out)


def _base(alleles: tuple[str, ...], code: int) -> str:
    """The base of an allele code (an allele the definitions do not list: "other")."""
    return alleles[code] if code >= 0 else "other"


# ------------------------------------------------------------ one genotype pattern


@dataclass
class _Work:
    """One pattern on its way to a call: codes per position and what was noted so far."""

    h1: np.ndarray
    h2: np.ndarray
    blk: np.ndarray
    sex: int  # 1 female, 2 male, 0 unknown (only set for X-linked genes)
    haploid_pos: np.ndarray
    present: np.ndarray
    missing_labels: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)
    haploid: bool = False
    variants: tuple[str, ...] = ()

    @property
    def hb(self) -> np.ndarray | None:
        """The second haplotype, None for a haploid (hemizygous, mitochondrial) pattern."""
        return None if self.haploid else self.h2

    def stop(self, gene: str, reason: str) -> GeneCall:
        return _not_called(gene, reason, self.missing_labels, tuple(self.warnings))


_Step = Callable[[_GeneContext, _Work], GeneCall | None]


def _call_pattern(ctx: _GeneContext, h1: np.ndarray, h2: np.ndarray, blk: np.ndarray, sex: int) -> GeneCall:
    """Call one pattern: checks that may stop it, ploidy, then the gene's matching mode."""
    w = _start(ctx, h1, h2, blk, sex)
    steps: tuple[_Step, ...] = (_check_present, _check_undocumented, _check_required, _resolve_ploidy)
    for step in steps:
        stopped = step(ctx, w)
        if stopped is not None:
            return stopped
    w.variants = _variants(ctx, w.h1, w.hb, w.present)
    if w.missing_labels:
        w.warnings.append(f"{len(w.missing_labels)} of {len(ctx.table.positions)} {ctx.table.gene} positions "
                          "missing: alleles defined there could not be assessed")
    if ctx.table.matching == "lowest_function" and w.hb is not None and not _effectively_phased(w):
        return _finish_lowest(ctx, w)
    return _match_diplotypes(ctx, w)


def _start(ctx: _GeneContext, h1: np.ndarray, h2: np.ndarray, blk: np.ndarray, sex: int) -> _Work:
    """Missing positions (named as ``chr:pos`` of the run's build) and the run-wide notes."""
    haploid_pos = h2 == HAPLOID_CODE
    missing = (h1 == MISSING_CODE) | ((h2 == MISSING_CODE) & ~haploid_pos)
    # positions with no coordinate in the run's build are not "chr:pos" of that build: they
    # are named in a warning, never in missing_positions (the contract's chr:pos list)
    unmapped = set(ctx.unmapped)
    labels = tuple(ctx.labels[j] for j in np.flatnonzero(missing) if ctx.labels[j] not in unmapped)
    w = _Work(h1.copy(), h2.copy(), blk, sex, haploid_pos, ~missing, labels)
    gene = ctx.table.gene
    if ctx.assumed_reference:
        w.warnings.append(f"{len(ctx.assumed_reference)} {gene} position(s) absent from the VCF were assumed "
                          "to be reference (missing_positions_as_reference)")
    return w


def _check_present(ctx: _GeneContext, w: _Work) -> GeneCall | None:
    if not w.present.any():
        return w.stop(ctx.table.gene, f"no genotype at any {ctx.table.gene} position")
    return None


def _check_undocumented(ctx: _GeneContext, w: _Work) -> GeneCall | None:
    """Alleles the definitions do not know: no call, or reference where PharmCAT does so."""
    t = ctx.table
    undoc = w.present & ((w.h1 == UNDOCUMENTED) | (w.h2 == UNDOCUMENTED))
    if not undoc.any():
        return None
    where = ", ".join(ctx.labels[j] for j in np.flatnonzero(undoc))
    if not t.undocumented_as_reference:
        return w.stop(t.gene, f"allele not in the {t.gene} definitions at {where}; the gene cannot be called")
    w.h1[undoc & (w.h1 == UNDOCUMENTED)] = 0
    w.h2[undoc & (w.h2 == UNDOCUMENTED)] = 0
    w.warnings.append(f"allele not in the definitions at {where} treated as reference (as PharmCAT does for {t.gene})")
    return None


def _check_required(ctx: _GeneContext, w: _Work) -> GeneCall | None:
    t = ctx.table
    req_missing = [ctx.labels[j] for j in np.flatnonzero(~w.present) if t.positions[j].pos in t.required_positions]
    if req_missing:
        return w.stop(t.gene, f"required {t.gene} position(s) missing: {', '.join(req_missing)}")
    return None


def _resolve_ploidy(ctx: _GeneContext, w: _Work) -> GeneCall | None:
    """Haploid or diploid, from the genotypes and the gene's ploidy (sex for X-linked genes)."""
    hp = w.haploid_pos[w.present]
    haploid = bool(hp.all())
    if hp.any() and not haploid:
        dip = w.present & ~w.haploid_pos
        if not (w.h1[dip] == w.h2[dip]).all():
            return w.stop(ctx.table.gene, f"mixed haploid and diploid genotypes across {ctx.table.gene} positions")
        haploid = True  # e.g. positions assumed reference around haploid calls
        w.h2 = np.where(dip, HAPLOID_CODE, w.h2)
    return _PLOIDY[ctx.table.ploidy](ctx, w, haploid)


def _diploid(ctx: _GeneContext, w: _Work, haploid: bool) -> GeneCall | None:
    if haploid:
        # an autosomal gene has two copies: a haploid GT there is a caller artefact (or a
        # deletion of the other copy, which a VCF genotype cannot show); never guess a diplotype
        return w.stop(ctx.table.gene, f"haploid genotype(s) at autosomal {ctx.table.gene} positions: a diplotype "
                      "needs two allele calls; check the variant caller's ploidy settings")
    return None


def _x_linked(ctx: _GeneContext, w: _Work, haploid: bool) -> GeneCall | None:
    """Hemizygous in males (a homozygous male call is one allele); two copies otherwise."""
    if not haploid:
        hom = bool((w.h1[w.present] == w.h2[w.present]).all())
        if w.sex == 2 and hom:
            haploid = True
        elif w.sex == 2:
            w.warnings.append("heterozygous chrX genotype in a male sample; called as two X copies")
        elif w.sex == 0:
            w.warnings.append(f"sex unknown: {ctx.table.gene} called as two X copies; for a male the phenotype "
                              "follows one allele")
    w.haploid = haploid
    return None


def _mitochondrial(ctx: _GeneContext, w: _Work, haploid: bool) -> GeneCall | None:
    """One copy; a heterozygous call is heteroplasmy and reports the variant allele."""
    if not haploid:
        het = w.present & (w.h1 != w.h2)
        if het.any():
            w.warnings.append("heteroplasmy (heterozygous call) at " + ", ".join(ctx.labels[j] for j in np.flatnonzero(het))
                              + "; the variant allele is reported")
            w.h1 = np.where(het, np.maximum(w.h1, w.h2), w.h1)
    w.haploid = True
    return None


_PLOIDY: dict[str, Callable[[_GeneContext, _Work, bool], GeneCall | None]] = {
    "diploid": _diploid, "x_linked": _x_linked, "mitochondrial": _mitochondrial,
}


def _effectively_phased(w: _Work) -> bool:
    """At most one heterozygous position, or every heterozygous position in one phase block."""
    if w.hb is None:
        return True
    het_pos = w.present & (w.h1 != w.hb)
    blocks_used = {int(x) for x in w.blk[het_pos]}
    return int(het_pos.sum()) <= 1 or (-1 not in blocks_used and len(blocks_used) == 1)


def _match_diplotypes(ctx: _GeneContext, w: _Work) -> GeneCall:
    """Best-scoring pairs of named alleles (PharmCAT's matcher), NAT2-style priorities applied."""
    t = ctx.table
    m = match_pattern(t, w.h1, w.hb, w.blk, w.present)
    if not m.pairs:
        if t.matching == "lowest_function" and w.hb is not None:
            return _finish_lowest(ctx, w, per_haplotype=True)
        return GeneCall(gene=t.gene, status="not_called", candidates=(), phenotype=None, activity_score=None,
                        missing_positions=w.missing_labels, source="vcf",
                        reason=f"the {t.gene} genotypes match no combination of defined alleles "
                               "(possibly a novel or combined allele)",
                        variants=w.variants, warnings=tuple(w.warnings))
    names = [tuple(t.allele_names[i] for i in p) for p in m.pairs]
    if t.unphased_priorities and not _effectively_phased(w) and len(m.all_pairs) > 1:
        names = _unphased_priority(t, names, m.all_pairs, w)
    cands = sorted({describe(t.gene, n) for n in names}, key=lambda d: [t.order.get(a, 0) for a in d.alleles])
    w.extra["match_score"] = m.score
    if t.matching == "lowest_function":
        _note_partial(ctx, w, [a for d in cands for a in d.alleles])
    return _finish(t.gene, tuple(cands), w)


def _unphased_priority(t: GeneTable, names: list[tuple[str, ...]], all_pairs: tuple[tuple[int, ...], ...],
                       w: _Work) -> list[tuple[str, ...]]:
    """PharmCAT's unphased priorities (NAT2) choose among all diplotypes that fit."""
    every = [tuple(t.allele_names[i] for i in p) for p in all_pairs]
    dnames = {"/".join(sort_alleles(t, n)): n for n in every}
    for options, pick in t.unphased_priorities:
        if set(dnames) == options and pick in dnames:
            w.warnings.append(f"unphased {t.gene} tie {' or '.join(sorted(options))} resolved to {pick} "
                              "(PharmCAT unphased priority)")
            return [dnames[pick]]
    return names


def _finish_lowest(ctx: _GeneContext, w: _Work, *, per_haplotype: bool = False) -> GeneCall:
    """DPYD/RYR1: the phenotype follows the lowest-function alleles (see :mod:`pgxannot.pgx.lowest`)."""
    cands, extra, notes = lowest_function_call(ctx.table, ctx.labels, w.h1, w.h2, w.present,
                                               per_haplotype=per_haplotype)
    w.extra.update(extra)
    w.warnings.extend(notes)
    return _finish(ctx.table.gene, cands, w)


def _note_partial(ctx: _GeneContext, w: _Work, alleles: list[str]) -> None:
    """Name the alleles called on part of their positions (the rest missing) and the ones not assessed."""
    extra, notes = partial_alleles(ctx.table, ctx.labels, w.present, alleles)
    w.extra.update(extra)
    w.warnings.extend(notes)


def _finish(gene: str, cands: tuple[Diplotype, ...], w: _Work) -> GeneCall:
    phenos = {d.phenotype for d in cands}
    scores = {d.activity_score for d in cands}
    status: CallStatus = "called" if len(cands) == 1 else "ambiguous"
    reason = None
    if status == "ambiguous":
        reason = (f"{len(cands)} {gene} diplotypes fit the genotypes equally well"
                  + (" (positions missing)" if w.missing_labels else " (unphased data)"))
    return GeneCall(gene=gene, status=status, candidates=cands,
                    phenotype=phenos.pop() if len(phenos) == 1 else None,
                    activity_score=scores.pop() if len(scores) == 1 else None,
                    missing_positions=w.missing_labels, source="vcf", reason=reason, variants=w.variants,
                    warnings=tuple(w.warnings), extra=w.extra)
