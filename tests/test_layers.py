"""The house's shape: every import of the product runs down its floors, and no package imports in a circle.

Floors, bottom up: the kernel (carestats), shared mechanisms (tasks.shared), domain steps (tasks.<domain>),
the suites catalogue (tasks.generated_suites), flows, the CLI. The simulator and the benchmarks stand
beside the product: they may use it, nothing in it may use them, and nothing at all imports the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("carestats", "tasks", "flows", "cli")
BESIDE = ("simulation", "benchmarks")


def floor(module: str) -> int:
    """The floor a module of ours stands on (higher floors may import lower ones only)."""
    if module.startswith("carestats"):
        return 1
    if module.startswith("tasks.shared"):
        return 2
    if module == "tasks.generated_suites":
        return 4
    if module.startswith("tasks"):
        return 3
    if module.startswith("flows"):
        return 5
    if module.startswith("cli"):
        return 6
    return 7  # beside the product


def package(module: str) -> str:
    """The package a module belongs to, the unit the circle check works on (tasks.shared.quality, flows)."""
    parts = module.split(".")
    if not (ROOT.joinpath(*parts)).is_dir():  # a module: its package is the folder it is in
        parts = parts[:-1]
    depth = 3 if parts[:2] == ["tasks", "shared"] else 2
    return ".".join(parts[:depth])


def our_imports() -> list[tuple[str, str, int]]:
    """(importing module, imported module, line) for every import of our own code, inside functions too."""
    ours = PRODUCT + BESIDE
    found = []
    for top in ours:
        for path in sorted((ROOT / top).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                found += [(module, name, node.lineno) for name in names if name.split(".")[0] in ours]
    return found


def test_the_reader_sees_imports_of_every_floor():
    importers = {floor(module) for module, _, _ in our_imports()}
    assert importers == {1, 2, 3, 4, 5, 6, 7}


def test_no_import_runs_back_up_a_floor():
    upward = [
        f"{module}:{line} imports {name}"
        for module, name, line in our_imports()
        if floor(name) > floor(module) and not (floor(module) == 7 and floor(name) < 6)
    ]
    assert upward == []


@pytest.mark.parametrize("beside", [*BESIDE, "cli"])
def test_the_product_never_imports_what_stands_beside_it_or_the_cli(beside):
    users = [
        f"{m}:{line}"
        for m, name, line in our_imports()
        if name.startswith(beside) and not m.startswith(beside)
    ]
    allowed = BESIDE if beside != "cli" else ()  # the simulator and the benchmarks may use each other
    assert [user for user in users if not user.startswith(allowed)] == []


def test_no_packages_import_each_other_in_a_circle():
    graph: dict[str, set[str]] = {}
    for module, name, _ in our_imports():
        if package(module) != package(name):
            graph.setdefault(package(module), set()).add(package(name))

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph.get(start, ())
        )

    circles = sorted(p for p in graph if reaches(p, p, {p}))
    assert circles == []


def test_tests_share_helpers_only_through_tests_support():
    borrowed = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            borrowed += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"
                for name in names
                if name.startswith("tests") and not name.startswith("tests.support")
            ]
    assert borrowed == []
