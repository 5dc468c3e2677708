"""The three recipes of docs/architecture.md, followed once in a copy of the checkout.

The code blocks of the recipes are applied as the page writes them (``# new file: PATH``;
``# in PATH: add to the imports``; ``# in PATH: add to NAME``, a tuple), so the page and
the code cannot drift apart. Then the copy builds the new source's tables, downloads a
release of it from a local HTTP server (``kb update``), runs the bundled example and the
tests check that the CLI, ``kb status``, the workflow and the reports picked up the new
report format, knowledge source and gene, and that no recipe touched more than three files.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
COPIED = ("src", "resources", "workflow", "examples", "Snakefile", "config.yaml")
RECIPES = ("Add a report format", "Add a knowledge source", "Add a gene")
MAX_FILES = 3
NOTES_RELEASE = "gene\tnote\nVKORC1\tthe warfarin target\nTOY1\ta copy of VKORC1 (recipe test)\n"


# ------------------------------------------------------------------ applying the page
def recipe_blocks(title: str) -> list[tuple[str, str]]:
    """(first line, code) of each fenced block in the recipe section ``### title``."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"### {title}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    return [(b.split("\n", 1)[0], b.split("\n", 1)[1]) for b in blocks]


def _add_to_imports(text: str, code: str) -> str:
    lines = text.split("\n")
    last = max(i for i, ln in enumerate(lines) if ln.startswith(("from pgxannot", "import pgxannot")))
    return "\n".join([*lines[: last + 1], code.rstrip("\n"), *lines[last + 1:]])


def _add_to_tuple(text: str, name: str, code: str) -> str:
    m = re.search(rf"^{name}\b[^\n]*= \(\n(.*?)^\)\n", text, re.S | re.M)
    assert m, f"no tuple {name} = (...) to add to"
    return text[: m.end(1)] + code + text[m.end(1):]


def apply_blocks(root: Path, blocks: list[tuple[str, str]]) -> None:
    for head, code in blocks:
        if m := re.fullmatch(r"# new file: (\S+)", head):
            target = root / m.group(1)
            assert not target.exists(), f"{m.group(1)} exists already"
            target.write_text(code, encoding="utf-8")
        elif m := re.fullmatch(r"# in (\S+): add to the imports", head):
            target = root / m.group(1)
            target.write_text(_add_to_imports(target.read_text(encoding="utf-8"), code), encoding="utf-8")
        elif m := re.fullmatch(r"# in (\S+): add to (\w+)", head):
            target = root / m.group(1)
            target.write_text(_add_to_tuple(target.read_text(encoding="utf-8"), m.group(2), code),
                              encoding="utf-8")
        else:
            raise AssertionError(f"a recipe block says neither where it goes nor what it adds: {head!r}")


def add_gene_by_hand(root: Path) -> None:
    """What the PGx builder writes for a new gene: its table and its index entry (here a copy
    of VKORC1's table named TOY1, so that its calls can be checked against VKORC1's)."""
    genes = root / "resources" / "pgx" / "genes"
    table = json.loads((genes / "VKORC1.json").read_text(encoding="utf-8"))
    table["gene"] = "TOY1"
    (genes / "TOY1.json").write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    index_path = root / "resources" / "pgx" / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    index["vcf_genes"].append("TOY1")
    index["always_report"].append("TOY1")
    index_path.write_text(json.dumps(index, indent=1, sort_keys=True) + "\n", encoding="utf-8")


APPLY: dict[str, Callable[[Path], None]] = {
    "Add a report format": lambda root: apply_blocks(root, recipe_blocks("Add a report format")),
    "Add a knowledge source": lambda root: apply_blocks(root, recipe_blocks("Add a knowledge source")),
    "Add a gene": add_gene_by_hand,
}


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


