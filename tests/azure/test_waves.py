"""Onboarding in waves that watch the gateway (issue 12 section 3), over the emulator: each APIM service onboards at
most MONITOR_ONBOARD_WAVE_SIZE APIs a wave, waves MONITOR_ONBOARD_WAVE_MINUTES apart, and before each wave the
service's Capacity metric is read once; above MONITOR_ONBOARD_CAPACITY_LIMIT its onboarding pauses (one alert) and
resumes (a resolved alert) when the gateway calms down. The onboarding worker's real path runs (Runtime.onboard_message
on queue messages) on a fake clock, with a queue that holds each deferred message until its delay has passed."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from emulator import EmulatorServer
from emulator.handlers_metrics import set_capacity
from emulator.receiver import Receiver
from monitors import remediation
from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.inventory import take_inventory
from monitors.model import Action, ApiRef, Reason, ServiceRef, Status
from monitors.queues import OnboardRequest
from monitors.runtime import Runtime, build_runtime
from monitors.settings import load_settings
from monitors.state.sqlite import SqliteStateStore
from tests.azure.own_estate import serving

SUB = "00000000-0000-0000-0000-0000000000c1"
APIS = [f"api-{n:02d}" for n in range(12)]
SERVICE = ServiceRef(SUB, "rg-waves", "apim-waves")
PREMIUM = ServiceRef(SUB, "rg-waves", "apim-big")
WAVE_MINUTES = 5
T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def _service(name: str, sku: str) -> dict[str, object]:
    apis = [{"name": api, "displayName": api.upper(), "path": api} for api in APIS]
    return {"resourceGroup": "rg-waves", "name": name, "location": "East US", "sku": sku, "apis": apis}


ESTATE = {
    "subscriptions": [
        {
            "id": SUB,
            "pricings": {"Api": {"pricingTier": "Standard", "subPlan": "P1"}},
            # A Standard service: Azure Monitor's Maximum of Capacity is 0 there, the Average holds the load.
            "services": [_service("apim-waves", "Standard"), _service("apim-big", "Premium")],
        }
    ]
}


@dataclass
class Clock:
    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += dt.timedelta(minutes=minutes)


@dataclass
class HeldQueue:
    """The onboarding queue: each message becomes visible when the fake clock reaches its delay."""

    clock: Clock
    queue_name: str = "apim-onboard"
    held: list[tuple[dt.datetime, str]] = field(default_factory=list)
    delays: list[int] = field(default_factory=list)

    def send_message(self, content: str, visibility_timeout: int | None = None) -> None:
        self.delays.append(visibility_timeout or 0)
        self.held.append((self.clock.now + dt.timedelta(seconds=visibility_timeout or 0), content))

    def visible(self) -> list[str]:
        due = [text for at, text in self.held if at <= self.clock.now]
        self.held = [(at, text) for at, text in self.held if at > self.clock.now]
        return due

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with serving(ESTATE) as running:
        yield running


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(remediation, "_utcnow", fake)  # the waves' wall clock, in the engine and the runtime
    return fake


def _env(server: EmulatorServer, tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "MONITOR_ARM_ENDPOINT": server.url,
        "MONITOR_ARM_RETRIES": "0",
        "MONITOR_ONBOARD_POLL_SECONDS": "0.05",
        "MONITOR_ARM_READS_PER_SECOND": "1000",
        "MONITOR_AUTO_ONBOARD": "on",
        "MONITOR_ONBOARD_WAVE_SIZE": "4",
        "MONITOR_ONBOARD_WAVE_MINUTES": str(WAVE_MINUTES),
        "MONITOR_STATE": f"sqlite:{tmp_path / 'state.sqlite'}",
    } | {f"MONITOR_{k.upper()}": v for k, v in more.items()}


def _control_capacity(server: EmulatorServer, service: str, percent: float | None) -> dict[str, object]:
    """The emulator's control API, as an out-of-process test would set the gateway's load."""
    body = json.dumps({"service": service, "percent": percent}).encode()
    request = urllib.request.Request(f"{server.url}/_emulator/capacity", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return dict(json.loads(answer.read()))


def _puts(server: EmulatorServer) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in server.requests if r.method == "PUT"]


def _capacity_reads(server: EmulatorServer, service: ServiceRef = SERVICE) -> int:
    path = f"{service.resource_id}/providers/Microsoft.Insights/metrics".lower()
    return sum(1 for r in server.requests if r.method == "GET" and r.path.lower() == path)


def _wave(runtime: Runtime, queue: HeldQueue) -> list[tuple[str, Action]]:
    """Deliver every visible message once, as the queue trigger would; (API, action) of each."""
    outcomes = []
    for text in queue.visible():
        finding = runtime.onboard_message(text, 1)
        outcomes.append((finding.api, finding.action))
    return outcomes


def _alerts(receiver: Receiver) -> list[tuple[str, str, str]]:
    """(alert kind, reason, status) of every alert the webhook received."""
    seen = []
    for request in receiver.requests:
        body = json.loads(request.body)
        by_id = {f["resource_id"]: f for f in body["findings"]}
        for alert in body["alerts"]:
            finding = by_id[alert["resource_id"]]
            seen.append((alert["kind"], finding["reason"], finding["status"]))
    return seen


def test_a_capacity_spike_pauses_the_waves_alerts_once_and_resumes(
    server: EmulatorServer, clock: Clock, receiver: Receiver, tmp_path: Path
) -> None:
    server.reset()
    env = _env(
        server,
        tmp_path,
        webhook_url=receiver.url,
        webhook_secret="whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==",
    )
    settings = load_settings(env)
    runtime = build_runtime(settings, in_azure=False)
    queue = HeldQueue(clock)
    runtime._queues[settings.onboard_queue] = queue  # type: ignore[assignment]
    set_capacity(server.state, SERVICE.resource_id, 20)  # the in-process controller
    for api in APIS:
        queue.send_message(OnboardRequest(ApiRef(SUB, "rg-waves", "apim-waves", api), f"e-{api}").to_message())
    waves, reads, requests = [], [], []
    try:
        for step, percent in enumerate([None, 85, None, 30, None]):
            if percent is not None:
                assert _control_capacity(server, "apim-waves", percent)["percent"] == percent
            if step:
                clock.advance(WAVE_MINUTES)
            before = len(server.requests)
            outcome = _wave(runtime, queue)
            requests.append(len(server.requests) - before)
            waves.append(sum(1 for _, action in outcome if action is Action.ONBOARDED))
            reads.append(_capacity_reads(server))
        runtime.deliver_outbox()
    finally:
        runtime.close()
    puts = _puts(server)
    paused = [(kind, status) for kind, reason, status in _alerts(receiver) if reason == "onboarding_paused"]
    onboarded = [kind for kind, reason, _ in _alerts(receiver) if reason == "onboarded"]
    assert (waves, reads) == ([4, 0, 0, 4, 4], [1, 2, 3, 4, 5])  # one Capacity read a wave
    assert (sorted(puts), queue.held) == (sorted(APIS), [])  # every API's collection PUT exactly once
    assert paused == [("new", "noncompliant"), ("resolved", "compliant")]
    assert onboarded == ["onboarded"] * len(APIS)
    # A deferred message waits for the next wave: the rest of the interval, never the old fixed minute.
    assert set(queue.delays) == {0, WAVE_MINUTES * 60}
    print(f"ARM requests per wave: {requests}")


def test_the_sweep_pauses_with_one_alert_and_its_next_onboarding_resolves_it(
    server: EmulatorServer, clock: Clock, receiver: Receiver, tmp_path: Path
) -> None:
    server.reset()
    env = _env(server, tmp_path, webhook_url=receiver.url, webhook_secret="whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvcg==")
    runtime = build_runtime(load_settings(env), in_azure=False)
    set_capacity(server.state, SERVICE.resource_id, 90)
    try:
        inventory = take_inventory(runtime.clients, [SUB], service="apim-waves", use_graph=False)
        [work] = inventory.work
        for _ in range(2):  # two sweeps while the gateway stays busy: one alert
            findings = runtime.reconcile_message(work.to_message(), 1)
            assert {f.action for f in findings if f.reason is Reason.NOT_ONBOARDED} == {Action.ONBOARD_DEFERRED}
            clock.advance(WAVE_MINUTES)
        set_capacity(server.state, SERVICE.resource_id, 10)
        findings = runtime.reconcile_message(work.to_message(), 1)
        assert runtime.store is not None
        # A sweep's digest is held a while so that every worker's part leaves as one message: read the outbox.
        queued = [(a.kind.value, a.finding.reason, a.finding.status) for i in runtime.store.outbox() for a in i.alerts]
    finally:
        runtime.close()
    assert sum(f.action is Action.ONBOARDED for f in findings) == 4
    paused = [(kind, status) for kind, reason, status in queued if reason is Reason.ONBOARDING_PAUSED]
    assert paused == [("new", Status.NONCOMPLIANT), ("resolved", Status.COMPLIANT)]


def test_two_engines_sharing_one_store_never_exceed_the_wave(server: EmulatorServer, clock: Clock, tmp_path) -> None:
    server.reset()
    settings = load_settings(_env(server, tmp_path))
    stores = [SqliteStateStore(str(tmp_path / "shared.sqlite")) for _ in range(2)]
    clients = [ArmClients(settings) for _ in range(2)]
    engines = [Engine(settings, clients[n], store=stores[n]) for n in range(2)]
    done: set[str] = set()

    def onboard(n: int) -> bool:
        if APIS[n] in done:
            return False
        onboarded = engines[n % 2].check_api(ApiRef(SUB, "rg-waves", "apim-waves", APIS[n])).action is Action.ONBOARDED
        if onboarded:
            done.add(APIS[n])
        return onboarded

    def wave() -> tuple[int, int]:
        """Every API at once from 8 threads on the two engines (those that lose the race for this wave's capacity
        reading wait for it), then each left once more: (onboarded at once, onboarded in the wave)."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            at_once = sum(pool.map(onboard, range(len(APIS))))
        return at_once, at_once + sum(onboard(n) for n in range(len(APIS)))

    try:
        first = wave()
        clock.advance(WAVE_MINUTES - 0.1)
        early = wave()
        clock.advance(0.1)
        second = wave()
    finally:
        for client in clients:
            client.close()
        for store in stores:
            store.close()
    assert max(first[0], early[0], second[0]) <= 4
    assert ([first[1], early[1], second[1]], len(_puts(server)), _capacity_reads(server)) == ([4, 0, 4], 8, 2)


