"""Docs that cannot drift: exception trees drawn in docstrings, and the files docstrings, comments and docs cite.

1. An exception tree drawn in a docstring (the format of monitors/errors.py: a root line, then ``├── `` / ``└── ``
   branches under ``│   `` / four-space guides, four columns a level, a description after the name) must match the
   real class hierarchy: every name a class of that module's namespace, every parent a direct base, and every
   exception class the module defines drawn. A drawing the parser cannot read fails; it is never skipped.
2. Every repo-relative path a docstring, a comment or a Markdown document cites exists. Citations are found by a
   deliberately narrow pattern (see ``CITATION``): a path under one of the repo's top-level directories, a top-level
   file, or an all-caps Markdown name. URLs, ``../`` paths (the team's notes live in ../shared, outside the repo,
   and may be cited in comments), globs, ``<placeholder>`` templates and dotted module names are not citations.
3. Nothing in the repo reads the team's notes directory (../shared) at run time: no string literal in Python code
   and nothing outside comments in the other text files may point there.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import io
import os
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREE_SOURCES = ("monitors", "emulator", "demo", "bench")  # plus function_app.py
CITING_SOURCES = (*TREE_SOURCES, "tests")  # plus function_app.py and the Markdown documents
SKIPPED_DIRS = {"__pycache__", "node_modules"}  # and every dot-directory except .ci (.git, .venv, caches, .demo)


def python_files(dirs: tuple[str, ...]) -> list[Path]:
    files = [ROOT / "function_app.py"]
    for top in dirs:
        files += sorted(p for p in (ROOT / top).rglob("*.py") if SKIPPED_DIRS.isdisjoint(p.parts))
    return files


def markdown_files() -> list[Path]:
    files = [ROOT / name for name in ("README.md", "ARCHITECTURE.md") if (ROOT / name).is_file()]
    files += sorted((ROOT / "docs").glob("*.md"))
    for top in CITING_SOURCES:
        files += sorted(p for p in (ROOT / top).rglob("*.md") if SKIPPED_DIRS.isdisjoint(p.parts))
    return list(dict.fromkeys(files))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@dataclass(frozen=True)
class Docstring:
    path: Path
    qualname: str  # "<module>", "Class", "Class.method", "function"
    line: int  # of the string's first line in the file
    raw: str  # as written (line offsets match the file)
    is_module: bool


def docstrings(path: Path) -> Iterator[Docstring]:
    """The module's, every class's and every function's docstring, nested ones included."""

    def visit(node: ast.AST, prefix: str) -> Iterator[Docstring]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                qualname = f"{prefix}{child.name}"
                first = _docstring_node(child)
                if first is not None:
                    yield Docstring(path, qualname, first.lineno, str(first.value), is_module=False)
                yield from visit(child, qualname + ".")
            else:
                yield from visit(child, prefix)

    module = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    first = _docstring_node(module)
    if first is not None:
        yield Docstring(path, "<module>", first.lineno, str(first.value), is_module=True)
    yield from visit(module, "")