# ------------------------------------------------------------------ the copy, run once
class Clone:
    def __init__(self, root: Path, home: Path) -> None:
        self.root, self.home = root, home
        self.env = {**os.environ, "PYTHONPATH": str(root / "src"), "PGXANNOT_HOME": str(home),
                    "SOURCE_DATE_EPOCH": "1700000000", "PYTHONDONTWRITEBYTECODE": "1"}

    def pgxannot(self, *args: str, cwd: Path | None = None, timeout: int = 600) -> str:
        proc = subprocess.run([sys.executable, "-m", "pgxannot", *args], cwd=cwd or self.root, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"pgxannot {' '.join(args)}: {proc.stderr[-3000:]}"
        return proc.stdout

    def python(self, code: str) -> str:
        proc = subprocess.run([sys.executable, "-c", code], cwd=self.root, env=self.env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout


def _serve(folder: Path) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def followed(tmp_path_factory) -> tuple[Clone, dict[str, list[str]], Path]:
    """The copy with the three recipes applied (files each touched), its new source's
    tables built, a release downloaded and activated, and the bundled example run."""
    base = tmp_path_factory.mktemp("recipes")
    root = base / "checkout"
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, root / name)
    clone = Clone(root, base / "home")
    touched: dict[str, list[str]] = {}
    for title in RECIPES:
        before = _snapshot(root)
        APPLY[title](root)
        after = _snapshot(root)
        touched[title] = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    # the new source's bundled tables, from a release, by the builder the registry names
    release = base / "release"
    release.mkdir()
    (release / "release.tsv").write_text(NOTES_RELEASE, encoding="utf-8")
    clone.python(f"from pathlib import Path; from pgxannot.kb import registry; "
                 f"registry.get('notes').build(Path({str(release)!r}), Path('resources/notes'), version='bundled-1')")
    server = _serve(release)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/release.tsv"
        clone.pgxannot("kb", "update", "notes", "--url", url, "--insecure-http")
    finally:
        server.shutdown()
    work = base / "run"
    work.mkdir()
    cfg = yaml.safe_load((root / "config.yaml").read_text(encoding="utf-8"))
    cfg["samples"] = str(root / "examples" / "samples.tsv")
    cfg["knowledge_base"]["notes"] = "active"  # a selector the schema never heard of
    (work / "config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    clone.pgxannot("run", "--cores", "2", "-q", cwd=work, timeout=900)
    return clone, touched, work


def _reports(work: Path) -> dict[str, dict]:
    return {p.name.split(".")[0]: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((work / "results" / "reports").glob("*.json")) if not p.name.endswith(".fhir.json")}


# ------------------------------------------------------------------ the checks
@pytest.mark.slow
@pytest.mark.parametrize("title", RECIPES)
def test_each_recipe_touches_at_most_three_files(followed, title):
    _, touched, _ = followed
    assert 0 < len(touched[title]) <= MAX_FILES, touched[title]


def test_the_page_says_where_every_block_goes():
    """The recipe test can only follow what the page states precisely."""
    for title in RECIPES[:2]:
        blocks = recipe_blocks(title)
        assert blocks, f"no code in recipe {title!r}"
        for head, _ in blocks:
            assert re.fullmatch(r"# (new file: \S+|in \S+: add to (the imports|\w+))", head), head


@pytest.mark.slow
def test_a_new_report_format_is_rendered_and_declared(followed):
    _, _, work = followed
    reports = _reports(work)
    checksums = (work / "results" / "checksums.sha256").read_text(encoding="utf-8")
    for sample, report in reports.items():
        path = work / "results" / "reports" / f"{sample}.calls.txt"
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0] == f"{sample}: gene calls"
        assert [ln.split("\t")[0] for ln in lines[1:]] == [g["gene"] for g in report["genes"]]
        assert f"results/reports/{sample}.calls.txt" in checksums  # the workflow declared it


@pytest.mark.slow
def test_a_new_knowledge_source_is_listed_selected_downloaded_and_loaded(followed):
    clone, _, work = followed
    status = clone.pgxannot("kb", "status")
    assert re.search(r"^gene notes: active release-[0-9a-f]{8}$", status, re.M), status
    assert re.search(r"^ +bundled +version bundled-1, bundled, sha256:", status, re.M), status
    assert "notes release-" in clone.pgxannot("--version")
    for report in _reports(work).values():
        block = report["provenance"]["knowledge_base"]["notes"]
        assert block["origin"] == "downloaded" and block["selector"] == "active"
        assert block["version"].startswith("release-") and block["notes"] == 2
        assert report["provenance"]["config"]["knowledge_base"]["notes"] == "active"
    tables = clone.python("from pgxannot.kb.resolve import load_knowledge_base; "
                          "print(load_knowledge_base({'notes': 'bundled'}).tables['notes']['TOY1'])")
    assert tables.strip() == "a copy of VKORC1 (recipe test)"
    assert "active version is now bundled" in clone.pgxannot("kb", "use", "notes", "bundled")


@pytest.mark.slow
def test_a_new_gene_is_called_for_every_patient(followed):
    _, _, work = followed
    reports = _reports(work)
    assert reports
    for report in reports.values():
        genes = {g["gene"]: g for g in report["genes"]}
        toy, vkorc1 = genes["TOY1"], genes["VKORC1"]
        for key in ("status", "diplotypes", "phenotype", "missing_positions"):
            assert toy[key] == vkorc1[key], key
