"""Shared HTML fragments (report.html): a drug's view and row, and a gene's appendix block, are made
once per distinct content and reused across patients. Reuse must never change a byte of any page."""

from __future__ import annotations

import copy
import json

import pytest
import report_fixtures as fx

from pgxannot.report import common as html
from pgxannot.report.html import render_html


def _fresh(report) -> str:
    """The page as it is rendered with nothing shared (an empty fragment store)."""
    html._fragments.clear()
    return render_html(report)


def test_a_page_is_the_same_whatever_was_rendered_before():
    reports = fx.all_reports()
    alone = [_fresh(r) for r in reports]
    html._fragments.clear()
    for r in reports:  # warm the store with every other report, then render each again
        render_html(r)
    assert [render_html(r) for r in reversed(reports)] == list(reversed(alone))
    assert html._fragments, "nothing was shared: the store is not used"


def test_a_changed_drug_entry_or_gene_call_is_never_served_from_an_earlier_patient():
    first = fx.pgx_report()
    render_html(first)
    second = copy.deepcopy(first)
    second["sample"] = "OTHER"
    drug = next(d for d in second["drugs"] if d.get("recommendation"))
    drug["recommendation"] = "A changed recommendation seen only in the second report."
    gene = next(g for g in second["genes"] if g.get("diplotypes"))
    gene["diplotypes"] = ["*9/*9"]
    page = render_html(second)
    assert page == _fresh(second)
    assert "A changed recommendation seen only in the second report." in page
    assert "*9/*9" in page


def test_key_order_is_part_of_the_content():
    """Two entries with the same fields in another order are different content (the view follows the order)."""
    a = {"x": 1, "y": 2}
    b = {"y": 2, "x": 1}
    assert html.content_key(a) != html.content_key(b)


@pytest.mark.parametrize("bad", [float("nan"), object()])
def test_a_part_without_json_text_is_rendered_but_not_shared(bad):
    report = fx.pgx_report()
    report["drugs"][0]["odd"] = bad
    assert html.content_key(report["drugs"][0]) is None
    html._fragments.clear()
    page = render_html(report)
    assert report["drugs"][0]["drug"] in page
    assert not any(k[0] == "drug" and k[1] is None for k in html._fragments)


def test_the_store_is_bounded(monkeypatch):
    monkeypatch.setattr(html, "FRAGMENT_CACHE_SIZE", 5)
    html._fragments.clear()
    for r in fx.all_reports():
        render_html(r)
        assert len(html._fragments) <= 5


def test_bundled_examples_render_the_same_shared_or_alone(example_reports):
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(example_reports.glob("*.json"))
            if not p.name.endswith(".fhir.json")]
    assert len(docs) == 4
    alone = [_fresh(d) for d in docs]
    html._fragments.clear()
    shared = [render_html(d) for d in docs + docs][len(docs):]
    assert shared == alone
    for d, page in zip(docs, alone, strict=True):
        assert (example_reports / f"{d['sample']}.html").read_text(encoding="utf-8") == page


# --------------------------------------------------------------------------- TSV rows, validation, unchanged()
def test_tsv_is_the_same_whatever_was_rendered_before():
    from pgxannot.report import render_tsv

    reports = fx.all_reports()
    alone = []
    for r in reports:
        html._fragments.clear()
        alone.append(render_tsv(r))
    html._fragments.clear()
    for r in reports:
        render_tsv(r)
    assert [render_tsv(r) for r in reversed(reports)] == list(reversed(alone))
    other = copy.deepcopy(reports[0])
    other["sample"] = "OTHER"
    other["drugs"][0]["recommendation"] = "Changed for the other patient only."
    text = render_tsv(other)
    assert "Changed for the other patient only." in text and "\nOTHER\t" in text
    assert "Changed for the other patient only." not in render_tsv(reports[0])


