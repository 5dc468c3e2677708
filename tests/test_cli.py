"""The command line: subcommands, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from pgxannot.cli import COMMANDS, _build_parser, main


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


HEAVY = ("numpy", "pandas", "requests", "jinja2", "cyvcf2", "pysam", "snakemake", "jsonschema", "yaml",
         "fhir", "pgxannot.pipeline", "pgxannot.kb.build", "pgxannot.kb.download", "pgxannot.report")


def test_version_and_help_load_nothing_heavy():
    """`pgxannot --version` and `--help` import none of the pipeline, the renderers, numpy,
    requests...: the CLI names the functions it runs and imports one only to run it
    (--version was ~0.07 s before the CLI imported everything, ~0.37 s after)."""
    script = textwrap.dedent(f"""
        import contextlib, io, sys
        from pgxannot.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["--version"]) == 0
            try:
                main(["--help"])
            except SystemExit:
                pass
        print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))
        main(["schema"])  # a subcommand imports what it needs, and only then
        print("\\n", "pgxannot.report.validation" in sys.modules)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "[]"
    assert lines[-1].strip() == "True"


def test_every_subcommand_has_one_entry_in_the_table():
    parser = _build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    kb = next(a for a in sub.choices["kb"]._actions if a.dest == "kb_command")
    names = {n for n in sub.choices if n not in ("run", "kb")} | {f"kb {n}" for n in kb.choices}
    assert names == set(COMMANDS)
