"""Functions named by ``"pgxannot.module:function"``, imported when they are first called.

The CLI's table of subcommands and the knowledge-source registry name the functions they
run this way, so importing either loads nothing heavy: ``pgxannot --version`` and
``pgxannot --help`` read a few metadata files and never import the pipeline, numpy,
pandas or requests. Such a name is data, not an import statement:
``tests/test_architecture.py`` reads every one of them as an edge of the import graph, so
the layer rules and the cycle check cover them like any import.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import import_module
from typing import Any

# "pgxannot.kb.build.cpic:build": a pgxannot module, a colon, a function of it
REFERENCE = re.compile(r"^(pgxannot(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*)$")


def function(reference: str) -> Callable[..., Any]:
    """The function ``reference`` names (its module is imported on first use)."""
    m = REFERENCE.match(reference)
    if m is None:
        raise ValueError(f"not a 'pgxannot.module:function' reference: {reference!r}")
    target: object = getattr(import_module(m.group(1)), m.group(2))
    if not callable(target):
        raise TypeError(f"{reference} is not a function")
    return target


def call(reference: str, /, *args: Any, **kwargs: Any) -> Any:
    """Call the function ``reference`` names with ``args`` and ``kwargs``."""
    return function(reference)(*args, **kwargs)
