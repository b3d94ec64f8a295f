"""The application service: every use case of the function app and the CLI, each ending in one notify step.

``Runtime`` holds the long-lived parts of a process (ARM clients, engine, state store, notifier, queues), built from
settings by ``build_runtime`` so that the function app and the CLI wire things the same way. Its use cases:
``process_event`` (OnApiEvent), ``onboard_message`` (OnboardWorker), ``start_sweep`` (SweepTimer),
``reconcile_message`` (SweepWorker), ``deliver_outbox`` (DrainOutbox, ``alerts --deliver``), and for the CLI
``scan`` and ``replay``. The entry points parse input, call one of these and log or print; the engine evaluates.
Nothing here runs at import time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from azure.storage.queue import QueueClient

from monitors import rules, telemetry
from monitors.alerts.dispatch import DeliveryReport
from monitors.alerts.notifier import Notifier
from monitors.alerts.sink import build_sinks
from monitors.approval import ApprovalRequest, Approvals, Page
from monitors.azure.clients import ArmClients
from monitors.deadletter import BlobReport
from monitors.deadletter_replay import DeadLetterReplay
from monitors.engine import Engine, EventOutcome
from monitors.errors import EventBusyError, MonitorError, SettingsError, StateError, TransientAzureError
from monitors.events import ParsedEvent
from monitors.inventory import Inventory, ServiceWork, subscriptions_in_scope, take_inventory
from monitors.model import (
    Action,
    ApiRef,
    DecisionRecord,
    EventClaim,
    Finding,
    Meter,
    OutboxItem,
    ServiceRef,
    Status,
    WriteMode,
)
from monitors.protection import ProtectionClock, event_time
from monitors.queues import OnboardRequest, open_queue, send_messages
from monitors.remediation import Waves, capacity_finding
from monitors.settings import Settings
from monitors.state import open_store
from monitors.state.contract import StateStore
from monitors.state.prune import prune_expired
from monitors.status import LAST_SWEEP, StatusReport, coverage_now, oldest_unprotected_age, status_report

CLI_STATE_PATH = ".apim-defender-monitor/state.sqlite"
SWEEP_HOLD = dt.timedelta(minutes=3)
# host.json extensions.queues.maxDequeueCount: on this delivery the host moves a failing message to <queue>-poison.
# A test reads host.json to keep the two equal.
MAX_DEQUEUE_COUNT = 5
# How long an event's claim keeps a redelivery away: longer than the event function ever runs (it stays well inside
# Event Grid's ~30 s wait, since onboarding waits on the onboarding queue), shorter than Event Grid's retry schedule
# reaching its 5-minute step, so a crashed invocation's event is taken over by a later redelivery.
EVENT_CLAIM_LEASE = dt.timedelta(minutes=2)
OUTBOX_TIMER_PERIOD = dt.timedelta(minutes=5)  # DrainOutbox's schedule (function_app.py): pruning's budget is a share
COVERAGE_KEPT = dt.timedelta(days=90)  # how long coverage snapshots are kept: status's trend reaches this far back
STATUS_WINDOW = dt.timedelta(days=30)  # status: the coverage trend and time to protect look this far back
EVENT_DELIVERIES_PER_SINK = 2
# A deferred onboarding waits for its service's next wave, which the shared store knows; without a store (the waves
# then live in each process) it waits this long.
ONBOARD_DEFER_SECONDS = 60
log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (services done, services in all)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Scope:
    """What a scan covers: ``subscriptions`` (none: MONITOR_SUBSCRIPTIONS, else every readable one), optionally one
    resource group or one service; ``use_graph`` reads the inventory from Resource Graph where it can."""

    subscriptions: tuple[str, ...] = ()
    resource_group: str | None = None
    service: str | None = None
    use_graph: bool = True


@dataclass(frozen=True)
class _Notice:
    """How a use case's findings reach the sinks: one alert per message or a digest, held or due now, and whether
    the caller waits only for its own messages (a host is waiting) or delivers everything due."""

    digest: bool
    hold: dt.timedelta = dt.timedelta(0)
    own_only: bool = False


_AS_EVENT = _Notice(digest=False, own_only=True)
_AS_SWEEP = _Notice(digest=True, hold=SWEEP_HOLD)  # held so that the digests of every worker leave merged
_AS_REPORT = _Notice(digest=True)  # the CLI: one digest per run, delivered before it exits


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
    # Guards what is built on first use and kept for the process: the queue clients and the protection clock.
    _lazy_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _protection: ProtectionClock | None = field(default=None, init=False, repr=False)

    def process_event(self, event: Mapping[str, object]) -> EventOutcome | None:
        """The event path end to end: claim the event, evaluate, queue what takes long, record, alert.

        Returns None for an event already processed. Raises EventBusyError while another invocation holds the event,
        TransientAzureError / StateError for redelivery; a failed attempt gives its claim back first.
        """
        started = time.perf_counter()
        attributes = {"event_id": str(event.get("id", ""))[:100], "type": str(event.get("type", ""))[:200]}
        with telemetry.span("monitor.event", **attributes):
            try:
                return self._process(event)
            finally:
                telemetry.event_duration(time.perf_counter() - started)

    def _process(self, event: Mapping[str, object]) -> EventOutcome | None:
        event_id = str(event.get("id", "")) if self.store is not None else ""
        if event_id and not self._claim(event_id):
            return None
        try:
            outcome = self.engine.handle_event(event, queue_onboarding=self.queue_onboarding)
            handed = [outcome.finding] if outcome.finding is not None else []
            self._notify(
                self._hand_off(outcome), _AS_EVENT, event_id=event_id or None, clocked=(handed, event_time(event))
            )
        except BaseException:
            if event_id:
                self._release(event_id)
            raise
        return outcome

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
        if outcome.work is not None:
            send_messages(self._queue(self.settings.sweep_queue), [outcome.work.to_message()])
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

        An onboarding the service's waves defer (its wave is full, or its gateway's capacity pauses it) goes back on
        the queue until the service's next wave, unrecorded, so that the API still alerts once, with the outcome. The
        service's capacity finding (``onboarding_paused``) is recorded beside it: a pause alerts once, and the first
        onboarding after it resolves it. Raises EventError for a message it cannot read, AzureError / StateError for
        the queue to retry (on the last attempt, the log says the message goes to the poison queue).
        """
        request = OnboardRequest.from_message(text)
        service = request.api.service_ref
        with _poison_logged(request.api.resource_id, dequeue_count, self.settings.onboard_queue):
            finding = self.engine.check_api(request.api, approved_by=request.approved_by)
            capacity = self._capacity(service, [finding])
            if finding.action is Action.ONBOARD_DEFERRED:
                waves = Waves(self.settings, self.clients, self.store)  # the engine's waves, through the shared store
                delay = round(waves.next_wave_in(service)) if self.store is not None else ONBOARD_DEFER_SECONDS
                send_messages(self._queue(self.settings.onboard_queue), [request.to_message()], delay_seconds=delay)
                self._notify(capacity, _AS_EVENT)
                return finding
            self._notify([finding, *capacity], _AS_EVENT)
        return finding

    def _capacity(self, service: ServiceRef, findings: Sequence[Finding]) -> list[Finding]:
        """The service's capacity finding (``onboarding_paused``) to record beside findings that onboarded or were
        deferred, when the waves watch the gateway: a pause alerts once, and the first onboarding after it resolves
        it (a deferral alone never resolves it)."""
        acted = {f.action for f in findings}
        if self.store is None or not acted & {Action.ONBOARD_DEFERRED, Action.ONBOARDED}:
            return []
        waves = Waves(self.settings, self.clients, self.store)
        reading = waves.last_reading(service) if waves.watches_capacity else None
        capacity = capacity_finding(service, reading, self.settings) if reading is not None else None
        if capacity is None or (capacity.status is not Status.NONCOMPLIANT and Action.ONBOARDED not in acted):
            return []
        return [capacity]

    def approve(self, request: ApprovalRequest) -> Page:
        """The Approve function's job: show an approval link's confirmation (GET) or act on it (POST), announcing the
        outcome. Raises SettingsError where approval links are not set up (MONITOR_AUTO_ONBOARD is not approve, or
        there is no state store to spend links in)."""
        if self.settings.auto_onboard is not WriteMode.APPROVE or self.store is None:
            raise SettingsError("MONITOR_AUTO_ONBOARD: approval links need approve mode and a state store")

        def enqueue(request: OnboardRequest) -> None:
            send_messages(self._queue(self.settings.onboard_queue), [request.to_message()])

        approvals = Approvals(
            self.settings,
            self.engine,
            self.store,
            announce=lambda findings: self._notify(findings, _AS_EVENT),
            enqueue=enqueue if self.queue_onboarding else None,
        )
        return approvals.handle(request).page

    def start_sweep(self) -> int:
        """The timer's job: inventory every subscription in scope, report plan findings, enqueue one message per
        APIM service. Returns the number of services enqueued."""
        inventory = self._inventory(Scope())
        self._notify(inventory.findings, _AS_SWEEP)
        sent = send_messages(self._queue(self.settings.sweep_queue), (work.to_message() for work in inventory.work))
        self._measure_coverage(sent)
        return sent

    def _measure_coverage(self, services: int) -> None:
        """The sweep timer's reading of the state store: coverage per subscription and the age of its oldest
        unprotected API (gauges, and a snapshot for ``status``'s trend), and when it last ran."""
        if self.store is None:
            return
        now = _utcnow()
        statuses = self.store.statuses()
        snapshots = coverage_now(statuses, now)
        for snapshot in snapshots:
            if snapshot.ratio is not None:
                telemetry.coverage(snapshot.subscription_id, snapshot.ratio)
        for subscription, seconds in oldest_unprotected_age(statuses, now).items():
            telemetry.unprotected_oldest_age(subscription, seconds)
        self.store.record_coverage(snapshots)
        last = self.store.get_meter(LAST_SWEEP)
        self.store.put_meter(Meter(LAST_SWEEP, services, now, last.etag if last else None))  # lost race: fine

    def status(self, *, window: dt.timedelta = STATUS_WINDOW) -> StatusReport:
        """``status``: what the state store says of coverage (now, and its snapshots over ``window``), the oldest
        unprotected APIs, time to protect, the outbox and the last sweep. Raises SettingsError without a store."""
        if self.store is None:
            raise SettingsError("MONITOR_STATE: not set and no alert sink configured, so there is no state to report")
        now = _utcnow()
        return status_report(
            now=now,
            statuses=self.store.statuses(),
            history=self.store.coverage_history(now - window),
            protections=self.store.protections(),
            outbox=self.store.outbox(),
            last_sweep=self.store.get_meter(LAST_SWEEP),
            window=window,
        )

    def scan(self, scope: Scope, *, concurrency: int = 8, progress: Progress | None = None) -> list[Finding]:
        """The CLI's scan: inventory the scope and reconcile every service in this process, then report."""
        findings = self.sweep(self._inventory(scope), concurrency=concurrency, progress=progress)
        self._notify(findings, _AS_REPORT)
        return findings

    def sweep(self, inventory: Inventory, *, concurrency: int = 8, progress: Progress | None = None) -> list[Finding]:
        """Reconcile every service of an inventory here, ``concurrency`` at a time (the queue workers' job, without
        the queue); ``progress`` hears (done, total) before the first service and after each one. Reports nothing."""
        findings = list(inventory.findings)
        total = len(inventory.work)
        if progress is not None:
            progress(0, total)
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for done, result in enumerate(pool.map(self.engine.reconcile, inventory.work), 1):
                findings.extend(result)
                if progress is not None:
                    progress(done, total)
        return findings

    def replay(self, batch: Iterable[object]) -> list[EventOutcome]:
        """The CLI's handle-event: evaluate saved events to the end here (a changed service is reconciled in place,
        a transient ARM error is an error finding), each target once per batch, then report. A batch is coalesced
        by target, not by event id: a replay re-checks what an earlier run already processed."""
        outcomes: list[EventOutcome] = []
        first: dict[tuple[str, bool], str] = {}
        for event in batch:
            parsed = self.engine.parse(event)
            if isinstance(parsed, EventOutcome):
                outcomes.append(parsed)
                continue
            key = (parsed.target.resource_id.lower(), parsed.deleted)
            if key in first:
                outcomes.append(EventOutcome(parsed.event_id, ignored=f"duplicate of event {first[key]}"))
                continue
            first[key] = parsed.event_id
            outcomes.extend(self._replay_one(parsed))
        self._notify([o.finding for o in outcomes if o.finding is not None], _AS_REPORT)
        return outcomes

    def _replay_one(self, parsed: ParsedEvent) -> list[EventOutcome]:
        try:
            outcome = self.engine.evaluate(parsed)
            if outcome.work is None:
                return [outcome]
            return [EventOutcome(parsed.event_id, finding=f) for f in self.engine.reconcile(outcome.work)]
        except TransientAzureError as exc:
            return [EventOutcome(parsed.event_id, finding=rules.azure_error_finding(parsed.target, exc))]

    def replay_dead_letters(
        self,
        *,
        since: dt.datetime | None = None,
        dry_run: bool = False,
        progress: Callable[[BlobReport], None] | None = None,
    ) -> list[BlobReport]:
        """``replay --dead-letter``: each blob of Event Grid's dead-letter container (written at or after ``since``),
        each of its events through ``process_event`` as OnApiEvent runs it (``deadletter_replay``); ``dry_run`` lists
        and neither replays nor deletes. Raises SettingsError when there is no container to read, StateError when it
        cannot be listed."""
        replay = DeadLetterReplay(self.settings, self.process_event, self.notifier)
        return replay.run(since=since, dry_run=dry_run, progress=progress)

    def _inventory(self, scope: Scope) -> Inventory:
        subscriptions = list(scope.subscriptions) or subscriptions_in_scope(self.clients, self.settings.subscriptions)
        return take_inventory(
            self.clients,
            subscriptions,
            resource_group=scope.resource_group,
            service=scope.service,
            use_graph=scope.use_graph,
            usage=self.engine.usage,
        )

    def reconcile_message(self, text: str, dequeue_count: int) -> list[Finding]:
        """The queue worker's job for one service. Transient ARM errors raise (the queue retries the message) until
        the last allowed attempt, which reports them as error findings and logs, instead of going silent. When even
        that attempt fails (the state store is down), the log says the message is going to the poison queue."""
        work = ServiceWork.from_message(text)
        last_try = dequeue_count >= MAX_DEQUEUE_COUNT
        with _poison_logged(work.facts.ref.resource_id, dequeue_count, self.settings.sweep_queue):
            findings = self.engine.reconcile(work, raise_transient=not last_try)
            findings += self._capacity(work.facts.ref, findings)
            if last_try and any(f.status is Status.ERROR for f in findings):
                log.error(
                    "%s: giving up after %d attempts; reported as error findings",
                    work.facts.ref.resource_id,
                    dequeue_count,
                )
            self._notify(findings, _AS_SWEEP)
        return findings

    def deliver_outbox(self) -> DeliveryReport:
        """DrainOutbox's job, and ``alerts --deliver``: try every due message, then prune expired state within
        MONITOR_PRUNE_SHARE of the timer's period (a failed prune is logged and left to the next run: it never fails
        the delivery), then measure what is left (the outbox's depth and its oldest message's age). Nothing to do
        without alerting."""
        if self.notifier is None or self.store is None:
            return DeliveryReport()
        report = self.notifier.deliver()
        self._prune()
        waiting = self.store.outbox()
        oldest = min((item.created_at for item in waiting), default=None)
        telemetry.outbox(len(waiting), (_utcnow() - oldest).total_seconds() if oldest is not None else 0.0)
        return report

    def _prune(self) -> None:
        assert self.store is not None
        s = self.settings
        try:
            pruned = prune_expired(
                self.store,
                _utcnow(),
                ttl=dt.timedelta(days=s.state_ttl_days),
                page=s.prune_page,
                budget_seconds=s.prune_share * OUTBOX_TIMER_PERIOD.total_seconds(),
            )
            # Coverage snapshots (status's trend) are kept COVERAGE_KEPT; a page a run keeps up with thousands a day.
            pruned_coverage = self.store.prune_coverage(_utcnow() - COVERAGE_KEPT, s.prune_page)
        except StateError as exc:
            log.warning("state: pruning expired rows failed, to be tried next run: %s", exc)
            return
        if pruned_coverage:
            log.info("state: pruned %d coverage snapshots older than %d days", pruned_coverage, COVERAGE_KEPT.days)
        log.info(
            "state: pruned %d expired rows in %d pages (%.3f s)%s",
            pruned.rows,
            pruned.pages,
            pruned.seconds,
            "" if pruned.finished else "; more left for the next run",
        )

    def outbox(
        self, *, deliver: bool = False, parked: bool | None = None
    ) -> tuple[DeliveryReport | None, list[OutboxItem]]:
        """``alerts``: with ``deliver``, first try every due message; then the undelivered messages (every one, or
        only the parked ones), oldest first. Raises SettingsError, before anything is tried, where nothing alerts, as
        there is no outbox then."""
        if self.store is None or self.notifier is None:
            raise SettingsError("MONITOR_STATE: not set and no alert sink configured, so there is no outbox to show")
        report = self.deliver_outbox() if deliver else None
        return report, self.store.outbox(parked=parked)

    def decisions(self) -> list[DecisionRecord]:
        """``approvals``: every approver's decision on an approval link, oldest first. Raises SettingsError where
        there is no state store (nothing was ever recorded)."""
        if self.store is None:
            raise SettingsError("MONITOR_STATE: not set and no alert sink configured, so no decisions are recorded")
        return self.store.decisions()

    def _notify(
        self,
        findings: list[Finding],
        notice: _Notice,
        *,
        event_id: str | None = None,
        clocked: tuple[list[Finding], dt.datetime | None] | None = None,
    ) -> None:
        """The one last step of every use case: record the findings' transitions (marking ``event_id`` processed in
        the same step) and deliver. ``own_only`` sends a few messages only (about one per sink, this invocation's
        own alert when nothing is queued before it): after a sink outage the backlog is DrainOutbox's, not an
        invocation's that a host is waiting on."""
        telemetry.findings(findings)
        if self.notifier is None or self.store is None:  # a notifier exists exactly when a store does
            return
        # Time to protect: the event's findings (an onboarding handed to the queue too) from the event's time.
        clock_findings, first_write = clocked if clocked is not None else (findings, None)
        self._clock().observe(clock_findings, first_write)
        with telemetry.span("record"):
            self.notifier.record(findings, digest=notice.digest, hold=notice.hold, event_id=event_id)
        with telemetry.span("deliver"):
            if notice.own_only:
                self.notifier.deliver(max_messages=EVENT_DELIVERIES_PER_SINK * self.notifier.sink_count)
            else:
                self.notifier.deliver()

    def _clock(self) -> ProtectionClock:
        assert self.store is not None
        with self._lazy_lock:
            if self._protection is None:
                self._protection = ProtectionClock(self.store, _utcnow)
            return self._protection

    def _queue(self, name: str) -> QueueClient:
        """One client per queue for the life of the process (creating the queue once, when missing)."""
        with self._lazy_lock:
            if name not in self._queues:
                self._queues[name] = open_queue(self.settings, name)
            return self._queues[name]

    def close(self) -> None:
        """Release every connection and credential the process holds: sinks, ARM clients, queues, then the store.
        One that fails to close does not keep the others open; its error is raised once all have been tried."""
        with ExitStack() as closing:  # callbacks run last-in first-out, each even if an earlier one raised
            if self.store is not None:
                closing.callback(self.store.close)
            for queue in self._queues.values():
                closing.callback(queue.close)
            closing.callback(self.clients.close)
            if self.notifier is not None:
                closing.callback(self.notifier.close)


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
    store = open_store(spec, default_sqlite_path=CLI_STATE_PATH, client_id=settings.client_id) if spec else None
    clients = ArmClients(settings, store=store)
    engine = Engine(settings, clients, store=store)  # the onboarding rate limit is shared through the store too
    notifier = Notifier(store, build_sinks(settings), settings) if store is not None else None
    return Runtime(settings, clients, engine, store, notifier, queue_onboarding=in_azure)
