"""Scale-out against ARM's limits: several instances (each its own ArmClients, like separate Function hosts) hammering
one subscription while the emulator enforces ARM's read bucket, scaled down so the test stays short: the emulator's
bucket holds 100 and refills 10 a second, the app's budget is 8 a second (burst 80).

Sharing one state store, the instances stay under the bucket together; with only their own local budgets, as before
the shared budget, they burst past it and ARM answers 429."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from emulator import EmulatorServer
from monitors.azure import apim
from monitors.azure.clients import ArmClients
from monitors.errors import TransientAzureError
from monitors.model import ApiRef
from monitors.settings import Settings
from monitors.state.contract import StateStore
from monitors.state.sqlite import SqliteStateStore
from monitors.state.tables import open_table_store

INSTANCES, THREADS, READS = 4, 3, 10  # 120 reads: 80 at once, then 40 at 8 a second, about 5 s
PROD = "00000000-0000-0000-0000-000000000001"
API = ApiRef(PROD, "rg-apis", "apim-prod", "orders")


def read_api(clients: ArmClients) -> str:
    try:
        apim.get_api(clients.apim(PROD), API)
    except TransientAzureError:
        return "throttled"
    return "read"


def hammer(instances: list[ArmClients], reads: int = READS) -> list[str]:
    """Every instance reads the same API from THREADS threads at once, ``reads`` times each."""
    work = [clients for clients in instances for _ in range(THREADS * reads)]
    with ThreadPoolExecutor(INSTANCES * THREADS) as pool:
        return list(pool.map(read_api, work))


def statuses(arm: EmulatorServer) -> Counter[int]:
    return Counter(record.status for record in arm.requests)


@pytest.fixture
def scaled_down(arm: EmulatorServer, make_settings: Callable[..., Settings]) -> Settings:
    """ARM's bucket switched on at 100 / 10 a second; the app's budget at 8 a second; no SDK retries, so that a
    throttled read shows."""
    arm.set_throttling(True, bucket=100, refill_per_second=10)
    return make_settings(arm_reads_per_second="8", arm_retries="0")


@pytest.fixture(params=["sqlite", "tables"])
def stores(request: pytest.FixtureRequest, tmp_path: Path, table_prefix: str) -> Iterator[list[StateStore]]:
    """One store per instance, all on the same SQLite file or the same Azurite tables."""
    path = str(tmp_path / "state.sqlite")
    opened: list[StateStore] = [
        SqliteStateStore(path)
        if request.param == "sqlite"
        else open_table_store(request.getfixturevalue("azurite"), table_prefix=table_prefix)
        for _ in range(INSTANCES)
    ]
    yield opened
    for store in opened:
        store.close()


@pytest.fixture
def shared_instances(scaled_down: Settings, stores: list[StateStore]) -> Iterator[list[ArmClients]]:
    instances = [ArmClients(scaled_down, store=store) for store in stores]
    yield instances
    for clients in instances:
        clients.close()


@pytest.fixture
def local_instances(scaled_down: Settings) -> Iterator[list[ArmClients]]:
    instances = [ArmClients(scaled_down) for _ in range(INSTANCES)]
    yield instances
    for clients in instances:
        clients.close()


def test_instances_sharing_a_store_stay_under_arms_bucket(arm: EmulatorServer, shared_instances) -> None:
    outcomes = hammer(shared_instances)

    assert (outcomes.count("read"), statuses(arm)) == (INSTANCES * THREADS * READS, {200: INSTANCES * THREADS * READS})


def test_instances_with_local_budgets_are_throttled(arm: EmulatorServer, local_instances) -> None:
    hammer(local_instances, reads=2 * READS)  # 240 reads, each instance's budget lets 80 go at once: ARM sees 429s

    assert statuses(arm)[429] > 0
