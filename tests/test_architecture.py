"""The direction of imports: the pure core never reaches for the SDKs, the network, the environment or the clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = [
    "model.py",
    "events.py",
    "rules.py",
    "texts.py",
    "transitions.py",
    "bucket.py",
    "ncrontab.py",
    "reports/__init__.py",
    "reports/findings.py",
    "reports/coverage.py",
    "reports/outbox.py",
]
FORBIDDEN = ("azure", "os", "http", "urllib", "socket", "requests", "time", "sqlite3", "monitors.azure")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE)
def test_pure_core_imports_no_io(module: str) -> None:
    imports = imported_modules(ROOT / "monitors" / module)
    assert sorted(n for n in imports if n.split(".")[0] in FORBIDDEN or n.startswith(FORBIDDEN)) == []


@pytest.mark.parametrize("module", PURE)
def test_pure_core_never_reads_the_clock(module: str) -> None:
    source = (ROOT / "monitors" / module).read_text()
    assert ".now(" not in source and "today()" not in source


def test_only_settings_reads_the_environment() -> None:
    readers = sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "monitors").rglob("*.py") if "os.environ" in p.read_text()
    )
    assert readers == ["monitors/settings.py"]


def test_only_clients_module_builds_sdk_clients() -> None:
    builders = sorted(
        str(p.relative_to(ROOT))
        for p in [*(ROOT / "monitors").rglob("*.py"), ROOT / "function_app.py"]
        if "ApiManagementClient(" in p.read_text() or "SecurityCenter(" in p.read_text()
    )
    assert builders == ["monitors/azure/clients.py"]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(package: str) -> dict[str, set[str]]:
    """Every module of ``package`` and the modules of the package it imports, at any depth of the source (an import
    inside a function is still an import: a lazy one only hides a cycle)."""
    modules = {_module_name(p): p for p in (ROOT / package).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported = set()
        for target in imported_modules(path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                imported.add(target)
        graph[name] = imported
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, done = [], set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            found.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*path, node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return found


def test_the_monitors_package_has_no_import_cycle() -> None:
    assert _cycles(_import_graph("monitors")) == []


DEV_TOOLS = ("demo", "emulator", "tests", "bench")


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / "monitors").rglob("*.py")), ROOT / "function_app.py"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_the_product_never_imports_the_dev_tools(path: Path) -> None:
    """The demo, the emulator, the tests and the benchmarks stay out of the function package (.funcignore): an import
    of one of them, even a lazy one inside a function, would fail in Azure."""
    assert sorted(n for n in imported_modules(path) if n.split(".")[0] in DEV_TOOLS) == []
