"""Onboards not-onboarded APIs to Defender for APIs, with safety rails.

Modes: ``off`` reports only, ``dry-run`` reports ``would_onboard``, ``approve`` reports ``awaiting_approval`` (the
alert carries signed links; ``monitors.approval`` acts on a person's decision), ``on`` PUTs the apiCollection. Only
APIs whose finding is ``not_onboarded`` are touched, which the rule order guarantees happens only when the plan is
Standard and the API is a supported REST API. The result is verified: the finding is re-evaluated against the
collection ARM returned. RBAC: ``Microsoft.Security/apiCollections/write``.

Microsoft warns that onboarding many APIs at once can overload an APIM instance, so onboarding goes in waves per APIM
service (``Waves``), approved onboardings included: at most MONITOR_ONBOARD_WAVE_SIZE a wave, waves
MONITOR_ONBOARD_WAVE_MINUTES apart (MONITOR_ONBOARD_MAX_PER_MINUTE is the older name for one-minute waves). Before
each wave the service's gateway ``Capacity`` metric is read, once per service and wave for all instances (the reading
is a meter in the state store); above MONITOR_ONBOARD_CAPACITY_LIMIT the service's onboardings are
``onboard_deferred`` until a reading is at or below it, and ``capacity_finding`` turns the reading into the
service's ``onboarding_paused`` finding, which the transitions alert once and resolve on resume. A reading Azure
Monitor has no data for (a new service) is unknown: the wave goes ahead, still limited by its size. A metric that
cannot be read (403, 404, an Azure failure after the retries) pauses the service, as a reading above the limit would:
its finding says why and alerts once, so a missing permission is never a silent pass, and MONITOR_ONBOARD_CAPACITY_LIMIT
=100 onboards without reading the metric.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from monitors import rules, telemetry
from monitors.azure import defender, metrics
from monitors.azure.budget import MAX_CLOCK_SKEW, change_meter
from monitors.azure.clients import ArmClients
from monitors.bucket import Bucket, Grant, take, until_token
from monitors.errors import AzureError, AzurePermissionError
from monitors.facts import ArmFacts, KnownFacts, WithCollection
from monitors.model import Action, ApiRef, Finding, Kind, Meter, Reason, ServiceRef, Status, WriteMode
from monitors.settings import Settings
from monitors.severity import graded
from monitors.state.contract import StateStore

log = logging.getLogger(__name__)

# A capacity reading is a percentage, or one of these codes (a meter holds one number).
NO_DATA = -1.0  # Azure Monitor had no value in the last quarter hour: unknown, the wave goes ahead
DENIED = -2.0  # 401/403: the identity may not read the metric
UNREADABLE = -3.0  # any other failure to read it
PENDING = -4.0  # another instance is reading it right now
PENDING_RETRY_SECONDS = 10.0  # how long a deferral waits for another instance's reading
NO_CAPACITY_CHECK = 100.0  # a limit of 100 % cannot be exceeded: the metric is not read


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _wall_of(clock: Callable[[], float]) -> Callable[[], dt.datetime]:
    """The wall clock the waves keep their stamps in: UTC now, or for a test's clock, UTC time moved along with it."""
    if clock is time.monotonic:
        return lambda: _utcnow()
    started, base = clock(), _utcnow()
    return lambda: base + dt.timedelta(seconds=clock() - started)


@dataclass(frozen=True)
class Reading:
    """A service's gateway Capacity reading (percent, or one of the codes above) and when it was taken."""

    value: float
    at: dt.datetime

    def paused(self, limit: float) -> bool:
        """True when the service's onboarding waits: the gateway is above ``limit``, or the metric cannot be read."""
        return self.value > limit or self.value in (DENIED, UNREADABLE)

    def words(self) -> str:
        """The reading as a phrase: "85 %", "not readable (permission denied)"."""
        if self.value >= 0:
            return f"{self.value:g} %"
        return {
            NO_DATA: "without data",
            DENIED: "not readable (permission denied: grant Microsoft.Insights/metrics/read on the service)",
            UNREADABLE: "not readable (Azure Monitor failed; see the log)",
        }.get(self.value, "being read by another instance")


