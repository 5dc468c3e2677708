# Helpers of the workflow: config and sample-sheet validation, chunking, inputs/outputs.
import json
import sys
from pathlib import Path

import pandas as pd
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from pgxannot.config import load_sample_sheet, resolve_samples_path, validate_config
from pgxannot.errors import PgxannotError
from pgxannot.kb.resolve import selection_signature
from pgxannot.report.formats import report_suffixes

# The package itself, run by the interpreter that runs Snakemake (same installation everywhere).
PGXANNOT = f"{sys.executable} -m pgxannot"

# pgxannot's own checks first: a bad config or sheet ends in one line naming key, file
# and line. Snakemake's validate() then checks the same schemas and fills in defaults;
# the sheet is validated in its normalized form (sex "F" -> "female", ...).
try:
    validate_config(
        config, source=", ".join(map(str, workflow.configfiles)) or "config"
    )
    validate(config, schema="../schemas/config.schema.yaml")
    SAMPLE_SHEET = resolve_samples_path(config, bundled=BUNDLED_CONFIG)
    SAMPLES = load_sample_sheet(SAMPLE_SHEET)
    # which knowledge-base version each source resolves to (checks the selector names)
    KB_SIGNATURE = selection_signature(config["knowledge_base"])
except PgxannotError as exc:
    raise WorkflowError(f"pgxannot: error: {exc.one_line()}") from None

validate(
    pd.DataFrame([r.normalized() for r in SAMPLES], dtype=str),
    schema="../schemas/samples.schema.yaml",
)


def make_chunks(rows, size):
    """Samples sharing VCF file(s) in chunks of at most `size`: one job reads a VCF once per chunk."""
    groups = {}
    for r in rows:
        groups.setdefault(r.vcf_key, []).append(r)
    chunks = {}
    for gi, members in enumerate(groups.values(), start=1):
        for ci in range(0, len(members), size):
            chunks[f"g{gi:03d}c{ci // size + 1:03d}"] = members[ci : ci + size]
    return chunks


CHUNKS = make_chunks(SAMPLES, int(config["chunk_size"]))
# the package's renderer registry is the one list of report formats (json, tsv, html, fhir.json)
REPORT_EXTS = report_suffixes(config)


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
    return [f"results/reports/{r.sample}.{ext}" for r in members for ext in REPORT_EXTS]


def get_mem_mb(wildcards, attempt):
    """Memory of an annotation job: grows with the chunk size; doubled on a retry."""
    return (1000 + 2 * int(config["chunk_size"])) * attempt


def report_labels(path):
    """Labels of a report file in `snakemake --report`: patient and format."""
    name = Path(path).name
    return {"patient": name.split(".")[0], "format": name.split(".", 1)[1]}


def get_report_jsons():
    return [f"results/reports/{r.sample}.json" for r in SAMPLES]


def get_final_output():
    out = []
    for members in CHUNKS.values():
        out.extend(chunk_outputs(members))
    out += [
        "results/cohort/summary.html",
        "results/cohort/calls.tsv",
        "results/checksums.sha256",
    ]
    return out
