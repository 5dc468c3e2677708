"""The generated suite (benchmarks/pgx_generated.py): every allele pair, scored as PharmCAT scores.

CI runs a seeded sample of every gene (``slow``, about a minute); the exhaustive run is
``PGXANNOT_GENERATED_FULL=1 python -m pytest tests/pgx/test_pgx_generated.py`` or
``python benchmarks/pgx_generated.py`` (figures in docs/validation.md).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgxannot.kb.pgx import gene_table
from pgxannot.pgx.model import GeneCall

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "pgx_generated.py"
CI_SAMPLE = 4000  # cases per gene and kind (about 30 s of CPU)
SEED = 17


def _load():
    spec = importlib.util.spec_from_file_location("pgx_generated", _PATH)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules.setdefault("pgx_generated", mod)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


gen = _load()


def _failures(tallies):
    return {(t.gene, t.kind): t.examples.get("fail") for t in tallies if t.counts["fail"]}


@pytest.mark.parametrize(("gene", "allele"), [("G6PD", "Chatham"), ("RYR1", "c.14509C>G")])
def test_every_pair_with_an_allele_of_a_shared_coordinate(gene, allele):
    # regression (#17): both alleles had lost their only position; every pair with them failed
    t = gene_table(gene)
    exp = [gen.expansions(t, i) for i in range(len(t.allele_names))]
    a = t.allele_names.index(allele)
    cases = [s for s in gen.specs(t, exp, ["unphased"])["unphased"] if a in (s.a, s.b)]
    assert len(cases) == len(t.allele_names)
    tally = gen.Tally(gene, "unphased")
    sg = gen.genotypes(t, exp, cases)
    calls = gen.call_samples(sg, genes=[gene], sexes=dict.fromkeys(sg.samples, "female"))
    wob = gen._wobble(t)
    for k, (spec, s) in enumerate(zip(cases, sg.samples, strict=True)):
        tally.add(*gen.classify(t, wob, spec, sg.gt[:, k, 0].astype(np.int64), sg.gt[:, k, 1].astype(np.int64),
                                calls[s][0]))
    assert tally.counts["fail"] == 0, tally.examples


def test_dpyd_missing_positions_all_cases():
    # regression (#17): 162 of the 167 DPYD missing-position cases failed (HapB3 dropped)
    (tally,) = gen.run_gene("DPYD", kinds=["missing"])
    assert tally.n == 167 and tally.counts["fail"] == 0, tally.examples


def test_oracle_scores_wobble_cells_as_pharmcat():
    t = gene_table("CYP2B6")
    wob = gen._wobble(t)
    idx = {n: i for i, n in enumerate(t.allele_names)}
    pos = [p.pos for p in t.positions]
    h1 = np.zeros(len(pos), dtype=np.int64)
    h2 = h1.copy()
    h1[pos.index(41006936)] = 1  # *9 (and *6) variant on hap 1
    h2[pos.index(41009358)] = 1  # G on hap 2 (the R of *18)
    h2[pos.index(41012316)] = 1  # *18's C
    present = np.ones(len(pos), dtype=bool)
    s96 = gen.pharmcat_score(t, wob, h1, h2, present, False, idx["*9"], idx["*18"])
    s618 = gen.pharmcat_score(t, wob, h1, h2, present, False, idx["*6"], idx["*18"])
    assert s96 == s618 == 3  # *9: 1 + *18: 2 ; *6: 2 + *18's R matched by the reference A: 1
    assert gen.pharmcat_score(t, wob, h1, h2, present, True, idx["*6"], idx["*18"]) is None  # phase rules *6 out


def test_classifier_fails_a_missed_call():
    t = gene_table("CYP2C19")
    spec = gen.Spec(t.allele_names.index("*2"), 0, t.allele_names.index("*17"), 0, "unphased")
    h = np.zeros(len(t.positions), dtype=np.int64)
    not_called = GeneCall("CYP2C19", "not_called", (), None, None, (), "vcf", reason="test")
    assert gen.classify(t, gen._wobble(t), spec, h, h, not_called)[0] == "fail"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gene=st.sampled_from(gen.suite_genes()), data=st.data())
def test_any_pair_is_called_or_outscored(gene, data):
    """For every pair of alleles, phased or not: the truth is a top candidate or PharmCAT would miss it too."""
    t = gene_table(gene)
    n = len(t.allele_names)
    a, b = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
    exp = [gen.expansions(t, i) for i in (a, b)]
    ea, eb = data.draw(st.integers(0, len(exp[0]) - 1)), data.draw(st.integers(0, len(exp[1]) - 1))
    kind = data.draw(st.sampled_from(["phased", "unphased"]))
    table_exp = {a: exp[0], b: exp[1]}
    spec = gen.Spec(a, ea, b, eb, kind)
    sg = gen.genotypes(t, table_exp, [spec])
    call = gen.call_samples(sg, genes=[gene], sexes={"t0": "female"})["t0"][0]
    outcome, detail = gen.classify(t, gen._wobble(t), spec, sg.gt[:, 0, 0].astype(np.int64),
                                   sg.gt[:, 0, 1].astype(np.int64), call)
    assert outcome != "fail", detail


@pytest.mark.slow
@pytest.mark.parametrize("gene", gen.suite_genes())
def test_generated_suite_seeded_sample(gene):
    """The CI-sized run: a seeded sample of every kind of case of every gene; no failure."""
    full = os.environ.get("PGXANNOT_GENERATED_FULL") == "1"
    tallies = gen.run_gene(gene, sample=None if full else CI_SAMPLE, seed=SEED)
    assert sum(t.n for t in tallies) > 0
    assert not _failures(tallies)
