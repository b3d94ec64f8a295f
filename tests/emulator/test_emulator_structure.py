"""The emulator's import structure (``tests/import_graph.py`` reads it): the control endpoints know the server only
through ``control.ControlledServer``, and no emulator module imports one that imports it back. The graph reader's
own tests are here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tests.import_graph import ROOT, find_cycle, import_graph

PACKAGE = "emulator"


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
