"""Onboarding waves' pure parts: a stepped token bucket refills a whole wave at a time, waves stay at least their
interval apart, and the wait until the next wave is what a deferred onboarding waits on the queue; a capacity reading
makes the service's onboarding_paused finding, and a Metrics_List answer gives the latest reading."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from monitors.azure.metrics import latest_capacity
from monitors.bucket import Bucket, take, until_token
from monitors.errors import ArmRequestError
from monitors.model import Reason, ServiceRef, Status
from monitors.remediation import DENIED, NO_DATA, PENDING, UNREADABLE, Reading, capacity_finding
from monitors.settings import Settings
from monitors.transitions import subject_key

WAVE = Bucket(rate=4 / 300, burst=4, step=300)  # four APIs a wave, waves five minutes apart
T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
SKEW = 60.0


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def onboard(bucket: Bucket, level: float, stamp: dt.datetime, times: Sequence[float]) -> tuple[list[float], float]:
    """Try one take at each time; the times that got a token, and the level left."""
    granted = []
    for moment in times:
        grant = take(bucket, level, stamp, at(moment), SKEW)
        if grant is not None:
            level, stamp = grant.level, grant.stamp
            granted.append(moment)
    return granted, level


@pytest.mark.parametrize(
    ("level", "elapsed", "expected"),
    [
        pytest.param(0, 299.0, 0, id="a part of a wave refills nothing"),
        pytest.param(0, 300.0, 4, id="a whole wave refills the wave"),
        pytest.param(1, 900.0, 4, id="never above the wave"),
        pytest.param(0, -30.0, 0, id="clock-went-back-refills-nothing"),
    ],
)
def test_a_stepped_bucket_refills_whole_waves_only(level: float, elapsed: float, expected: float) -> None:
    assert WAVE.refill(level, elapsed) == expected


def test_a_wave_is_taken_at_once_then_nothing_until_the_next() -> None:
    tries = [0, 1, 2, 3, 4, 60, 299, 300, 301, 302, 303, 304]
    granted, _ = onboard(WAVE, 4, T0, tries)
    assert granted == [0, 1, 2, 3, 300, 301, 302, 303]


def test_waves_stay_apart_after_an_idle_spell() -> None:
    # Idle for 59 minutes: the wave at 3540 s starts a new interval, so 3600 s is not a second wave 60 s later.
    granted, _ = onboard(WAVE, 4, T0, [0, 1, 2, 3, 3540, 3541, 3542, 3543, 3600, 3839, 3840])
    assert granted == [0, 1, 2, 3, 3540, 3541, 3542, 3543, 3840]


def test_a_continuous_bucket_is_unchanged_one_token_every_sixtieth() -> None:
    per_minute = Bucket(rate=10 / 60, burst=10)
    granted, _ = onboard(per_minute, 10, T0, [0] * 11 + [5.9, 6.0])
    assert granted == [0] * 10 + [6.0]


@pytest.mark.parametrize(
    ("level", "stamp", "now", "expected"),
    [
        pytest.param(0, 0, 0, 300.0, id="just emptied: a whole interval"),
        pytest.param(0, 0, 200, 100.0, id="part-way: the rest of it"),
        pytest.param(2, 0, 200, 0.0, id="tokens left: none"),
        pytest.param(0, 0, 300, 0.0, id="the next wave is due"),
    ],
)
def test_until_the_next_wave(level: float, stamp: float, now: float, expected: float) -> None:
    assert until_token(WAVE, level, at(stamp), at(now), SKEW) == pytest.approx(expected)


def test_until_a_token_of_a_continuous_bucket_is_its_refill_time() -> None:
    assert until_token(Bucket(rate=10 / 60, burst=10), 0, T0, T0, SKEW) == pytest.approx(6.0)


# The capacity reading: which reading pauses a service, and the service finding each one makes.
SERVICE = ServiceRef("00000000-0000-0000-0000-0000000000c1", "rg", "apim-waves")
SETTINGS = Settings(onboard_wave_size=4, onboard_wave_minutes=5, onboard_capacity_limit=70)


@pytest.mark.parametrize(
    ("value", "status"),
    [
        pytest.param(70.0, Status.COMPLIANT, id="at the limit: runs"),
        pytest.param(70.5, Status.NONCOMPLIANT, id="above it: paused"),
        pytest.param(DENIED, Status.NONCOMPLIANT, id="403: paused"),
        pytest.param(UNREADABLE, Status.NONCOMPLIANT, id="other failure: paused"),
        pytest.param(NO_DATA, None, id="no data: says nothing"),
        pytest.param(PENDING, None, id="being read: says nothing"),
    ],
)
def test_the_capacity_finding_of_a_reading(value: float, status: Status | None) -> None:
    finding = capacity_finding(SERVICE, Reading(value, T0), SETTINGS)
    assert (finding.status if finding else None) == status
    if finding is not None:
        assert (finding.reason, finding.resource_id.endswith("/providers/Microsoft.Insights/metrics/Capacity")) == (
            Reason.ONBOARDING_PAUSED,
            True,
        )


def test_the_pause_and_the_resume_are_one_subject_apart_from_the_service() -> None:
    paused = capacity_finding(SERVICE, Reading(85, T0), SETTINGS)
    resumed = capacity_finding(SERVICE, Reading(30, T0), SETTINGS)
    assert paused is not None and resumed is not None
    assert (subject_key(paused) == subject_key(resumed), subject_key(paused) == SERVICE.resource_id.lower()) == (
        True,
        False,
    )


def _point(minute: int, **values: float | None) -> dict[str, object]:
    return {"timeStamp": f"2026-12-02T09:{minute:02d}:00Z", **{k: v for k, v in values.items() if v is not None}}


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        pytest.param([_point(0, average=20, maximum=0), _point(1, average=35, maximum=0)], 35.0, id="standard: avg"),
        pytest.param([_point(0, average=40, maximum=75)], 75.0, id="premium: the maximum"),
        pytest.param([_point(0, average=50), _point(1), _point(2)], 50.0, id="latest minute with a value"),
        pytest.param([_point(0), _point(1)], None, id="no data"),
        pytest.param([], None, id="no points"),
    ],
)
def test_the_latest_capacity_of_a_metrics_list_answer(points: list[dict[str, object]], expected: float | None) -> None:
    body = {"value": [{"name": {"value": "Capacity"}, "timeseries": [{"metadatavalues": [], "data": points}]}]}
    assert latest_capacity(body, SERVICE.resource_id) == expected


def test_a_capacity_metric_that_failed_inside_the_200_raises() -> None:
    body = {"value": [{"errorCode": "InvalidMetric", "errorMessage": "no such metric", "timeseries": []}]}
    with pytest.raises(ArmRequestError, match="Capacity metric"):
        latest_capacity(body, SERVICE.resource_id)
