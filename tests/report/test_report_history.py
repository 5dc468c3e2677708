"""The report history (results/history/): a hard link to the JSON report just written, so a
rerun's "changed since" compares with the last report's text without the report being
written twice."""

from __future__ import annotations

import json
import os

import pytest

from pgxannot.files import write_atomic
from pgxannot.report.history import compare_history, history_path, link_history


def _report(tmp_path, text):
    outdir = tmp_path / "results" / "reports"
    return write_atomic(outdir / "P1.json", text), outdir


def test_history_keeps_the_old_text_when_the_report_is_rewritten(tmp_path):
    report, outdir = _report(tmp_path, json.dumps({"sample": "P1", "drugs": ["a"], "provenance": {"t": 1}}))
    dst = link_history(outdir, "P1", report)
    assert dst == history_path(outdir, "P1") and os.path.samefile(dst, report)  # no copy
    old = dst.read_text()
    write_atomic(report, json.dumps({"sample": "P1", "drugs": ["b"], "provenance": {"t": 2}}))  # as a rerun does
    assert dst.read_text() == old
    previous, update = compare_history(outdir, "P1", json.loads(report.read_text()))
    assert previous == json.loads(old) and update
    link_history(outdir, "P1", report)
    assert dst.read_text() == report.read_text()
    assert not [p for p in dst.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_history_is_copied_where_no_hard_link_can_be_made(tmp_path, monkeypatch):
    report, outdir = _report(tmp_path, '{"sample": "P1"}')

    def no_link(*_a, **_k):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    dst = link_history(outdir, "P1", report)
    assert dst.read_text() == '{"sample": "P1"}' and not os.path.samefile(dst, report)
    assert not [p for p in dst.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("history, expect_previous, expect_update", [
    (None, False, True),  # no history yet: keep this report
    ("not json", False, True),  # unreadable: replaced, no comparison
    ('{"sample": "P1", "drugs": ["a"], "provenance": {"t": 0}}', False, False),  # only provenance differs
    ('{"sample": "P1", "drugs": ["z"], "provenance": {"t": 0}}', True, True),  # content differs
])
def test_compare_history(tmp_path, history, expect_previous, expect_update):
    outdir = tmp_path / "results" / "reports"
    if history is not None:
        write_atomic(history_path(outdir, "P1"), history)
    previous, update = compare_history(outdir, "P1", {"sample": "P1", "drugs": ["a"], "provenance": {"t": 9}})
    assert (previous is not None) is expect_previous and update is expect_update


def test_a_history_without_a_json_report_is_the_reports_text(tmp_path):
    """outputs without json: the history is written from the report's JSON text."""
    from pgxannot.report.history import keep_history

    outdir = tmp_path / "results" / "reports"
    dst = keep_history(outdir, "P1", '{"sample": "P1"}\n')
    assert dst == history_path(outdir, "P1") and dst.read_text() == '{"sample": "P1"}\n'
    assert not (outdir / "P1.json").exists()
