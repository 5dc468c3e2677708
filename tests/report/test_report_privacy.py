"""One patient per report (#15): no output of a patient names another patient, a chunk of
patients or the job's sample list; provenance records the patient's own inputs as given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COHORT = ("BC-001", "PAIN-003", "ADD-004")  # the three patients of examples/cohort.vcf.gz
ALL = (*COHORT, "PKU-002")
EXTS = ("json", "tsv", "html", "fhir.json")

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("sample", ALL)
def test_no_output_names_another_patient(example_reports, sample):
    others = [s for s in ALL if s != sample]
    for ext in EXTS:
        text = (example_reports / f"{sample}.{ext}").read_text(encoding="utf-8")
        assert sample in text, f"{sample}.{ext} does not name its own patient"
        named = [o for o in others if o in text]
        assert not named, f"{sample}.{ext} names {', '.join(named)}"
        assert "--samples" not in text


@pytest.mark.parametrize("sample", ALL)
def test_no_absolute_machine_path_in_any_output(example_reports, sample):
    run_dir = str(example_reports.parents[1])
    for ext in EXTS:
        text = (example_reports / f"{sample}.{ext}").read_text(encoding="utf-8")
        for path in (run_dir, str(ROOT), str(Path.home())):
            assert path not in text, f"{sample}.{ext} holds the machine path {path}"


def test_provenance_lists_the_patients_own_inputs_as_given(example_reports):
    prov = json.loads((example_reports / "BC-001.json").read_text(encoding="utf-8"))["provenance"]
    assert "command" not in prov
    files = prov["inputs"]["files"]
    assert [(f["role"], f["path"]) for f in files] == [("vcf", "cohort.vcf.gz"), ("cnv", "BC-001.cnv.tsv")]
    assert all(len(f["sha256"]) == 64 for f in files)
    pain = json.loads((example_reports / "PAIN-003.json").read_text(encoding="utf-8"))["provenance"]
    assert [f["role"] for f in pain["inputs"]["files"]] == ["vcf", "outside_calls"]
    assert prov["pgxannot_version"] and prov["knowledge_base"]["civic"]["version"]
    assert prov["config"]["reference_build"] == "GRCh38"
