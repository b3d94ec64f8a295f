"""ARM's read throttling in the emulator: a token bucket per subscription, switched on through the Python API or the
control endpoint, answering 429 SubscriptionRequestsThrottled with Retry-After when empty."""

from __future__ import annotations

import time

SUB = "00000000-0000-0000-0000-000000000001"
OTHER_SUB = "00000000-0000-0000-0000-000000000002"
SVC = f"/subscriptions/{SUB}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"
API = f"{SVC}/apis/orders?api-version=2024-05-01"
SUBSCRIPTIONS = "/subscriptions?api-version=2022-12-01"
PRICING = f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/Api?api-version=2024-01-01"


def statuses(emulator_under_test):
    return [record.status for record in emulator_under_test.requests]


def test_throttling_is_off_until_switched_on(http_call, emulator_under_test):
    reply = http_call("GET", API)

    assert (
        emulator_under_test.throttling.enabled,
        reply.status,
        "x-ms-ratelimit-remaining-subscription-reads" in reply.headers,
    ) == (
        False,
        200,
        False,
    )


def test_reads_beyond_the_bucket_answer_too_many_requests(http_call, emulator_under_test):
    emulator_under_test.set_throttling(True, bucket=2, refill_per_second=0.01)

    replies = [http_call("GET", API).status for _ in range(3)]

    assert replies == [200, 200, 429]


def test_throttled_read_carries_retry_after_and_the_arm_error(http_call, emulator_under_test):
    emulator_under_test.set_throttling(True, bucket=1, refill_per_second=0.5)
    http_call("GET", API)

    reply = http_call("GET", API)

    assert (
        reply.status,
        reply.headers["retry-after"],
        reply.body["error"]["code"],
        SUB in reply.body["error"]["message"],
    ) == (
        429,
        "2",
        "SubscriptionRequestsThrottled",
        True,
    )


def test_answered_reads_say_how_many_remain(http_call, emulator_under_test):
    emulator_under_test.set_throttling(True, bucket=5, refill_per_second=0.01)

    remaining = [http_call("GET", API).headers["x-ms-ratelimit-remaining-subscription-reads"] for _ in range(2)]

    assert remaining == ["4", "3"]


def test_each_subscription_has_its_own_bucket(http_call, emulator_under_test):
    emulator_under_test.set_throttling(True, bucket=1, refill_per_second=0.01)
    http_call("GET", API)

    reply = http_call(
        "GET", f"/subscriptions/{OTHER_SUB}/providers/Microsoft.ApiManagement/service?api-version=2024-05-01"
    )

    assert reply.status == 200


def test_tenant_level_reads_are_not_counted(http_call, emulator_under_test):
    emulator_under_test.set_throttling(True, bucket=1, refill_per_second=0.01)

    replies = [http_call("GET", SUBSCRIPTIONS).status for _ in range(3)]

    assert replies == [200, 200, 200]


def test_writes_take_no_read_token(http_call, emulator_under_test):
    emulator_under_test.set_throttling(True, bucket=1, refill_per_second=0.01)
    http_call("PUT", PRICING, {"properties": {"pricingTier": "Standard", "subPlan": "P1"}})

    assert http_call("GET", API).status == 200


def test_bucket_refills_with_time(http_call, emulator_under_test):
    emulator_under_test.set_throttling(True, bucket=1, refill_per_second=20)
    http_call("GET", API)
    http_call("GET", API)
    time.sleep(0.1)

    assert (http_call("GET", API).status, statuses(emulator_under_test)) == (200, [200, 429, 200])


def test_sdk_retries_a_throttled_read_after_retry_after(apim, emulator_under_test):
    emulator_under_test.set_throttling(True, bucket=1, refill_per_second=1)
    apim.api.get("rg-apis", "apim-prod", "orders")
    started = time.monotonic()

    api = apim.api.get("rg-apis", "apim-prod", "orders")

    assert (api.name, statuses(emulator_under_test), time.monotonic() - started >= 1.0) == (
        "orders",
        [200, 429, 200],
        True,
    )


def test_reset_switches_throttling_off(emulator_under_test):
    emulator_under_test.set_throttling(True, bucket=1)

    emulator_under_test.reset()

    assert emulator_under_test.throttling.enabled is False


def test_throttling_endpoint_switches_it_on_with_arms_numbers(http_call, emulator_under_test):
    body = http_call("POST", "/_emulator/throttling", {"enabled": True}).body

    assert (body, emulator_under_test.throttling.bucket) == (
        {"enabled": True, "bucket": 250, "refill_per_second": 25.0},
        250,
    )


def test_throttling_endpoint_takes_a_scaled_down_bucket(http_call, emulator_under_test):
    http_call("POST", "/_emulator/throttling", {"enabled": True, "bucket": 1, "refill_per_second": 0.01})
    http_call("GET", API)

    assert http_call("GET", API).status == 429


def test_throttling_endpoint_rejects_an_empty_bucket(http_call):
    reply = http_call("POST", "/_emulator/throttling", {"enabled": True, "bucket": 0})

    assert (reply.status, reply.body["error"]["code"]) == (400, "InvalidControlRequest")
