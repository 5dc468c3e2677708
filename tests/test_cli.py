"""The command line: subcommands, one-line errors, exit codes."""

from __future__ import annotations

import json

from pgxannot.cli import main


def test_version_line(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("pgxannot ") and out[-1] == "\n"


def test_kb_use_switches_version_and_is_not_shadowed_by_version_flag(tmp_path, monkeypatch, capsys):
    # regression: the positional VERSION of `kb use` used to overwrite --version, so the
    # command printed the version line and switched nothing
    monkeypatch.setenv("PGXANNOT_HOME", str(tmp_path))
    assert main(["kb", "use", "cpic", "bundled"]) == 0
    assert "active version is now bundled" in capsys.readouterr().out
    assert main(["kb", "use", "cpic", "no-such-version"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pgxannot: error:") and err.count("\n") == 1


def test_schema_is_json(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "genes" in schema["properties"]


def test_check_reports_a_missing_config_in_one_line(tmp_path, capsys):
    assert main(["check", "--configfile", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml" in err and err.count("\n") == 1 and "Traceback" not in err


def test_diff_of_identical_reports(tmp_path, capsys):
    doc = {"sample": "S", "genes": [], "drugs": [], "findings": [], "provenance": {}}
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(doc))
    b.write_text(json.dumps(doc))
    assert main(["diff", str(a), str(b)]) == 0
    assert capsys.readouterr().out == "no changes\n"
