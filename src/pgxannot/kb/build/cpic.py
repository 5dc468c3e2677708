"""Build the bundled CPIC guidance tables from a CPIC release.

Run ``python -m pgxannot.kb.build.cpic [--source DIR] [--out DIR] [--with-text]``.
By default it reads ``../shared/data/cpic`` and writes ``resources/cpic``.

What is stored are *facts* and our own phrasing: per recommendation row the drug,
genes, lookup key per gene, CPIC classification, population, an action category
derived here by keyword rules over the CPIC text, a stated dose change in percent,
and a short sentence generated from those facts. CPIC sentences themselves are
only stored when ``include_text=True`` (a downloaded knowledge base, rendered as
``cpic_text``), never in the bundled resources.

Source layouts understood by :func:`build` (``source_dir``):

- ``cpic_db_*_extract/{pairs,drugs,gene_results}.csv`` (CPIC database extract);
- recommendations either as ``recommendations/cpic_recommendations_*.tsv`` (rows
  with ``lookupkey_reconstructed_json``) or as CPIC API JSON files, one per drug
  (``recommendations/cpic_api_json_*/*.json`` or ``*.json`` directly in
  ``source_dir``), each with ``recommendations[]`` carrying ``lookupkey``;
- guideline name, URL and PMIDs from the API JSON files (joined on drug id).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pgxannot.errors import KnowledgeBaseError
from pgxannot.paths import resources_dir, shared_data_dir
from pgxannot.vocabulary import ROW_ACTIONS

TABLE_FORMAT = 1
RECOMMENDATIONS = "recommendations.tsv"
PAIRS = "pairs.tsv"
DRUGS = "drugs.tsv"
GENE_RESULTS = "gene_results.tsv"
VERSION = "version.json"


# Genes whose CPIC lookup key is an activity score rather than a phenotype.
ACTIVITY_SCORE_GENES = frozenset({"CYP2C9", "CYP2D6", "DPYD"})

# Hand-curated generic-name synonyms (lower case) -> CPIC drug name. Facts, not text.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "fluorouracil": ("5-fluorouracil", "5-fu", "5fu", "5 fluorouracil"),
    "mercaptopurine": ("6-mercaptopurine", "6-mp", "6mp"),
    "thioguanine": ("6-thioguanine", "6-tg", "tioguanine"),
    "sulfamethoxazole / trimethoprim": (
        "sulfamethoxazole/trimethoprim", "sulfamethoxazole-trimethoprim",
        "trimethoprim/sulfamethoxazole", "trimethoprim-sulfamethoxazole",
        "sulfamethoxazole and trimethoprim", "co-trimoxazole", "cotrimoxazole",
        "tmp-smx", "smx-tmp", "sulfamethoxazole trimethoprim",
    ),
    "aspirin": ("acetylsalicylic acid", "asa"),
    "vitamin c": ("ascorbic acid",),
    "vitamin k": ("phytonadione", "phytomenadione", "vitamin k1"),
    "succinylcholine": ("suxamethonium",),
    "methylene blue": ("methylthioninium chloride", "methylthioninium"),
    "toluidine blue": ("tolonium chloride",),
    "aminosalicylic acid": ("para-aminosalicylic acid", "4-aminosalicylic acid", "pas"),
    "glyburide": ("glibenclamide",),
    "sulfadimidine": ("sulfamethazine",),
    "sulfisoxazole": ("sulfafurazole",),
    "mycophenolic acid": ("mycophenolate", "mycophenolate mofetil"),
    "valproic acid": ("valproate", "sodium valproate"),
    "tacrolimus": ("fk506",),
    "rasburicase": (),
    "peginterferon alfa-2a": ("peginterferon alfa 2a", "pegylated interferon alfa-2a"),
    "peginterferon alfa-2b": ("peginterferon alfa 2b", "pegylated interferon alfa-2b"),
    "lansoprazole": (),
    "citalopram": (),
    "escitalopram": (),
    "fosphenytoin": (),
    "acenocoumarol": ("acenocoumarin",),
    "paroxetine": (),
}

# Primary population per drug: the first of these present, then the rest by name.
POPULATION_PRIORITY = (
    "general", "adults", "CVI ACS PCI", "PHT naive", "CBZ naive", "OXC naive",
    "child >40kg_adult", "<= 1g per day",
)

# Warfarin: CPIC's 2017 guideline is a dosing algorithm/flowchart, not table rows.
WARFARIN_GENES = ("CYP2C9", "VKORC1", "CYP4F2")


@dataclass(frozen=True)
class Derived:
    """What the keyword rules read from one CPIC recommendation."""

    action: str
    dose_change_percent: int | None
    concern: str | None  # "toxicity" | "efficacy" | None
    extras: tuple[str, ...]  # short fact phrases of our own


# ---------------------------------------------------------------- keyword rules

_NO_REC = re.compile(
    r"^\s*(no recommendation|no action recommended|insufficient evidence|"
    r"no recommendation for|n/a\s*$|neither .{0,40} could be assigned)", re.I)
_AVOID = re.compile(
    r"^\s*(avoid$|avoid\b(?! moderate and strong)|.*\bis contraindicated|.*\bis not recommended|"
    r"if patient is [\w-]+-na[iï]ve(, do not use| and alternative agents are available, do not use)|"
    r"if patient is [\w-]+-na[iï]ve, do not|.*relatively contraindicated|"
    r"(based on \w+ status, )?halogenated volatile anesthetics .* contraindicated)", re.I)
_ALTERNATIVE = re.compile(
    r"^\s*(select (an )?alternative|choose an alternative|consider (an )?alternative|"
    r"consider a clinically appropriate (alternative )?antidepressant|prescribe an alternative|"
    r"recommend alternative|consider hormonal therapy|consider an alternative agent|"
    r"select an alternative|(based on \w+ status, )?for non-malignant conditions, consider alternative)", re.I)
_INCREASE = re.compile(
    r"(increase starting (daily )?dose|consider increasing dose by|"
    r"starting total daily dose of at least|increase starting dose)", re.I)
_REDUCE = re.compile(
    r"(reduc(e|ed|tion)|for malignancy, initiate dose at \d+ mg|^initiate \d+% of starting dose|decreased (starting )?dose|lower starting dose|% of (the )?(lowest|standard)|"
    r"less than typical maintenance|^\s*prescribe ≤|prescribe ≤|lower maintenance dose|"
    r"decreased starting doses|resuced)", re.I)
_CAUTION = re.compile(
    r"(with caution|cautiously|could not be assigned .{0,120}consider evaluating|use caution|avoid moderate and strong|"
    r"lowest recommended starting dose|enzyme activity must be measured|"
    r"aware of possible increased risk|increased frequency of clinical monitoring|"
    r"^initiate with a dose of [\w./ ]+ and if no clinical response|"
    r"if patient does not adequately respond)", re.I)
_STANDARD = re.compile(
    r"(standard dos|standard starting dose|start with normal starting dose|recommended starting dose|label[- ]recommended|"
    r"according to the product label|no indication to change|no need to avoid|"
    r"no reason to avoid|no adjustments needed|standard of care dosing|standard recommended dose|"
    r"prescribe desired starting dose|use at standard dose|increase to (80 mg|1\.2 mg/kg)|"
    r"per standard dosing|at standard doses|should guide use of halogenated)", re.I)

_TOXICITY = re.compile(
    r"(toxicit|side effect|adverse|hypersensitivity|SCAR|SJS|TEN\b|hemoly|haemoly|anemia|"
    r"myopathy|hearing loss|jaundice|hyperbilirubin|bradycardia|malignant hyperthermia|"
    r"myelosuppression|QT|increased (plasma )?concentrations|higher (plasma )?concentrations|"
    r"increased exposure|increased risk|cutaneous)", re.I)
_EFFICACY = re.compile(
    r"(diminished|reduced (analgesia|efficacy|response|effectiveness)|lack of efficacy|"
    r"lower (plasma )?concentrations|decreased (plasma )?concentrations|decreased exposure|"
    r"failure|non-responsive|reduced morphine|reduced o-desmethyltramadol|sub-?optimal|"
    r"less likely to (respond|achieve)|reduced active metabolite|increased metabolism|"
    r"reduced .{0,40}formation|lower .{0,30}concentrations|unlikely to respond|"
    r"not .{0,15}responsive|poor response|higher dose requirement|reduced clopidogrel)", re.I)

_ALTERNATIVE_FACTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"prasugrel or ticagrelor", re.I), "prasugrel or ticagrelor"),
    (re.compile(r"alternative P2Y12", re.I), "another P2Y12 inhibitor"),
    (re.compile(r"non-tramadol opioid", re.I), "a non-tramadol opioid"),
    (re.compile(r"non-codeine and non-tramadol|non-codeine or non-tramadol", re.I),
     "an opioid other than codeine or tramadol"),
    (re.compile(r"non-codeine opioid", re.I), "a non-codeine opioid"),
    (re.compile(r"granisetron", re.I), "granisetron"),
    (re.compile(r"aromatase inhibitor", re.I), "an aromatase inhibitor"),
    (re.compile(r"isavuconazole", re.I), "isavuconazole, liposomal amphotericin B or posaconazole"),
    (re.compile(r"(?<!isavuconazole, )liposomal amphotericin B and posaconazole", re.I),
     "liposomal amphotericin B or posaconazole"),
    (re.compile(r"nortriptyline and desipramine", re.I), "nortriptyline or desipramine"),
    (re.compile(r"alternative statin|consider rosuvastatin", re.I), "another statin (by potency)"),
    (re.compile(r"nonthiopurine", re.I), "a non-thiopurine immunosuppressant"),
    (re.compile(r"another beta-blocker", re.I), "another beta-blocker"),
    (re.compile(r"alternative anesthetics", re.I), "non-triggering anaesthetics"),
    (re.compile(r"not (predominantly |primarily )?metabolized by CYP2C19 or CYP2B6", re.I),
     "a drug not mainly metabolized by CYP2C19 or CYP2B6"),
    (re.compile(r"not (predominantly |primarily )?metabolized by CYP2D6", re.I),
     "a drug not mainly metabolized by CYP2D6"),
    (re.compile(r"not (predominantly |primarily )?metabolized by CYP2C19(?! or)|not dependent on CYP2C19", re.I),
     "a drug not mainly metabolized by CYP2C19"),
    (re.compile(r"not (predominantly |primarily )?metabolized by CYP2B6(?! or)", re.I),
     "a drug not mainly metabolized by CYP2B6"),
    (re.compile(r"not metabolized by CYP2C9", re.I),
     "a drug not metabolized by CYP2C9, or a CYP2C9 substrate with a shorter half-life"),
)

_PERCENT_PATTERNS: tuple[tuple[re.Pattern[str], int | None], ...] = (
    (re.compile(r"by 10-fold", re.I), 90),
    (re.compile(r"(\d+)\s*%\s*reduction", re.I), None),
    (re.compile(r"reduce starting dose by (\d+)\s*%", re.I), None),
    (re.compile(r"(?<![-\d])(\d+)\s*% less than", re.I), None),
    (re.compile(r"with (\d+)\s*% of the lowest", re.I), -1),
    (re.compile(r"initiate (\d+)\s*% of starting dose", re.I), -1),
    (re.compile(r"increase starting daily dose by (\d+)\s*%", re.I), None),
)


def classify_action(text: str | None, classification: str | None) -> tuple[str, int | None]:
    """Action category and stated dose change (percent) for one CPIC recommendation.

    >>> classify_action("Reduce starting dose by 50% followed by titration", "Moderate")
    ('reduce_dose', 50)
    >>> classify_action("Use abacavir per standard dosing guidelines", "Strong")
    ('standard_dosing', None)
    """
    t = " ".join((text or "").replace("\\n", " ").split())
    if not t or _NO_REC.match(t) or classification == "No Recommendation":
        return "no_recommendation", None
    first = re.split(r"(?<=[.;])\s", t, maxsplit=1)[0]
    if _AVOID.match(first) or _AVOID.match(t):
        return "avoid", None
    if _ALTERNATIVE.match(first):
        return "use_alternative", None
    if re.match(r"^\s*(for malignancy: )?initiate therapy with drastically reduced", t, re.I):
        return "reduce_dose", 90
    if re.match(r"initiate standard starting daily dose", t, re.I):
        # e.g. PPIs in CYP2C19 normal metabolizers: the standard dose, with a higher dose only
        # to be considered for particular indications (kept in the wording as a note)
        return "standard_dosing", None
    if _INCREASE.search(first):
        return "increase_dose", _percent(t, increase=True)
    if _REDUCE.search(first) or re.search(r"for chronic therapy .* reduction|less than typical maintenance", t, re.I) or (
            re.match(r"initiate therapy with recommended starting dose", t, re.I)
            and re.search(r"lower maintenance dose", t, re.I)):
        return "reduce_dose", _percent(t, increase=False)
    if _CAUTION.search(t):
        return "use_with_caution", None
    if _STANDARD.search(t):
        return "standard_dosing", None
    if re.search(r"initiate therapy at a total daily dose", t, re.I):
        return "use_with_caution", None
    raise KnowledgeBaseError(f"no action rule matches CPIC recommendation {t[:80]!r}",
                             hint="extend the keyword rules in pgxannot.kb.build.cpic")


def _percent(text: str, *, increase: bool) -> int | None:
    """The single dose change stated in percent; None for ranges or none stated."""
    if increase:
        m = re.search(r"increase starting daily dose by (\d+)\s*%", text, re.I)
        return int(m.group(1)) if m else None
    if re.search(r"10-fold", text, re.I):
        return 90
    for pat, mode in _PERCENT_PATTERNS:
        m = pat.search(text)
        if not m or mode == 90:
            continue
        value = int(m.group(1))
        return 100 - value if mode == -1 else value
    return None


def derive(text: str | None, classification: str | None, implications: str | None) -> Derived:
    """Action, percent, concern and short fact phrases for one CPIC row."""
    action, percent = classify_action(text, classification)
    t = " ".join((text or "").replace("\\n", " ").split())
    imp = implications or ""
    concern = None
    if _EFFICACY.search(imp) or (action in ("avoid", "use_alternative") and _EFFICACY.search(t)):
        concern = "efficacy"
    if _TOXICITY.search(imp) or (action in ("avoid", "use_alternative", "reduce_dose")
                                 and _TOXICITY.search(t) and concern is None):
        concern = "toxicity" if concern is None else concern
    extras: list[str] = []
    if action in ("avoid", "use_alternative"):
        alts = [label for pat, label in _ALTERNATIVE_FACTS if pat.search(t)]
        if alts:
            extras.append("Alternatives: " + "; ".join(dict.fromkeys(alts)) + ".")
        m = re.search(r"if (a |the )?[\w -]+ is warranted,? consider a (\d+)% reduction", t, re.I)
        if m:
            extras.append(f"If it must be used, cut the starting dose by {m.group(2)}%.")
        elif re.search(r"warranted, consider titrating to a higher", t, re.I):
            extras.append("If it must be used, a higher target dose may be needed.")
        elif re.search(r"strongly reduced dose", t, re.I):
            extras.append("Only if no alternative exists: strongly reduced dose with early drug-level monitoring.")
        if re.search(r"tamoxifen dose \(40", t, re.I):
            extras.append("If an aromatase inhibitor is unsuitable, consider tamoxifen 40 mg/day.")
        if re.search(r"voriconazole should be administered at a preferably lower", t, re.I):
            extras.append("If voriconazole is still chosen, use a lower dose with drug-level monitoring.")
    m = re.search(r"(\d+)%?\s*-\s*(\d+)% of (the )?(lowest recommended|standard) starting dose", t, re.I)
    if m and action == "reduce_dose":
        extras.append(f"Start at {m.group(1)}–{m.group(2)}% of the {m.group(4).lower()} starting dose.")
    m = re.search(r"(\d+)\s*-\s*(\d+)% lower starting dose", t, re.I)
    if m:
        extras.append(f"Start {m.group(1)}–{m.group(2)}% lower than usual.")
    m = re.search(r"decreased dose of ([\d ]+(or [\d ]+)?) ?mg/day", t, re.I)
    if m:
        extras.append(f"Start at {' '.join(m.group(1).split())} mg/day.")
    if re.search(r"1\.5 to 2 times recommended starting dose", t, re.I):
        extras.append("Start at 1.5–2 times the usual starting dose (at most 0.3 mg/kg/day).")
    m = re.search(r"increasing dose by (\d+)-(\d+)%", t, re.I)
    if m:
        extras.append(f"Consider a {m.group(1)}–{m.group(2)}% higher dose.")
    m = re.search(r"starting total daily dose of at least (\d+) mg\. Titrate up to (\d+) mg", t, re.I)
    if m:
        extras.append(f"Start at ≥{m.group(1)} mg/day; titrate up to {m.group(2)} mg/day.")
    m = re.search(r"total daily dose of (\d+) to (\d+) mg", t, re.I)
    if m:
        extras.append(f"Start at {m.group(1)}–{m.group(2)} mg/day; take care at high daily doses.")
    if re.search(r"lowest recommended starting dose", t, re.I) and action == "use_with_caution":
        extras.append("Start at the lowest dose and titrate carefully.")
    if re.search(r"bradycardia", t, re.I):
        extras.append("Watch for bradycardia; another beta-blocker is an option.")
    if re.search(r"previously used \w+ (continuously|consistently) for longer than three months", t, re.I):
        extras.append("Applies to patients who took it >3 months without skin reactions.")
    if action == "standard_dosing" and re.search(r"if no response and opioid use is warranted", t, re.I):
        alts = [label for pat, label in _ALTERNATIVE_FACTS if pat.search(t)]
        if alts:
            extras.append(f"If there is no response, consider {alts[0]}.")
    cap = re.search(r"prescribe\s*(≤|<)\s*(\d+)\s*mg", t, re.I)
    if cap and action == "reduce_dose":
        extras.append(f"Start at {cap.group(1)}{cap.group(2)} mg/day.")
    if re.search(r"limit dose to (≤|<)\s*(\d+)\s*mg", t, re.I):
        m = re.search(r"limit dose to (≤|<)\s*(\d+)\s*mg", t, re.I)
        assert m is not None
        extras.append(f"If it must be used, limit to {m.group(1)}{m.group(2)} mg/day.")
    if re.search(r"avoid moderate and strong CYP2D6 inhibitors", t, re.I):
        extras.append("Avoid moderate and strong CYP2D6 inhibitors.")
    if re.search(r"slower titration", t, re.I):
        extras.append("Titrate slowly.")
    if re.search(r"evaluating TPMT erythrocyte activity", t, re.I):
        extras.append("Measure TPMT enzyme activity to assign the phenotype.")
    if re.search(r"enzyme activity must be measured", t, re.I):
        extras.append("Measure G6PD enzyme activity and dose by the enzyme-based phenotype.")
    if re.search(r"monitoring for anemia|exacerbation of chronic hemolysis|hemolysis", t, re.I):
        extras.append("Monitor for haemolysis.")
    if re.search(r"hearing loss", t, re.I) and action != "avoid":
        extras.append("Short course with drug-level monitoring; check hearing.")
    if re.search(r"therapeutic drug monitoring|plasma concentration|trough concentrations", t, re.I):
        extras.append("Guide dosing by therapeutic drug monitoring.")
    if re.search(r"H\. pylori", t, re.I) and action == "increase_dose":
        extras.append("Mainly for H. pylori infection and erosive oesophagitis.")
    elif re.search(r"H\. pylori", t, re.I):
        extras.append("The higher dose applies to H. pylori infection and erosive oesophagitis.")
    if re.search(r"for chronic therapy", t, re.I):
        extras.append("Reduction applies to chronic therapy (>12 weeks) once effective.")
    if re.search(r"aware of possible increased risk for myopathy", t, re.I):
        m = re.search(r"doses? >\s*(\d+)\s*mg", t, re.I)
        extras.append("Myopathy risk rises at higher doses" + (f" (>{m.group(1)} mg/day)." if m else "."))
    if re.search(r"does not eliminate the risk", t, re.I):
        extras.append("A negative HLA-B*15:02 result does not exclude SJS/TEN.")
    if re.search(r"genotype result is not available|could not be assigned", t, re.I):
        extras.append("Based on the other gene only.")
    if re.search(r"discontinue therapy at first evidence", t, re.I):
        extras.append("Stop at the first sign of a skin reaction.")
    if re.search(r"jaundice", t, re.I) and action == "use_alternative":
        extras.append("High chance of jaundice leading to discontinuation.")
    return Derived(action, percent, concern, tuple(dict.fromkeys(extras)))


# ---------------------------------------------------------------- own wording

_VERBS = {
    "avoid": "Avoid {drug}",
    "use_alternative": "Prefer an alternative to {drug}",
    "reduce_dose": "Use {drug} at a reduced dose",
    "increase_dose": "Use {drug} at an increased dose",
    "use_with_caution": "Use {drug} with caution",
    "standard_dosing": "Use {drug} at the usual dose",
    "no_recommendation": "No genotype-based recommendation for {drug}",
}


def gene_state(gene: str, key: str, phenotype: str | None) -> str:
    """Readable form of one lookup key, e.g. ``CYP2D6 activity score 0.0 (poor metabolizer)``."""
    if key == "No Result":
        return f"{gene} not tested"
    if gene.startswith("HLA-"):
        return f"{gene}{key}"
    if gene in ACTIVITY_SCORE_GENES:
        if key == "n/a":
            return f"{gene} indeterminate"
        pheno = f", {phenotype.lower()}" if phenotype and phenotype != "n/a" else ""
        return f"{gene} activity score {key}{pheno}"
    if gene == "MT-RNR1":
        return f"MT-RNR1 {key}"
    words = key.split() if gene != "CFTR" else [key]
    return f"{gene} " + " ".join(w if w.isupper() or gene == "CFTR" else w.lower() for w in words)


def phrase(drug: str, derived: Derived, states: Iterable[str], classification: str | None,
           population: str | None) -> str:
    """Our own concise recommendation sentence built from the derived facts."""
    verb = _VERBS[derived.action].format(drug=drug)
    if derived.action == "reduce_dose" and derived.dose_change_percent:
        verb = f"Reduce the {drug} starting dose by {derived.dose_change_percent}%"
    elif derived.action == "increase_dose" and derived.dose_change_percent:
        verb = f"Increase the {drug} starting dose by {derived.dose_change_percent}%"
    concern = {"toxicity": "higher risk of adverse effects",
               "efficacy": "risk of reduced effect"}.get(derived.concern or "")
    state = "; ".join(states)
    why = f"{state}: {concern}" if concern and derived.action != "standard_dosing" else state
    parts = [f"{verb} ({why})."]
    parts.extend(derived.extras)
    strength = f"CPIC {classification}" if classification else "CPIC"
    if population and population != "general":
        strength += f", population: {population}"
    parts.append(strength + ".")
    return " ".join(parts)


# ---------------------------------------------------------------- reading sources


@dataclass(frozen=True)
class SourceRow:
    rec_id: str
    drug: str
    drug_id: str
    lookup: dict[str, str]
    phenotypes: dict[str, str]
    implications: str
    text: str
    classification: str | None
    population: str
    comments: str


def _find(source: Path, pattern: str) -> Path | None:
    hits = sorted(source.glob(pattern))
    return hits[-1] if hits else None


def _clean(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def _read_rows_tsv(path: Path) -> list[SourceRow]:
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            rows.append(SourceRow(
                rec_id=r["rec_id"], drug=_clean(r["drug"]), drug_id=r["drug_id"],
                lookup=json.loads(r["lookupkey_reconstructed_json"]),
                phenotypes=json.loads(r.get("phenotypes_json") or "{}"),
                implications=_clean(r.get("implications")), text=_clean(r.get("drugrecommendation")),
                classification=_clean(r.get("classification")) or None,
                population=_clean(r.get("population")) or "general",
                comments=_clean(r.get("comments"))))
    return rows


def _read_rows_api(files: list[Path]) -> list[SourceRow]:
    rows = []
    for f in files:
        d = json.loads(f.read_text(encoding="utf-8"))
        for i, r in enumerate(d.get("recommendations") or []):
            imps = r.get("implications") or {}
            rows.append(SourceRow(
                rec_id=str(r.get("id", f"{d['drugid']}#{i}")), drug=_clean(d["drugname"]),
                drug_id=d["drugid"], lookup=r.get("lookupkey") or {},
                phenotypes=r.get("phenotypes") or {},
                implications="; ".join(f"{g}: {v}" for g, v in imps.items()),
                text=_clean(r.get("drugrecommendation")),
                classification=_clean(r.get("classification")) or None,
                population=_clean(r.get("population")) or "general",
                comments=_clean(r.get("comments"))))
    return rows


def _api_files(source: Path) -> list[Path]:
    for pattern in ("recommendations/cpic_api_json*/*.json", "cpic_api_json*/*.json", "*.json"):
        files = sorted(p for p in source.glob(pattern) if p.name != VERSION)
        if files:
            return files
    return []


def _read_guidelines(files: list[Path]) -> dict[str, dict[str, object]]:
    """Guideline name/URL/PMIDs per drug id from CPIC API JSON files."""
    out: dict[str, dict[str, object]] = {}
    for f in files:
        d = json.loads(f.read_text(encoding="utf-8"))
        if "drugid" not in d:
            continue
        pmids = [str(c["pmid"]) for c in d.get("citations") or [] if c.get("pmid")]
        out[d["drugid"]] = {"name": d.get("guidelinename"), "url": d.get("url"), "pmids": pmids,
                            "genes": d.get("genes") or [], "drug": d.get("drugname")}
    return out


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _rec_group(text: str, classification: str | None) -> str:
    norm = re.sub(r"\W+", " ", text.lower()).strip()
    return hashlib.sha1(f"{norm}|{classification}".encode()).hexdigest()[:10]


def _population_order(pops: Iterable[str]) -> list[str]:
    ranked = {p: i for i, p in enumerate(POPULATION_PRIORITY)}
    return sorted(set(pops), key=lambda p: (ranked.get(p, len(ranked)), p))


def _write_tsv(path: Path, header: list[str], rows: Iterable[Mapping[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if r.get(h) is None else str(r.get(h)) for h in header])


def _version_from_name(path: Path | None, default: str) -> str:
    if path is None:
        return default
    m = re.search(r"v(\d+\.\d+(?:\.\d+)?)", path.as_posix())
    return f"v{m.group(1)}" if m else default


def build(source_dir: Path, out_dir: Path, *, version: str | None = None,
          include_text: bool = False) -> dict[str, object]:
    """Derive the guidance tables from a CPIC release in ``source_dir`` into ``out_dir``.

    Returns the version information also written to ``out_dir/version.json``.
    ``include_text`` keeps CPIC's own recommendation sentence per row (column
    ``cpic_text``) for a downloaded knowledge base; the bundled one never has it.
    """
    source_dir = Path(source_dir)
    out_dir = Path(out_dir)
    extract = _find(source_dir, "cpic_db_*extract") or source_dir
    rec_tsv = _find(source_dir, "recommendations/cpic_recommendations_v*.tsv") or _find(
        source_dir, "cpic_recommendations_v*.tsv")
    api = _api_files(source_dir)
    if rec_tsv is not None:
        rows = _read_rows_tsv(rec_tsv)
    elif api:
        rows = _read_rows_api(api)
    else:
        raise KnowledgeBaseError("no CPIC recommendations found", path=source_dir,
                                 hint="expected recommendations/cpic_recommendations_v*.tsv or CPIC API JSON files")
    for needed in ("pairs.csv", "drugs.csv", "gene_results.csv"):
        if not (extract / needed).is_file():
            raise KnowledgeBaseError(f"{needed} is missing from the CPIC source", path=extract,
                                     hint="use a complete CPIC database extract")
    version = version or _version_from_name(rec_tsv or extract, "unknown")
    guidelines = _read_guidelines(api)
    drugs_csv = _read_csv(extract / "drugs.csv")
    drug_name = {d["drug_id"]: _clean(d["drug_name"]) for d in drugs_csv}
    gene_results = _read_csv(extract / "gene_results.csv")

    # phenotype of an activity score per gene (for wording)
    as_pheno = {(g["gene"], g["activity_score"]): g["phenotype_result"]
                for g in gene_results if g.get("activity_score") not in (None, "", "n/a")}

    out_dir.mkdir(parents=True, exist_ok=True)
    rec_out = []
    for r in sorted(rows, key=lambda x: (x.drug.lower(), x.population, json.dumps(x.lookup, sort_keys=True), x.rec_id)):
        d = derive(r.text, r.classification, r.implications)
        genes = list(r.lookup)
        states = [gene_state(g, r.lookup[g], r.phenotypes.get(g) or as_pheno.get((g, r.lookup[g])))
                  for g in genes]
        row: dict[str, object] = {
            "rec_id": r.rec_id, "drug": r.drug, "drug_id": r.drug_id, "genes": ",".join(genes),
            "lookup": ";".join(f"{g}={r.lookup[g]}" for g in genes),
            "population": r.population, "classification": r.classification or "",
            "action": d.action, "dose_change_percent": d.dose_change_percent,
            "concern": d.concern or "", "rec_group": _rec_group(r.text, r.classification),
            "recommendation": phrase(r.drug, d, states, r.classification, r.population),
        }
        if include_text:
            row["cpic_text"] = r.text
        rec_out.append(row)
    rec_header = ["rec_id", "drug", "drug_id", "genes", "lookup", "population", "classification",
                  "action", "dose_change_percent", "concern", "rec_group", "recommendation"]
    if include_text:
        rec_header.append("cpic_text")
    _write_tsv(out_dir / RECOMMENDATIONS, rec_header, rec_out)

    # pairs
    pairs = []
    for p in _read_csv(extract / "pairs.csv"):
        name = drug_name.get(p["drug_id"])
        if not name:
            continue
        pairs.append({"gene": p["gene"], "drug": name, "drug_id": p["drug_id"],
                      "cpic_level": p["cpic_level"], "fda_label": p.get("pgx_testing") or "",
                      "pmids": ";".join(x.strip() for x in (p.get("citations") or "").split(",") if x.strip())})
    pairs.sort(key=lambda x: (str(x["drug"]).lower(), str(x["gene"])))
    _write_tsv(out_dir / PAIRS, ["drug", "gene", "cpic_level", "fda_label", "drug_id", "pmids"], pairs)

    # drugs: every drug named in pairs or recommendations, with guideline and synonyms
    rec_drugs: dict[str, dict[str, object]] = {}
    for r in rows:
        e = rec_drugs.setdefault(r.drug_id, {"genes": [], "pops": set()})
        for g in r.lookup:
            if g not in e["genes"]:  # type: ignore[operator]
                e["genes"].append(g)  # type: ignore[union-attr]
        e["pops"].add(r.population)  # type: ignore[union-attr]
    pair_pmids: dict[str, list[str]] = {}
    pair_genes: dict[str, list[str]] = {}
    for p in pairs:
        pair_pmids.setdefault(str(p["drug_id"]), []).extend(
            x for x in str(p["pmids"]).split(";") if x)
        pair_genes.setdefault(str(p["drug_id"]), []).append(str(p["gene"]))
    drugs_out = []
    for drug_id in sorted(set(drug_name) & (set(pair_genes) | set(rec_drugs)), key=lambda i: drug_name[i].lower()):
        name = drug_name[drug_id]
        g = guidelines.get(drug_id)
        kind = "table" if drug_id in rec_drugs else "none"
        genes = list(rec_drugs.get(drug_id, {}).get("genes", []))  # type: ignore[call-overload]
        if name == "warfarin":
            kind, genes = "warfarin", list(WARFARIN_GENES)
        pmids = list(dict.fromkeys((g or {}).get("pmids") or pair_pmids.get(drug_id, [])))  # type: ignore[arg-type]
        drugs_out.append({
            "drug": name, "drug_id": drug_id, "kind": kind, "genes": ",".join(genes),
            "populations": ";".join(_population_order(rec_drugs.get(drug_id, {}).get("pops", ()))),  # type: ignore[arg-type]
            "synonyms": ";".join(SYNONYMS.get(name.lower(), ())),
            "guideline_name": (g or {}).get("name") or (
                f"CPIC guideline for {' and '.join(genes)} and {name}" if kind != "none" and pmids else ""),
            "guideline_url": (g or {}).get("url") or ("https://cpicpgx.org/guidelines/" if kind != "none" else ""),
            "guideline_pmids": ";".join(pmids),
        })
    _write_tsv(out_dir / DRUGS, ["drug", "drug_id", "kind", "genes", "populations", "synonyms",
                                 "guideline_name", "guideline_url", "guideline_pmids"], drugs_out)

    gr = sorted(({"gene": g["gene"], "phenotype": g["phenotype_result"],
                  "activity_score": g.get("activity_score") or "",
                  "ehr_priority": " ".join((g.get("ehr_priority") or "").replace("/ ", "/").split())}
                 for g in gene_results), key=lambda x: (x["gene"], x["phenotype"], x["activity_score"]))
    _write_tsv(out_dir / GENE_RESULTS, ["gene", "phenotype", "activity_score", "ehr_priority"], gr)

    info: dict[str, object] = {
        "source": "CPIC", "version": version, "table_format": TABLE_FORMAT,
        "licence": "CC0 1.0 (CPIC asks for attribution)",
        "recommendation_rows": len(rec_out),
        "recommendation_drugs": len({r["drug"] for r in rec_out}), "pairs": len(pairs),
        "drugs": len(drugs_out), "includes_cpic_text": include_text,
        "inputs": sorted(p.name for p in [rec_tsv, extract] if p is not None)
        + ([f"{len(api)} CPIC API JSON files"] if api else []),
        "actions": {a: sum(1 for r in rec_out if r["action"] == a) for a in ROW_ACTIONS},
        "built_by": "pgxannot.kb.build.cpic",
    }
    if include_text:
        info["built_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    (out_dir / VERSION).write_text(json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pgxannot.kb.build.cpic", description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path, help="CPIC source folder (default ../shared/data/cpic)")
    ap.add_argument("--out", type=Path, help="output folder (default resources/cpic)")
    ap.add_argument("--with-text", action="store_true", help="keep CPIC's recommendation text (not for bundling)")
    args = ap.parse_args(argv)
    source = args.source
    if source is None:
        shared = shared_data_dir()
        if shared is None:
            print("error: ../shared/data is absent; pass --source", file=sys.stderr)
            return 2
        source = shared / "cpic"
    if args.out is None:
        try:
            out = resources_dir() / "cpic"
        except FileNotFoundError:  # source checkout before the workflow files exist
            out = Path(__file__).resolve().parents[4] / "resources" / "cpic"
    else:
        out = args.out
    try:
        info = build(source, out, include_text=args.with_text)
    except KnowledgeBaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps(info, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
