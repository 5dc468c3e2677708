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
