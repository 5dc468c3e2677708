"""The genome build of a VCF, decided from its records.

A header need not name its build (the 1000 Genomes GRCh37 panel has no ``##contig`` and
no ``##reference`` line), and a header can be wrong. The records cannot: the REF column
is the reference base at POS. :func:`decide_build` compares the REF observed at the
pharmacogene positions of each build (a record starting at the position) with that
build's reference allele there; the build whose positions carry matching REF alleles is
the VCF's build. At the other build's positions a VCF has few records, and their REF
matches only by chance (about one in three).

The decision is a pure function of the observations, used by ``pgxannot check``, by the
workflow before any job starts, and by every annotation job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pgxannot.vcf.genome import BUILDS

# at least this many positions with a record are needed to say anything about a build
MIN_COMPARED = 5
# a build is supported when its REF matches at least this fraction of the compared positions
MATCH_FRACTION = 0.8
# with both builds supported, one wins only with this many times the other's matches
WIN_RATIO = 2.0
# REF matching below this fraction where most records are: the VCF fits no build at all
NEITHER_FRACTION = 0.5


def ref_agrees(expected: str, observed: str) -> bool:
    """The observed REF is the expected reference allele (one may extend the other: an
    indel anchored on the same base)."""
    e, o = expected.upper(), observed.upper()
    return bool(e) and bool(o) and (e.startswith(o) or o.startswith(e))


@dataclass(frozen=True)
class RefTally:
    """REF alleles of one VCF at the PGx positions of one build."""

    build: str
    compared: int  # positions of this build where a record starts
    matching: int  # of those, REF equal to this build's reference allele

    @property
    def fraction(self) -> float:
        return self.matching / self.compared if self.compared else 0.0

    @property
    def supported(self) -> bool:
        return self.compared >= MIN_COMPARED and self.fraction >= MATCH_FRACTION

    def describe(self) -> str:
        if not self.compared:
            return f"{self.build}: no record at its positions"
        return f"{self.build}: {100 * self.fraction:.0f}% of {self.compared}"


@dataclass(frozen=True)
class BuildCall:
    """The build the records say (``None`` when they do not say) and why."""

    build: str | None
    verdict: str  # "decided" | "undecided" (too few records, or unclear) | "neither" | "both"
    tallies: tuple[RefTally, ...]

    def tally(self, build: str) -> RefTally:
        return next(t for t in self.tallies if t.build == build)

    def evidence(self) -> str:
        """``REF matches GRCh37 at 97% of 212 PGx positions (GRCh38: 31% of 45)``."""
        if self.build is None:
            best = max(self.tallies, key=lambda t: (t.compared, t.build))
            others = [t.describe() for t in self.tallies if t is not best]
            head = (f"REF matches {best.build} at {100 * best.fraction:.0f}% of {best.compared} PGx positions"
                    if best.compared else "no record starts at a PGx position of either build")
            return head + (f" ({'; '.join(others)})" if others and best.compared else "")
        won = self.tally(self.build)
        rest = "; ".join(t.describe() for t in self.tallies if t.build != self.build)
        return f"REF matches {self.build} at {100 * won.fraction:.0f}% of {won.compared} PGx positions ({rest})"


def tally(build: str, pairs: Iterable[tuple[str, str]]) -> RefTally:
    """Count (expected REF, observed REF) pairs of one build."""
    compared = matching = 0
    for expected, observed in pairs:
        compared += 1
        matching += ref_agrees(expected, observed)
    return RefTally(build, compared, matching)


def decide_build(observed: Mapping[str, Iterable[tuple[str, str]]]) -> BuildCall:
    """The build of a VCF from ``observed[build]``: (expected REF, REF in the VCF) at each of
    that build's PGx positions where a record starts (positions identical in both builds
    left out). Builds without observations count as zero compared."""
    tallies = tuple(tally(b, observed.get(b, ())) for b in BUILDS)
    supported = [t for t in tallies if t.supported]
    if len(supported) == 1:
        return BuildCall(supported[0].build, "decided", tallies)
    if len(supported) > 1:
        first, second = sorted(supported, key=lambda t: -t.matching)[:2]
        if first.matching >= WIN_RATIO * second.matching:
            return BuildCall(first.build, "decided", tallies)
        return BuildCall(None, "both", tallies)
    most = max(tallies, key=lambda t: t.compared)
    if most.compared >= MIN_COMPARED and most.fraction < NEITHER_FRACTION:
        return BuildCall(None, "neither", tallies)
    return BuildCall(None, "undecided", tallies)
