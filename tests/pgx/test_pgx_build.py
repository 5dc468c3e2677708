"""The derived tables are reproducible and small."""

from __future__ import annotations

from pgxannot.kb.build.pgx import build
from pgxannot.kb.pgx import pgx_resources


def test_build_is_deterministic_and_matches_bundle(shared_data, tmp_path):
    written = build(shared_data, tmp_path)["files"]
    bundled = pgx_resources()
    assert len(written) == 24
    for p in written:
        rel = p.relative_to(tmp_path)
        assert p.stat().st_size < 1_000_000
        assert p.read_bytes() == (bundled / rel).read_bytes(), f"{rel} differs: rerun python -m pgxannot.kb.build.pgx"
