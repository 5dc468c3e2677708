"""End to end: the bundled example through `pgxannot run`, as a user runs it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pgxannot.report import validate_report

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ("BC-001", "PKU-002", "PAIN-003", "ADD-004")
EXTS = ("json", "tsv", "html", "fhir.json")


def run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", **(env or {})}
    return subprocess.run([sys.executable, "-m", "pgxannot", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("example")
    proc = run(["run", "--cores", "2"], cwd=work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


def report(work: Path, sample: str) -> dict:
    return json.loads((work / "results" / "reports" / f"{sample}.json").read_text())


def gene(doc: dict, name: str) -> dict:
    return next(g for g in doc["genes"] if g["gene"] == name)


def drug(doc: dict, name: str) -> dict:
    return next(d for d in doc["drugs"] if d["drug"] == name)


def run_sheet(work: Path, sheet: str, *, config: str = "", cores: str = "1") -> None:
    """Write config.yaml (FHIR off) and samples.tsv into ``work``, run the workflow, expect success."""
    (work / "config.yaml").write_text(f"samples: samples.tsv\nfhir: false\n{config}")
    (work / "samples.tsv").write_text(sheet)
    proc = run(["run", "--cores", cores], cwd=work)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.slow
def test_every_sample_gets_every_report_file(example_run):
    for s in SAMPLES:
        for ext in EXTS:
            assert (example_run / "results" / "reports" / f"{s}.{ext}").stat().st_size > 0
    assert (example_run / "results" / "cohort" / "summary.html").is_file()
    assert (example_run / "results" / "cohort" / "calls.tsv").is_file()


@pytest.mark.slow
def test_json_has_the_contract_fields_and_validates(example_run):
    for s in SAMPLES:
        doc = report(example_run, s)
        validate_report(doc)
        assert doc["sample"] == s
        for g in doc["genes"]:
            assert g["status"] in ("called", "ambiguous", "not_called", "outside_call")
            assert {"gene", "diplotypes", "phenotype", "activity_score", "missing_positions"} <= set(g)
            if g["status"] == "not_called":
                assert g["diplotypes"] == [] and g["reason"]
        for d in doc["drugs"]:
            assert {"drug", "genes", "classification", "action", "current_medication"} <= set(d)
        for f in doc["findings"]:
            assert {"category", "gene", "variant", "classification", "zygosity", "condition", "evidence"} <= set(f)
        assert {"pgxannot_version", "knowledge_base", "inputs"} <= set(doc["provenance"])


@pytest.mark.slow
def test_the_example_patients_get_their_clinical_answers(example_run):
    bc = report(example_run, "BC-001")
    assert gene(bc, "DPYD")["phenotype"] == "Intermediate Metabolizer"
    cape = drug(bc, "capecitabine")
    assert cape["current_medication"] and cape["action"] == "reduce_dose" and cape["dose_change_percent"] == 50
    assert bc["her2_status"] == "amplified"
    erbb2 = next(f for f in bc["findings"] if f["gene"] == "ERBB2")
    assert "trastuzumab" in json.dumps(erbb2).lower()
    assert not any(f["gene"] == "BRCA1" for f in bc["findings"])  # ClinVar-benign: not reported
    assert drug(bc, "tamoxifen")["action"] == "not_assessable"  # CYP2D6 needs an outside call
    assert drug(bc, "tamoxifen")["settled_by"] == ["CYP2D6"]

    pku = report(example_run, "PKU-002")
    pah = [f for f in pku["findings"] if f["gene"] == "PAH"]
    assert len(pah) == 2 and "phenylketonuria" in pah[0]["interpretation"].lower()
    assert pku["secondary_findings_status"] == "not analysed on request"

    pain = report(example_run, "PAIN-003")
    assert gene(pain, "CYP2C9")["diplotypes"] == ["*3/*3"]
    assert gene(pain, "CYP2D6")["status"] == "outside_call"
    assert drug(pain, "codeine")["action"] == "avoid" and drug(pain, "codeine")["traffic_light"] == "red"
    assert drug(pain, "celecoxib")["current_medication"]

    add = report(example_run, "ADD-004")
    assert gene(add, "CYP2B6")["diplotypes"] == ["*6/*6"]
    assert gene(add, "CYP2C19")["diplotypes"] == ["*2/*17"]
    assert drug(add, "sertraline")["current_medication"]
    assert any(f["gene"] == "BRCA1" and f["incidental"] for f in add["findings"])


@pytest.mark.slow
def test_rerun_is_byte_identical_and_checksums_hold(example_run, tmp_path):
    proc = run(["run", "--cores", "1"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for s in SAMPLES:
        for ext in EXTS:
            a = (example_run / "results" / "reports" / f"{s}.{ext}").read_bytes()
            b = (tmp_path / "results" / "reports" / f"{s}.{ext}").read_bytes()
            if ext == "json":  # provenance names the command and working folder; the rest is identical
                da, db = json.loads(a), json.loads(b)
                da.pop("provenance"), db.pop("provenance")
                assert da == db
            else:
                assert a == b, f"{s}.{ext} differs between runs"
    for line in (tmp_path / "results" / "checksums.sha256").read_text().splitlines():
        digest, rel = line.split("  ", 1)
        assert hashlib.sha256((tmp_path / rel).read_bytes()).hexdigest() == digest


@pytest.mark.slow
def test_installed_wheel_runs_outside_the_checkout(tmp_path):
    """pip install . into a clean target, then run from elsewhere with --directory/--configfile."""
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    if build.returncode != 0 and "No matching distribution" in build.stderr:
        pytest.skip("hatchling cannot be fetched (no package registry)")
    assert build.returncode == 0, build.stderr[-2000:]
    target = tmp_path / "site"
    wheel = next(wheels.glob("pgxannot-*.whl"))
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr[-2000:]
    somewhere = tmp_path / "somewhere"
    somewhere.mkdir()
    bundled = target / "pgxannot" / "_workflow"
    for part in ("Snakefile", "workflow/rules/common.smk", "config.yaml", "resources/pgx/index.json",
                 "examples/samples.tsv"):
        assert (bundled / part).is_file(), f"the wheel lacks {part}"
    shutil.copy(bundled / "config.yaml", somewhere / "config.yaml")
    cfg = (somewhere / "config.yaml").read_text().replace(
        "samples: examples/samples.tsv", f"samples: {bundled / 'examples' / 'samples.tsv'}")
    (somewhere / "config.yaml").write_text(cfg)
    env = {**os.environ, "PYTHONPATH": str(target), "SOURCE_DATE_EPOCH": "1700000000"}
    proc = subprocess.run([sys.executable, "-m", "pgxannot", "run", "--cores", "2", "--directory", str(somewhere),
                           "--configfile", str(somewhere / "config.yaml")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (somewhere / "results" / "reports" / "PAIN-003.html").is_file()
    # the installed copy is the one that ran, not this checkout
    assert str(ROOT / "Snakefile") not in proc.stderr


def test_sample_sheet_error_is_one_line_without_traceback(tmp_path):
    (tmp_path / "config.yaml").write_text("samples: samples.tsv\n")
    (tmp_path / "samples.tsv").write_text("sample\tvcf\nP1\tmissing.vcf\n")
    proc = run(["run", "--cores", "1"], cwd=tmp_path)
    assert proc.returncode != 0
    assert "missing.vcf" in proc.stderr and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "results" / "reports").exists()


@pytest.mark.slow
def test_getrm_raw_genome_split_over_eleven_files(shared_data, tmp_path):
    """A real 30x genome as a lab has it: raw, multi-allelic, one bgzipped VCF per chromosome."""
    raw = sorted((shared_data / "getrm_wgs").glob("*.vcf.bgz"))
    pre = shared_data / "pharmcat" / "examples" / "getrm_preprocessed"
    run_sheet(tmp_path, "sample\tvcf\tsex\tmedications\toutside_calls\n"
                        f"NA18526\t{';'.join(str(p) for p in raw)}\tfemale\tclopidogrel;tacrolimus\t"
                        f"{pre / 'outside_calls_from_get-rm.NA18526.txt'}\n", cores="2")
    doc = report(tmp_path, "NA18526")
    assert gene(doc, "CYP2D6")["status"] == "outside_call"
    assert gene(doc, "CYP2C19")["diplotypes"] == ["*1/*1"]
    assert gene(doc, "CYP3A5")["diplotypes"] == ["*1/*1"]
    assert drug(doc, "tacrolimus")["current_medication"]
    # the index of the unindexed raw files is built in the work folder, never beside the input
    assert not any(p.with_name(p.name + ".csi").exists() for p in raw)


@pytest.mark.slow
def test_report_shows_what_changed_since_the_last_run(tmp_path):
    ex = ROOT / "examples"
    (tmp_path / "config.yaml").write_text("samples: samples.tsv\nfhir: false\n")
    sheet = "sample\tvcf\tsex\tmedications\toutside_calls\nPAIN-003\t{vcf}\tmale\t{meds}\t{oc}\n"
    fill = {"vcf": ex / "cohort.vcf.gz", "oc": ex / "PAIN-003.outside_calls.tsv"}
    (tmp_path / "samples.tsv").write_text(sheet.format(meds="codeine", **fill))
    assert run(["run", "--cores", "1"], cwd=tmp_path).returncode == 0
    first = (tmp_path / "results" / "reports" / "PAIN-003.html").read_text()
    assert 'id="changes"' not in first
    report, history = (tmp_path / "results" / sub / "PAIN-003.json" for sub in ("reports", "history"))
    first_json = report.read_text()
    assert history.read_text() == first_json
    (tmp_path / "samples.tsv").write_text(sheet.format(meds="codeine;tramadol", **fill))
    proc = run(["run", "--cores", "1"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    second = (tmp_path / "results" / "reports" / "PAIN-003.html").read_text()
    assert 'id="changes"' in second and "tramadol" in second.split('id="changes"', 1)[1]
    # the history (a hard link to the report) moved on with the report, and kept the first
    # report's text until then: the comparison above saw it
    assert history.read_text() == report.read_text() != first_json


@pytest.mark.slow
def test_pcgr_breast_tumour_her2_pik3ca_and_dpyd(shared_data, tmp_path):
    """PCGR's T001-BRCA: ERBB2 amplified (trastuzumab), PIK3CA H1047R, DPYD *2A for capecitabine."""
    pcgr = shared_data / "onco" / "pcgr"
    sample = "TCGA-A2-A04W-01A-31D-A10Y-09_TCGA-A2-A04W-10A-01D-A110-09"
    run_sheet(tmp_path, "sample\tvcf\tsex\tmedications\tcnv\ttumor_type\n"
                        f"{sample}\t{pcgr / 'T001-BRCA.grch38.vcf.gz'}\tfemale\tcapecitabine\t"
                        f"{pcgr / 'T001-BRCA.grch38.cna.tsv'}\tbreast\n")
    doc = report(tmp_path, sample)
    assert doc["her2_status"] == "amplified"
    erbb2 = next(f for f in doc["findings"] if f["gene"] == "ERBB2")
    assert erbb2["tier"] == "I" and any(t["therapy"] == "Trastuzumab" for t in erbb2["therapies"])
    pik3ca = next(f for f in doc["findings"] if f["gene"] == "PIK3CA")
    assert pik3ca["category"] == "somatic" and pik3ca["variant"] == "chr3:179234297:A:G" and pik3ca["evidence"]
    assert gene(doc, "DPYD")["diplotypes"] == ["Reference/c.1905+1G>A (*2A)"]
    assert drug(doc, "capecitabine")["action"] == "reduce_dose"
    assert any("DPYD" in n and "capecitabine" in n for n in doc["chemotherapy_pgx"])
    for f in doc["findings"]:
        if f["category"] == "germline":  # tumour-only VCF: origin must be stated as unknown
            assert "germline origin is not established" in f["interpretation"]


