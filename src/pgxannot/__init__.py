"""pgxannot: pharmacogenomic and clinical-risk annotation of VCFs into clinician reports."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pgxannot")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

from pgxannot.errors import PgxannotError

__all__ = ["PgxannotError", "__version__"]
