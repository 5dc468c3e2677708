"""`pgxannot check` flags a misspelt medication with a suggestion; medications_strict makes it an error."""

from __future__ import annotations

import shutil
from pathlib import Path

from pgxannot.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _setup(tmp_path: Path, meds: str, *, strict: bool | None = None) -> Path:
    shutil.copy(EXAMPLES / "PKU-002.vcf", tmp_path / "PKU-002.vcf")
    (tmp_path / "samples.tsv").write_text(
        "# a comment line\nsample\tvcf\tmedications\tconditions\n"
        f"PKU-002\tPKU-002.vcf\t{meds}\tcystic fibrosis\n", encoding="utf-8")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"samples: {tmp_path / 'samples.tsv'}\n"
                   + ("" if strict is None else f"medications_strict: {str(strict).lower()}\n"), encoding="utf-8")
    return cfg


def test_check_warns_about_a_misspelt_medication_naming_the_line(tmp_path, capsys):
    cfg = _setup(tmp_path, "clopidogrell;Sertraline hydrochloride")
    assert main(["check", "--configfile", str(cfg)]) == 0
    out = capsys.readouterr().out
    (warning,) = [line for line in out.splitlines() if line.startswith("warning:")]
    assert "line 3" in warning and "'clopidogrell'" in warning and "did you mean 'clopidogrel'" in warning
    assert "Sertraline" not in warning and "valid" in out


def test_check_is_quiet_about_known_names(tmp_path, capsys):
    cfg = _setup(tmp_path, "PHENYTOIN;clopidogrel bisulfate")
    assert main(["check", "--configfile", str(cfg)]) == 0
    assert "warning" not in capsys.readouterr().out


def test_medications_strict_makes_an_unknown_name_an_error(tmp_path, capsys):
    cfg = _setup(tmp_path, "clopidogrell", strict=True)
    assert main(["check", "--configfile", str(cfg)]) != 0
    err = capsys.readouterr().err
    assert "clopidogrell" in err and "line 3" in err and "Traceback" not in err and err.count("\n") <= 2
