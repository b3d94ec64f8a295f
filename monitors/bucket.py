"""Token-bucket arithmetic for the ARM request budgets: refill, take, reserve and wait. Pure: times come in as values.

A bucket holds up to ``burst`` tokens and refills ``rate`` a second. The process-local budget polls it (``wait`` until a
token is there); the budget shared through the state store uses ``draw``, which never polls: when the bucket is empty
it reserves tokens ahead of the refill (the level goes negative) and says how long to wait before spending them, so one
read-modify-write of the stored row serves a whole batch of requests. Stamps are wall-clock times written by different
machines, so ``draw`` never refills for a negative interval and never moves a stamp backwards (a clock slightly ahead
would otherwise earn every interval twice); a stamp further ahead than ``max_skew`` is dropped, so that one wrong clock
cannot freeze the bucket for everyone.

A bucket with a ``step`` refills in whole steps instead of continuously: ``rate * step`` tokens every ``step`` seconds,
which with ``burst = rate * step`` is a wave (onboarding: the whole wave's tokens at once, then nothing until the next
wave). A stepped bucket keeps the time of its last whole step as its stamp, so a part of a step is never lost, and a
bucket that comes out full starts its next step at ``now``: waves stay at least ``step`` apart however long it sat idle.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    """The shape of a token bucket: ``rate`` tokens a second, at most ``burst`` held; with ``step`` (seconds, above 0)
    the refill comes in whole steps of ``rate * step`` tokens."""

    rate: float
    burst: float
    step: float = 0.0

    def refill(self, level: float, elapsed: float) -> float:
        """The level after ``elapsed`` seconds: never above ``burst``, and a negative interval refills nothing."""
        return min(self.burst, level + self._earned(elapsed) * self.rate)

    def _earned(self, elapsed: float) -> float:
        """The seconds of refill ``elapsed`` seconds earn: all of them, or only the whole steps."""
        elapsed = max(0.0, elapsed)
        return elapsed if self.step <= 0 else math.floor(elapsed / self.step) * self.step

    def wait(self, level: float, tokens: float = 1.0) -> float:
        """Seconds until the bucket holds ``tokens``; 0 when it already does."""
        return max(0.0, (tokens - level) / self.rate)


@dataclass(frozen=True)
class Grant:
    """One draw from a shared bucket: the level and stamp to store back, and what the caller got."""

    level: float
    stamp: dt.datetime
    tokens: int
    wait: float


def draw(bucket: Bucket, level: float, stamp: dt.datetime, now: dt.datetime, want: int, max_skew: float) -> Grant:
    """Refill the stored ``level`` from ``stamp`` to ``now`` and take ``want`` tokens (at least one).

    Tokens that are there are granted at once, up to ``want``. An empty bucket (level below one) grants all ``want``
    tokens as a reservation: the level goes below zero and ``wait`` is the time until the refill has paid for them.
    """
    want = max(1, want)
    level, stamp = _refilled(bucket, level, stamp, now, max_skew)
    if level >= 1:
        tokens = min(want, math.floor(level))
        return Grant(level - tokens, stamp, tokens, 0.0)
    return Grant(level - want, stamp, want, bucket.wait(level, want))


def take(bucket: Bucket, level: float, stamp: dt.datetime, now: dt.datetime, max_skew: float) -> Grant | None:
    """Refill like ``draw`` and take one token if one is there; None when there is none (nothing is reserved)."""
    level, stamp = _refilled(bucket, level, stamp, now, max_skew)
    return Grant(level - 1, stamp, 1, 0.0) if level >= 1 else None


def until_token(bucket: Bucket, level: float, stamp: dt.datetime, now: dt.datetime, max_skew: float) -> float:
    """Seconds from ``now`` until ``take`` would grant a token (0 when it would now): for a stepped bucket, the start
    of the step that brings the level to one (the next wave)."""
    level, stamp = _refilled(bucket, level, stamp, now, max_skew)
    if level >= 1:
        return 0.0
    if bucket.step <= 0:
        return bucket.wait(level)
    steps = math.ceil((1 - level) / (bucket.rate * bucket.step))
    return max(0.0, (stamp - now).total_seconds() + steps * bucket.step)


def _refilled(
    bucket: Bucket, level: float, stamp: dt.datetime, now: dt.datetime, max_skew: float
) -> tuple[float, dt.datetime]:
    """The level refilled from ``stamp`` to ``now`` and the stamp to store: never moved back, unless far ahead; a
    stepped bucket's stamp moves by whole steps only, or to ``now`` once the bucket is full."""
    elapsed = (now - stamp).total_seconds()
    refilled = bucket.refill(level, elapsed)
    if -elapsed > max_skew or (elapsed >= 0 and (bucket.step <= 0 or refilled >= bucket.burst)):
        return refilled, now
    if elapsed > 0:
        stamp += dt.timedelta(seconds=bucket._earned(elapsed))
    return refilled, stamp
