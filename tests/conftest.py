"""Shared pytest fixtures for the whole test suite."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulator import EmulatorServer, load_estate
from emulator.receiver import Receiver, start_receiver, stop_receiver
from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.model import Finding
from monitors.runtime import Runtime, Scope
from monitors.settings import Settings, load_settings
from monitors.state.contract import StateStore
from monitors.state.sqlite import SqliteStateStore
from monitors.state.tables import open_table_store

ESTATE = Path(__file__).parent / "data" / "estate.json"
EMULATOR_ESTATE = Path(__file__).parent / "data" / "emulator_estate.json"
PROD = "00000000-0000-0000-0000-000000000001"
SUB_DEV = "00000000-0000-0000-0000-000000000002"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MONITOR_* or Azure credential setting leaks in from the machine running the tests."""
    for key in list(os.environ):
        if key.startswith(("MONITOR_", "AZURE_")):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def _arm_server() -> Iterator[EmulatorServer]:
    """The session's emulator on the product's test estate (tests/data/estate.json), behind ``arm``."""
    with EmulatorServer(load_estate(ESTATE)) as server:
        yield server


@pytest.fixture
def arm(_arm_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The default: the ARM the product's tests talk to, on tests/data/estate.json, reset (no faults, empty log)."""
    _arm_server.reset()
    yield _arm_server


@pytest.fixture(scope="session")
def _emulator_under_test_server() -> Iterator[EmulatorServer]:
    """The session's emulator on its own estate (tests/data/emulator_estate.json), behind ``emulator_under_test``."""
    with EmulatorServer(load_estate(EMULATOR_ESTATE)) as server:
        yield server


@pytest.fixture
def emulator_under_test(_emulator_under_test_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The emulator as the subject of its own tests: tests/data/emulator_estate.json, reset (no faults, empty log)."""
    _emulator_under_test_server.reset()
    yield _emulator_under_test_server


@pytest.fixture
def emulator_env(arm: EmulatorServer) -> dict[str, str]:
    """Settings that point the app at ``arm`` and keep retries and polling fast."""
    return {
        "MONITOR_ARM_ENDPOINT": arm.url,
        "MONITOR_ARM_RETRIES": "2",
        "MONITOR_ARM_RETRY_BACKOFF": "0.01",
        "MONITOR_ONBOARD_POLL_SECONDS": "0.05",
        "MONITOR_ONBOARD_TIMEOUT_SECONDS": "10",
        "MONITOR_ARM_READS_PER_SECOND": "1000",
    }


@pytest.fixture
def make_settings(emulator_env: dict[str, str]) -> Callable[..., Settings]:
    def make(**overrides: str) -> Settings:
        return load_settings({**emulator_env, **{f"MONITOR_{k.upper()}": v for k, v in overrides.items()}})

    return make


@pytest.fixture
def make_engine(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., Engine]]:
    """Build engines on the emulator with setting overrides (``auto_onboard="on"`` -> MONITOR_AUTO_ONBOARD=on)."""
    opened: list[ArmClients] = []

    def make(**overrides: str) -> Engine:
        settings = make_settings(**overrides)
        opened.append(ArmClients(settings))
        return Engine(settings, opened[-1])

    yield make
    for clients in opened:
        clients.close()


@pytest.fixture
def event_for() -> Callable[..., dict[str, object]]:
    """A ResourceWriteSuccess event (Event Grid schema) for a resource id."""

    def make(resource_id: str, event_id: str = "0f3c6a62-0000-4000-8000-000000000001") -> dict[str, object]:
        return {
            "id": event_id,
            "eventType": "Microsoft.Resources.ResourceWriteSuccess",
            "topic": resource_id.split("/providers/")[0],
            "subject": resource_id,
            "data": {"resourceUri": resource_id, "operationName": "Microsoft.ApiManagement/service/apis/write"},
            "dataVersion": "2",
            "eventTime": "2026-11-27T09:00:00Z",
        }

    return make


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """The connection string of one Azurite Table service per test session (in-memory, on a free loopback port)."""
    from tests.azurite import running_azurite

    with running_azurite() as server:
        yield server.connection_string


@pytest.fixture
def storage(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A fresh Azurite with tables and queues, as the Functions storage account (AzureWebJobsStorage)."""
    from tests.azurite import running_azurite

    with running_azurite(with_queue=True) as server:
        monkeypatch.setenv("AzureWebJobsStorage", server.connection_string)
        yield server


@pytest.fixture(params=["sqlite", "tables"])
def store(request: pytest.FixtureRequest, tmp_path: Path, table_prefix: str) -> Iterator[StateStore]:
    """An empty store of each backend; the Azure Tables one gets tables of its own in the session's Azurite."""
    opened: StateStore = (
        SqliteStateStore(str(tmp_path / "state.sqlite"))
        if request.param == "sqlite"
        else open_table_store(request.getfixturevalue("azurite"), table_prefix=table_prefix)
    )
    yield opened
    opened.close()


@pytest.fixture
def table_prefix() -> str:
    """A table-name prefix no other test uses, so each test starts with empty tables in the shared Azurite."""
    import uuid

    return f"t{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def functions() -> dict[str, object]:
    """The function app's functions by name, collected once: app.get_functions() may only run once per app."""
    import function_app

    by_name: dict[str, object] = {}
    for function in function_app.app.get_functions():
        name = function.get_function_name()
        assert name is not None, function
        by_name[name] = function
    return by_name


@pytest.fixture(autouse=True)
def fresh_function_runtime() -> Iterator[None]:
    """Each test starts the function app cold (settings are read at the first invocation) and closes it after."""
    import function_app

    function_app.RUNTIME.close()
    yield
    function_app.RUNTIME.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A fresh loopback HTTP receiver whose URL carries a fake secret path segment (/hooks/XXSECRETXX)."""
    running = start_receiver()
    yield running
    stop_receiver(running)


def service_of(engine: Engine) -> Runtime:
    """The application service around ``engine``, with no state and no alerts: the CLI when nothing alerts."""
    return Runtime(engine.settings, engine.clients, engine, store=None, notifier=None)


def scan(
    engine: Engine, subscription: str, resource_group: str | None = None, service: str | None = None
) -> list[Finding]:
    """``python -m monitors scan --subscription ...`` without the CLI: ARM's list calls, no Resource Graph."""
    return service_of(engine).scan(Scope((subscription,), resource_group, service, use_graph=False))
