# Helpers of the workflow: config and sample-sheet validation, the input checks before
# any job (pgxannot.preflight), chunking, inputs/outputs, failure and progress files.
import hashlib
import json
import os
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.settings.types import DeploymentMethod
from snakemake.utils import validate

from pgxannot.chunks import group_of, make_chunks, split_groups, split_paths
from pgxannot.config import (
    check_sheet_rows,
    load_sample_sheet,
    resolve_samples_path,
    validate_config,
)
from pgxannot.errors import PgxannotError
from pgxannot.failures import FAILED_DIR
from pgxannot.kb.resolve import selection_signature
from pgxannot.preflight import plan_workflow
from pgxannot.progress import PLAN_FILE, PROGRESS_DIR, RUN_FILE, write_json
from pgxannot.report.cohort_tables import COHORT_FILES as COHORT_TABLES
from pgxannot.report.formats import report_suffixes

# Each job runs the package with the interpreter that runs Snakemake (same installation
# everywhere) or, under --software-deployment-method conda, the Python of the rule's
# environment (envs/pgxannot.yaml installs pgxannot itself).
CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
PGXANNOT = "python -m pgxannot" if CONDA else f"{sys.executable} -m pgxannot"
ENV = "../envs/pgxannot.yaml"
# `pgxannot run` prints the run's summary itself
SUPERVISED = os.environ.get("PGXANNOT_SUPERVISED") == "1"
DRYRUN = bool(workflow.output_settings.dryrun)

# pgxannot's own checks first: a bad config or sheet ends in one line naming key, file
# and line; then the inputs are read (pgxannot.preflight): a VCF problem stops the run
# before any job, a patient whose own file is bad is left out and listed. Only the main
# process checks; cluster jobs read the failure records it wrote. Snakemake's validate()
# checks the same schemas and fills in defaults; the sheet is validated in its normalized
# form (sex "F" -> "female", ...).
CONFIG_SOURCE = ", ".join(map(str, workflow.configfiles)) or "config"
try:
    validate_config(config, source=CONFIG_SOURCE)
    validate(config, schema="../schemas/config.schema.yaml")
    # the package's renderer registry is the one list of report formats (json, tsv, html, fhir.json)
    REPORT_EXTS = report_suffixes(config, source=CONFIG_SOURCE)
    SAMPLE_SHEET = resolve_samples_path(config, bundled=BUNDLED_CONFIG)
    SAMPLES = load_sample_sheet(SAMPLE_SHEET)
    check_sheet_rows(
        SAMPLES, SAMPLE_SHEET
    )  # the normalized rows against samples.schema.yaml
    # which knowledge-base version each source resolves to (checks the selector names)
    KB_SIGNATURE = selection_signature(config["knowledge_base"])
    PLAN = plan_workflow(
        config,
        SAMPLES,
        root=Path.cwd(),
        check=workflow.is_main_process,
        record=workflow.is_main_process and not DRYRUN,
    )
except PgxannotError as exc:
    raise WorkflowError(
        "\n".join(f"pgxannot: error: {line}" for line in exc.lines())
    ) from None


CHUNKS = make_chunks(SAMPLES, int(config["chunk_size"]), PLAN.excluded)
SAMPLE_OF_FILE = {r.file_stem: r.sample for r in SAMPLES}
# VCF groups of two or more chunks: one job splits the group's file(s) into one per chunk.
# The split is cut from the whole sheet (a patient left out does not re-split its group).
SPLIT_DIR = "results/work/split"
ALL_CHUNKS = make_chunks(SAMPLES, int(config["chunk_size"]))
SPLIT_GROUPS = split_groups(ALL_CHUNKS)


def announce_excluded():
    """Patients left out, on the terminal of a direct `snakemake` run."""
    if SUPERVISED or not workflow.is_main_process:
        return
    for sample, why in PLAN.excluded.items():
        print(f"pgxannot: error: patient {sample} not reported: {why}", file=sys.stderr)


if workflow.is_main_process and not DRYRUN:
    write_json(
        Path(PLAN_FILE),
        {
            "patients": len(PLAN.rows),
            "excluded": PLAN.excluded,
            "chunks": {c: len(m) for c, m in CHUNKS.items()},
            "files": {r.file_stem: r.sample for r in PLAN.rows},
        },
    )
announce_excluded()


