"""ARM's read throttling, off until switched on: a token bucket per subscription, refilled continuously.

Since 2024 ARM throttles with a token bucket per subscription, principal and region; for reads it holds 250 tokens and
refills 25 a second: https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/request-limits-and-throttling
The emulator has one caller, so it keeps one bucket per subscription named in the request path; reads (GET, HEAD)
take a token, writes and tenant-level requests (no subscription in the path, e.g. Resource Graph) are not counted.
An empty bucket answers what ARM answers (quoted in https://github.com/velero-io/velero/issues/9171): 429 with
``Retry-After`` in whole seconds and the code ``SubscriptionRequestsThrottled``; a throttled read takes no token.
Answered reads carry ``x-ms-ratelimit-remaining-subscription-reads``, as ARM's do.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from emulator.protocol import ArmError

ARM_READ_BUCKET = 250
ARM_READ_REFILL_PER_SECOND = 25.0
REMAINING_READS_HEADER = "x-ms-ratelimit-remaining-subscription-reads"
_READS = frozenset({"GET", "HEAD"})
_ACTOR = "00000000-0000-0000-0000-0000000000ac"  # the emulator's one caller


@dataclass(frozen=True)
class ThrottleSettings:
    """Whether reads are throttled, and the bucket's size and refill rate."""

    enabled: bool = False
    bucket: int = ARM_READ_BUCKET
    refill_per_second: float = ARM_READ_REFILL_PER_SECOND


class ReadThrottle:
    """The read buckets of every subscription; thread-safe, since the server answers on many threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._settings = ThrottleSettings()
        self._buckets: dict[str, tuple[float, float]] = {}

    @property
    def settings(self) -> ThrottleSettings:
        """The current switch, bucket size and refill rate."""
        return self._settings

    def configure(self, settings: ThrottleSettings) -> None:
        """Apply ``settings`` with every bucket full; raises ValueError on a bucket that could never answer."""
        if settings.bucket < 1:
            raise ValueError(f"throttling bucket must be at least 1, got {settings.bucket}")
        if not settings.refill_per_second > 0:
            raise ValueError(f"throttling refill_per_second must be > 0, got {settings.refill_per_second}")
        with self._lock:
            self._settings = settings
            self._buckets.clear()

    def take(self, method: str, segments: tuple[str, ...]) -> int | None:
        """Take a token for a subscription read: the tokens left, or None when the request is not counted.

        Raises ArmError 429 when the subscription's bucket is empty.
        """
        subscription = _subscription(segments)
        settings = self._settings
        if not settings.enabled or method.upper() not in _READS or subscription is None:
            return None
        with self._lock:
            now = self._clock()
            level, stamp = self._buckets.get(subscription, (float(settings.bucket), now))
            level = min(float(settings.bucket), level + (now - stamp) * settings.refill_per_second)
            if level < 1:
                self._buckets[subscription] = (level, now)
                raise _throttled(subscription, math.ceil((1 - level) / settings.refill_per_second))
            self._buckets[subscription] = (level - 1, now)
            return math.floor(level - 1)


def _subscription(segments: tuple[str, ...]) -> str | None:
    if len(segments) >= 2 and segments[0].lower() == "subscriptions":
        return segments[1].lower()
    return None


def _throttled(subscription: str, retry_after: int) -> ArmError:
    message = (
        f"Number of 'read' requests for subscription '{subscription}' actor '{_ACTOR}' exceeded. Please try again "
        f"after '{retry_after}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling "
        "for additional information."
    )
    return ArmError(429, "SubscriptionRequestsThrottled", message, {"Retry-After": str(retry_after)})
