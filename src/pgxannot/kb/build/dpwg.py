"""Build the bundled DPWG guidance tables from PharmGKB's DPWG guideline annotations.

Run ``python -m pgxannot.kb.build.dpwg [--source DIR] [--out DIR] [--with-text]``.
By default it reads ``../shared/data/dpwg`` and writes ``resources/dpwg``.

Two source layouts are understood (``source_dir``):

- the 2022 snapshot as shipped in PAnno 0.3.1: ``dpwg_guidelines_pharmgkb.tsv`` (one row
  per DPWG key: phenotype, activity score, genotype at one position, diplotype list,
  HLA carrier status; PharmGKB's avoid/alternate/dosing flags and texts);
- PharmGKB API answers (``*.json`` holding ``{"data": [guideline annotation, ...]}``,
  each with ``recommendations[]`` carrying ``lookupKey``, ``text`` and flags), as
  ``pgxannot kb update dpwg`` downloads them.

What is stored are facts and our own wording: per DPWG row the drug, gene(s), the key
in pgxannot's terms (with DPWG's own label), the structured recommendation (action,
which dose and how much, alternatives, the condition it is written for; DPWG gives no
strength), one line per *branch* (indication, population, co-medication), a sentence
generated from that structure, the PharmGKB guideline id and a citation. DPWG's text
is stored only with ``include_text=True`` (a downloaded knowledge base, shown verbatim
with attribution), never in the bundled resources.

Every source row is either derived or named in a build warning (``version.json``):
rows whose structure was not curated fall back to keyword rules (warned), rows whose key
pgxannot cannot evaluate are kept but marked ``unmatchable`` (warned), rows replaced by
a newer version of the same recommendation are marked ``superseded`` (warned).
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pgxannot.errors import KnowledgeBaseError
from pgxannot.kb.build.cli import builder_main
from pgxannot.kb.build.dpwg_curation import ENTRIES, Branch, Dose, Entry
from pgxannot.kb.pgx import gene_table
from pgxannot.vocabulary import CONDITIONS, ROW_ACTIONS, STRUCTURE_COLUMNS, DoseStep, Recommendation

TABLE_FORMAT = 1
RECOMMENDATIONS = "recommendations.tsv"
GUIDELINES = "guidelines.tsv"
VERSION = "version.json"
SNAPSHOT_FILE = "dpwg_guidelines_pharmgkb.tsv"

SNAPSHOT_VERSION = "pharmgkb-2022 (PAnno 0.3.1)"
SNAPSHOT_DATE = "about 2022"
LICENCE = ("CC BY-SA 4.0 (PharmGKB data; these derived tables are shared under the same licence): "
           "cite PharmGKB and the DPWG guideline")
CITATION = ("Dutch Pharmacogenetics Working Group (DPWG) guideline, as annotated by PharmGKB "
            "(https://www.pharmgkb.org/guidelineAnnotation/{id}); PharmGKB data CC BY-SA 4.0")

ACTIVITY_SCORE_GENES = frozenset({"CYP2C9", "CYP2D6", "DPYD"})

# How a sentence opens for each condition DPWG writes advice for (our wording); the codes,
# plain words and kinds are pgxannot.vocabulary.CONDITIONS ("indication": the patient must
# be known to have it, else the advice is conditional and never red; "context": shown
# beside the other populations).
LEADS: dict[str, str] = {
    "pci_stroke_tia": "For PCI, a stroke or a TIA",
    "other_indications": "For other indications",
    "h_pylori": "For Helicobacter pylori eradication",
    "ocd_anxiety": "For obsessive-compulsive disorder or an anxiety disorder",
    "depression": "For depression",
    "pain": "For pain",
    "cough": "For cough",
    "brugada_test": "For a flecainide provocation test for Brugada syndrome",
    "liver_transplant": "After liver transplantation",
    "other_transplant": "After transplantation of another organ",
    "immunosuppression": "For immunosuppression",
    "leukaemia": "For leukaemia",
    "thrombosis_history": "With a family history of many thromboses, or after an earlier thrombosis",
    "myopathy_risk": "With other important risk factors for statin myopathy",
    "no_myopathy_risk": "Without other important risk factors for statin myopathy",
    "codeine_high_dose": ("At doses above 20 mg every 6 hours (adults) or 10 mg every 6 hours (children from 12 "
                          "years), or with extra risk factors such as CYP3A4 inhibitors or reduced kidney function"),
    "codeine_low_dose": ("At doses up to 20 mg every 6 hours (adults) or 10 mg every 6 hours (children from 12 "
                         "years) without extra risk factors"),
    "heart_rate_control": "When a gradual lowering of the heart rate is wanted, or with symptomatic bradycardia",
    "cutaneous": "For fluorouracil applied to the skin",
    "interacting_comedication": "With co-medication that inhibits CYP2D6 or CYP3A, or strongly induces CYP3A",
    "efv_mono_bmi_le25": "For efavirenz alone in adults and children from 40 kg with a body mass index of 25 or less",
    "efv_mono_bmi_gt25": "For efavirenz alone in adults and children from 40 kg with a body mass index over 25",
    "efv_children_under_40kg": "For efavirenz alone in children under 40 kg",
    "efv_combination": "For efavirenz in a combination product",
}
assert set(LEADS) <= set(CONDITIONS), sorted(set(LEADS) - set(CONDITIONS))

# DPWG's CYP3A5 expresser labels in pgxannot's (CPIC) phenotype terms.
CYP3A5_EXPRESSERS = {"heterozygote": "Intermediate Metabolizer", "homozygous": "Normal Metabolizer"}

# Duplicate keys with different texts where one version replaces the other: (drug, fingerprint)
# of the replaced version -> why. The tacrolimus version kept matches the CYP3A5 text PharmCAT
# 3.1 (DPWG data 2025-11) shows for a homozygous expresser.
SUPERSEDED: dict[tuple[str, str], str] = {
    ("tacrolimus", "22c351c5fb"): "an older version of the heterozygous-expresser advice (1.75 times); "
                                  "the 1.5-times version is kept",
    ("tacrolimus", "5e50fc732d"): "an older version of the homozygous-expresser advice; the version "
                                  "PharmCAT 3.1 shows is kept",
}

_CURATED: dict[tuple[str, str], Entry] = {(e.drug, e.fingerprint): e for e in ENTRIES}
_NO_ACTION = re.compile(r"^\s*no action is (required|needed)\b", re.I)


# ---------------------------------------------------------------- source rows
@dataclass(frozen=True)
class Key:
    """One gene's part of a DPWG lookup key, in pgxannot's terms."""

    gene: str
    type: str  # phenotype | activity_score | diplotype | allele_status | genotype
    value: str  # "Poor Metabolizer", "1.5", "*1/*3;*2/*3", "*57:01 positive", "1" (alt-allele count)
    label: str  # DPWG's own words for the key
    variant: str | None = None  # genotype keys: rsID
    position: str | None = None  # genotype keys: GRCh38 "chr12:21178615"
    ref: str | None = None
    alt: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("gene", self.gene), ("type", self.type), ("value", self.value),
                                  ("label", self.label), ("variant", self.variant),
                                  ("position", self.position), ("ref", self.ref), ("alt", self.alt))
                if v is not None}


@dataclass(frozen=True)
class SourceRow:
    row_id: str
    guideline_id: str
    drug: str
    genes: tuple[str, ...]
    keys: tuple[Key, ...]
    flags: tuple[bool, bool, bool]  # avoid, alternate, dosing (PharmGKB)
    text: str
    summary: str = ""
    guideline_name: str | None = None
    url: str | None = None
    pmids: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # why the key cannot be evaluated


def fingerprint(text: str) -> str:
    """sha256 (10 hex) of a recommendation text, case and whitespace normalized."""
    return hashlib.sha256(_norm_text(text).lower().encode("utf-8")).hexdigest()[:10]


def _norm_text(text: str) -> str:
    t = (text or "").replace("\\n", "\n").strip()
    if len(t) >= 2 and t[0] == t[-1] == '"':
        t = t[1:-1]
    t = t.replace('""', '"')
    return " ".join(t.split())


def _plain(value: Any) -> str:
    """Text of a PharmGKB markdown/html field ({"html": ...} or a string), tags removed."""
    if isinstance(value, Mapping):
        value = value.get("html") or value.get("markdown") or ""
    text = re.sub(r"<br\s*/?>|</p>|</li>", "\n", str(value or ""))
    return html.unescape(re.sub(r"<[^>]+>", " ", text)).strip()


def format_score(value: str) -> str | None:
    """``"1"`` -> ``"1.0"``; None when not a number."""
    try:
        x = float(value.strip())
    except ValueError:
        return None
    text = f"{x:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


_SCORE = re.compile(r"^(?:activity score|dpd as|as)\s*([\d.]+)$", re.I)
_HLA = re.compile(r"^HLA-[AB]\*?(\d{2}:\d{2})\s+(positive|negative)$", re.I)
_DIPLOTYPE = re.compile(r"^\*\w+/\*\w+(\s+or\s+\*\w+/\*\w+)*$")
_GENOTYPE = re.compile(r"^(rs\d+)\s+([ACGT])([ACGT])$")


def _snapshot_key(gene: str, label: str, genotype: str) -> tuple[Key | None, str | None]:
    """The key of one snapshot row (or why it has none)."""
    lab = " ".join(label.split())
    low = lab.lower()
    if low.endswith("metabolizer") and not low.startswith(("activity", "dpd")):
        return Key(gene, "phenotype", lab.title(), lab), None
    m = _SCORE.match(lab)
    if m and gene in ACTIVITY_SCORE_GENES:
        return Key(gene, "activity_score", format_score(m.group(1)) or m.group(1), lab), None
    if gene == "CYP3A5" and low in CYP3A5_EXPRESSERS:
        kind = "heterozygous" if low == "heterozygote" else "homozygous"
        return Key(gene, "phenotype", CYP3A5_EXPRESSERS[low], f"CYP3A5 {kind} expresser"), None
    m = _HLA.match(lab)
    if m:
        return Key(gene, "allele_status", f"*{m.group(1)} {m.group(2).lower()}", lab), None
    if _DIPLOTYPE.match(lab):
        return Key(gene, "diplotype", ";".join(d.strip() for d in lab.split(" or ")), lab), None
    if genotype.strip() or gene == "F5":
        return _genotype_key(gene, lab, genotype.strip())
    return None, f"key {lab!r} is not a phenotype, activity score, genotype, diplotype or HLA status"


def _genotype_key(gene: str, label: str, genotype: str) -> tuple[Key | None, str | None]:
    """A genotype at one position: the alternate-allele count, located in pgxannot's positions."""
    m = _GENOTYPE.match(genotype)
    if gene == "F5":
        # rs6025 (Factor V Leiden) is not among pgxannot's PGx positions; the snapshot's genotype
        # column contradicts its labels (heterozygous = "TT"), so the label decides the count.
        count = "1" if "heterozygous" in label.lower() else "2" if "homozygous" in label.lower() else "?"
        return (Key(gene, "genotype", count, label, variant=m.group(1) if m else "rs6025"),
                "F5 is not genotyped by pgxannot (rs6025, Factor V Leiden, is not among its positions); "
                f"the snapshot's genotype column ({genotype or 'empty'}) contradicts the label {label!r}: "
                "the label is used")
    if not m:
        return None, f"genotype {genotype!r} of key {label!r} is not 'rsID XY'"
    rsid, a1, a2 = m.groups()
    try:
        table = gene_table(gene)
    except KnowledgeBaseError:
        return None, f"{gene} is not a gene pgxannot genotypes"
    pos = next((p for p in table.positions if p.rsid == rsid), None)
    if pos is None or len(pos.ref) != 1 or len(pos.alts) != 1:
        return None, f"{rsid} is not a single-base position of pgxannot's {gene} table"
    alt = pos.alts[0]
    if {a1, a2} - {pos.ref, alt}:
        return None, f"genotype {genotype} does not fit {rsid} {pos.ref}>{alt}"
    count = str((a1 == alt) + (a2 == alt))
    return Key(gene, "genotype", count, label, variant=rsid, position=f"{pos.chrom}:{pos.pos}",
               ref=pos.ref, alt=alt), None


