"""A subscription's monthly API calls from Azure Monitor's Requests metric, over the emulator: the 30-day sum, one
request per service, the one-day cache, a caller without metrics access, and the published Metrics_List shape.
Issue 11, item 2."""

from __future__ import annotations

import copy
import datetime as dt
import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from emulator import EmulatorServer
from emulator.estate import Estate
from monitors import usage
from monitors.azure import metrics
from monitors.azure.clients import ArmClients
from monitors.errors import ArmRequestError, AzurePermissionError, CredentialError, TransientAzureError
from monitors.facts import TtlCache
from monitors.model import PlanFacts, ServiceFacts, ServiceRef
from monitors.plans import DEFAULT_PLANS, PlanUsage, assess
from monitors.settings import load_settings
from tests.emulator.test_emulator_shapes import _differences
from tests.real.payloads import real_json, start_replay

SUB = "00000000-0000-0000-0000-0000000000a1"
OTHER = "00000000-0000-0000-0000-0000000000a2"
RG = "rg-traffic"
NOW = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC)
PER_DAY = {"apim-busy": 1_000_000, "apim-quiet": 250, "apim-idle": 0}
EXAMPLE = "arm/monitor/2023-10-01/GetMetric.json"


def _service(name: str, per_day: int) -> dict[str, object]:
    return {"resourceGroup": RG, "name": name, "location": "West Europe", "requestsPerDay": per_day}


ESTATE = {
    "subscriptions": [
        {
            "id": SUB,
            "pricings": {"Api": {"pricingTier": "Standard", "subPlan": "P1"}},
            "services": [_service(name, per_day) for name, per_day in PER_DAY.items()],
        },
        {"id": OTHER, "services": [_service("apim-elsewhere", 7)]},
    ]
}
SERVICES = [ServiceFacts(ServiceRef(SUB, RG, name), "Developer", "westeurope", {}) for name in PER_DAY]
ELSEWHERE = ServiceFacts(ServiceRef(OTHER, RG, "apim-elsewhere"), "Developer", "westeurope", {})
BUSY = SERVICES[0].ref
P1 = PlanFacts(SUB, "Standard", "P1")
METRICS_PATH = "/providers/Microsoft.Insights/metrics"


@pytest.fixture(scope="module")
def _server() -> Iterator[EmulatorServer]:
    with EmulatorServer(Estate.from_dict(ESTATE)) as running:
        yield running


@pytest.fixture
def server(_server: EmulatorServer) -> EmulatorServer:
    _server.reset()
    return _server


@pytest.fixture
def clients(server: EmulatorServer) -> Iterator[ArmClients]:
    settings = load_settings(
        {"MONITOR_ARM_ENDPOINT": server.url, "MONITOR_ARM_RETRIES": "0", "MONITOR_ARM_READS_PER_SECOND": "1000"}
    )
    arm_clients = ArmClients(settings)
    yield arm_clients
    arm_clients.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _metric_requests(server: EmulatorServer) -> list[str]:
    return [r.path for r in server.requests if r.path.endswith(METRICS_PATH)]


# --- One service ---------------------------------------------------------------------------------------------------


def test_monthly_requests_sums_thirty_daily_totals(server: EmulatorServer, clients: ArmClients) -> None:
    assert metrics.monthly_requests(clients.apim(SUB), BUSY, now=NOW) == 30 * 1_000_000
    [request] = server.requests
    assert (request.path, request.query) == (
        BUSY.resource_id + METRICS_PATH,
        {
            "api-version": "2023-10-01",
            "metricnames": "Requests",
            "aggregation": "Total",
            "interval": "P1D",
            "timespan": "2026-01-30T06:00:00Z/2026-03-01T06:00:00Z",
        },
    )


def test_the_window_is_the_days_asked_for(clients: ArmClients) -> None:
    assert metrics.monthly_requests(clients.apim(SUB), BUSY, now=NOW, days=7) == 7 * 1_000_000


def test_a_service_without_traffic_has_zero_requests(clients: ArmClients) -> None:
    assert metrics.monthly_requests(clients.apim(SUB), SERVICES[2].ref, now=NOW) == 0


def test_no_metrics_permission_is_an_azure_permission_error(server: EmulatorServer, clients: ArmClients) -> None:
    server.add_fault("GET", BUSY.resource_id + METRICS_PATH, status=403)
    with pytest.raises(AzurePermissionError) as raised:
        metrics.monthly_requests(clients.apim(SUB), BUSY, now=NOW)
    assert (raised.value.status_code, "AuthorizationFailed" in str(raised.value)) == (403, True)


def test_a_server_error_is_transient(server: EmulatorServer, clients: ArmClients) -> None:
    server.add_fault("GET", METRICS_PATH, status=503)
    with pytest.raises(TransientAzureError):
        metrics.monthly_requests(clients.apim(SUB), BUSY, now=NOW)


