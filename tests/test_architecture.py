"""The shape of the house: no import cycles, the layer rules, short functions.

Read from the source with :mod:`ast` (which module imports which) and proved by
importing every module of ``src/pgxannot`` first, in a fresh interpreter of its own.

A function named as ``"pgxannot.module:function"`` (the CLI's subcommand table, the
knowledge-source registry: :mod:`pgxannot.lazy` imports it when it is first called) is
data, not an import statement, so the rule "no function-level import" holds for it; it
is still a dependency, so it is an edge of the graph below like any import, and the layer
rules and the cycle check cover it.

Layers (data flows one way: vcf -> pgx -> guidance/risk -> report)::

    errors, paths, files, lazy,            the base: no layer above
    vocabulary, config, sample_ids
    vcf                                    reads VCFs; imports no other layer
    kb (+ kb.build)                        tables: load, build, download; may use vcf
    pgx -> guidance, risk -> report        the stages
    preflight, failures, progress,
    effective_config, pipeline, runner, cli  wiring; nothing below imports them
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pgxannot import lazy

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "pgxannot"

# Function-level imports are allowed only for these heavy or optional third-party
# packages (imported when first needed), never for a pgxannot module.
LAZY_OK = {"jsonschema", "fastjsonschema", "fhir"}

MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The pgxannot module an import names (``pgxannot.kb.registry.SOURCES`` -> ``pgxannot.kb.registry``)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


NAMED = re.compile(r"^(pgxannot(?:\.\w+)*):\w+$")  # as pgxannot.lazy.REFERENCE


def _named(tree: ast.AST) -> list[tuple[str, int]]:
    """("pgxannot.x.y", line) of every "pgxannot.x.y:function" string of a module."""
    return [(m.group(1), node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (m := NAMED.match(node.value))]


def _imports(module: str) -> list[tuple[str, int, bool]]:
    """(imported pgxannot module or third-party top name, line, at top level?) of one module;
    a function named by "module:function" counts as a top-level import of its module."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    out = [(_resolve(name), line, True) for name, line in _named(tree) if _resolve(name) not in (None, module)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module if path.name == "__init__.py" else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    pkg = pkg.rpartition(".")[0]
                base = f"{pkg}.{base}" if base else pkg
            names = [f"{base}.{a.name}" for a in node.names] if base.startswith("pgxannot") else [base]
        else:
            continue
        for name in names:
            target = _resolve(name) if name.startswith("pgxannot") else name.split(".")[0]
            if target and target != module:
                out.append((target, node.lineno, id(node) in top))
    return out


GRAPH = {m: sorted({t for t, _, _ in _imports(m) if t in MODULES}) for m in MODULES}


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle():
    assert _cycles(GRAPH) == []


def test_a_planted_cycle_is_found():
    """The cycle finder itself works (a check that cannot fail proves nothing)."""
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert _cycles({"a": ["b"], "b": []}) == []


def test_no_function_level_import_of_pgxannot_or_of_a_light_package():
    """Imports sit at the top of a module: a function-level import that dodges a cycle is
    refused; only the heavy optional packages of LAZY_OK may be imported on first use."""
    lazy = [f"{m}:{line} imports {t}" for m in MODULES for t, line, top in _imports(m)
            if not top and (t in MODULES or t not in LAZY_OK)]
    assert lazy == []


