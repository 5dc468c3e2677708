# The whole run at a glance, and a checksum manifest of every output.


rule cohort:
    input:
        get_report_jsons(),
    output:
        html=report("results/cohort/summary.html", category="Cohort"),
        tsv="results/cohort/calls.tsv",
    log:
        "logs/cohort.log",
    conda:
        ENV
    params:
        pgxannot=PGXANNOT,
    shell:
        "{params.pgxannot} cohort --reports-dir results/reports --html {output.html} --tsv {output.tsv} {input:q} 2> {log}"


rule checksums:
    input:
        [f for members in CHUNKS.values() for f in chunk_outputs(members)],
        "results/cohort/summary.html",
        "results/cohort/calls.tsv",
    output:
        "results/checksums.sha256",
    log:
        "logs/checksums.log",
    localrule: True
    conda:
        ENV
    params:
        pgxannot=PGXANNOT,
    shell:
        "{params.pgxannot} checksums --base . -o {output} {input:q} 2> {log}"
