"""Alerts, findings and outbox items for the sink tests, including a large mixed digest with hostile names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from monitors.model import Action, Alert, AlertKind, Finding, Kind, OutboxItem, Reason, Status

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-apis"
SERVICE = "apim-prod"

# kind, status, reason, action: one of each shape a digest mixes
_SHAPES = [
    (AlertKind.RESOLVED, Status.COMPLIANT, Reason.ONBOARDED, Action.NONE),
    (AlertKind.NEW, Status.NONCOMPLIANT, Reason.NOT_ONBOARDED, Action.WOULD_ONBOARD),
    (AlertKind.ONBOARDED, Status.COMPLIANT, Reason.ONBOARDED, Action.ONBOARDED),
    (AlertKind.RENOTIFY, Status.NONCOMPLIANT, Reason.NOT_ONBOARDED, Action.NONE),
    (AlertKind.NEW, Status.ERROR, Reason.PERMISSION_DENIED, Action.NONE),
    (AlertKind.NEW, Status.NONCOMPLIANT, Reason.NOT_ONBOARDED, Action.ONBOARD_FAILED),
]


def make_finding(
    api: str = "orders",
    *,
    status: Status = Status.NONCOMPLIANT,
    reason: Reason = Reason.NOT_ONBOARDED,
    action: Action = Action.NONE,
    display_name: str = "Orders API",
    service: str = SERVICE,
) -> Finding:
    service_id = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{service}"
    return Finding(
        kind=Kind.API,
        resource_id=f"{service_id}/apis/{api}",
        subscription_id=SUB,
        resource_group=RG,
        service=service,
        api=api,
        display_name=display_name,
        status=status,
        reason=reason,
        detail=f"API {api} of APIM service {service} is not onboarded to Defender for APIs.",
        action=action,
        collection_id=None,
    )


def make_alert(api: str = "orders", kind: AlertKind = AlertKind.NEW, **finding: Any) -> Alert:
    return Alert(
        alert_id=f"alert-{api}-{kind.value}",
        kind=kind,
        finding=make_finding(api, **finding),
        created_at=NOW,
    )


def many_alerts(count: int) -> tuple[Alert, ...]:
    """A digest-sized mix of kinds and statuses whose names are long and full of characters renderers must escape."""
    alerts = []
    for i in range(count):
        kind, status, reason, action = _SHAPES[i % len(_SHAPES)]
        name = f'Payments <v{i}> & "friends" — ünïcode {"x" * 180}'
        alerts.append(
            make_alert(
                f"api-{i:04d}",
                kind,
                status=status,
                reason=reason,
                action=action,
                display_name=name,
                service=f"apim-{i % 7}",
            )
        )
    return tuple(alerts)


def outbox_item(alerts: tuple[Alert, ...], sink: str = "teams", item_id: str = "msg_2Y7cVbY1") -> OutboxItem:
    return OutboxItem(item_id=item_id, sink=sink, alerts=alerts, created_at=NOW, next_attempt_at=NOW)
