# One job per chunk of samples sharing a VCF: read genotypes once, call, look up guidance,
# screen risks, write every patient's reports.


rule effective_config:
    output:
        "results/work/config.json",
    log:
        "logs/effective_config.log",
    localrule: True
    conda:
        ENV
    params:
        pgxannot=PGXANNOT,
        config=json.dumps(config, sort_keys=True),
        sheet=str(SAMPLE_SHEET),
    shell:
        "{params.pgxannot} write-config --config-json {params.config:q} --sample-sheet {params.sheet:q} -o {output} 2> {log}"


rule sample_files:
    output:
        "results/work/sample_files.tsv",
    log:
        "logs/sample_files.log",
    localrule: True
    conda:
        ENV
    params:
        pgxannot=PGXANNOT,
        sheet=str(SAMPLE_SHEET),
        # the sheet's samples: a sample added or renamed rewrites the mapping
        samples=json.dumps([r.sample for r in SAMPLES]),
    shell:
        "{params.pgxannot} sample-files --sample-sheet {params.sheet:q} -o {output} 2> {log}"


for _chunk, _members in CHUNKS.items():

    rule:
        name:
            f"annotate_{_chunk}"
        input:
            config="results/work/config.json",
            data=chunk_inputs(_chunk),
        output:
            # the chunk's cohort parts first (the files other jobs ask for), then every report
            parts=chunk_parts(_chunk),
            reports=[
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
        # wall, CPU and peak memory of the job (what a cluster profile's resources are sized by)
        benchmark:
            f"logs/benchmark/annotate_{_chunk}.tsv"
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=get_mem_mb,
            runtime=30,
        params:
            pgxannot=PGXANNOT,
            chunk=_chunk,
            # the chunk's patients left out (their output file names, pgxannot.sample_ids:
            # safe in a shell whatever the ids); leaving one out reruns this chunk only
            leave_out=leave_out(_chunk),
            # the parts' path prefix (results/work/parts/<chunk>), from the declared outputs
            parts=lambda wildcards, output: output.parts[0].removesuffix(
                ".cohort.jsonl"
            ),
            split=split_options(_chunk),
            failed=str(FAILED_DIR),
            progress=str(PROGRESS_DIR / f"{_chunk}.json"),
            # the chunk's sample-sheet rows: editing a patient's row (medications, consent,
            # outside calls...) reruns that patient's chunk and no other
            rows=sheet_rows(_members),
            # knowledge-base versions in use: a `kb update`/`kb use` reruns the reports
            kb=KB_SIGNATURE,
        shell:
            "{params.pgxannot} annotate --config results/work/config.json --chunk {params.chunk} "
            "--leave-out={params.leave_out:q} --outdir results/reports --index-dir results/work/index "
            "--parts {params.parts} {params.split} --failed-dir {params.failed:q} "
            "--progress {params.progress:q} 2> {log}"
