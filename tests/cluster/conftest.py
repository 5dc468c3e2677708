"""``slurm_cluster``: a real single-node SLURM cluster for the session (see slurm_fixture.py).

Skipped with the reason stated when SLURM/MUNGE are not installed or the tests do not run
as root, except on CI (``CI=true``), where that is a failure: CI installs them with
``scripts/ci_slurm_setup.sh``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from slurm_fixture import LocalSlurm, missing_binaries, unavailable


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[LocalSlurm]:
    missing = missing_binaries()
    if missing:
        unavailable(
            f"SLURM/MUNGE not installed (missing {', '.join(missing)}; "
            "Debian: apt-get install slurm-wlm munge)"
        )
    if os.geteuid() != 0:
        unavailable("the local SLURM cluster needs root (slurmd launches the jobs)")
    # short path: munge socket paths must fit in a UNIX socket address (108 bytes)
    root = Path(tempfile.mkdtemp(prefix="pgxslurm."))
    cluster = LocalSlurm(root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
