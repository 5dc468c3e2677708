"""Values their maker never changes once made, such as the drug entries the guidance shares
between patients: what a consumer derives from one (its JSON text, whether orjson writes
it as the standard library does) may be kept by the value's identity and reused.

The store holds each value, so its id is never reused while it is a key; it is bounded
(cleared when full: a value registered again starts with nothing derived).
"""

from __future__ import annotations

from typing import Any, TypeVar

LIMIT = 10_000
_store: dict[int, tuple[Any, dict[str, Any]]] = {}
_T = TypeVar("_T")


def freeze(value: _T) -> _T:
    """Register ``value`` as never to be changed by anyone; returns it."""
    if id(value) not in _store:
        if len(_store) >= LIMIT:
            _store.clear()
        _store[id(value)] = (value, {})
    return value


def derived(value: Any) -> dict[str, Any] | None:
    """What consumers derived from a frozen ``value`` so far (a dict to add to), or None when
    ``value`` is not frozen."""
    hit = _store.get(id(value))
    return hit[1] if hit is not None and hit[0] is value else None
