"""Configuration and sample sheet: loading and validation shared by the CLI and the workflow.

The JSON Schemas in ``workflow/schemas/`` are the single definition of both; the
workflow validates with Snakemake's ``validate()`` and the CLI with the same files
through :mod:`jsonschema`, filling in the same defaults.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import yaml

from pgxannot.errors import ConfigError, SampleSheetError
from pgxannot.paths import bundled_root
from pgxannot.sample_ids import file_stem

# Sex as a sample sheet may write it (the sex decides the number of chrX copies).
SEXES = ("female", "male", "unknown")
_SEX_NAMES = {"female": "female", "f": "female", "male": "male", "m": "male",
              "unknown": "unknown", "u": "unknown", "": "unknown", "na": "unknown", "nan": "unknown"}


def normalize_sex(value: str | None) -> str | None:
    """``female``/``male``/``unknown`` for the spellings a sample sheet may use; None otherwise."""
    return _SEX_NAMES.get((value or "").strip().lower())



def schema_path(name: str) -> Path:
    return bundled_root() / "workflow" / "schemas" / f"{name}.schema.yaml"


def _load_schema(name: str) -> dict[str, Any]:
    with open(schema_path(name), encoding="utf-8") as fh:
        schema: dict[str, Any] = yaml.safe_load(fh)
    return schema


@cache
def sheet_columns() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) columns of the sample sheet: ``samples.schema.yaml`` defines them."""
    schema = _load_schema("samples")
    required = tuple(schema["required"])
    return required, tuple(c for c in schema["properties"] if c not in required)


def _validator_with_defaults(schema: dict[str, Any]) -> Any:
    """A jsonschema validator that fills ``default`` values in, as Snakemake's validate() does."""
    # heavy (jsonschema + its format checkers): imported only when a config is validated
    from jsonschema import Draft202012Validator, validators

    base = Draft202012Validator

    def set_defaults(validator: Any, properties: dict[str, Any], instance: Any,
                     schema: dict[str, Any]) -> Iterator[Any]:
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if "default" in sub and prop not in instance:
                    default = sub["default"]
                    instance[prop] = dict(default) if isinstance(default, dict) else (
                        list(default) if isinstance(default, list) else default)
        yield from base.VALIDATORS["properties"](validator, properties, instance, schema)

    return validators.extend(base, {"properties": set_defaults})(schema)


