"""Fixtures for the tests that run function_app.py inside the real Python 3.13 worker library.

azure-functions-runtime installs only on Python 3.13 and later, so each test module here skips itself elsewhere
(``pytest.importorskip``). ``make test`` runs the 3.13 pass with TESTS_REQUIRE_WORKER_RUNTIME=1, which turns any
skip in this directory into a failure: that pass cannot go green without these tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.storage.queue import QueueClient

REQUIRE = "TESTS_REQUIRE_WORKER_RUNTIME"
ROOT = Path(__file__).resolve().parents[2]


def _fail_if_required(report: Any, what: str) -> None:
    if report.skipped and os.environ.get(REQUIRE) == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE}=1, yet {what} was skipped: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[Any]:
    report = yield
    _fail_if_required(report, collector.nodeid)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    _fail_if_required(report, item.nodeid)
    return report


@pytest.fixture(scope="session")
def worker_host() -> Iterator[Any]:
    """One worker, started on this repository's function_app.py as the host starts it (init, metadata, load)."""
    from tests.runtime313.host import Host, WorkerStartError

    host = Host(ROOT)
    try:
        host.start()
    except WorkerStartError as exc:
        host.stop()
        pytest.fail(f"the worker cannot start the function app: {exc}", pytrace=False)
    yield host
    host.stop()


@pytest.fixture
def worker(worker_host: Any) -> Iterator[Any]:
    """The started worker, its copy of the function app cold for each test (settings read at first invocation)."""
    worker_host.app_module.RUNTIME.close()
    yield worker_host
    worker_host.app_module.RUNTIME.close()


@pytest.fixture
def app_env(arm: Any, emulator_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """App settings pointing at the ARM emulator (never the network)."""
    for key, value in emulator_env.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


@pytest.fixture
def onboarding_queue(app_env: pytest.MonkeyPatch, storage: Any, tmp_path: Path) -> QueueClient:
    """Auto-onboarding on, the Functions storage account on Azurite (queues) and a SQLite state store."""
    app_env.setenv("MONITOR_AUTO_ONBOARD", "on")
    app_env.setenv("MONITOR_STATE", f"sqlite:{tmp_path / 'state.sqlite'}")
    return QueueClient.from_connection_string(storage.connection_string, "apim-onboard")


@pytest.fixture
def sweep_queue(app_env: pytest.MonkeyPatch, storage: Any) -> QueueClient:
    """The sweep over the emulator's two subscriptions, its queue on Azurite."""
    from tests.conftest import PROD, SUB_DEV

    app_env.setenv("MONITOR_SUBSCRIPTIONS", f"{PROD},{SUB_DEV}")
    return QueueClient.from_connection_string(storage.connection_string, "apim-sweep")
