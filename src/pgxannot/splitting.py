"""The workflow's split job: one VCF group's file(s) -> one VCF per chunk, read once.

Without it, each of a group's annotation jobs reads the whole multi-sample file: 200
chunks of a 10^5-sample VCF parse every record 200 times. The split keeps the records
the annotation jobs read (:func:`read_regions`) and the chunk's sample columns, byte for
byte, so a chunk's reports are those it would have got from the original file. The
reports still name and checksum the original file: the split job records the sha256 of
each original once (``<group>.inputs.json``), and every job of the group uses it while
the file's size and modification time are unchanged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pgxannot.chunks import group_of, make_chunks, split_paths
from pgxannot.config import SampleRow, load_sample_sheet
from pgxannot.effective_config import read_effective_config
from pgxannot.errors import ConfigError
from pgxannot.kb.resolve import load_knowledge_base
from pgxannot.kb.risk import RiskKnowledgeBase
from pgxannot.pgx import pgx_sites
from pgxannot.report.io import file_sha256, write_atomic
from pgxannot.risk.germline import germline_regions
from pgxannot.vcf.header import inspect_vcf
from pgxannot.vcf.split import split_vcf

log = logging.getLogger("pgxannot")


def read_regions(rows: Sequence[SampleRow], risk: RiskKnowledgeBase, cfg: Mapping[str, Any],
                 build: str) -> list[tuple[str, int, int]] | None:
    """Every region an annotation job of ``rows`` reads from their VCF: the pharmacogene
    positions and the germline screen's gene regions; None (every record) when a sample
    is a tumour, whose somatic screen reads every variant.

    A new stage that reads other records of the VCF must add them here (the tests compare
    split and unsplit runs).
    """
    if any(r.tumor_type for r in rows):
        return None
    germ = cfg.get("germline", {})
    regions = [(s.chrom, s.pos, s.pos + len(s.ref) - 1) for s in pgx_sites(build)]
    regions += germline_regions(risk, germ.get("extra_genes", ()), germ.get("regions_bed"))
    return regions


def split_group(config_path: Path, group: str, *, out_dir: Path, index_dir: Path | None) -> list[Path]:
    """Split the VCF file(s) of ``group`` into ``out_dir/<chunk>.<k>.vcf.gz``; write
    ``out_dir/<group>.inputs.json`` (sha256 of the originals)."""
    t0 = time.perf_counter()
    cfg = read_effective_config(config_path)
    rows = load_sample_sheet(Path(cfg["sample_sheet"]))
    chunks = {c: m for c, m in make_chunks(rows, int(cfg["chunk_size"])).items() if group_of(c) == group}
    if not chunks:
        raise ConfigError(f"no VCF group {group!r} in this sample sheet",
                          hint="rerun the workflow: the sheet changed since it was planned")
    members = [r for m in chunks.values() for r in m]
    vcfs = list(members[0].vcfs)
    build = cfg["reference_build"]
    regions = read_regions(members, load_knowledge_base(cfg.get("knowledge_base", {})).risk, cfg, build)
    written: list[Path] = []
    for k, vcf in enumerate(vcfs):
        outs = {split_paths(c, vcfs, out_dir)[k]: [r.sample for r in m] for c, m in chunks.items()}
        split_vcf(inspect_vcf(vcf), outs, regions=regions, index_dir=index_dir)
        written.extend(outs)
        log.info("%s split into %d chunk file(s) in %.1f s", vcf, len(outs), time.perf_counter() - t0)
    digests = out_dir / f"{group}.inputs.json"
    write_atomic(digests, json.dumps(input_digests(vcfs), indent=1, sort_keys=True) + "\n")
    return [*written, digests]


def input_digests(paths: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """path -> size, modification time (ns) and sha256 of each file."""
    out = {}
    for p in paths:
        st = p.stat()
        out[str(p)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": file_sha256(p, {})}
    return out


def known_digests(path: Path | None) -> dict[str, str]:
    """The sha256 of files recorded by :func:`input_digests` that are unchanged since."""
    if path is None:
        return {}
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for name, d in recorded.items():
        try:
            st = Path(name).stat()
        except OSError:
            continue
        if st.st_size == d.get("size") and st.st_mtime_ns == d.get("mtime_ns"):
            out[name] = str(d["sha256"])
    return out
