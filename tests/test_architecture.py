"""The direction of imports: the pure core never reaches for the SDKs, the network, the environment or the clock."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.import_graph import find_cycle, import_graph

ROOT = Path(__file__).resolve().parent.parent
PURE = [
    "model.py",
    "events.py",
    "rules.py",
    "texts.py",
    "transitions.py",
    "bucket.py",
    "ncrontab.py",
    "plans.py",
    "severity.py",
    "exposure.py",
    "assessment.py",
    "approval_token.py",
    "approvers.py",
    "routing.py",
    "status.py",
    "reports/status.py",
    "reports/pages.py",
    "reports/decisions.py",
    "reports/__init__.py",
    "reports/_text.py",
    "reports/findings.py",
    "reports/coverage.py",
    "reports/html.py",
    "reports/outbox.py",
    "templates/expressions.py",
    "templates/resources.py",
    "templates/snippets.py",
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


# The layers of the product, highest first; a module may import its own layer and those below, never one above.
# ARCHITECTURE.md draws the same picture.
LAYERS = {
    "entry point": ("monitors.cli", "monitors.__main__"),
    "application service": ("monitors.runtime",),
    "engine": (
        "monitors.engine",
        "monitors.remediation",
        "monitors.facts",
        "monitors.inventory",
        "monitors.usage",
        "monitors.approval",
        "monitors.protection",
        "monitors.deadletter_replay",
        "monitors.templates.verdicts",
    ),
    "adapters": ("monitors.azure", "monitors.alerts", "monitors.state", "monitors.reports", "monitors.queues"),
}


def layer(module: str) -> int:
    """0 for the pure core (everything not named in LAYERS), up to 4 for an entry point."""
    for rank, prefixes in enumerate(reversed(LAYERS.values()), 1):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return 0


def test_the_monitors_package_has_no_import_cycle() -> None:
    assert find_cycle(import_graph(ROOT, "monitors")) is None


def test_imports_point_one_way_from_entry_points_to_the_core() -> None:
    graph = import_graph(ROOT, "monitors")
    upward = sorted(f"{m} -> {t}" for m, targets in graph.items() for t in targets if layer(t) > layer(m))
    assert (upward, layer("monitors.cli"), layer("monitors.azure.clients"), layer("monitors.model")) == ([], 4, 1, 0)


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


# Credentials and SDK clients are built in monitors/azure/ only (clients.py and data_plane.py), and importing a module
# does no I/O.

CREDENTIALS = ("DefaultAzureCredential", "ManagedIdentityCredential")
SDK_CLIENT_NAMES = ("SecurityCenter",)  # an SDK client whose name does not end in "Client"
PRODUCT = [*sorted((ROOT / "monitors").rglob("*.py")), ROOT / "function_app.py"]
AZURE_PACKAGE = ("monitors", "azure")


def _built_name(call: ast.Call) -> str | None:
    """The class a call constructs, by name: ``X(...)``, ``module.X(...)`` and ``X.from_connection_string(...)``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "from_connection_string":
        func = func.value
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def constructions(path: Path) -> list[str]:
    """Every credential or SDK client the module's source constructs, as "name(" (at any depth: lazy ones too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            name = _built_name(node)
            if name and (name in CREDENTIALS or name in SDK_CLIENT_NAMES or name.endswith("Client")):
                found.append(f"{name}(")
    return found


@pytest.mark.parametrize(
    "path",
    [p for p in PRODUCT if p.relative_to(ROOT).parts[:2] != AZURE_PACKAGE],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_only_monitors_azure_builds_credentials_and_sdk_clients(path: Path) -> None:
    """Every credential comes from monitors.azure.data_plane.credential (with the user-assigned client id) and every SDK
    client from monitors.azure, so that each has one owner that closes it."""
    identity_imports = sorted(
        n for n in imported_modules(path) if n == "azure.identity" or n.startswith("azure.identity.")
    )
    assert (constructions(path), identity_imports) == ([], [])


def test_the_construction_check_sees_what_monitors_azure_builds() -> None:
    """The check above is not vacuous: it finds, in the module that is allowed them, every kind it forbids elsewhere."""
    built = {name for path in (ROOT / "monitors" / "azure").glob("*.py") for name in constructions(path)}
    expected = {"DefaultAzureCredential(", "ApiManagementClient(", "SecurityCenter(", "EventGridPublisherClient("}
    assert expected | {"QueueClient(", "TableServiceClient("} <= built


IMPORT_SIDE_EFFECTS = r"""
import ast, importlib, json, logging, os, socket, sys, threading
from pathlib import Path

