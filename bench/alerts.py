"""Benchmark: alert throughput and the ARM-independent overhead per finding (state, transitions, outbox, delivery).

Findings are synthetic (no ARM at all); the sink is a signed webhook posting to a loopback receiver; state is SQLite
on disk and Azure Tables on Azurite (node_modules/.bin/azurite-table, installed by `make test`).
Usage (from the repository root): python -m bench.alerts [--findings 1000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from emulator.receiver import start_receiver, stop_receiver
from monitors.alerts.notifier import Notifier
from monitors.alerts.webhook import WebhookSink
from monitors.model import Finding, Kind, Reason, Status
from monitors.settings import load_settings
from monitors.state.contract import StateStore
from monitors.state.sqlite import SqliteStateStore
from monitors.state.tables import open_table_store
from tests.azurite import AZURITE_TABLE, running_azurite  # the same Azurite the tests start

SECRET = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="


def findings(count: int, status: Status) -> list[Finding]:
    svc = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim-bench"
    reason = Reason.NOT_ONBOARDED if status is Status.NONCOMPLIANT else Reason.ONBOARDED
    return [
        Finding(Kind.API, f"{svc}/apis/api-{i:05d}", "s", "rg", "apim-bench", f"api-{i:05d}", f"API {i}", status,
                reason, f"API 'api-{i:05d}' of APIM service 'apim-bench' is checked.")
        for i in range(count)
    ]  # fmt: skip


def timed(label: str, units: int, work: Callable[[], object]) -> None:
    start = time.perf_counter()
    result = work()
    wall = time.perf_counter() - start
    print(f"  {label:<44} {wall:7.2f} s  {wall / units * 1000:7.2f} ms/finding  {units / wall:8.0f} /s  ({result})")


def run(store_name: str, store: StateStore, count: int) -> None:
    receiver = start_receiver()
    try:
        sink = WebhookSink(receiver.url, SECRET)
        notifier = Notifier(store, [sink], load_settings({}))
        bad, good = findings(count, Status.NONCOMPLIANT), findings(count, Status.COMPLIANT)
        print(f"{store_name}: {count} findings, one signed webhook on loopback")
        timed("event path: record (1 alert each)", count, lambda: len(notifier.record(bad, digest=False)))
        timed("event path: deliver the outbox", count, lambda: notifier.deliver().sent)
        timed("unchanged findings again (quiet path)", count, lambda: len(notifier.record(bad, digest=False)))
        timed("sweep: all fixed, one digest", count, lambda: len(notifier.record(good, digest=True)))
        timed("sweep: deliver the digest", count, lambda: notifier.deliver().sent)
        print(f"  messages received: {len(receiver.requests)}")
    finally:
        stop_receiver(receiver)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", SqliteStateStore(str(Path(tmp) / "state.sqlite")), args.findings)
        if AZURITE_TABLE.exists():
            with running_azurite() as azurite:
                run("Azure Tables (Azurite)", open_table_store(azurite.connection_string), args.findings)
        else:
            print("Azure Tables: skipped, Azurite not installed (run `make test` or `npm ci` first)")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (max RSS)")


if __name__ == "__main__":
    main()
