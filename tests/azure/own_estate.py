"""An engine on an emulator serving a test's own estate (a dict in the estate format), for the tests that need
shapes the shared estate does not have."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from emulator import EmulatorServer
from emulator.estate import Estate
from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.settings import load_settings


@contextmanager
def serving(estate: Mapping[str, object]) -> Iterator[EmulatorServer]:
    with EmulatorServer(Estate.from_dict(estate)) as server:
        yield server


@contextmanager
def engine_on(server: EmulatorServer, **overrides: str) -> Iterator[Engine]:
    """A fresh engine on ``server`` (reset first), with MONITOR_* overrides (``plan_usage="off"``)."""
    server.reset()
    env = {"MONITOR_ARM_ENDPOINT": server.url} | {f"MONITOR_{k.upper()}": v for k, v in overrides.items()}
    settings = load_settings(env)
    clients = ArmClients(settings)
    try:
        yield Engine(settings, clients)
    finally:
        clients.close()
