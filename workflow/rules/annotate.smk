# One job per chunk of samples sharing a VCF: read genotypes once, call, look up guidance,
# screen risks, write every patient's reports.


rule effective_config:
    output:
        "results/work/config.json",
    log:
        "logs/effective_config.log",
    localrule: True
    params:
        pgxannot=PGXANNOT,
        config=json.dumps(config, sort_keys=True),
        sheet=str(SAMPLE_SHEET),
    shell:
        "{params.pgxannot} write-config --config-json {params.config:q} --sample-sheet {params.sheet:q} -o {output} 2> {log}"


for _chunk, _members in CHUNKS.items():

    rule:
        name:
            f"annotate_{_chunk}"
        input:
            config="results/work/config.json",
            data=chunk_inputs(_members),
        output:
            [
                (
                    report(
                        f,
                        category="Patient reports",
                        labels=report_labels(f),
                    )
                    if f.endswith(".html")
                    else f
                )
                for f in chunk_outputs(_members)
            ],
        log:
            f"logs/annotate/{_chunk}.log",
        threads: 1
        resources:
            mem_mb=get_mem_mb,
            runtime=30,
        params:
            pgxannot=PGXANNOT,
            samples=",".join(r.sample for r in _members),
            chunk=_chunk,
            # the chunk's sample-sheet rows: editing a patient's row (medications, consent,
            # outside calls...) reruns that patient's chunk and no other
            rows=sheet_rows(_members),
            # knowledge-base versions in use: a `kb update`/`kb use` reruns the reports
            kb=KB_SIGNATURE,
        shell:
            "{params.pgxannot} annotate --config results/work/config.json --samples {params.samples} "
            "--outdir results/reports --index-dir results/work/index 2> {log}"
