"""Benchmark: a burst of Event Grid deliveries through the function app as the Python worker runs it, with
auto-onboarding on. Measures each OnApiEvent invocation against Event Grid's ~30 s wait, then lets OnboardWorker
drain the onboarding queue and counts the alerts each API produced at a signed-webhook receiver.

The emulator runs in its own process with a fixed latency per ARM request; the Functions storage account is Azurite
(tables and queues, node_modules/.bin/azurite, installed by `make test`). Trigger arguments are decoded by
azure-functions' own converters from the host's JSON, and invocations run on a worker-sized thread pool.
Usage (from the repository root): python -m bench.event_burst [--events 200] [--latency-ms 20] [--threads 8]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from azure.storage.queue import QueueClient

from bench.common import build_estate, emulator_process, reset, subscription_id
from emulator.receiver import start_receiver, stop_receiver
from tests.azurite import running_azurite  # the same Azurite the tests start
from tests.worker import decode_event_grid, decode_queue  # the worker's own converters

SECRET = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="
SUB = subscription_id(0)


def host_json(service: str, api: str, number: int) -> str:
    """What the host sends for one ResourceWriteSuccess of an APIM API (the subscription system topic's shape)."""
    group = f"rg-{int(service.rsplit('-', 1)[-1]) % 5}"  # build_estate's resource group of the service
    service_id = f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.ApiManagement/service/{service}"
    resource_id = f"{service_id}/apis/{api}"
    return json.dumps({
        "id": f"00000000-0000-4000-8000-{number:012d}", "topic": f"/subscriptions/{SUB}", "subject": resource_id,
        "eventType": "Microsoft.Resources.ResourceWriteSuccess", "eventTime": "2026-12-01T09:00:00Z",
        "data": {"resourceUri": resource_id, "operationName": "Microsoft.ApiManagement/service/apis/write"},
        "dataVersion": "2", "metadataVersion": "1",
    })  # fmt: skip


def timed(function: object, argument: object) -> float:
    start = time.perf_counter()
    function(argument)  # type: ignore[operator]
    return time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    services = max(1, args.events // 20)
    estate = build_estate(1, services, 40)  # odd-numbered APIs are not onboarded; one in ten is GraphQL
    targets = [(f"apim-00-{s:03d}", f"api-{a:03d}") for s in range(services) for a in range(1, 40, 2) if a % 10 != 9]
    targets = (targets * (args.events // max(1, len(targets)) + 1))[: args.events]
    receiver = start_receiver()
    with (
        tempfile.TemporaryDirectory() as tmp,
        emulator_process(estate, Path(tmp)) as url,
        running_azurite(with_queue=True) as storage,
    ):
        reset(url, args.latency_ms)
        os.environ.update({
            "MONITOR_ARM_ENDPOINT": url, "AzureWebJobsStorage": storage.connection_string,
            "MONITOR_AUTO_ONBOARD": "on", "MONITOR_ONBOARD_MAX_PER_MINUTE": "1000",
            "MONITOR_ONBOARD_POLL_SECONDS": "0.2", "MONITOR_WEBHOOK_URL": receiver.url,
            "MONITOR_WEBHOOK_SECRET": SECRET, "MONITOR_SWEEP_QUEUE": "apim-sweep",
            "MONITOR_ONBOARD_QUEUE": "apim-onboard",
        })  # fmt: skip
        import function_app

        functions = {f.get_function_name(): f.get_user_function() for f in function_app.app.get_functions()}
        deliveries = [decode_event_grid(host_json(svc, api, n)) for n, (svc, api) in enumerate(targets)]
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            durations = list(pool.map(lambda d: timed(functions["OnApiEvent"], d), deliveries))
        burst_wall = time.perf_counter() - start
        queue = QueueClient.from_connection_string(storage.connection_string, "apim-onboard")
        queued = queue.get_queue_properties().approximate_message_count
        start = time.perf_counter()
        drained = 0
        while batch := list(queue.receive_messages(max_messages=32, visibility_timeout=300)):
            with ThreadPoolExecutor(max_workers=args.threads) as pool:
                list(pool.map(lambda m: functions["OnboardWorker"](decode_queue(m.content, message_id=m.id)), batch))
            for message in batch:
                queue.delete_message(message)
            drained += len(batch)
        onboard_wall = time.perf_counter() - start
        function_app.RUNTIME.close()
    stop_receiver(receiver)
    alerts = Counter(
        (f["service"], f["api"], f["action"]) for r in receiver.requests for f in json.loads(r.body)["findings"]
    )
    per_api = Counter((svc, api) for svc, api, _ in alerts.elements())
    apis = {(svc, api) for svc, api in targets}
    onboarded = sum(1 for (_, _, action) in alerts if action == "onboarded")
    print(f"event burst: {len(deliveries)} deliveries of {len(apis)} APIs, {args.latency_ms} ms ARM latency, "
          f"{args.threads} worker threads, auto-onboarding on")  # fmt: skip
    print(f"  OnApiEvent   p50 {statistics.median(durations):6.3f} s  p99 {percentile(durations, 0.99):6.3f} s  "
          f"max {max(durations):6.3f} s  (Event Grid waits ~30 s)  burst wall {burst_wall:6.2f} s")  # fmt: skip
    print(f"  onboarding queue after the burst: {queued} messages")
    print(f"  OnboardWorker {drained} messages in {onboard_wall:6.2f} s; {onboarded} APIs alerted as onboarded")
    print(f"  alerts per API: {dict(Counter(per_api.values()))} (want {{1: {len(apis)}}}); "
          f"APIs never alerted: {len(apis - set(per_api))}")  # fmt: skip


if __name__ == "__main__":
    main()