def read_snapshot(path: Path) -> list[SourceRow]:
    """Rows of the PAnno/PharmGKB snapshot TSV."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            raw = list(csv.DictReader(fh, delimiter="\t"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise KnowledgeBaseError(f"DPWG snapshot unreadable ({exc})", path=path) from None
    rows = []
    for r in raw:
        try:
            if r.get("source", "DPWG") != "DPWG":
                continue
            key, problem = _snapshot_key(r["gene"], r["phenotype"], r.get("genotype") or "")
            rows.append(SourceRow(
                row_id=r["guideline_row_id"], guideline_id=r["pharmgkb_guideline_id"], drug=r["drug"].strip(),
                genes=(r["gene"],), keys=(key,) if key else (),
                flags=(r["avoid"] == "1", r["alternate"] == "1", r["dosing"] == "1"),
                text=_norm_text(r["recommendation"]), summary=_norm_text(r.get("summary") or ""),
                problems=(problem,) if problem else ()))
        except KeyError as exc:
            raise KnowledgeBaseError(f"DPWG snapshot lacks the column {exc}", path=path,
                                     where=f"row {r.get('guideline_row_id', '?')}") from None
    return rows


# ---------------------------------------------------------------- PharmGKB API JSON
def _api_key(gene: str, value: str) -> tuple[Key | None, str | None]:
    v = " ".join(str(value).split())
    if gene.startswith("HLA-"):
        m = re.match(r"^\*?(\d{2}:\d{2})\s+(positive|negative)$", v, re.I)
        if m:
            return Key(gene, "allele_status", f"*{m.group(1)} {m.group(2).lower()}", v), None
        return None, f"HLA key {v!r} is not '*NN:NN positive|negative'"
    if gene in ACTIVITY_SCORE_GENES and format_score(v.lstrip("≥")) is not None:
        return Key(gene, "activity_score", ("≥" if v.startswith("≥") else "") + str(format_score(v.lstrip("≥"))),
                   f"activity score {v}"), None
    if _DIPLOTYPE.match(v):
        return Key(gene, "diplotype", v, v), None
    return Key(gene, "phenotype", v, v), None


def _lookup_maps(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, Mapping):
        return [dict(value)]
    if isinstance(value, list):
        return [dict(v) for v in value if isinstance(v, Mapping)]
    return []


def _api_rows_of(g: Mapping[str, Any], n: int) -> list[SourceRow]:
    gid = str(g.get("id") or "")
    gdrugs = [str(c.get("name")) for c in g.get("relatedChemicals") or [] if isinstance(c, Mapping) and c.get("name")]
    pmids = tuple(str(x.get("pmid") or x.get("id")) for x in g.get("literature") or []
                  if isinstance(x, Mapping) and (x.get("pmid") or x.get("id")))
    out = []
    for i, rec in enumerate(g.get("recommendations") or []):
        if not isinstance(rec, Mapping):
            continue
        text = _norm_text(_plain(rec.get("text")))
        drugs = [str(c.get("name")) for c in rec.get("relatedChemicals") or []
                 if isinstance(c, Mapping) and c.get("name")] or gdrugs
        avoid = bool(re.search(r"\bavoid\b|contra-?indicated", text, re.I))
        flags = (avoid, bool(rec.get("alternateDrugAvailable")), bool(rec.get("dosingInformation")))
        for lk_i, lk in enumerate(_lookup_maps(rec.get("lookupKey"))):
            keys, problems = [], []
            for gene, value in sorted(lk.items()):
                key, problem = _api_key(str(gene), str(value))
                if key:
                    keys.append(key)
                if problem:
                    problems.append(problem)
            for drug in drugs:
                out.append(SourceRow(
                    row_id=f"{rec.get('id') or f'{n}.{i}'}" + (f".{lk_i}" if lk_i else ""), guideline_id=gid,
                    drug=drug.strip().lower(), genes=tuple(k.gene for k in keys), keys=tuple(keys), flags=flags,
                    text=text, summary=_norm_text(_plain(g.get("summaryMarkdown"))),
                    guideline_name=str(g.get("name") or "") or None, url=g.get("url"), pmids=pmids,
                    problems=tuple(problems)))
    return out


def read_api(paths: Iterable[Path]) -> list[SourceRow]:
    """Rows of PharmGKB guideline-annotation API answers (``{"data": [...]}``)."""
    rows: list[SourceRow] = []
    n = 0
    for path in sorted(paths):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KnowledgeBaseError(f"PharmGKB answer is not JSON ({exc})", path=path) from None
        data = doc.get("data") if isinstance(doc, Mapping) else doc
        if isinstance(data, Mapping):
            data = [data]
        if not isinstance(data, list):
            raise KnowledgeBaseError("PharmGKB answer holds no 'data' list of guideline annotations", path=path)
        for g in data:
            if isinstance(g, Mapping) and str(g.get("source", "DPWG")).upper() == "DPWG":
                n += 1
                rows.extend(_api_rows_of(g, n))
    return rows


# ---------------------------------------------------------------- structure and wording
_KIND_WORDS = {"starting": "starting dose", "starting_daily": "starting daily dose", "loading": "loading dose",
               "maintenance": "maintenance dose", "daily": "daily dose", "target": "target dose", "any": "dose"}


def _dose_text(d: Dose) -> str:
    kind = _KIND_WORDS[d.kind]
    relative = d.amount is not None and (d.amount.endswith("%") or "times" in d.amount)
    usual = f"{'of ' if d.amount and d.amount.endswith('%') else ''}the usual {kind}"
    if d.direction == "standard":
        verb, rest = "keep", f"the usual {kind}" + (f" ({d.amount})" if d.amount else "")
    elif d.relation == "at_most":
        verb, rest = "give", f"at most {d.amount}" + (f" {usual}" if relative else
                                                       "" if kind in ("dose", "daily dose") else f" as the {kind}")
    elif d.amount is None:
        verb, rest = ("lower" if d.direction == "lower" else "raise"), f"the {kind}"
    elif relative:
        verb, rest = "give", f"{d.amount} {usual}"
    elif d.amount.endswith("-fold"):
        verb, rest = "give", f"a {d.amount} higher {kind}"
    else:
        verb, rest = "give", d.amount + ("" if kind == "dose" else f" as the {kind}")
    if d.hedged:
        verb = "consider " + {"give": "giving", "keep": "keeping", "lower": "lowering", "raise": "raising"}[verb]
    text = f"{verb} {rest}"
    return f"{d.when}: {text}" if d.when else text


def _or_list(items: Iterable[str]) -> str:
    xs = list(items)
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " or " + xs[-1]


def _core(drug: str, b: Branch) -> str:
    doses = "; ".join(_dose_text(d) for d in b.doses)
    if b.action == "avoid":
        core = f"avoid {drug}"
    elif b.action == "use_alternative":
        core = ("consider" if b.hedged else "choose") + f" an alternative to {drug}"
    elif b.action in ("reduce_dose", "increase_dose", "adjust_dose"):
        core = ("consider: " if b.hedged else "") + (doses or ("lower" if b.action == "reduce_dose" else "adjust")
                                                    + " the dose")
        doses = ""
    elif b.action == "use_with_caution":
        core = f"use {drug} with extra care"
    elif b.action == "standard_dosing":
        core = f"no change needed: use {drug} as usual"
    else:
        core = f"DPWG gives no genotype-based advice for {drug}"
    if doses:
        core += "; " + doses
    return core


def phrase(drug: str, b: Branch) -> str:
    """pgxannot's sentence for one branch, generated from its structure."""
    core = _core(drug, b)
    if b.condition:
        core = f"{LEADS[b.condition]}: {core}"
    parts = [core[0].upper() + core[1:]]
    alts = ""
    if b.alternatives:
        alts = (("Possible alternative" if b.alternatives_hedged else "Alternative")
                + ("s" if len(b.alternatives) > 1 else "") + ": " + _or_list(b.alternatives))
    if alts and not b.alternatives_hedged:
        parts.append(alts)
    parts.extend(b.notes)
    if alts and b.alternatives_hedged:
        parts.append(alts)
    return " ".join(p if p.endswith(".") else p + "." for p in parts)