@pytest.mark.slow
def test_grch37_run_calls_pgx_and_says_the_germline_screen_was_not_done(shared_data, tmp_path):
    # regression: a GRCh37 run failed (ClinVar table is GRCh38) and GRCh37-unmapped positions
    # broke the report schema as 'GRCh38:chr:pos' entries in missing_positions
    g37 = shared_data / "1kgp" / "GRCh37"
    run_sheet(tmp_path, f"sample\tvcf\tmedications\nHG00096\t{g37 / 'CYP2C19.vcf.gz'};{g37 / 'CYP2C9.vcf.gz'}"
                        "\tclopidogrel\n",
              config="reference_build: GRCh37\nmissing_positions_as_reference: true\n")
    doc = report(tmp_path, "HG00096")
    c9 = gene(doc, "CYP2C9")
    assert c9["status"] == "called"
    assert all(not p.startswith("GRCh38") for g in doc["genes"] for p in g["missing_positions"])
    # positions whose GRCh37 REF is unconfirmed and absent from the panel: named, not assumed reference
    assert any(w.startswith("GRCh37 call of CYP2C9 is incomplete") and "not assumed reference" in w
               for w in c9["warnings"])
    assert c9["not_assessable_alleles"] and set(c9["not_assessable_alleles"]).isdisjoint(c9["diplotypes"][0].split("/"))
    assert doc["analyses"]["germline"] is False
    assert any("Germline screen not performed" in x for x in doc["limitations"])


