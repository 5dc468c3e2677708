# The whole run at a glance, and a checksum manifest of every output. Both merge the
# parts each annotation job wrote (one set per chunk), never every patient's files.


rule cohort:
    input:
        [f for chunk in CHUNKS for f in chunk_parts(chunk) if not f.endswith(".sha256")],
    output:
        html=report("results/cohort/summary.html", category="Cohort"),
        tsv="results/cohort/calls.tsv",
        phenotypes="results/cohort/phenotypes.tsv",
        drug_actions="results/cohort/drug_actions.tsv",
    log:
        "logs/cohort.log",
    benchmark:
        "logs/benchmark/cohort.tsv"
    conda:
        ENV
    params:
        pgxannot=PGXANNOT,
    shell:
        "{params.pgxannot} cohort --reports-dir results/reports --out-dir results/cohort --parts {input} 2> {log}"


rule checksums:
    input:
        parts=[f"{PARTS_DIR}/{chunk}.sha256" for chunk in CHUNKS],
        cohort=COHORT_FILES,
    output:
        "results/checksums.sha256",
    log:
        "logs/checksums.log",
    benchmark:
        "logs/benchmark/checksums.tsv"
    localrule: True
    conda:
        ENV
    params:
        pgxannot=PGXANNOT,
    shell:
        "{params.pgxannot} checksums --base . -o {output} --parts {input.parts} -- {input.cohort} 2> {log}"
