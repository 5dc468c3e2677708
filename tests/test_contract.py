"""docs/contract.md states what the schemas, the renderer registry and the workflow define,
and every statement of the project's shared contract (when it is beside the checkout)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from pgxannot.kb import registry
from pgxannot.paths import shared_data_dir
from pgxannot.report.formats import FORMATS

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
SCHEMAS = ROOT / "workflow" / "schemas"
CONFIG_SCHEMA = yaml.safe_load((SCHEMAS / "config.schema.yaml").read_text(encoding="utf-8"))
SAMPLES_SCHEMA = yaml.safe_load((SCHEMAS / "samples.schema.yaml").read_text(encoding="utf-8"))
REPORT_SCHEMA = json.loads((ROOT / "src" / "pgxannot" / "report" / "schema" / "report.schema.json")
                           .read_text(encoding="utf-8"))


def section(title: str) -> str:
    """The text of the contract's ``## title...`` section."""
    m = re.search(rf"^## {re.escape(title)}[^\n]*\n(.*?)(?=^## |\Z)", CONTRACT, re.S | re.M)
    assert m, f"docs/contract.md has no section {title!r}"
    return m.group(1)


def test_sheet_columns_are_the_schema_properties():
    rows = re.findall(r"^\| `(\w+)` \| (yes|no) \|", section("Sample sheet"), re.M)
    assert [c for c, _ in rows] == list(SAMPLES_SCHEMA["properties"])
    assert [c for c, req in rows if req == "yes"] == SAMPLES_SCHEMA["required"]


def test_config_keys_exist_in_the_schema_and_every_key_is_named():
    text = section("config.yaml")
    props = CONFIG_SCHEMA["properties"]
    named = re.findall(r"^- `(\w+):`", text, re.M)
    assert set(named) == set(props), "every top-level config key is named, and only those"
    for key, inner in re.findall(r"^- `(\w+):`[^\n]*?\(([^)]*)\)", text, re.M):
        allowed = set(props[key].get("properties", {}))
        if key == "knowledge_base":  # a selector per downloadable source: the registry's list
            allowed |= set(registry.updatable_names())
        for sub in re.findall(r"`(\w+)`", inner):
            assert sub in allowed, f"{key}.{sub} is not in config.schema.yaml"


def test_knowledge_base_selectors_are_the_registry_sources():
    line = next(ln for ln in section("config.yaml").splitlines() if ln.startswith("- `knowledge_base:`"))
    assert re.findall(r"`(\w+)`", line.split("(", 1)[1].split(")", 1)[0]) == list(registry.updatable_names())
    kb_line = next(ln for ln in section("Knowledge base").splitlines() if "kb update {" in ln)
    assert kb_line.split("kb update {", 1)[1].split("}", 1)[0].split(",") == list(registry.updatable_names())


def test_per_patient_outputs_are_the_renderer_registry():
    stated = re.findall(r"^- `results/reports/\{sample\}\.([\w.]+)`", section("Outputs per patient"), re.M)
    assert sorted(stated) == sorted(f.suffix for f in FORMATS)


def test_run_outputs_are_what_the_workflow_declares():
    common = (ROOT / "workflow" / "rules" / "common.smk").read_text(encoding="utf-8")
    outputs = re.findall(r"`(results/(?:cohort|checksums)[^`]*)`", section("Outputs per patient"))
    assert outputs
    for path in outputs:
        assert f'"{path}"' in common, f"{path} is not a final output of the workflow"


def test_minimum_json_fields_are_the_schema_required_fields():
    block = section("Outputs per patient").split("```", 2)[1]
    tops = re.findall(r'^  "(\w+)":', block, re.M)
    assert tops == REPORT_SCHEMA["required"]
    parts = re.split(r'^  "(\w+)":', block, flags=re.M)[1:]
    defs = {"genes": "gene", "drugs": "drug", "findings": "finding", "provenance": "provenance"}
    for name, body in zip(parts[::2], parts[1::2], strict=True):
        if name in defs:
            assert re.findall(r'"(\w+)":', body) == REPORT_SCHEMA["$defs"][defs[name]]["required"], name


def test_every_statement_of_the_shared_contract_is_kept():
    """"Kept in step": each line of the shared contract is a line of docs/contract.md (which
    adds, and marks, pgxannot's additions)."""
    data = shared_data_dir()
    shared = data.parent / "CONTRACT.md" if data is not None else None
    if shared is None or not shared.is_file():
        pytest.skip("the project's shared CONTRACT.md is not beside this checkout")
    ours = {ln.strip() for ln in CONTRACT.splitlines()}
    missing = [ln for ln in shared.read_text(encoding="utf-8").splitlines() if ln.strip() and ln.strip() not in ours]
    assert missing == []


def test_readme_and_docs_point_to_the_contract_in_the_clone():
    texts = {p.name: p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
    assert "docs/contract.md" in texts["README.md"]
    assert [name for name, t in texts.items() if "shared/CONTRACT" in t] == []