_NUMBER = re.compile(r"(?<![\w*.])(\d+(?:\.\d+)?)(?!\w|\.\d)")


def numbers_of(text: str) -> tuple[str, ...]:
    """The bare numbers a text states, in order, once each (star alleles and CYP names excluded)."""
    t = re.sub(r"(\d)x\b", r"\1 x", re.sub(r"\*\S+", " ", text))
    return tuple(dict.fromkeys(_NUMBER.findall(t)))


def rule_branch(row: SourceRow) -> Branch:
    """Fallback structure from PharmGKB's flags and DPWG's wording (no curation for this text)."""
    t = row.text.lower()
    avoid, alternate, dosing = row.flags
    note = "Derived automatically from DPWG's flags and wording: read DPWG's text."
    if not t or t in ("n/a", "na") or "does not provide a description" in t:
        return Branch("no_recommendation")
    if _NO_ACTION.match(t):
        return Branch("standard_dosing")
    if avoid:
        return Branch("avoid", notes=(note,), hedged=True)
    if alternate:
        return Branch("use_alternative", notes=(note,), hedged=True)
    if dosing and re.search(r"reduc|lower|do not exceed|no more than|half|\d+\s*% of the (standard|normal)", t):
        return Branch("reduce_dose", notes=(note,), hedged=True)
    if dosing and re.search(r"increas|higher|times|fold", t):
        return Branch("increase_dose", notes=(note,), hedged=True)
    return Branch("use_with_caution", notes=(note,), hedged=True)