def _docstring_node(node: ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Constant | None:
    """The docstring's constant (its value is a str), or None."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        constant = body[0].value
        if isinstance(constant.value, str):
            return constant
    return None


# ---------------------------------------------------------------------------------------------------------------------
# 1. Exception trees

TREE_MARK = re.compile("[├└]──")  # a docstring with one of these draws a tree, and must parse as one
TREE_LINE = re.compile("[├└│]")  # a tree's lines: every one of them must be a branch
ROOT_LINE = re.compile(r"(?P<indent> *)(?P<name>[A-Za-z_]\w*)(?:\s+\S.*)?")
BRANCH = re.compile(r"(?P<guides>(?:│   |    )*)(?P<branch>├── |└── )(?P<name>[A-Za-z_]\w*)(?:\s+\S.*)?")


class TreeError(ValueError):
    """A drawing that is not a tree in the format of monitors/errors.py."""


@dataclass
class Tree:
    root: str
    parents: dict[str, str] = field(default_factory=dict)  # child -> parent, in drawing order

    @property
    def names(self) -> list[str]:
        return [self.root, *self.parents]


def parse_trees(text: str) -> list[Tree]:
    """Every tree drawn in a (cleaned) docstring; raises TreeError, naming the line, on a drawing it cannot read.

    A tree is a root line (a name, optionally a description) directly followed by branch lines; it ends at the first
    line without a tree character. Guides must agree with the drawing: ``│`` under a node that has later siblings,
    blanks under a last child, and nothing may follow a node drawn with ``└──`` at its level.
    """
    lines = text.splitlines()
    trees: list[Tree] = []
    i = 0
    while i < len(lines):
        if not TREE_LINE.search(lines[i]):
            i += 1
            continue
        above = lines[i - 1] if i else ""
        root = ROOT_LINE.fullmatch(above)
        if root is None:
            raise TreeError(f"line {i + 1}: tree line {lines[i]!r} is not below a root line (a name): {above!r}")
        indent = len(root["indent"])
        tree = Tree(root["name"])
        stack: list[tuple[str, bool]] = [(tree.root, True)]  # the path to the last node: (name, drawn last)
        while i < len(lines) and TREE_LINE.search(lines[i]):
            line = lines[i]
            where = f"line {i + 1} ({line.strip()!r})"
            node = BRANCH.fullmatch(line[indent:]) if not line[:indent].strip() else None
            if node is None:
                raise TreeError(f"{where}: not a branch indented like its root ('├── Name', '└── Name' under guides)")
            guides = [node["guides"][k : k + 4] for k in range(0, len(node["guides"]), 4)]
            depth = len(guides) + 1
            if depth > len(stack):
                raise TreeError(f"{where}: skips a level (depth {depth} under a node of depth {len(stack) - 1})")
            for level, guide in enumerate(guides, start=1):
                expected = "    " if stack[level][1] else "│   "
                if guide != expected:
                    raise TreeError(f"{where}: guide {level} is {guide!r}, {expected!r} after {stack[level][0]}")
            if depth < len(stack) and stack[depth][1]:
                raise TreeError(f"{where}: follows {stack[depth][0]}, which is drawn as the last child ('└──')")
            unclosed = [name for name, last in stack[depth + 1 :] if not last]
            if unclosed:
                raise TreeError(f"{where}: {unclosed} drawn with '├──' but with no later sibling")
            name = node["name"]
            if name in tree.names:
                raise TreeError(f"{where}: {name} is drawn twice")
            tree.parents[name] = stack[depth - 1][0]
            del stack[depth:]
            stack.append((name, node["branch"] == "└── "))
            i += 1
        if not tree.parents:
            raise TreeError(f"line {i}: a tree line with no branch")
        unclosed = [name for name, last in stack[1:] if not last]
        if unclosed:
            raise TreeError(f"line {i}: the tree ends, but {unclosed} are drawn with '├──' (not the last child)")
        trees.append(tree)
    return trees


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def drawn_trees() -> list[Docstring]:
    return [doc for path in python_files(TREE_SOURCES) for doc in docstrings(path) if TREE_MARK.search(doc.raw)]


DRAWN = drawn_trees()


def test_the_error_tree_is_found() -> None:
    """Guards the scan itself: it must see the tree it was written for."""
    assert ("monitors/errors.py", "<module>") in {(rel(doc.path), doc.qualname) for doc in DRAWN}


@pytest.mark.parametrize("doc", DRAWN, ids=[f"{rel(d.path)}::{d.qualname}" for d in DRAWN])
def test_exception_tree_matches_the_classes(doc: Docstring) -> None:
    trees = parse_trees(inspect.cleandoc(doc.raw))  # raises TreeError on a drawing it cannot read
    module = importlib.import_module(module_name(doc.path))
    where = f"{rel(doc.path)}:{doc.line} ({doc.qualname})"
    problems: list[str] = []
    classes: dict[str, type[BaseException]] = {}
    for tree in trees:
        for name in tree.names:
            value = getattr(module, name, getattr(builtins, name, None))  # Exception, ValueError, ...
            if isinstance(value, type) and issubclass(value, BaseException):
                classes[name] = value
            else:
                problems.append(f"{name} is drawn but is not an exception class in {module.__name__} or builtins")
        for child, parent in tree.parents.items():
            if child in classes and parent in classes and classes[parent] not in classes[child].__bases__:
                bases = ", ".join(base.__name__ for base in classes[child].__bases__)
                problems.append(f"{child} is drawn under {parent}, but its bases are ({bases})")
    defined = {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == module.__name__
    }
    roots = tuple(classes[tree.root] for tree in trees if tree.root in classes)
    # A module's docstring draws all of the module's exceptions; a class's or function's, all of those under its roots.
    expected = {name for name, cls in defined.items() if doc.is_module or issubclass(cls, roots)}
    drawn = {name for tree in trees for name in tree.names}
    problems += [f"{name} is defined in {module.__name__} but not drawn" for name in sorted(expected - drawn)]
    assert problems == [], f"{where}: " + "; ".join(problems)


GOOD_TREE = """\
Base
├── A        first, with a description
│   └── A1   under A
└── B
    ├── B1
    │   └── B11
    └── B2
"""


def test_parser_reads_the_format() -> None:
    (tree,) = parse_trees("The tree.\n\n" + GOOD_TREE + "\nAnd prose after it.")
    assert tree.root == "Base"
    assert tree.parents == {"A": "Base", "A1": "A", "B": "Base", "B1": "B", "B11": "B1", "B2": "B"}


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(GOOD_TREE.replace("Base\n", "\n"), id="no-root"),
        pytest.param(GOOD_TREE.replace("Base\n", "(Base)\n"), id="root-not-a-name"),
        pytest.param(GOOD_TREE.replace("│   └── A1", "│  └── A1"), id="three-column-guide"),
        pytest.param(GOOD_TREE.replace("│   └── A1", "    └── A1"), id="blank-guide-under-open-node"),
        pytest.param(GOOD_TREE.replace("    ├── B1", "    │   ├── B1"), id="skips-a-level"),
        pytest.param(GOOD_TREE.replace("└── B\n", "├── B\n"), id="last-child-drawn-open"),
        pytest.param(GOOD_TREE.replace("├── A ", "└── A "), id="sibling-after-last-child"),
        pytest.param(GOOD_TREE.replace("└── B2", "└── A"), id="name-twice"),
        pytest.param(GOOD_TREE.replace("└── A1   under A", "└── A1   under A\n│        (continued)"), id="wrapped"),
        pytest.param(GOOD_TREE.replace("├──", "+--"), id="ascii-branches"),
    ],
)
def test_parser_fails_loudly(broken: str) -> None:
    with pytest.raises(TreeError):
        parse_trees(broken)


# ---------------------------------------------------------------------------------------------------------------------
# 2. Cited files

TOP_DIRS = ("monitors", "tests", "infra", "emulator", "docs", "bench", "demo", ".ci")
TOP_FILES = (
    "function_app.py",
    "host.json",
    "Makefile",
    "pyproject.toml",
    "requirements.txt",
    "requirements-dev.txt",
    "azure.yaml",
    "package.json",
    "local.settings.json.example",
)
CITATION = re.compile(
    # Not the tail of a URL, of a ../ or absolute path, of a dotted name, a word or an option.
    r"(?<![\w./\\:@~$%-])"
    r"(?P<path>"
    r"(?:" + "|".join(map(re.escape, TOP_DIRS)) + r")/[\w./-]*"  # monitors/errors.py, tests/data/, .ci/run
    r"|(?:" + "|".join(map(re.escape, TOP_FILES)) + r")(?![\w-])"  # host.json, Makefile
    r"|[A-Z][A-Z0-9_]*\.md(?!\w)"  # README.md, or any other all-caps name
    r")"
    r"(?P<pattern>[*?\[{<]?)"  # followed by a glob or a placeholder: a pattern, not a file
)
# Cited on purpose though not in the repo; each with its reason. Keep this short.
NOT_IN_REPO: dict[str, str] = {}
MARKDOWN_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
NOTES_DIR = "shared"  # the team's notes, beside the repo (../shared): citing them is fine, needing them is not


def citations(text: str) -> Iterator[tuple[int, str]]:
    """(offset, path) for every repo-relative path ``text`` cites."""
    for match in CITATION.finditer(text):
        path = match["path"].rstrip(".")  # a sentence's full stop
        if match["pattern"] or not path.strip("/"):
            continue
        yield match.start(), path


def cited_texts(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every docstring and comment of a Python file; every line of a Markdown file."""
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        yield from enumerate(source.splitlines(), start=1)
        return
    for doc in docstrings(path):
        yield doc.line, doc.raw
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


def exists(cited: str, near: Path) -> bool:
    """Repo-relative, or (a bare README.md, say) beside the citing file."""
    return (ROOT / cited).exists() or (near.parent / cited).exists()


def test_cited_files_exist() -> None:
    missing: list[str] = []
    for path in [*python_files(CITING_SOURCES), *markdown_files()]:
        for line, text in cited_texts(path):
            for offset, cited in citations(text):
                if cited not in NOT_IN_REPO and not exists(cited, path):
                    missing.append(f"{rel(path)}:{line + text.count(chr(10), 0, offset)}: {cited}")
    assert missing == [], "cited but not in the repo (file:line: path):\n" + "\n".join(missing)


def link_resolves(document: Path, target: str) -> bool:
    """A file or directory of the repo, or anything in the team's notes (never required to exist)."""
    resolved = (document.parent / target).resolve()
    if resolved.is_relative_to(ROOT):
        return resolved.exists()
    return resolved.is_relative_to(ROOT.parent) and resolved.relative_to(ROOT.parent).parts[:1] == (NOTES_DIR,)


def test_markdown_links_resolve() -> None:
    """Relative links and images in the Markdown documents point at files in the repo (or at the team's notes)."""
    broken: list[str] = []
    for path in markdown_files():
        for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in MARKDOWN_LINK.finditer(text):
                target = re.split("[#?]", match["target"], maxsplit=1)[0]
                if not target or SCHEME.match(target):
                    continue
                if not link_resolves(path, target):
                    broken.append(f"{rel(path)}:{line}: {match['target']}")
    assert broken == [], "links that resolve to nothing:\n" + "\n".join(broken)


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        ("see monitors/errors.py.", ["monitors/errors.py"]),
        ("`tests/data/`, .ci/run and host.json; the Makefile", ["tests/data/", ".ci/run", "host.json", "Makefile"]),
        ("(infra/modules/roles.bicep) and README.md", ["infra/modules/roles.bicep", "README.md"]),
        ("https://github.com/org/repo/blob/main/monitors/nope.py", []),
        ("notes in " + ".." + "/shared/tests/nope.md and /tmp/tests/x", []),
        ("tests/**, infra/modules/*.bicep, tests/data/<name>.json, monitors/{name}.py", []),
        ("monitors.report.render_json, python -m bench.run, a host.json-style file", []),
        ("my_tests/x.py, sub.monitors/x.py, --docs/x", []),
    ],
)
def test_citation_pattern(text: str, cited: list[str]) -> None:
    assert [path for _, path in citations(text)] == cited