def test_approved_onboardings_go_through_the_same_waves(server: EmulatorServer, clock: Clock, tmp_path) -> None:
    server.reset()
    settings = load_settings(_env(server, tmp_path, auto_onboard="off"))  # approved_by onboards whatever the mode
    store = SqliteStateStore(str(tmp_path / "approved.sqlite"))
    engine = Engine(settings, ArmClients(settings), store=store)
    try:
        actions = [
            engine.check_api(ApiRef(SUB, "rg-waves", "apim-waves", api), approved_by="ops@example.com").action
            for api in APIS[:6]
        ]
        set_capacity(server.state, SERVICE.resource_id, 90)
        clock.advance(WAVE_MINUTES)
        paused = engine.check_api(ApiRef(SUB, "rg-waves", "apim-waves", APIS[5]), approved_by="ops@example.com")
    finally:
        engine.clients.close()
        store.close()
    assert actions == [Action.ONBOARDED] * 4 + [Action.ONBOARD_DEFERRED] * 2
    assert (paused.action, "90 %, above MONITOR_ONBOARD_CAPACITY_LIMIT=70 %" in paused.detail) == (
        Action.ONBOARD_DEFERRED,
        True,
    )


def test_premium_reads_the_maximum_and_other_tiers_the_average(server: EmulatorServer, clock: Clock, tmp_path) -> None:
    server.reset()
    settings = load_settings(_env(server, tmp_path))
    set_capacity(server.state, SERVICE.resource_id, 80)
    set_capacity(server.state, PREMIUM.resource_id, 80)
    engine = Engine(settings, ArmClients(settings))
    try:
        standard = engine.check_api(ApiRef(SUB, "rg-waves", "apim-waves", "api-00"))
        premium = engine.check_api(ApiRef(SUB, "rg-waves", "apim-big", "api-00"))
    finally:
        engine.clients.close()
    assert (standard.action, premium.action) == (Action.ONBOARD_DEFERRED, Action.ONBOARD_DEFERRED)


