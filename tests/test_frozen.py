"""pgxannot.frozen: values registered as never changed, with what consumers derive from them."""

from __future__ import annotations

from pgxannot import frozen


def test_derived_data_is_kept_by_identity_and_the_store_is_bounded(monkeypatch):
    monkeypatch.setattr(frozen, "LIMIT", 3)
    frozen._store.clear()
    a = frozen.freeze({"drug": "a"})
    assert frozen.derived(a) == {} and frozen.derived({"drug": "a"}) is None  # an equal value is not it
    frozen.derived(a)["key"] = "k"
    assert frozen.freeze(a) is a and frozen.derived(a) == {"key": "k"}  # registering again keeps it
    others = [frozen.freeze({"drug": str(i)}) for i in range(5)]
    assert len(frozen._store) <= 3
    assert frozen.derived(a) is None  # cleared when full: nothing derived, never a wrong value
    assert frozen.derived(others[-1]) == {}
