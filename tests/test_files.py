"""pgxannot.files: the one JSON/TSV reader, atomic writer and folder digest."""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import hashlib
import json
import lzma
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgxannot.errors import KnowledgeBaseError, OutputError
from pgxannot.files import (
    atomic_writer,
    pretty_json,
    read_json,
    read_json_or,
    read_tsv,
    tree_digest,
    write_atomic,
)

TSV = "a\tb\nx\t1\ny\t\n"
ROWS = [{"a": "x", "b": "1"}, {"a": "y", "b": ""}]


@pytest.mark.parametrize("suffix,pack", [(".tsv", bytes), (".tsv.gz", gzip.compress), (".tsv.xz", lzma.compress)])
def test_read_tsv_plain_and_compressed(tmp_path, suffix, pack):
    p = tmp_path / f"t{suffix}"
    p.write_bytes(pack(TSV.encode()))
    assert read_tsv(p, error=KnowledgeBaseError) == ROWS


def test_read_tsv_quotes_as_text_when_asked(tmp_path):
    p = tmp_path / "t.tsv"
    p.write_text('a\tb\n"x\ty"\n', encoding="utf-8")
    assert read_tsv(p, error=KnowledgeBaseError, raw_quotes=True) == [{"a": '"x', "b": 'y"'}]
    assert read_tsv(p, error=KnowledgeBaseError) == [{"a": "x\ty", "b": None}]


@pytest.mark.parametrize("content,message", [
    (None, "CPIC table is missing"),
    (b"\xff\xfe\x00a", "CPIC table cannot be read"),
])
def test_read_tsv_errors_are_one_line_naming_the_file(tmp_path, content, message):
    p = tmp_path / "t.tsv"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(KnowledgeBaseError) as e:
        read_tsv(p, error=KnowledgeBaseError, what="CPIC table", hint="rebuild it")
    line = e.value.one_line()
    assert message in line and str(p) in line and "rebuild it" in line and "\n" not in line


def test_a_truncated_xz_table_is_an_error_not_a_traceback(tmp_path):
    p = tmp_path / "t.tsv.xz"
    p.write_bytes(lzma.compress(TSV.encode())[:-8])
    with pytest.raises(KnowledgeBaseError, match="cannot be read"):
        read_tsv(p, error=KnowledgeBaseError)


def test_read_json_and_its_errors(tmp_path):
    p = tmp_path / "m.json"
    p.write_text('{"version": "1"}', encoding="utf-8")
    assert read_json(p, error=OutputError) == {"version": "1"}
    assert read_json_or(p, None) == {"version": "1"}
    for text, message in ((None, "report is missing"), ("{no", "report is not valid JSON")):
        p.unlink(missing_ok=True)
        if text is not None:
            p.write_text(text, encoding="utf-8")
        with pytest.raises(OutputError, match=message):
            read_json(p, error=OutputError, what="report")
        assert read_json_or(p, {}) == {}


def test_atomic_writer_leaves_the_old_file_on_an_error(tmp_path):
    target = tmp_path / "out" / "calls.tsv"
    write_atomic(target, "old\n")
    with pytest.raises(RuntimeError), atomic_writer(target) as fh:
        fh.write("half of the new")
        raise RuntimeError("killed half-way")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in target.parent.iterdir()] == ["calls.tsv"]  # no temporary file left
    with atomic_writer(target, durable=False) as fh:
        fh.write("new\n")
    assert target.read_text(encoding="utf-8") == "new\n"


def test_atomic_writer_names_the_file_it_cannot_write(tmp_path):
    (tmp_path / "active").mkdir()  # a folder where the file goes: the rename fails
    with pytest.raises(OutputError) as e:
        write_atomic(tmp_path / "active", "v1\n")
    assert "active" in e.value.one_line()
    assert [p.name for p in tmp_path.iterdir()] == ["active"]


