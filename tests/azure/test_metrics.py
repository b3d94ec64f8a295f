"""A subscription's monthly API calls from Azure Monitor's Requests metric, over the emulator: the 30-day sum per
service from one multi-resource request per subscription and region, the one-day cache, a caller without metrics
access, and the published Metrics_ListAtSubscriptionScope shape. Issue 11, item 2."""

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
WEST = {"apim-busy": 1_000_000, "apim-quiet": 250, "apim-idle": 0}  # West Europe
EAST = {"apim-east-a": 40, "apim-east-b": 3}  # East US, one in each of ARM's two spellings below
EXAMPLE = "arm/monitor/2023-10-01/PostMultiResourceMetricBody.json"


def _service(name: str, per_day: int, location: str = "West Europe") -> dict[str, object]:
    return {"resourceGroup": RG, "name": name, "location": location, "requestsPerDay": per_day}


ESTATE = {
    "subscriptions": [
        {
            "id": SUB,
            "pricings": {"Api": {"pricingTier": "Standard", "subPlan": "P1"}},
            "services": [_service(name, per_day) for name, per_day in WEST.items()]
            + [_service(name, per_day, "East US") for name, per_day in EAST.items()],
        },
        {"id": OTHER, "services": [_service("apim-elsewhere", 7)]},
    ]
}


def _facts(sub: str, name: str, location: str) -> ServiceFacts:
    return ServiceFacts(ServiceRef(sub, RG, name), "Developer", location, {})


WEST_SERVICES = [_facts(SUB, name, "westeurope") for name in WEST]
EAST_SERVICES = [_facts(SUB, "apim-east-a", "East US"), _facts(SUB, "apim-east-b", "eastus")]
SERVICES = WEST_SERVICES + EAST_SERVICES
ELSEWHERE = _facts(OTHER, "apim-elsewhere", "West Europe")
BUSY, QUIET, IDLE = (s.ref for s in WEST_SERVICES)
P1 = PlanFacts(SUB, "Standard", "P1")
METRICS_PATH = "/providers/Microsoft.Insights/metrics"
SUB_METRICS = f"/subscriptions/{SUB}{METRICS_PATH}"
OTHER_METRICS = f"/subscriptions/{OTHER}{METRICS_PATH}"


def _id(ref: ServiceRef) -> str:
    return ref.resource_id.lower()


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


def _metric_requests(server: EmulatorServer) -> list[tuple[str, str]]:
    """(path, region) of each metrics request the emulator served."""
    return [(r.path, r.query.get("region", "")) for r in server.requests if r.path.endswith(METRICS_PATH)]


def _cache() -> TtlCache[str, dict[str, int]]:
    return TtlCache(usage.USAGE_CACHE_SECONDS)


# --- One subscription and region -----------------------------------------------------------------------------------


def test_requests_by_service_sums_thirty_daily_totals_per_service(server: EmulatorServer, clients: ArmClients) -> None:
    counts = metrics.requests_by_service(clients.apim(SUB), SUB, "West Europe", now=NOW, top=10)
    assert counts == {_id(BUSY): 30 * 1_000_000, _id(QUIET): 30 * 250, _id(IDLE): 0}
    [request] = server.requests
    assert (request.path, request.query) == (
        SUB_METRICS,
        {
            "api-version": "2023-10-01",
            "region": "westeurope",
            "metricnamespace": "microsoft.apimanagement/service",
            "metricnames": "Requests",
            "aggregation": "Total",
            "interval": "P1D",
            "timespan": "2026-01-30T06:00:00Z/2026-03-01T06:00:00Z",
            "$filter": "Microsoft.ResourceId eq '*'",
            "top": "10",
        },
    )


def test_the_window_is_the_days_asked_for(clients: ArmClients) -> None:
    counts = metrics.requests_by_service(clients.apim(SUB), SUB, "eastus", now=NOW, days=7, top=10)
    assert counts == {_id(EAST_SERVICES[0].ref): 7 * 40, _id(EAST_SERVICES[1].ref): 7 * 3}


