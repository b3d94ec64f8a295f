"""Each API's time-to-protect record and the coverage snapshots, in both backends (SQLite, Azure Tables on
Azurite): optimistic writes that report a lost race, and a history read back in order."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from monitors.model import CoverageSnapshot, ProtectionRecord, Reason, Status, StatusRecord
from monitors.state.contract import StateStore

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
API = "/subscriptions/s1/resourcegroups/rg/providers/microsoft.apimanagement/service/apim/apis/orders"


def test_a_protection_record_is_written_once_then_only_over_its_own_etag(store: StateStore) -> None:
    assert store.get_protection(API) is None
    assert store.put_protection(ProtectionRecord(API, T0)) is True
    assert store.put_protection(ProtectionRecord(API, T0 + dt.timedelta(hours=1))) is False  # a racing first write
    stored = store.get_protection(API)
    assert stored is not None and (stored.first_write_at, stored.onboarded_at) == (T0, None)
    onboarded = replace(stored, onboarded_at=T0 + dt.timedelta(minutes=3))
    assert store.put_protection(onboarded) is True
    assert store.put_protection(replace(stored, healthy_at=T0)) is False  # written over a stale etag
    [only] = store.protections()
    assert (only.seconds_to("onboarded"), only.seconds_to("healthy")) == (180.0, None)


def test_every_status_is_listed(store: StateStore) -> None:
    for n, status in enumerate((Status.COMPLIANT, Status.NONCOMPLIANT)):
        store.put_status(StatusRecord(f"{API}-{n}", status, Reason.ONBOARDED, T0))
    assert sorted((r.key[-1], r.status) for r in store.statuses()) == [
        ("0", Status.COMPLIANT),
        ("1", Status.NONCOMPLIANT),
    ]


def test_coverage_snapshots_come_back_from_a_time_on_in_order(store: StateStore) -> None:
    snapshots = [CoverageSnapshot(T0 + dt.timedelta(days=d), sub, 10, 5 + d) for d in (2, 0, 1) for sub in ("b", "a")]
    store.record_coverage(snapshots)
    store.record_coverage(snapshots[:1])  # the same snapshot again keeps the first
    history = store.coverage_history(T0 + dt.timedelta(days=1))
    assert [(s.at.day, s.subscription_id, s.onboarded) for s in history] == [
        (2, "a", 6),
        (2, "b", 6),
        (3, "a", 7),
        (3, "b", 7),
    ]
    assert history[0].ratio == 0.6


def test_old_coverage_snapshots_are_pruned_a_page_at_a_time(store: StateStore) -> None:
    old = [CoverageSnapshot(T0 - dt.timedelta(days=100 + d), "a", 10, d) for d in range(5)]
    store.record_coverage([*old, CoverageSnapshot(T0, "a", 10, 9)])
    cutoff = T0 - dt.timedelta(days=90)
    assert [store.prune_coverage(cutoff, 3), store.prune_coverage(cutoff, 3), store.prune_coverage(cutoff, 3)] == [
        3,
        2,
        0,
    ]
    assert [s.onboarded for s in store.coverage_history(T0 - dt.timedelta(days=400))] == [9]