@pytest.mark.parametrize(
    ("fault", "percent", "action", "status"),
    [
        pytest.param(403, 20, Action.ONBOARD_DEFERRED, Status.NONCOMPLIANT, id="403: paused, says why"),
        pytest.param(404, 20, Action.ONBOARD_DEFERRED, Status.NONCOMPLIANT, id="404: paused, says why"),
        pytest.param(None, None, Action.ONBOARDED, None, id="no data: unknown, the wave goes ahead"),
    ],
)
def test_a_capacity_metric_that_cannot_be_read_never_passes_silently(
    server: EmulatorServer, clock: Clock, tmp_path, fault: int | None, percent: float | None, action, status
) -> None:
    server.reset()
    settings = load_settings(_env(server, tmp_path))
    store = SqliteStateStore(str(tmp_path / "state.sqlite"))
    if fault:
        server.add_fault("GET", f"{SERVICE.resource_id}/providers/Microsoft.Insights/metrics", status=fault, times=5)
    set_capacity(server.state, SERVICE.resource_id, percent)
    engine = Engine(settings, ArmClients(settings), store=store)
    try:
        finding = engine.check_api(ApiRef(SUB, "rg-waves", "apim-waves", "api-00"))
        reading = remediation.Waves(settings, engine.clients, store).last_reading(SERVICE)
    finally:
        engine.clients.close()
    assert reading is not None
    paused = remediation.capacity_finding(SERVICE, reading, settings)
    store.close()
    assert (finding.action, paused.status if paused else None) == (action, status)
    if paused is not None:
        assert paused.reason is Reason.ONBOARDING_PAUSED and "not readable" in paused.detail