def test_top_is_sent_and_cuts_the_series(server: EmulatorServer, clients: ArmClients) -> None:
    # The emulator answers in resource id order: apim-busy, apim-idle, apim-quiet.
    counts = metrics.requests_by_service(clients.apim(SUB), SUB, "westeurope", now=NOW, top=2)
    assert counts == {_id(BUSY): 30 * 1_000_000, _id(IDLE): 0}
    assert server.requests[0].query["top"] == "2"


def test_a_region_without_services_has_no_series(clients: ArmClients) -> None:
    assert metrics.requests_by_service(clients.apim(SUB), SUB, "northeurope", now=NOW, top=10) == {}


def test_no_metrics_permission_is_an_azure_permission_error(server: EmulatorServer, clients: ArmClients) -> None:
    server.add_fault("GET", SUB_METRICS, status=403)
    with pytest.raises(AzurePermissionError) as raised:
        metrics.requests_by_service(clients.apim(SUB), SUB, "westeurope", now=NOW, top=10)
    error = raised.value
    assert (error.status_code, "AuthorizationFailed" in str(error), error.resource_id) == (
        403,
        True,
        f"/subscriptions/{SUB}",
    )


def test_a_server_error_is_transient(server: EmulatorServer, clients: ArmClients) -> None:
    server.add_fault("GET", METRICS_PATH, status=503)
    with pytest.raises(TransientAzureError):
        metrics.requests_by_service(clients.apim(SUB), SUB, "westeurope", now=NOW, top=10)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param({"now": NOW.replace(tzinfo=None)}, "aware", id="naive-datetime"),
        pytest.param({"days": 0}, "days", id="no-days"),
        pytest.param({"top": 0}, "top", id="no-series"),
        pytest.param({"region": " "}, "region", id="no-region"),
    ],
)
def test_a_question_that_cannot_be_asked_is_refused_before_any_request(
    server: EmulatorServer, clients: ArmClients, arguments: dict[str, Any], message: str
) -> None:
    asked: dict[str, Any] = {"region": "westeurope", "now": NOW, "top": 10} | arguments
    region = asked.pop("region")
    with pytest.raises(ValueError, match=message):
        metrics.requests_by_service(clients.apim(SUB), SUB, region, **asked)
    assert server.request_count == 0


# --- A subscription ------------------------------------------------------------------------------------------------


def test_subscription_usage_sums_its_services_with_one_request_per_region(
    server: EmulatorServer, clients: ArmClients
) -> None:
    result = usage.subscription_usage(clients, SUB, [*SERVICES, ELSEWHERE], P1, DEFAULT_PLANS, _cache(), NOW)
    calls = 30 * (1_000_000 + 250 + 0 + 40 + 3)
    assert result == assess("P1", calls, DEFAULT_PLANS)
    assert isinstance(result, PlanUsage) and (result.fitting_plan, result.forecast_overage_calls) == (
        "P2",
        calls - 10**6,
    )
    # "East US" and "eastus" are one region: one request for it, one for West Europe, none for the other subscription.
    assert sorted(_metric_requests(server)) == [(SUB_METRICS, "eastus"), (SUB_METRICS, "westeurope")]


def test_two_subscriptions_are_one_request_each(server: EmulatorServer, clients: ArmClients) -> None:
    cache = _cache()
    everything = [*WEST_SERVICES, ELSEWHERE]
    mine = usage.subscription_usage(clients, SUB, everything, P1, DEFAULT_PLANS, cache, NOW)
    theirs = usage.subscription_usage(clients, OTHER, everything, PlanFacts(OTHER, "Free"), DEFAULT_PLANS, cache, NOW)
    assert (mine, theirs) == (
        assess("P1", 30 * (1_000_000 + 250), DEFAULT_PLANS),
        assess(None, 30 * 7, DEFAULT_PLANS),
    )
    # Same region, two subscriptions: the cache keeps them apart.
    assert _metric_requests(server) == [(SUB_METRICS, "westeurope"), (OTHER_METRICS, "westeurope")]


