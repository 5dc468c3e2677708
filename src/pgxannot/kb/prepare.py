"""Download preparers of ``pgxannot kb update``: fetch one source's release, verify it,
build its tables with the source's builder into a work folder.

Each ``prepare_<source>(url, work, downloads, policy, floors)`` returns a
:class:`Prepared` release; :mod:`pgxannot.kb.manage` installs and activates it, and
:mod:`pgxannot.kb.registry` names which preparer serves which source. Verification:
checksum where the source publishes one, gzip integrity, expected header/columns,
minimum record counts (``floors``).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from pgxannot.errors import DownloadError
from pgxannot.kb.build import civic as civic_builder
from pgxannot.kb.build import clinvar as clinvar_builder
from pgxannot.kb.build import cpic as cpic_builder
from pgxannot.kb.download import Fetched, FetchPolicy, fetch, fetch_text, remove_partial
from pgxannot.kb.store import safe_name


@dataclass(frozen=True)
class Prepared:
    """A verified, built release waiting in a work folder to be installed."""

    version: str
    date: str | None
    tables: Path
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict)


class Preparer(Protocol):
    """Download, verify and build one release of a source into ``work``."""

    def __call__(self, url: str, work: Path, downloads: Path, policy: FetchPolicy,
                 floors: Mapping[str, int], /) -> Prepared: ...


def _require(counts: Mapping[str, int], floors: Mapping[str, int], what: str) -> None:
    for key, floor in floors.items():
        if key in counts and counts[key] < floor:
            raise DownloadError(f"{what} has only {counts[key]} {key.replace('_', ' ')} "
                                f"(at least {floor} expected): truncated or not the right file")


def _basename(url: str, default: str) -> str:
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return safe_name(name) if name else default


def _url_key(url: str) -> str:
    return hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()[:12]


# --------------------------------------------------------------------------- ClinVar
_MD5 = re.compile(r"\b([0-9a-fA-F]{32})\b")
_CLINVAR_INFO = ("CLNSIG", "CLNREVSTAT", "GENEINFO")


def verify_clinvar_vcf(path: Path) -> dict[str, Any]:
    """Check a ClinVar VCF: gzip intact to the end (CRC), VCF header with ``##fileDate``
    and the INFO keys the builder reads, 8+ columns per record. Returns header facts
    and the record count."""
    header: dict[str, str] = {}
    info_ids: set[str] = set()
    records = 0
    columns_ok = False
    try:
        with gzip.open(path, "rb") as fh:
            first = fh.readline()
            if not first.startswith(b"##fileformat=VCF"):
                raise DownloadError("not a VCF (first line is not ##fileformat=VCF)")
            for raw in fh:
                if raw.startswith(b"##"):
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    key, _, value = line[2:].partition("=")
                    if key in ("fileDate", "reference", "source"):
                        header[key] = value
                    m = re.match(r"##INFO=<ID=([^,>]+)", line)
                    if m:
                        info_ids.add(m.group(1))
                    continue
                if raw.startswith(b"#CHROM"):
                    columns_ok = len(raw.split(b"\t")) >= 8
                    break
            else:
                raise DownloadError("VCF has no #CHROM header line")
            if not columns_ok:
                raise DownloadError("VCF #CHROM line has fewer than 8 columns")
            tail = b""
            for block in iter(lambda: fh.read(1 << 20), b""):
                records += block.count(b"\n")
                tail = block[-1:]
            if tail and tail != b"\n":
                records += 1
    except (OSError, EOFError, gzip.BadGzipFile, ValueError) as exc:
        raise DownloadError(f"the ClinVar VCF is not intact gzip ({exc})") from None
    missing = [k for k in _CLINVAR_INFO if k not in info_ids]
    if missing:
        raise DownloadError(f"not a ClinVar VCF: INFO {', '.join(missing)} not declared")
    if not re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", header.get("fileDate", "")):
        raise DownloadError("the ClinVar VCF has no usable ##fileDate (its version)")
    return {"header": header, "records": records}


def _iso_date(text: str) -> str:
    digits = text.replace("-", "")
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"


def prepare_clinvar(url: str, work: Path, downloads: Path, policy: FetchPolicy,
                     floors: Mapping[str, int]) -> Prepared:
    key = _url_key(url)
    md5_text = fetch_text(url + ".md5", downloads / f"{key}.md5", policy=policy, missing_ok=True)
    (downloads / f"{key}.md5").unlink(missing_ok=True)
    expected_md5 = None
    if md5_text is not None:
        m = _MD5.search(md5_text)
        if not m:
            raise DownloadError(f"{_basename(url, 'clinvar.vcf.gz')}.md5 holds no md5 checksum")
        expected_md5 = m.group(1).lower()
    dest = downloads / f"{key}-{_basename(url, 'clinvar.vcf.gz')}"
    got = fetch(url, dest, policy=policy, label=f"clinvar {_basename(url, 'clinvar.vcf.gz')}")
    try:
        if expected_md5 is not None and got.md5 != expected_md5:
            raise DownloadError(f"checksum mismatch: md5 of the download is {got.md5}, "
                                f"{_basename(url, 'clinvar.vcf.gz')}.md5 says {expected_md5}")
        facts = verify_clinvar_vcf(got.path)
        _require({"records": facts["records"]}, floors, "the ClinVar VCF")
        hdr = facts["header"]
        date = _iso_date(hdr["fileDate"])
        ref = hdr.get("reference", "")
        build = "GRCh37" if ("GRCh37" in ref or "hg19" in ref) else (
            "GRCh38" if ("GRCh38" in ref or "hg38" in ref) else None)
        if build is None:
            raise DownloadError(f"the ClinVar VCF names no known genome build (##reference={ref})")
        version = date if build == "GRCh38" else f"{date}_{build}"
        tables = work / "tables"
        info = clinvar_builder.build(got.path, tables, version=version, genome_build=build)
    except BaseException:
        remove_partial(dest)
        raise
    dest.unlink(missing_ok=True)
    counts = {"records": int(info.get("records_read", 0)),
              "plp_variants": int(info.get("plp_variants", 0))}
    _require(counts, floors, "the ClinVar release")
    return Prepared(version=version, date=date, tables=tables, sha256=got.sha256, meta={
        "build": build, "counts": counts, "file": _basename(url, "clinvar.vcf.gz"),
        "size": got.size, "final_url": got.final_url,
        "checksum": {"md5": got.md5, "verified": expected_md5 is not None,
                     "against": url + ".md5" if expected_md5 else None},
    })


# --------------------------------------------------------------------------- CPIC
# API tables -> required keys. The CPIC API is PostgREST: each table is one JSON array.
CPIC_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "drug": ("drug", ("drugid", "name")),
    "pair": ("pair", ("genesymbol", "drugid", "cpiclevel")),
    "recommendation": ("recommendation", ("drugid", "lookupkey", "drugrecommendation",
                                          "classification")),
    "guideline": ("guideline", ("id", "name", "url")),
    "gene_result": ("gene_result", ("genesymbol", "result")),
    "publication": ("publication", ("guidelineid", "pmid")),
}
CPIC_VERSION_QUERY = "change_log?order=date.desc&limit=1&select=date"


def _json_table(text: str, name: str, required: tuple[str, ...]) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError:
        raise DownloadError(f"CPIC API table '{name}' is not JSON") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise DownloadError(f"CPIC API table '{name}' is not a JSON array of records")
    for i, r in enumerate(data):
        missing = [k for k in required if k not in r]
        if missing:
            raise DownloadError(f"CPIC API table '{name}' record {i + 1} lacks {', '.join(missing)}")
    return data


def prepare_cpic(url: str, work: Path, downloads: Path, policy: FetchPolicy,
                  floors: Mapping[str, int]) -> Prepared:
    base = url if url.endswith("/") else url + "/"
    raw = work / "api"
    tables_json: dict[str, list[dict[str, Any]]] = {}
    digests: dict[str, str] = {}
    for name, (endpoint, required) in CPIC_TABLES.items():
        text = fetch_text(base + endpoint, raw / f"{name}.json", policy=policy,
                          missing_ok=(name == "publication"))
        if text is None:
            tables_json[name] = []
            continue
        digests[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        tables_json[name] = _json_table(text, name, required)
    change = fetch_text(base + CPIC_VERSION_QUERY, raw / "change_log.json", policy=policy,
                        missing_ok=True)
    date = _cpic_date(change)
    counts = {"recommendations": len(tables_json["recommendation"]),
              "drugs": len(tables_json["drug"]), "pairs": len(tables_json["pair"]),
              "gene_results": len(tables_json["gene_result"])}
    _require(counts, floors, "the CPIC API")
    src = work / "source"
    write_cpic_source(tables_json, src)
    version = f"api-{date}" if date else "api-" + datetime.now(UTC).date().isoformat()
    tables = work / "tables"
    info = cpic_builder.build(src, tables, version=version, include_text=True)
    combined = hashlib.sha256("".join(f"{k} {v}\n" for k, v in sorted(digests.items())).encode())
    counts["recommendation_rows"] = int(info.get("recommendation_rows", 0))  # type: ignore[call-overload]
    return Prepared(version=version, date=date, tables=tables, sha256=combined.hexdigest(), meta={
        "counts": counts, "files": digests, "includes_cpic_text": True,
        "checksum": {"sha256_per_table": digests, "verified": False,
                     "note": "CPIC publishes no checksums; sha256 recorded"},
    })


def _cpic_date(text: str | None) -> str | None:
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        value = data[0].get("date")
        if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
            return value[:10]
    return None


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def write_cpic_source(t: Mapping[str, list[dict[str, Any]]], out: Path) -> None:
    """Lay CPIC API tables out as :func:`pgxannot.kb.build.cpic.build` reads a release: an extract
    (``pairs.csv``, ``drugs.csv``, ``gene_results.csv``) and one API-style JSON file per
    drug with its recommendations, guideline and PMIDs."""
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "drugs.csv", ["drug_id", "drug_name", "pharmgkb_id", "rxnorm_id", "drugbank_id"],
               [[d["drugid"], d["name"], _s(d.get("pharmgkbid")), _s(d.get("rxnormid")),
                 _s(d.get("drugbankid"))] for d in t["drug"]])
    pairs = []
    for p in t["pair"]:
        if p.get("removed") is True:
            continue
        cites = p.get("citations") or []
        pairs.append([_s(p.get("pairid")), p["genesymbol"], p["drugid"], _s(p.get("cpiclevel")),
                      _s(p.get("pgxtesting")),
                      ",".join(map(str, cites)) if isinstance(cites, list) else _s(cites)])
    _write_csv(out / "pairs.csv", ["pair_id", "gene", "drug_id", "cpic_level", "pgx_testing", "citations"],
               pairs)
    _write_csv(out / "gene_results.csv",
               ["id", "gene", "phenotype_result", "activity_score", "ehr_priority", "consultation_text"],
               [[_s(g.get("id")), g["genesymbol"], _s(g.get("result")), _s(g.get("activityscore")),
                 _s(g.get("ehrpriority")), _s(g.get("consultationtext"))] for g in t["gene_result"]])
    drug_name = {d["drugid"]: d["name"] for d in t["drug"]}
    guideline = {g["id"]: g for g in t["guideline"]}
    pmids: dict[Any, list[str]] = {}
    for pub in t.get("publication") or []:
        if pub.get("pmid"):
            pmids.setdefault(pub["guidelineid"], []).append(str(pub["pmid"]))
    per_drug: dict[str, dict[str, Any]] = {}
    for r in sorted(t["recommendation"], key=lambda r: (str(r["drugid"]), _s(r.get("id")))):
        drug_id = r["drugid"]
        if drug_id not in drug_name:
            raise DownloadError(f"CPIC recommendation {r.get('id')} names unknown drug {drug_id}")
        entry = per_drug.get(drug_id)
        if entry is None:
            g = guideline.get(r.get("guidelineid")) or {}
            entry = {"drugid": drug_id, "drugname": drug_name[drug_id],
                     "guidelinename": g.get("name"), "url": g.get("url"),
                     "citations": [{"pmid": p} for p in pmids.get(r.get("guidelineid"), [])],
                     "genes": list(g.get("genes") or []), "recommendations": []}
            per_drug[drug_id] = entry
        entry["recommendations"].append({k: r.get(k) for k in (
            "id", "implications", "drugrecommendation", "classification", "phenotypes",
            "activityscore", "allelestatus", "lookupkey", "comments", "population")})
    folder = out / "cpic_api_json"
    folder.mkdir(exist_ok=True)
    for drug_id, entry in per_drug.items():
        fname = safe_name(drug_id.replace(":", "_")) + ".json"
        (folder / fname).write_text(json.dumps(entry, sort_keys=True), encoding="utf-8")


# --------------------------------------------------------------------------- CIViC
# nightly file -> (required, columns that must be present)
CIVIC_FILES: dict[str, tuple[bool, tuple[str, ...]]] = {
    "nightly-ClinicalEvidenceSummaries.tsv": (True, (
        "evidence_id", "gene", "variant", "disease", "evidence_type", "evidence_direction",
        "evidence_level", "clinical_significance")),
    "nightly-VariantSummaries.tsv": (True, ("variant_id",)),
    "nightly-AssertionSummaries.tsv": (False, ()),
    "nightly-MolecularProfileSummaries.tsv": (False, ()),
    "nightly-GeneSummaries.tsv": (False, ()),
    "nightly-FeatureSummaries.tsv": (False, ()),
    "nightly-VariantGroupSummaries.tsv": (False, ()),
}


def _tsv_rows(path: Path, required: tuple[str, ...], name: str) -> int:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t")
            header = next(reader, None)
            if header is None:
                raise DownloadError(f"{name} is empty")
            missing = [c for c in required if c not in header]
            if missing:
                raise DownloadError(f"{name} lacks the column(s) {', '.join(missing)}")
            csv.field_size_limit(1 << 24)
            return sum(1 for row in reader if row)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DownloadError(f"{name} is not a UTF-8 TSV ({exc})") from None


def prepare_civic(url: str, work: Path, downloads: Path, policy: FetchPolicy,
                   floors: Mapping[str, int]) -> Prepared:
    base = url if url.endswith("/") else url + "/"
    src = work / "source"
    src.mkdir(parents=True)
    digests: dict[str, str] = {}
    last_modified: list[str] = []
    counts: dict[str, int] = {}
    for name, (required, columns) in CIVIC_FILES.items():
        dest = src / name
        try:
            got = fetch(base + name, dest, policy=policy, label=f"civic {name}")
        except DownloadError as exc:
            if not required and exc.message.startswith(("HTTP 404", "HTTP 410")):
                continue
            raise
        digests[name] = got.sha256
        n = _tsv_rows(dest, columns, name)
        if name.startswith("nightly-ClinicalEvidence"):
            counts["evidence_items"] = n
        lm = _last_modified(got)
        if lm:
            last_modified.append(lm)
    _require(counts, floors, "the CIViC evidence file")
    date = max(last_modified) if last_modified else datetime.now(UTC).date().isoformat()
    version = f"nightly-{date}"
    tables = work / "tables"
    # shared=src: a download is built from itself (CIViC's own GRCh38 HGVS and the bundled
    # anchors), never from reference data beside a source checkout
    info = civic_builder.build(src, tables, version=version, shared=src)
    for key in ("evidence_items", "grch38_mapped"):
        if isinstance(info.get(key), int):
            counts[f"built_{key}"] = int(info[key])
    combined = hashlib.sha256("".join(f"{k} {v}\n" for k, v in sorted(digests.items())).encode())
    return Prepared(version=version, date=date, tables=tables, sha256=combined.hexdigest(), meta={
        "counts": counts, "files": digests,
        "checksum": {"sha256_per_file": digests, "verified": False,
                     "note": "CIViC publishes no checksums; sha256 recorded"},
    })


def _last_modified(got: Fetched) -> str | None:
    value = getattr(got, "last_modified", None)
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError):
        return None
