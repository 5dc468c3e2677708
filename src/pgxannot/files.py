"""The files pgxannot reads and writes, one way each.

- :func:`read_json` / :func:`read_json_or` and :func:`read_tsv`: every table and metadata
  file of the knowledge base, and the reports the cohort page and ``pgxannot diff`` read.
  A missing or unreadable file becomes one :class:`~pgxannot.errors.PgxannotError` line
  naming the file (the caller says which error class and what to do).
- :func:`write_atomic` / :func:`atomic_writer`: every output (reports, the effective config,
  the cohort table, ``kb/<source>/active``) is written to a temporary file in its folder and
  renamed into place, so a reader sees the old file or the complete new one, never half.
- :func:`tree_digest`: the sha256 of a folder of tables (``kb status``, ``kb update``).
- :func:`pretty_json`: the indented JSON text of a report, byte for byte what
  ``json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)`` gives, written by
  orjson's compiled encoder where that is provably the same text.

A base module: it imports nothing of pgxannot but :mod:`pgxannot.errors`.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import lzma
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import orjson

from pgxannot.errors import OutputError, PgxannotError

# Files in a table folder that are not tables: documentation, and the metadata of a download
# (it records the digest of the tables, so it cannot be part of it).
_NOT_TABLES_SUFFIXES = (".md",)
_NOT_TABLES_NAMES = ("meta.json",)


# --------------------------------------------------------------------------- reading
def read_json(path: Path, *, error: type[PgxannotError], what: str = "file",
              hint: str | None = None) -> Any:
    """The JSON value in ``path``; ``error`` (one line naming the file) when it is missing,
    unreadable or not JSON. ``what`` names the file in the message ("CPIC version file")."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} is missing", path=path, hint=hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{what} cannot be read ({_reason(exc)})", path=path, hint=hint) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise error(f"{what} is not valid JSON ({exc})", path=path, hint=hint) from None


def read_json_or(path: Path, default: Any) -> Any:
    """The JSON value in ``path``, or ``default`` when the file is missing, unreadable or not
    JSON (for what may be absent: status lines, a previous report, a download's state)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return default


def read_tsv(path: Path, *, error: type[PgxannotError], what: str = "table", hint: str | None = None,
             raw_quotes: bool = False) -> list[dict[str, str]]:
    """The rows of a tab-separated table with a header line, as dicts by column name.

    ``.xz`` and ``.gz`` files are decompressed (by suffix). ``raw_quotes`` reads quote
    characters as text (source releases whose free text holds stray quotes).
    """
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} is missing", path=path, hint=hint)
    try:
        raw = path.read_bytes()
        if path.suffix == ".xz":
            raw = lzma.decompress(raw)
        elif path.suffix == ".gz":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except (OSError, EOFError, lzma.LZMAError, UnicodeDecodeError) as exc:
        raise error(f"{what} cannot be read ({_reason(exc)})", path=path, hint=hint) from None
    if raw_quotes:
        return list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc)


# --------------------------------------------------------------------------- JSON text
# Scalars orjson writes exactly as the standard library does (its floats only in a band, below).
_EXACT_SCALARS = frozenset({str, int, bool, type(None)})
# Floats whose shortest repr both encoders write alike: orjson switches to exponent notation
# below 1e-5 and writes 'e-6' where Python writes 'e-06' and '1.5e-05' for 0.000015; from
# 1e-4 up to 1e16 (and at 0) the two agree (tests/test_files.py checks the band both ways).
_FLOAT_LOW, _FLOAT_HIGH = 1e-4, 1e16


def orjson_writes_alike(value: Any) -> bool:
    """Whether orjson's text of ``value`` is the standard library's: plain dicts, lists,
    tuples, exact scalars and finite floats in the shared band; anything else (NaN, a
    subclass, an object json would refuse) goes to the standard library."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        v = pop()
        t = type(v)
        if t in _EXACT_SCALARS:
            continue
        if t is dict:
            extend(v.values())
        elif t is list or t is tuple:
            extend(v)
        elif t is float:
            if v != 0.0 and not _FLOAT_LOW <= abs(v) < _FLOAT_HIGH:
                return False
        else:
            return False
    return True