def test_a_service_the_answer_does_not_name_had_no_traffic(server: EmulatorServer, clients: ArmClients) -> None:
    unseen = _facts(SUB, "apim-new", "West Europe")  # not in the emulator's estate: no series
    result = usage.subscription_usage(clients, SUB, [*WEST_SERVICES, unseen], P1, DEFAULT_PLANS, _cache(), NOW)
    assert result == assess("P1", 30 * (1_000_000 + 250), DEFAULT_PLANS)


def test_only_the_subscriptions_own_services_are_summed(clients: ArmClients) -> None:
    # apim-idle and apim-quiet are left out of the list: the region's answer names them, but they are not counted.
    result = usage.subscription_usage(clients, SUB, [WEST_SERVICES[0]], P1, DEFAULT_PLANS, _cache(), NOW)
    assert result == assess("P1", 30 * 1_000_000, DEFAULT_PLANS)


def test_top_asks_for_the_whole_region_not_only_the_scans_services(
    server: EmulatorServer, clients: ArmClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan of one resource group must not cut the region's other services from an answer cached for the day."""
    monkeypatch.setattr(usage, "REGION_TOP", 11)
    many = [_facts(SUB, f"apim-{n:02d}", "westeurope") for n in range(12)]
    usage.subscription_usage(clients, SUB, [*many, *EAST_SERVICES], P1, DEFAULT_PLANS, _cache(), NOW)
    assert sorted((r.query["region"], r.query["top"]) for r in server.requests) == [
        ("eastus", "11"),
        ("westeurope", "12"),
    ]


def test_a_second_sweep_within_a_day_makes_no_metrics_request(server: EmulatorServer, clients: ArmClients) -> None:
    clock = Clock()
    cache: TtlCache[str, dict[str, int]] = TtlCache(usage.USAGE_CACHE_SECONDS, clock)
    first = usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW)
    served = server.request_count
    assert (isinstance(first, PlanUsage), served) == (True, 2)
    clock.now += usage.USAGE_CACHE_SECONDS - 1
    second = usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW + dt.timedelta(hours=23))
    assert (second, server.request_count) == (first, served)
    clock.now += 2
    usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW + dt.timedelta(days=1))
    assert server.request_count == served + 2


def test_a_subscription_without_metrics_access_is_an_error_not_a_crash(
    server: EmulatorServer, clients: ArmClients
) -> None:
    server.add_fault("GET", SUB_METRICS, status=403)
    cache = _cache()
    result = usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW)
    assert isinstance(result, AzurePermissionError)
    assert (result.status_code, result.resource_id) == (403, f"/subscriptions/{SUB}")
    # The failure is not cached: once access is granted, the next sweep reads the subscription again.
    assert usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, cache, NOW) == assess(
        "P1", 30 * (1_000_000 + 250 + 40 + 3), DEFAULT_PLANS
    )


def test_denying_one_subscription_leaves_the_other(server: EmulatorServer, clients: ArmClients) -> None:
    server.add_fault("GET", OTHER_METRICS, status=403, times=5)
    cache = _cache()
    everything = [*WEST_SERVICES, ELSEWHERE]
    assert isinstance(
        usage.subscription_usage(clients, OTHER, everything, PlanFacts(OTHER, "Free"), DEFAULT_PLANS, cache, NOW),
        AzurePermissionError,
    )
    assert isinstance(usage.subscription_usage(clients, SUB, everything, P1, DEFAULT_PLANS, cache, NOW), PlanUsage)


