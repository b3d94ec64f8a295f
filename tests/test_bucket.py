"""Token-bucket arithmetic: refill, wait, and draws from a shared bucket with stamps from other machines' clocks."""

from __future__ import annotations

import datetime as dt

import pytest

from monitors.bucket import Bucket, Grant, draw, take

BUCKET = Bucket(rate=20, burst=200)
T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
SKEW = 60.0


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("level", "elapsed", "expected"),
    [
        pytest.param(0, 1.0, 20, id="one-second-refills-the-rate"),
        pytest.param(190, 5.0, 200, id="never-above-burst"),
        pytest.param(10, -3.0, 10, id="clock-went-back-refills-nothing"),
        pytest.param(-40, 1.0, -20, id="debt-is-paid-off-first"),
        pytest.param(0, 1e9, 200, id="huge-interval-fills-at-most-once"),
    ],
)
def test_refill(level: float, elapsed: float, expected: float) -> None:
    assert BUCKET.refill(level, elapsed) == expected


@pytest.mark.parametrize(
    ("level", "tokens", "expected"),
    [
        pytest.param(5, 1, 0.0, id="enough-now"),
        pytest.param(0, 1, 0.05, id="one-token-at-twenty-a-second"),
        pytest.param(-10, 10, 1.0, id="debt-and-wanted-tokens"),
    ],
)
def test_wait(level: float, tokens: float, expected: float) -> None:
    assert BUCKET.wait(level, tokens) == expected


def test_draw_takes_what_is_there_without_waiting() -> None:
    assert draw(BUCKET, 200, T0, T0, 5, SKEW) == Grant(195, T0, 5, 0.0)


def test_draw_grants_only_the_whole_tokens_there() -> None:
    assert draw(BUCKET, 3.5, T0, T0, 10, SKEW) == Grant(0.5, T0, 3, 0.0)


def test_draw_from_an_empty_bucket_reserves_and_waits_for_the_refill() -> None:
    assert draw(BUCKET, 0.5, T0, T0, 10, SKEW) == Grant(-9.5, T0, 10, 0.475)


def test_draw_behind_another_reservation_waits_for_both() -> None:
    assert draw(BUCKET, -10, T0, T0, 10, SKEW) == Grant(-20, T0, 10, 1.0)


def test_draw_refills_for_the_time_since_the_stamp() -> None:
    assert draw(BUCKET, 0, T0, at(0.5), 10, SKEW) == Grant(0, at(0.5), 10, 0.0)


def test_draw_asks_for_at_least_one_token() -> None:
    assert draw(BUCKET, 50, T0, T0, 0, SKEW).tokens == 1


def test_draw_keeps_a_stamp_written_by_a_clock_slightly_ahead() -> None:
    grant = draw(BUCKET, 0, at(2), T0, 1, SKEW)

    assert (grant.stamp, grant.level, grant.wait) == (at(2), -1, 0.05)


def test_interval_is_refilled_once_across_clocks_that_disagree() -> None:
    ahead = draw(BUCKET, 0, T0, at(3), 1, SKEW)  # a clock 2 s ahead stamps at(3) when ours says at(1)
    behind = draw(BUCKET, ahead.level, ahead.stamp, at(1), 1, SKEW)
    later = draw(BUCKET, behind.level, behind.stamp, at(4), 1, SKEW)

    assert (ahead.level, behind.level, later.level) == (59, 58, 77)


def test_stamp_from_a_clock_far_ahead_is_dropped() -> None:
    grant = draw(BUCKET, 0, at(3600), T0, 1, SKEW)

    assert (grant.stamp, grant.level) == (T0, -1)


PER_MINUTE = Bucket(rate=10 / 60, burst=10)


def test_take_grants_one_token_when_there_is_one() -> None:
    assert take(PER_MINUTE, 10, T0, T0, 60) == Grant(9, T0, 1, 0.0)


def test_take_from_an_empty_bucket_refuses_and_reserves_nothing() -> None:
    assert take(PER_MINUTE, 0.5, T0, T0 + dt.timedelta(seconds=1), 60) is None


def test_take_refills_for_the_time_since_the_stamp() -> None:
    later = T0 + dt.timedelta(seconds=6)
    assert take(PER_MINUTE, 0, T0, later, 60) == Grant(0, later, 1, 0.0)
