"""Where the bundled workflow and knowledge base live.

In an installed wheel they are package data under ``pgxannot/_workflow``; in a
source checkout (editable install or ``PYTHONPATH=src``) they are the repository's
top-level ``Snakefile``, ``workflow/``, ``config.yaml``, ``resources/`` and
``examples/``. Code never hard-codes either: it asks :func:`bundled_root`.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def bundled_root() -> Path:
    """The folder holding ``Snakefile``, ``workflow/``, ``config.yaml`` and ``resources/``."""
    installed = _PACKAGE_DIR / "_workflow"
    if (installed / "Snakefile").is_file():
        return installed
    checkout = _PACKAGE_DIR.parents[1]
    if (checkout / "Snakefile").is_file() and (checkout / "resources").is_dir():
        return checkout
    raise FileNotFoundError(
        "the bundled workflow is missing from this installation; reinstall pgxannot "
        "(pip install --force-reinstall pgxannot)"
    )


def resources_dir() -> Path:
    """The bundled knowledge base (derived tables)."""
    return bundled_root() / "resources"


def default_resources() -> Path:
    """The bundled ``resources/``; in a source checkout whose workflow files are not in place
    yet (building the tables), the checkout's ``resources/``."""
    try:
        return resources_dir()
    except FileNotFoundError:
        return _PACKAGE_DIR.parents[1] / "resources"


def shared_data_dir() -> Path | None:
    """``../shared/data`` beside a source checkout (reference data for builds and tests).

    ``PGXANNOT_SHARED_DATA`` overrides the location. Returns None when absent: a user's
    installation has no shared data and nothing but build scripts and tests need it.
    """
    env = os.environ.get("PGXANNOT_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(_PACKAGE_DIR.parents[2] / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None