def test_a_drug_entry_is_validated_once_but_an_invalid_one_always_fails():
    from pgxannot.errors import OutputError
    from pgxannot.report import validate_report

    good = fx.pgx_report()
    html._fragments.clear()
    validate_report(good)
    assert any(k[0] == "valid_drug" for k in html._fragments)
    bad = copy.deepcopy(good)
    bad["drugs"][1]["action"] = "take_twice"
    for _ in range(2):  # an invalid entry is never remembered as checked
        with pytest.raises(OutputError, match=r"\$\.drugs\[1\]\.action"):
            validate_report(bad)
    validate_report(good)


def test_unchanged_computes_a_parts_key_once_and_only_inside_the_block(monkeypatch):
    calls = []
    real = html._json_key
    monkeypatch.setattr(html, "_json_key", lambda v: calls.append(1) or real(v))
    part = {"drug": "x", "n": 1}
    with html.unchanged():
        assert html.content_key(part) == html.content_key(part) == '{"drug":"x","n":1}'
        with html.unchanged():  # nested: its own keys, the outer ones back after it
            html.content_key(part)
        html.content_key(part)
    assert len(calls) == 2
    part["n"] = 2  # outside the block a changed part gets its new key
    assert html.content_key(part) == '{"drug":"x","n":2}'


def _compact(v) -> str:
    return json.dumps(v, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def test_keys_inside_a_reports_block_are_the_standard_librarys_text():
    """Inside unchanged(report) the keys come from orjson when the report allows it; they
    must be the standard library's compact text, byte for byte, so a part gets one key
    whichever encoder wrote it."""
    for report in fx.all_reports():
        parts = [*report["drugs"], *report["genes"]]
        with html.unchanged(report):
            assert html.known_alike(report) is True
            inside = [html.content_key(p) for p in parts]
        assert inside == [_compact(p) for p in parts]
        assert html.known_alike(report) is None  # only inside its block


@pytest.mark.parametrize("odd", [float("nan"), float("inf"), 1e-07, 2**70])
def test_a_report_holding_what_orjson_writes_differently_keys_by_the_standard_library(odd):
    """A NaN would be orjson's null (the key of a None) and a tiny float would be spelt
    otherwise: such a report's parts are keyed by json.dumps (a NaN part not at all); an
    integer orjson refuses (over 64 bits) falls back to json.dumps part by part."""
    report = copy.deepcopy(fx.all_reports()[0])
    report["drugs"][0]["dose_change_percent"] = odd
    with html.unchanged(report):
        assert html.known_alike(report) is isinstance(odd, int)
        key = html.content_key(report["drugs"][0])
    if odd != odd or odd == float("inf"):
        assert key is None
    else:
        assert key == _compact(report["drugs"][0])


def test_a_frozen_drug_entry_is_checked_and_keyed_once_across_reports(monkeypatch):
    """Drug entries the guidance shares (pgxannot.frozen) are the same object in many
    reports: their orjson check and key are made once per process; any other part is
    keyed afresh in each report's block, so a changed one gets its new key."""
    from pgxannot import files, frozen

    seen = []
    real = files.orjson_writes_alike
    monkeypatch.setattr(html, "orjson_writes_alike", lambda v: seen.append(id(v)) or real(v))
    shared_entry = frozen.freeze({"drug": "codeine", "action": "avoid", "n": 1})
    own = {"drug": "tramadol", "action": "standard_dosing"}
    reports = [{"sample": s, "drugs": [shared_entry, own], "genes": []} for s in ("A", "B", "C")]
    keys = []
    for i, r in enumerate(reports):
        own["n"] = i  # an unfrozen part may differ between reports
        with html.unchanged(r):
            keys.append((html.content_key(shared_entry), html.content_key(own)))
    assert seen.count(id(shared_entry)) == 1 and seen.count(id(own)) == 3
    assert {k[0] for k in keys} == {_compact(shared_entry)}
    assert [k[1] for k in keys] == [_compact({**own, "n": i}) for i in range(3)]
    assert frozen.derived(shared_entry)["key"] == _compact(shared_entry) and frozen.derived(own) is None