def test_a_limit_of_100_reads_no_metric(server: EmulatorServer, clock: Clock, tmp_path) -> None:
    server.reset()
    settings = load_settings(_env(server, tmp_path, onboard_capacity_limit="100"))
    set_capacity(server.state, SERVICE.resource_id, 99)
    engine = Engine(settings, ArmClients(settings))
    try:
        finding = engine.check_api(ApiRef(SUB, "rg-waves", "apim-waves", "api-00"))
    finally:
        engine.clients.close()
    assert (finding.action, _capacity_reads(server)) == (Action.ONBOARDED, 0)


def test_the_emulator_answers_like_microsofts_getmetric_example(server: EmulatorServer) -> None:
    server.reset()
    set_capacity(server.state, PREMIUM.resource_id, 42.5)
    query = (
        "api-version=2023-10-01&metricnames=Capacity&aggregation=Average,Maximum&interval=PT1M"
        "&timespan=2026-12-02T09:00:00Z/2026-12-02T09:03:00Z"
    )
    request = urllib.request.Request(
        f"{server.url}{PREMIUM.resource_id}/providers/Microsoft.Insights/metrics?{query}",
        headers={"Authorization": "Bearer emulator"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        body = json.loads(answer.read())
    metric = body["value"][0]
    assert (sorted(body), sorted(metric)) == (
        ["cost", "interval", "namespace", "resourceregion", "timespan", "value"],
        ["displayDescription", "errorCode", "id", "name", "timeseries", "type", "unit"],
    )
    assert (metric["id"], metric["unit"], metric["errorCode"]) == (
        f"{PREMIUM.resource_id}/providers/Microsoft.Insights/metrics/Capacity",
        "Percent",
        "Success",
    )
    series = metric["timeseries"]
    assert (len(series), series[0]["metadatavalues"], series[0]["data"][-1]) == (
        1,
        [],
        {"timeStamp": "2026-12-02T09:02:00Z", "average": 42.5, "maximum": 42.5},
    )


def test_the_control_api_refuses_an_unknown_service_or_a_bad_percent(server: EmulatorServer) -> None:
    server.reset()
    for body in ({"service": "apim-nowhere", "percent": 50}, {"service": "apim-waves", "percent": 150}):
        request = urllib.request.Request(
            f"{server.url}/_emulator/capacity", data=json.dumps(body).encode(), method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=5)
        raised.value.close()
        assert raised.value.code == 400
