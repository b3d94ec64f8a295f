"""Benchmark of the reconciliation sweep at the scale of a large tenant, against the emulator in its own process.

Default estate: 10 subscriptions x 20 Premium services x 50 APIs = 10,000 APIs, 20 ms per ARM request, concurrency 8.
Prints ARM + Resource Graph + Azure Monitor requests per API, wall time against the floor that the request count and
concurrency allow, peak memory, and the same for a naive baseline that asks ARM once per API.
Usage (from the repository root):
    python -m bench.sweep [--subscriptions 10] [--services 20] [--apis 50] [--latency-ms 20] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import build_estate, emulator_process, request_count, reset, subscription_id
from monitors.azure import defender
from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.inventory import take_inventory
from monitors.model import ApiRef
from monitors.runtime import Runtime
from monitors.settings import load_settings


def report(label: str, requests: int, apis: int, wall: float, latency_ms: int, concurrency: int) -> float:
    floor = requests * latency_ms / 1000 / concurrency
    print(
        f"{label:<34} {requests:>6} requests  {requests / apis:6.4f} per API  {wall:6.2f} s wall"
        f"  (floor {floor:5.2f} s, {wall / floor:4.2f}x)"
    )
    return wall


def sweep(engine: Engine, subscriptions: list[str], concurrency: int, url: str) -> tuple[int, int]:
    """Run the sweep as the timer does, with everything on (Defender's verdicts from Resource Graph, each plan's month
    of traffic from Azure Monitor); returns the findings and the requests of the inventory (paged, so partly
    sequential)."""
    assert engine.usage is not None, "MONITOR_PLAN_USAGE is on by default"
    inventory = take_inventory(engine.clients, subscriptions, use_graph=True, usage=engine.usage)
    assert inventory.via_graph, "Resource Graph inventory expected"
    inventory_requests = request_count(url)
    service = Runtime(engine.settings, engine.clients, engine, store=None, notifier=None)
    return len(service.sweep(inventory, concurrency=concurrency)), inventory_requests


def naive(clients: ArmClients, refs: list[ApiRef], concurrency: int) -> int:
    """One apiCollections GET per API: what a per-API checker costs."""
    with ThreadPoolExecutor(concurrency) as pool:
        found = pool.map(lambda r: defender.get_collection(clients.security(r.subscription_id), r), refs)
        return sum(c is not None for c in found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--services", type=int, default=20, help="per subscription")
    parser.add_argument("--apis", type=int, default=50, help="per service")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    subs = [subscription_id(n) for n in range(args.subscriptions)]
    total = args.subscriptions * args.services * args.apis
    estate = build_estate(args.subscriptions, args.services, args.apis)
    with tempfile.TemporaryDirectory() as tmp, emulator_process(estate, Path(tmp)) as url:
        settings = load_settings({"MONITOR_ARM_ENDPOINT": url})
        clients = ArmClients(settings)
        print(f"estate: {args.subscriptions} subscriptions, {args.subscriptions * args.services} services, "
              f"{total} APIs; {args.latency_ms} ms per request; concurrency {args.concurrency}")  # fmt: skip
        reset(url, args.latency_ms)
        start = time.perf_counter()
        findings, inventory_requests = sweep(Engine(settings, clients), subs, args.concurrency, url)
        wall = report("sweep (Resource Graph + per service)", request_count(url), total, time.perf_counter() - start,
                      args.latency_ms, args.concurrency)  # fmt: skip
        graph_pages = inventory_requests - args.subscriptions  # plan reads run in parallel, Graph pages one by one
        strict = (graph_pages + (request_count(url) - graph_pages) / args.concurrency) * args.latency_ms / 1000
        print(f"{'':<34} floor with Graph pages in sequence (skip tokens): {strict:.2f} s, {wall / strict:.2f}x")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # Interleaved across subscriptions, so each subscription's request budget works in parallel.
        refs = [ApiRef(sub, f"rg-{s % 5}", f"apim-{n:02d}-{s:03d}", f"api-{a:03d}")
                for a in range(args.apis) for s in range(args.services) for n, sub in enumerate(subs)]  # fmt: skip
        reset(url, args.latency_ms)
        start = time.perf_counter()
        onboarded = naive(clients, refs, args.concurrency)
        naive_wall = report("naive: one request per API", request_count(url), total, time.perf_counter() - start,
                            args.latency_ms, args.concurrency)  # fmt: skip
        clients.close()
    print(f"findings: {findings}; naive saw {onboarded} onboarded APIs")
    print(f"sweep is {naive_wall / wall:.1f}x faster than the naive baseline, which is also held to ARM's")
    print("per-subscription read rate (20/s after a burst of 200) by the same request budget")
    print(f"peak memory of the monitor process after the sweep: {peak:.0f} MB (max RSS)")


if __name__ == "__main__":
    main()
