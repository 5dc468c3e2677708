"""The knowledge-source registry is complete and is what every part of pgxannot iterates."""

from __future__ import annotations

import inspect
import json

import pytest
import yaml

from pgxannot import cli, lazy
from pgxannot.effective_config import read_effective_config, write_effective_config
from pgxannot.errors import ConfigError, KnowledgeBaseError
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
    params = inspect.signature(lazy.function(source.builder)).parameters
    positional = [p for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert len(positional) == 2, "build(source, out, ...)"
    for name, default in (("version", None), ("include_text", False)):
        assert params[name].kind is params[name].KEYWORD_ONLY and params[name].default is default
    extra = [p for p in params.values() if p not in positional and p.default is p.empty]
    assert extra == [], "any further parameter is an optional keyword"


def test_updatable_sources_can_be_downloaded_and_selected():
    names = registry.updatable_names()
    assert names == ("cpic", "clinvar", "civic", "dpwg")
    for s in registry.updatable():
        assert s.official_url and s.official_url.startswith("https://")
        assert s.minimums and set(s.minimums) == set(s.mirror_minimums)
        assert all(s.mirror_minimums[k] <= v for k, v in s.minimums.items())
        assert callable(lazy.function(s.preparer))
    assert registry.get("pgx").updatable is False


def test_the_config_selectors_are_the_registry_sources():
    """The schema takes any selector name as text; the registry says which names exist:
    each updatable source gets its 'bundled' default and anything else is refused."""
    schema = yaml.safe_load((bundled_root() / "workflow" / "schemas" / "config.schema.yaml").read_text())
    block = schema["properties"]["knowledge_base"]
    assert set(block["properties"]) == {"home"} and block["additionalProperties"] == {
        "type": "string", "description": block["additionalProperties"]["description"]}
    assert resolve.selectors({"home": None, "cpic": "active"}) == {
        "home": None, "cpic": "active", "clinvar": "bundled", "civic": "bundled", "dpwg": "bundled"}
    with pytest.raises(ConfigError, match=r"'knowledge_base\.cpci': no such knowledge source") as e:
        resolve.selectors({"cpci": "active"})
    assert "cpic, clinvar, civic, dpwg, home" in e.value.one_line()
    with pytest.raises(ConfigError, match=r"knowledge_base\.pgx"):  # bundled only: no selector
        resolve.selection_signature({"pgx": "active"})


def test_unknown_source_names_the_choices():
    with pytest.raises(KnowledgeBaseError, match="unknown knowledge-base source 'dpwgx'") as e:
        registry.get("dpwgx", updatable_only=True)
    assert "cpic, clinvar, civic, dpwg" in e.value.one_line()
    with pytest.raises(KnowledgeBaseError):
        registry.get("pgx", updatable_only=True)  # bundled only
    assert registry.get("pgx").label == "pgx definitions"


def test_cli_kb_choices_come_from_the_registry(capsys):
    with pytest.raises(SystemExit):
        cli.main(["kb", "update", "nosuch"])
    err = capsys.readouterr().err
    assert "{cpic,clinvar,civic,dpwg}" in err


def test_status_and_provenance_list_every_source(tmp_path):
    text = status_text(home=tmp_path)
    for s in SOURCES:
        assert f"\n{s.label}: active bundled" in text
    kb = resolve.load_knowledge_base({"home": str(tmp_path)})
    assert isinstance(kb.guidance, GuidanceKB) and kb.guidance is kb.tables["cpic"]
    assert list(kb.tables) == [s.name for s in SOURCES if s.loader]
    assert list(kb.versions) == [s.provenance_key for s in SOURCES]
    for s in SOURCES:
        block = kb.versions[s.provenance_key]
        assert block["origin"] == "bundled" and block["version"]
        assert ("selector" in block) is s.updatable


@pytest.mark.parametrize("source", [s for s in SOURCES if s.name != "pgx"], ids=lambda s: s.name)
def test_loaders_read_the_bundled_folder(source):
    loaded = source.load(resources_dir() / source.folder)
    assert loaded, f"{source.name} loader read nothing from the bundled folder"


def test_selection_signature_names_every_updatable_source():
    sig = resolve.selection_signature({"cpic": "bundled", "clinvar": "bundled", "civic": "bundled"})
    assert sig.split(";")[1:] == [f"{n}=bundled" for n in registry.updatable_names()]


def test_the_effective_config_selects_every_updatable_source(tmp_path):
    """What a job runs with (and a report's provenance.config shows) names the version of
    every updatable source, though config.yaml names none of them."""
    sheet = tmp_path / "samples.tsv"
    (tmp_path / "a.vcf").write_text("##fileformat=VCFv4.2\n")
    sheet.write_text(f"sample\tvcf\nS1\t{tmp_path / 'a.vcf'}\n")
    out = tmp_path / "config.json"
    write_effective_config({"samples": str(sheet), "knowledge_base": {"civic": "active"}}, sheet, out)
    written = json.loads(out.read_text())["knowledge_base"]
    assert written == {"civic": "active", "clinvar": "bundled", "cpic": "bundled", "dpwg": "bundled", "home": None}
    assert read_effective_config(out)["knowledge_base"] == written
