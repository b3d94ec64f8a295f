"""The state store (Azure Tables on Azurite) goes down mid-burst and mid-scan, then comes back: once Event Grid has
redelivered what failed (or the scan ran again) and the outbox timer has run, every API reached every sink, and
only an alert whose sink had answered when the store went away may reach it again (under the same ``webhook-id``).

Seeded: the outage begins at fixed request counts of the store's traffic, drawn once from SEED.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from collections.abc import Iterator

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableServiceClient

from emulator.server import EmulatorServer
from monitors.state.tables import open_table_store
from tests.azurite import connection_string, running_azurite
from tests.faults.harness import (
    ROOT,
    SUB,
    Sinks,
    api_ids,
    assert_each_api_once_per_sink,
    cli_env,
    deliver_after_the_lease,
    three_sinks,
    unprotected_estate,
)
from tests.faults.outage import Outage
from tests.worker import decode_event_grid, decode_timer, run_concurrently

SEED = 9
_rng = random.Random(SEED)
BURST_APIS = 25
SCAN_SERVICES, SCAN_APIS = 2, 100
REDELIVERIES = 8  # Event Grid retries for 24 hours; a few rounds, each later than every lease, are plenty here


class Clock:
    """Real time plus an offset the test moves forward, as the minutes between Event Grid's redeliveries."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, minutes: float) -> None:
        self.offset += dt.timedelta(minutes=minutes)


@pytest.fixture
def store_behind_proxy() -> Iterator[tuple[str, Outage]]:
    with running_azurite() as azurite, Outage(azurite.port) as proxy:
        yield connection_string(proxy.port), proxy


@pytest.fixture
def sinks() -> Iterator[Sinks]:
    with three_sinks() as running:
        yield running


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr("monitors.runtime._utcnow", moved)
    monkeypatch.setattr("monitors.alerts.notifier._utcnow", moved)
    return moved


def settings_for(arm_url: str, connection: str, sinks: Sinks) -> dict[str, str]:
    return {
        "MONITOR_ARM_ENDPOINT": arm_url,
        "MONITOR_STATE": f"tables:{connection}",
        "MONITOR_ARM_READS_PER_SECOND": "1000",
        "MONITOR_ALERT_RETRY_SECONDS": "0",
        **sinks.env(),
    }


def unfinished_deliveries(connection: str) -> set[str]:
    """Delivery claims left unfinished when the store went down: ``sink:alert_id``."""
    service = TableServiceClient.from_connection_string(connection)
    try:
        table = service.get_table_client("monitorevents")
        rows = table.query_entities("PartitionKey eq 'delivery' and sent eq false")
        return {row["key"] for row in rows}
    except ResourceNotFoundError:
        return set()  # the store went down before the first alert was claimed
    finally:
        service.close()


# --- mid-burst: the event function, as the worker runs it -------------------------------------------------------------


def write_event(api: str, number: int) -> object:
    service = f"/subscriptions/{SUB}/resourceGroups/rg-faults/providers/Microsoft.ApiManagement/service/apim-fault-0"
    resource = f"{service}/apis/{api}"
    return decode_event_grid(
        {
            "id": f"0a7a6e00-0000-4000-8000-{number:012d}",
            "topic": f"/subscriptions/{SUB}",
            "subject": resource,
            "eventType": "Microsoft.Resources.ResourceWriteSuccess",
            "eventTime": "2026-12-01T09:00:00Z",
            "data": {"resourceUri": resource, "operationName": "Microsoft.ApiManagement/service/apis/write"},
            "dataVersion": "2",
            "metadataVersion": "1",
        }
    )


@pytest.mark.timeout(240)
@pytest.mark.parametrize("cut_after", sorted(_rng.sample(range(5, 300), 2)))
def test_store_outage_mid_burst_then_redelivery_alerts_each_api_once(
    cut_after, functions, store_behind_proxy, sinks, clock, monkeypatch
) -> None:
    connection, proxy = store_behind_proxy
    with EmulatorServer(unprotected_estate(1, BURST_APIS)) as arm:
        for key, value in settings_for(arm.url, connection, sinks).items():
            monkeypatch.setenv(key, value)
        on_event = functions["OnApiEvent"].get_user_function()
        drain = functions["DrainOutbox"].get_user_function()
        events = [write_event(f"api-{n:04d}", n) for n in range(BURST_APIS)]
        proxy.cut_after(cut_after)
        failed = [
            e for e, outcome in zip(events, run_concurrently(on_event, events), strict=True) if outcome is not None
        ]
        assert proxy.down.is_set(), "the outage should have begun during the burst"
        proxy.restore()
        flying = unfinished_deliveries(connection)
        for _ in range(REDELIVERIES):  # Event Grid redelivers every failed delivery, minutes apart
            clock.advance(minutes=3)
            failed = [
                e for e, outcome in zip(failed, run_concurrently(on_event, failed), strict=True) if outcome is not None
            ]
        clock.advance(minutes=3)
        drain(decode_timer())
    assert failed == []
    assert_each_api_once_per_sink(sinks, {f"apim-fault-0/api-{n:04d}" for n in range(BURST_APIS)}, flying)


# --- mid-scan: the CLI, with its state in Tables ----------------------------------------------------------------------

SCAN = [sys.executable, "-m", "monitors", "scan", "--subscription", SUB, "--format", "json"]
SCAN_TRAFFIC = 2 * SCAN_SERVICES * SCAN_APIS  # a status read and a status write per API, and a few more


@pytest.mark.timeout(240)
@pytest.mark.parametrize("cut_after", [SCAN_TRAFFIC // 4, SCAN_TRAFFIC // 2 + 10, SCAN_TRAFFIC - 20])
def test_store_outage_mid_scan_then_rerun_alerts_each_api_once(cut_after, store_behind_proxy, sinks) -> None:
    connection, proxy = store_behind_proxy
    with EmulatorServer(unprotected_estate(SCAN_SERVICES, SCAN_APIS)) as arm:
        env = cli_env(**settings_for(arm.url, connection, sinks))
        proxy.cut_after(cut_after)
        first = subprocess.run(SCAN, cwd=ROOT, env=env, capture_output=True, timeout=120)
        assert (first.returncode, proxy.down.is_set()) == (3, True), first.stderr.decode()[-1500:]
        assert b"state store (Azure Tables)" in first.stderr and b"AccountKey" not in first.stderr
        proxy.restore()
        flying = unfinished_deliveries(connection)
        rerun = subprocess.run(SCAN, cwd=ROOT, env=env, capture_output=True, timeout=120)
        assert rerun.returncode == 1, rerun.stderr.decode()[-1500:]
        store = open_table_store(connection)
        try:
            deliver_after_the_lease(store, env)
        finally:
            store.close()
    assert_each_api_once_per_sink(sinks, api_ids(SCAN_SERVICES, SCAN_APIS), flying)


def test_outage_proxy_refuses_while_down_and_keeps_the_data(store_behind_proxy) -> None:
    connection, proxy = store_behind_proxy
    store = open_table_store(connection, table_prefix="proxy")
    store.mark_event("before", dt.datetime.now(dt.UTC))
    proxy.cut()
    with pytest.raises(Exception, match="state store"):
        store.event_seen("before")
    proxy.restore()
    assert json.dumps(store.event_seen("before")) == "true"
    store.close()
