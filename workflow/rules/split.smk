# A VCF group of two or more chunks (a biobank's multi-sample VCF): one job reads the
# group's file(s) once and writes one VCF per chunk with the chunk's samples and the
# records the annotation jobs read; each annotation job then reads its own small file.


for _group, _chunks in SPLIT_GROUPS.items():

    rule:
        name:
            f"split_{_group}"
        input:
            config="results/work/config.json",
            data=[str(v) for v in ALL_CHUNKS[_chunks[0]][0].vcfs],
        output:
            digests=f"{SPLIT_DIR}/{_group}.inputs.json",
            vcfs=[f for c in _chunks for f in chunk_split(c)],
        log:
            f"logs/split/{_group}.log",
        benchmark:
            f"logs/benchmark/split_{_group}.tsv"
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=60,
        params:
            pgxannot=PGXANNOT,
            group=_group,
            out_dir=lambda wildcards, output: os.path.dirname(output.digests),
            # which samples go to which chunk: a changed sheet re-splits
            members=sheet_rows([r for c in _chunks for r in ALL_CHUNKS[c]]),
            kb=KB_SIGNATURE,
        shell:
            "{params.pgxannot} split --config results/work/config.json --group {params.group} "
            "--out-dir {params.out_dir} --index-dir results/work/index 2> {log}"
