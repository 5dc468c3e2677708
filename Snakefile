# pgxannot: pharmacogenomic and clinical-risk reports from VCFs.
# Run `pgxannot run --cores 2` (or `snakemake --cores 2` in this folder).
import os
from pathlib import Path

from snakemake.utils import min_version

min_version("8.20")


# config.yaml of the working directory; the bundled defaults when there is none
if Path("config.yaml").exists():

    configfile: "config.yaml"

else:

    configfile: str(Path(workflow.basedir) / "config.yaml")

    os.environ["PGXANNOT_BUNDLED_CONFIG"] = "1"  # its sample sheet is the bundled example


include: "workflow/rules/common.smk"
include: "workflow/rules/annotate.smk"
include: "workflow/rules/cohort.smk"


rule all:
    input:
        get_final_output(),
    default_target: True
