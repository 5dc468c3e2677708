# pgxannot: pharmacogenomic and clinical-risk reports from VCFs.
# Run `pgxannot run --cores 2` (or `snakemake --cores 2` in this folder).
from pathlib import Path

from snakemake.utils import min_version

min_version("8.20")


# config.yaml of the working directory; the bundled defaults when there is none
BUNDLED_CONFIG = not Path("config.yaml").exists()
if BUNDLED_CONFIG:

    configfile: str(Path(workflow.basedir) / "config.yaml")

else:

    configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/split.smk"
include: "workflow/rules/annotate.smk"
include: "workflow/rules/cohort.smk"


rule all:
    default_target: True
    input:
        get_final_output,


# `pgxannot run` shows progress from the jobs that are about to run (workflow/rules/common.smk)
onstart:
    write_json(Path(RUN_FILE), {"chunks": needrun_chunks()})


# a direct `snakemake` run lists the patients left out (`pgxannot run` prints its own summary)
onsuccess:
    announce_excluded()


onerror:
    announce_excluded()