def validate_config(config: Mapping[str, Any], *, source: str = "config") -> dict[str, Any]:
    """Validate ``config`` against the config schema; return a copy with defaults filled in."""
    cfg: dict[str, Any] = _deep_copy(config)
    validator = _validator_with_defaults(_load_schema("config"))
    errors = sorted(validator.iter_errors(cfg), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        key = ".".join(str(p) for p in e.absolute_path) or "(top level)"
        raise ConfigError(f"config key '{key}': {e.message}", path=source,
                          hint="see workflow/schemas/config.schema.yaml for allowed values")
    # a second pass fills defaults of objects that were themselves defaulted
    for e in validator.iter_errors(cfg):
        raise ConfigError(f"config: {e.message}", path=source)
    return cfg


def _deep_copy(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {k: _deep_copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_deep_copy(v) for v in obj]
    return obj


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a config.yaml."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file does not exist", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file cannot be read ({exc})", path=path) from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        raise ConfigError(f"config is not valid YAML ({getattr(exc, 'problem', exc)})", path=path, where=where) from None
    if not isinstance(data, dict):
        raise ConfigError("config must be a mapping of keys to values", path=path)
    return validate_config(data, source=str(path))


# ------------------------------------------------------------------------ sample sheet


@dataclass(frozen=True)
class SampleRow:
    """One validated row of the sample sheet; paths are resolved and exist."""

    sample: str
    vcfs: tuple[Path, ...]
    sex: str = "unknown"
    medications: tuple[str, ...] = ()
    outside_calls: Path | None = None
    cnv: Path | None = None
    tumor_type: str | None = None
    secondary_findings: bool = True
    indication: str | None = None
    conditions: tuple[str, ...] = ()  # the patient's known conditions (guidance applicability), ;-separated
    line: int = 0
    raw: dict[str, str] = field(default_factory=dict, compare=False)

    def normalized(self) -> dict[str, str]:
        """The row in the canonical form of ``samples.schema.yaml`` (for Snakemake's validate())."""
        return {
            "sample": self.sample,
            "vcf": ";".join(str(p) for p in self.vcfs),
            "sex": self.sex,
            "medications": ";".join(self.medications),
            "outside_calls": str(self.outside_calls or ""),
            "cnv": str(self.cnv or ""),
            "tumor_type": self.tumor_type or "",
            "secondary_findings": "yes" if self.secondary_findings else "no",
            "indication": self.indication or "",
            "conditions": ";".join(self.conditions),
        }

    @property
    def file_stem(self) -> str:
        """The name of this sample's output files (see :mod:`pgxannot.sample_ids`)."""
        return file_stem(self.sample)

    @property
    def vcf_key(self) -> tuple[str, ...]:
        """Samples with the same key share their VCF file(s) and are read in one pass."""
        return tuple(str(p) for p in self.vcfs)


def _resolve(value: str, *, sheet: Path, line: int, column: str, bases: list[Path],
             known: dict[str, Path] | None = None) -> Path:
    """The existing file ``value`` names; ``known`` remembers the paths one sheet resolved
    (10^5 rows sharing one VCF resolve it once)."""
    if known is not None and value in known:
        return known[value]
    path = _resolve_new(value, sheet=sheet, line=line, column=column, bases=bases)
    if known is not None:
        known[value] = path
    return path


def _resolve_new(value: str, *, sheet: Path, line: int, column: str, bases: list[Path]) -> Path:
    p = Path(value).expanduser()
    candidates = [p] if p.is_absolute() else [b / p for b in bases]
    for c in candidates:
        if c.exists():
            return c.resolve()
    raise SampleSheetError(
        f"{column} file '{value}' does not exist (looked in {', '.join(str(b) for b in bases)})",
        path=sheet, where=f"line {line}",
        hint="fix the path; relative paths resolve against the working directory, then the sheet's folder",
    )


def _read_sheet(path: Path) -> list[tuple[int, dict[str, str]]]:
    """The checked header's rows of the sheet at ``path``: (line number, column -> cell)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SampleSheetError("sample sheet does not exist", path=path,
                               hint="set 'samples:' in config.yaml to an existing TSV") from None
    except OSError as exc:
        raise SampleSheetError(f"sample sheet cannot be read ({exc.strerror})", path=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SampleSheetError(f"sample sheet is not UTF-8 text (byte {exc.start})", path=path,
                               hint="save it as UTF-8") from None
    lines = [(i, ln.rstrip("\r")) for i, ln in enumerate(text.split("\n"), start=1)]
    content = [(i, ln) for i, ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not content:
        raise SampleSheetError("sample sheet has no header or rows", path=path)
    header_line, header_text = content[0]
    header = [h.strip() for h in next(csv.reader(io.StringIO(header_text), delimiter="\t"))]
    _check_header(header, path=path, line=header_line)
    records = []
    for line_no, ln in content[1:]:
        cells = next(csv.reader(io.StringIO(ln), delimiter="\t"))
        if len(cells) > len(header):
            raise SampleSheetError(f"{len(cells)} fields but the header has {len(header)}", path=path,
                                   where=f"line {line_no}", hint="check for stray tabs")
        records.append((line_no, {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}))
    if not records:
        raise SampleSheetError("sample sheet has a header but no samples", path=path)
    return records


def _check_header(header: list[str], *, path: Path, line: int) -> None:
    required, optional = sheet_columns()
    missing = [c for c in required if c not in header]
    if missing:
        raise SampleSheetError(
            f"required column(s) {', '.join(missing)} missing (header: {', '.join(header)})",
            path=path, where=f"line {line}",
            hint="the sheet is tab-separated with at least the columns 'sample' and 'vcf'")
    dup_cols = sorted({h for h in header if header.count(h) > 1})
    if dup_cols:
        raise SampleSheetError(f"column(s) {', '.join(dup_cols)} appear twice", path=path, where=f"line {line}")
    unknown = [h for h in header if h not in required + optional]
    if unknown:
        raise SampleSheetError(
            f"unknown column(s) {', '.join(unknown)}", path=path, where=f"line {line}",
            hint=f"allowed columns: {', '.join(required + optional)}")


def _bases(path: Path, cwd: Path) -> list[Path]:
    """Where relative paths of the sheet resolve: the working directory, then the sheet's folder."""
    bases = [cwd]
    if path.resolve().parent != cwd.resolve():
        bases.append(path.resolve().parent)
    return bases


def load_sample_sheet(path: str | Path, *, cwd: Path | None = None,
                      only: Collection[str] | None = None) -> list[SampleRow]:
    """Read, validate and resolve the sample sheet at ``path``.

    ``only``: validate and return just the rows of these samples (an annotation job's
    chunk; the workflow checked the whole sheet before it started the job).
    """
    path = Path(path)
    bases = _bases(path, cwd or Path.cwd())
    rows: list[SampleRow] = []
    seen: dict[str, int] = {}
    known: dict[str, Path] = {}
    for line_no, rec in _read_sheet(path):
        if only is None or rec["sample"] in only:
            rows.append(_row(rec, path=path, line=line_no, bases=bases, seen=seen, known=known))
    _check_file_names(rows, path)
    return rows


def _check_file_names(rows: list[SampleRow], path: Path) -> None:
    """Two samples must never write the same report file (a hash collision of two unsafe ids)."""
    seen: dict[str, SampleRow] = {}
    for r in rows:
        first = seen.setdefault(r.file_stem, r)
        if first is not r:
            raise SampleSheetError(
                f"samples {first.sample!r} (line {first.line}) and {r.sample!r} get the same file name "
                f"{r.file_stem!r}", path=path, where=f"line {r.line}",
                hint="rename one of them in the VCF and the sheet")


@dataclass(frozen=True)
class SheetEntry:
    """Which VCF file(s) a sample of the sheet reads (what chunking needs; not validated)."""

    sample: str
    vcf_key: tuple[str, ...]


def sheet_entries(path: str | Path, *, cwd: Path | None = None) -> list[SheetEntry]:
    """Every row's sample and resolved VCF key, in sheet order, at a fraction of the cost
    of :func:`load_sample_sheet` (each distinct VCF path is resolved once)."""
    path = Path(path)
    bases = _bases(path, cwd or Path.cwd())
    known: dict[str, Path] = {}
    return [SheetEntry(rec["sample"], tuple(str(_resolve(v.strip(), sheet=path, line=line_no, column="vcf",
                                                         bases=bases, known=known))
                                            for v in rec["vcf"].split(";") if v.strip()))
            for line_no, rec in _read_sheet(path)]


def _row(rec: dict[str, str], *, path: Path, line: int, bases: list[Path], seen: dict[str, int],
         known: dict[str, Path] | None = None) -> SampleRow:
    where = f"line {line}"
    sample = rec["sample"]
    if not sample:
        raise SampleSheetError("empty 'sample'", path=path, where=where)
    if any(unicodedata.category(ch) == "Cc" for ch in sample):
        raise SampleSheetError(f"sample id {sample!r} holds a control character (no VCF sample name can)",
                               path=path, where=where, hint="remove it from the sheet (and the VCF header)")
    if sample in seen:
        raise SampleSheetError(f"sample '{sample}' repeated (first on line {seen[sample]})", path=path,
                               where=where, hint="list each sample once; split VCFs go ';'-separated in one row")
    seen[sample] = line
    if not rec["vcf"]:
        raise SampleSheetError(f"sample '{sample}' has no VCF", path=path, where=where)
    vcfs = tuple(_resolve(v.strip(), sheet=path, line=line, column="vcf", bases=bases, known=known)
                 for v in rec["vcf"].split(";") if v.strip())
    sex = normalize_sex(rec.get("sex"))
    if sex is None:
        raise SampleSheetError(f"sex '{rec.get('sex')}' is not female, male or unknown", path=path, where=where)
    sf = (rec.get("secondary_findings") or "yes").lower()
    if sf not in ("yes", "no", "true", "false", "y", "n"):
        raise SampleSheetError(f"secondary_findings '{rec.get('secondary_findings')}' must be yes or no",
                               path=path, where=where)
    meds = tuple(m.strip() for m in (rec.get("medications") or "").split(";") if m.strip())
    outside = rec.get("outside_calls") or ""
    cnv = rec.get("cnv") or ""
    return SampleRow(
        sample=sample,
        vcfs=vcfs,
        sex=sex,
        medications=meds,
        outside_calls=_resolve(outside, sheet=path, line=line, column="outside_calls", bases=bases) if outside else None,
        cnv=_resolve(cnv, sheet=path, line=line, column="cnv", bases=bases) if cnv else None,
        tumor_type=(rec.get("tumor_type") or None),
        secondary_findings=sf in ("yes", "true", "y"),
        indication=(rec.get("indication") or None),
        conditions=tuple(c.strip() for c in (rec.get("conditions") or "").split(";") if c.strip()),
        line=line,
        raw=rec,
    )


def check_sheet_rows(rows: Sequence[SampleRow], sheet: Path) -> None:
    """Every row, in its normalized form, against ``samples.schema.yaml`` (the workflow's
    check that the loader and the schema agree); compiled, so 10^5 rows take a second."""
    check = _compiled_schema("samples")
    for r in rows:
        try:
            check(r.normalized())
        except fastjsonschema.JsonSchemaValueException as exc:
            raise SampleSheetError(f"row of sample '{r.sample}': {exc.message}", path=sheet,
                                   where=f"line {r.line}") from None


@cache
def _compiled_schema(name: str) -> Any:
    return fastjsonschema.compile(_load_schema(name))


def resolve_samples_path(config: Mapping[str, Any], *, cwd: Path | None = None, bundled: bool = False) -> Path:
    """The sample sheet named by ``config['samples']``, relative to the working directory.

    ``bundled=True`` (the workflow runs on the bundled default config because the working
    directory has no config.yaml) also looks in the bundled folder, where the example sheet is.
    """
    cwd = cwd or Path.cwd()
    p = Path(str(config["samples"])).expanduser()
    if p.is_absolute():
        if p.exists():
            return p
    elif (cwd / p).exists():
        return (cwd / p).resolve()
    elif bundled and (bundled_root() / p).exists():
        return (bundled_root() / p).resolve()
    raise ConfigError(f"sample sheet '{p}' does not exist{'' if p.is_absolute() else f' in {cwd}'}",
                      hint="set 'samples:' in config.yaml (relative to the working directory)")
