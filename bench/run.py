"""Benchmark: ARM requests, wall time and peak memory of a full scan and of an event burst, against the emulator.

The emulator runs in its own process (so the figures are the monitor's own), with a fixed latency per ARM request.
Usage: python bench/run.py [--services 50] [--apis 40] [--latency-ms 20] [--events 200] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitors.azure.clients import ArmClients  # noqa: E402
from monitors.engine import Engine  # noqa: E402
from monitors.model import ApiRef  # noqa: E402
from monitors.settings import load_settings  # noqa: E402

SUB = "00000000-0000-0000-0000-00000000beef"


def build_estate(services: int, apis: int) -> dict[str, object]:
    """Half the APIs onboarded, one in ten GraphQL, every service Premium in East US."""
    svcs = []
    for s in range(services):
        names = [f"api-{a:03d}" for a in range(apis)]
        svcs.append({
            "resourceGroup": f"rg-{s % 5}", "name": f"apim-{s:03d}", "location": "East US", "sku": "Premium",
            "apis": [{"name": n, "displayName": n, "path": n, **({"type": "graphql"} if i % 10 == 9 else {})}
                     for i, n in enumerate(names)],
            "apiCollections": names[::2],
        })  # fmt: skip
    plan = {"Api": {"pricingTier": "Standard", "subPlan": "P1"}}
    return {"subscriptions": [{"id": SUB, "displayName": "bench", "pricings": plan, "services": svcs}]}


def control(url: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}/_emulator/{path}", data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")  # type: ignore[no-any-return]


def start_emulator(estate_file: Path) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "emulator", "--estate", str(estate_file), "--port", "0"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, line.strip().rsplit(" ", 1)[-1]


def measure(url: str, latency_ms: int, label: str, units: int, unit: str, work) -> None:  # type: ignore[no-untyped-def]
    control(url, "reset", {})
    control(url, "faults", {"latency_ms": latency_ms, "faults": []})
    start = time.perf_counter()
    result = work()
    wall = time.perf_counter() - start
    count = int(control(url, "requests")["count"])  # type: ignore[call-overload]
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
    with tempfile.TemporaryDirectory() as tmp:
        estate_file = Path(tmp) / "estate.json"
        estate_file.write_text(json.dumps(build_estate(args.services, args.apis)))
        proc, url = start_emulator(estate_file)
        try:
            settings = load_settings({"MONITOR_ARM_ENDPOINT": url})
            print(f"estate: {args.services} services x {args.apis} APIs = {total} APIs; latency {args.latency_ms} ms")
            clients = ArmClients(settings)
            engine = Engine(settings, clients)
            measure(url, args.latency_ms, f"full scan (concurrency {args.concurrency})", total, "API",
                    lambda: f"{len(engine.scan(SUB, concurrency=args.concurrency))} findings")  # fmt: skip
            rng = random.Random(7)
            refs = [ApiRef(SUB, f"rg-{s % 5}", f"apim-{s:03d}", f"api-{rng.randrange(args.apis):03d}")
                    for s in (rng.randrange(args.services) for _ in range(args.events))]  # fmt: skip
            warm = Engine(settings, clients)
            measure(url, args.latency_ms, f"{args.events} events, one instance", args.events, "event",
                    lambda: f"{sum(1 for r in refs if warm.check_api(r).status == 'compliant')} compliant")  # fmt: skip
            clients.close()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the monitor process: {peak_mb:.0f} MB (max RSS)")


if __name__ == "__main__":
    main()
