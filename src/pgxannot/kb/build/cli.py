"""The command line of a table builder (``python -m pgxannot.kb.build.<source>``), written once.

``--source`` defaults to ``../shared/data/<source>``, ``--out`` to ``resources/<source>``;
``--with-text`` keeps the guideline's own text (never for bundling). The build's info is
printed as JSON on stdout, its warnings (if any) one per line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pgxannot.errors import KnowledgeBaseError
from pgxannot.paths import resources_dir, shared_data_dir

Build = Callable[..., Mapping[str, Any]]  # build(source, out, *, include_text) -> info


def _default_out(source: str) -> Path:
    try:
        return resources_dir() / source
    except FileNotFoundError:  # source checkout before the workflow files exist
        return Path(__file__).resolve().parents[4] / "resources" / source


def builder_main(source: str, build: Build, argv: list[str] | None, *, label: str, description: str) -> int:
    """Parse a builder's arguments, build, print the info; the exit status."""
    ap = argparse.ArgumentParser(prog=f"python -m pgxannot.kb.build.{source}", description=description)
    ap.add_argument("--source", type=Path, help=f"{label} source folder (default ../shared/data/{source})")
    ap.add_argument("--out", type=Path, help=f"output folder (default resources/{source})")
    ap.add_argument("--with-text", action="store_true", help=f"keep {label}'s recommendation text (not for bundling)")
    args = ap.parse_args(argv)
    src = args.source
    if src is None:
        shared = shared_data_dir()
        if shared is None:
            print("error: ../shared/data is absent; pass --source", file=sys.stderr)
            return 2
        src = shared / source
    try:
        info = build(src, args.out or _default_out(source), include_text=args.with_text)
    except KnowledgeBaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    for w in info.get("warnings") or ():
        print(f"warning: {w}", file=sys.stderr)
    print(json.dumps({k: v for k, v in info.items() if k != "warnings"}, indent=1, sort_keys=True))
    return 0
