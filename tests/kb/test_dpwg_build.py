"""The DPWG table builder: every source row derived or named in a warning, our own
wording, every number of DPWG's text kept, the bundled tables reproducible."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from pgxannot.errors import KnowledgeBaseError
from pgxannot.kb.build.dpwg import (
    SNAPSHOT_FILE,
    _norm_text,
    _snapshot_key,
    build_dpwg_tables,
    fingerprint,
    numbers_of,
    read_snapshot,
)
from pgxannot.kb.build.dpwg_curation import ENTRIES
from pgxannot.kb.dpwg import _default_path, load_dpwg_kb

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["guideline_row_id", "source", "pharmgkb_guideline_id", "gene", "drug", "phenotype", "genotype",
          "avoid", "alternate", "dosing", "summary", "recommendation"]


def _snapshot(tmp: Path, rows: list[dict[str, str]]) -> Path:
    src = tmp / "src"
    src.mkdir()
    with (src / SNAPSHOT_FILE).open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADER, delimiter="\t")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "0" if k in ("avoid", "alternate", "dosing") else "") for k in HEADER})
    return src


def _row(rid: str, gene: str, drug: str, key: str, text: str, **kw: str) -> dict[str, str]:
    return {"guideline_row_id": rid, "source": "DPWG", "pharmgkb_guideline_id": "PA1", "gene": gene,
            "drug": drug, "phenotype": key, "recommendation": text, **kw}


@pytest.mark.parametrize(("gene", "label", "genotype", "want"), [
    ("CYP2C19", "Poor Metabolizer", "", ("phenotype", "Poor Metabolizer")),
    ("DPYD", "Activity Score 1", "AS 1", ("activity_score", "1.0")),
    ("DPYD", "DPD AS 1.5", "AS 1.5", ("activity_score", "1.5")),
    ("CYP2C9", "*1/*3", "*1/*3", ("diplotype", "*1/*3")),
    ("CYP2B6", "*5/*6 or *5/*18", "*5/*6; *5/*18", ("diplotype", "*5/*6;*5/*18")),
    ("HLA-B", "HLA-B*57:01 positive", "", ("allele_status", "*57:01 positive")),
    ("SLCO1B1", "SLCO1B1 521 TC", "rs4149056 TC", ("genotype", "1")),
    ("SLCO1B1", "SLCO1B1 521 CC", "rs4149056 CC", ("genotype", "2")),
    ("ABCG2", "141KK (TT genotype)", "rs2231142 TT", ("genotype", "2")),
    ("CYP3A5", "Heterozygote", "", ("phenotype", "Intermediate Metabolizer")),
    ("CYP3A5", "Homozygous", "", ("phenotype", "Normal Metabolizer")),
])
def test_every_kind_of_dpwg_key_is_read(gene, label, genotype, want):
    key, problem = _snapshot_key(gene, label, genotype)
    assert problem is None and key is not None
    assert (key.type, key.value) == want


def test_genotype_key_is_located_in_pgxannots_positions():
    key, _ = _snapshot_key("SLCO1B1", "SLCO1B1 521 TC", "rs4149056 TC")
    assert key is not None and (key.position, key.ref, key.alt) == ("chr12:21178615", "T", "C")


def test_f5_row_is_kept_and_named_not_dropped(tmp_path: Path):
    src = _snapshot(tmp_path, [_row("373", "F5", "hormonal contraceptives for systemic use",
                                    "Factor V Leiden heterozygous", "Avoid it.", genotype="rs6025 TT")])
    info = build_dpwg_tables(src, tmp_path / "out")
    assert info["row_status"] == {"unmatchable": 1}
    assert any("row 373" in w and "F5 is not genotyped" in w for w in info["warnings"])  # type: ignore[union-attr]


def test_unreadable_key_is_a_warning_naming_the_row(tmp_path: Path):
    src = _snapshot(tmp_path, [_row("9001", "CYP2C19", "clopidogrel", "Weird Label", "Avoid clopidogrel.")])
    info = build_dpwg_tables(src, tmp_path / "out")
    assert info["derived_rows"] == 1 and info["matchable_rows"] == 0
    assert any("row 9001" in w and "Weird Label" in w for w in info["warnings"])  # type: ignore[union-attr]


def test_changed_text_falls_back_to_rules_with_a_warning(tmp_path: Path):
    src = _snapshot(tmp_path, [_row("9002", "CYP2C19", "clopidogrel", "Poor Metabolizer",
                                    "A newer wording: avoid clopidogrel in PCI.", avoid="1")])
    info = build_dpwg_tables(src, tmp_path / "out")
    assert any("row 9002" in w and "no curated structure" in w for w in info["warnings"])  # type: ignore[union-attr]
    row = next(csv.DictReader((tmp_path / "out/recommendations.tsv").open(encoding="utf-8"), delimiter="\t"))
    assert row["action"] == "avoid" and row["hedged"] == "yes" and row["derived_by"] == "rules"


def test_no_action_text_needs_no_curation(tmp_path: Path):
    src = _snapshot(tmp_path, [_row("9003", "CYP2D6", "paroxetine", "Poor Metabolizer",
                                    "NO action is needed here.")])
    info = build_dpwg_tables(src, tmp_path / "out")
    assert not info["warnings"]
    row = next(csv.DictReader((tmp_path / "out/recommendations.tsv").open(encoding="utf-8"), delimiter="\t"))
    assert row["action"] == "standard_dosing"


def test_no_source_is_a_knowledge_base_error(tmp_path: Path):
    with pytest.raises(KnowledgeBaseError, match="no DPWG source"):
        build_dpwg_tables(tmp_path, tmp_path / "out")


def test_bundled_tables_load_and_carry_no_dpwg_text():
    kb = load_dpwg_kb()
    header = (_default_path() / "recommendations.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert "dpwg_text" not in header
    assert kb.version["licence"].startswith("CC BY-SA 4.0")  # type: ignore[union-attr]
    assert kb.version["date"] and "siponimod" in kb.drugs
    assert all(f.stat().st_size < 1_000_000 for f in _default_path().iterdir())


# ------------------------------------------------------------------ against the real snapshot
@pytest.fixture(scope="module")
def snapshot_rows(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / "dpwg" / SNAPSHOT_FILE).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def built(shared_data: Path, tmp_path_factory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("dpwg")
    return out, build_dpwg_tables(shared_data / "dpwg", out)


@pytest.mark.shared
def test_build_reproduces_the_bundled_tables(built):
    out, _ = built
    for name in ("recommendations.tsv", "guidelines.tsv", "version.json"):
        assert (out / name).read_bytes() == (_default_path() / name).read_bytes(), name


@pytest.mark.shared
def test_every_source_row_is_derived_or_named_in_a_warning(built, snapshot_rows):
    out, info = built
    assert info["source_rows"] == info["derived_rows"] == len(snapshot_rows)
    with (out / "recommendations.tsv").open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh, delimiter="\t"))
    assert {r["source_row"] for r in table} == {r["guideline_row_id"] for r in snapshot_rows}
    warnings = " ".join(info["warnings"])  # type: ignore[arg-type]
    for r in table:
        if r["status"] in ("superseded", "unmatchable"):
            assert f"row {r['source_row']} " in warnings, r["source_row"]
        if r["derived_by"] == "rules" and r["action"] != "standard_dosing":
            assert f"row {r['source_row']} " in warnings, r["source_row"]


@pytest.mark.shared
def test_every_distinct_recommendation_is_curated_or_a_plain_no_action(snapshot_rows):
    curated = {(e.drug, e.fingerprint) for e in ENTRIES}
    for r in snapshot_rows:
        text = _norm_text(r["recommendation"])
        assert (r["drug"], fingerprint(text)) in curated or re.match(r"no action is (required|needed)", text, re.I), \
            (r["guideline_row_id"], r["drug"], text[:60])
    used = {(r["drug"], fingerprint(_norm_text(r["recommendation"]))) for r in snapshot_rows}
    assert curated <= used, sorted(curated - used)  # no stale curation


_ENUMERATOR = re.compile(r"(?:(?<=^)|(?<=[\s:.]))\d\.(?=\s*[A-Za-z-])")


@pytest.mark.shared
def test_every_number_of_dpwg_text_is_kept_or_deliberately_omitted(built, snapshot_rows):
    out, _ = built
    with (out / "recommendations.tsv").open(encoding="utf-8") as fh:
        wording: dict[str, set[str]] = {}
        for r in csv.DictReader(fh, delimiter="\t"):
            wording.setdefault(r["source_row"], set()).update(numbers_of(r["recommendation"]))
    omit = {(e.drug, e.fingerprint): set(e.omit) for e in ENTRIES}
    dropped, needless = [], []
    for r in snapshot_rows:
        text = _norm_text(r["recommendation"])
        allowed = omit.get((r["drug"], fingerprint(text)), set())
        missing = set(numbers_of(_ENUMERATOR.sub(" ", text))) - wording[r["guideline_row_id"]] - allowed
        if missing:
            dropped.append((r["guideline_row_id"], r["drug"], sorted(missing)))
        if allowed - set(numbers_of(text)):
            needless.append((r["guideline_row_id"], r["drug"], sorted(allowed - set(numbers_of(text)))))
    assert not dropped, dropped
    assert not needless, needless


def _shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"[\w%≤<>.-]+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.shared
def test_no_eight_word_run_of_dpwg_or_pharmgkb_text_anywhere_in_the_repo(snapshot_rows):
    theirs: set[tuple[str, ...]] = set()
    for r in snapshot_rows:
        theirs |= _shingles(_norm_text(r["recommendation"])) | _shingles(_norm_text(r["summary"]))
    files = [p for top in ("src", "resources", "docs", "tests", "workflow") for p in (ROOT / top).rglob("*")
             if p.is_file() and p.suffix in (".py", ".tsv", ".md", ".json", ".j2", ".yaml", ".txt")]
    files += [p for p in ROOT.glob("*.md")]
    hits = []
    for p in files:
        overlap = _shingles(p.read_text(encoding="utf-8", errors="replace").replace("\t", " \n ")) & theirs
        if overlap:
            hits.append((str(p.relative_to(ROOT)), " ".join(sorted(overlap)[0])))
    assert not hits, hits


@pytest.mark.shared
def test_snapshot_reader_counts_match_the_source(shared_data: Path, snapshot_rows):
    rows = read_snapshot(shared_data / "dpwg" / SNAPSHOT_FILE)
    assert len(rows) == len(snapshot_rows)
    info = json.loads((_default_path() / "version.json").read_text(encoding="utf-8"))
    assert info["drugs"] == len({r["drug"] for r in snapshot_rows})
    assert info["pairs"] == len({(r["drug"], r["gene"]) for r in snapshot_rows})