def test_a_naive_datetime_is_refused(clients: ArmClients) -> None:
    with pytest.raises(ValueError, match="aware"):
        metrics.monthly_requests(clients.apim(SUB), BUSY, now=NOW.replace(tzinfo=None))


# --- A subscription ------------------------------------------------------------------------------------------------


def test_subscription_usage_sums_its_services_with_one_request_each(
    server: EmulatorServer, clients: ArmClients
) -> None:
    cache: TtlCache[str, int] = TtlCache(usage.USAGE_CACHE_SECONDS)
    result = usage.subscription_usage(clients, SUB, [*SERVICES, ELSEWHERE], P1, DEFAULT_PLANS, cache, NOW)
    calls = 30 * (1_000_000 + 250)
    assert result == assess("P1", calls, DEFAULT_PLANS)
    assert isinstance(result, PlanUsage) and (result.fitting_plan, result.forecast_overage_calls) == (
        "P2",
        calls - 10**6,
    )
    assert sorted(_metric_requests(server)) == sorted(s.ref.resource_id + METRICS_PATH for s in SERVICES)


def test_a_second_sweep_within_a_day_makes_no_metrics_request(server: EmulatorServer, clients: ArmClients) -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(usage.USAGE_CACHE_SECONDS, clock)
    first = usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW)
    served = server.request_count
    clock.now += usage.USAGE_CACHE_SECONDS - 1
    second = usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW + dt.timedelta(hours=23))
    assert (second, server.request_count) == (first, served)
    clock.now += 2
    usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW + dt.timedelta(days=1))
    assert server.request_count == served + len(SERVICES)


def test_a_service_without_metrics_access_gives_the_subscription_an_error(
    server: EmulatorServer, clients: ArmClients
) -> None:
    server.add_fault("GET", SERVICES[1].ref.resource_id + METRICS_PATH, status=403)
    cache: TtlCache[str, int] = TtlCache(usage.USAGE_CACHE_SECONDS)
    result = usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW)
    assert isinstance(result, AzurePermissionError) and result.resource_id == SERVICES[1].ref.resource_id
    # The failure is not cached: once access is granted, the next sweep reads the service again.
    assert isinstance(usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW), PlanUsage)


def test_a_whole_subscription_denied_metrics_is_an_error_not_a_crash(
    server: EmulatorServer, clients: ArmClients
) -> None:
    server.add_fault("GET", METRICS_PATH, status=403, times=len(SERVICES))
    cache: TtlCache[str, int] = TtlCache(usage.USAGE_CACHE_SECONDS)
    result = usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW)
    assert isinstance(result, AzurePermissionError) and result.status_code == 403


def test_a_credential_failure_is_raised(clients: ArmClients, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_token(*args: object, **kwargs: object) -> int:
        raise CredentialError("no ARM token", resource_id=BUSY.resource_id)

    monkeypatch.setattr(metrics, "monthly_requests", no_token)
    cache: TtlCache[str, int] = TtlCache(usage.USAGE_CACHE_SECONDS)
    with pytest.raises(CredentialError):
        usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW)


def test_a_subscription_without_services_reads_nothing(server: EmulatorServer, clients: ArmClients) -> None:
    cache: TtlCache[str, int] = TtlCache(usage.USAGE_CACHE_SECONDS)
    assert usage.subscription_usage(clients, SUB, [ELSEWHERE], P1, DEFAULT_PLANS, cache, NOW) == assess(
        "P1", 0, DEFAULT_PLANS
    )
    assert server.request_count == 0


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        pytest.param(PlanFacts(SUB, "Free"), None, id="free"),
        pytest.param(PlanFacts(SUB, "Standard"), "P1", id="standard-without-sub-plan"),
        pytest.param(PlanFacts(SUB, "Standard", "P3"), "P3", id="p3"),
    ],
)
def test_the_current_sub_plan(plan: PlanFacts, expected: str | None) -> None:
    assert usage.current_sub_plan(plan) == expected


def test_usage_cache_keeps_a_day() -> None:
    cache = usage.usage_cache()
    assert cache.get_or_load("a", lambda: 1) == 1 and cache.get_or_load("a", lambda: 2) == 1


# --- The emulator's route ------------------------------------------------------------------------------------------


def _get(server: EmulatorServer, target: str) -> tuple[int, Any]:
    connection = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=10)
    try:
        connection.request("GET", target, headers={"Authorization": "Bearer emulator"})
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return response.status, json.loads(data) if data else None


def _target(service: ServiceRef = BUSY, query: dict[str, str] | None = None) -> str:
    path = metrics.metrics_path(service, NOW - dt.timedelta(days=3), NOW)
    for name, value in (query or {}).items():
        current = next(p for p in path.split("&") if p.startswith(f"{name}="))
        path = path.replace(current, f"{name}={value}")
    return path


