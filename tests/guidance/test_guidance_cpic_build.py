"""The CPIC table build: structured rows, reproducibility, own wording, alternative inputs."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest

from pgxannot.errors import KnowledgeBaseError
from pgxannot.guidance import guidance_for, load_guidance_kb
from pgxannot.kb.build.cpic import build as build_cpic_tables
from pgxannot.kb.build.cpic_text import main_action, normalize, numbers, structure
from pgxannot.kb.cpic import _default_path
from pgxannot.pgx.model import Diplotype, GeneCall

ROOT = Path(__file__).resolve().parents[2]


# Short invented or cut-down sentences (never 8 words of CPIC text in the repo).
@pytest.mark.parametrize(("text", "classification", "action", "first_dose"), [
    ("Abacavir is not recommended", "Strong", "avoid", None),
    ("Avoid use", "Strong", "avoid", None),
    ("Reduce starting dose by 50%.", "Strong", "reduce_dose", ("starting", "lower", "50%")),
    ("Consider a 25% reduction of starting dose.", "Moderate", "reduce_dose",
     ("starting", "lower", "25%")),
    ("Reduce starting dose by 10-fold.", "Strong", "reduce_dose", ("starting", "lower", "10-fold")),
    ("Increase starting daily dose by 100%.", "Optional", "increase_dose", ("starting_daily", "higher", "100%")),
    ("Select alternative drug.", "Moderate", "use_alternative", None),
    ("Use at standard doses with caution", "Optional", "use_with_caution", None),
    ("Use codeine label recommended dosing.", "Strong", "standard_dosing", None),
    ("No reason to avoid", "Strong", "standard_dosing", None),
    ("No recommendation", "No Recommendation", "no_recommendation", None),
    ("", None, "no_recommendation", None),
    ("Family history should guide use.", "Strong", "clinical_judgement", None),
    ("Enzyme activity must be measured.", "Moderate", "clinical_judgement", None),
    ("For first dose, use typical loading dose.", "Strong", "standard_dosing",
     ("loading", "standard", None)),
])
def test_structure_of_short_sentences(text, classification, action, first_dose):
    rec = structure(text, classification)
    assert rec.action == action
    if first_dose:
        s = rec.doses[0]
        assert (s.kind, s.direction, s.amount) == first_dose


def test_optional_rows_and_consider_are_hedged():
    assert structure("Reduce starting dose by 50%.", "Optional").hedged
    assert structure("Consider a lower starting dose.", "Moderate").hedged
    assert not structure("Reduce starting dose by 50%.", "Strong").hedged


def test_qualified_dose_statements_do_not_make_the_action():
    # a standard start with a change "for chronic therapy" only stays standard (the change is in the wording)
    rec = structure("Initiate standard starting daily dose. Later, for chronic therapy (>12 weeks) and "
                    "efficacy, consider 50% reduction in daily dose.", "Moderate")
    assert rec.action == "standard_dosing"
    assert [(s.kind, s.direction, s.amount, s.hedged) for s in rec.doses] == [
        ("starting_daily", "standard", None, False), ("daily", "lower", "50%", True)]
    assert rec.doses[1].when and "chronic" in rec.doses[1].when


def test_numbers_and_normalising():
    assert normalize("20%-50% and 40 to 75 mg and 2-4 weeks") == "20–50% and 40–75 mg and 2–4 weeks"
    assert numbers("Avoid 5-fluorouracil; reduce by 10-fold (PMID: 123456)") == ("10-fold",)


def test_unmatched_text_is_an_error_not_a_guess():
    with pytest.raises(KnowledgeBaseError, match="no action rule"):
        main_action("Consult the oracle.", "Strong", ())


def test_unknown_population_is_a_build_error():
    with pytest.raises(KeyError, match="unknown CPIC population"):
        structure("Avoid use", "Strong", population="astronauts")


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


def _repo_text_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split("\n")
        files = [ROOT / f for f in out if f]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        files = [p for p in ROOT.rglob("*") if ".venv" not in p.parts and ".git" not in p.parts]
    return [p for p in files if p.is_file() and p.stat().st_size < 5_000_000]


@pytest.mark.shared
def test_no_8_word_run_of_cpic_text_anywhere_in_the_repo(shared_data: Path):
    """Report wording is our own: no file of the repository holds 8 consecutive words of CPIC text."""
    src = shared_data / "cpic/recommendations/cpic_recommendations_v1.54.0.tsv"
    with src.open(newline="", encoding="utf-8") as fh:
        texts = {t for r in csv.DictReader(fh, delimiter="\t")
                 for t in (r["drugrecommendation"], r["implications"], r["comments"])}

    def shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
        words = re.findall(r"[\w%≤<>.-]+", text.lower())
        return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}

    cpic = set().union(*(shingles(t) for t in texts))
    hits = {}
    for path in _repo_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        common = shingles(text.replace("\t", " \n ")) & cpic
        if common:
            hits[str(path.relative_to(ROOT))] = " ".join(sorted(common)[0])
    assert not hits, hits
    assert "cpic_text" not in (_default_path() / "recommendations.tsv").read_text(encoding="utf-8").splitlines()[0]


def test_the_8_word_check_can_fail():
    words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    runs = {tuple(words[i:i + 8]) for i in range(2)}
    assert runs & {tuple(words[1:9])}


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
    assert e["cpic_implications"] and "CYP2C19" in str(e["cpic_implications"])


def test_build_without_recommendations_is_a_knowledge_base_error(tmp_path: Path):
    with pytest.raises(KnowledgeBaseError, match="no CPIC recommendations"):
        build_cpic_tables(tmp_path, tmp_path / "out")
