"""Builds the long-lived parts of a process from settings: ARM clients, engine, state store, sinks, notifier.

Shared by the function app and the CLI so both wire things the same way. Nothing here runs at import time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from monitors.alerts.notifier import Notifier
from monitors.alerts.sink import build_sinks
from monitors.azure.clients import ArmClients
from monitors.engine import Engine, EventOutcome
from monitors.errors import SettingsError
from monitors.inventory import ServiceWork, subscriptions_in_scope, take_inventory
from monitors.model import Finding, Status
from monitors.settings import Settings
from monitors.state import StateStore, open_store
from monitors.sweep_queue import open_sweep_queue, send_messages

CLI_STATE_PATH = ".apim-defender-monitor/state.sqlite"
SWEEP_HOLD = dt.timedelta(minutes=3)
MAX_DEQUEUE_COUNT = 5  # host.json extensions.queues.maxDequeueCount: after this the host would poison the message
log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What one process keeps between invocations."""

    settings: Settings
    clients: ArmClients
    engine: Engine
    store: StateStore | None
    notifier: Notifier | None

    def process_event(self, event: Mapping[str, object]) -> EventOutcome | None:
        """The event path end to end: skip a redelivery, evaluate and act, record the transition, alert.

        Returns None for an event already processed. Raises TransientAzureError / StateError for redelivery.
        """
        event_id = str(event.get("id", ""))
        notifier = self.notifier
        if notifier is not None and event_id and notifier.event_seen(event_id):
            return None
        outcome = self.engine.handle_event(event)
        if notifier is not None:
            findings = [outcome.finding] if outcome.finding else []
            notifier.record(findings, digest=False, event_id=event_id or None)
            notifier.deliver()
        return outcome

    def start_sweep(self) -> int:
        """The timer's job: inventory every subscription in scope, report plan findings, enqueue one message per
        APIM service. Returns the number of services enqueued."""
        subscriptions = subscriptions_in_scope(self.clients, self.settings.subscriptions)
        inventory = take_inventory(self.clients, subscriptions, use_graph=True)
        self._report(inventory.findings)
        return send_messages(open_sweep_queue(self.settings), (work.to_message() for work in inventory.work))

    def reconcile_message(self, text: str, dequeue_count: int) -> list[Finding]:
        """The queue worker's job for one service. Transient ARM errors raise (the queue retries the message) until
        the last allowed attempt, which reports them as error findings and logs, instead of going silent."""
        work = ServiceWork.from_message(text)
        last_try = dequeue_count >= MAX_DEQUEUE_COUNT
        findings = self.engine.reconcile(work, raise_transient=not last_try)
        if last_try and any(f.status is Status.ERROR for f in findings):
            log.error(
                "%s: giving up after %d attempts; reported as error findings",
                work.service.ref.resource_id,
                dequeue_count,
            )
        self._report(findings)
        return findings

    def _report(self, findings: list[Finding]) -> None:
        """Sweep findings: held a few minutes so the digests of every worker leave merged (DrainOutbox sends them)."""
        if self.notifier is not None:
            self.notifier.record(findings, digest=True, hold=SWEEP_HOLD)
            self.notifier.deliver()

    def close(self) -> None:
        self.clients.close()
        if self.store is not None:
            self.store.close()


def build_runtime(settings: Settings, *, in_azure: bool) -> Runtime:
    """In Azure, state defaults to the Functions storage account; the CLI keeps state only when it alerts.
    The store opens first: the ARM request budgets live in it, shared by every instance."""
    spec = settings.state_spec(in_azure=in_azure)
    if spec is None and settings.alerting:
        if in_azure:
            raise SettingsError("MONITOR_STATE: required for alerts (or AzureWebJobsStorage), none is set")
        spec = f"sqlite:{CLI_STATE_PATH}"
    store = open_store(spec, default_sqlite_path=CLI_STATE_PATH) if spec else None
    clients = ArmClients(settings, store=store)
    engine = Engine(settings, clients)
    notifier = Notifier(store, build_sinks(settings), settings) if store is not None else None
    return Runtime(settings, clients, engine, store, notifier)
