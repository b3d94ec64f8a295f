"""Builds the long-lived parts of a process from settings: ARM clients, engine, state store, sinks, notifier.

Shared by the function app and the CLI so both wire things the same way. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitors.alerts.notifier import Notifier
from monitors.alerts.sink import build_sinks
from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.errors import SettingsError
from monitors.settings import Settings
from monitors.state import StateStore, open_store

CLI_STATE_PATH = ".apim-defender-monitor/state.sqlite"


@dataclass
class Runtime:
    """What one process keeps between invocations."""

    settings: Settings
    clients: ArmClients
    engine: Engine
    store: StateStore | None
    notifier: Notifier | None

    def close(self) -> None:
        self.clients.close()
        if self.store is not None:
            self.store.close()


def build_runtime(settings: Settings, *, in_azure: bool) -> Runtime:
    """In Azure, state defaults to the Functions storage account; the CLI keeps state only when it alerts."""
    clients = ArmClients(settings)
    engine = Engine(settings, clients)
    spec = settings.state_spec(in_azure=in_azure)
    if spec is None and settings.alerting:
        if in_azure:
            raise SettingsError("MONITOR_STATE: required for alerts (or AzureWebJobsStorage), none is set")
        spec = f"sqlite:{CLI_STATE_PATH}"
    store = open_store(spec, default_sqlite_path=CLI_STATE_PATH) if spec else None
    notifier = Notifier(store, build_sinks(settings), settings) if store is not None else None
    return Runtime(settings, clients, engine, store, notifier)