def pretty_json(value: Any, *, alike: bool | None = None) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)``, about 6x faster.

    With an indent the standard library uses its pure-Python encoder (18 ms for a 770 KB
    report); orjson's ``OPT_INDENT_2`` has the same layout. It is used only when the value
    holds nothing it writes differently (:func:`orjson_writes_alike`) and it accepts the
    value (string keys, 64-bit integers, valid UTF-8); otherwise the standard library
    writes it, or raises its own ``ValueError``/``TypeError``. ``alike``: the result of
    :func:`orjson_writes_alike` for ``value`` when the caller has it already.
    """
    got = _orjson_pretty(value, alike, 0)
    return got.decode("utf-8") if got is not None else json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


def pretty_json_bytes(value: Any, *, alike: bool | None = None, newline: bool = False) -> bytes:
    """:func:`pretty_json` as UTF-8 bytes (orjson writes bytes: no text made in between),
    with a final newline when ``newline``. A text that has no UTF-8 form (a lone surrogate)
    raises ``UnicodeEncodeError``, a ``ValueError``."""
    got = _orjson_pretty(value, alike, orjson.OPT_APPEND_NEWLINE if newline else 0)
    if got is not None:
        return got
    return (json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + ("\n" if newline else "")).encode("utf-8")


def compact_json_bytes(value: Any, *, alike: bool | None = None, newline: bool = False) -> bytes:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)`` as
    UTF-8 bytes (by orjson when it writes the same, as :func:`pretty_json`), with a final
    newline when ``newline``."""
    got = _orjson_pretty(value, alike, orjson.OPT_APPEND_NEWLINE if newline else 0, indent=False)
    if got is not None:
        return got
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (text + ("\n" if newline else "")).encode("utf-8")


def _orjson_pretty(value: Any, alike: bool | None, option: int, *, indent: bool = True) -> bytes | None:
    """orjson's bytes of ``value`` (indented, or compact) when they are the standard
    library's, else None."""
    if orjson_writes_alike(value) if alike is None else alike:
        with contextlib.suppress(orjson.JSONEncodeError):
            return orjson.dumps(value, option=(orjson.OPT_INDENT_2 if indent else 0) | option)
    return None


# --------------------------------------------------------------------------- writing
@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], *, durable: bool = True) -> Iterator[TextIO]:
    """A text file (UTF-8, ``\\n`` newlines) that appears at ``path`` complete or not at all.

    What is written goes to a temporary file ``.NAME.XXXX.tmp`` in the same folder (created
    when missing); when the ``with`` block ends without an exception it is flushed (and, when
    ``durable``, fsynced with its folder) and renamed over ``path`` with :func:`os.replace`.
    On an exception the temporary file is removed and ``path`` is left as it was. An
    :class:`OSError` becomes an :class:`~pgxannot.errors.OutputError` naming ``path``.
    """
    target = Path(path)
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {_reason(exc)}", path=folder,
                          hint="choose a writable output folder") from None
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o666 & ~_umask())
        os.replace(tmp_name, target)
        tmp_name = None
        if durable:
            fsync_dir(folder)
    except OSError as exc:
        raise OutputError(f"cannot write the file: {_reason(exc)}", path=target,
                          hint="check that the folder is writable and the disk is not full") from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def write_atomic(path: str | os.PathLike[str], text: str, *, durable: bool = True) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_writer`); returns the path."""
    with atomic_writer(path, durable=durable) as fh:
        fh.write(text)
    return Path(path)


def fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------- digests
def tree_digest(folder: Path) -> str | None:
    """sha256 (hex) over the tables below ``folder``: each file's path relative to it and the
    sha256 of its bytes, in path order. Documentation (``*.md``) and a download's
    ``meta.json`` are not tables and are left out. None when the folder holds no table."""
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix not in _NOT_TABLES_SUFFIXES
                   and p.name not in _NOT_TABLES_NAMES)
    h = hashlib.sha256()
    for p in files:
        h.update(str(p.relative_to(folder)).encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest() if files else None