# ---------------------------------------------------------------------------------------------------------------------
# 3. The team's notes are never read at run time

SHARED_PATH = re.compile(r"\.\.[\\/]+shared(?![\w-])")  # the notes directory, reached from the repo
HASH_COMMENTS = {".sh", ".toml", ".yaml", ".yml", ".txt", ".cfg", ".ini", ""}  # "" is Makefile, .ci/run
SLASH_COMMENTS = {".bicep", ".proto", ".js", ".ts"}


def repo_files() -> Iterator[Path]:
    for directory, subdirs, files in os.walk(ROOT):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS and (d == ".ci" or not d.startswith(".")))
        yield from (Path(directory, name) for name in sorted(files))


def python_reads_shared(source: str) -> list[int]:
    """Lines of string literals (docstrings aside) that reach the notes: '../shared/x', or 'shared' joined to a path."""
    tree = ast.parse(source)
    documented = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
    docs = {id(_docstring_node(n)) for n in ast.walk(tree) if isinstance(n, documented)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if SHARED_PATH.search(node.value):
                lines.append(node.lineno)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # Path(...).parent / "shared"
            if isinstance(node.right, ast.Constant) and node.right.value == "shared":
                lines.append(node.lineno)
        elif isinstance(node, ast.Call):  # os.path.join(here, "..", "shared")
            values = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if ".." in values and "shared" in values:
                lines.append(node.lineno)
    return lines


SHARED_REFERENCE = re.compile(r"(?:\.\.[\\/]+)+shared(?![\w-])")


def text_reads_shared(path: Path, text: str) -> list[int]:
    """Lines that reach the notes outside a comment (documents are not read by the product, so they are skipped).
    A relative path that stays inside the repository (a kept template's own ``../../shared/`` modules) is not them."""
    marker = "#" if path.suffix in HASH_COMMENTS else "//" if path.suffix in SLASH_COMMENTS else None
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split(marker, 1)[0] if marker else line
        for match in SHARED_REFERENCE.finditer(code):
            target = (path.parent / match.group(0).replace("\\", "/")).resolve()
            if not target.is_relative_to(ROOT.resolve()):
                lines.append(number)
                break
    return lines


def test_nothing_reads_the_team_notes_at_run_time() -> None:
    readers: list[str] = []
    for path in repo_files():
        if path.suffix == ".md":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images
        lines = python_reads_shared(text) if path.suffix == ".py" else text_reads_shared(path, text)
        readers += [f"{rel(path)}:{line}" for line in lines]
    assert readers == [], "these read the team's notes at run time:\n" + "\n".join(readers)


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("NOTES = " + repr(".." + "/shared/notes.md") + "\n", [1]),
        ("import pathlib\nNOTES = pathlib.Path(__file__).parents[2] / " + repr("shared") + "\n", [2]),
        ("import os\nNOTES = os.path.join(os.getcwd(), '..', " + repr("shared") + ")\n", [2]),
        ('"""Notes in ' + ".." + '/shared/x.md."""\n# and ' + ".." + "/shared/y.md\nMODE = " + repr("shared"), []),
    ],
)
def test_shared_readers_are_found(source: str, lines: list[int]) -> None:
    assert python_reads_shared(source) == lines


def test_a_relative_shared_path_counts_only_when_it_leaves_the_repository() -> None:
    kept = ROOT / "tests" / "data" / "templates" / "public" / "x" / "infrastructure" / "main.bicep"
    notes = ".." + "/shared"  # split, so that this file does not read as reaching the notes itself
    assert text_reads_shared(kept, f"module m '../{notes}/bicep/api.bicep' = {{") == []
    assert text_reads_shared(ROOT / "run.sh", f"cat {notes}/notes.md\n# {notes} in a comment") == [1]
