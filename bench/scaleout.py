"""Benchmark: a scaled-out sweep against ARM's read limit, N worker processes sharing one emulator and one state file.

The emulator runs in its own process with ARM's token bucket switched on (by default ARM's own numbers: 250 reads,
refilled 25 a second per subscription). The parent takes the inventory once (throttling off) and deals the sweep's
queue messages round-robin to N worker processes, each a separate "instance" with its own ArmClients and its own
connection to one SQLite state file, reconciling its share with T threads (a Flex instance runs up to 12 queue
messages at once). Each worker reports ARM errors as findings, as the last delivery of a queue message does, so a
throttled read that the SDK's retries did not absorb shows as an error finding.

Run twice: "shared" (the budget in the state store, what the function app does) and "local" (each process its own
budget, the design before). Prints per run: ARM requests, 429s the emulator answered, throttling-induced error
findings (must be 0 for "shared"), wall time, and state-store operations per ARM request.
Usage (from the repository root):
    python -m bench.scaleout [--workers 8] [--threads 12] [--subscriptions 2] [--services 200] [--apis 20]
                             [--bucket 250] [--refill 25] [--reads-per-second 20] [--latency-ms 20] [--mode both]
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import build_estate, control, emulator_process, reset, subscription_id
from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.inventory import ServiceWork, take_inventory
from monitors.model import Meter, Status
from monitors.settings import load_settings
from monitors.state.sqlite import SqliteStateStore

MODES = {"shared": ["shared"], "local": ["local"], "both": ["shared", "local"]}
WORKER_TIMEOUT = 900  # seconds


class CountingStore(SqliteStateStore):
    """The SQLite store, counting the meter operations the shared budget makes."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.ops: Counter[str] = Counter()

    def get_meter(self, key: str) -> Meter | None:
        self.ops["read"] += 1
        return super().get_meter(key)

    def put_meter(self, meter: Meter) -> bool:
        won = super().put_meter(meter)
        self.ops["write" if won else "lost race"] += 1
        return won


@dataclass(frozen=True)
class WorkerResult:
    findings: int
    throttled_errors: int
    store_ops: dict[str, int]
    finished_at: float


def work(url: str, messages: list[str], state: str | None, args: argparse.Namespace, ready: Any, out: Any) -> None:
    """One instance: its own clients (and store connection), reconciling its messages on ``args.threads`` threads,
    all instances starting together once every one of them is ready."""
    settings = load_settings({"MONITOR_ARM_ENDPOINT": url, "MONITOR_ARM_READS_PER_SECOND": str(args.reads_per_second)})
    store = CountingStore(state) if state else None
    clients = ArmClients(settings, store=store)
    engine = Engine(settings, clients)
    items = [ServiceWork.from_message(text) for text in messages]
    ready.wait()
    with ThreadPoolExecutor(args.threads) as pool:
        findings = [f for result in pool.map(engine.reconcile, items) for f in result]
    finished_at = time.time()
    clients.close()
    throttled = sum(f.status is Status.ERROR and "429" in f.detail for f in findings)
    out.put(WorkerResult(len(findings), throttled, dict(store.ops) if store else {}, finished_at))
    if store:
        store.close()


def run(mode: str, url: str, messages: list[str], args: argparse.Namespace, tmp: Path) -> int:
    """One run; returns the 429s plus the throttling error findings (0 is the goal of the shared budget)."""
    reset(url, args.latency_ms)
    control(url, "throttling", {"enabled": True, "bucket": args.bucket, "refill_per_second": args.refill})
    state = str(tmp / f"{mode}.sqlite") if mode == "shared" else None
    if state:
        SqliteStateStore(state).close()  # create the schema once, before the workers race to
    spawn = multiprocessing.get_context("spawn")
    ready, out = spawn.Barrier(args.workers + 1), spawn.Queue()
    workers = [
        spawn.Process(target=work, args=(url, messages[n :: args.workers], state, args, ready, out))
        for n in range(args.workers)
    ]
    for worker in workers:
        worker.start()
    ready.wait()
    start = time.time()
    try:
        results: list[WorkerResult] = [out.get(timeout=WORKER_TIMEOUT) for _ in workers]
    except queue.Empty:
        raise SystemExit(f"{mode}: a worker died or hung (exit codes {[w.exitcode for w in workers]})") from None
    for worker in workers:
        worker.join()
    wall = max(r.finished_at for r in results) - start
    logged = control(url, "requests")["requests"]
    assert isinstance(logged, list)
    statuses = Counter(int(str(r["status"])) for r in logged)
    requests = sum(statuses.values())
    ops: Counter[str] = Counter()
    for result in results:
        ops.update(result.store_ops)
    store_ops = ops["read"] + ops["write"] + ops["lost race"]
    throttled = sum(r.throttled_errors for r in results)
    print(
        f"{mode:<7} {requests:>6} ARM requests  {statuses[429]:>5} answered 429  "
        f"{throttled:>4} throttling error findings "
        f"(of {sum(r.findings for r in results)} findings)  {wall:6.1f} s wall  "
        f"{store_ops / requests:5.3f} store ops per ARM request"
        + (f" ({ops['read']} reads, {ops['write']} writes, {ops['lost race']} lost races)" if store_ops else "")
    )
    return statuses[429] + throttled


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8, help="worker processes, each one instance")
    parser.add_argument("--threads", type=int, default=12, help="queue messages each worker runs at once")
    parser.add_argument("--subscriptions", type=int, default=2)
    parser.add_argument("--services", type=int, default=200, help="per subscription")
    parser.add_argument("--apis", type=int, default=20, help="per service")
    parser.add_argument("--bucket", type=int, default=250, help="ARM's read bucket per subscription")
    parser.add_argument("--refill", type=float, default=25.0, help="ARM's refill per second")
    parser.add_argument("--reads-per-second", type=float, default=20.0, help="MONITOR_ARM_READS_PER_SECOND")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--mode", choices=sorted(MODES), default="both", help="local: per-process budgets")
    args = parser.parse_args()
    subs = [subscription_id(n) for n in range(args.subscriptions)]
    estate = build_estate(args.subscriptions, args.services, args.apis)
    with tempfile.TemporaryDirectory() as tmp, emulator_process(estate, Path(tmp)) as url:
        clients = ArmClients(load_settings({"MONITOR_ARM_ENDPOINT": url}))
        messages = [w.to_message() for w in take_inventory(clients, subs, use_graph=True).work]
        clients.close()
        print(
            f"{args.workers} workers x {args.threads} threads; {args.subscriptions} subscriptions, {len(messages)} "
            f"services, {len(messages) * args.apis} APIs; ARM bucket {args.bucket} + {args.refill:g}/s per "
            f"subscription; budget {args.reads_per_second:g}/s; {args.latency_ms} ms per request"
        )
        failures = {mode: run(mode, url, messages, args, Path(tmp)) for mode in MODES[args.mode]}
    if failures.get("shared"):
        raise SystemExit("shared budget: ARM throttled the app; it must stay under ARM's bucket")


if __name__ == "__main__":
    main()