@dataclass(frozen=True)
class Admission:
    """What the waves say to one onboarding: go ahead, or wait ``wait`` seconds (the next wave), and why."""

    granted: bool
    wait: float = 0.0
    reading: Reading | None = None  # the capacity reading the decision used, when it read one


def capacity_finding(ref: ServiceRef, reading: Reading, settings: Settings) -> Finding | None:
    """The service's ``onboarding_paused`` finding from a capacity reading: noncompliant while its onboarding is
    paused, compliant once it runs again; None when the reading says nothing (no data, or being read). Its subject is
    the service's Capacity metric (its Azure Monitor id), so it has a status record of its own. Pure."""
    if reading.value in (NO_DATA, PENDING):
        return None
    limit = settings.onboard_capacity_limit
    paused = reading.paused(limit)
    gateway = f"The gateway capacity of APIM service '{ref.service}' is {reading.words()}"
    if paused:
        detail = (
            f"{gateway}, above MONITOR_ONBOARD_CAPACITY_LIMIT={limit:g} %: its onboarding to Defender for APIs is "
            "paused until a reading (one a wave) is at or below the limit."
            if reading.value >= 0
            else f"{gateway}: its onboarding to Defender for APIs is paused until the metric can be read "
            "(MONITOR_ONBOARD_CAPACITY_LIMIT=100 onboards without watching it)."
        )
    else:
        detail = (
            f"{gateway}, at or below MONITOR_ONBOARD_CAPACITY_LIMIT={limit:g} %: onboarding runs, "
            f"{settings.onboard_wave_size} APIs a wave every {settings.onboard_wave_minutes:g} min."
        )
    return graded(
        Finding(
            kind=Kind.API,
            resource_id=f"{ref.resource_id}/providers/Microsoft.Insights/metrics/{metrics.CAPACITY_METRIC}",
            subscription_id=ref.subscription_id,
            resource_group=ref.resource_group,
            service=ref.service,
            api="",
            display_name=f"Onboarding of APIM service {ref.service}",
            status=Status.NONCOMPLIANT if paused else Status.COMPLIANT,
            reason=Reason.ONBOARDING_PAUSED,
            detail=detail,
        )
    )


