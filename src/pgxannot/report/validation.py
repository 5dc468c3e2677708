"""The JSON Schema of the per-sample report and its validation.

The schema ships as package data (``report/schema/report.schema.json``, JSON Schema
draft 2020-12). Its required fields are the contract's minimum; optional fields are
typed when present so a renderer can rely on them.
"""

from __future__ import annotations

import json
from functools import cache, partial
from importlib.resources import files
from typing import Any

import fastjsonschema

from pgxannot.errors import OutputError
from pgxannot.report.common import content_key, shared

SCHEMA_RESOURCE = ("schema", "report.schema.json")


def schema_text() -> str:
    """The report JSON Schema exactly as shipped."""
    return files("pgxannot.report").joinpath(*SCHEMA_RESOURCE).read_text(encoding="utf-8")


REPORT_SCHEMA: dict[str, Any] = json.loads(schema_text())


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(REPORT_SCHEMA)
    return Draft202012Validator(REPORT_SCHEMA)


@cache
def _fast_validator() -> Any | None:
    """A compiled validator (fastjsonschema, ~30x faster) for the common case of a valid report."""
    try:
        # compile() rewrites $refs in place: give it a copy, REPORT_SCHEMA stays as shipped
        return fastjsonschema.compile(json.loads(schema_text()))
    except Exception:  # a schema feature it does not support: jsonschema alone then
        return None


@cache
def _fast_parts() -> tuple[Any, Any] | None:
    """The compiled schema in two parts: the report with each drug entry left unchecked, and
    one drug entry (``$defs/drug``), so a drug entry many patients share is checked once."""
    rest = json.loads(schema_text())
    drugs = rest["properties"]["drugs"]
    rest["properties"]["drugs"] = {k: v for k, v in drugs.items() if k != "items"}
    base = json.loads(schema_text())
    drug = {"$schema": base.get("$schema"), "$defs": base["$defs"], **base["$defs"]["drug"]}
    try:
        return fastjsonschema.compile(rest), fastjsonschema.compile(drug)
    except Exception:  # a schema feature it does not support: the whole-report validator then
        return None


def _fast_check(d: Any) -> None:
    """The compiled validator's verdict on ``d``: each distinct drug entry checked once
    (:func:`pgxannot.report.common.shared`), the rest of the report every time."""
    parts = _fast_parts()
    if parts is None or not isinstance(d, dict) or not isinstance(d.get("drugs"), list):
        fast = _fast_validator()
        if fast is None:
            raise _NoFastValidator
        fast(d)
        return
    rest, drug = parts
    rest(d)
    for x in d["drugs"]:
        shared(("valid_drug", content_key(x)), partial(_checked, drug, x))


def _checked(validate: Any, x: Any) -> bool:
    validate(x)
    return True


class _NoFastValidator(Exception):
    pass


def json_path(path: Any) -> str:
    """``deque(['genes', 2, 'status'])`` -> ``$.genes[2].status``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_report(d: Any) -> None:
    """Raise :class:`OutputError` naming the JSON path of the first problem, if any.

    "First" is deterministic: the error whose path sorts first (document order of
    list indexes, then key names).
    """
    fast_message: str | None
    try:
        _fast_check(d)
        return
    except _NoFastValidator:
        fast_message = None
    except fastjsonschema.JsonSchemaException as exc:
        fast_message = str(exc)
    errors = list(_validator().iter_errors(d))
    if not errors:
        if fast_message is None:
            return
        raise OutputError(f"report does not match the report schema: {_short(fast_message)}",
                          hint="this is a bug in the stage that assembled the report; please report it")
    first = min(errors, key=lambda e: ([str(p).zfill(8) if isinstance(p, int) else str(p)
                                        for p in e.absolute_path], e.message))
    where = json_path(first.absolute_path)
    sample = d.get("sample") if isinstance(d, dict) else None
    raise OutputError(
        f"report{' of ' + repr(sample) if isinstance(sample, str) else ''} does not match the "
        f"report schema: {_short(first.message)}",
        where=where,
        hint="this is a bug in the stage that assembled the report; please report it",
    )


def _short(message: str, limit: int = 160) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"
