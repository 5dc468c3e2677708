"""The CPIC table build: keyword rules, reproducibility, own wording, alternative inputs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from pgxannot.errors import KnowledgeBaseError
from pgxannot.guidance import guidance_for, load_guidance_kb
from pgxannot.kb.build.cpic import build as build_cpic_tables
from pgxannot.kb.build.cpic import classify_action
from pgxannot.kb.cpic import _default_path
from pgxannot.pgx.model import Diplotype, GeneCall


@pytest.mark.parametrize(("text", "classification", "expected"), [
    ("Abacavir is not recommended", "Strong", ("avoid", None)),
    ("Avoid use", "Strong", ("avoid", None)),
    ("Reduce starting dose by 50% followed by titration of dose based on toxicity.", "Strong", ("reduce_dose", 50)),
    ("Consider a 25% reduction of recommended starting dose.", "Moderate", ("reduce_dose", 25)),
    ("Initiate therapy with drastically reduced starting doses. Reduce starting dose by 10-fold.", "Strong",
     ("reduce_dose", 90)),
    ("Initiate therapy with 25-50% of the lowest recommended starting dose.", "Moderate", ("reduce_dose", None)),
    ("Increase starting daily dose by 100%. Monitor for efficacy.", "Optional", ("increase_dose", 100)),
    ("Select alternative drug not predominantly metabolized by CYP2D6.", "Moderate", ("use_alternative", None)),
    ("Avoid moderate and strong CYP2D6 inhibitors. Initiate therapy with recommended standard of care dosing.",
     "Strong", ("use_with_caution", None)),
    ("Use at standard doses with caution and with close monitoring for anemia", "Optional",
     ("use_with_caution", None)),
    ("Use codeine label recommended age- or weight-specific dosing.", "Strong", ("standard_dosing", None)),
    ("No reason to avoid based on G6PD status", "Strong", ("standard_dosing", None)),
    ("No recommendation", "No Recommendation", ("no_recommendation", None)),
    ("", None, ("no_recommendation", None)),
    ("For first dose, use typical initial or loading dose. For subsequent doses use approximately 50% less "
     "than typical maintenance dose.", "Strong", ("reduce_dose", 50)),
])
def test_classify_action(text, classification, expected):
    assert classify_action(text, classification) == expected


def test_unmatched_text_is_an_error_not_a_guess():
    with pytest.raises(KnowledgeBaseError, match="no action rule"):
        classify_action("Consult the oracle.", "Strong")


@pytest.fixture(scope="module")
def built(shared_data: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cpic")
    build_cpic_tables(shared_data / "cpic", out)
    return out


@pytest.mark.shared
def test_build_reproduces_the_bundled_tables(built: Path):
    bundled = _default_path()
    for name in ("recommendations.tsv", "pairs.tsv", "drugs.tsv", "gene_results.tsv", "version.json"):
        assert (built / name).read_bytes() == (bundled / name).read_bytes(), name
    for f in bundled.iterdir():
        assert f.stat().st_size < 1_000_000, f


@pytest.mark.shared
def test_bundled_wording_is_ours_not_cpic(shared_data: Path):
    """No 8-word run of any CPIC recommendation sentence appears in the bundled tables."""
    src = shared_data / "cpic/recommendations/cpic_recommendations_v1.54.0.tsv"
    with src.open(newline="", encoding="utf-8") as fh:
        texts = {r["drugrecommendation"] for r in csv.DictReader(fh, delimiter="\t")}

    def shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
        words = re.findall(r"[\w%≤<>.-]+", text.lower())
        return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}

    cpic = set().union(*(shingles(t) for t in texts))
    bundled = (_default_path() / "recommendations.tsv").read_text(encoding="utf-8")
    ours = shingles(bundled.replace("\t", " \n "))
    assert not (ours & cpic)
    assert "cpic_text" not in bundled.splitlines()[0]


@pytest.mark.shared
def test_downloaded_kb_with_text_and_from_api_json(shared_data: Path, tmp_path: Path):
    # a CPIC-API-shaped download: per-drug JSON files plus the database extract
    src = tmp_path / "src"
    src.mkdir()
    (src / "cpic_db_v9.9.9_extract").symlink_to(shared_data / "cpic/cpic_db_v1.54.0_extract")
    (src / "cpic_api_json_v9.9.9").symlink_to(shared_data / "cpic/recommendations/cpic_api_json_v1.30")
    out = tmp_path / "kb"
    info = build_cpic_tables(src, out, include_text=True)
    assert info["version"] == "v9.9.9" and info["includes_cpic_text"] is True
    assert int(info["recommendation_rows"]) > 2000  # type: ignore[call-overload]
    kb = load_guidance_kb(out)
    call = GeneCall("CYP2C19", "called", (Diplotype("*2/*2", ("*2", "*2"), (), "Poor Metabolizer", None),),
                    "Poor Metabolizer", None, (), "vcf")
    e = next(d for d in guidance_for([call], ["clopidogrel"], kb=kb).drugs if d["drug"] == "clopidogrel")
    assert e["action"] == "avoid" and e["cpic_text"] and "prasugrel" in str(e["cpic_text"])


def test_build_without_recommendations_is_a_knowledge_base_error(tmp_path: Path):
    with pytest.raises(KnowledgeBaseError, match="no CPIC recommendations"):
        build_cpic_tables(tmp_path, tmp_path / "out")