def _importers_of(layer_prefixes: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for m, targets in GRAPH.items():
        if not m.startswith(layer_prefixes):
            continue
        bad += [f"{m} imports {t}" for t in targets if t.startswith(forbidden) or t in forbidden]
    return bad


ABOVE_KB = ("pgxannot.pgx", "pgxannot.guidance", "pgxannot.risk", "pgxannot.report",
            "pgxannot.pipeline", "pgxannot.cli", "pgxannot.effective_config", "pgxannot.preflight",
            "pgxannot.failures", "pgxannot.progress", "pgxannot.runner")


@pytest.mark.parametrize(("layer", "forbidden"), [
    # kb and vcf import nothing of the layers above them
    (("pgxannot.kb",), ABOVE_KB),
    (("pgxannot.vcf",), (*ABOVE_KB, "pgxannot.kb", "pgxannot.config", "pgxannot.vocabulary")),
    # risk and report import no table builder (table formats live with the loaders)
    (("pgxannot.risk", "pgxannot.report"), ("pgxannot.kb.build",)),
    # report renders; it never calls the pipeline or the CLI
    (("pgxannot.report",), ("pgxannot.pipeline", "pgxannot.cli")),
    # the stages import no later stage
    (("pgxannot.pgx",), ("pgxannot.guidance", "pgxannot.risk", "pgxannot.report", "pgxannot.pipeline",
                         "pgxannot.cli", "pgxannot.effective_config")),
    (("pgxannot.guidance", "pgxannot.risk"), ("pgxannot.report", "pgxannot.pipeline", "pgxannot.cli",
                                              "pgxannot.effective_config")),
    # the base modules import no layer
    (("pgxannot.errors", "pgxannot.paths", "pgxannot.files", "pgxannot.lazy", "pgxannot.config",
      "pgxannot.sample_ids"),
     (*ABOVE_KB, "pgxannot.kb", "pgxannot.vcf")),
], ids=["kb", "vcf", "no-builder-in-risk-report", "report", "pgx", "guidance-risk", "base"])
def test_layer_rule(layer, forbidden):
    assert _importers_of(layer, forbidden) == []


def test_vocabulary_and_lazy_import_nothing_of_pgxannot():
    assert GRAPH["pgxannot.vocabulary"] == []
    assert GRAPH["pgxannot.lazy"] == []


def test_only_the_cli_wires_the_pipeline():
    users = sorted(m for m, targets in GRAPH.items() if "pgxannot.pipeline" in targets)
    assert users == ["pgxannot.cli"]


def test_every_module_imports_first_in_a_fresh_interpreter():
    """Each module imported first (nothing of pgxannot loaded before it): a cycle that
    ast misses (an import in a package's ``__init__``, say) fails here. One forked child per
    module keeps it fast: the parent loads the third-party packages once, never pgxannot."""
    script = textwrap.dedent("""
        import importlib, os, sys, traceback
        import numpy, pandas, yaml, jinja2, requests, cyvcf2, pysam  # heavy, shared by the children
        failed = []
        for name in sys.argv[1:]:
            pid = os.fork()
            if pid == 0:
                try:
                    importlib.import_module(name)
                except BaseException:
                    traceback.print_exc()
                    os._exit(1)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            if status != 0:
                failed.append(name)
        print("FAILED:" + ",".join(failed))
    """)
    names = sorted(m for m in MODULES if m != "pgxannot.__main__")  # __main__ runs the CLI
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", script, *names], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "FAILED:", proc.stderr[-3000:]


def _long_functions(modules: dict[str, Path] = MODULES) -> dict[str, int]:
    out = {}
    for m, path in modules.items():
        if m.startswith("pgxannot.kb.build"):
            continue  # offline table builders: exempt
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    out[f"{m}.{node.name}"] = n
    return out


def test_no_function_over_60_lines_outside_kb_build():
    assert _long_functions() == {}


def test_the_function_length_rule_sees_a_long_function(tmp_path):
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "m.py").write_text(f"class C:\n    def long(self):\n{body}\n\n    def short(self):\n        pass\n")
    (tmp_path / "b.py").write_text(f"def build():\n{body}\n")
    found = _long_functions({"pgxannot.m": tmp_path / "m.py", "pgxannot.kb.build.b": tmp_path / "b.py"})
    assert found == {"pgxannot.m.long": MAX_FUNCTION_LINES + 1}  # builders exempt, methods counted


def test_every_named_function_exists():
    """Each "pgxannot.module:function" string names a function that is there (a typo in the
    CLI's table or the registry would otherwise surface only when that command runs)."""
    names = sorted({node.value for path in MODULES.values()
                    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                    if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAMED.match(node.value)})
    assert len(names) >= 10  # the CLI's subcommands and the registry's loaders, builders, preparers
    missing = [n for n in names if not callable(lazy.function(n))]
    assert missing == []


def test_a_named_function_is_an_edge_of_the_graph():
    tree = ast.parse('COMMANDS = {"x": ("pgxannot.pipeline:annotate_samples", None)}\n"pgxannot.cli is prose"\n')
    assert _named(tree) == [("pgxannot.pipeline", 1)]
    assert "pgxannot.pipeline" in GRAPH["pgxannot.cli"]  # the CLI names the pipeline, never imports it
