"""The knowledge-source registry is complete and is what every part of pgxannot iterates."""

from __future__ import annotations

import inspect
import json

import pytest
import yaml

from pgxannot import cli
from pgxannot.errors import KnowledgeBaseError
from pgxannot.kb import registry, resolve
from pgxannot.kb.cpic import GuidanceKB
from pgxannot.kb.status import status_text
from pgxannot.paths import bundled_root, resources_dir

SOURCES = registry.SOURCES


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_bundled_tables_carry_their_version(source):
    meta = json.loads((resources_dir() / source.folder / source.meta_file).read_text(encoding="utf-8"))
    assert meta.get(source.version_key), f"{source.meta_file} of {source.name} names no version"


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_every_builder_takes_the_common_signature(source):
    params = inspect.signature(source.builder).parameters
    positional = [p for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert len(positional) == 2, "build(source, out, ...)"
    for name, default in (("version", None), ("include_text", False)):
        assert params[name].kind is params[name].KEYWORD_ONLY and params[name].default is default
    extra = [p for p in params.values() if p not in positional and p.default is p.empty]
    assert extra == [], "any further parameter is an optional keyword"


def test_updatable_sources_can_be_downloaded_and_selected():
    schema = yaml.safe_load((bundled_root() / "workflow" / "schemas" / "config.schema.yaml").read_text())
    selectors = schema["properties"]["knowledge_base"]["properties"]
    names = registry.updatable_names()
    assert names == ("cpic", "clinvar", "civic")
    for s in registry.updatable():
        assert s.official_url and s.official_url.startswith("https://")
        assert s.minimums and set(s.minimums) == set(s.mirror_minimums)
        assert all(s.mirror_minimums[k] <= v for k, v in s.minimums.items())
        assert s.name in selectors, f"knowledge_base.{s.name} missing from config.schema.yaml"
    assert registry.BY_NAME["pgx"].updatable is False


def test_unknown_source_names_the_choices():
    with pytest.raises(KnowledgeBaseError, match="unknown knowledge-base source 'dpwgx'") as e:
        registry.get("dpwgx", updatable_only=True)
    assert "cpic, clinvar, civic" in e.value.one_line()
    with pytest.raises(KnowledgeBaseError):
        registry.get("pgx", updatable_only=True)  # bundled only
    assert registry.get("pgx").label == "pgx definitions"


def test_cli_kb_choices_come_from_the_registry(capsys):
    with pytest.raises(SystemExit):
        cli.main(["kb", "update", "nosuch"])
    err = capsys.readouterr().err
    assert "{cpic,clinvar,civic}" in err


def test_status_and_provenance_list_every_source(tmp_path):
    text = status_text(home=tmp_path)
    for s in SOURCES:
        assert f"\n{s.label}: active bundled" in text
    kb = resolve.load_knowledge_base({"home": str(tmp_path)})
    assert isinstance(kb.guidance, GuidanceKB)
    assert list(kb.versions) == [s.provenance_key for s in SOURCES]
    for s in SOURCES:
        block = kb.versions[s.provenance_key]
        assert block["origin"] == "bundled" and block["version"]
        assert ("selector" in block) is s.updatable


@pytest.mark.parametrize("source", [s for s in SOURCES if s.name != "pgx"], ids=lambda s: s.name)
def test_loaders_read_the_bundled_folder(source):
    loaded = source.loader(resources_dir() / source.folder)
    assert loaded, f"{source.name} loader read nothing from the bundled folder"


def test_selection_signature_names_every_updatable_source():
    sig = resolve.selection_signature({"cpic": "bundled", "clinvar": "bundled", "civic": "bundled"})
    assert sig.split(";")[1:] == [f"{n}=bundled" for n in registry.updatable_names()]
