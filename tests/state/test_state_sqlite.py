"""The SQLite backend across connections and processes on one file: racing writers and leases, exactly one wins, and
processes opening a new file together all open it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from monitors.state.sqlite import SqliteStateStore
from tests.state.records import API, T0, found, item, race, record

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_connections(tmp_path: Path) -> Iterator[list[SqliteStateStore]]:
    """Two stores on one SQLite file, holding one status record."""
    stores = [SqliteStateStore(str(tmp_path / "shared.sqlite")) for _ in range(2)]
    stores[0].put_status(record())
    yield stores
    for opened in stores:
        opened.close()


def test_two_sqlite_connections_race_one_writer_wins(two_connections: list[SqliteStateStore]) -> None:
    base = found(two_connections[0].get_status(API))
    results = race([partial(s.put_status, replace(base, alerted_at=T0)) for s in two_connections])
    assert sorted(results) == [False, True]


def test_two_sqlite_connections_race_to_lease_one_worker_wins(two_connections: list[SqliteStateStore]) -> None:
    two_connections[0].enqueue(item("a"))
    due = two_connections[1].due(T0)[0]
    results = race([partial(s.lease, due, T0 + dt.timedelta(minutes=1)) for s in two_connections])
    assert sorted(result is not None for result in results) == [False, True]


RACER = """
import sys, time
from monitors.state.sqlite import SqliteStateStore
from monitors.model import StatusRecord, Status, Reason
import datetime as dt
store = SqliteStateStore(sys.argv[1])
base = store.get_status("k")
while time.time() < float(sys.argv[2]):
    time.sleep(0.001)
print(store.put_status(StatusRecord("k", Status.COMPLIANT, Reason.ONBOARDED, dt.datetime.now(dt.UTC), etag=base.etag)))
"""


def test_two_processes_race_on_one_sqlite_file_one_writer_wins(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    seeder = SqliteStateStore(path)
    seeder.put_status(record(key="k"))
    seeder.close()
    start = str(time.time() + 0.5)
    racers = [
        subprocess.Popen([sys.executable, "-c", RACER, path, start], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = sorted(racer.communicate(timeout=20)[0].strip() for racer in racers)
    assert results == ["False", "True"]


OPENER = """
import sys, time
from monitors.state.sqlite import SqliteStateStore
from monitors.errors import StateError
failed = 0
for n in range(int(sys.argv[3])):
    while time.time() < float(sys.argv[2]) + n * 0.1:
        time.sleep(0.001)
    try:
        SqliteStateStore(f"{sys.argv[1]}-{n}.sqlite").close()
    except StateError:
        failed += 1
print(failed)
"""


def test_processes_opening_a_new_sqlite_file_together_all_open_it(tmp_path: Path) -> None:
    # Two CLIs started together on a new state file: SQLite refused the switch to WAL, without waiting, to 11 % of them.
    start, rounds = str(time.time() + 1.0), "30"
    openers = [
        subprocess.Popen([sys.executable, "-c", OPENER, str(tmp_path / "new"), start, rounds], cwd=ROOT,
                         stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]  # fmt: skip
    assert [opener.communicate(timeout=30)[0].strip() for opener in openers] == ["0", "0", "0"]