def branches_for(row: SourceRow) -> tuple[tuple[Branch, ...], str, str | None]:
    """(branches, how derived, warning) for one source row."""
    fp = fingerprint(row.text)
    entry = _CURATED.get((row.drug, fp))
    if entry is not None:
        return entry.branches, "curated", None
    if _NO_ACTION.match(row.text):  # DPWG states that no action is needed: nothing to curate
        return (Branch("standard_dosing"),), "rules", None
    b = rule_branch(row)
    return (b,), "rules", (f"row {row.row_id} ({row.drug}, {'/'.join(row.genes) or '?'} "
                           f"{'; '.join(k.label for k in row.keys)}): no curated structure for this text "
                           f"(fingerprint {fp}); action '{b.action}' derived from DPWG's flags and wording")


# ---------------------------------------------------------------- table rows
@dataclass
class _Build:
    rows: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # source row id -> status


def _key_signature(row: SourceRow) -> str:
    return json.dumps([k.to_dict() for k in row.keys], sort_keys=True)


def _statuses(rows: list[SourceRow], b: _Build) -> dict[str, str]:
    """active | duplicate:<row> | superseded | unmatchable per source row (warnings recorded)."""
    status: dict[str, str] = {}
    first: dict[tuple[str, str, str], SourceRow] = {}
    for r in rows:
        fp = fingerprint(r.text)
        why = SUPERSEDED.get((r.drug, fp))
        if r.problems or not r.keys:
            status[r.row_id] = "unmatchable"
            b.warnings.append(f"row {r.row_id} ({r.drug}, {'/'.join(r.genes) or '?'}) derived but not matched: "
                              + "; ".join(r.problems or ("no key",)))
        elif why:
            status[r.row_id] = "superseded"
            b.warnings.append(f"row {r.row_id} ({r.drug}, {'/'.join(r.genes)} "
                              f"{'; '.join(k.label for k in r.keys)}) superseded: {why}")
        else:
            sig = (r.drug, _key_signature(r), fp)
            if sig in first:
                status[r.row_id] = f"duplicate:{first[sig].row_id}"
            else:
                first[sig] = r
                status[r.row_id] = "active"
    _warn_conflicts(rows, status, b)
    return status


