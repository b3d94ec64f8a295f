"""The import graph of a package, read from the source with ``ast`` (nothing is imported), and its cycles.

Every import statement counts, wherever it is: module level, under ``if TYPE_CHECKING:``, inside a function (a lazy
import only hides a cycle). ``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``.
The parent package that Python initialises before a submodule is not an edge: counting it would put every submodule
that an ``__init__`` re-exports in a cycle by construction.

The architecture tests use it; run it to see a package's graph (exit 1 on a cycle):

    python -m tests.import_graph monitors
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def main(argv: list[str]) -> int:
    package = argv[0] if argv else "monitors"
    graph = import_graph(ROOT, package)
    for module in sorted(graph):
        print(f"{module} -> {', '.join(sorted(graph[module])) or '(nothing of the package)'}")
    top = sorted(p.stem for p in (ROOT / package).glob("*.py") if p.stem != "__init__")
    subpackages = sorted(p.parent.name for p in (ROOT / package).glob("*/__init__.py"))
    edges = sum(len(targets) for targets in graph.values())
    print(
        f"\n{package}: {len(graph)} modules, {edges} import edges; {len(top)} modules at the top of {package}/"
        f" and {len(subpackages)} packages ({', '.join(subpackages)})"
    )
    cycle = find_cycle(graph)
    print("import cycle: " + " -> ".join(cycle) if cycle else "no import cycle")
    return 1 if cycle else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
