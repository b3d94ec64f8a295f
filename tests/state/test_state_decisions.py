"""The approvers' audit trail, on both backends: every attempt kept, the latest one answers for its link."""

from __future__ import annotations

import datetime as dt

from monitors.model import DecisionRecord
from monitors.state.contract import StateStore

T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
API = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/apis/orders"


def record(nonce: str, minutes: int, result: str, approver: str = "ana@contoso.example") -> DecisionRecord:
    at = T0 + dt.timedelta(minutes=minutes)
    return DecisionRecord(nonce, "onboard", API, approver, at, result, f"{result} at +{minutes} min")


def test_a_failed_attempt_and_the_one_that_acted_are_both_kept(store: StateStore) -> None:
    store.record_decision(record("n-1", 0, "failed"))
    store.record_decision(record("n-1", 3, "onboarded"))
    store.record_decision(record("n-2", 1, "changed", "bob@contoso.example"))
    assert [(r.nonce, r.result) for r in store.decisions()] == [
        ("n-1", "failed"),
        ("n-2", "changed"),
        ("n-1", "onboarded"),
    ]
    latest = store.decision("n-1")
    assert latest is not None and (latest.result, latest.at) == ("onboarded", T0 + dt.timedelta(minutes=3))
    assert store.decision("n-3") is None


def test_recording_the_same_decision_again_keeps_the_first(store: StateStore) -> None:
    store.record_decision(record("n-1", 0, "queued"))
    store.record_decision(record("n-1", 0, "queued", "mallory@contoso.example"))
    assert [r.approver for r in store.decisions()] == ["ana@contoso.example"]


def test_a_nonce_with_a_quote_is_only_data(store: StateStore) -> None:
    store.record_decision(record("it's", 0, "exempted"))
    store.record_decision(record("other", 1, "queued"))
    found = store.decision("it's")
    assert found is not None and found.result == "exempted"
    assert store.decision("' or nonce ne '") is None
