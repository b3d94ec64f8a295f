"""Request budgets: a token bucket in front of every ARM attempt (retries included), per subscription.

ARM throttles reads with a token bucket per subscription, principal and region: 250 tokens, refilled 25 a second
(https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/request-limits-and-throttling, "Regional
throttling and token bucket algorithm", 2024). Every instance of the function app reads as the same identity, so they
all drain that one bucket. ``RequestBudget`` keeps the budget in the process, which is right for a CLI run but
multiplies with the instance count (Flex Consumption runs up to 40 instances, each with about 12 queue messages and
many Event Grid invocations at once). ``SharedBudget`` keeps one bucket per subscription in the state store every
instance already shares, so the whole app stays at ``MONITOR_ARM_READS_PER_SECOND`` however far it scales out.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from monitors.bucket import Bucket, Grant, draw
from monitors.errors import StateError
from monitors.model import Meter

if TYPE_CHECKING:
    from monitors.state.contract import StateStore

# One draw takes at most a quarter second's worth of the rate (at least one token), sized on the requests waiting in
# the process or on its use in the last quarter second. Bigger draws cost fewer store operations but strand tokens
# when an instance's demand stops (bench/scaleout.py: a second's worth cut store operations per ARM request from 0.67
# to 0.32 but stranded 20% of the budget and made the sweep 28% slower).
DRAW_SECONDS = 0.25
HOLD_SECONDS = 1.0  # drawn tokens unspent after this are dropped: kept longer, they could be spent in one burst
MAX_CLOCK_SKEW = 60.0  # a stored stamp further ahead of our clock than this came from a wrong clock: start afresh
MAX_LOST_RACES = 50  # in a row; each lost race means another instance drew, so this only trips on a broken store


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def change_meter(
    store: StateStore,
    key: str,
    bucket: Bucket,
    change: Callable[[float, dt.datetime, dt.datetime], Grant | None],
    wall: Callable[[], dt.datetime] = _utc_now,
) -> Grant | None:
    """One etag-conditional read-modify-write of the bucket stored under ``key`` (full when absent): ``change`` turns
    the stored level and stamp, at ``now``, into the grant to store back, or None to leave the meter alone. A lost race
    re-reads. Raises StateError when the store fails or the races never end (only a broken store does that)."""
    for _ in range(MAX_LOST_RACES):
        stored = store.get_meter(key)
        now = wall()
        level, stamp = (stored.value, stored.stamp) if stored else (bucket.burst, now)
        grant = change(level, stamp, now)
        if grant is None:
            return None
        if store.put_meter(Meter(key, grant.level, grant.stamp, stored.etag if stored else None)):
            return grant
    raise StateError(
        f"state store: meter {key}: lost {MAX_LOST_RACES} races in a row; "
        "check that every instance uses the same store and that it answers conditional writes"
    )


class RequestBudget(SansIOHTTPPolicy[Any, Any]):
    """A token bucket kept in this process, shared by the clients of one scope (a CLI run without a state store)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._bucket, self._clock = Bucket(rate, burst), clock
        self._tokens, self._stamp = burst, clock()
        self._lock = threading.Lock()

    def on_request(self, request: PipelineRequest[Any]) -> None:
        while (wait := self._take()) > 0:
            time.sleep(wait)

    def _take(self) -> float:
        with self._lock:
            now = self._clock()
            self._tokens = self._bucket.refill(self._tokens, now - self._stamp)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return self._bucket.wait(self._tokens)


class SharedBudget(SansIOHTTPPolicy[Any, Any]):
    """A token bucket kept in the state store (one meter per scope), drawn from by every instance of the app.

    A draw is one etag-conditional read-modify-write of the meter; a lost race re-reads. A draw takes as many tokens as
    this process needs (the requests waiting here, or its last quarter second's use if more; at most a quarter
    second's worth), so under load one store round trip serves several ARM requests, and a lightly loaded instance
    does not strand tokens other instances could use. An empty bucket is drawn into debt, and the drawer sleeps until
    the refill has paid; as each process has one draw outstanding per scope, a draw waits at most instances x
    DRAW_SECONDS (10 s at Flex's 40). Raises StateError when the store fails: an unbudgeted request could throttle the
    whole app.
    """

    def __init__(
        self,
        store: StateStore,
        key: str,
        bucket: Bucket,
        *,
        wall: Callable[[], dt.datetime] = _utc_now,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store, self._key, self._bucket = store, key, bucket
        self._wall, self._clock, self._sleep = wall, clock, sleep
        self._most = max(1, int(bucket.rate * DRAW_SECONDS))
        self._draw_lock = threading.Lock()  # one drawer per process; the others wait for what it brings back
        self._count_lock = threading.Lock()
        self._waiting = 0
        self._tokens, self._expires = 0, 0.0
        self._spent: deque[float] = deque()

    def on_request(self, request: PipelineRequest[Any]) -> None:
        with self._count_lock:
            self._waiting += 1
        try:
            with self._draw_lock:
                while not self._spend():
                    self._draw()
        finally:
            with self._count_lock:
                self._waiting -= 1

    def _spend(self) -> bool:
        """Take one token drawn earlier, if any is left and still fresh."""
        now = self._clock()
        if self._tokens < 1 or now > self._expires:
            self._tokens = 0
            return False
        self._tokens -= 1
        self._spent.append(now)
        return True

    def _draw(self) -> None:
        want = self._want()

        def take_wanted(level: float, stamp: dt.datetime, now: dt.datetime) -> Grant:
            return draw(self._bucket, level, stamp, now, want, MAX_CLOCK_SKEW)

        grant = change_meter(self._store, self._key, self._bucket, take_wanted, self._wall)
        assert grant is not None  # a draw always grants, at worst as a reservation to wait for
        if grant.wait > 0:
            self._sleep(grant.wait)
        self._tokens, self._expires = grant.tokens, self._clock() + HOLD_SECONDS

    def _want(self) -> int:
        """The requests waiting here, or the use in the last DRAW_SECONDS if more; from 1 to DRAW_SECONDS' worth."""
        now = self._clock()
        while self._spent and self._spent[0] < now - DRAW_SECONDS:
            self._spent.popleft()
        with self._count_lock:
            waiting = self._waiting
        return max(1, min(self._most, max(waiting, len(self._spent))))
