"""JSON and TSV renderers: deterministic, faithful, flat."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
import report_fixtures as fx

from pgxannot.errors import OutputError
from pgxannot.report import TSV_COLUMNS, render_json, render_tsv


@pytest.mark.parametrize("make", [fx.pgx_report, fx.tumour_report, fx.sparse_report])
def test_json_is_deterministic_and_round_trips(make):
    a, b = render_json(make()), render_json(make())
    assert a == b
    assert a.endswith("}\n") and not a.endswith("\n\n")
    assert json.loads(a) == make()


def test_json_keeps_contract_order_not_sorted_keys():
    d = fx.pgx_report()
    shuffled = dict(reversed(list(d.items())))
    out = json.loads(render_json(shuffled))
    assert list(out)[:4] == ["sample", "patient", "genes", "drugs"]
    assert list(out)[-1] == "provenance"
    # nested order is kept as assembled (contract fields first in GeneCall.to_dict)
    assert list(out["genes"][0])[:3] == ["gene", "status", "diplotypes"]


def test_json_keeps_unicode_and_refuses_nan():
    d = fx.sparse_report()
    d["limitations"] = ["Activity score ≥ 1.5 – “quoted”"]
    assert "≥ 1.5 – “quoted”" in render_json(d)
    d["findings"] = [{"copy_number": float("nan")}]
    with pytest.raises(OutputError):
        render_json(d)


def _parse_tsv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))


def test_tsv_has_fixed_columns_and_one_row_per_item():
    d = fx.pgx_report()
    text = render_tsv(d)
    assert text == render_tsv(fx.pgx_report())
    header = text.splitlines()[0].split("\t")
    assert tuple(header) == TSV_COLUMNS
    rows = _parse_tsv(text)
    assert len(rows) == len(d["genes"]) + len(d["drugs"]) + len(d["findings"])
    assert [r["section"] for r in rows].count("gene") == 7
    assert all(len(line.split("\t")) == len(TSV_COLUMNS) for line in text.splitlines())
    slco = next(r for r in rows if r["gene"] == "SLCO1B1" and r["section"] == "gene")
    assert slco["diplotypes"] == "*1/*15; *5/*37" and slco["status"] == "ambiguous"
    cital = next(r for r in rows if r["drug"] == "citalopram")
    assert cital["dose_change_percent"] == "-50"
    tpmt = next(r for r in rows if r["gene"] == "TPMT")
    assert tpmt["missing_positions"] == "3"
    clop = next(r for r in rows if r["drug"] == "clopidogrel")
    assert (clop["status"], clop["traffic_light"], clop["current_medication"]) == ("use_alternative", "red", "yes")
    brca = next(r for r in rows if r["section"] == "finding")
    assert (brca["variant"], brca["stars"], brca["high_risk"]) == ("chr13:32340300:GT:G", "3", "yes")


def test_tsv_flattens_tabs_and_newlines_in_text():
    d = copy.deepcopy(fx.pgx_report())
    d["drugs"][0]["recommendation"] = "line one\nline\ttwo"
    rows = _parse_tsv(render_tsv(d))
    assert next(r for r in rows if r["drug"] == "clopidogrel")["recommendation"] == "line one line two"


def test_tsv_of_empty_report_is_just_the_header():
    d = fx.sparse_report()
    d["genes"] = []
    assert render_tsv(d) == "\t".join(TSV_COLUMNS) + "\n"
