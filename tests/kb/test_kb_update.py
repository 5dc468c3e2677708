"""`pgxannot kb update|use|status` against a real HTTP server on 127.0.0.1.

Every failure must leave the active version byte-identical, the status text and the
versions a run resolves unchanged, and raise one-line DownloadError naming the
version still in use.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from pgxannot import cli
from pgxannot.errors import DownloadError, KnowledgeBaseError
from pgxannot.kb import manage, registry, resolve, status, store
from pgxannot.kb.download import FetchPolicy, Progress, check_scheme, fetch

CLINVAR_PATH = "/pub/clinvar/clinvar.vcf.gz"


# ------------------------------------------------------------------ helpers
def md5_line(data: bytes, name: str = "clinvar.vcf.gz") -> bytes:
    return f"{hashlib.md5(data).hexdigest()}  {name}\n".encode()


def serve_clinvar(server, data: bytes, *, path: str = CLINVAR_PATH, md5: bytes | None = None,
                  **kw) -> str:
    headers = {"ETag": '"' + hashlib.md5(data).hexdigest() + '"', **kw.pop("headers", {})}
    server.add(path, data, headers=headers, **kw)
    server.add(path + ".md5", md5 if md5 is not None else md5_line(data))
    return server.url(path)


def serve_cpic(server, api: dict[str, bytes]) -> str:
    for path, body in api.items():
        server.add(path, body, headers={"Content-Type": "application/json"})
    return server.url("/v1/")


def snapshot(home: Path) -> dict[str, object]:
    """Everything a failed update must leave exactly as it was."""
    active = {}
    for s in registry.updatable_names():
        p = store.source_root(s, home) / "active"
        active[s] = p.read_bytes() if p.exists() else None
    versions = {s: store.installed_versions(s, home) for s in registry.updatable_names()}
    kb = resolve.load_knowledge_base({"cpic": "active", "clinvar": "active", "civic": "active",
                                       "home": str(home)})
    return {"active": active, "versions": versions, "status": status.status_text(home=home),
            "resolved": json.dumps(kb.versions, sort_keys=True, default=str)}


def install_clinvar(server, home, fast, data) -> str:
    url = serve_clinvar(server, data, path="/good/clinvar.vcf.gz")
    manage.update("clinvar", url=url, allow_http=True, home=home, policy=fast)
    return store.active_version("clinvar", home)


# ------------------------------------------------------------------ success
@pytest.mark.shared
def test_clinvar_update_activates_verified_release(server, home, fast, clinvar38):
    before = snapshot(home)
    url = serve_clinvar(server, clinvar38)
    summary = manage.update("clinvar", url=url, allow_http=True, home=home, policy=fast)

    assert store.active_version("clinvar", home) == "2026-07-06"
    assert "clinvar 2026-07-06 activated" in summary and "\n" not in summary
    meta = store.read_meta("clinvar", "2026-07-06", home)
    assert meta["sha256"] == hashlib.sha256(clinvar38).hexdigest()
    assert meta["checksum"]["verified"] is True
    assert meta["date"] == "2026-07-06" and meta["build"] == "GRCh38" and meta["url"] == url
    assert meta["counts"]["plp_variants"] > 100 and meta["built_at"]
    after = snapshot(home)
    assert after["status"] != before["status"]
    assert "* 2026-07-06" in after["status"] and "downloaded" in after["status"]
    kb = resolve.load_knowledge_base({"clinvar": "active", "home": str(home)})
    assert kb.versions["clinvar"]["version"] == "2026-07-06"
    assert kb.versions["clinvar"]["origin"] == "downloaded"
    assert kb.versions["clinvar"]["sha256"] == meta["sha256"]
    assert len(kb.risk.clinvar) == meta["counts"]["plp_variants"]
    assert "ClinVar 2026-07-06 downloaded" in status.short_versions(home=home)
    # privacy: only the two KB files were requested, no query strings
    assert {h.path for h in server.log} == {CLINVAR_PATH, CLINVAR_PATH + ".md5"}
    assert all(h.query == "" for h in server.log)
    # work folders and completed downloads are cleaned up
    root = store.source_root("clinvar", home)
    assert list((root / "tmp").iterdir()) == [] and list((root / "downloads").iterdir()) == []


@pytest.mark.shared
def test_real_grch37_clinvar_vcf_is_versioned_with_its_build(server, home, fast, clinvar37_real):
    url = serve_clinvar(server, clinvar37_real)
    summary = manage.update("clinvar", url=url, allow_http=True, home=home, policy=fast,
                            minimums={"records": 50, "plp_variants": 0})
    assert store.active_version("clinvar", home) == "2019-10-07_GRCh37"
    assert "GRCh37" in summary and "reference_build: GRCh37" in summary
    meta = store.read_meta("clinvar", "2019-10-07_GRCh37", home)
    assert meta["counts"] == {"records": 72, "plp_variants": 0}
    kb = resolve.load_knowledge_base({"clinvar": "active", "home": str(home)})
    assert kb.risk.clinvar_build == "GRCh37"


@pytest.mark.shared
def test_real_clinvar_vcf_without_plp_in_panel_genes_is_refused_by_default(
        server, home, fast, clinvar37_real):
    url = serve_clinvar(server, clinvar37_real)
    with pytest.raises(DownloadError, match="only 0 plp variants"):
        manage.update("clinvar", url=url, allow_http=True, home=home, policy=fast)
    assert store.active_version("clinvar", home) is None


# ------------------------------------------------------------------ failures
def _bad_gzip(data: bytes) -> bytes:
    return data[: len(data) // 2]  # valid gzip start, cut in the middle


FAILURES = {
    "404": dict(route=None, match="HTTP 404"),
    "500_retried": dict(route=dict(fail_times=99), match=r"failed after 3 attempts \(HTTP 500"),
    "slow": dict(route=dict(delay=1.5), match="no answer from 127.0.0.1"),
    "truncated": dict(route=dict(truncate_to=1000), match="truncated|connection broke"),
    "wrong_md5": dict(route=dict(), md5=b"0123456789abcdef0123456789abcdef  clinvar.vcf.gz\n",
                      match="checksum mismatch"),
    "not_gzip": dict(route=dict(), body=b"<html>maintenance</html>", match="not intact gzip"),
    "cut_gzip": dict(route=dict(), body="cut", match="not intact gzip"),
    "not_vcf": dict(route=dict(), body=gzip.compress(b"chrom\tpos\n1\t2\n"), match="not a VCF"),
    "redirect_ftp": dict(route=dict(status=302, headers={"Location": "ftp://example.org/x.vcf.gz"}),
                         match="refusing a redirect to scheme 'ftp:'"),
    "redirect_file": dict(route=dict(status=301, headers={"Location": "file:///etc/passwd"}),
                          match="refusing a redirect to scheme 'file:'"),
}


@pytest.mark.shared
@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failed_update_leaves_everything_unchanged(case, server, home, fast, clinvar38):
    first = install_clinvar(server, home, fast, clinvar38)
    before = snapshot(home)
    spec = FAILURES[case]
    newer = gzip.compress(gzip.decompress(clinvar38).replace(b"##fileDate=2026-07-06",
                                                             b"##fileDate=2026-07-13"), mtime=0)
    if spec["route"] is None:
        url = server.url("/missing/clinvar.vcf.gz")
    else:
        body = spec.get("body", newer)
        if body == "cut":
            body = _bad_gzip(newer)
        url = serve_clinvar(server, body, md5=spec.get("md5") or md5_line(body), **spec["route"])
    t0 = time.monotonic()
    with pytest.raises(DownloadError) as err:
        manage.update("clinvar", url=url, allow_http=True, home=home, policy=fast)
    elapsed = time.monotonic() - t0
    msg = err.value.one_line()
    assert "\n" not in msg
    assert f"pgxannot keeps using {first}" in msg
    import re

    assert re.search(spec["match"], msg), msg
    assert snapshot(home) == before
    assert store.installed_versions("clinvar", home) == [first]
    assert list((store.source_root("clinvar", home) / "tmp").iterdir()) == []
    assert elapsed < 6
    if case == "500_retried":
        assert len(server.hits(CLINVAR_PATH)) == 3  # first try + 2 retries
    if case == "wrong_md5":  # a corrupt download is not kept for resuming
        assert list((store.source_root("clinvar", home) / "downloads").iterdir()) == []


@pytest.mark.shared
def test_plain_http_refused_without_insecure_flag(server, home, fast, clinvar38):
    url = serve_clinvar(server, clinvar38)
    with pytest.raises(DownloadError, match=r"refusing plain-http URL .*--insecure-http"):
        manage.update("clinvar", url=url, home=home, policy=fast)
    assert server.log == []  # refused before any request
    assert store.active_version("clinvar", home) is None


def test_offline_fails_fast_with_clear_message(home, monkeypatch):
    def no_network(self, address):
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    def fake_dns(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", port))]

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    before = status.status_text(home=home)
    t0 = time.monotonic()
    with pytest.raises(DownloadError) as err:
        manage.update("clinvar", home=home)  # official URL, default policy
    assert time.monotonic() - t0 < 2.0
    msg = err.value.one_line()
    assert msg.startswith("clinvar update failed: cannot reach ftp.ncbi.nlm.nih.gov")
    assert "pgxannot keeps using the bundled version (2026-07" in msg
    assert status.status_text(home=home) == before


def test_cli_update_failure_is_one_line_exit_2(home, monkeypatch, capsys):
    monkeypatch.setattr(socket.socket, "connect",
                        lambda self, a: (_ for _ in ()).throw(OSError(errno.ECONNREFUSED, "refused")))
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda h, p, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "",
                                                ("192.0.2.1", p))])
    rc = cli.main(["kb", "update", "cpic"])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.count("\n") == 0 and "cannot reach api.cpicpgx.org" in err
    assert "keeps using the bundled version (v1.54.0)" in err


# ------------------------------------------------------------------ resume / download unit
def test_interrupted_download_resumes_with_range(server, tmp_path, fast):
    body = bytes(range(256)) * 400
    server.add("/f.bin", body, headers={"ETag": '"v1"'}, truncate_to=5000, truncate_times=1)
    got = fetch(server.url("/f.bin"), tmp_path / "f.bin", policy=replace(fast, allow_http=True))
    assert got.path.read_bytes() == body
    assert got.sha256 == hashlib.sha256(body).hexdigest()
    hits = server.hits("/f.bin")
    assert len(hits) == 2
    assert hits[1].headers.get("Range") == "bytes=5000-"
    assert hits[1].headers.get("If-Range") == '"v1"'


def test_partial_file_of_a_changed_release_restarts(server, tmp_path, fast):
    body = b"A" * 3000
    server.add("/f.bin", body, headers={"ETag": '"v2"'}, honour_range=False)
    dest = tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(b"B" * 1000)
    (tmp_path / "f.bin.state.json").write_text(json.dumps({"url": server.url("/f.bin"),
                                                           "etag": '"v1"'}))
    got = fetch(server.url("/f.bin"), dest, policy=replace(fast, allow_http=True))
    assert got.path.read_bytes() == body  # server ignored the range: restarted from zero


def test_check_scheme_rules():
    check_scheme("https://x.org/a", allow_http=False)
    check_scheme("http://127.0.0.1/a", allow_http=True)
    with pytest.raises(DownloadError, match="https to plain http"):
        check_scheme("http://x.org/a", allow_http=True, previous="https://x.org/b")
    with pytest.raises(DownloadError, match="scheme 'file:'"):
        check_scheme("file:///etc/passwd", allow_http=True)


def test_progress_is_rate_limited_plain_text():
    import io

    out = io.StringIO()
    now = [0.0]
    p = Progress("clinvar.vcf.gz", 10_000_000, stream=out, interval=1.0, clock=lambda: now[0])
    for i in range(100):
        now[0] = i * 0.05  # 5 s in total
        p.update(i * 100_000)
    p.update(10_000_000, final=True)
    lines = out.getvalue().splitlines()
    assert 4 <= len(lines) <= 7
    assert lines[-1].startswith("clinvar.vcf.gz [") and "100.0%" in lines[-1]
    assert "10.0/10.0 MB" in lines[-1]


# ------------------------------------------------------------------ CPIC
@pytest.mark.shared
def test_cpic_update_from_api_carries_full_text(server, home, fast, cpic_api):
    url = serve_cpic(server, cpic_api)
    before = snapshot(home)
    summary = manage.update("cpic", url=url, allow_http=True, home=home, policy=fast)
    assert store.active_version("cpic", home) == "api-2023-08-01"
    assert "cpic api-2023-08-01 activated (was the bundled version (v1.54.0))" in summary
    after = snapshot(home)
    assert after["status"] != before["status"]
    kb = resolve.load_knowledge_base({"cpic": "active", "home": str(home)})
    assert kb.versions["cpic"]["version"] == "api-2023-08-01"
    assert kb.versions["cpic"]["origin"] == "downloaded"
    rows = [r for rs in kb.guidance.rows.values() for r in rs]
    folder = store.source_root("cpic", home) / "versions" / "api-2023-08-01"
    header = (folder / "recommendations.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split("\t")[-2:] == ["cpic_text", "cpic_implications"]
    assert len(rows) == 2098 and all(r.cpic_text for r in rows)  # full CPIC text passed through
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["counts"]["recommendations"] == 2098 and meta["includes_cpic_text"] is True
    # only the CPIC tables were asked for; the one query string is a constant
    assert {h.path for h in server.log} <= set(cpic_api)
    assert {h.query for h in server.log} == {"", "order=date.desc&limit=1&select=date"}


@pytest.mark.shared
def test_cpic_malformed_api_answer_is_refused(server, home, fast, cpic_api):
    api = dict(cpic_api)
    api["/v1/recommendation"] = b'{"message": "permission denied"}'
    url = serve_cpic(server, api)
    before = snapshot(home)
    with pytest.raises(DownloadError, match=r"not a JSON array.*keeps using the bundled"):
        manage.update("cpic", url=url, allow_http=True, home=home, policy=fast)
    assert snapshot(home) == before


# ------------------------------------------------------------------ CIViC
@pytest.mark.shared
def test_civic_update_from_nightly_tsvs(server, home, fast, civic_nightly):
    pytest.importorskip("pgxannot.kb.build.civic")
    for path, body in civic_nightly.items():
        server.add(path, body, headers={"Last-Modified": "Sun, 01 Aug 2021 06:00:00 GMT"})
    summary = manage.update("civic", url=server.url("/nightly/"), allow_http=True, home=home,
                            policy=fast)
    assert store.active_version("civic", home) == "nightly-2021-08-01"
    assert "evidence_items 3650" in summary
    kb = resolve.load_knowledge_base({"civic": "active", "home": str(home)})
    assert kb.versions["civic"]["version"] == "nightly-2021-08-01"
    assert len(kb.risk.civic) > 3000
    # optional nightly files that do not exist were skipped (404), required ones fetched
    assert server.hits("/nightly/nightly-MolecularProfileSummaries.tsv")


@pytest.mark.shared
def test_civic_file_without_expected_columns_is_refused(server, home, fast, civic_nightly):
    server.add("/nightly/nightly-ClinicalEvidenceSummaries.tsv", b"molecular_profile\tx\n1\t2\n")
    server.add("/nightly/nightly-VariantSummaries.tsv",
               civic_nightly["/nightly/nightly-VariantSummaries.tsv"])
    with pytest.raises(DownloadError, match="lacks the column"):
        manage.update("civic", url=server.url("/nightly/"), allow_http=True, home=home,
                      policy=fast)
    assert store.active_version("civic", home) is None


# ------------------------------------------------------------------ use / pin / lock
@pytest.mark.shared
def test_use_switches_and_config_pins(server, home, fast, clinvar38):
    first = install_clinvar(server, home, fast, clinvar38)
    newer = gzip.compress(gzip.decompress(clinvar38).replace(b"##fileDate=2026-07-06",
                                                             b"##fileDate=2026-07-13"), mtime=0)
    url = serve_clinvar(server, newer, path="/new/clinvar.vcf.gz")
    manage.update("clinvar", url=url, allow_http=True, home=home, policy=fast)
    assert store.active_version("clinvar", home) == "2026-07-13"
    assert store.installed_versions("clinvar", home) == [first, "2026-07-13"]

    msg = manage.use("clinvar", first, home=home)
    assert f"active version is now {first}" in msg
    assert resolve.load_knowledge_base({"clinvar": "active", "home": str(home)}).versions["clinvar"][
        "version"] == first
    # a pin ignores what is active
    pinned = resolve.load_knowledge_base({"clinvar": "2026-07-13", "home": str(home)})
    assert pinned.versions["clinvar"]["version"] == "2026-07-13"
    assert pinned.versions["clinvar"]["selector"] == "2026-07-13"

    manage.use("clinvar", "bundled", home=home)
    assert (store.source_root("clinvar", home) / "active").read_text().strip() == "bundled"
    assert store.active_version("clinvar", home) is None
    kb = resolve.load_knowledge_base({"clinvar": "active", "home": str(home)})
    assert kb.versions["clinvar"]["origin"] == "bundled"
    assert "* bundled" in status.status_text(home=home).split("clinvar:")[1]

    with pytest.raises(KnowledgeBaseError, match=r"not installed.*installed: "):
        manage.use("clinvar", "1999-01-01", home=home)
    with pytest.raises(KnowledgeBaseError, match="not installed"):
        resolve.load_knowledge_base({"clinvar": "1999-01-01", "home": str(home)})


@pytest.mark.shared
def test_same_release_twice_installs_once_changed_content_gets_suffix(server, home, fast, clinvar38):
    first = install_clinvar(server, home, fast, clinvar38)
    install_clinvar(server, home, fast, clinvar38)
    assert store.installed_versions("clinvar", home) == [first]
    # same ##fileDate, different content (a fixed re-release): never overwrite
    other = gzip.compress(gzip.decompress(clinvar38) + b"", mtime=1)
    url = serve_clinvar(server, other, path="/other/clinvar.vcf.gz")
    manage.update("clinvar", url=url, allow_http=True, home=home, policy=fast)
    assert store.installed_versions("clinvar", home) == [first, f"{first}.2"]
    assert store.active_version("clinvar", home) == f"{first}.2"


def test_concurrent_update_waits_for_the_lock(home):
    import fcntl

    root = store.source_root("cpic", home)
    root.mkdir(parents=True)
    with open(root / manage.LOCK, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        with pytest.raises(KnowledgeBaseError, match="another 'pgxannot kb update cpic' is running"):
            manage.update("cpic", home=home, lock_timeout=0.2)


@pytest.mark.shared
def test_run_reading_during_update_sees_old_or_new_never_partial(server, home, fast, clinvar38):
    first = install_clinvar(server, home, fast, clinvar38)
    newer = gzip.compress(gzip.decompress(clinvar38).replace(b"##fileDate=2026-07-06",
                                                             b"##fileDate=2026-07-13"), mtime=0)
    url = serve_clinvar(server, newer, path="/new/clinvar.vcf.gz")
    seen: set[str] = set()
    errors: list[Exception] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                d = resolve.source_dir("clinvar", "active", home)
                meta = json.loads((d / "meta.json").read_text())
                assert (d / "clinvar_plp.tsv.xz").is_file()
                seen.add(meta["version"])
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    t = threading.Thread(target=reader)
    t.start()
    try:
        manage.update("clinvar", url=url, allow_http=True, home=home, policy=fast)
        time.sleep(0.05)
    finally:
        stop.set()
        t.join()
    assert errors == []
    assert seen <= {first, "2026-07-13"} and "2026-07-13" in seen


def test_status_lists_every_source(home):
    text = status.status_text(home=home)
    for label in ("pgx definitions:", "cpic:", "clinvar:", "civic:"):
        assert label in text
    assert "bundled" in text and "sha256:" in text
    line = status.short_versions(home=home)
    assert line.startswith("knowledge base: ") and "CPIC v1.54.0" in line


def test_cli_status(home, capsys):
    assert cli.main(["kb", "status"]) == 0
    out = capsys.readouterr().out
    assert "clinvar:" in out and str(home / "kb") in out


def test_use_bundled_without_downloads(home):
    assert "active version is now bundled" in manage.use("cpic", "bundled", home=home)
    assert store.active_version("cpic", home) is None
    with pytest.raises(KnowledgeBaseError, match="run 'pgxannot kb update cpic' first"):
        manage.use("cpic", "nonexistent", home=home)


def test_fetch_policy_defaults_are_patient():
    p = FetchPolicy()
    assert p.connect_timeout >= 10 and p.read_timeout >= 30 and p.retries >= 3
    assert p.allow_http is False
