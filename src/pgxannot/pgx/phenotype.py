"""Diplotype -> allele functions, phenotype, activity score and CPIC lookup key."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pgxannot.kb.pgx import GeneTable, gene_table
from pgxannot.pgx.model import Diplotype

INDETERMINATE = "Indeterminate"
_XN = re.compile(r"^(\*[0-9A-Za-z.]+)x(\d+|≥\d+|N)$")


_STAR = re.compile(r"^\*(\d+)(.*)$")


def sort_alleles(table: GeneTable, alleles: Sequence[str]) -> tuple[str, ...]:
    """Alleles in the definitions' order; star alleles by number (``*1/*38``, as PharmCAT prints)."""
    order = table.order
    if all(_STAR.match(a) for a in alleles):
        def star_key(a: str) -> tuple[int, str]:
            m = _STAR.match(a)
            return int(m.group(1)), m.group(2)  # type: ignore[union-attr]
        return tuple(sorted(alleles, key=star_key))
    return tuple(sorted(alleles, key=lambda a: (order.get(_base(a), len(order)), order.get(a, 0), a)))


def _base(name: str) -> str:
    m = _XN.match(name)
    return m.group(1) if m else name


def _activity(table: GeneTable, name: str) -> tuple[str | None, str | None]:
    """(function, activity value) of one allele, with CYP2D6-style ``*2x2`` copies."""
    info = table.phenotype_alleles.get(name)
    if info is not None:
        return info.function, info.activity
    m = _XN.match(name)
    if m:
        base = table.phenotype_alleles.get(m.group(1))
        if base is not None and base.activity not in (None, "n/a"):
            copies = m.group(2)
            value = float(base.activity)
            if copies.isdigit():
                return _dup_function(base.function, value * int(copies)), _fmt(value * int(copies))
            if copies.startswith("≥"):
                return _dup_function(base.function, value * int(copies[1:])), "≥" + _fmt(value * int(copies[1:]))
        return None, "n/a"
    return None, None


def _dup_function(func: str | None, value: float) -> str | None:
    if func is None:
        return None
    if value > 1.0:
        return "Increased function"
    return func


def _fmt(x: float) -> str:
    s = f"{x:.2f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


def _score_value(s: str | None) -> tuple[float, bool] | None:
    if s is None or s == "n/a":
        return None
    ge = s.startswith("≥")
    try:
        return float(s.lstrip("≥")), ge
    except ValueError:
        return None


def describe(gene: str, alleles: Sequence[str]) -> Diplotype:
    """Build the :class:`Diplotype` for ``alleles`` (one element: hemizygous/haploid)."""
    table = gene_table(gene)
    alleles = sort_alleles(table, [table.display_name(a) for a in alleles])
    name = "/".join(alleles)
    funcs = tuple(_activity(table, a)[0] for a in alleles)
    if table.lookup == "allele_status":
        present = set(alleles)
        status = "; ".join(f"{a} {'positive' if a in present else 'negative'}" for a in table.status_alleles)
        return Diplotype(name, alleles, funcs, status, None, status)
    if table.activity_bands:  # CYP2D6: sum of activity values, banded
        return _banded(table, name, alleles, funcs)
    infos = [table.phenotype_alleles.get(a) for a in alleles]
    if not table.pairs and not table.single:  # genes without CPIC phenotypes (CYP4F2, IFNL3)
        return Diplotype(name, alleles, funcs, None, None, None)
    keys = [i.key for i in infos if i is not None and i.key is not None]
    if len(keys) != len(alleles):
        return Diplotype(name, alleles, funcs, INDETERMINATE, _na_score(table), _indet_key(table))
    pair_key = keys[0] if len(keys) == 1 else "|".join(sorted(keys))
    hit = (table.single if len(keys) == 1 else table.pairs).get(pair_key)
    if hit is None:
        return Diplotype(name, alleles, funcs, INDETERMINATE, _na_score(table), _indet_key(table))
    pheno, key, score = hit
    return Diplotype(name, alleles, funcs, pheno, score, key)


def _banded(table: GeneTable, name: str, alleles: tuple[str, ...], funcs: tuple[str | None, ...]) -> Diplotype:
    """Activity score = sum of the two activity values; phenotype from the score bands."""
    values = [v for v in (_score_value(_activity(table, a)[1]) for a in alleles) if v is not None]
    if len(values) != len(alleles) or len(alleles) != 2:
        return Diplotype(name, alleles, funcs, INDETERMINATE, "n/a", "n/a")
    total = sum(v[0] for v in values)
    score = ("≥" if any(v[1] for v in values) else "") + _fmt(total)
    pheno = INDETERMINATE
    for lo, hi, ph in table.activity_bands:
        if total >= lo and (hi is None or total <= hi):
            pheno = ph
    return Diplotype(name, alleles, funcs, pheno, score, score)


def _na_score(table: GeneTable) -> str | None:
    return "n/a" if table.lookup == "activity_score" else None


def _indet_key(table: GeneTable) -> str:
    return "n/a" if table.lookup == "activity_score" else INDETERMINATE


def allele_rank(table: GeneTable, name: str) -> float:
    """How low an allele's function is (0 = none): activity value, else the function's words."""
    info = table.phenotype_alleles.get(name)
    if info is None:
        return 1.5
    v = _score_value(info.activity)
    if v is not None:
        return v[0]
    f = (info.function or "").lower()
    if "malignant" in f or f.startswith("no function"):
        return 0.0
    if "decreased" in f:
        return 0.5
    if "uncertain" in f or "unknown" in f:
        return 0.9
    return 1.0


def lowest_two(gene: str, found: Sequence[str]) -> tuple[str, str]:
    """The two lowest-function alleles of ``found`` (reference fills up): CPIC's DPYD rule."""
    table = gene_table(gene)
    ref = table.reference_allele or ""
    ordered = sorted(found, key=lambda a: (allele_rank(table, a), table.order.get(a, 0)))
    picked = ([*ordered, ref, ref])[:2]
    return picked[0], picked[1]
