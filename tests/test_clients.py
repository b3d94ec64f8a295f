"""The client-side request budget that keeps the monitor under ARM's per-subscription read limits."""

from __future__ import annotations

from monitors.azure.clients import RequestBudget


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_the_refill_rate() -> None:
    clock = FakeClock()
    budget = RequestBudget(rate=20, burst=200, clock=clock)
    waits = [budget._take() for _ in range(201)]
    assert (max(waits[:200]), round(waits[200], 3)) == (0.0, 0.05)


def test_tokens_come_back_with_time() -> None:
    clock = FakeClock()
    budget = RequestBudget(rate=20, burst=200, clock=clock)
    for _ in range(200):
        budget._take()
    clock.now += 1.0
    assert [budget._take() for _ in range(20)] == [0.0] * 20
