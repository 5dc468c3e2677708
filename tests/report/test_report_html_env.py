"""The HTML environment's attribute lookup (report.html._Environment): ``x.name`` on a plain
dict must give exactly what Jinja2's own lookup gives, for every dict and name."""

from __future__ import annotations

import jinja2
from hypothesis import given
from hypothesis import strategies as st

from pgxannot.report.html import _Environment, environment

_NAMES = st.sampled_from(["items", "keys", "get", "__class__", "__len__", "drug", "action", "", "x y", "é"])
_VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=3))


def _same(a, b) -> bool:
    if isinstance(a, jinja2.Undefined) or isinstance(b, jinja2.Undefined):
        return type(a) is type(b) and a._undefined_name == b._undefined_name and a._undefined_obj is b._undefined_obj
    return a == b


@given(st.dictionaries(_NAMES, _VALUES, max_size=5), _NAMES)
def test_attribute_lookup_is_jinjas_on_every_dict(d, name):
    ours = _Environment(undefined=jinja2.StrictUndefined)
    theirs = jinja2.Environment(undefined=jinja2.StrictUndefined)
    assert _same(ours.getattr(d, name), theirs.getattr(d, name))

    class Sub(dict):  # not a plain dict: Jinja2's own path
        drug = "attribute"

    s = Sub(d)
    assert _same(ours.getattr(s, name), theirs.getattr(s, name))


def test_templates_read_keys_and_dict_methods_as_before():
    env = environment()
    t = env.from_string("{{ d.drug }}|{{ d['items'] }}|{{ d.items() | list | length }}")
    assert t.render(d={"drug": "codeine", "items": "k"}) == "codeine|k|2"
    try:
        env.from_string("{{ d.missing }}").render(d={})
    except jinja2.UndefinedError as exc:  # StrictUndefined still names what is missing
        assert "missing" in str(exc)
    else:
        raise AssertionError("a missing key rendered")


_ACTION = st.sampled_from(["avoid", "use_alternative", "reduce_dose", "standard_dosing", "not_assessable",
                           "no_recommendation", "use_with_caution", "monitor", "unknown_action"])


@given(st.lists(st.fixed_dictionaries({
    "action": _ACTION, "conditional": st.booleans(), "current": st.booleans(),
    "drug": st.sampled_from(["a", "B", "c", "d"]), "reason": st.sampled_from([None, "", "r1", "r2"]),
    "recommendation": st.sampled_from([None, "x"]), "light": st.just("grey")}), max_size=12))
def test_drug_groups_put_every_drug_in_its_one_group_in_order(drugs):
    """Each drug lands in the group of its action (conditional avoid/alternative apart), the
    groups in the vocabulary's order, current medications first and then by name within a
    group; nothing is lost or repeated."""
    from pgxannot.report import html

    real = html.drug_row_html
    html.drug_row_html = lambda x, dense=False: ""  # the grouping is what is checked here
    try:
        groups = html.drug_groups([dict(d) for d in drugs])
    finally:
        html.drug_row_html = real
    order = [*html.ACTIONS[:html.ACTIONS.index("use_with_caution") + 1], "conditional",
             *html.ACTIONS[html.ACTIONS.index("use_with_caution") + 1:], "other"]
    assert [g["action"] for g in groups] == [k for k in order if k in {html._group_key(d) for d in drugs}]
    for g in groups:
        assert {html._group_key(x) for x in g["drugs"]} == {g["action"]}
        assert g["drugs"] == sorted(g["drugs"], key=lambda x: (not x["current"], x["drug"].lower()))
    assert sorted(map(repr, (x for g in groups for x in g["drugs"]))) == sorted(map(repr, drugs))
