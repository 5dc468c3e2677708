"""Session-wide fixtures.

``shared_data`` points at ``../shared/data`` (reference data beside a source
checkout). A user's clone has none: tests that need it take the fixture and are
skipped with the reason stated.

Hypothesis: under CI (``CI`` set; ``.ci/run`` sets it) the properties run derandomized,
the same examples every run, so a landing never depends on the draw; elsewhere each run
draws new examples (a failure found so is a bug to fix, with its example as a test).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from pgxannot.paths import shared_data_dir

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

TESTS_DIR = Path(__file__).resolve().parent
DATA_DIR = TESTS_DIR / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("reference data ../shared/data is absent (only a source checkout beside shared/ has it)")
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR
