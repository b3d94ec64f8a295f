"""Fixtures for the tests on payloads published by Microsoft: a loopback replay server and SDK clients aimed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitors.azure.clients import ArmClients
from monitors.settings import load_settings
from tests.real.payloads import ReplayServer, start_replay


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    """A loopback HTTP server on a free port that replays ARM example responses."""
    state, httpd, thread = start_replay()
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def clients(replay: ReplayServer) -> Iterator[ArmClients]:
    """The product's real SDK clients (ArmClients) pointed at the replay server, with fast polling and no retries."""
    settings = load_settings(
        {
            "MONITOR_ARM_ENDPOINT": replay.url,
            "MONITOR_ARM_RETRIES": "0",
            "MONITOR_ONBOARD_POLL_SECONDS": "0.01",
            "MONITOR_ARM_READS_PER_SECOND": "1000",
        }
    )
    arm_clients = ArmClients(settings)
    yield arm_clients
    arm_clients.close()
