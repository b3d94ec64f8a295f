"""SIGKILL of `python -m monitors scan` (SQLite state, three sinks) at seeded points in its scan, record and deliver
phases, then a rerun and the next delivery after the lease: every API reaches every sink, and only the message a
sink had answered when the process died may reach it again (under the same ``webhook-id``)."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator.receiver import HANG
from emulator.server import EmulatorServer
from monitors.state.sqlite import SqliteStateStore
from tests.faults.harness import (
    ROOT,
    SUB,
    Sinks,
    api_ids,
    assert_each_api_once_per_sink,
    cli_env,
    deliver_after_the_lease,
    duplicates,
    three_sinks,
    unprotected_estate,
)

SERVICES, APIS = 4, 250  # 1,000 noncompliant APIs: three digest messages per sink
WAIT_SECONDS = 60.0
SEED = 9  # the kill points below are drawn once from this seed, so every CI run kills at the same places
_rng = random.Random(SEED)


@dataclass(frozen=True)
class KillPoint:
    """Where to kill: ``phase`` and the count that triggers it (ARM requests served, statuses stored, or messages
    a sink received). ``answered`` says whether the sink answered that message before the kill."""

    phase: str
    count: int
    sink: str = ""
    answered: bool = True

    def __str__(self) -> str:
        return f"{self.phase}-{self.sink or 'any'}-{self.count}{'' if self.answered else '-unanswered'}"


KILL_POINTS = [
    KillPoint("scan", _rng.randint(3, 18)),  # a scan of this estate makes 22 ARM requests
    KillPoint("record", 1),
    KillPoint("record", _rng.randint(2, SERVICES * APIS - 2)),
    KillPoint("record", SERVICES * APIS - 1),
    KillPoint("deliver", 1, "webhook", answered=False),
    KillPoint("deliver", _rng.randint(1, 3), "teams", answered=False),
    KillPoint("deliver", 2, "slack"),
    KillPoint("deliver", 1, "webhook"),
]


@pytest.fixture(scope="module")
def estate_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(unprotected_estate(SERVICES, APIS)) as server:
        yield server


@pytest.fixture
def sinks() -> Iterator[Sinks]:
    with three_sinks() as running:
        yield running


def scan_env(arm_url: str, state: Path, sinks: Sinks) -> dict[str, str]:
    return cli_env(
        MONITOR_ARM_ENDPOINT=arm_url,
        MONITOR_STATE=f"sqlite:{state}",
        MONITOR_ARM_READS_PER_SECOND="1000",
        MONITOR_ALERT_RETRY_SECONDS="0",
        **sinks.env(),
    )


SCAN = [sys.executable, "-m", "monitors", "scan", "--subscription", SUB, "--format", "json"]


def start_scan(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stderr:
        return subprocess.Popen(SCAN, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def stored_statuses(state: Path) -> int:
    try:
        with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=1)) as conn:
            return int(conn.execute("SELECT count(*) FROM status").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created yet


def trigger(point: KillPoint, arm: EmulatorServer, state: Path, sinks: Sinks) -> Callable[[], bool]:
    if point.phase == "scan":
        return lambda: arm.request_count >= point.count
    if point.phase == "record":
        return lambda: stored_statuses(state) >= point.count
    receiver = getattr(sinks, point.sink)
    if not point.answered:
        receiver.answer_all([(200, {}, b"")] * (point.count - 1) + [HANG])
        return lambda: len(receiver.requests) >= point.count
    return lambda: len(receiver.requests) >= point.count and receiver.requests[point.count - 1].done.is_set()


def kill_when(process: subprocess.Popen[bytes], reached: Callable[[], bool], point: KillPoint, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not reached():
        if process.poll() is not None:
            pytest.fail(f"scan ended (exit {process.returncode}) before kill point {point}: {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"kill point {point} not reached in {WAIT_SECONDS:g} s")
        time.sleep(0.0005)
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def in_flight(state: Path) -> set[str]:
    """Delivery claims the killed process held unfinished: ``sink:alert_id``."""
    with closing(sqlite3.connect(state)) as conn:  # a sqlite3 context manager commits; it does not close
        return {row[0] for row in conn.execute("SELECT key FROM deliveries WHERE sent = 0")}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("point", KILL_POINTS, ids=str)
def test_scan_killed_then_rerun_alerts_every_api_once_per_sink(point, estate_server, sinks, tmp_path) -> None:
    estate_server.reset()
    state = tmp_path / "state.sqlite"
    env = scan_env(estate_server.url, state, sinks)
    log = tmp_path / "killed-scan.log"
    kill_when(start_scan(env, log), trigger(point, estate_server, state, sinks), point, log)
    flying = in_flight(state)
    rerun = subprocess.run(SCAN, cwd=ROOT, env=env, capture_output=True, timeout=180)
    assert rerun.returncode == 1, rerun.stderr.decode()[-2000:]  # 1: noncompliant APIs found, the scan finished
    store = SqliteStateStore(str(state))
    try:
        deliver_after_the_lease(store, env)
    finally:
        store.close()

    unanswered = {point.sink: frozenset({point.count - 1})} if not point.answered else {}
    every_api = api_ids(SERVICES, APIS)
    assert_each_api_once_per_sink(sinks, every_api, flying, unanswered)
    if point.phase != "deliver" or not point.answered:  # no message was in a sink's hands: not one alert twice
        resent = set(duplicates(sinks.webhook_alerts(unanswered.get("webhook", frozenset()))))
        counts = [sinks.alert_count(n, unanswered.get(n, frozenset())) for n in ("teams", "slack")]
        assert (resent, counts) == (set(), [len(every_api)] * 2)
