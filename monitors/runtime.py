"""Builds the long-lived parts of a process from settings: ARM clients, engine, state store, sinks, notifier.

Shared by the function app and the CLI so both wire things the same way. Nothing here runs at import time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from azure.storage.queue import QueueClient

from monitors.alerts.notifier import Notifier
from monitors.alerts.sink import build_sinks
from monitors.azure.clients import ArmClients
from monitors.engine import Engine, EventOutcome
from monitors.errors import EventBusyError, MonitorError, SettingsError, StateError
from monitors.inventory import ServiceWork, subscriptions_in_scope, take_inventory
from monitors.model import Action, ApiRef, EventClaim, Finding, Status
from monitors.queues import OnboardRequest, open_queue, send_messages
from monitors.settings import Settings
from monitors.state import StateStore
from monitors.stores import open_store

CLI_STATE_PATH = ".apim-defender-monitor/state.sqlite"
SWEEP_HOLD = dt.timedelta(minutes=3)
# host.json extensions.queues.maxDequeueCount: on this delivery the host moves a failing message to <queue>-poison.
# A test reads host.json to keep the two equal.
MAX_DEQUEUE_COUNT = 5
# How long an event's claim keeps a redelivery away: longer than the event function ever runs (it stays well inside
# Event Grid's ~30 s wait, since onboarding waits on the onboarding queue), shorter than Event Grid's retry schedule
# reaching its 5-minute step, so a crashed invocation's event is taken over by a later redelivery.
EVENT_CLAIM_LEASE = dt.timedelta(minutes=2)
EVENT_DELIVERIES_PER_SINK = 2
ONBOARD_DEFER_SECONDS = 60  # MONITOR_ONBOARD_MAX_PER_MINUTE is a one-minute window
log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    """What one process keeps between invocations."""

    settings: Settings
    clients: ArmClients
    engine: Engine
    store: StateStore | None
    notifier: Notifier | None
    queue_onboarding: bool = False  # the function app hands onboarding to the onboarding queue
    _queues: dict[str, QueueClient] = field(default_factory=dict, init=False, repr=False)
    _queues_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def process_event(self, event: Mapping[str, object]) -> EventOutcome | None:
        """The event path end to end: claim the event, evaluate, queue what takes long, record, alert.

        Returns None for an event already processed. Raises EventBusyError while another invocation holds the event,
        TransientAzureError / StateError for redelivery; a failed attempt gives its claim back first.
        """
        event_id = str(event.get("id", "")) if self.store is not None else ""
        if event_id and not self._claim(event_id):
            return None
        try:
            outcome = self.engine.handle_event(event, queue_onboarding=self.queue_onboarding)
            findings = self._hand_off(outcome)
            if self.notifier is not None:  # a notifier exists exactly when a store does
                self.notifier.record(findings, digest=False, event_id=event_id or None)
        except BaseException:
            if event_id:
                self._release(event_id)
            raise
        self._deliver_own()
        return outcome

    def _deliver_own(self) -> None:
        """Send a few messages only (about one per sink, this invocation's own alert when nothing is queued before
        it): after a sink outage the backlog is DrainOutbox's, not an invocation's that a host is waiting on."""
        if self.notifier is not None:
            self.notifier.deliver(max_messages=EVENT_DELIVERIES_PER_SINK * self.notifier.sink_count)

    def _claim(self, event_id: str) -> bool:
        assert self.store is not None
        claim = self.store.claim_event(event_id, _utcnow(), EVENT_CLAIM_LEASE)
        if claim is EventClaim.BUSY:
            raise EventBusyError(f"event {event_id[:100]!r} is being processed by another invocation; redeliver later")
        return claim is EventClaim.CLAIMED

    def _release(self, event_id: str) -> None:
        """Give a failed attempt's claim back; if the store is what failed, the claim's lease ends it instead."""
        assert self.store is not None
        try:
            self.store.release_event(event_id)
        except StateError as exc:
            log.warning("event %s: claim kept until its lease ends (%s)", event_id[:100], exc)

    def _hand_off(self, outcome: EventOutcome) -> list[Finding]:
        """Queue the long work an event asks for; the findings to record now (a queued API records nothing yet:
        its onboarding worker records the result, so the API alerts once, with the outcome)."""
        if outcome.service is not None:
            send_messages(self._queue(self.settings.sweep_queue), [outcome.service.to_message()])
            return []
        finding = outcome.finding
        if finding is not None and finding.action is Action.ONBOARD_QUEUED:
            ref = ApiRef(finding.subscription_id, finding.resource_group, finding.service, finding.api)
            request = OnboardRequest(ref, outcome.event_id)
            send_messages(self._queue(self.settings.onboard_queue), [request.to_message()])
            return []
        return [finding] if finding is not None else []

    def onboard_message(self, text: str, dequeue_count: int) -> Finding:
        """The onboarding worker's job: check the API afresh, onboard it and wait for ARM, record and alert.

        An onboarding the per-service rate limit defers goes back on the queue for a minute, unrecorded, so that the
        API still alerts once, with the outcome. Raises EventError for a message it cannot read, AzureError /
        StateError for the queue to retry (on the last attempt, the log says the message goes to the poison queue).
        """
        request = OnboardRequest.from_message(text)
        with _poison_logged(request.api.resource_id, dequeue_count, self.settings.onboard_queue):
            finding = self.engine.check_api(request.api)
            if finding.action is Action.ONBOARD_DEFERRED:
                queue = self._queue(self.settings.onboard_queue)
                send_messages(queue, [request.to_message()], delay_seconds=ONBOARD_DEFER_SECONDS)
                return finding
            if self.notifier is not None:
                self.notifier.record([finding], digest=False)
        self._deliver_own()
        return finding

    def start_sweep(self) -> int:
        """The timer's job: inventory every subscription in scope, report plan findings, enqueue one message per
        APIM service. Returns the number of services enqueued."""
        subscriptions = subscriptions_in_scope(self.clients, self.settings.subscriptions)
        inventory = take_inventory(self.clients, subscriptions, use_graph=True)
        self._report(inventory.findings)
        return send_messages(self._queue(self.settings.sweep_queue), (work.to_message() for work in inventory.work))

    def reconcile_message(self, text: str, dequeue_count: int) -> list[Finding]:
        """The queue worker's job for one service. Transient ARM errors raise (the queue retries the message) until
        the last allowed attempt, which reports them as error findings and logs, instead of going silent. When even
        that attempt fails (the state store is down), the log says the message is going to the poison queue."""
        work = ServiceWork.from_message(text)
        last_try = dequeue_count >= MAX_DEQUEUE_COUNT
        with _poison_logged(work.service.ref.resource_id, dequeue_count, self.settings.sweep_queue):
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

    def _queue(self, name: str) -> QueueClient:
        """One client per queue for the life of the process (creating the queue once, when missing)."""
        with self._queues_lock:
            if name not in self._queues:
                self._queues[name] = open_queue(self.settings, name)
            return self._queues[name]

    def close(self) -> None:
        self.clients.close()
        for queue in self._queues.values():
            queue.close()
        if self.store is not None:
            self.store.close()


@contextmanager
def _poison_logged(subject: str, dequeue_count: int, queue: str) -> Iterator[None]:
    """Let every failure propagate (the queue retries the message); on the host's last delivery, first log that the
    message is going to the poison queue, so that it never goes there silently."""
    try:
        yield
    except MonitorError as exc:
        if dequeue_count >= MAX_DEQUEUE_COUNT:
            log.error(
                "%s: attempt %d failed (%s); the message goes to the poison queue %s-poison",
                subject,
                dequeue_count,
                exc,
                queue,
            )
        raise


class LazyRuntime:
    """Exactly one runtime per process, built by the first invocation that needs it.

    The worker runs sync functions on a thread pool, so the first invocations after a cold start race here;
    ``functools.cache`` would let each of them build (and leak) its own clients, store and rate limiters.
    """

    def __init__(self, build: Callable[[], Runtime]) -> None:
        self._build = build
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    def get(self) -> Runtime:
        runtime = self._runtime
        if runtime is None:
            with self._lock:
                if self._runtime is None:
                    self._runtime = self._build()
                runtime = self._runtime
        return runtime

    def close(self) -> None:
        """Close the runtime if one was built; the next ``get`` builds a new one."""
        with self._lock:
            runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()


def build_runtime(settings: Settings, *, in_azure: bool) -> Runtime:
    """In Azure, state defaults to the Functions storage account; the CLI keeps state only when it alerts.
    The store opens first: the ARM request budgets and the onboarding rate limits live in it, shared by every
    instance."""
    spec = settings.state_spec(in_azure=in_azure)
    if spec is None and settings.alerting:
        if in_azure:
            raise SettingsError("MONITOR_STATE: required for alerts (or AzureWebJobsStorage), none is set")
        spec = f"sqlite:{CLI_STATE_PATH}"
    store = open_store(spec, default_sqlite_path=CLI_STATE_PATH) if spec else None
    clients = ArmClients(settings, store=store)
    engine = Engine(settings, clients, store=store)  # the onboarding rate limit is shared through the store too
    notifier = Notifier(store, build_sinks(settings), settings) if store is not None else None
    return Runtime(settings, clients, engine, store, notifier, queue_onboarding=in_azure)