def test_a_credential_failure_is_raised(clients: ArmClients, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_token(*args: object, **kwargs: object) -> dict[str, int]:
        raise CredentialError("no ARM token", resource_id=f"/subscriptions/{SUB}")

    monkeypatch.setattr(metrics, "requests_by_service", no_token)
    with pytest.raises(CredentialError):
        usage.subscription_usage(clients, SUB, SERVICES, P1, DEFAULT_PLANS, _cache(), NOW)


def test_a_subscription_without_services_reads_nothing(server: EmulatorServer, clients: ArmClients) -> None:
    assert usage.subscription_usage(clients, SUB, [ELSEWHERE], P1, DEFAULT_PLANS, _cache(), NOW) == assess(
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
    assert cache.get_or_load("a", lambda: {"x": 1}) == {"x": 1} and cache.get_or_load("a", lambda: {}) == {"x": 1}


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


def _target(sub: str = SUB, query: dict[str, str | None] | None = None) -> str:
    """The monitor's own request path over three days, with ``query``'s parameters replaced (None: left out)."""
    path = metrics.metrics_path(sub, "westeurope", NOW - dt.timedelta(days=3), NOW, 10)
    base, _, rest = path.partition("?")
    parameters = dict(part.split("=", 1) for part in rest.split("&"))
    for name, value in (query or {}).items():
        assert name in parameters, name
        if value is None:
            del parameters[name]
        else:
            parameters[name] = value
    return base + "?" + "&".join(f"{name}={value}" for name, value in parameters.items())


def _series(ref: ServiceRef, per_day: int) -> dict[str, Any]:
    return {
        "metadatavalues": [
            {
                "name": {"value": "microsoft.resourceid", "localizedValue": "microsoft.resourceid"},
                "value": ref.resource_id,
            }
        ],
        "data": [{"timeStamp": f"2026-02-{day}T06:00:00Z", "total": float(per_day)} for day in ("26", "27", "28")],
    }


def test_the_emulator_answers_one_series_per_service_of_the_region(server: EmulatorServer) -> None:
    status, body = _get(server, _target())
    assert status == 200
    assert body == {
        "cost": 9,
        "timespan": "2026-02-26T06:00:00Z/2026-03-01T06:00:00Z",
        "interval": "P1D",
        "value": [
            {
                "id": f"subscriptions/{SUB}/providers/Microsoft.Insights/metrics/Requests",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": "Requests", "localizedValue": "Requests"},
                "unit": "Count",
                "timeseries": [_series(BUSY, 1_000_000), _series(IDLE, 0), _series(QUIET, 250)],
                "errorCode": "Success",
            }
        ],
        "namespace": "microsoft.apimanagement/service",
        "resourceregion": "westeurope",
    }


def test_the_emulator_honours_top(server: EmulatorServer) -> None:
    _, body = _get(server, _target(query={"top": "1"}))
    assert body["value"][0]["timeseries"] == [_series(BUSY, 1_000_000)]


def test_the_emulator_defaults_top_to_ten(server: EmulatorServer) -> None:
    _, body = _get(server, _target(query={"top": None}))
    assert len(body["value"][0]["timeseries"]) == 3


def test_the_emulator_needs_a_region_as_the_spec_says(server: EmulatorServer) -> None:
    status, body = _get(server, _target(query={"region": None}))
    assert (status, body) == (400, real_json(EXAMPLE)["responses"]["default"]["body"])


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"metricnamespace": "microsoft.storage%2Fstorageaccounts"}, id="namespace"),
        pytest.param({"metricnames": "Capacity"}, id="metric"),
        pytest.param({"aggregation": "Average"}, id="aggregation"),
        pytest.param({"interval": "PT1H"}, id="interval"),
        pytest.param({"$filter": None}, id="no-split-by-resource"),
        pytest.param({"top": "0"}, id="top-zero"),
        pytest.param({"top": "many"}, id="top-not-a-number"),
        pytest.param({"timespan": "yesterday"}, id="timespan"),
        pytest.param({"timespan": "2026-03-01T00:00:00Z%2F2026-02-01T00:00:00Z"}, id="reversed"),
        pytest.param({"timespan": "2025-01-01T00:00:00Z%2F2026-02-01T00:00:00Z"}, id="past-retention"),
        pytest.param({"timespan": "2026-02-01T00:00:00%2F2026-03-01T00:00:00"}, id="no-offset"),
    ],
)
def test_the_emulator_refuses_what_it_does_not_serve(server: EmulatorServer, query: dict[str, str | None]) -> None:
    status, body = _get(server, _target(query=query))
    assert (status, body["error"]["code"]) == (400, "BadRequest")


def test_the_emulator_metrics_of_an_unknown_subscription_are_not_found(server: EmulatorServer) -> None:
    status, body = _get(server, _target("00000000-0000-0000-0000-0000000000ff"))
    assert (status, body["error"]["code"]) == (404, "SubscriptionNotFound")


