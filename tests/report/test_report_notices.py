"""Knowledge-base age notices (#15: the bundled CIViC is from 2021-08-01 and the report did not say so)."""

from __future__ import annotations

import pytest

from pgxannot.report.notices import knowledge_base_notices, release_date, sources_used

VERSIONS = {"civic": {"version": "2021-08-01"}, "clinvar": {"version": "2026-07 (panel extract)"},
            "cpic": {"version": "v1.54.0"}, "pgx_definitions": {"version": "2025-11-05"}}


def test_old_civic_gets_a_notice_naming_the_update_command():
    notes = knowledge_base_notices(VERSIONS, generated_at="2026-01-01T00:00:00Z", used=["civic", "cpic"])
    assert [n["source"] for n in notes] == ["civic"]
    assert "2021-08-01" in notes[0]["text"] and "Run pgxannot kb update civic" in notes[0]["text"]
    assert notes[0]["age_years"] == pytest.approx(4.4, abs=0.1)


@pytest.mark.parametrize(("generated", "expected"), [
    ("2023-07-31T00:00:00Z", []),            # 729 days: not yet two years
    ("2023-08-02T00:00:00Z", ["civic"]),     # 731 days
    ("not a time", []),
])
def test_two_year_boundary(generated, expected):
    notes = knowledge_base_notices(VERSIONS, generated_at=generated, used=["civic"])
    assert [n["source"] for n in notes] == expected


def test_only_used_sources_and_only_dated_versions():
    assert knowledge_base_notices(VERSIONS, generated_at="2030-01-01T00:00:00Z", used=["cpic"]) == []
    used = sources_used({"germline": True, "somatic": False, "copy_number": False})
    assert "civic" not in used and "clinvar" in used
    assert "civic" in sources_used({"copy_number": True})
    assert release_date("2026-07 (ACMG SF v3.2 + PAH panel extract)").isoformat() == "2026-07-01"
    assert release_date("v1.54.0") is None
