"""The input checks before any report (pgxannot.preflight) and the failure records (pgxannot.failures)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pgxannot.cli import main
from pgxannot.config import load_sample_sheet, validate_config
from pgxannot.errors import BuildMismatchError, InputChecksFailed, VcfError
from pgxannot.failures import FAILED_DIR, current_failures, record_failure
from pgxannot.preflight import check_group, check_inputs, plan_workflow

BAD = Path(__file__).resolve().parent / "data" / "bad" / "files"
pytestmark = pytest.mark.filterwarnings("ignore:no intervals found")


def _copy(tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for n in names:
        shutil.copyfile(BAD / n, tmp_path / n)
        out.append(tmp_path / n)
    return out


def _sheet(tmp_path: Path, rows: list[dict[str, str]]) -> list:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    text = "\t".join(cols) + "\n" + "".join("\t".join(r.get(c, "") for c in cols) + "\n" for r in rows)
    (tmp_path / "samples.tsv").write_text(text, encoding="utf-8")
    return load_sample_sheet(tmp_path / "samples.tsv", cwd=tmp_path)


def test_a_good_vcf_passes_and_names_its_genes(tmp_path):
    (vcf,) = _copy(tmp_path, "good.vcf")
    g = check_group([vcf], ["S1"], "GRCh38", index_dir=None, genotypes=True)
    assert g.errors == []
    assert g.call is not None and g.call.build == "GRCh38" and g.genes == ("CYP2C19",)


def test_a_headerless_grch37_vcf_under_grch38_names_file_evidence_and_fix(tmp_path):
    (vcf,) = _copy(tmp_path, "grch37_no_header.vcf")
    g = check_group([vcf], ["S1"], "GRCh38", index_dir=None)
    (err,) = g.errors
    assert isinstance(err, BuildMismatchError)
    msg = err.one_line()
    assert msg.startswith(str(vcf))
    assert "REF matches GRCh37 at 100% of 34 PGx positions" in msg
    assert "set 'reference_build: GRCh37' in config.yaml" in msg
    assert check_group([vcf], ["S1"], "GRCh37", index_dir=None).errors == []


def test_the_1000_genomes_grch37_panel_is_recognised(shared_data):
    """The real header-less GRCh37 panel (contigs '10', no ##reference), split per gene."""
    files = sorted((shared_data / "1kgp" / "GRCh37").glob("*.vcf.gz"))
    g = check_group(files, ["HG00096"], "GRCh38", index_dir=None)
    (err,) = g.errors
    assert "the records are GRCh37" in err.one_line() and "files: CYP2C19.vcf.gz" in err.one_line()
    ok = check_group(files, ["HG00096"], "GRCh37", index_dir=None, genotypes=True)
    assert ok.errors == [] and ok.call.build == "GRCh37"
    assert ok.genotypes("HG00096").phased == ok.genotypes("HG00096").diploid > 0


def test_the_1000_genomes_grch38_panel_is_grch38(shared_data):
    files = [shared_data / "1kgp" / "GRCh38" / "CYP2C19.vcf.gz"]
    g = check_group(files, ["HG00096"], "GRCh38", index_dir=None)
    assert g.errors == [] and g.call.build == "GRCh38"


def test_one_file_of_a_sample_on_the_other_build_is_named(tmp_path):
    a, b = _copy(tmp_path, "split_a.vcf", "grch38_and_grch37_parts.vcf")
    (err,) = check_group([a, b], ["S1"], "GRCh38", index_dir=None).errors
    assert err.path == str(b) and "the records are GRCh37" in err.one_line()


@pytest.mark.parametrize(("name", "needle"), [
    ("off_target.vcf", "wrong build or a VCF filtered to other regions?"),
    ("header_only.vcf", "has a header but no records"),
    ("ref_mismatch_many.vcf", "REF alleles differ from the GRCh38 reference at 35 of 35"),
])
def test_vcfs_that_would_give_reports_of_nothing_are_errors(tmp_path, name, needle):
    (vcf,) = _copy(tmp_path, name)
    (err,) = check_group([vcf], ["S1"], "GRCh38", index_dir=None).errors
    assert needle in err.one_line() and err.one_line().startswith(str(vcf))


def test_missing_samples_are_listed_with_the_closest_names(tmp_path):
    (vcf,) = _copy(tmp_path, "good_multi.vcf")
    (err,) = check_group([vcf], ["S-1", "S9", "S2"], "GRCh38", index_dir=None).errors
    assert isinstance(err, VcfError)
    msg = err.one_line()
    assert "sample(s) S-1, S9 not in the VCF (it has: S1, S2, S3)" in msg and "S-1 -> S1" in msg


def test_closest_names_prefer_the_longer_common_start_on_a_tie():
    from pgxannot.preflight import closest_names

    have = ["HG04096", "HG03096", "HG00096", "HG01096", "NA12878"]
    # every HG name is one edit from HG0096; the one missing a repeated 0 shares the longest start
    assert closest_names("HG0096", have) == ["HG00096", "HG01096"]
    # equally close: the one starting with what was typed comes first; both are offered
    assert closest_names("BC-01", ["BC-001", "PKU-002", "BC-010"]) == ["BC-010", "BC-001"]
    assert closest_names("XYZ", have) == []


def test_check_inputs_splits_run_errors_from_patient_errors(tmp_path):
    _copy(tmp_path, "good_multi.vcf", "outside_unknown_gene.tsv", "cnv_inverted.tsv", "header_only.vcf")
    rows = _sheet(tmp_path, [
        {"sample": "S1", "vcf": "good_multi.vcf"},
        {"sample": "S2", "vcf": "good_multi.vcf", "outside_calls": "outside_unknown_gene.tsv"},
        {"sample": "S3", "vcf": "good_multi.vcf", "cnv": "cnv_inverted.tsv"},
        {"sample": "S1b", "vcf": "header_only.vcf"},
    ])
    cfg = validate_config({"samples": "samples.tsv"})
    result = check_inputs(cfg, rows, index_dir=None)
    assert sorted(result.patient_errors) == ["S2", "S3"]
    assert "CYP9Z9" in result.patient_errors["S2"] and "inverted" in result.patient_errors["S3"]
    (run_error,) = result.run_errors
    assert "header_only.vcf" in run_error


def test_plan_leaves_out_failing_patients_until_their_input_changes(tmp_path):
    _copy(tmp_path, "good_multi.vcf", "outside_unknown_gene.tsv")
    rows = _sheet(tmp_path, [{"sample": "S1", "vcf": "good_multi.vcf"},
                             {"sample": "S2", "vcf": "good_multi.vcf", "outside_calls": "outside_unknown_gene.tsv"}])
    cfg = validate_config({"samples": "samples.tsv"})
    plan = plan_workflow(cfg, rows, root=tmp_path, check=True, record=True)
    assert [r.sample for r in plan.rows] == ["S1"] and "CYP9Z9" in plan.excluded["S2"]
    # a cluster job parses again without checking: it reads the record and agrees
    again = plan_workflow(cfg, rows, root=tmp_path, check=False, record=False)
    assert again.excluded == plan.excluded
    # the user fixes the file: the record no longer applies
    (tmp_path / "outside_unknown_gene.tsv").write_text("CYP2D6\t*1/*4\n")
    st = (tmp_path / "outside_unknown_gene.tsv").stat()
    os.utime(tmp_path / "outside_unknown_gene.tsv", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert plan_workflow(cfg, rows, root=tmp_path, check=False, record=False).excluded == {}
    fixed = plan_workflow(cfg, rows, root=tmp_path, check=True, record=True)
    assert fixed.excluded == {} and not list((tmp_path / FAILED_DIR).glob("*.json"))


def test_a_job_failure_record_is_honoured_and_forgotten_with_a_new_input(tmp_path):
    _copy(tmp_path, "good_multi.vcf")
    rows = _sheet(tmp_path, [{"sample": "LAB 2024/001", "vcf": "good_multi.vcf"}])
    cfg = validate_config({"samples": "samples.tsv"})
    folder = tmp_path / FAILED_DIR
    record_failure(folder, rows[0], "boom", stage="job", cfg=cfg)
    (rec,) = folder.glob("*.json")
    assert rec.name == f"{rows[0].file_stem}.json" and json.loads(rec.read_text())["sample"] == "LAB 2024/001"
    assert current_failures(folder, rows, cfg)["LAB 2024/001"].stage == "job"
    other = validate_config({"samples": "samples.tsv", "reference_build": "GRCh37"})
    assert current_failures(folder, rows, other) == {}  # another build: another fingerprint


def test_a_vcf_problem_stops_the_plan(tmp_path):
    _copy(tmp_path, "grch37_no_header.vcf")
    rows = _sheet(tmp_path, [{"sample": "S1", "vcf": "grch37_no_header.vcf"}])
    cfg = validate_config({"samples": "samples.tsv"})
    with pytest.raises(InputChecksFailed) as ei:
        plan_workflow(cfg, rows, root=tmp_path, check=True, record=True)
    (line,) = ei.value.lines()
    assert "the records are GRCh37" in line


def test_check_prints_one_line_per_sample_and_exits_non_zero_on_any_error(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "good_multi.vcf", "outside_unknown_allele.tsv", "outside_ok.tsv")
    _sheet(tmp_path, [{"sample": "S1", "vcf": "good_multi.vcf", "outside_calls": "outside_ok.tsv", "sex": "male"},
                      {"sample": "S3", "vcf": "good_multi.vcf"}])
    (tmp_path / "config.yaml").write_text("samples: samples.tsv\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("S1: 1 VCF; GRCh38 from the records")
    assert "outside calls: CYP2D6" in lines[0] and "sex male" in lines[0] and "unphased" in lines[0]
    assert lines[2].endswith("2 sample(s) ready") and out.err == ""
    _sheet(tmp_path, [{"sample": "S1", "vcf": "good_multi.vcf", "outside_calls": "outside_unknown_allele.tsv"},
                      {"sample": "S9", "vcf": "good_multi.vcf"}])
    assert main(["check"]) == 2
    out = capsys.readouterr()
    errors = out.err.splitlines()
    assert len(errors) == 2 and all(e.startswith("pgxannot: error: ") for e in errors)
    assert "S9 not in the VCF" in errors[0] and "patient S1" in errors[1] and "*999" in errors[1]
    assert "S1: NOT REPORTED" in out.out
    assert "S9: not in its VCF (see the error below)" in out.out.splitlines()


def test_check_blames_only_the_sample_missing_from_the_vcf(tmp_path, capsys, monkeypatch):
    _copy(tmp_path, "good_multi.vcf")
    _sheet(tmp_path, [{"sample": "S-1", "vcf": "good_multi.vcf"}, {"sample": "S2", "vcf": "good_multi.vcf"}])
    (tmp_path / "config.yaml").write_text("samples: samples.tsv\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 2
    assert capsys.readouterr().out.splitlines()[:2] == [
        "S-1: not in its VCF (see the error below)",
        "S2: not checked further: its VCF has a problem (see the error below)"]
