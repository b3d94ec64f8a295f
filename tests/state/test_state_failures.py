"""The state store when its storage fails: one-line StateErrors that never carry a key, a SAS token or the connection
string (a rejected key, a refused or stopped Azurite, an unopenable SQLite file), and tables deleted under a warm
process, which the next write creates again."""

from __future__ import annotations

import socket
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monitors.errors import StateError
from monitors.model import EventClaim
from monitors.state.sqlite import SqliteStateStore
from monitors.state.tables import TableStateStore, open_table_store
from tests.azurite import ACCOUNT_KEY, running_azurite
from tests.state.records import API, LEASE, T0, item, record

WRONG_KEY = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3Jvbmc="


@pytest.fixture(scope="module")
def stopped_store() -> Iterator[TableStateStore]:
    """A Tables store that worked, and whose Azurite was then stopped under it."""
    with running_azurite() as server:
        opened = open_table_store(server.connection_string, table_prefix="stopped")
        opened.put_status(record())
        opened.enqueue(item("before-stop"))
    yield opened
    opened.close()


@pytest.fixture
def wrong_key_error(azurite: str, table_prefix: str) -> StateError:
    """What a store on Azurite with the wrong account key raises on its first write."""
    wrong = open_table_store(azurite.replace(ACCOUNT_KEY, WRONG_KEY), table_prefix=table_prefix)
    with pytest.raises(StateError) as caught:
        wrong.put_status(record())
    wrong.close()
    return caught.value


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port that is bound but not listening, so connecting to it is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


def test_rejected_key_names_the_store_operation_and_status(wrong_key_error: StateError) -> None:
    assert str(wrong_key_error) == "state store (Azure Tables): put_status failed: HTTP 403 AuthorizationFailure"


def test_rejected_key_never_appears_in_the_error(wrong_key_error: StateError) -> None:
    shown = "".join(traceback.format_exception(wrong_key_error))
    assert [secret for secret in (WRONG_KEY, "AccountKey") if secret in shown] == []


def test_sas_token_never_appears_in_the_error(refused_port: int) -> None:
    sas = "sv=2019-02-02&ss=t&srt=sco&sp=rwdlacu&se=2099-01-01T00:00:00Z&sig=zq9secret"
    store = open_table_store(f"TableEndpoint=http://127.0.0.1:{refused_port}/acct;SharedAccessSignature={sas}")
    with pytest.raises(StateError) as caught:
        store.enqueue(item("a"))
    store.close()
    assert "zq9secret" not in "".join(traceback.format_exception(caught.value))


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda s: s.put_status(record(key="after-stop")), id="put_status"),
        pytest.param(lambda s: s.enqueue(item("after-stop")), id="enqueue"),
        pytest.param(lambda s: s.due(T0), id="due"),
    ],
)
def test_stopped_azurite_gives_a_one_line_state_error(
    stopped_store: TableStateStore, operation: Callable[[TableStateStore], object]
) -> None:
    started = time.monotonic()
    with pytest.raises(StateError, match=r"^state store \(Azure Tables\): \w+ failed: connection refused$"):
        operation(stopped_store)
    assert time.monotonic() - started < 15


def test_stopped_azurite_error_does_not_leak_the_connection_string(stopped_store: TableStateStore) -> None:
    with pytest.raises(StateError) as caught:
        stopped_store.get_status(API)
    shown = "".join(traceback.format_exception(caught.value))
    assert [secret for secret in (ACCOUNT_KEY, "AccountKey", "devstoreaccount1", "127.0.0.1") if secret in shown] == []


def test_unopenable_sqlite_file_is_a_state_error(tmp_path: Path) -> None:
    with pytest.raises(StateError, match=r"^state store \(SQLite\): open failed: "):
        SqliteStateStore(str(tmp_path))


def _drop_tables(azurite: str, prefix: str) -> None:
    from azure.data.tables import TableServiceClient

    service = TableServiceClient.from_connection_string(azurite)
    for table in service.list_tables():
        if table.name.startswith(prefix):
            service.delete_table(table.name)
    service.close()


def test_status_write_recreates_a_table_deleted_under_a_warm_store(tables_store, azurite, table_prefix) -> None:
    tables_store.put_status(record())
    _drop_tables(azurite, table_prefix)
    assert (tables_store.get_status(API), tables_store.put_status(record())) == (None, True)


def test_claim_recreates_a_table_deleted_under_a_warm_store(tables_store, azurite, table_prefix) -> None:
    tables_store.mark_event("e-1", T0)
    _drop_tables(azurite, table_prefix)
    assert tables_store.claim_event("e-2", T0, LEASE) is EventClaim.CLAIMED


def test_outbox_recreates_a_table_deleted_under_a_warm_store(tables_store, azurite, table_prefix) -> None:
    tables_store.outbox()
    _drop_tables(azurite, table_prefix)
    assert tables_store.due(T0) == []
