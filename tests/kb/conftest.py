"""A real HTTP server on 127.0.0.1 with scripted answers, and knowledge-base releases
built at test time from ../shared/data (never copied into the project)."""

from __future__ import annotations

import csv
import gzip
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pgxannot.kb.download import FetchPolicy


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    truncate_to: int | None = None  # send only this many bytes (Content-Length stays full)
    truncate_times: int | None = None  # truncate this many times, then answer fully
    fail_times: int = 0  # answer fail_status this many times first
    fail_status: int = 500
    honour_range: bool = True


@dataclass
class Hit:
    path: str
    query: str
    headers: dict[str, str]


class Server:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Hit] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                server.log.append(Hit(path, query, dict(self.headers.items())))
                route = server.routes.get(path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.fail_times > 0:
                    route.fail_times -= 1
                    self.send_error(route.fail_status)
                    return
                body = route.body
                status = route.status
                headers = dict(route.headers)
                rng = self.headers.get("Range")
                if rng and route.honour_range and status == 200:
                    start = int(rng.split("=")[1].split("-")[0])
                    headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                    body = body[start:]
                    status = 206
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                send = body
                if route.truncate_to is not None and (route.truncate_times is None
                                                      or route.truncate_times > 0):
                    send = body[: route.truncate_to]
                    if route.truncate_times is not None:
                        route.truncate_times -= 1
                    self.close_connection = True
                try:
                    self.wfile.write(send)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes = b"", **kw: object) -> Route:
        route = Route(body=body, **kw)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def hits(self, path: str) -> list[Hit]:
        return [h for h in self.log if h.path == path]


@pytest.fixture
def server():
    s = Server()
    s.thread.start()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()


@pytest.fixture
def fast() -> FetchPolicy:
    """Short timeouts and back-off keep failure tests fast."""
    return FetchPolicy(connect_timeout=1.0, read_timeout=0.5, retries=2, backoff=0.01,
                       progress=False)


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "pgxannot_home"
    monkeypatch.setenv("PGXANNOT_HOME", str(h))
    return h


# ------------------------------------------------------------------ ClinVar releases
def _header_from_fixture(fixture: Path, *, file_date: str, reference: str) -> list[str]:
    out = []
    with gzip.open(fixture, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            if line.startswith("##fileDate="):
                line = f"##fileDate={file_date}\n"
            elif line.startswith("##reference="):
                line = f"##reference={reference}\n"
            elif line.startswith("##contig"):
                continue
            out.append(line)
    return out


def grch38_vcf_from_panel(shared: Path, *, every: int = 40, limit: int | None = None,
                          file_date: str = "2026-07-06") -> bytes:
    """A GRCh38 VCF in the real ClinVar INFO layout (header of the real fixture) holding
    rows of the ClinVar panel TSV (every ``every``-th row, or the first ``limit``)."""
    fixture = shared / "clinvar" / "clinvar_20191007_GRCh37_slivar_fixture.vcf.gz"
    lines = _header_from_fixture(fixture, file_date=file_date, reference="GRCh38")
    with gzip.open(shared / "clinvar" / "clinvar_acmgsf32_pah_panel_GRCh38.tsv.gz", "rt",
                   encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        for i, r in enumerate(reader):
            if limit is not None and i >= limit:
                break
            if limit is None and i % every:
                continue
            info = (f"ALLELEID={r['clinvar_id']};CLNDN={r['disease'].replace(' ', '_')};"
                    f"CLNREVSTAT={r['review_status']};CLNSIG={r['significance']};"
                    f"GENEINFO={r['gene']}:0")
            lines.append("\t".join([r["chrom"], r["pos"], r["clinvar_id"], r["ref"], r["alt"],
                                    ".", ".", info]) + "\n")
    return gzip.compress("".join(lines).encode("utf-8"), mtime=0)


@pytest.fixture(scope="session")
def clinvar38(shared_data) -> bytes:
    return grch38_vcf_from_panel(shared_data)


@pytest.fixture(scope="session")
def clinvar37_real(shared_data) -> bytes:
    return (shared_data / "clinvar" / "clinvar_20191007_GRCh37_slivar_fixture.vcf.gz").read_bytes()


# ------------------------------------------------------------------ CPIC API
def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def cpic_api(shared_data) -> dict[str, bytes]:
    """The CPIC API tables (PostgREST JSON arrays): recommendations, guidelines and
    publications from the v1.30 API JSON files, drugs/pairs/gene results from the
    v1.54 database extract."""
    cpic = shared_data / "cpic"
    extract = cpic / "cpic_db_v1.54.0_extract"
    drugs = [{"drugid": d["drug_id"], "name": d["drug_name"], "pharmgkbid": d["pharmgkb_id"],
              "rxnormid": d["rxnorm_id"], "drugbankid": d["drugbank_id"]}
             for d in _csv_rows(extract / "drugs.csv")]
    pairs = [{"pairid": int(p["pair_id"]), "genesymbol": p["gene"], "drugid": p["drug_id"],
              "cpiclevel": p["cpic_level"], "pgxtesting": p["pgx_testing"] or None,
              "citations": [c for c in p["citations"].split(",") if c], "removed": False}
             for p in _csv_rows(extract / "pairs.csv")]
    gene_results = [{"id": int(g["id"]), "genesymbol": g["gene"], "result": g["phenotype_result"],
                     "activityscore": g["activity_score"], "ehrpriority": g["ehr_priority"],
                     "consultationtext": g["consultation_text"]}
                    for g in _csv_rows(extract / "gene_results.csv")]
    recs, guidelines, pubs = [], {}, []
    rec_id = 1
    for f in sorted((cpic / "recommendations" / "cpic_api_json_v1.30").glob("*.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        gid = guidelines.setdefault(d["guidelinename"], {
            "id": 100000 + len(guidelines), "name": d["guidelinename"], "url": d["url"],
            "genes": d.get("genes") or []})["id"]
        if not any(p["guidelineid"] == gid for p in pubs):
            pubs.extend({"guidelineid": gid, "pmid": c["pmid"]} for c in d.get("citations") or [])
        for r in d.get("recommendations") or []:
            recs.append({"id": rec_id, "drugid": d["drugid"], "guidelineid": gid, **r})
            rec_id += 1
    return {
        "/v1/drug": json.dumps(drugs).encode(),
        "/v1/pair": json.dumps(pairs).encode(),
        "/v1/gene_result": json.dumps(gene_results).encode(),
        "/v1/recommendation": json.dumps(recs).encode(),
        "/v1/guideline": json.dumps(list(guidelines.values())).encode(),
        "/v1/publication": json.dumps(pubs).encode(),
        "/v1/change_log": json.dumps([{"date": "2023-08-01"}]).encode(),
    }


# ------------------------------------------------------------------ CIViC nightly
@pytest.fixture(scope="session")
def civic_nightly(shared_data) -> dict[str, bytes]:
    civic = shared_data / "civic"
    evidence = gzip.decompress((civic / "01-Aug-2021-ClinicalEvidenceSummaries.tsv.gz").read_bytes())
    return {
        "/nightly/nightly-ClinicalEvidenceSummaries.tsv": evidence,
        "/nightly/nightly-VariantSummaries.tsv": (civic / "01-Aug-2021-VariantSummaries.tsv").read_bytes(),
        "/nightly/nightly-AssertionSummaries.tsv": (civic / "01-Aug-2021-AssertionSummaries.tsv").read_bytes(),
    }