def test_the_emulator_answers_one_point_a_day(server: EmulatorServer) -> None:
    status, body = _get(server, _target())
    assert status == 200
    assert body == {
        "cost": 3,
        "timespan": "2026-02-26T06:00:00Z/2026-03-01T06:00:00Z",
        "interval": "P1D",
        "value": [
            {
                "id": f"{BUSY.resource_id}/providers/Microsoft.Insights/metrics/Requests",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": "Requests", "localizedValue": "Requests"},
                "unit": "Count",
                "timeseries": [
                    {
                        "metadatavalues": [],
                        "data": [
                            {"timeStamp": f"2026-02-{day}T06:00:00Z", "total": 1_000_000.0}
                            for day in ("26", "27", "28")
                        ],
                    }
                ],
                "errorCode": "Success",
            }
        ],
        "namespace": "Microsoft.ApiManagement/service",
        "resourceregion": "westeurope",
    }


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"metricnames": "Capacity"}, id="metric"),
        pytest.param({"aggregation": "Average"}, id="aggregation"),
        pytest.param({"interval": "PT1H"}, id="interval"),
        pytest.param({"timespan": "yesterday"}, id="timespan"),
        pytest.param({"timespan": "2026-03-01T00:00:00Z%2F2026-02-01T00:00:00Z"}, id="reversed"),
        pytest.param({"timespan": "2025-01-01T00:00:00Z%2F2026-02-01T00:00:00Z"}, id="past-retention"),
        pytest.param({"timespan": "2026-02-01T00:00:00%2F2026-03-01T00:00:00"}, id="no-offset"),
    ],
)
def test_the_emulator_refuses_what_it_does_not_serve(server: EmulatorServer, query: dict[str, str]) -> None:
    status, body = _get(server, _target(query=query))
    assert (status, body["error"]["code"]) == (400, "BadRequest")


def test_the_emulator_metrics_of_an_unknown_service_are_not_found(server: EmulatorServer) -> None:
    status, body = _get(server, _target(ServiceRef(SUB, RG, "apim-gone")))
    assert (status, body["error"]["code"]) == (404, "ResourceNotFound")


def test_a_denied_caller_gets_arms_authorization_failed_body(server: EmulatorServer) -> None:
    server.add_fault("GET", METRICS_PATH, status=403)
    status, body = _get(server, _target())
    assert (status, body["error"]["code"]) == (403, "AuthorizationFailed")


# --- The published Metrics_List example (Azure/azure-rest-api-specs, GetMetric.json, 2023-10-01) ------------------

NO_DIFFERENCE: dict[str, set[str]] = {"invented": set(), "missing": set(), "kind_mismatch": set()}


def test_the_emulator_body_has_the_published_key_paths(server: EmulatorServer) -> None:
    """The example asks for average/minimum/maximum of a storage metric split by a dimension; we ask for the total
    of one undimensioned metric, so its points carry ``total`` instead and its ``metadatavalues`` are empty. The
    example's ``displayDescription`` is left out: we could not source APIM's wording for Requests."""
    _, actual = _get(server, _target())
    reference = real_json(EXAMPLE)["responses"]["200"]["body"]
    extra = ("value[].timeseries[].data[].total",)
    omitted = (
        "value[].displayDescription",
        "value[].timeseries[].metadatavalues[]",
        "value[].timeseries[].data[].average",
        "value[].timeseries[].data[].minimum",
        "value[].timeseries[].data[].maximum",
    )
    assert _differences(actual, reference, extra, omitted) == NO_DIFFERENCE


def _replayed(body: dict[str, Any]) -> int:
    """monthly_requests over HTTP, the real pipeline reading ``body`` as ARM's answer."""
    state, httpd, thread = start_replay()
    settings = load_settings({"MONITOR_ARM_ENDPOINT": state.url, "MONITOR_ARM_RETRIES": "0"})
    arm_clients = ArmClients(settings)
    try:
        state.answer("GET", BUSY.resource_id + METRICS_PATH, 200, body)
        return metrics.monthly_requests(arm_clients.apim(SUB), BUSY, now=NOW)
    finally:
        arm_clients.close()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_monthly_requests_reads_the_published_example() -> None:
    body = real_json(EXAMPLE)["responses"]["200"]["body"]
    assert _replayed(body) == 0  # the example has no "total": nothing was asked for that we sum
    with_totals = copy.deepcopy(body)
    for metric in with_totals["value"]:
        for series in metric["timeseries"]:
            for point in series["data"]:
                point["total"] = point["average"]  # substituted in test code only; the file stays as published
    # BlobCount: (7 + 2) x 5 hours; BlobCapacity: (621492 + 4733) x 5 hours.
    assert _replayed(with_totals) == 5 * (7 + 2) + 5 * (621_492 + 4_733)


def test_a_metric_that_failed_inside_a_200_is_an_error_not_zero_traffic() -> None:
    body = copy.deepcopy(real_json(EXAMPLE)["responses"]["200"]["body"])
    body["value"][0] |= {"timeseries": [], "errorCode": "InvalidSamplingType", "errorMessage": "Bad\nsampling"}
    with pytest.raises(ArmRequestError, match=r"InvalidSamplingType: Bad sampling$"):
        _replayed(body)
