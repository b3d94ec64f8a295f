"""The alert transition table, on plain values."""

from __future__ import annotations

import datetime as dt

import pytest

from monitors.model import Action, AlertKind, Finding, Kind, Reason, Status, StatusRecord
from monitors.transitions import decide, subject_key

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(hours=24)
RID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/apis/Orders"


def finding(status: Status, reason: Reason, action: Action = Action.NONE, kind: Kind = Kind.API) -> Finding:
    return Finding(kind, RID, "s", "rg", "svc", "Orders", "Orders", status, reason, "d.", action, f"{RID}-coll")


def record(status: Status, reason: Reason, alerted_hours_ago: float | None = 1) -> StatusRecord:
    alerted = NOW - dt.timedelta(hours=alerted_hours_ago) if alerted_hours_ago is not None else None
    return StatusRecord(RID.lower(), status, reason, NOW - dt.timedelta(days=3), alerted, etag="7")


BAD = finding(Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)
FINE = finding(Status.COMPLIANT, Reason.ONBOARDED)
WAS_BAD = record(Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)
WAS_FINE = record(Status.COMPLIANT, Reason.ONBOARDED)


@pytest.mark.parametrize(
    ("prev", "now", "expected"),
    [
        pytest.param(None, BAD, AlertKind.NEW, id="new-noncompliant"),
        pytest.param(WAS_FINE, BAD, AlertKind.NEW, id="regressed"),
        pytest.param(WAS_BAD, BAD, None, id="still-bad-quiet"),
        pytest.param(record(Status.NONCOMPLIANT, Reason.NOT_ONBOARDED, 25), BAD, AlertKind.RENOTIFY, id="renotify"),
        pytest.param(WAS_BAD, FINE, AlertKind.RESOLVED, id="resolved"),
        pytest.param(
            WAS_BAD,
            finding(Status.COMPLIANT, Reason.ONBOARDED, Action.ONBOARDED),
            AlertKind.ONBOARDED,
            id="onboarded",
        ),
        pytest.param(
            None,
            finding(Status.COMPLIANT, Reason.ONBOARDED, Action.ONBOARDED),
            AlertKind.ONBOARDED,
            id="onboarded-first-seen",
        ),
        pytest.param(
            WAS_FINE,
            finding(Status.COMPLIANT, Reason.ONBOARDED, Action.ONBOARDED),
            None,
            id="onboarded-again-by-a-second-worker-quiet",
        ),
        pytest.param(None, FINE, None, id="first-seen-fine"),
        pytest.param(WAS_FINE, FINE, None, id="still-fine"),
        pytest.param(None, finding(Status.NOT_APPLICABLE, Reason.NON_REST_API), None, id="not-applicable"),
        pytest.param(WAS_BAD, finding(Status.EXEMPT, Reason.EXEMPT), AlertKind.RESOLVED, id="exempted"),
        pytest.param(WAS_BAD, finding(Status.ERROR, Reason.ARM_ERROR), None, id="error-quiet"),
    ],
)
def test_transition_table(prev: StatusRecord | None, now: Finding, expected: AlertKind | None) -> None:
    alert = decide(prev, now, NOW, DAY).alert
    assert (alert.kind if alert else None) == expected


def test_error_keeps_the_last_known_status() -> None:
    assert decide(WAS_BAD, finding(Status.ERROR, Reason.ARM_ERROR), NOW, DAY).record is None


def test_unchanged_quiet_subject_writes_nothing() -> None:
    assert decide(WAS_BAD, BAD, NOW, DAY) == decide(WAS_FINE, FINE, NOW, DAY)


def test_renotify_moves_alerted_at() -> None:
    decision = decide(record(Status.NONCOMPLIANT, Reason.NOT_ONBOARDED, 30), BAD, NOW, DAY)
    assert decision.record is not None
    assert decision.record.alerted_at == NOW


def test_same_transition_gets_the_same_alert_id() -> None:
    first, later = decide(None, BAD, NOW, DAY).alert, decide(None, BAD, NOW + DAY, DAY).alert
    assert first is not None and later is not None
    assert first.alert_id == later.alert_id


def test_record_keeps_the_etag_it_was_read_with() -> None:
    written = decide(WAS_FINE, BAD, NOW, DAY).record
    assert written is not None
    assert written.etag == "7"


def test_orphaned_collection_is_its_own_subject() -> None:
    orphan = finding(Status.NONCOMPLIANT, Reason.COLLECTION_WITHOUT_API, kind=Kind.ORPHAN_COLLECTION)
    assert subject_key(orphan) != subject_key(BAD)


def test_renotify_zero_hours_alerts_every_time() -> None:
    alert = decide(WAS_BAD, BAD, NOW, dt.timedelta(0)).alert
    assert alert is not None
    assert alert.kind is AlertKind.RENOTIFY