root = Path(sys.argv[1])
paths = sorted((root / "monitors").rglob("*.py"))
names = []
for path in paths:
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] != "__main__":  # running it is the CLI, not an import
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))

# Third-party and standard modules first, whatever they do on import (urllib3 adds a NullHandler): only ours count.
external = set()
for path in paths:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            external.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            external.add(node.module)
for name in sorted(n for n in external if n.split(".")[0] != "monitors"):
    try:
        importlib.import_module(name)
    except Exception:
        pass

sockets, threads = [], []  # every one created, even if closed or finished by the end of the import
_init, _start = socket.socket.__init__, threading.Thread.start
def counting_init(self, *args, **kwargs):
    sockets.append(args)
    _init(self, *args, **kwargs)
def counting_start(self):
    threads.append(self.name)
    _start(self)
socket.socket.__init__, threading.Thread.start = counting_init, counting_start

def socket_fds():
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.exists():
        return 0
    count = 0
    for fd in fd_dir.iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            pass
    return count

def logging_state():
    loggers = {"<root>": logging.getLogger()}
    loggers.update((n, lg) for n, lg in logging.Logger.manager.loggerDict.items() if isinstance(lg, logging.Logger))
    return {
        name: [lg.level, lg.propagate, lg.disabled, [id(h) for h in lg.handlers], [id(f) for f in lg.filters]]
        for name, lg in loggers.items()
    }

def process_state():
    return {
        "threads": sorted(t.name for t in threading.enumerate()),
        "socket_fds": socket_fds(),
        "handlers": len(logging._handlerList),
        "disable": logging.root.manager.disable,
        "logger_class": repr(logging.getLoggerClass()),
        "record_factory": repr(logging.getLogRecordFactory()),
    }

before, loggers_before = process_state(), logging_state()
for name in names:
    importlib.import_module(name)
after, loggers_after = process_state(), logging_state()

fresh = [logging.NOTSET, True, False, [], []]  # a logger created by getLogger(__name__), untouched
changed = {
    name: state
    for name, state in loggers_after.items()
    if state != loggers_before.get(name, fresh)
}
changed_process = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
created = {"sockets": len(sockets), "threads": threads}
print(json.dumps({"imported": len(names), "created": created, "loggers": changed, "process": changed_process}))
"""


def test_importing_the_package_starts_nothing_and_leaves_logging_alone() -> None:
    """Importing every monitors module (in a fresh interpreter, found on disk, not listed here) creates no thread, no
    socket, no logging handler or filter and changes no logger: all I/O waits for whoever builds the runtime."""
    run = subprocess.run(
        [sys.executable, "-c", IMPORT_SIDE_EFFECTS, str(ROOT)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["imported"] > 10
    assert (result["created"], result["loggers"], result["process"]) == ({"sockets": 0, "threads": []}, {}, {})


@pytest.mark.parametrize("path", [ROOT / "monitors" / "cli.py", ROOT / "function_app.py"], ids=lambda p: p.name)
def test_entry_points_call_use_cases_and_never_reach_inside_the_service(path: Path) -> None:
    inside = {"engine", "store", "notifier", "clients"}
    reached = sorted(
        f"{path.name}:{node.lineno} .{node.attr}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in inside
    )
    assert reached == []