def test_a_denied_caller_gets_arms_authorization_failed_body(server: EmulatorServer) -> None:
    server.add_fault("GET", METRICS_PATH, status=403)
    status, body = _get(server, _target())
    assert (status, body["error"]["code"]) == (403, "AuthorizationFailed")


# --- The published example (Azure/azure-rest-api-specs, PostMultiResourceMetricBody.json, 2023-10-01) -------------

NO_DIFFERENCE: dict[str, set[str]] = {"invented": set(), "missing": set(), "kind_mismatch": set()}
# (resource group, VM) of the example's five series, with the sum of each one's thirteen 6-hour "count" points.
EXAMPLE_SUMS = {"sas1": 12 * 72 + 413, "sas2": 12 * 72 + 133, "sas3": 12 * 72 + 78, "sas4": 13 * 72, "sas5": 13 * 72}


def test_the_emulator_body_has_the_published_key_paths(server: EmulatorServer) -> None:
    """The example (the POST variant of the same operation, same answer) asks for the ``count`` of a VM metric; we ask
    for the ``total`` of APIM's Requests, so its points carry ``total`` instead. The example's ``displayDescription``
    is left out: we could not source APIM's wording for Requests."""
    _, actual = _get(server, _target())
    reference = real_json(EXAMPLE)["responses"]["200"]["body"]
    extra = ("value[].timeseries[].data[].total",)
    omitted = ("value[].displayDescription", "value[].timeseries[].data[].count")
    assert _differences(actual, reference, extra, omitted) == NO_DIFFERENCE


def _replayed(body: dict[str, Any]) -> dict[str, int]:
    """requests_by_service over HTTP, the real pipeline reading ``body`` as ARM's answer."""
    state, httpd, thread = start_replay()
    settings = load_settings({"MONITOR_ARM_ENDPOINT": state.url, "MONITOR_ARM_RETRIES": "0"})
    arm_clients = ArmClients(settings)
    try:
        state.answer("GET", SUB_METRICS, 200, body)
        return metrics.requests_by_service(arm_clients.apim(SUB), SUB, "westus2", now=NOW, top=10)
    finally:
        arm_clients.close()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _example_ids() -> dict[str, str]:
    """The example's series' resource ids (lower-cased) by resource group."""
    body = real_json(EXAMPLE)["responses"]["200"]["body"]
    ids = [series["metadatavalues"][0]["value"].lower() for series in body["value"][0]["timeseries"]]
    return {resource.split("/")[4]: resource for resource in ids}


def test_requests_by_service_reads_the_published_example() -> None:
    body = real_json(EXAMPLE)["responses"]["200"]["body"]
    ids = _example_ids()
    assert sorted(ids) == sorted(EXAMPLE_SUMS)
    # The example has no "total": each resource is named, with nothing that we sum.
    assert _replayed(body) == dict.fromkeys(ids.values(), 0)
    with_totals = copy.deepcopy(body)
    for metric in with_totals["value"]:
        for series in metric["timeseries"]:
            for point in series["data"]:
                point["total"] = point["count"]  # substituted in test code only; the file stays as published
    assert _replayed(with_totals) == {ids[group]: total for group, total in EXAMPLE_SUMS.items()}


def test_a_series_that_names_no_resource_is_skipped() -> None:
    body = copy.deepcopy(real_json(EXAMPLE)["responses"]["200"]["body"])
    series = body["value"][0]["timeseries"]
    series[0]["metadatavalues"] = []
    series[1]["metadatavalues"][0]["name"]["value"] = "LUN"
    assert sorted(_replayed(body)) == sorted(_example_ids()[group] for group in ("sas3", "sas4", "sas5"))


def test_a_metric_that_failed_inside_a_200_is_an_error_not_zero_traffic() -> None:
    body = copy.deepcopy(real_json(EXAMPLE)["responses"]["200"]["body"])
    body["value"][0] |= {"timeseries": [], "errorCode": "InvalidSamplingType", "errorMessage": "Bad\nsampling"}
    with pytest.raises(ArmRequestError, match=r"InvalidSamplingType: Bad sampling$"):
        _replayed(body)
