"""The emulator's import structure, read from the source with `ast` (nothing is imported).

The control endpoints know the server only through `control.ControlledServer`, and no emulator module imports one that
imports it back. Every import statement counts, wherever it is: module level, under `if TYPE_CHECKING:`, inside a
function. `from pkg import name` is an edge to `pkg.name` when that is a module, else to `pkg`. The parent package
that Python initialises before a submodule is not an edge: `emulator/__init__.py` only re-exports, and counting it
would put every submodule that `__init__` re-exports in a cycle by construction.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "emulator"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Each module of `package` (a directory under `root`) mapped to the modules of the package it imports."""
    files = {module_name(path, root): path for path in sorted((root / package).rglob("*.py"))}
    known = set(files)
    return {name: _imports(name, path, known) for name, path in files.items()}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(_nearest(alias.name, known) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(name, path.name == "__init__.py", node.module, node.level)
            found.update(
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else _nearest(base, known)
                for alias in node.names
            )
    return {module for module in found if module}


def _absolute(name: str, is_package: bool, module: str | None, level: int) -> str:
    if not level:
        return module or ""
    parts = name.split(".") if is_package else name.split(".")[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, module] if module else parts)


def _nearest(dotted: str, known: set[str]) -> str:
    """The longest prefix of `dotted` that is a module of the package ("" when none is)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in known:
            return ".".join(parts[:end])
    return ""


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that starts and ends at the same module, or None when the graph has none."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for target in sorted(graph.get(module, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done and (cycle := visit(target)):
                return cycle
        path.pop()
        on_path.discard(module)
        done.add(module)
        return None

    for start in sorted(graph):
        if start not in done and (cycle := visit(start)):
            return cycle
    return None


def test_control_does_not_import_the_server():
    imported = import_graph(ROOT, PACKAGE)["emulator.control"]

    # `emulator` itself re-exports EmulatorServer, so importing the package would reach the server too.
    assert not imported & {"emulator.server", "emulator"}, (
        f"emulator/control.py imports {sorted(imported & {'emulator.server', 'emulator'})}; "
        "type the server with control.ControlledServer instead"
    )


def test_emulator_modules_import_no_cycle():
    graph = import_graph(ROOT, PACKAGE)
    assert "emulator.control" in graph["emulator.server"]  # the graph is read (the server hands requests to control)

    cycle = find_cycle(graph)

    assert cycle is None, "import cycle among emulator modules: " + " -> ".join(cycle or [])


def _package(tmp_path: Path, sources: Mapping[str, str]) -> Path:
    for relative, source in {"pkg/__init__.py": "", **sources}.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(source, encoding="utf-8")
    return tmp_path


def test_the_graph_sees_type_checking_function_level_and_relative_imports(tmp_path):
    root = _package(
        tmp_path,
        {
            "pkg/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
            "pkg/b.py": "def f():\n    import pkg.c.d\n    from . import a\n",
            "pkg/c/__init__.py": "from .d import x\nfrom .. import b as _b\nfrom pkg import VERSION\n",
            "pkg/c/d.py": "import json\nimport pkg\n",
        },
    )

    assert import_graph(root, "pkg") == {
        "pkg": set(),
        "pkg.a": {"pkg.b"},
        "pkg.b": {"pkg.c.d", "pkg.a"},
        "pkg.c": {"pkg.c.d", "pkg.b", "pkg"},
        "pkg.c.d": {"pkg"},
    }


def test_find_cycle_reports_the_modules_in_order():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
