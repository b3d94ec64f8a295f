"""Onboarding waves' pure arithmetic: a stepped token bucket refills a whole wave at a time, waves stay at least their
interval apart, and the wait until the next wave is what a deferred onboarding waits on the queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from monitors.bucket import Bucket, take, until_token

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