@pytest.mark.slow
def test_snakemake_report_bundle_has_every_patient_report(example_run):
    proc = run(["run", "--report", "report.zip"], cwd=example_run)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import zipfile

    names = zipfile.ZipFile(example_run / "report.zip").namelist()
    for s in SAMPLES:
        assert any(n.endswith(f"/{s}.html") for n in names)


@pytest.mark.slow
def test_cohort_mode_writes_only_what_outputs_asks_for(example_run, tmp_path):
    """`outputs: [json]` on the example sheet in chunks of two (the shared VCF is split into
    one file per chunk first): one JSON per patient, the cohort files and the checksum
    manifest; no other per-patient file, no history. The JSON reports are those of the
    default run (the split changes nothing a report says)."""
    sheet = (ROOT / "examples" / "samples.tsv").read_text()
    (tmp_path / "config.yaml").write_text(f"samples: {ROOT / 'examples' / 'samples.tsv'}\n"
                                          "outputs: [json]\nchunk_size: 2\n")
    proc = run(["run", "--cores", "2"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = tmp_path / "results"
    written = sorted(str(p.relative_to(results)) for p in results.rglob("*")
                     if p.is_file() and p.relative_to(results).parts[0] != "work")
    cohort = ["cohort/calls.tsv", "cohort/drug_actions.tsv", "cohort/phenotypes.tsv", "cohort/summary.html"]
    assert written == sorted(["checksums.sha256", *cohort, *(f"reports/{s}.json" for s in SAMPLES)])
    assert all(s in sheet for s in SAMPLES)
    assert list((results / "work" / "split").glob("*.vcf.gz")), "the shared VCF was split per chunk"
    listed = {}
    for line in (results / "checksums.sha256").read_text().splitlines():
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
        assert hashlib.sha256((tmp_path / rel).read_bytes()).hexdigest() == digest
    assert sorted(listed) == sorted(f"results/{w}" for w in written if w != "checksums.sha256")
    for s in SAMPLES:
        a, b = report(example_run, s), report(tmp_path, s)
        assert a.pop("provenance")["inputs"] == b.pop("provenance")["inputs"]
        assert a == b, s
    assert (results / "cohort" / "calls.tsv").read_bytes() == (example_run / "results" / "cohort" / "calls.tsv").read_bytes()


@pytest.mark.slow
def test_compact_json_layout_writes_the_same_reports_without_whitespace(example_run, tmp_path):
    """`json_layout: compact` (cohorts read by programs): each JSON report is one line, the
    standard library's compact text, and says what the default run's report says."""
    (tmp_path / "config.yaml").write_text(f"samples: {ROOT / 'examples' / 'samples.tsv'}\n"
                                          "outputs: [json]\njson_layout: compact\n")
    proc = run(["run", "--cores", "2"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for s in SAMPLES:
        text = (tmp_path / "results" / "reports" / f"{s}.json").read_text(encoding="utf-8")
        doc = json.loads(text)
        assert text == json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"
        pretty = (example_run / "results" / "reports" / f"{s}.json").stat().st_size
        assert len(text.encode()) < 0.75 * pretty
        a, b = report(example_run, s), doc
        assert a.pop("provenance")["inputs"] == b.pop("provenance")["inputs"]
        assert a == b, s
    (tmp_path / "config.yaml").write_text(f"samples: {ROOT / 'examples' / 'samples.tsv'}\njson_layout: tight\n")
    proc = run(["run", "--cores", "1"], cwd=tmp_path)
    assert proc.returncode != 0 and "json_layout" in proc.stderr and "Traceback" not in proc.stderr
