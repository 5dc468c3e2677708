"""One action vocabulary: the report schema, the builder's table and the engine agree with it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pgxannot import vocabulary as v

ROOT = Path(__file__).resolve().parents[1]


def test_every_action_has_one_label_and_one_light():
    assert set(v.ACTION_LABELS) == set(v.ACTIONS)
    assert set(v.ACTION_LIGHT) == set(v.ACTIONS)
    assert set(v.ACTION_LIGHT.values()) <= set(v.LIGHTS)
    assert set(v.LIGHT_LABELS) == set(v.LIGHTS)
    assert len(set(v.ACTIONS)) == len(v.ACTIONS)


def test_report_schema_action_enum_is_the_vocabulary():
    schema = json.loads((ROOT / "src/pgxannot/report/schema/report.schema.json").read_text())
    enum = schema["$defs"]["drug"]["properties"]["action"]["enum"]
    assert sorted(enum) == sorted(v.ACTIONS)


def test_bundled_rows_use_row_actions_only():
    with open(ROOT / "resources/cpic/recommendations.tsv", encoding="utf-8") as fh:
        used = {r["action"] for r in csv.DictReader(fh, delimiter="\t")}
    assert used <= set(v.ROW_ACTIONS)


def test_rank_orders_unknown_last():
    assert [v.action_rank(a) for a in v.ACTIONS] == list(range(len(v.ACTIONS)))
    assert v.action_rank("something else") == len(v.ACTIONS)
    assert v.light_of_action("something else") == "grey"
