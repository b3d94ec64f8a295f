"""What ships in the function package: every file of the app folder that .funcignore does not exclude. The product
(function_app.py, host.json, requirements.txt, monitors/) ships; the dev tools (demo, emulator, tests, bench) do not."""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEV_TOOLS = ("demo", "emulator", "tests", "bench")


def read_patterns(text: str) -> list[str]:
    """The patterns of a .funcignore; only the simple gitignore forms it uses are understood (a glob matching a name
    at any depth, a trailing '/' for folders only, a leading '/' to anchor it at the root), anything else is refused
    so that a new kind of pattern gets a matcher before this test trusts it."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!") or "**" in line or "/" in line.strip("/") or "\\" in line:
            raise ValueError(f".funcignore pattern {line!r} is beyond this test's matcher: extend it")
        patterns.append(line)
    return patterns


def ignored(relative: str, is_dir: bool, patterns: list[str]) -> bool:
    """Whether the file or folder ``relative`` (a '/'-separated path from the root) matches a pattern itself; what
    lies under an ignored folder is ignored with it (``shipped_files`` never walks into one)."""
    name = relative.rsplit("/", 1)[-1]
    for pattern in patterns:
        if pattern.endswith("/") and not is_dir:
            continue
        glob = pattern.strip("/")
        if pattern.startswith("/"):
            if "/" not in relative and fnmatchcase(relative, glob):
                return True
        elif fnmatchcase(name, glob):
            return True
    return False


def shipped_files(root: Path, patterns: list[str]) -> list[str]:
    """Every file under ``root`` not excluded by ``patterns``, as '/'-separated paths relative to ``root``."""
    shipped: list[str] = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        dirs[:] = sorted(d for d in dirs if not ignored(prefix + d, True, patterns))
        shipped.extend(prefix + f for f in sorted(files) if not ignored(prefix + f, False, patterns))
    return shipped


@pytest.fixture(scope="module")
def shipped() -> list[str]:
    return shipped_files(ROOT, read_patterns((ROOT / ".funcignore").read_text()))


def test_no_dev_tool_ships(shipped: list[str]) -> None:
    assert [p for p in shipped if p.split("/")[0] in DEV_TOOLS] == []


def test_no_python_file_ships_outside_the_product(shipped: list[str]) -> None:
    assert [p for p in shipped if p.endswith(".py") and p != "function_app.py" and not p.startswith("monitors/")] == []


def test_the_product_ships(shipped: list[str]) -> None:
    product = {"function_app.py", "host.json", "requirements.txt", "monitors/__init__.py", "monitors/cli.py"}
    assert sorted(product - set(shipped)) == []
    modules = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "monitors").rglob("*.py") if "__pycache__" not in p.parts
    }
    assert sorted(modules - set(shipped)) == []


def test_the_matcher_reads_funcignore_like_gitignore() -> None:
    patterns = read_patterns("# comment\n\n.git*\nbench\nbuild/\n/top.txt\n")
    cases = {
        (".gitignore", False): True,
        (".github", True): True,
        ("bench", True): True,
        ("monitors/bench", False): True,
        ("build", False): False,
        ("build", True): True,
        ("top.txt", False): True,
        ("monitors/top.txt", False): False,
        ("monitors/cli.py", False): False,
    }
    assert {case: ignored(*case, patterns) for case in cases} == cases
    for unsupported in ("!keep.py", "docs/**", "monitors/demo"):
        with pytest.raises(ValueError, match="beyond this test's matcher"):
            read_patterns(unsupported)
