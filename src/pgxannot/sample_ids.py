"""Sample ids and the names of the files written for them.

A VCF allows almost any sample id: anything but a tab or a line break, so ids such as
``LAB 2024/001``, ``P1<i>`` or ``Müller-07`` (LIMS exports) are ordinary. Output files
need names that are safe on every file system, in a shell and in a URL, and that cannot
point anywhere else (``../``):

* an id that is already safe (letters, digits, ``.``, ``_``, ``-``; starting with a letter
  or digit; at most 128 characters) is its own file name, so ``results/reports/BC-001.html``
  keeps its name;
* any other id gets a readable slug, ``~`` and the first 8 hex digits of the sha256 of the
  id: ``LAB 2024/001`` -> ``LAB_2024_001~6f1d0c83``.

``~`` never occurs in a safe id, so no hashed name equals a safe id, and two ids with the
same slug (``LAB 2024/001`` and ``LAB_2024/001``) differ in their hash. The workflow
writes the mapping to ``results/work/sample_files.tsv``; every report shows the original id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
HASH_SEPARATOR = "~"
HASH_DIGITS = 8
SLUG_MAX = 48
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")


def is_safe(sample: str) -> bool:
    """True when ``sample`` can be used as a file name as it is."""
    return SAFE_ID.fullmatch(sample) is not None


def slug(sample: str) -> str:
    """A readable, file-safe form of ``sample``: accents dropped, every run of other
    characters one ``_``, no leading or trailing ``.``, ``_``, ``-`` (no hidden files, no
    option-like names); ``sample`` when nothing readable is left."""
    ascii_text = unicodedata.normalize("NFKD", sample).encode("ascii", "ignore").decode("ascii")
    text = _UNSAFE_RUN.sub("_", ascii_text).strip("._-")
    return text[:SLUG_MAX].rstrip("._-") or "sample"


def short_hash(sample: str) -> str:
    return hashlib.sha256(sample.encode("utf-8")).hexdigest()[:HASH_DIGITS]


def file_stem(sample: str) -> str:
    """The name (without extension) of every file written for ``sample``."""
    if is_safe(sample):
        return sample
    return f"{slug(sample)}{HASH_SEPARATOR}{short_hash(sample)}"
