"""Session-wide fixtures.

``shared_data`` points at ``../shared/data`` (reference data beside a source
checkout). A user's clone has none: tests that need it take the fixture and are
skipped with the reason stated.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pgxannot.paths import shared_data_dir

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
