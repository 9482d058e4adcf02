"""The architecture, enforced: layers import downward only, the config is a leaf, the
light entry points do not load the training stack, registries agree with the config,
and the tests mirror the source tree. ARCHITECTURE.md describes the same layers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

SRC = ROOT / "src" / "artgan"
# Lowest first. A package may import its own modules and those of lower layers only;
# packages in one layer are independent of each other.
LAYERS: list[set[str]] = [
    {"errors"},
    {"config", "registry"},
    {"io", "runtime"},
    {"data", "nn"},
    {"augment", "losses", "metrics"},
    {"models"},
    {"sampling"},
    {"evaluation"},
    {"api"},  # the scripting facade over sampling and evaluation (never the trainer)
    {"train"},
    {"experiments", "studio"},
    {"cli"},
    {"__main__"},
]
LAYER_OF = {name: i for i, layer in enumerate(LAYERS) for name in layer}
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
LONG_OK = "# long:"  # a comment just above a def: why it is longer than the limit


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py"))


def _unit(path: Path) -> str:
    """The top-level package or module a file belongs to ("models", "errors", …)."""
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _artgan_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported top-level unit) for every ``artgan.*`` import, anywhere in the file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "artgan" and len(parts) > 1:
                out.append((node.lineno, parts[1]))
    return out


def test_every_package_has_a_layer():
    units = {_unit(p) for p in _modules()} - {"__init__"}
    assert units <= set(LAYER_OF), f"add {sorted(units - set(LAYER_OF))} to LAYERS"


def test_imports_run_downward_only():
    bad = []
    for path in _modules():
        unit = _unit(path)
        if unit == "__init__":
            continue
        for line, target in _artgan_imports(path):
            if target == unit or target == "__init__":
                continue
            if LAYER_OF[target] >= LAYER_OF[unit]:
                bad.append(f"{path.relative_to(SRC)}:{line} ({unit}) imports artgan.{target}")
    assert not bad, "imports that do not run downward:\n" + "\n".join(bad)


def test_package_init_imports_nothing_of_artgan():
    assert _artgan_imports(SRC / "__init__.py") == []


def _fresh_import(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after ``code``."""
    run = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return set(run.stdout.split())


@pytest.mark.slow
def test_config_is_a_leaf_without_torch():
    loaded = _fresh_import("import artgan.config")
    ours = {m for m in loaded if m.startswith("artgan.")}
    assert ours <= {m for m in ours if m.startswith(("artgan.config", "artgan.errors"))}, ours
    assert "torch" not in loaded  # validating a config never pays for torch


@pytest.mark.slow
@pytest.mark.parametrize("entry", ["artgan.studio", "artgan.sampling", "artgan.evaluation"])
def test_light_entry_points_do_not_load_the_trainer(entry):
    loaded = _fresh_import(f"import {entry}")
    assert not [m for m in loaded if m.startswith(("artgan.train", "artgan.experiments"))]


def test_modules_and_functions_stay_small():
    long_modules, long_functions = [], []
    for path in _modules():
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(f"{path.relative_to(SRC)}: {len(text.splitlines())} lines")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                above = "\n".join(lines[max(0, node.lineno - 4) : node.lineno])
                if n > MAX_FUNCTION_LINES and LONG_OK not in above:
                    long_functions.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} {n}")
    assert not long_modules, long_modules
    assert not long_functions, f"longer than {MAX_FUNCTION_LINES} lines: {long_functions}"


def test_tests_mirror_the_source_tree():
    tests = ROOT / "tests"
    folders = {p.name for p in tests.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders <= packages, f"test folders without a package: {sorted(folders - packages)}"
    untested = packages - folders - {"presets"}
    assert not untested, f"packages without a test folder: {sorted(untested)}"


def test_no_test_imports_another_test_module():
    bad = []
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            mod = node.module if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [mod or ""]
            bad += [f"{path.name} imports {n}" for n in names if n.split(".")[-1].startswith(
                ("test_", "conftest"))]  # fmt: skip
    assert not bad, bad
