"""The rows the state store tests write (a status record, alerts, outbox items) and a starting gun for races."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

from monitors.model import Alert, AlertKind, Finding, Kind, OutboxItem, Reason, Status, StatusRecord

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
API = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-apis-prod"
    "/providers/microsoft.apimanagement/service/apim-contoso-prod/apis/orders"
)
LEASE = dt.timedelta(minutes=2)

T = TypeVar("T")


def record(**overrides: Any) -> StatusRecord:
    fields: dict[str, Any] = {
        "key": API,
        "status": Status.NONCOMPLIANT,
        "reason": Reason.NOT_ONBOARDED,
        "changed_at": T0,
        "alerted_at": T0 + dt.timedelta(seconds=5),
    }
    return StatusRecord(**{**fields, **overrides})


def alert(n: int, detail: str = "") -> Alert:
    finding = Finding(
        kind=Kind.API,
        resource_id=f"{API}-{n}",
        subscription_id="00000000-0000-0000-0000-000000000001",
        resource_group="rg-apis-prod",
        service="apim-contoso-prod",
        api=f"orders-{n}",
        display_name=f"Orders {n} (ünïcødé)",
        status=Status.NONCOMPLIANT,
        reason=Reason.NOT_ONBOARDED,
        detail=detail or f"API orders-{n} of apim-contoso-prod is not onboarded to Defender for APIs.",
        collection_id=f"{API}-{n}/providers/Microsoft.Security/apiCollections/orders-{n}",
    )
    return Alert(alert_id=f"alert-{n}", kind=AlertKind.NEW, finding=finding, created_at=T0)


def item(item_id: str, *, n_alerts: int = 1, **overrides: Any) -> OutboxItem:
    fields: dict[str, Any] = {
        "item_id": item_id,
        "sink": "teams",
        "alerts": tuple(alert(n) for n in range(n_alerts)),
        "created_at": T0,
        "next_attempt_at": T0,
    }
    return OutboxItem(**{**fields, **overrides})


def race(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Run the calls on as many threads, released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def unstamped(items: list[OutboxItem]) -> list[OutboxItem]:
    return [replace(stored, etag=None) for stored in items]


def found(stored: T | None) -> T:
    """What the store read back, which the test expects to be there."""
    assert stored is not None
    return stored