def _warn_conflicts(rows: list[SourceRow], status: Mapping[str, str], b: _Build) -> None:
    """Two active rows with the same drug and key but different texts: both are shown, warned."""
    seen: dict[tuple[str, str, str], SourceRow] = {}
    for r in rows:
        if status.get(r.row_id) != "active":
            continue
        sig = (r.drug, _key_signature(r), r.guideline_id)
        if sig in seen and not (_side_population(r) or _side_population(seen[sig])):
            b.warnings.append(f"rows {seen[sig].row_id} and {r.row_id} ({r.drug}) have the same key but "
                              "different recommendations: both are shown")
        seen[sig] = r


def _side_population(r: SourceRow) -> bool:
    """Whether every curated branch of the row is a side population (e.g. use on the skin)."""
    entry = _CURATED.get((r.drug, fingerprint(r.text)))
    return entry is not None and all(b.secondary for b in entry.branches)


def _table_rows(r: SourceRow, status: str, also: list[str], include_text: bool, b: _Build) -> None:
    branches, how, warning = branches_for(r)
    if warning:
        b.warnings.append(warning)
    for i, br in enumerate(branches):
        if br.condition is not None and br.condition not in LEADS:
            raise KnowledgeBaseError(f"DPWG row {r.row_id}: no wording for condition {br.condition!r}")
        sentence = phrase(r.drug, br)
        try:
            rec = structure_of(br, sentence)
        except ValueError as exc:  # an action, dose kind or condition outside the vocabulary
            raise KnowledgeBaseError(f"DPWG row {r.row_id}: {exc}") from None
        row: dict[str, object] = {
            "rec_id": f"dpwg-{r.row_id}-{i + 1}", "source_row": r.row_id, "status": status,
            "guideline_id": r.guideline_id, "also_guidelines": ";".join(also), "drug": r.drug,
            "genes": ",".join(r.genes), "lookup": json.dumps([k.to_dict() for k in r.keys], sort_keys=True,
                                                             ensure_ascii=False),
            "dpwg_key": "; ".join(k.label for k in r.keys), "branch": i + 1,
            "primary": "yes" if i == 0 and not br.secondary else "",
            **rec.to_columns(),
            "rec_group": hashlib.sha256(f"{r.drug}\t{fingerprint(r.text)}\t{i}".encode()).hexdigest()[:12],
            "derived_by": how, "pgkb_flags": ",".join(n for n, f in zip(("avoid", "alternate", "dosing"),
                                                                          r.flags, strict=True) if f),
            "recommendation": sentence,
        }
        if include_text:
            row["dpwg_text"] = r.text
        b.rows.append(row)


