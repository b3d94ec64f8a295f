"""Fault injection, latency, authentication and the request log, observed through the real SDK clients."""

from __future__ import annotations

import time

import pytest
from azure.core.exceptions import HttpResponseError

RG = "rg-apis"
SVC = "apim-prod"


def _statuses(server):
    return [record.status for record in server.requests]


def test_throttled_request_is_retried_after_retry_after(apim, emulator_under_test):
    emulator_under_test.add_fault("GET", "/apis/echo-api", status=429, retry_after=1)
    started = time.monotonic()

    api = apim.api.get(RG, SVC, "echo-api")

    assert (api.name, _statuses(emulator_under_test), time.monotonic() - started >= 1.0) == (
        "echo-api",
        [429, 200],
        True,
    )


def test_throttle_answers_too_many_requests_with_retry_after(http_call, emulator_under_test):
    emulator_under_test.add_fault(None, "/apis", status=429, retry_after=7)

    reply = http_call(
        "GET", f"/subscriptions/x/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SVC}/apis"
    )

    assert (reply.status, reply.headers["retry-after"], reply.body["error"]["code"]) == (429, "7", "TooManyRequests")


def test_server_error_is_retried_then_succeeds(apim, emulator_under_test):
    emulator_under_test.add_fault("GET", "/service/apim-prod", status=500)

    service = apim.api_management_service.get(RG, SVC)

    assert (service.name, _statuses(emulator_under_test)) == ("apim-prod", [500, 200])


def test_dropped_connection_is_retried_then_succeeds(apim, emulator_under_test):
    emulator_under_test.add_fault("GET", "/apis/orders", drop=True)

    api = apim.api.get(RG, SVC, "orders")

    assert (api.name, _statuses(emulator_under_test)) == ("orders", [0, 200])


def test_forbidden_is_not_retried(apim, emulator_under_test):
    emulator_under_test.add_fault("GET", "/apis/orders", status=403, times=5)

    with pytest.raises(HttpResponseError) as caught:
        apim.api.get(RG, SVC, "orders")

    error = caught.value.error
    assert error is not None
    assert (caught.value.status_code, error.code, emulator_under_test.request_count) == (
        403,
        "AuthorizationFailed",
        1,
    )


def test_fault_fires_only_the_given_number_of_times(apim, emulator_under_test):
    emulator_under_test.add_fault(None, "/apis/orders", status=500, times=2)

    apim.api.get(RG, SVC, "orders")

    assert _statuses(emulator_under_test) == [500, 500, 200]


def test_fault_matches_only_its_method(security, emulator_under_test):
    emulator_under_test.add_fault("PUT", "/apiCollections/", status=500, times=10)

    security.api_collections.get_by_azure_api_management_service(RG, SVC, "echo-api")

    assert _statuses(emulator_under_test) == [200]


def test_cleared_faults_do_not_fire(apim, emulator_under_test):
    emulator_under_test.add_fault(None, "/apis", status=500, times=10)
    emulator_under_test.clear_faults()

    apim.api.get(RG, SVC, "orders")

    assert _statuses(emulator_under_test) == [200]


def test_latency_delays_every_response(apim, emulator_under_test):
    emulator_under_test.set_latency(150)
    started = time.monotonic()

    apim.api.get(RG, SVC, "orders")

    assert time.monotonic() - started >= 0.15


def test_request_without_authorization_is_401(http_call):
    reply = http_call("GET", "/subscriptions?api-version=2022-12-01", auth=False)

    assert (reply.status, reply.body["error"]["code"]) == (401, "AuthenticationFailed")


def test_request_log_records_method_path_query_and_status(apim, emulator_under_test):
    apim.api.get(RG, SVC, "echo-api;rev=2")

    record = emulator_under_test.requests[0]

    assert (record.method, record.path, record.query, record.status) == (
        "GET",
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-apis/providers/"
        "Microsoft.ApiManagement/service/apim-prod/apis/echo-api;rev=2",
        {"api-version": "2024-05-01"},
        200,
    )


def test_request_count_counts_each_arm_request(apim, emulator_under_test):
    apim.api.get(RG, SVC, "orders")
    apim.api.get(RG, SVC, "graph")

    assert emulator_under_test.request_count == 2


def test_reset_requests_empties_the_log(apim, emulator_under_test):
    apim.api.get(RG, SVC, "orders")

    emulator_under_test.reset_requests()

    assert (emulator_under_test.request_count, emulator_under_test.requests) == (0, [])


def test_control_requests_are_not_counted(http_call, emulator_under_test):
    http_call("GET", "/_emulator/requests")

    assert emulator_under_test.request_count == 0


def test_reset_restores_the_estate(emulator_under_test):
    emulator_under_test.state.delete_api("00000000-0000-0000-0000-000000000001", RG, SVC, "orders")

    emulator_under_test.reset()

    assert emulator_under_test.state.has_api("00000000-0000-0000-0000-000000000001", RG, SVC, "orders")
