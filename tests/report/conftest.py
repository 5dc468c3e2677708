"""Fixtures of the report tests: one run of the bundled example for the slow end-to-end checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="session")
def example_reports(tmp_path_factory) -> Path:
    """``results/reports`` of ``pgxannot run --cores 2`` on the bundled example (pinned time)."""
    work = tmp_path_factory.mktemp("example-run")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    proc = subprocess.run([sys.executable, "-m", "pgxannot", "run", "--cores", "2"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work / "results" / "reports"
