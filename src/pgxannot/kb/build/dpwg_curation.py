"""The structure of every DPWG recommendation of the bundled snapshot, curated by hand.

One entry per distinct recommendation: keyed by the drug and a fingerprint of the
recommendation's text (``fingerprint()`` in :mod:`pgxannot.kb.build.dpwg`), so the same
text under several keys (``*1/*2`` and "Intermediate Metabolizer") gets one structure,
and a changed text (a newer DPWG release fetched by ``kb update dpwg``) no longer matches
and falls back to the keyword rules, with a build warning.

Each entry holds one or more *branches*: the advice for one situation (indication,
population, co-medication), the primary one first. Everything is in pgxannot's own
words; the numbers are DPWG's. ``omit`` lists the numbers of the DPWG text that the
structure deliberately leaves out (study sizes, enumerators, names), so the
"every number kept" test can tell a deliberate omission from a dropped one.

Actions and dose kinds are those of :mod:`pgxannot.vocabulary`; condition codes are
:data:`pgxannot.kb.build.dpwg.CONDITIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dose:
    """One dose statement (mirrors ``vocabulary.DoseStep``)."""

    kind: str  # starting | starting_daily | loading | maintenance | daily | target | any
    direction: str  # lower | higher | standard | set
    amount: str | None = None  # "75%", "1.5 times", "4-fold", "20 mg/day"
    relation: str | None = None  # by | to | at_most | at_least
    hedged: bool = False
    when: str | None = None  # our own qualifier ("if it cannot be avoided")


@dataclass(frozen=True)
class Branch:
    """The advice for one situation."""

    action: str
    condition: str | None = None  # CONDITIONS code; None: every patient with this genotype
    doses: tuple[Dose, ...] = ()
    alternatives: tuple[str, ...] = ()
    alternatives_hedged: bool = False
    notes: tuple[str, ...] = ()  # our own short sentences (monitoring, fallbacks, targets)
    hedged: bool = False
    concern: str | None = None  # toxicity | efficacy
    secondary: bool = False  # a side population (e.g. use on the skin), never the primary


@dataclass(frozen=True)
class Entry:
    drug: str
    fingerprint: str
    branches: tuple[Branch, ...]
    omit: tuple[str, ...] = ()  # numbers of the DPWG text deliberately not carried


def D(kind: str, direction: str, amount: str | None = None, relation: str | None = None,
      *, hedged: bool = False, when: str | None = None) -> Dose:
    return Dose(kind, direction, amount, relation, hedged, when)


def B(action: str, *notes: str, cond: str | None = None, doses: tuple[Dose, ...] = (),
      alts: tuple[str, ...] = (), alts_hedged: bool = False, hedged: bool = False,
      concern: str | None = None, secondary: bool = False) -> Branch:
    return Branch(action, cond, doses, alts, alts_hedged, tuple(notes), hedged, concern, secondary)


def E(drug: str, fingerprint: str, *branches: Branch, omit: tuple[str, ...] = ()) -> Entry:
    return Entry(drug, fingerprint, branches, omit)


# Notes used by several entries (our wording).
_TCA_NOT_2D6 = "Antidepressants with little or no CYP2D6 metabolism: citalopram, sertraline."
_MYELO = ("If the dose is lowered, tell the patient to seek care at once for signs of bone-marrow "
          "suppression (sore throat with fever, frequent nosebleeds, easy bruising).")
_TOX_GUIDE = "Set later doses by toxicity (blood counts) and effect."
_TGN = "Thioguanine-nucleotide (6-TGN) levels cannot guide the dose: toxicity occurs within the usual range."
_OPIOID_2D6 = ("Tramadol is no alternative (also CYP2D6-dependent); morphine does not depend on CYP2D6; "
               "oxycodone depends on it only slightly, without a difference in effect in patients.")
_OPIOID_2D6_C = ("Codeine is no alternative (also CYP2D6-dependent, contraindicated in CYP2D6 UM); "
                 "morphine does not depend on CYP2D6; oxycodone depends on it only slightly.")
_SJS = "Weigh the benefit against the risk of SJS/TEN."
_RASH = "If it cannot be avoided, the patient should report any skin rash at once."
_PPI_UM_OTHER = "Watch for a weaker effect; the patient should report dyspepsia that persists."
_WARF_ALGO = ("Initial and maintenance doses can be calculated with a genotype-based algorithm "
              "(as in EU-PACT, DPWG's coumarin algorithms); from day 6 the usual algorithm without "
              "genotype applies.")
_WARF_OTHER = ("Alleles with an activity like *2 or *3 can be entered in the algorithm as *2 or *3; "
               "adapted algorithms exist for patients of African or (East) Asian descent.")
_STATIN = ("Consider other risk factors for statin myopathy. Atorvastatin is less affected by SLCO1B1 but is "
           "raised by CYP3A4 inhibitors (amiodarone, verapamil, diltiazem) and is not advised with extra "
           "myopathy risk factors; rosuvastatin and pravastatin are less affected and not CYP3A4-dependent; "
           "fluvastatin is affected by neither.")
_CLOMI_TARGETS = ("Targets: depression 200–400 ng/mL for clomipramine plus desmethylclomipramine; anxiety "
                  "about 100 ng/mL clomipramine with desmethylclomipramine below 200 ng/mL; obsessive-"
                  "compulsive disorder above 200 ng/mL clomipramine with desmethylclomipramine kept low; "
                  "a sum above 600 ng/mL is toxic.")
_IMI_RANGE = "Target 150–300 ng/mL for imipramine plus desipramine; above 500 ng/mL is toxic."
_NOR_RANGE = "Target 50–150 ng/mL nortriptyline; above 250 ng/mL is toxic."
_DOX_RANGE = "Target 100–250 ng/mL for doxepin plus nordoxepin; above 400 ng/mL is toxic."
_EFV_RANGE = "Efavirenz target range: 1000–4000 ng/mL."
_FP_TEGAFUR = "Tegafur is no alternative (also broken down by DPD)."
_PHT_ADE = "The patient should report side effects: ataxia, nystagmus, rash, sedation or slurred speech."
_PHT_ADE_ASIAN = ("The patient should report side effects: ataxia, nystagmus, rash (especially in patients of "
                  "Asian descent), sedation or slurred speech.")
_ELI_3A = ("With a strong CYP3A inhibitor eliglustat is contraindicated; with a moderate CYP3A inhibitor or a "
           "strong CYP3A inducer it is not advised: choose an alternative if possible. With a weak CYP3A "
           "inhibitor, replace the inhibitor if possible, else give 84 mg once daily and watch for side effects.")

# DPWG's fluorouracil and capecitabine advice is one text for both drugs: one table, an entry per drug
_FLUOROPYRIMIDINES: tuple[tuple[str, Branch, tuple[str, ...]], ...] = (
    ("1fdd330dc4", B(
        "avoid", "DPWG advises avoiding both fluorouracil and capecitabine. " + _FP_TEGAFUR + " If they cannot be avoided, "
        "measure the residual DPD activity in blood mononuclear cells and set the starting dose by it (one "
        "patient with 0.5% of normal activity tolerated 0.8% of the usual dose, 150 mg capecitabine every 5 "
        "days; one with no measurable activity tolerated 0.43%, the same with every third dose skipped).",
        concern="toxicity"), ("1", "2")),
    ("0361509190", B(
        "reduce_dose", "Or avoid fluorouracil and capecitabine. Set later doses by toxicity and effect (in 17 "
        "patients with activity score 1 the titrated dose averaged 57% of the usual dose). " + _FP_TEGAFUR,
        doses=(D("starting", "lower", "50%", "to"),), concern="toxicity"), ()),
    ("0b2d4b5e74", B(
        "reduce_dose", "Or avoid fluorouracil and capecitabine. Set later doses by toxicity and effect (titrated "
        "doses averaged 64% of the usual dose in 17 patients with c.2846T and 74% in 51 with c.1236A). "
        + _FP_TEGAFUR, doses=(D("starting", "lower", "50%", "to"),), concern="toxicity"),
      ("1",)),
)

ENTRIES: tuple[Entry, ...] = (
    # --------------------------------------------------------------- HLA
    E("abacavir", "3830e425af", B("avoid", concern="toxicity")),
    E("allopurinol", "19d05841be", B(
        "use_alternative",
        "Alternatively, first induce tolerance: raise allopurinol every 3 days to reach 100 mg/day on day 28 "
        "(50, 100, 200, 500 µg, then 1, 5, 10, 25, 50, 100 mg).",
        alts=("febuxostat",), concern="toxicity")),
    E("carbamazepine", "033332139b", B(
        "use_alternative", "Weigh the benefit against the risk of DRESS and SJS/TEN.",
        hedged=True, concern="toxicity"), omit=("1", "2")),
    E("carbamazepine", "6d0324fc76", B("use_alternative", _SJS, hedged=True, concern="toxicity"),
      omit=("1", "2")),
    E("carbamazepine", "a36b997f80", B(
        "use_alternative",
        "Phenytoin, lamotrigine and oxcarbazepine also raise the SJS/TEN risk in these patients, but about "
        "10-fold less than carbamazepine; the most severe forms were not seen with oxcarbazepine.",
        concern="toxicity"), omit=("1",)),
    E("flucloxacillin", "13cf53e0bb", B(
        "use_with_caution", "Check liver function regularly.",
        "Switch to another antibiotic when liver enzymes or bilirubin rise.", concern="toxicity"),
      omit=("1", "2")),
    E("lamotrigine", "f7762612fd", B(
        "avoid", _SJS, "Avoid it when an alternative is available.",
        "Carbamazepine is no alternative (much higher SJS/TEN risk); phenytoin carries a similar risk, "
        "as does oxcarbazepine, though without the most severe forms.", _RASH, concern="toxicity")),
    E("oxcarbazepine", "7a4c508652", B(
        "avoid", _SJS, "Avoid it when an alternative is available.",
        "Carbamazepine is no alternative (10-fold higher SJS/TEN risk); phenytoin and lamotrigine carry a "
        "similar risk including the most severe forms, so they are not suitable either.", _RASH,
        concern="toxicity")),
    E("phenytoin", "42cb62adb8", B(
        "avoid", _SJS, "Avoid it when an alternative is possible.",
        "Carbamazepine is no alternative (10-fold higher SJS/TEN risk); lamotrigine carries a similar "
        "risk, as does oxcarbazepine, though without the most severe forms.", _RASH, concern="toxicity")),
    # --------------------------------------------------------------- ABCG2
    E("allopurinol", "59ec4176e2", B(
        "increase_dose", "Titration steps 100, 300, 400, 600, 700 mg/day (usual steps: 100, 200, 300, 400, "
        "500 mg/day).", doses=(D("any", "higher", "1.4 times", "to"),), concern="efficacy")),
    E("allopurinol", "6f0b2d04fd", B(
        "increase_dose", "Titration steps 100, 200, 400, 500 mg/day (usual steps: 100, 200, 300, "
        "400 mg/day).", doses=(D("any", "higher", "1.25 times", "to"),), concern="efficacy")),
    # --------------------------------------------------------------- SLCO1B1
    E("atorvastatin", "a683c5c534",
      B("use_alternative", cond="myopathy_risk", concern="toxicity"),
      B("use_with_caution", "The patient should contact the doctor if muscle symptoms occur.",
        cond="no_myopathy_risk", concern="toxicity")),
    E("simvastatin", "11ea01794c", B(
        "use_alternative", _STATIN, "The patient should contact the doctor if muscle symptoms occur.",
        doses=(D("daily", "lower", "40 mg/day", "at_most", when="if no alternative is possible"),),
        concern="toxicity"), omit=("1", "2")),
    E("simvastatin", "c79f928df0", B("use_alternative", _STATIN, concern="toxicity"), omit=("1",)),
    # --------------------------------------------------------------- CYP2B6
    E("efavirenz", "4ead7bb76b",
      B("reduce_dose", "Titrate to the plasma level: lower to 200 mg/day if needed, rarely raise to 600 mg/day.",
        _EFV_RANGE, cond="efv_mono_bmi_le25", doses=(D("starting_daily", "lower", "400 mg/day", "to"),)),
      B("use_with_caution", "Titrate to the plasma level, lowering to 400 or 200 mg/day if needed.", _EFV_RANGE,
        cond="efv_mono_bmi_gt25", doses=(D("starting_daily", "standard", "600 mg/day", "to"),)),
      B("use_with_caution",
        "Titrate to the plasma level. In adults the range was reached with 2/3 of the usual dose in a third of "
        "patients and 1/3 in two thirds; in children under 3 years with about 10 mg/kg a day in capsule form "
        "(100 mg/day at 7–14 kg, 150 mg/day at 14–17 kg; 50–75% of the usual dose).", _EFV_RANGE,
        cond="efv_children_under_40kg", doses=(D("starting", "standard"),)),
      B("use_with_caution", "Start the combination product, then titrate efavirenz to the plasma level "
        "(lowering to 400 or 200 mg/day).", _EFV_RANGE, cond="efv_combination"),
      omit=("1",)),
    E("efavirenz", "874d3fd4d8", B(
        "use_with_caution", "Measure the efavirenz plasma level first and lower only if needed; in adults "
        "400 mg/day (2/3 of the usual dose) reached the range and eased the side effects.",
        _EFV_RANGE, doses=(D("daily", "lower", "400 mg/day", "to", hedged=True, when="if side effects occur"),)),
      omit=("1", "14")),
    E("efavirenz", "b74699ec99", B(
        "use_with_caution", "Measure the efavirenz plasma level first and lower only if needed; in adults "
        "400 mg/day (2/3 of the usual dose) reached the range and eased the side effects.",
        _EFV_RANGE, doses=(D("daily", "lower", "400 mg/day", "to", hedged=True, when="if side effects occur"),)),
      omit=("14",)),
    # --------------------------------------------------------------- CYP2C19
    E("citalopram", "24dbd9b8e7", B(
        "reduce_dose", "These maxima are 50% of the usual maximum dose.",
        doses=(D("daily", "lower", "20 mg/day as tablets or 16 mg/day as drops", "at_most",
                 when="adults under 65"),
               D("daily", "lower", "10 mg/day as tablets or 8 mg/day as drops", "at_most",
                 when="adults aged 65 or more")), concern="toxicity"), omit=("1", "2")),
    E("citalopram", "8df3acb632", B(
        "reduce_dose",
        doses=(D("daily", "lower", "30 mg/day as tablets or 22 mg/day as drops", "at_most",
                 when="adults under 65"),
               D("daily", "lower", "15 mg/day as tablets or 10 mg/day as drops", "at_most",
                 when="adults aged 65 or more")), concern="toxicity"), omit=("1", "2")),
    E("clomipramine", "4539e71ed0",
      B("avoid", "If it cannot be avoided: monitor effect and side effects or the plasma levels of clomipramine "
        "and desmethylclomipramine. Targets: obsessive-compulsive disorder above 200 ng/mL clomipramine with "
        "desmethylclomipramine kept low; anxiety about 100 ng/mL with desmethylclomipramine below 200 ng/mL; "
        "a sum above 600 ng/mL is toxic. A low dose of fluvoxamine can be added to block CYP2C19 and CYP1A2 "
        "and so the conversion to desmethylclomipramine.",
        cond="ocd_anxiety", alts=("fluoxetine", "fluvoxamine", "paroxetine"), concern="efficacy"),
      B("standard_dosing", cond="depression")),
    E("clopidogrel", "3bea9488e4", B(
        "standard_dosing", "More active metabolite is formed: possibly fewer cardiovascular events, but more "
        "bleeding.")),
    E("clopidogrel", "86c53e1140",
      B("use_alternative", cond="pci_stroke_tia",
        doses=(D("maintenance", "higher", "150 mg/day (twice the usual)", "to", when="or, instead"),
               D("loading", "higher", "600 mg", "to")),
        alts=("prasugrel", "ticagrelor", "acetylsalicylic acid with dipyridamole"), concern="efficacy"),
      B("standard_dosing", cond="other_indications")),
    E("clopidogrel", "ba2450cd07",
      B("avoid", cond="pci_stroke_tia",
        alts=("prasugrel", "ticagrelor", "acetylsalicylic acid with dipyridamole"), concern="efficacy"),
      B("use_with_caution", "Measure how far clopidogrel inhibits platelet aggregation; in a poor responder "
        "consider prasugrel or ticagrelor.", cond="other_indications", concern="efficacy")),
    E("escitalopram", "1c222a3e06", B(
        "reduce_dose", "These maxima are 50% of the usual maximum dose.",
        doses=(D("daily", "lower", "10 mg/day", "at_most", when="adults under 65"),
               D("daily", "lower", "5 mg/day", "at_most", when="adults aged 65 or more")), concern="toxicity")),
    E("escitalopram", "bb13f4c674", B(
        "reduce_dose", "These maxima are 75% of the usual maximum dose.",
        doses=(D("daily", "lower", "15 mg/day", "at_most", when="adults under 65"),
               D("daily", "lower", "7.5 mg/day", "at_most", when="adults aged 65 or more")), concern="toxicity")),
    E("escitalopram", "c3fee2ceb5", B("avoid", alts=("paroxetine", "fluvoxamine"), concern="efficacy")),
    E("imipramine", "22fa77f6a4", B(
        "standard_dosing", "Imipramine levels fall, but not imipramine plus desipramine, which sets effect and "
        "side effects.")),
    E("imipramine", "b42369b682", B(
        "standard_dosing", "Imipramine levels rise, but not imipramine plus desipramine, which sets effect and "
        "side effects.")),
    E("imipramine", "3a3368bdb7", B(
        "reduce_dose", "Monitor effect and side effects (or levels of imipramine plus desipramine) to find the "
        "maintenance dose. The other option is to avoid imipramine.",
        doses=(D("any", "lower", "70%", "to"),), alts=("nortriptyline", "fluvoxamine", "mirtazapine"),
        alts_hedged=True, concern="toxicity")),
    E("lansoprazole", "274b5c3442", B(
        "standard_dosing", "Higher lansoprazole levels make it more effective without more side effects.")),
    E("lansoprazole", "a499a54bb1",
      B("increase_dose", "The patient should contact the doctor if dyspepsia persists.", cond="h_pylori",
        doses=(D("any", "higher", "4-fold", "to"),), concern="efficacy"),
      B("use_with_caution", _PPI_UM_OTHER, cond="other_indications",
        doses=(D("any", "higher", "4-fold", "to", hedged=True, when="if needed"),), concern="efficacy"),
      omit=("1", "2", "3")),
    E("omeprazole", "54b0639dd5", B(
        "standard_dosing", "Higher omeprazole levels make it more effective without more side effects.")),
    E("omeprazole", "89092d112b",
      B("increase_dose", "The patient should contact the doctor if dyspepsia persists.", cond="h_pylori",
        doses=(D("any", "higher", "3-fold", "to"),), concern="efficacy"),
      B("use_with_caution", _PPI_UM_OTHER, cond="other_indications",
        doses=(D("any", "higher", "3-fold", "to", hedged=True, when="if needed"),), concern="efficacy"),
      omit=("1", "2")),
    E("pantoprazole", "3eacef9014", B(
        "standard_dosing", "Higher pantoprazole levels make it more effective without more side effects.")),
    E("pantoprazole", "284d6d9af8",
      B("increase_dose", "The patient should contact the doctor if dyspepsia persists.", cond="h_pylori",
        doses=(D("any", "higher", "5-fold", "to"),), concern="efficacy"),
      B("use_with_caution", _PPI_UM_OTHER, cond="other_indications",
        doses=(D("any", "higher", "5-fold", "to", hedged=True, when="if needed"),), concern="efficacy"),
      omit=("1", "2", "3")),
    E("sertraline", "1a577712bb", B(
        "standard_dosing", "Negligible effect on sertraline levels; no effect on response or side effects found.")),
    E("sertraline", "799623e4d4", B(
        "standard_dosing", "Small effect on sertraline levels; no effect on side effects found.")),
    E("sertraline", "e61f41baa2", B(
        "reduce_dose", "Let response, side effects and/or the sertraline plasma level guide the dose.",
        doses=(D("daily", "lower", "75 mg/day", "at_most"),), concern="toxicity")),
    E("voriconazole", "33a395e49e", B("use_with_caution", "Monitor the voriconazole plasma level.")),
    E("voriconazole", "799135aa48", B(
        "increase_dose", "Monitor the voriconazole plasma level.",
        doses=(D("starting", "higher", "1.5 times", "to"),), concern="efficacy")),
    E("voriconazole", "9ac54349b7", B(
        "reduce_dose", "Monitor the voriconazole plasma level.", doses=(D("any", "lower", "50%", "to"),),
        concern="toxicity")),
    # --------------------------------------------------------------- CYP2C9
    E("phenytoin", "03c673140e", B(
        "reduce_dose", "Review the dose by effect and serum level after 7–10 days.", _PHT_ADE_ASIAN,
        doses=(D("loading", "standard"), D("maintenance", "lower", "40%", "to")), concern="toxicity"),
      omit=("1", "2", "3")),
    E("phenytoin", "38529617c2", B(
        "reduce_dose", "Review the dose by effect and serum level after 7–10 days.", _PHT_ADE,
        doses=(D("loading", "standard"), D("maintenance", "lower", "75%", "to")), concern="toxicity"),
      omit=("1", "2", "3")),
    E("phenytoin", "4034ac4b71", B(
        "reduce_dose", "Review the dose by effect and serum level after 7–10 days.", _PHT_ADE_ASIAN,
        doses=(D("loading", "standard"), D("maintenance", "lower", "75%", "to")), concern="toxicity"),
      omit=("1", "2", "3")),
    E("phenytoin", "58b5b22703", B(
        "reduce_dose", "Review the dose by effect and serum level after 7–10 days.", _PHT_ADE,
        doses=(D("loading", "standard"), D("maintenance", "lower", "40–50%", "to")), concern="toxicity"),
      omit=("1", "2", "3")),
    E("phenytoin", "843793ff5e", B(
        "reduce_dose", "Review the dose by effect and serum level after 7–10 days.", _PHT_ADE,
        doses=(D("loading", "standard"), D("maintenance", "lower", "50%", "to")), concern="toxicity"),
      omit=("1", "2", "3")),
    E("siponimod", "309a0c7abf", B(
        "reduce_dose", "Reconsider siponimod if the patient also takes a moderate CYP3A4 inducer such as "
        "modafinil: in a pharmacokinetic model it lowered siponimod exposure by 49% (shown for *1/*3).",
        doses=(D("maintenance", "lower", "50%", "to"),), concern="toxicity")),
    E("siponimod", "960bbcdfd6", B(
        "reduce_dose", "Reconsider siponimod if the patient also takes a moderate CYP3A4 inducer such as "
        "modafinil: in a pharmacokinetic model it lowered siponimod exposure by 49%.",
        doses=(D("maintenance", "lower", "50%", "to"),), concern="toxicity")),
    E("siponimod", "d001d232b0", B("avoid", concern="toxicity")),
    E("warfarin", "0bbee4d6da", B(
        "reduce_dose", _WARF_ALGO, doses=(D("starting", "lower", "65%", "to"),), concern="toxicity"),
      omit=("1",)),
    E("warfarin", "453906cebc", B(
        "reduce_dose", _WARF_ALGO, _WARF_OTHER, doses=(D("starting", "lower", "65%", "to"),), concern="toxicity"),
      omit=("1",)),
    E("warfarin", "0bfb6e8a5d", B(
        "reduce_dose", _WARF_ALGO, _WARF_OTHER, doses=(D("starting", "lower", "20%", "to"),), concern="toxicity"),
      omit=("1",)),
    E("warfarin", "6fe9ae623e", B(
        "reduce_dose", _WARF_ALGO, doses=(D("starting", "lower", "45%", "to"),), concern="toxicity"),
      omit=("1",)),
    E("warfarin", "e6a0bb0a5f", B(
        "reduce_dose", _WARF_ALGO, doses=(D("starting", "lower", "20%", "to"),), concern="toxicity"),
      omit=("1",)),
    # --------------------------------------------------------------- CYP2D6
    E("amitriptyline", "3ef92d2d98", B(
        "increase_dose", "Monitor effect and side effects or the plasma levels, and watch for the cardiotoxic "
        "Z-10-hydroxy metabolites (toxic above 40 ng/mL).",
        "If a higher dose is unwanted because of those metabolites, avoid amitriptyline.",
        doses=(D("any", "higher", "1.4 times", "to"),), alts=("citalopram", "sertraline"), alts_hedged=True,
        concern="efficacy"), omit=("1", "2", "10")),
    E("amitriptyline", "6945690e46", B(
        "reduce_dose", "Monitor effect and side effects or amitriptyline plus nortriptyline levels to set the "
        "maintenance dose.", doses=(D("any", "lower", "75%", "to"),), concern="toxicity")),
    E("amitriptyline", "b01ce2bc79", B(
        "reduce_dose", "Monitor effect and side effects or amitriptyline plus nortriptyline levels to set the "
        "maintenance dose.", doses=(D("any", "lower", "70%", "to"),), concern="toxicity")),
    E("aripiprazole", "10e194d4f5", B(
        "reduce_dose", "These maxima are 68–75% of the usual maximum dose.",
        doses=(D("daily", "lower", "10 mg/day", "at_most", when="oral"),
               D("maintenance", "lower", "300 mg/month", "at_most", when="depot")), concern="toxicity")),
    E("atomoxetine", "32e6da97f8", B(
        "use_with_caution", "Watch closely for a weaker effect; the patient should contact the doctor if it "
        "works poorly.", alts=("clonidine",), alts_hedged=True, concern="efficacy"), omit=("1", "2", "3")),
    E("atomoxetine", "7f35f9c287", B(
        "use_with_caution", "After lowering, check that the effect holds. Atomoxetine levels are 2–3 times those "
        "of normal metabolizers at the same dose.",
        doses=(D("any", "lower", when="if side effects occur or the response takes longer than 9 weeks"),),
        concern="toxicity"), omit=("1",)),
    E("atomoxetine", "ae2edb2b9c", B(
        "use_with_caution", "A higher dose will probably not be needed. The patient should report side effects "
        "(abdominal pain, constipation, dilated pupils, drowsiness, early waking, insomnia, irritability, "
        "itching, less appetite, vomiting). Levels are 8–11 times those of normal metabolizers at the "
        "same dose. After lowering, check that the effect holds.",
        doses=(D("starting", "standard"),
               D("any", "lower", when="if it works but causes side effects")), concern="toxicity"),
      omit=("1", "2", "3")),
    E("brexpiprazole", "ce3bcd1dd5", B("reduce_dose", doses=(D("any", "lower", "50%", "to"),),
                                       concern="toxicity")),
    E("clomipramine", "3357b1b85d", B(
        "reduce_dose", "Monitor effect and side effects or the plasma levels of clomipramine and "
        "desmethylclomipramine.", _CLOMI_TARGETS, doses=(D("any", "lower", "70%", "to"),), concern="toxicity")),
    E("clomipramine", "be49ac0b4d", B(
        "increase_dose", "Monitor effect and side effects or the plasma levels of clomipramine and "
        "desmethylclomipramine, to find the maintenance dose.", _CLOMI_TARGETS,
        "If a higher dose is unwanted because of cardiotoxic hydroxy metabolites, avoid clomipramine.",
        doses=(D("any", "higher", "1.5 times", "to"),), alts=("citalopram", "sertraline"), alts_hedged=True,
        concern="efficacy")),
    E("clomipramine", "705def0b7d",
      B("reduce_dose", "Monitor effect and side effects or the plasma levels to set the maintenance dose; target "
        "200–400 ng/mL for clomipramine plus desmethylclomipramine, above 600 ng/mL is toxic.",
        "If lowering the dose does not work, avoid clomipramine.", cond="depression",
        doses=(D("any", "lower", "50%", "to"),), alts=("citalopram", "sertraline"), alts_hedged=True,
        concern="toxicity"),
      B("use_with_caution", "Monitor effect and side effects or the plasma levels; it is unknown whether a "
        "lower dose removes the side effects while keeping the effect (both compounds cause side effects, only "
        "clomipramine works). Targets: anxiety about 100 ng/mL clomipramine with desmethylclomipramine below "
        "200 ng/mL; obsessive-compulsive disorder above 200 ng/mL with desmethylclomipramine kept low; a sum "
        "above 600 ng/mL is toxic and above 400 ng/mL exceeds the depression range.",
        "If lowering the dose does not work, avoid clomipramine.", cond="ocd_anxiety",
        doses=(D("any", "lower", "50%", "to", when="if side effects occur"),), alts=("citalopram", "sertraline"),
        alts_hedged=True, concern="toxicity")),
    E("codeine", "dea9e397f6",
      B("avoid", "Choose an alternative if possible. For pain: " + _OPIOID_2D6[0].lower() + _OPIOID_2D6[1:]
        + " For cough: noscapine does not "
        "depend on CYP2D6.", cond="codeine_high_dose", concern="toxicity"),
      B("standard_dosing", cond="codeine_low_dose")),
    E("codeine", "ed59a99f18",
      B("use_with_caution", "The evidence is too limited for a dose advice. Watch for a weaker effect; if it "
        "works poorly, try a higher dose, and if that fails choose an alternative. " + _OPIOID_2D6
        + " Without an alternative, the patient should report poor pain relief.", cond="pain",
        concern="efficacy"),
      B("standard_dosing", cond="cough"), omit=("1", "2", "3")),
    E("codeine", "f96b5fbee0",
      B("use_alternative", "The evidence is too limited for a dose advice. " + _OPIOID_2D6
        + " If no alternative is possible, the patient should report poor pain relief.", cond="pain",
        concern="efficacy"),
      B("standard_dosing", cond="cough"), omit=("1", "2")),
    E("doxepin", "3858fefdc7", B(
        "reduce_dose", "Monitor effect and side effects or the plasma levels to set the maintenance dose.",
        _DOX_RANGE, doses=(D("any", "lower", "80%", "to"),), concern="toxicity")),
    E("doxepin", "a77a67de04", B(
        "increase_dose", "Monitor effect and side effects or the plasma levels to set the maintenance dose.",
        _DOX_RANGE, "If a higher dose is unwanted because of cardiotoxic hydroxy metabolites, avoid doxepin.",
        doses=(D("any", "higher", "2 times", "to"),), alts=("citalopram", "sertraline"), alts_hedged=True,
        concern="efficacy")),
    E("doxepin", "a8a325d401", B(
        "reduce_dose", "Monitor effect and side effects or the plasma levels to set the maintenance dose.",
        _DOX_RANGE, doses=(D("any", "lower", "40%", "to"),), concern="toxicity")),
    E("eliglustat", "aed63980bb",
      B("use_with_caution", "Only without interacting co-medication; check the patient's medicines.",
        doses=(D("maintenance", "standard", "84 mg twice daily", "to"),)),
      B("use_with_caution",
        "With both a moderate-to-strong CYP2D6 inhibitor and a moderate-to-strong CYP3A inhibitor eliglustat "
        "is contraindicated (choose an alternative if possible). With a strong CYP2D6 inhibitor (bupropion, "
        "fluoxetine, paroxetine, quinidine) give 84 mg once daily; with a moderate one (cinacalcet, "
        "dronedarone, duloxetine, mirabegron, moclobemide, terbinafine) consider 84 mg once daily "
        "and watch for side effects. With a strong CYP3A inhibitor (clarithromycin, itraconazole, "
        "ketoconazole, posaconazole, ritonavir, voriconazole) choose an alternative if possible, else "
        "consider 84 mg once daily with monitoring; with a moderate one (ciprofloxacin, diltiazem, erythromycin, "
        "fluconazole, verapamil) choose an alternative, else consider 84 mg once daily. With a "
        "strong CYP3A inducer (carbamazepine, phenytoin, rifampicin, St John's wort) it is not advised: "
        "levels may be too low to work.", cond="interacting_comedication"),
      omit=("1", "2")),
    E("eliglustat", "31015c18f3",
      B("reduce_dose", "Only without a CYP3A inhibitor or a strong CYP3A inducer; check the patient's medicines.",
        doses=(D("daily", "lower", "84 mg once daily", "to"),)),
      B("use_alternative", _ELI_3A, cond="interacting_comedication"), omit=("1", "2")),
    E("eliglustat", "55f66b4580", B("avoid", "Choose an alternative if possible.", concern="efficacy")),
    E("flecainide", "2f40a05d77",
      B("reduce_dose", "Record an ECG and monitor the plasma level.", doses=(D("any", "lower", "75%", "to"),),
        concern="toxicity"),
      B("standard_dosing", "At 2.0 mg/kg (at most 150 mg) the test responds better in carriers of reduced-"
        "activity alleles: all 5 such patients and 20% of those with two fully active alleles responded "
        "within 30 minutes.", cond="brugada_test"), omit=("1",)),
    E("flecainide", "3a7dfe0238", B(
        "reduce_dose", "Record an ECG and monitor the plasma level.", doses=(D("any", "lower", "50%", "to"),),
        concern="toxicity"), omit=("1",)),
    E("flecainide", "8f8949869e", B(
        "use_with_caution", "No data exist for ultrarapid metabolizers: as a precaution monitor the plasma level "
        "and record an ECG, or choose an anti-arrhythmic with little or no CYP2D6 metabolism.",
        alts=("sotalol", "disopyramide", "quinidine", "amiodarone"), alts_hedged=True, concern="efficacy")),
    E("haloperidol", "4624f8c368", B("reduce_dose", doses=(D("any", "lower", "60%", "to"),),
                                     concern="toxicity")),
    E("haloperidol", "f23240cc60", B(
        "increase_dose", "Or choose an antipsychotic with little or no CYP2D6 metabolism.",
        doses=(D("any", "higher", "1.5 times", "to"),),
        alts=("flupentixol", "penfluridol", "quetiapine", "olanzapine", "clozapine"), alts_hedged=True,
        concern="efficacy")),
    E("imipramine", "24f12a1194", B(
        "reduce_dose", "Monitor effect and side effects or the plasma levels to set the maintenance dose.",
        _IMI_RANGE, doses=(D("any", "lower", "70%", "to"),), concern="toxicity")),
    E("imipramine", "7daf1e1c5e", B(
        "increase_dose", "Monitor effect and side effects or the plasma levels to set the maintenance dose.",
        "If a higher dose is unwanted because of cardiotoxic hydroxy metabolites, avoid imipramine.",
        doses=(D("any", "higher", "1.7 times", "to"),), alts=("citalopram", "sertraline"), alts_hedged=True,
        concern="efficacy")),
    E("imipramine", "d6515e68e0", B(
        "reduce_dose", "Monitor effect and side effects or the plasma levels to set the maintenance dose.",
        _IMI_RANGE, doses=(D("any", "lower", "30%", "to"),), concern="toxicity")),
    E("metoprolol", "42c26b82ac",
      B("reduce_dose", "Titrate in smaller steps.", cond="heart_rate_control",
        doses=(D("any", "lower", "50%", "at_most"),), concern="toxicity"),
      B("standard_dosing", cond="other_indications"), omit=("1",)),
    E("metoprolol", "f0430fddad",
      B("reduce_dose", "Titrate in smaller steps.", cond="heart_rate_control",
        doses=(D("any", "lower", "25%", "at_most"),), concern="toxicity"),
      B("standard_dosing", cond="other_indications"), omit=("1",)),
    E("metoprolol", "a9b4f0803e", B(
        "increase_dose", "Raise it by effect and side effects, or choose an alternative. Heart failure: bisoprolol (no CYP2D6, "
        "but renal elimination) or carvedilol (renal function does not matter, some CYP2D6). Other "
        "indications: atenolol or bisoprolol (neither uses CYP2D6).",
        doses=(D("target", "higher", "the maximum dose for the indication", "to"),
               D("any", "higher", "2.5 times", "at_most", when="if still too little effect")),
        alts=("bisoprolol", "carvedilol", "atenolol"), alts_hedged=True, concern="efficacy"),
      omit=("1", "2")),
    E("nortriptyline", "3b41de6ec2", B(
        "reduce_dose", "Monitor effect and side effects or the plasma level to set the maintenance dose.",
        _NOR_RANGE, doses=(D("any", "lower", "40%", "to"),), concern="toxicity")),
    E("nortriptyline", "6df982eb71", B(
        "increase_dose", "Monitor effect and side effects or the plasma level, and watch for the cardiotoxic "
        "metabolite Z-10-hydroxynortriptyline (toxic above 40 ng/mL).",
        "If a higher dose is unwanted because of that metabolite, avoid nortriptyline.",
        doses=(D("any", "higher", "1.7 times", "to"),), alts=("citalopram", "sertraline"), alts_hedged=True,
        concern="efficacy"), omit=("10",)),
    E("nortriptyline", "f117acf92c", B(
        "reduce_dose", "Monitor effect and side effects or the plasma level to set the maintenance dose.",
        _NOR_RANGE, doses=(D("any", "lower", "60%", "to"),), concern="toxicity")),
    E("paroxetine", "c7367485ad", B(
        "avoid", "The evidence is too limited for a dose advice.", alts=("citalopram", "sertraline"),
        concern="efficacy")),
    E("pimozide", "b6d2984d13", B(
        "reduce_dose", "These maxima are 50% of the usual maximum dose.",
        doses=(D("daily", "lower", "10 mg/day", "at_most", when="age 12 or older"),
               D("daily", "lower", "0.05 mg/kg per day, at most 2 mg/day", "at_most", when="under 12")),
        concern="toxicity")),
    E("pimozide", "fc32cef024", B(
        "reduce_dose", "These maxima are 80% of the usual maximum dose.",
        doses=(D("daily", "lower", "16 mg/day", "at_most", when="age 12 or older"),
               D("daily", "lower", "0.08 mg/kg per day, at most 3 mg/day", "at_most", when="under 12")),
        concern="toxicity")),
    E("propafenone", "385ec89ebd", B(
        "reduce_dose", "Record an ECG and monitor plasma levels.", doses=(D("any", "lower", "30%", "to"),),
        concern="toxicity")),
    E("propafenone", "c269e8d87c", B(
        "use_with_caution", "The evidence is too limited for a dose advice. Either set the dose by plasma levels, "
        "record an ECG and watch for side effects, or choose an anti-arrhythmic with little or no CYP2D6 "
        "metabolism.",
        alts=("sotalol", "disopyramide", "quinidine", "amiodarone"), alts_hedged=True, concern="toxicity"),
      omit=("1", "2")),
    E("propafenone", "e5b3d6fb0c", B(
        "use_with_caution", "The evidence is too limited for a dose advice. Either monitor plasma levels, record "
        "an ECG and watch for a weaker effect, or choose an anti-arrhythmic with little or no CYP2D6 "
        "metabolism.",
        alts=("sotalol", "disopyramide", "quinidine", "amiodarone"), alts_hedged=True, concern="efficacy"),
      omit=("1", "2")),
    E("risperidone", "1eac34233d", B(
        "reduce_dose", doses=(D("any", "lower", "67%", "to"),
                              D("any", "lower", "50%", "to", when="if troublesome central nervous system side "
                                "effects persist")), concern="toxicity")),
    E("risperidone", "e04c6cd8c9", B(
        "use_alternative", "Or titrate against the maximum dose of paliperidone (the active metabolite): "
        "12 mg/day orally (adults, and children from 15 years of at least 51 kg) or 6 mg/day (children from 15 years "
        "under 51 kg); intramuscular 75 mg every 2 weeks.", concern="efficacy")),
    E("tamoxifen", "2e5970119a", B(
        "use_alternative", "If tamoxifen is kept, avoid CYP2D6 inhibitors such as paroxetine and fluoxetine.",
        doses=(D("any", "higher", "1.5–2 times", "to", when="or measure the endoxifen level and, if needed"),),
        alts=("an aromatase inhibitor (post-menopausal women)",), concern="efficacy"), omit=("1", "2")),
    E("tamoxifen", "487ba587c1", B(
        "use_alternative", "With the higher dose, monitor the endoxifen level (poor metabolizers reached "
        "adequate levels at 40–60 mg/day).",
        doses=(D("daily", "higher", "40 mg/day", "to", when="or, instead"),),
        alts=("an aromatase inhibitor (post-menopausal women)",), concern="efficacy")),
    E("tramadol", "921c159a0a", B(
        "use_alternative", "A lower dose has an unpredictable effect, as the parent drug and its active "
        "metabolite change ratio. " + _OPIOID_2D6_C + " If no alternative is possible, the patient should report "
        "side effects (drowsiness, confusion, constipation, nausea and vomiting, breathing depression, urine "
        "retention).", doses=(D("any", "lower", "40%", "to", when="if no alternative is possible"),),
        concern="toxicity"), omit=("1", "2")),
    E("tramadol", "e9a9f6a7fe", B(
        "use_with_caution", "No dose advice is possible (the ratio of parent drug and active metabolite "
        "changes). Watch for a weaker effect; if it works poorly, try a higher dose, and if that fails choose an "
        "alternative. " + _OPIOID_2D6_C + " Without an alternative, the patient should report poor pain relief.",
        concern="efficacy"), omit=("1", "2", "3")),
    E("tramadol", "dbeb531ba2", B(
        "use_with_caution", "No dose advice is possible (the ratio of parent drug and active metabolite "
        "changes). Watch for a weaker effect; if it works poorly, try a higher dose, and if that fails choose an "
        "alternative. " + _OPIOID_2D6_C + " Without an alternative, the patient should report poor pain relief.",
        concern="efficacy"), omit=("1", "2", "3")),
    E("venlafaxine", "0474965302", B(
        "avoid", "The evidence is too limited for a dose advice. If it cannot be avoided and side effects occur, "
        "lower the dose and monitor effect and side effects or the levels of venlafaxine and "
        "O-desmethylvenlafaxine; it is unknown whether side effects can be removed while keeping the effect.",
        alts=("duloxetine", "mirtazapine", "citalopram", "sertraline"), concern="toxicity"), omit=("1", "2")),
    E("venlafaxine", "7c58916f07", B(
        "avoid", "The evidence is too limited for a dose advice. If it cannot be avoided and side effects occur, "
        "lower the dose and monitor effect and side effects or the levels of venlafaxine and "
        "O-desmethylvenlafaxine; it is unknown whether side effects can be removed while keeping the effect. "
        "A weaker effect in depression has also been seen.",
        alts=("duloxetine", "mirtazapine", "citalopram", "sertraline"), concern="toxicity"), omit=("1", "2")),
    E("venlafaxine", "0b663023e3", B(
        "increase_dose", "Watch for lower levels of venlafaxine plus O-desmethylvenlafaxine. If no dose gives an "
        "effect without unacceptable side effects, or levels cannot be monitored, avoid venlafaxine.",
        doses=(D("any", "higher", "150%", "to", hedged=True, when="if needed"),),
        alts=("duloxetine", "mirtazapine", "citalopram", "sertraline"), alts_hedged=True,
        concern="efficacy"), omit=("1", "2", "3")),
    E("zuclopenthixol", "33b886b8f0", B("reduce_dose", doses=(D("any", "lower", "75%", "to"),),
                                        concern="toxicity")),
    E("zuclopenthixol", "e5eb234db9", B("reduce_dose", doses=(D("any", "lower", "50%", "to"),),
                                        concern="toxicity")),
    E("zuclopenthixol", "93c9e137ba", B(
        "use_with_caution", "Too little information for a dose advice.",
        doses=(D("any", "higher", "1.5 times", "at_most", hedged=True, when="if the effect is too small"),),
        concern="efficacy")),
    # --------------------------------------------------------------- CYP3A4 / CYP3A5
    E("quetiapine", "981b07d44c",
      B("use_alternative", "Aripiprazole depends less on CYP3A4; olanzapine not at all.", cond="depression",
        alts=("aripiprazole", "olanzapine"), concern="toxicity"),
      B("reduce_dose", cond="other_indications", doses=(D("any", "lower", "30%", "to"),), concern="toxicity")),
    E("tacrolimus", "0fe0556f03",
      B("increase_dose", "The usual starting dose here is the one that would suit a non-expresser. Then adjust "
        "by therapeutic drug monitoring. In a Dutch study 29 kidney transplant "
        "patients who were heterozygous expressers had a median trough level of 14.7 ng/mL after 3 days on "
        "0.15 mg/kg twice daily (target 10–15 ng/mL).", cond="other_transplant",
        doses=(D("starting", "higher", "1.5 times", "to"),), concern="efficacy"),
      B("increase_dose", "Tacrolimus breakdown also depends on the genotype of the donor liver: only if the "
        "liver is also a heterozygous expresser; with a different liver genotype the evidence is too limited "
        "for a dose advice. Then adjust by therapeutic drug monitoring.", cond="liver_transplant",
        doses=(D("starting", "higher", "1.5 times", "to"),), concern="efficacy")),
    E("tacrolimus", "41b0776515",
      B("increase_dose", "The usual starting dose here is the one that would suit a non-expresser. Then adjust "
        "by therapeutic drug monitoring. In a Dutch study 5 homozygous kidney "
        "transplant patients had a median trough level of 9.4 ng/mL after 3 days on 0.15 mg/kg twice daily "
        "(target 10–15 ng/mL).", cond="other_transplant",
        doses=(D("starting", "higher", "2.5 times", "to"),), concern="efficacy"),
      B("increase_dose", "Tacrolimus breakdown also depends on the genotype of the donor liver: only if the "
        "liver is also a homozygous expresser; with a different liver genotype the evidence is too limited "
        "for a dose advice. Then adjust by therapeutic drug monitoring.", cond="liver_transplant",
        doses=(D("starting", "higher", "2.5 times", "to"),), concern="efficacy")),
    E("tacrolimus", "22c351c5fb",
      B("increase_dose", "Then adjust by therapeutic drug monitoring.", cond="other_transplant",
        doses=(D("starting", "higher", "1.75 times", "to"),), concern="efficacy"),
      B("increase_dose", "Only if the donor liver is also a heterozygous expresser; otherwise the evidence is "
        "too limited for a dose advice. Then adjust by therapeutic drug monitoring.", cond="liver_transplant",
        doses=(D("starting", "higher", "1.75 times", "to"),), concern="efficacy")),
    E("tacrolimus", "5e50fc732d",
      B("increase_dose", "Then adjust by therapeutic drug monitoring.", cond="other_transplant",
        doses=(D("starting", "higher", "2.5 times", "to"),), concern="efficacy"),
      B("increase_dose", "Only if the donor liver is also a homozygous expresser; otherwise the evidence is "
        "too limited for a dose advice. Then adjust by therapeutic drug monitoring.", cond="liver_transplant",
        doses=(D("starting", "higher", "2.5 times", "to"),), concern="efficacy")),
    # --------------------------------------------------------------- DPYD
    *(E(drug, fingerprint, branch, omit=omit) for drug in ("capecitabine", "fluorouracil")
      for fingerprint, branch, omit in _FLUOROPYRIMIDINES),
    E("fluorouracil", "268648bb72", B(
        "avoid", "Applies only with virtually no DPD activity. Two non-function variants (e.g. *2A and *13) on "
        "the same allele mean an activity score of 1, for which skin use carries no higher risk of severe "
        "toxicity; only measuring the enzyme activity tells the two apart.", cond="cutaneous",
        concern="toxicity", secondary=True), omit=("13",)),
    E("flucytosine", "dff87bd960", B("avoid", concern="toxicity")),
    E("flucytosine", "1a8ebbd6c2", B(
        "use_with_caution", "Watch for severe side effects (leukopenia, neutropenia, thrombocytopenia, "
        "diarrhoea), mostly in the first 2–3 weeks; stop flucytosine if they occur.", concern="toxicity")),
    E("tegafur", "511e8660a4", B(
        "avoid", "Fluorouracil and capecitabine are no alternatives (also broken down by DPD). If tegafur cannot "
        "be avoided, start very low and adjust by toxicity and effect; the literature supports no specific "
        "reduction.", doses=(D("starting", "lower", "a very low dose", "to", when="if it cannot be avoided"),),
        concern="toxicity")),
    E("tegafur", "609f6c82f1", B(
        "avoid", "Adjust that dose by toxicity and effect; the literature supports no "
        "specific reduction. Fluorouracil and capecitabine are no alternatives (also broken down by DPD).",
        doses=(D("starting", "lower", "a low dose", "to", when="or"),), concern="toxicity")),
    # --------------------------------------------------------------- TPMT / NUDT15
    E("azathioprine", "1b098bb51d", B(
        "use_alternative", _TOX_GUIDE, _MYELO,
        doses=(D("starting", "lower", "10%", "to", when="or, instead"),), concern="toxicity")),
    E("azathioprine", "d3cb0b94f8", B(
        "reduce_dose", _TOX_GUIDE, "No change is needed below 1.5 mg/kg per day (azathioprine) or 0.75 mg/kg "
        "per day (mercaptopurine). Lower further if the patient is also a NUDT15 intermediate or poor "
        "metabolizer.", cond="immunosuppression", doses=(D("starting", "lower", "50%", "to"),),
        concern="toxicity")),
    E("azathioprine", "44f640571d", B(
        "reduce_dose", _TOX_GUIDE, "The 50% follows from TPMT, whose variants have a similar effect; for NUDT15 "
        "below 70% was calculated, without data for an exact figure.", _TGN,
        "Lower further if the patient is also a TPMT intermediate or poor metabolizer.", cond="immunosuppression",
        doses=(D("starting", "lower", "50%", "to"),), concern="toxicity")),
    E("azathioprine", "5a5919886d", B(
        "avoid", "DPWG advises avoiding both azathioprine and mercaptopurine. With the lower dose, adjust "
        "by toxicity (blood counts) and effect, and tell the patient to seek care for signs of bone-marrow "
        "suppression (sore throat with fever, frequent nosebleeds, easy bruising). The 10% follows from TPMT; "
        "for NUDT15 poor metabolizers below 20% was calculated, without data for an exact figure.", _TGN,
        doses=(D("starting", "lower", "10%", "to", when="if it cannot be avoided"),), concern="toxicity"),
      omit=("6",)),
    E("mercaptopurine", "5a5919886d", B(
        "avoid", "DPWG advises avoiding both azathioprine and mercaptopurine. With the lower dose, adjust "
        "by toxicity (blood counts) and effect, and tell the patient to seek care for signs of bone-marrow "
        "suppression (sore throat with fever, frequent nosebleeds, easy bruising). The 10% follows from TPMT; "
        "for NUDT15 poor metabolizers below 20% was calculated, without data for an exact figure.", _TGN,
        doses=(D("starting", "lower", "10%", "to", when="if it cannot be avoided"),), concern="toxicity"),
      omit=("6",)),
    E("mercaptopurine", "ff44346f74", B(
        "use_alternative", _TOX_GUIDE, _MYELO,
        doses=(D("starting", "lower", "10%", "to", when="or, instead"),), concern="toxicity")),
    E("mercaptopurine", "b98c0f384a",
      B("reduce_dose", _TOX_GUIDE, "No change is needed below 1.5 mg/kg per day (azathioprine) or 0.75 mg/kg per "
        "day (mercaptopurine). Lower further if the patient is also a NUDT15 intermediate or poor metabolizer.",
        cond="immunosuppression", doses=(D("starting", "lower", "50%", "to"),), concern="toxicity"),
      B("reduce_dose", "Or start with the usual dose and lower to 50% if side effects require it; whether an "
        "early reduction keeps the same effect is unknown. " + _TOX_GUIDE + " Lower further if the patient is "
        "also a NUDT15 intermediate or poor metabolizer.", cond="leukaemia",
        doses=(D("starting", "lower", "50%", "to"),), concern="toxicity")),
    E("mercaptopurine", "bfc57033d3",
      B("reduce_dose", _TOX_GUIDE, "The 50% follows from TPMT, whose variants have a similar effect; for NUDT15 "
        "below 70% was calculated, without data for an exact figure.", _TGN,
        "Lower further if the patient is also a TPMT intermediate or poor metabolizer.", cond="immunosuppression",
        doses=(D("starting", "lower", "50%", "to"),), concern="toxicity"),
      B("reduce_dose", "Or start with the usual dose and lower to 50% if side effects require it; whether an "
        "early reduction keeps the same effect is unknown. " + _TOX_GUIDE + " Monitor more often. The 50% "
        "follows from TPMT; for NUDT15 below 70% was calculated.", _TGN, cond="leukaemia",
        doses=(D("starting", "lower", "50%", "to"),), concern="toxicity")),
    E("thioguanine", "82b6568e5e", B(
        "use_alternative", _TOX_GUIDE, "Monitor more often.", _MYELO,
        doses=(D("starting", "lower", "6–7%", "to", when="or, instead"),), concern="toxicity"),
      omit=("1", "2")),
    E("thioguanine", "3f1eea0b6e",
      B("reduce_dose", _TOX_GUIDE, "Monitor more often.", cond="immunosuppression",
        doses=(D("starting", "lower", "75%", "to"),), concern="toxicity"),
      B("reduce_dose", "Or start with the usual dose and lower to 75% if side effects require it; whether an "
        "early reduction keeps the same effect is unknown. " + _TOX_GUIDE + " Monitor more often. Lower further "
        "if the patient is also a NUDT15 intermediate metabolizer.", cond="leukaemia",
        doses=(D("starting", "lower", "75%", "to"),), concern="toxicity")),
    E("thioguanine", "35d655b518",
      B("reduce_dose", _TOX_GUIDE, "Monitor more often. The 75% follows from TPMT, whose variants have a "
        "similar effect.", _TGN, cond="immunosuppression", doses=(D("starting", "lower", "75%", "to"),),
        concern="toxicity"),
      B("reduce_dose", "Or start with the usual dose and lower to 75% if side effects require it; whether an "
        "early reduction keeps the same effect is unknown. " + _TOX_GUIDE + " Monitor more often. The 75% "
        "follows from TPMT.", _TGN, "Lower further if the patient is also a TPMT intermediate metabolizer.",
        cond="leukaemia", doses=(D("starting", "lower", "75%", "to"),), concern="toxicity"), omit=("6",)),
    E("thioguanine", "7209e36c75", B(
        "avoid", "With the lower dose, adjust by toxicity (blood counts) and effect, "
        "monitor more often and tell the patient to seek care for signs of bone-marrow suppression (sore throat "
        "with fever, frequent nosebleeds, easy bruising). The 10% follows from azathioprine, mercaptopurine and "
        "TPMT; for NUDT15 poor metabolizers below 20% was calculated for azathioprine and mercaptopurine.", _TGN,
        doses=(D("starting", "lower", "10%", "to", when="if it cannot be avoided"),), concern="toxicity"),
      omit=("6",)),
    # --------------------------------------------------------------- UGT1A1
    E("irinotecan", "1c010c7601", B(
        "reduce_dose", "If that is tolerated, the dose can be raised, guided by the neutrophil count.",
        doses=(D("starting", "lower", "70%", "to"),), concern="toxicity")),
    # --------------------------------------------------------------- F5 (not genotyped by pgxannot)
    E("hormonal contraceptives for systemic use", "aacbdaa16a",
      B("use_alternative", "Avoid contraceptives with oestrogens; prefer a non-hormonal method such as a copper "
        "IUD, or a progestogen-only method (depot injection, levonorgestrel IUD, etonogestrel implant).",
        cond="thrombosis_history", alts=("a copper IUD", "a progestogen-only method"), concern="toxicity"),
      B("use_with_caution", "The patient should avoid other thrombosis risk factors (obesity, smoking).",
        cond="other_indications", concern="toxicity"), omit=("1",)),
)
