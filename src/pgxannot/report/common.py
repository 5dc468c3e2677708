"""Shared vocabulary of the renderers: action order, labels, traffic lights.

Renderers read the report dict and never recompute a call; these helpers only
order and word what the dict already says, tolerating absent optional fields.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from pgxannot.files import compact_json_bytes, orjson_writes_alike
from pgxannot.frozen import derived
from pgxannot.vocabulary import LIGHT_LABELS, light_of_action

STATUS_LABELS: dict[str, str] = {
    "called": "Called",
    "ambiguous": "Ambiguous",
    "not_called": "Not called",
    "outside_call": "Outside call",
}
SOURCE_LABELS: dict[str, str] = {
    "vcf": "VCF",
    "outside_call": "Outside call",
    "none": "—",
}
CATEGORY_LABELS: dict[str, str] = {
    "germline": "Germline",
    "somatic": "Somatic",
    "copy_number": "Copy number",
}


def light_of(drug: Mapping[str, Any]) -> str:
    """The drug's traffic light as the dict states it (else implied by its action)."""
    light = drug.get("traffic_light")
    if light in LIGHT_LABELS:
        return str(light)
    return light_of_action(drug.get("action"))


def is_actionable(drug: Mapping[str, Any]) -> bool:
    """Red or amber: the genotype changes what to do with this drug."""
    return light_of(drug) in ("red", "amber")


def yes(value: Any) -> bool:
    """Sample-sheet style booleans: True/'yes'/'true'/'1'."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "1", "y")
    return bool(value)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A report field that should be an object, or an empty one when it is absent or malformed."""
    return value if isinstance(value, Mapping) else {}


def text(value: Any) -> str:
    """One display string for a scalar, list or mapping (None -> '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(text(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def safe_href(url: Any) -> str | None:
    """``url`` when it is an https link a clinician may click, else None.

    Only ``https://`` is linked (no javascript:, data:, http: or relative paths);
    anything else is shown as plain text by the caller.
    """
    if not isinstance(url, str):
        return None
    u = url.strip()
    if not u.lower().startswith("https://") or any(c in u for c in "\"'<>` \t\r\n\\"):
        return None
    return u


def unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for it in items:
        seen.setdefault(it, None)
    return list(seen)


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested provenance as (dotted key, display value) rows, in dict order."""
    if isinstance(value, Mapping):
        rows: list[tuple[str, str]] = []
        for k, v in value.items():
            rows.extend(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return rows
    if isinstance(value, list | tuple) and any(isinstance(v, Mapping | list | tuple) for v in value):
        rows = []
        for i, v in enumerate(value):
            rows.extend(flatten(v, f"{prefix}[{i}]"))
        return rows
    return [(prefix, text(value))]


# Parts of a report shared by patients (most patients of a cohort share most of their drug entries
# and gene calls): what a renderer makes of such a part (the HTML view of a drug, its table row, a
# gene's appendix block, a drug's TSV rows) is made once per distinct content and reused.
# The key is the part's exact JSON text (key order included, which the view follows); a part
# that has no JSON text (a NaN, an object) is not shared. What is shared is never changed once made.
FRAGMENT_CACHE_SIZE = 10_000  # entries; a 500-patient chunk of the synthetic cohort makes ~4,800 (~50 MB)
_fragments: dict[tuple[Any, ...], Any] = {}
_T = TypeVar("_T")


_fixed: dict[int, tuple[Any, str | None]] | None = None  # id -> (part, key), inside unchanged()
# inside unchanged(report): the report, and whether orjson writes it as the standard library does
_block: tuple[Any, bool] | None = None


def _compact_key(value: Any, alike: bool) -> str | None:
    try:
        return compact_json_bytes(value, alike=alike).decode("utf-8")
    except (TypeError, ValueError):  # no JSON text (NaN, an object) or no UTF-8 form
        return None


def _json_key(value: Any) -> str | None:
    return _compact_key(value, _block is not None and _block[1])


def content_key(value: Any) -> str | None:
    """The exact content of a report part as compact JSON text (``json.dumps`` with
    ``separators=(",", ":")``), or None when it has none.

    Inside :func:`unchanged` a part's key is computed once for every renderer that asks, by
    orjson when the block's report holds nothing orjson writes differently (then its text
    is the standard library's, byte for byte)."""
    if _fixed is None:
        return _json_key(value)
    hit = _fixed.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    key = _json_key(value)
    _fixed[id(value)] = (value, key)
    return key


def known_alike(report: Any) -> bool | None:
    """Inside ``unchanged(report)``: whether orjson writes ``report`` as the standard library
    does (:func:`pgxannot.files.orjson_writes_alike`, computed once); None for any other value."""
    return _block[1] if _block is not None and _block[0] is report else None


@contextlib.contextmanager
def unchanged(report: Mapping[str, Any] | None = None) -> Iterator[None]:
    """A block in which the caller changes no report part it validates or renders (the
    pipeline's validate-and-render step): each part's content key is computed once, not by
    every renderer. The parts are held until the block ends, so an id is never reused.

    Given the ``report`` whose parts the block renders, the report is checked once for
    anything orjson writes differently from the standard library; when it holds nothing of
    the kind, its parts' keys and its JSON text are written by orjson."""
    global _fixed, _block
    before = _fixed, _block
    _fixed = {}
    _block = (report, _report_alike(report, _fixed)) if report is not None else None
    try:
        yield
    finally:
        _fixed, _block = before


def _report_alike(report: Mapping[str, Any], keys: dict[int, tuple[Any, str | None]]) -> bool:
    """:func:`orjson_writes_alike` of ``report``; a drug entry the guidance froze (shared by
    patients) is checked, and its key made, once per process, and its key is put in ``keys``."""
    drugs = report.get("drugs")
    if type(drugs) is not list:
        return orjson_writes_alike(report)
    alike = True
    for x in drugs:
        got = derived(x)
        if got is None:
            alike = orjson_writes_alike(x) and alike
            continue
        if "alike" not in got:
            got["alike"] = orjson_writes_alike(x)
            got["key"] = _compact_key(x, got["alike"])
        keys[id(x)] = (x, got["key"])
        alike = got["alike"] and alike
    return alike and orjson_writes_alike({k: v for k, v in report.items() if k != "drugs"})


def shared(key: tuple[Any, ...], make: Callable[[], _T]) -> _T:
    """``make()``, once per ``key`` (a key holding None is never shared)."""
    if any(k is None for k in key):
        return make()
    hit = _fragments.get(key)
    if hit is None:
        if len(_fragments) >= FRAGMENT_CACHE_SIZE:
            _fragments.clear()
        hit = _fragments[key] = make()
    return hit
