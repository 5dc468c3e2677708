"""One vocabulary: the report schema, the builder's table and the engine agree with it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgxannot import vocabulary as v

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "src/pgxannot/report/schema/report.schema.json").read_text(encoding="utf-8"))
DEFS = SCHEMA["$defs"]


def test_every_action_has_one_label_and_one_light():
    assert set(v.ACTION_LABELS) == set(v.ACTIONS)
    assert set(v.ACTION_LIGHT) == set(v.ACTIONS)
    assert set(v.ACTION_LIGHT.values()) <= set(v.LIGHTS)
    assert set(v.LIGHT_LABELS) == set(v.LIGHTS)
    assert len(set(v.ACTIONS)) == len(v.ACTIONS)
    assert set(v.ROW_ACTIONS) | set(v.PATIENT_ACTIONS) == set(v.ACTIONS)


def test_report_schema_action_enum_is_the_vocabulary():
    enum = DEFS["drug"]["properties"]["action"]["enum"]
    assert sorted(enum) == sorted(v.ACTIONS)


@pytest.mark.parametrize(("path", "values"), [
    (("dose_step", "kind"), v.DOSE_KINDS),
    (("dose_step", "direction"), v.DIRECTIONS),
    (("dose_step", "relation"), (*v.RELATIONS, None)),
    (("recommendation", "action"), v.ROW_ACTIONS),
    (("recommendation", "condition"), (*v.CONDITIONS, None)),
    (("recommendation", "strength"), (*v.STRENGTHS, None)),
    (("recommendation", "concern"), (*v.CONCERNS, None)),
])
def test_report_schema_structure_enums_are_the_vocabulary(path, values):
    enum = DEFS[path[0]]["properties"][path[1]]["enum"]
    assert sorted(map(str, enum)) == sorted(map(str, values))


def test_every_label_table_is_complete():
    assert set(v.DOSE_KIND_LABELS) == set(v.DOSE_KINDS)
    assert set(v.DIRECTION_LABELS) == set(v.DIRECTIONS)
    assert set(v.STRENGTH_LABELS) == set(v.STRENGTHS)
    assert set(v.CONCERN_LABELS) == set(v.CONCERNS)
    assert {c.kind for c in v.CONDITIONS.values()} <= set(v.CONDITION_KINDS)
    assert set(v.DRUG_INDICATIONS.values()) <= set(v.CONDITIONS)
    assert {c for c in v.CPIC_POPULATIONS.values() if c} <= set(v.CONDITIONS)


def test_bundled_rows_use_row_actions_only():
    with open(ROOT / "resources/cpic/recommendations.tsv", encoding="utf-8") as fh:
        used = {r["action"] for r in csv.DictReader(fh, delimiter="\t")}
    assert used <= set(v.ROW_ACTIONS)


def test_rank_orders_unknown_last():
    assert [v.action_rank(a) for a in v.ACTIONS] == list(range(len(v.ACTIONS)))
    assert v.action_rank("something else") == len(v.ACTIONS)
    assert v.light_of_action("something else") == "grey"


@pytest.mark.parametrize("action", v.ACTIONS)
@pytest.mark.parametrize("applicability", v.APPLICABILITY)
def test_lights_uncertain_never_green_conditional_never_red(action, applicability):
    light = v.light_for(action, applicability=applicability)
    if action in ("clinical_judgement", "not_assessable", "not_available", "no_recommendation"):
        assert light == "grey"
    if applicability == "conditional":
        assert light != "red"
    else:
        assert light == v.light_of_action(action)


def test_conditional_avoid_is_amber():
    assert v.light_for("avoid", applicability="conditional") == "amber"
    assert v.light_for("use_alternative", applicability="conditional") == "amber"
    assert v.light_for("standard_dosing", applicability="conditional") == "green"


@pytest.mark.parametrize(("text", "code"), [
    ("CF", "cystic_fibrosis"), ("Cystic  fibrosis", "cystic_fibrosis"), ("cystic_fibrosis", "cystic_fibrosis"),
    ("ACS", "acs_pci"), ("acute coronary syndrome", "acs_pci"), ("CVI ACS PCI ", "acs_pci"),
    ("stroke", "neurovascular"), ("child >40kg_adult", "adults_children_over_40kg"), ("influenza", None),
])
def test_condition_aliases(text, code):
    assert v.condition_code(text) == code


def test_cpic_populations_map_and_unknown_population_is_noticed():
    for pop, code in v.CPIC_POPULATIONS.items():
        assert v.population_code(pop + " ") == code
    assert v.population_code(None) is None
    with pytest.raises(KeyError, match="unknown CPIC population"):
        v.population_code("astronauts")


def test_every_cpic_population_of_the_release_is_known(shared_data):
    with open(shared_data / "cpic/recommendations/cpic_recommendations_v1.54.0.tsv", encoding="utf-8") as fh:
        pops = {r["population"] for r in csv.DictReader(fh, delimiter="\t")}
    for pop in pops:
        code = v.population_code(pop)
        assert code is None or code in v.CONDITIONS


def test_unknown_values_are_refused():
    with pytest.raises(ValueError, match="unknown action"):
        v.Recommendation("maybe")
    with pytest.raises(ValueError, match="unknown dose kind"):
        v.DoseStep("bolus", "lower")
    with pytest.raises(ValueError, match="unknown condition"):
        v.Recommendation("avoid", condition="flu")


def test_single_percent_is_the_dose_change_percent():
    rec = v.Recommendation("reduce_dose", doses=(
        v.DoseStep("loading", "standard"), v.DoseStep("maintenance", "lower", "50%", "by")))
    assert rec.dose_change_percent == 50
    ranged = v.Recommendation("reduce_dose", doses=(v.DoseStep("starting", "lower", "30–80%", "to"),))
    assert ranged.dose_change_percent is None


def test_hedge_from_wording_or_strength():
    assert v.is_hedged(v.Recommendation("reduce_dose", hedged=True))
    assert v.is_hedged(v.Recommendation("standard_dosing", strength="Optional"))
    assert not v.is_hedged(v.Recommendation("standard_dosing", strength="Strong"))


_words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_steps = st.builds(v.DoseStep, kind=st.sampled_from(v.DOSE_KINDS), direction=st.sampled_from(v.DIRECTIONS),
                   amount=st.none() | _words.filter(bool), relation=st.none() | st.sampled_from(v.RELATIONS),
                   hedged=st.booleans(), when=st.none() | _words.filter(bool))
_recs = st.builds(
    v.Recommendation, action=st.sampled_from(v.ROW_ACTIONS), hedged=st.booleans(),
    doses=st.lists(_steps, max_size=3).map(tuple), alternatives=st.lists(_words, max_size=3).map(tuple),
    alternatives_hedged=st.booleans(), notes=st.lists(_words, max_size=3).map(tuple),
    condition=st.none() | st.sampled_from(tuple(v.CONDITIONS)), strength=st.none() | st.sampled_from(v.STRENGTHS),
    concern=st.none() | st.sampled_from(v.CONCERNS), numbers=st.lists(_words, max_size=3).map(tuple))


@given(_recs)
def test_structure_round_trips_through_table_columns_and_json(rec):
    cols = rec.to_columns()
    assert set(cols) == set(v.STRUCTURE_COLUMNS)
    assert all("\t" not in c and "\n" not in c for c in cols.values() if not c.startswith("["))
    assert v.Recommendation.from_columns(cols) == rec
    assert v.Recommendation.from_dict(json.loads(json.dumps(rec.to_dict()))) == rec
