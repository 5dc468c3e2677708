"""The HTML in a real headless browser (Debian ``chromium``); skipped when absent."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import report_fixtures as fx

from pgxannot.report import render_cohort, render_html

BROWSER = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))
                if p), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless chromium installed (apt-get install chromium)")


def _chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-dev-shm-usage", f"--user-data-dir={cwd / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd, check=False)


def _dump(html: str, tmp_path: Path) -> str:
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    out = _chromium("--dump-dom", page.as_uri(), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def _text(dom: str) -> str:
    dom = re.sub(r"<(style|title)>.*?</\1>", "", dom, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", dom).split())


def test_browser_renders_the_report(tmp_path):
    dom = _dump(render_html(fx.pgx_report(), previous=fx.sparse_report()), tmp_path)
    text = _text(dom)
    for needle in ("Pharmacogenomic and genomic risk report", "Actionable now", "clopidogrel",
                   "Use an alternative", "Gene calls", "*2/*2", "Germline findings", "BRCA2",
                   "Changed since the last report", "Methods and provenance"):
        assert needle in text, needle
    assert "Generated: 2026-01-01T00:00:00+00:00" in text


def test_browser_builds_no_script_from_hostile_input(tmp_path):
    dom = _dump(render_html(fx.hostile_report()), tmp_path)
    assert "<script" not in dom.lower()
    assert "<img" not in dom.lower()
    assert "onmouseover=" not in dom.replace("&quot;", '"').split("<body", 1)[1].split(">", 1)[0]
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", dom)
    assert "alert(1)" in _text(dom)  # shown as text


def test_browser_renders_cohort_page(tmp_path):
    html = render_cohort(fx.all_reports(), report_links={"PATIENT-001": "PATIENT-001.html"})
    dom = _dump(html, tmp_path)
    assert "<svg" in dom and "Phenotype frequencies per gene" in _text(dom)


def test_screenshot_and_print_to_pdf(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(fx.tumour_report()), encoding="utf-8")
    shot = _chromium("--hide-scrollbars", "--window-size=390,2000",
                     f"--screenshot={tmp_path / 'phone.png'}", page.as_uri(), cwd=tmp_path)
    assert shot.returncode == 0, shot.stderr[-2000:]
    png = (tmp_path / "phone.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    pdf = _chromium("--no-pdf-header-footer", f"--print-to-pdf={tmp_path / 'r.pdf'}",
                    page.as_uri(), cwd=tmp_path)
    assert pdf.returncode == 0, pdf.stderr[-2000:]
    data = (tmp_path / "r.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 2  # methods start on a new printed page


def _page_requests(html: str, tmp_path: Path) -> set[str]:
    """URLs a page loaded from a file asks for, from Chromium's net log.

    Chromium itself calls home (time, accounts...) under its own network isolation key;
    requests made on behalf of the page carry the page's key (``file://``).
    """
    import json as _json

    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    netlog = tmp_path / "netlog.json"
    out = _chromium("--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", f"--log-net-log={netlog}", "--net-log-capture-mode=Everything",
                    "--dump-dom", page.as_uri(), cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    log = _json.loads(netlog.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = set()
    for e in log["events"]:
        p = e.get("params") or {}
        if e["type"] == start_job and str(p.get("network_isolation_key", "")).startswith("file://"):
            urls.add(p.get("url"))
    return urls - {page.as_uri()}


def test_net_log_check_sees_a_page_request(tmp_path):
    # control: the check below would catch an external image or stylesheet
    html = '<html><body><img src="http://example.invalid/x.png"></body></html>'
    assert "http://example.invalid/x.png" in _page_requests(html, tmp_path)


def test_opening_the_report_makes_no_network_request(tmp_path):
    for doc in (fx.tumour_report(), fx.hostile_report()):
        assert _page_requests(render_html(doc), tmp_path) == set()