def structure_of(br: Branch, sentence: str) -> Recommendation:
    """The branch as the vocabulary's structured recommendation (DPWG gives no strength)."""
    return Recommendation(
        action=br.action, hedged=br.hedged,
        doses=tuple(DoseStep(d.kind, d.direction, d.amount, d.relation, d.hedged, d.when) for d in br.doses),
        alternatives=br.alternatives, alternatives_hedged=br.alternatives_hedged, notes=br.notes,
        condition=br.condition, strength=None, concern=br.concern, numbers=clinical_numbers(sentence))


_CLINICAL = re.compile(
    r"(?<![\w*./])(\d+/\d+|\d+(?:\.\d+)?(?:\s*[–-]\s*\d+(?:\.\d+)?)?)(?![\w/]|\.\d)\s*"
    r"(%|-fold|times|mg/kg per day|mg/kg|mg/day|mg/month|mg|µg|ng/mL|days?|weeks?|hours|years|kg|minutes)?")


def clinical_numbers(text: str) -> tuple[str, ...]:
    """Every number a sentence states with its unit, normalised (``"50%"``, ``"40–50%"``, ``"75 mg/day"``)."""
    t = re.sub(r"\*\S+", " ", text)
    out = []
    for m in _CLINICAL.finditer(t):
        value = re.sub(r"\s*[–-]\s*", "–", m.group(1))
        unit = m.group(2) or ""
        out.append(value + ("" if unit in ("%", "-fold", "") else " ") + unit)
    return tuple(dict.fromkeys(out))