def _digest_by_hand(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def test_tree_digest_covers_tables_not_documentation_or_download_metadata(tmp_path):
    assert tree_digest(tmp_path / "none") is None
    assert tree_digest(tmp_path) is None
    (tmp_path / "genes").mkdir()
    (tmp_path / "genes" / "CYP2C19.json").write_bytes(b"{}")
    (tmp_path / "index.json").write_bytes(b"[1]")
    before = tree_digest(tmp_path)
    assert before == _digest_by_hand({"genes/CYP2C19.json": b"{}", "index.json": b"[1]"})
    (tmp_path / "SOURCES.md").write_text("how the tables were built")
    (tmp_path / "meta.json").write_text('{"tables_sha256": "..."}')
    assert tree_digest(tmp_path) == before
    (tmp_path / "genes" / "CYP2C19.json").write_bytes(b"{ }")
    assert tree_digest(tmp_path) != before


# --------------------------------------------------------------------------- pretty_json
def _stdlib(value):
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


def _outcome(fn, value):
    try:
        return ("text", fn(value))
    except (TypeError, ValueError) as exc:  # orjson's error is a TypeError too
        return ("error", type(exc).__name__ if not isinstance(exc, TypeError) else "TypeError")


_keys = st.one_of(st.text(st.characters(exclude_categories=())), st.integers(-3, 3), st.booleans(), st.none())
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(1e-12, 1e-3), st.floats(1e14, 1e18),
    st.text(st.characters(exclude_categories=())),  # lone surrogates and control characters included
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.tuples(inner, inner),
                            st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_values)
def test_pretty_json_is_the_standard_librarys_text_or_its_error(value):
    """Whatever the value: the same text as json.dumps(indent=2), or the same refusal."""
    assert _outcome(pretty_json, value) == _outcome(_stdlib, value)


@pytest.mark.parametrize("value", [
    1e-4, 9.999999999999999e-05, 1.5e-05, 1e-05, 3e-09, 1e-10, 1e15, 9999999999999998.0, 1e16, 1.2e17,
    -0.0, 0.0, float("nan"), float("inf"), 2**63, 2**64, -(2**63) - 1,
])
def test_pretty_json_at_the_edges_of_orjsons_float_band_and_integer_range(value):
    doc = {"a": [value, {"b": value}]}
    assert _outcome(pretty_json, doc) == _outcome(_stdlib, doc)


def test_pretty_json_refuses_what_the_standard_library_refuses():
    for bad in ({"x": float("nan")}, {"x": object()}, {"x": {1, 2}}):
        with pytest.raises((ValueError, TypeError)):
            pretty_json(bad)
    # types orjson would write but json refuses are still refused

    @dataclasses.dataclass
    class D:
        x: int = 1

    for bad in (D(), datetime.date(2026, 1, 1), uuid.uuid4()):
        with pytest.raises(TypeError):
            pretty_json({"x": bad})



def _check_bytes(text_of, bytes_of, value):
    """``bytes_of(value, newline=True)`` is ``text_of(value)`` and a newline, UTF-8 encoded,
    or a refusal where ``text_of`` refuses or the text has no UTF-8 form (a lone surrogate:
    a ValueError)."""
    want = _outcome(text_of, value)
    if want[0] == "error":
        assert _outcome(bytes_of, value)[0] == "error"
        return
    try:
        expected = (want[1] + "\n").encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(ValueError):
            bytes_of(value, newline=True)
        return
    assert bytes_of(value, newline=True) == expected
    assert bytes_of(value) == expected[:-1]


@settings(max_examples=200, deadline=None)
@given(_values)
def test_pretty_json_bytes_are_the_texts_utf8_with_the_newline_asked_for(value):
    """The JSON report's bytes: pretty_json's text and a newline, encoded; or the same refusal."""
    from pgxannot.files import pretty_json_bytes

    _check_bytes(pretty_json, pretty_json_bytes, value)


@settings(max_examples=200, deadline=None)
@given(_values)
def test_compact_json_bytes_are_the_standard_librarys_compact_text_or_its_error(value):
    """json_layout: compact: the bytes of json.dumps(separators=(",", ":")), or the same refusal."""
    from pgxannot.files import compact_json_bytes

    _check_bytes(lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False, allow_nan=False),
                 compact_json_bytes, value)
