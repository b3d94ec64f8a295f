"""The /_emulator/ control endpoints, used by out-of-process clients such as the CLI demo and the benchmarks."""

from __future__ import annotations

SUB = "00000000-0000-0000-0000-000000000001"
SVC_PATH = f"/subscriptions/{SUB}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"
APIM = "api-version=2024-05-01"


def test_requests_endpoint_lists_recorded_requests(http_call):
    http_call("GET", f"{SVC_PATH}/apis/orders?{APIM}")

    body = http_call("GET", "/_emulator/requests").body

    assert (body["count"], body["requests"][0]["path"], body["requests"][0]["status"]) == (
        1,
        f"{SVC_PATH}/apis/orders",
        200,
    )


def test_faults_endpoint_arms_a_fault(http_call):
    http_call("POST", "/_emulator/faults", {"faults": [{"method": "GET", "path_contains": "/apis/", "status": 503}]})

    assert http_call("GET", f"{SVC_PATH}/apis/orders?{APIM}").status == 503


def test_faults_endpoint_sets_latency(http_call, emulator_under_test):
    http_call("POST", "/_emulator/faults", {"latency_ms": 25})

    assert emulator_under_test.settings.latency_ms == 25


def test_faults_endpoint_rejects_a_fault_without_effect(http_call):
    reply = http_call("POST", "/_emulator/faults", {"faults": [{"path_contains": "/apis"}]})

    assert (reply.status, reply.body["error"]["code"]) == (400, "InvalidControlRequest")


def test_lro_endpoint_sets_the_mode(http_call):
    http_call("POST", "/_emulator/lro", {"mode": "202", "polls": 2})

    assert (
        http_call("PUT", f"{SVC_PATH}/providers/Microsoft.Security/apiCollections/orders?api-version=2023-11-15").status
        == 202
    )


def test_reset_endpoint_restores_the_estate(http_call, emulator_under_test):
    emulator_under_test.state.delete_api(SUB, "rg-apis", "apim-prod", "orders")

    http_call("POST", "/_emulator/reset")

    assert emulator_under_test.state.has_api(SUB, "rg-apis", "apim-prod", "orders")


def test_state_endpoint_deletes_an_api(http_call, emulator_under_test):
    action = {"action": "delete_api", "subscription": SUB, "resourceGroup": "rg-apis", "service": "apim-prod"}

    http_call("POST", "/_emulator/state", {**action, "api": "orders"})

    assert not emulator_under_test.state.has_api(SUB, "rg-apis", "apim-prod", "orders")


def test_paging_endpoint_sets_the_page_size(http_call):
    http_call("POST", "/_emulator/paging", {"page_size": 1})

    assert len(http_call("GET", f"{SVC_PATH}/apis?{APIM}").body["value"]) == 1


def test_unknown_control_endpoint_is_404(http_call):
    assert http_call("GET", "/_emulator/nope").status == 404