REC_HEADER = ["rec_id", "source_row", "status", "guideline_id", "also_guidelines", "drug", "genes", "lookup",
              "dpwg_key", "branch", "primary", *STRUCTURE_COLUMNS, "rec_group", "derived_by", "pgkb_flags",
              "recommendation"]


def _write_tsv(path: Path, header: list[str], rows: Iterable[Mapping[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, delimiter="\t", lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in header})


def _guideline_rows(rows: list[SourceRow]) -> list[dict[str, object]]:
    drugs: dict[str, list[str]] = {}
    genes: dict[str, list[str]] = {}
    first: dict[str, SourceRow] = {}
    for r in rows:
        first.setdefault(r.guideline_id, r)
        for bucket, values in ((drugs, [r.drug]), (genes, list(r.genes))):
            have = bucket.setdefault(r.guideline_id, [])
            have.extend(v for v in values if v not in have)
    result: list[dict[str, object]] = []
    for gid in sorted(first):
        d, g = drugs[gid], genes[gid]
        result.append({
            "guideline_id": gid, "drugs": ";".join(d), "genes": ",".join(g),
            "name": first[gid].guideline_name or f"DPWG guideline for {' and '.join(d)} and {' and '.join(g)}",
            "url": f"https://www.pharmgkb.org/guidelineAnnotation/{gid}",
            "citation": CITATION.format(id=gid), "pmids": ";".join(first[gid].pmids),
        })
    return result


def _sources(source_dir: Path) -> tuple[list[SourceRow], list[str]]:
    snapshot = source_dir / SNAPSHOT_FILE
    if snapshot.is_file():
        return read_snapshot(snapshot), [SNAPSHOT_FILE]
    api = sorted(p for p in source_dir.glob("*.json") if p.is_file())
    if api:
        return read_api(api), [p.name for p in api]
    raise KnowledgeBaseError(f"no DPWG source in {source_dir}",
                             hint=f"expected {SNAPSHOT_FILE} or PharmGKB guideline-annotation JSON files")


def build_dpwg_tables(source_dir: Path, out_dir: Path, *, include_text: bool = False,
                      version: str | None = None, date: str | None = None) -> dict[str, object]:
    """Derive ``recommendations.tsv``, ``guidelines.tsv`` and ``version.json`` into ``out_dir``."""
    source_dir = Path(source_dir)
    rows, inputs = _sources(source_dir)
    if not rows:
        raise KnowledgeBaseError("no DPWG recommendations in the source", path=source_dir)
    rows.sort(key=lambda r: (r.drug, r.genes, _row_order(r.row_id)))
    b = _Build()
    status = _statuses(rows, b)
    also: dict[str, list[str]] = {}
    for r in rows:
        if status[r.row_id].startswith("duplicate:"):
            first = status[r.row_id].split(":", 1)[1]
            also.setdefault(first, []).append(r.guideline_id)
    for r in rows:
        extra = [g for g in dict.fromkeys(also.get(r.row_id, [])) if g != r.guideline_id]
        _table_rows(r, status[r.row_id], extra, include_text, b)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    header = REC_HEADER + (["dpwg_text"] if include_text else [])
    _write_tsv(out_dir / RECOMMENDATIONS, header, b.rows)
    _write_tsv(out_dir / GUIDELINES, ["guideline_id", "drugs", "genes", "name", "url", "citation", "pmids"],
               _guideline_rows(rows))
    info = _info(rows, status, b, inputs, include_text, version, date)
    (out_dir / VERSION).write_text(json.dumps(info, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    return info


def build(source: Path, out: Path, /, *, version: str | None = None, include_text: bool = False) -> dict[str, object]:
    """The registry's builder signature (``kb.registry.Builder``)."""
    return build_dpwg_tables(source, out, include_text=include_text, version=version)


def _row_order(row_id: str) -> tuple[int, str]:
    return (int(row_id), "") if row_id.isdigit() else (1 << 30, row_id)


def _info(rows: list[SourceRow], status: Mapping[str, str], b: _Build, inputs: list[str], include_text: bool,
          version: str | None, date: str | None) -> dict[str, object]:
    kinds = {s.split(":", 1)[0] for s in status.values()}
    counts = {k: sum(1 for s in status.values() if s.split(":", 1)[0] == k) for k in sorted(kinds)}
    curated = {r["source_row"] for r in b.rows if r["derived_by"] == "curated"}
    info: dict[str, object] = {
        "source": "DPWG (Dutch Pharmacogenetics Working Group) guidelines as annotated by PharmGKB",
        "version": version or SNAPSHOT_VERSION, "date": date or SNAPSHOT_DATE, "licence": LICENCE,
        "table_format": TABLE_FORMAT, "source_rows": len(rows), "derived_rows": len(status),
        "matchable_rows": counts.get("active", 0) + counts.get("duplicate", 0), "row_status": counts,
        "curated_rows": len(curated), "table_lines": len(b.rows),
        "drugs": len({r.drug for r in rows}), "guidelines": len({r.guideline_id for r in rows}),
        "pairs": len({(r.drug, g) for r in rows for g in r.genes}),
        "actions": {a: sum(1 for r in b.rows if r["action"] == a and r["primary"]) for a in ROW_ACTIONS},
        "warnings": b.warnings, "includes_dpwg_text": include_text, "inputs": inputs,
        "built_by": "pgxannot.kb.build.dpwg",
    }
    if include_text:
        info["built_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return info


def main(argv: list[str] | None = None) -> int:
    return builder_main("dpwg", build_dpwg_tables, argv, label="DPWG", description=(__doc__ or "").split("\n")[0])


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["LEADS", "Key", "SourceRow", "build_dpwg_tables", "fingerprint", "numbers_of", "phrase",
           "read_api", "read_snapshot"]
