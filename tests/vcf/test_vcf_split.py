"""One pass over a multi-sample VCF into one file per chunk (biobank scale, #19 item 6)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pgxannot.chunks import chunk_members, group_of, make_chunks, split_groups
from pgxannot.config import SheetEntry
from pgxannot.errors import ConfigError, VcfError
from pgxannot.vcf.header import inspect_vcf
from pgxannot.vcf.split import split_vcf

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cohort.vcf.gz"


def _records(path: Path) -> tuple[list[str], list[list[str]]]:
    with gzip.open(path, "rt") as fh:
        lines = [ln.rstrip("\n") for ln in fh if not ln.startswith("##")]
    return lines[0].split("\t"), [ln.split("\t") for ln in lines[1:]]


@pytest.mark.parametrize("groups", [{"a": ["BC-001", "PAIN-003"], "b": ["ADD-004"]},
                                    {"a": ["ADD-004", "BC-001"], "b": ["PAIN-003"]}],  # columns out of order
                         ids=["runs", "reordered"])
def test_split_copies_each_groups_columns_byte_for_byte(tmp_path, groups):
    outs = {tmp_path / f"{k}.vcf.gz": v for k, v in groups.items()}
    split_vcf(inspect_vcf(EXAMPLE), outs, regions=None, index_dir=tmp_path)
    header, rows = _records(EXAMPLE)
    col = {s: i for i, s in enumerate(header)}
    for out, samples in outs.items():
        h, r = _records(out)
        assert h == header[:9] + samples
        assert r == [row[:9] + [row[col[s]] for s in samples] for row in rows]


def test_split_by_region_keeps_each_overlapping_record_once(tmp_path):
    header, rows = _records(EXAMPLE)
    chrom, pos = rows[10][0], int(rows[10][1])
    out = tmp_path / "a.vcf.gz"
    # two overlapping windows: the record in both is written once
    split_vcf(inspect_vcf(EXAMPLE), {out: ["PAIN-003"]}, regions=[(chrom, pos, pos), (chrom, pos - 1, pos + 1)],
              index_dir=tmp_path)
    _, kept = _records(out)
    want = [r for r in rows if r[0] == chrom and pos - 1 <= int(r[1]) <= pos + 1]
    assert kept == [[*r[:9], r[header.index("PAIN-003")]] for r in want] and kept


def test_a_sample_not_in_the_file_is_one_error(tmp_path):
    with pytest.raises(VcfError, match="NOPE"):
        split_vcf(inspect_vcf(EXAMPLE), {tmp_path / "a.vcf.gz": ["NOPE"]}, regions=None, index_dir=tmp_path)
    assert not list(tmp_path.glob("*.vcf.gz"))


def test_chunks_group_by_vcf_and_split_only_multi_chunk_text_vcfs():
    entries = [SheetEntry(f"S{i}", ("big.vcf.gz",)) for i in range(5)] + [SheetEntry("B", ("one.bcf",)),
                                                                         SheetEntry("C", ("small.vcf",))]
    chunks = make_chunks(entries, 2)
    assert list(chunks) == ["g001c001", "g001c002", "g001c003", "g002c001", "g003c001"]
    assert [e.sample for e in chunks["g001c003"]] == ["S4"]
    assert split_groups(chunks) == {"g001": ["g001c001", "g001c002", "g001c003"]}
    assert group_of("g012c345") == "g012"
    assert chunk_members(entries, 2, "g001c002") == entries[2:4]
    with pytest.raises(ConfigError, match="g009c001"):
        chunk_members(entries, 2, "g009c001")


def test_patients_left_out_leave_the_other_chunks_as_they_were():
    entries = [SheetEntry(f"S{i}", ("big.vcf.gz",)) for i in range(5)]
    chunks = make_chunks(entries, 2, excluded={"S1", "S4"})
    # cut from the whole sheet first: S2 stays in the second chunk, the emptied third is gone
    assert {c: [e.sample for e in m] for c, m in chunks.items()} == {"g001c001": ["S0"], "g001c002": ["S2", "S3"]}
    assert chunk_members(entries, 2, "g001c001", {"S1"}) == entries[:1]
    with pytest.raises(ConfigError, match="g001c003"):
        chunk_members(entries, 2, "g001c003", {"S4"})
