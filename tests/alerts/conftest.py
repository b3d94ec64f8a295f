"""Fixtures for the alert sink tests: a loopback receiver per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.receiver import Receiver, start_receiver, stop_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A fresh loopback HTTP receiver whose URL carries a fake secret path segment (/hooks/XXSECRETXX)."""
    running = start_receiver()
    yield running
    stop_receiver(running)
