"""Warfarin: CPIC (2017) gives a dosing algorithm, not lookup rows.

Facts used (CPIC warfarin guideline 2017, PMID 28198005): dose with a validated
pharmacogenetic algorithm (IWPC or Gage) that takes CYP2C9 (*2, *3) and VKORC1
c.-1639G>A; decreased-function CYP2C9 alleles and the VKORC1 -1639A allele lower
the dose requirement; CYP4F2*3 carriers may need about 5–10% more; in patients of
African ancestry CYP2C9 *5, *6, *8, *11 and rs12777823 also matter. The wording
below is ours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pgxannot.pgx.model import Diplotype, GeneCall


@dataclass(frozen=True)
class WarfarinCall:
    action: str  # reduce_dose | increase_dose | standard_dosing | not_assessable | not_available
    lookup: dict[str, str | None]
    recommendation: str
    reason: str | None
    settled_by: tuple[str, ...] = ()  # genes whose call would settle it (not_assessable)


def vkorc1_genotype(dip: Diplotype | None, phenotype: str | None) -> str | None:
    """``-1639 GG``/``GA``/``AA`` from a VKORC1 phenotype or rs9923231 diplotype."""
    for text in (dip.phenotype if dip else None, phenotype, dip.name if dip else None):
        if text:
            m = re.search(r"-1639\s*([GA])\s*/?\s*([GA])", text)
            if m:
                return "-1639 " + "".join(sorted(m.group(1) + m.group(2), reverse=True))
    if dip is None:
        return None
    counts = [("variant" in a.lower() or a.strip().upper().endswith("(T)") or "-1639A" in a.upper())
              for a in dip.alleles]
    ref = [("reference" in a.lower() or a.strip().upper().endswith("(C)")) for a in dip.alleles]
    if len(dip.alleles) != 2 or not all(c or r for c, r in zip(counts, ref, strict=True)):
        return None
    return "-1639 " + {0: "GG", 1: "GA", 2: "AA"}[sum(counts)]


def _cyp2c9_score(dip: Diplotype | None, call: GeneCall) -> str | None:
    score = (dip.activity_score if dip else None) or call.activity_score
    return score


def _one(cyp2c9: tuple[str | None, str], vkorc1: str, cyp4f2: bool | None) -> tuple[str, str]:
    score, label = cyp2c9
    lower = []
    if score is not None and float(score) < 2:
        lower.append(f"CYP2C9 {label}")
    if vkorc1 != "-1639 GG":
        lower.append(f"VKORC1 {vkorc1}")
    if lower:
        action = "reduce_dose"
        text = (f"Use a lower warfarin dose ({'; '.join(lower)}: reduced dose requirement). "
                "Calculate it with a validated pharmacogenetic algorithm (IWPC or Gage).")
    elif cyp4f2:
        action = "increase_dose"
        text = ("Warfarin dose may need to be about 5–10% higher (CYP4F2*3 carrier; CYP2C9 and VKORC1 "
                "normal). Calculate it with a validated pharmacogenetic algorithm.")
    else:
        action = "standard_dosing"
        text = (f"No lower warfarin dose expected from genotype (CYP2C9 {label}; VKORC1 {vkorc1}). "
                "Calculate it with a validated pharmacogenetic algorithm (IWPC or Gage).")
    text += (" In patients of African ancestry, CYP2C9 *5/*6/*8/*11 and rs12777823 also lower the dose. "
             "CPIC warfarin guideline (2017).")
    return action, text


def warfarin_guidance(calls: Mapping[str, GeneCall]) -> WarfarinCall:
    """Warfarin guidance from CYP2C9, VKORC1 and (optional) CYP4F2 calls."""
    c9, vk, f2 = calls.get("CYP2C9"), calls.get("VKORC1"), calls.get("CYP4F2")
    missing = [g for g, c in (("CYP2C9", c9), ("VKORC1", vk))
               if c is None or c.status == "not_called" or (not c.candidates and not c.phenotype
                                                            and not c.activity_score)]
    if missing:
        return WarfarinCall("not_assessable", {"CYP2C9": None, "VKORC1": None, "CYP4F2": None},
                            "Not assessable: " + " and ".join(missing) + " not called; calling "
                            + " and ".join(missing) + " would settle warfarin genotype dosing.",
                            " and ".join(missing) + " not called; both are needed for warfarin dosing",
                            tuple(missing))
    assert c9 is not None and vk is not None
    c9_opts: set[tuple[str | None, str]] = set()
    for d in c9.candidates or (None,):
        s = _cyp2c9_score(d, c9)
        if s is None or s in ("n/a", "Indeterminate"):
            return WarfarinCall("not_available", {"CYP2C9": "n/a", "VKORC1": None, "CYP4F2": None},
                                "No warfarin genotype guidance: CYP2C9 activity score unknown.",
                                f"CYP2C9 {d.name if d else 'call'} has no activity score")
        c9_opts.add((s, f"activity score {s}" + (f" ({d.name})" if d else "")))
    vk_opts = set()
    for d in vk.candidates or (None,):
        g = vkorc1_genotype(d, vk.phenotype)
        if g is None:
            return WarfarinCall("not_available", {"CYP2C9": None, "VKORC1": None, "CYP4F2": None},
                                "No warfarin genotype guidance: VKORC1 -1639 genotype unknown.",
                                f"VKORC1 {d.name if d else 'call'} does not give the -1639 genotype")
        vk_opts.add(g)
    f2_opts: set[bool | None] = {None}
    if f2 is not None and f2.status != "not_called" and f2.candidates:
        f2_opts = {any(a == "*3" or a.endswith("*3") for a in d.alleles) for d in f2.candidates}
    results = {_one(c, v, f) for c in c9_opts for v in vk_opts for f in f2_opts}
    lookup = {"CYP2C9": " or ".join(sorted(s for s, _ in c9_opts if s)),
              "VKORC1": " or ".join(sorted(vk_opts)),
              "CYP4F2": None if f2_opts == {None} else " or ".join(
                  sorted({"*3 carrier" if f else "no *3" for f in f2_opts if f is not None}))}
    actions = {a for a, _ in results}
    if len(actions) > 1:
        return WarfarinCall("not_available", lookup,
                            "No warfarin genotype guidance: the candidate calls point to different doses.",
                            "ambiguous CYP2C9/VKORC1/CYP4F2 calls lead to different warfarin dose directions")
    action, text = sorted(results)[0]
    notes = []
    if len(results) > 1 or any(c.status == "ambiguous" for c in (c9, vk)):
        notes.append("ambiguous calls; every candidate gives the same dose direction")
    if f2_opts == {None}:
        notes.append("CYP4F2 not assessed")
    return WarfarinCall(action, lookup, text, "; ".join(notes) or None)
