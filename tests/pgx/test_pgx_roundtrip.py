"""Round trip (small): synthetic pairs of named alleles must come back (benchmarks/pgx_roundtrip.py is the full run)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "pgx_roundtrip.py"


@pytest.fixture(scope="module")
def roundtrip():
    spec = importlib.util.spec_from_file_location("pgx_roundtrip", _PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("pgx_roundtrip", mod)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


@pytest.mark.parametrize("gene", ["CYP2C19", "CYP2C9", "DPYD", "NAT2", "SLCO1B1", "TPMT", "UGT1A1", "G6PD", "RYR1"])
def test_roundtrip_no_unexplained_misses(roundtrip, gene):
    tallies = roundtrip.run_gene(gene, max_pairs=150, seed=11)
    for t in tallies:
        assert t.unexplained == 0, (gene, t.mode, t.examples)
        assert t.exact >= 0.9 * t.n
    phased = tallies[0]
    assert phased.mode == "phased" and phased.tie == 0