def leave_out(chunk):
    """The output file names of the chunk's patients left out (comma-separated)."""
    return ",".join(r.file_stem for r in ALL_CHUNKS[chunk] if r.sample in PLAN.excluded)


def chunk_split(chunk):
    """The chunk's split VCF(s) (empty when its group is read as it is)."""
    if group_of(chunk) not in SPLIT_GROUPS:
        return []
    return [
        str(p)
        for p in split_paths(chunk, ALL_CHUNKS[chunk][0].vcf_key, Path(SPLIT_DIR))
    ]


def chunk_inputs(chunk):
    """Every input file of a chunk: its VCFs (or their split files and the originals'
    checksums), outside calls, CNV files."""
    members = CHUNKS[chunk]
    split = chunk_split(chunk)
    files = set(split) if split else {str(v) for v in members[0].vcfs}
    if split:
        files.add(f"{SPLIT_DIR}/{group_of(chunk)}.inputs.json")
    for r in members:
        for extra in (r.outside_calls, r.cnv):
            if extra is not None:
                files.add(str(extra))
    return sorted(files)


def split_options(chunk):
    """annotate's options for a chunk whose group was split."""
    split = chunk_split(chunk)
    if not split:
        return ""
    digests = f"{SPLIT_DIR}/{group_of(chunk)}.inputs.json"
    return " ".join([*(f"--read-vcf {p}" for p in split), f"--input-digests {digests}"])


def sheet_rows(members):
    """A digest of the sample-sheet rows of a chunk (a params value: rerun trigger).
    A digest, not the rows: Snakemake keeps params in the record of every output file.
    """
    rows = json.dumps([r.raw for r in members], sort_keys=True)
    return hashlib.sha256(rows.encode()).hexdigest()


def chunk_outputs(members):
    return [
        f"results/reports/{r.file_stem}.{ext}" for r in members for ext in REPORT_EXTS
    ]


# per chunk: its cohort parts and the checksums of its reports (merged by the cohort jobs)
PARTS_DIR = "results/work/parts"
COHORT_FILES = [
    "results/cohort/summary.html",
    "results/cohort/calls.tsv",
    "results/cohort/phenotypes.tsv",
    "results/cohort/drug_actions.tsv",
]
if [Path(f).name for f in COHORT_FILES] != list(COHORT_TABLES):
    raise WorkflowError("pgxannot: the workflow's cohort files are not the package's")


def chunk_parts(chunk):
    return [
        f"{PARTS_DIR}/{chunk}.{ext}" for ext in ("cohort.jsonl", "calls.tsv", "sha256")
    ]


def get_mem_mb(wildcards, attempt):
    """Memory of an annotation job: grows with the chunk size; doubled on a retry."""
    return (1000 + 2 * int(config["chunk_size"])) * attempt


def report_labels(path):
    """Labels of a report file in `snakemake --report`: patient (its own id) and format."""
    name = Path(path).name
    stem, ext = name.split(".", 1)
    return {"patient": SAMPLE_OF_FILE.get(stem, stem), "format": ext}


def get_final_output(wildcards=None):
    """The run's targets: the sample-file table; when any patient is annotated, the cohort
    files and the checksum manifest (which need every chunk's parts), plus any report gone
    missing from a chunk that has run (so its chunk reruns). The targets never list every
    patient's file: Snakemake looks up each target's job by scanning its rule's outputs, so
    10^5 patients x 4 files would take many minutes.
    """
    if not CHUNKS:
        return ["results/work/sample_files.tsv"]
    missing = []
    for chunk, members in CHUNKS.items():
        if all(os.path.exists(p) for p in chunk_parts(chunk)):
            missing.extend(f for f in chunk_outputs(members) if not os.path.exists(f))
    return [
        "results/work/sample_files.tsv",
        *COHORT_FILES,
        "results/checksums.sha256",
        *missing,
    ]


def needrun_chunks():
    """Patients per annotation job that will run (for the progress of `pgxannot run`)."""
    sizes = {c: len(m) for c, m in CHUNKS.items()}
    try:
        names = {job.rule.name for job in workflow.dag.needrun_jobs()}
    except Exception:  # Snakemake's DAG is not a public API: then count every chunk
        return sizes
    return {c: n for c, n in sizes.items() if f"annotate_{c}" in names}
