"""ARM retries against the emulator: Retry-After is honoured up to MONITOR_ARM_MAX_RETRY_AFTER_SECONDS, beyond which
the 429 surfaces at once (the event path must answer within Event Grid's ~30 s wait; the host redelivers later)."""

from __future__ import annotations

import time

import pytest

from monitors.errors import TransientAzureError
from monitors.model import ApiRef, Reason
from tests.conftest import PROD


def test_long_retry_after_ends_the_retries_so_the_event_is_redelivered(arm, make_engine) -> None:
    arm.add_fault("GET", "apiCollections", status=429, retry_after=60, times=10)
    engine = make_engine(arm_max_retry_after_seconds="10")
    start = time.monotonic()
    with pytest.raises(TransientAzureError, match="HTTP 429"):
        engine.check_api(ApiRef(PROD, "rg-apis", "apim-prod", "orders"))
    assert (time.monotonic() - start < 5, len(arm.requests)) == (True, 1)


def test_short_retry_after_is_honoured_and_retried(arm, make_engine) -> None:
    arm.add_fault("GET", "apiCollections", status=429, retry_after=1, times=1)
    finding = make_engine(arm_max_retry_after_seconds="10").check_api(ApiRef(PROD, "rg-apis", "apim-prod", "orders"))
    assert finding.reason is Reason.NOT_ONBOARDED
