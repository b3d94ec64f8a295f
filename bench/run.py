"""Benchmark: ARM requests, wall time and peak memory of a full scan and of an event burst, against the emulator.

The emulator runs in its own process (so the figures are the monitor's own), with a fixed latency per ARM request.
Usage (from the repository root):
    python -m bench.run [--services 50] [--apis 40] [--latency-ms 20] [--events 200] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import build_estate, emulator_process, request_count, reset, subscription_id
from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.model import ApiRef, Status
from monitors.runtime import Runtime, Scope
from monitors.settings import load_settings

SUB = subscription_id(0)


def measure(url: str, latency_ms: int, label: str, units: int, unit: str, work: Callable[[], str]) -> None:
    reset(url, latency_ms)
    start = time.perf_counter()
    result = work()
    wall = time.perf_counter() - start
    count = request_count(url)
    print(f"{label:<28} {count:>6} ARM requests  {count / units:6.3f} per {unit:<5} {wall:7.2f} s wall  ({result})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--apis", type=int, default=40)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    total = args.services * args.apis
    with (
        tempfile.TemporaryDirectory() as tmp,
        emulator_process(build_estate(1, args.services, args.apis), Path(tmp)) as url,
    ):
        settings = load_settings({"MONITOR_ARM_ENDPOINT": url})
        print(f"estate: {args.services} services x {args.apis} APIs = {total} APIs; latency {args.latency_ms} ms")
        clients = ArmClients(settings)
        service = Runtime(settings, clients, Engine(settings, clients), store=None, notifier=None)
        scope = Scope((SUB,), use_graph=False)  # python -m monitors scan --subscription SUB
        measure(url, args.latency_ms, f"full scan (concurrency {args.concurrency})", total, "API",
                lambda: f"{len(service.scan(scope, concurrency=args.concurrency))} findings")  # fmt: skip
        rng = random.Random(7)
        refs = [ApiRef(SUB, f"rg-{s % 5}", f"apim-00-{s:03d}", f"api-{rng.randrange(args.apis):03d}")
                for s in (rng.randrange(args.services) for _ in range(args.events))]  # fmt: skip
        warm = Engine(settings, clients)
        measure(url, args.latency_ms, f"{args.events} events, one instance", args.events, "event",
                lambda: f"{sum(warm.check_api(r).status is Status.COMPLIANT for r in refs)} compliant")  # fmt: skip
        clients.close()
    print(f"peak memory of the monitor process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
