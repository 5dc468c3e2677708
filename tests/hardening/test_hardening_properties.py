"""Property-based tests of the VCF reader and the star-allele caller, and a bounded fuzz run.

Properties (random valid genotypes at the positions of a few genes, 1-4 samples):
never a crash; calls invariant under sample order, under record order of an unindexed
plain VCF, and under the phasing notation of homozygous sites (0|0 vs 0/0, 1|1 vs 1/1).

Fuzz: byte-level mutations of a valid VCF, each read in a forked child process (a
segfault in htslib/cyvcf2 cannot take pytest down); the only acceptable outcomes are
success or a PgxannotError.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hardening_helpers import FILES, Zygote
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgxannot.kb.pgx import gene_table
from pgxannot.pgx import call_samples, pgx_sites
from pgxannot.vcf.sites import read_site_genotypes

GENES = ("CYP2C19", "TPMT", "NUDT15")
STATUSES = {"called", "ambiguous", "not_called", "outside_call"}
COUNTER = {"property": 0, "fuzz": 0}


def _positions() -> list[tuple[str, int, str, tuple[str, ...]]]:
    seen: dict[tuple[str, int], tuple[str, int, str, tuple[str, ...]]] = {}
    for g in GENES:
        for p in gene_table(g).positions:
            key = (p.chrom, p.pos)
            if key not in seen and p.alts and all(set(a) <= set("ACGT") for a in (p.ref, *p.alts)):
                seen[key] = (p.chrom, p.pos, p.ref, tuple(p.alts))
    return sorted(seen.values(), key=lambda x: (x[0], x[1]))


POSITIONS = _positions()
SITES = pgx_sites("GRCh38", genes=GENES)
CONTIGS = {"chr10": 133797422, "chr6": 170805979, "chr13": 114364328}


def _gt_strategy(n_alt: int):
    allele = st.one_of(st.integers(0, n_alt), st.just(None))
    return st.tuples(allele, allele, st.booleans())  # (a, b, phased)


@st.composite
def cohorts(draw):
    """(samples, {position index: [(a, b, phased) per sample]}) with some positions absent."""
    n = draw(st.integers(1, 4))
    present = draw(st.lists(st.booleans(), min_size=len(POSITIONS), max_size=len(POSITIONS)))
    # mostly reference calls, so that defined alleles are often matched
    calls = {}
    for j, (_, _, _, alts) in enumerate(POSITIONS):
        if not present[j]:
            continue
        ref_heavy = draw(st.booleans())
        row = []
        for _ in range(n):
            if ref_heavy and draw(st.integers(0, 3)) > 0:
                row.append((0, 0, False))
            else:
                row.append(draw(_gt_strategy(len(alts))))
        calls[j] = row
    return [f"P{k}" for k in range(n)], calls


def _gt_text(a, b, phased: bool) -> str:
    fmt = lambda x: "." if x is None else str(x)  # noqa: E731
    return f"{fmt(a)}{'|' if phased else '/'}{fmt(b)}"


def _vcf_text(samples, calls, *, order=None, sample_order=None, hom_phase=None) -> str:
    sample_order = sample_order or list(range(len(samples)))
    lines = ["##fileformat=VCFv4.2", '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">']
    lines += [f"##contig=<ID={c},length={n}>" for c, n in CONTIGS.items()]
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT",
                            *[samples[k] for k in sample_order]]))
    idx = list(calls) if order is None else order
    for j in idx:
        chrom, pos, ref, alts = POSITIONS[j]
        gts = []
        for k in sample_order:
            a, b, ph = calls[j][k]
            if hom_phase is not None and a is not None and a == b:
                ph = hom_phase
            gts.append(_gt_text(a, b, ph))
        lines.append("\t".join([chrom, str(pos), ".", ref, ",".join(alts), "50", "PASS", ".", "GT", *gts]))
    return "\n".join(lines) + "\n"


def _calls(text: str, samples, tmp: Path, name: str) -> dict[str, list[dict]]:
    path = tmp / name
    path.write_text(text)
    sg = read_site_genotypes([path], SITES, samples=samples, build="GRCh38")
    assert sg.gt.shape == (len(SITES), len(samples), 2)
    calls = call_samples(sg, genes=GENES)
    COUNTER["property"] += 1
    return {s: [c.to_dict() for c in calls[s]] for s in samples}


def _check_sane(calls: dict[str, list[dict]]) -> None:
    for per_sample in calls.values():
        assert [c["gene"] for c in per_sample] == list(GENES)
        for c in per_sample:
            assert c["status"] in STATUSES
            if c["status"] in ("called", "ambiguous"):
                assert c["diplotypes"], c
            else:
                assert not c["diplotypes"] and c["reason"], c


# fixed examples under CI (reproducible failures), fresh ones on a developer's machine
PROPS = settings(max_examples=40, deadline=None, derandomize=bool(os.environ.get("CI")), database=None,
                 suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(cohorts(), st.randoms(use_true_random=False))
def test_random_genotypes_never_crash_and_order_does_not_matter(cohort, rnd) -> None:
    samples, calls = cohort
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        base = _calls(_vcf_text(samples, calls), samples, t, "base.vcf")
        _check_sane(base)
        # sample columns permuted in the file, same requested order
        perm = list(range(len(samples)))
        rnd.shuffle(perm)
        assert _calls(_vcf_text(samples, calls, sample_order=perm), samples, t, "perm.vcf") == base
        # records shuffled (plain, unindexed VCF is streamed)
        order = list(calls)
        rnd.shuffle(order)
        assert _calls(_vcf_text(samples, calls, order=order), samples, t, "shuf.vcf") == base
        # asking for the samples in another order gives each sample the same calls
        rev = list(reversed(samples))
        assert _calls(_vcf_text(samples, calls), rev, t, "rev.vcf") == base


@PROPS
@given(cohorts())
def test_homozygous_phasing_notation_does_not_matter(cohort) -> None:
    """0|0 and 0/0 (1|1 and 1/1) say the same thing: the calls must not differ."""
    samples, calls = cohort
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        unphased = _calls(_vcf_text(samples, calls, hom_phase=False), samples, t, "u.vcf")
        phased = _calls(_vcf_text(samples, calls, hom_phase=True), samples, t, "p.vcf")
        assert phased == unphased


def test_hom_phasing_regression_example(tmp_path: Path) -> None:
    """A fixed example of the property above: the *1/*2 patient with 1|1 vs 1/1 at rs3758581."""
    text = (FILES / "good.vcf").read_text()
    a = tmp_path / "a.vcf"
    b = tmp_path / "b.vcf"
    a.write_text(text)
    b.write_text(text.replace("\t1/1\n", "\t1|1\n").replace("\t0/0\n", "\t0|0\n"))
    sites = pgx_sites("GRCh38", genes=["CYP2C19"])
    calls = [call_samples(read_site_genotypes([p], sites), genes=["CYP2C19"])["S1"][0] for p in (a, b)]
    assert calls[0].to_dict() == calls[1].to_dict()
    assert calls[0].to_dict()["diplotypes"] == ["*1/*2"]


# ------------------------------------------------------------------------------ fuzz

SEED_FILES = ("good.vcf", "good_multi.vcf", "gvcf_blocks_only.vcf")
TOKENS = [b"\t", b"\n", b"\r\n", b".", b"/", b"|", b"<DEL>", b"*", b"-1", b"99999999999999999999", b"\x00",
          b"\xff\xfe", b"END=", b"GT", b",", b";", b"=", b"#", b"##INFO=<ID=END,Number=1,Type=Integer>",
          b"0/1/1", b"./.", b"1", b"N", b"<NON_REF>", b"chr10", b"10", b" ", b"\"", b"%"]


@st.composite
def mutated_vcfs(draw) -> bytes:
    data = bytearray((FILES / draw(st.sampled_from(SEED_FILES))).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["replace", "insert", "delete", "token", "dup_line", "truncate", "flip"]))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "replace":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[i:i + len(chunk)] = chunk
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 64))]
        elif op == "token":
            data[i:i] = draw(st.sampled_from(TOKENS))
        elif op == "dup_line":
            start = data.rfind(b"\n", 0, i) + 1
            end = data.find(b"\n", i)
            end = len(data) if end < 0 else end + 1
            data[start:start] = data[start:end]
        elif op == "truncate":
            del data[i:]
        elif op == "flip" and data:
            data[i] ^= 1 << draw(st.integers(0, 7))
    if draw(st.integers(0, 9)) == 0:
        return gzip.compress(bytes(data), mtime=0)
    return bytes(data)


@pytest.fixture(scope="module")
def fuzz_zygote():
    if not hasattr(os, "fork"):
        pytest.skip("the fuzz run forks one child per example (POSIX only)")
    z = Zygote()
    yield z
    z.close()


@pytest.mark.slow
def test_fuzzed_vcfs_give_a_report_or_a_pgxannot_error(fuzz_zygote, tmp_path_factory) -> None:
    work = tmp_path_factory.mktemp("fuzz")
    failures: list[str] = []

    @settings(max_examples=200, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated_vcfs())
    def one(data: bytes) -> None:
        path = work / ("case.vcf.gz" if data[:2] == b"\x1f\x8b" else "case.vcf")
        path.write_bytes(data)
        index = work / "index"
        rc, err = fuzz_zygote.call({"target": "read_vcf", "path": str(path), "work": str(index)}, io_dir=work)
        COUNTER["fuzz"] += 1
        if rc not in (0, 2):
            kind = f"signal {-rc}" if rc < 0 else "non-pgxannot exception"
            keep = work / f"failure{len(failures)}{path.suffix}"
            keep.write_bytes(data)
            failures.append(f"{kind} on {keep}:\n{err[-1500:]}")
        assert rc in (0, 2), failures[-1]
        if rc == 2:
            # the error (printed last, after htslib's own multi-line warnings) names the file
            assert path.name in err.strip().splitlines()[-1], err

    one()
    assert COUNTER["fuzz"] >= 100


def test_examples_were_executed() -> None:
    """Runs last in this file: the property tests really executed their examples."""
    assert COUNTER["property"] >= 40 * 2
    assert np.isfinite(COUNTER["property"])