class Waves:
    """Onboarding waves per APIM service, for every instance at once when they share a state store.

    One token bucket per service (``monitors.bucket``, stepped): a wave's MONITOR_ONBOARD_WAVE_SIZE tokens at once,
    the next wave's only MONITOR_ONBOARD_WAVE_MINUTES later. With a store, a take is one etag-conditional
    read-modify-write of the service's meter (``onboard-rate/{service}``); without one the bucket lives in this
    process. An empty bucket refuses (the caller defers), it never waits. The capacity reading is a second meter
    (``onboard-capacity/{service}``: the percentage or a code, stamped when read), good for one wave interval; the
    instance that finds it stale claims it (PENDING, etag-conditional) before reading, so one instance reads it per
    wave and the others wait for its reading. Raises StateError when the store fails: an unlimited onboarding is
    exactly what the waves are for.
    """

    def __init__(
        self,
        settings: Settings,
        clients: ArmClients,
        store: StateStore | None = None,
        wall: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._settings, self._clients, self._store = settings, clients, store
        self._wall = wall or (lambda: _utcnow())
        self._interval = settings.onboard_wave_minutes * 60
        size = settings.onboard_wave_size
        self._bucket = Bucket(rate=size / self._interval, burst=float(size), step=self._interval)
        self._local: dict[str, tuple[float, dt.datetime]] = {}  # key -> (level or reading, stamp), without a store
        self._lock = threading.Lock()

    @property
    def watches_capacity(self) -> bool:
        return self._settings.onboard_capacity_limit < NO_CAPACITY_CHECK

    def admit(self, ref: ServiceRef) -> Admission:
        """May one more API of the service be onboarded now? Reads the capacity first (once per wave), then takes a
        token of the wave."""
        reading = self._reading(ref) if self.watches_capacity else None
        if reading is not None and (reading.value == PENDING or reading.paused(self._settings.onboard_capacity_limit)):
            return Admission(False, self._reading_wait(reading), reading)
        granted, wait = self.take(ref)
        return Admission(granted, wait, reading)

    def take(self, ref: ServiceRef) -> tuple[bool, float]:
        """Take one token of the service's wave (offboarding shares them, without the capacity check): whether it
        was granted, else the seconds until the next wave."""
        waits: list[float] = []

        def take_one(level: float, stamp: dt.datetime, now: dt.datetime) -> Grant | None:
            grant = take(self._bucket, level, stamp, now, MAX_CLOCK_SKEW)
            if grant is None:
                waits.append(until_token(self._bucket, level, stamp, now, MAX_CLOCK_SKEW))
            return grant

        key = f"onboard-rate/{ref.resource_id.lower()}"
        if self._store is not None:
            granted = change_meter(self._store, key, self._bucket, take_one, self._wall) is not None
        else:
            with self._lock:
                now = self._wall()
                level, stamp = self._local.get(key, (self._bucket.burst, now))
                grant = take_one(level, stamp, now)
                if grant is not None:
                    self._local[key] = (grant.level, grant.stamp)
                granted = grant is not None
        return granted, 0.0 if granted else max(waits[-1] if waits else self._interval, 1.0)

    def last_reading(self, ref: ServiceRef) -> Reading | None:
        """The service's latest capacity reading as stored, fresh or not, without reading the metric."""
        key = _capacity_key(ref)
        if self._store is not None:
            stored = self._store.get_meter(key)
            return Reading(stored.value, stored.stamp) if stored else None
        with self._lock:
            value = self._local.get(key)
        return Reading(*value) if value else None

    def next_wave_in(self, ref: ServiceRef) -> float:
        """Seconds until a deferred onboarding of the service may go: until its paused reading is due again, else
        until its next wave (at least one second, at most one wave interval). Reads the store, never the metric."""
        reading = self.last_reading(ref) if self.watches_capacity else None
        if reading is not None and (reading.value == PENDING or reading.paused(self._settings.onboard_capacity_limit)):
            wait = self._reading_wait(reading)
            if wait > 1.0:
                return wait
        key = f"onboard-rate/{ref.resource_id.lower()}"
        now = self._wall()
        if self._store is not None:
            stored = self._store.get_meter(key)
            level, stamp = (stored.value, stored.stamp) if stored else (self._bucket.burst, now)
        else:
            with self._lock:
                level, stamp = self._local.get(key, (self._bucket.burst, now))
        return min(self._interval, max(1.0, until_token(self._bucket, level, stamp, now, MAX_CLOCK_SKEW)))

    def _reading_wait(self, reading: Reading) -> float:
        """Seconds until ``reading`` is stale (the next wave reads again); a pending one is waited on briefly."""
        age = (self._wall() - reading.at).total_seconds()
        span = min(PENDING_RETRY_SECONDS, self._interval) if reading.value == PENDING else self._interval
        return min(self._interval, max(1.0, span - age))

    def _fresh(self, reading: Reading, now: dt.datetime) -> bool:
        """A reading is good for one wave interval; a claim (PENDING) for a few retries, in case its reader died."""
        age = (now - reading.at).total_seconds()
        span = min(self._interval, 3 * PENDING_RETRY_SECONDS) if reading.value == PENDING else self._interval
        return -MAX_CLOCK_SKEW <= age < span

    def _reading(self, ref: ServiceRef) -> Reading:
        """This wave's capacity reading of the service: the stored one while fresh, else read now (one instance)."""
        key = _capacity_key(ref)
        if self._store is None:
            with self._lock:
                now = self._wall()
                known = self._local.get(key)
                if known is not None and self._fresh(Reading(*known), now):
                    return Reading(*known)
            reading = Reading(self._read(ref, now), now)
            with self._lock:
                self._local[key] = (reading.value, reading.at)
            return reading
        stored = self._store.get_meter(key)
        now = self._wall()
        if stored is not None and self._fresh(Reading(stored.value, stored.stamp), now):
            return Reading(stored.value, stored.stamp)
        if not self._store.put_meter(Meter(key, PENDING, now, stored.etag if stored else None)):
            again = self._store.get_meter(key)  # another instance claimed this wave's reading first
            return Reading(again.value, again.stamp) if again else Reading(PENDING, now)
        claimed = self._store.get_meter(key)  # our claim, for its etag
        reading = Reading(self._read(ref, now), now)
        if claimed is not None:  # a lost race here means a later claim took over: its reading stands
            self._store.put_meter(Meter(key, reading.value, now, claimed.etag))
        return reading

    def _read(self, ref: ServiceRef, now: dt.datetime) -> float:
        try:
            percent = metrics.service_capacity(self._clients.apim(ref.subscription_id), ref.resource_id, now=now)
        except AzurePermissionError as exc:
            log.warning("%s: onboarding paused, the Capacity metric cannot be read: %s", ref.resource_id, exc)
            return DENIED
        except AzureError as exc:
            log.warning("%s: onboarding paused, the Capacity metric cannot be read: %s", ref.resource_id, exc)
            return UNREADABLE
        return NO_DATA if percent is None else max(0.0, percent)


def _capacity_key(ref: ServiceRef) -> str:
    return f"onboard-capacity/{ref.resource_id.lower()}"


class Remediator:
    """Applies the onboarding mode to findings."""

    def __init__(
        self,
        settings: Settings,
        clients: ArmClients,
        clock: Callable[[], float] = time.monotonic,
        store: StateStore | None = None,
    ) -> None:
        self._settings = settings
        self._clients = clients
        self.waves = Waves(settings, clients, store, _wall_of(clock))

    def wants_onboarding(self, finding: Finding) -> bool:
        """True when the mode is ``on`` and the finding asks for an onboarding (the event path queues those)."""
        return finding.reason is Reason.NOT_ONBOARDED and self._settings.auto_onboard is WriteMode.ON

    def remediate(
        self, finding: Finding, facts: ArmFacts | KnownFacts, today: dt.date, *, approved_by: str | None = None
    ) -> Finding:
        """Return the finding after the mode's action; never raises for Azure errors (they become onboard_failed).
        ``approved_by`` names the person who approved this API's onboarding: it is onboarded whatever the mode."""
        mode = WriteMode.ON if approved_by else self._settings.auto_onboard
        if finding.reason is not Reason.NOT_ONBOARDED or mode is WriteMode.OFF:
            return finding
        names = f"API '{facts.ref.api_id}' of APIM service '{facts.ref.service}'"
        if mode is WriteMode.DRY_RUN:
            return rules.with_action(
                finding,
                Action.WOULD_ONBOARD,
                f"{names} is not onboarded; would onboard it.",
            )
        if mode is WriteMode.APPROVE:
            detail = f"{names} is not onboarded; waiting for an approver to onboard or exempt it."
            return rules.with_action(finding, Action.AWAITING_APPROVAL, detail)
        admission = self.waves.admit(facts.ref.service_ref)
        if not admission.granted:
            detail = f"{names} is not onboarded; onboarding deferred: {self._deferral(admission)}."
            return rules.with_action(finding, Action.ONBOARD_DEFERRED, detail)
        return self._onboard(finding, facts, today, names, approved_by)

    def _deferral(self, admission: Admission) -> str:
        """Why an onboarding waits, in words: the capacity reading, or the full wave."""
        s, reading = self._settings, admission.reading
        if reading is not None and reading.value == PENDING:
            return "another instance is reading the service's gateway capacity for this wave"
        if reading is not None and reading.paused(s.onboard_capacity_limit):
            limit = f"MONITOR_ONBOARD_CAPACITY_LIMIT={s.onboard_capacity_limit:g} %"
            if reading.value >= 0:
                return f"the service's gateway capacity is {reading.words()}, above {limit}"
            return f"the service's gateway capacity is {reading.words()}"
        return (
            f"this wave's {s.onboard_wave_size} onboardings for the service are taken (one wave every "
            f"{s.onboard_wave_minutes:g} min, MONITOR_ONBOARD_WAVE_SIZE)"
        )

    def offboard(self, finding: Finding, ref: ApiRef) -> Finding:
        """Apply MONITOR_AUTO_OFFBOARD_ORPHANS to an orphaned collection; never raises for Azure errors.

        RBAC: ``Microsoft.Security/apiCollections/delete``. Takes from the same per-service waves as onboarding.
        """
        mode = self._settings.auto_offboard_orphans
        names = f"Defender apiCollection '{ref.api_id}' of APIM service '{ref.service}'"
        if finding.reason is not Reason.COLLECTION_WITHOUT_API or mode is WriteMode.OFF:
            return finding
        if mode is WriteMode.DRY_RUN:
            return rules.with_action(finding, Action.WOULD_OFFBOARD, f"{names} has no API; would offboard it.")
        if not self.waves.take(ref.service_ref)[0]:
            return rules.with_action(finding, Action.NONE, f"{names} has no API; offboarding deferred (rate limit).")
        try:
            defender.offboard(self._clients.security(ref.subscription_id), ref)
        except AzureError as exc:
            return rules.with_action(finding, Action.OFFBOARD_FAILED, f"{names}: offboarding failed: {exc}")
        detail = f"{names} had no API and was offboarded."
        return rules.with_action(finding, Action.OFFBOARDED, detail, status=Status.COMPLIANT)

    def _onboard(
        self, finding: Finding, facts: ArmFacts | KnownFacts, today: dt.date, names: str, approved_by: str | None
    ) -> Finding:
        telemetry.onboarding("started")
        result = self._onboarded(finding, facts, today, names, approved_by)
        telemetry.onboarding("succeeded" if result.action is Action.ONBOARDED else "failed")
        return result

    def _onboarded(
        self, finding: Finding, facts: ArmFacts | KnownFacts, today: dt.date, names: str, approved_by: str | None
    ) -> Finding:
        s = self._settings
        client = self._clients.security(facts.ref.subscription_id)
        try:
            collection = defender.onboard(
                client,
                facts.ref,
                timeout=s.onboard_timeout_seconds,
                poll_seconds=s.onboard_poll_seconds,
            )
        except AzureError as exc:
            return rules.with_action(finding, Action.ONBOARD_FAILED, f"{names}: onboarding failed: {exc}")
        if collection is None:
            detail = f"{names}: onboarding sent, no collection visible after {s.onboard_timeout_seconds:g} s."
            return rules.with_action(finding, Action.ONBOARD_FAILED, detail)
        verified = rules.evaluate_api(WithCollection(facts, collection), s, today)
        if verified.status is not Status.COMPLIANT:
            state = collection.provisioning_state
            detail = f"{names}: onboarding still {state} after {s.onboard_timeout_seconds:g} s; the next run verifies."
            return rules.with_action(finding, Action.ONBOARD_FAILED, detail)
        approval = f", approved by {approved_by}" if approved_by else ""
        return rules.with_action(verified, Action.ONBOARDED, f"{names} was onboarded to Defender for APIs{approval}.")
