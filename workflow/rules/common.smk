# Helpers of the workflow: config and sample-sheet validation, the input checks before
# any job (pgxannot.preflight), chunking, inputs/outputs, failure and progress files.
import json
import os
import sys
from pathlib import Path

import pandas as pd
from snakemake.exceptions import WorkflowError
from snakemake.settings.types import DeploymentMethod
from snakemake.utils import validate

from pgxannot.config import load_sample_sheet, resolve_samples_path, validate_config
from pgxannot.errors import PgxannotError
from pgxannot.failures import FAILED_DIR
from pgxannot.kb.resolve import selection_signature
from pgxannot.preflight import plan_workflow
from pgxannot.progress import PLAN_FILE, PROGRESS_DIR, RUN_FILE, write_json
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
try:
    validate_config(
        config, source=", ".join(map(str, workflow.configfiles)) or "config"
    )
    validate(config, schema="../schemas/config.schema.yaml")
    SAMPLE_SHEET = resolve_samples_path(config, bundled=BUNDLED_CONFIG)
    SAMPLES = load_sample_sheet(SAMPLE_SHEET)
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

validate(
    pd.DataFrame([r.normalized() for r in SAMPLES], dtype=str),
    schema="../schemas/samples.schema.yaml",
)


def make_chunks(rows, size, excluded):
    """Samples sharing VCF file(s) in chunks of at most `size`: one job reads a VCF once per
    chunk. Chunks are cut from the whole sheet, then the left-out patients are dropped, so
    leaving a patient out reruns its chunk only."""
    groups = {}
    for r in rows:
        groups.setdefault(r.vcf_key, []).append(r)
    chunks = {}
    for gi, members in enumerate(groups.values(), start=1):
        for ci in range(0, len(members), size):
            kept = [r for r in members[ci : ci + size] if r.sample not in excluded]
            if kept:
                chunks[f"g{gi:03d}c{ci // size + 1:03d}"] = kept
    return chunks


CHUNKS = make_chunks(SAMPLES, int(config["chunk_size"]), PLAN.excluded)
# the package's renderer registry is the one list of report formats (json, tsv, html, fhir.json)
REPORT_EXTS = report_suffixes(config)
SAMPLE_OF_FILE = {r.file_stem: r.sample for r in SAMPLES}


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


def chunk_inputs(members):
    """Every input file of a chunk: VCFs (and indexes), outside calls, CNV files."""
    files = set()
    for r in members:
        for v in r.vcfs:
            files.add(str(v))
        for extra in (r.outside_calls, r.cnv):
            if extra is not None:
                files.add(str(extra))
    return sorted(files)


def sheet_rows(members):
    """The sample-sheet rows of a chunk as canonical JSON (a params value: rerun trigger)."""
    return json.dumps([r.raw for r in members], sort_keys=True)


def chunk_outputs(members):
    return [
        f"results/reports/{r.file_stem}.{ext}" for r in members for ext in REPORT_EXTS
    ]


def get_mem_mb(wildcards, attempt):
    """Memory of an annotation job: grows with the chunk size; doubled on a retry."""
    return (1000 + 2 * int(config["chunk_size"])) * attempt


def report_labels(path):
    """Labels of a report file in `snakemake --report`: patient (its own id) and format."""
    name = Path(path).name
    stem, ext = name.split(".", 1)
    return {"patient": SAMPLE_OF_FILE.get(stem, stem), "format": ext}


def get_report_jsons():
    return [f"results/reports/{r.file_stem}.json" for r in PLAN.rows]


def get_final_output():
    out = ["results/work/sample_files.tsv"]
    for members in CHUNKS.values():
        out.extend(chunk_outputs(members))
    if PLAN.rows:
        out += [
            "results/cohort/summary.html",
            "results/cohort/calls.tsv",
            "results/checksums.sha256",
        ]
    return out


def needrun_chunks():
    """Patients per annotation job that will run (for the progress of `pgxannot run`)."""
    sizes = {c: len(m) for c, m in CHUNKS.items()}
    try:
        names = {job.rule.name for job in workflow.dag.needrun_jobs()}
    except Exception:  # Snakemake's DAG is not a public API: then count every chunk
        return sizes
    return {c: n for c, n in sizes.items() if f"annotate_{c}" in names}
