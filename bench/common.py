"""Shared by the benchmarks: a generated estate, the emulator in its own process, and its control endpoints."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_estate(subscriptions: int, services: int, apis: int) -> dict[str, object]:
    """``services`` Premium services in East US per subscription; half their APIs onboarded, one in ten GraphQL."""
    subs = []
    for sub in range(subscriptions):
        svcs = []
        for s in range(services):
            names = [f"api-{a:03d}" for a in range(apis)]
            svcs.append({
                "resourceGroup": f"rg-{s % 5}", "name": f"apim-{sub:02d}-{s:03d}", "location": "East US",
                "sku": "Premium",
                "apis": [{"name": n, "displayName": n, "path": n, **({"type": "graphql"} if i % 10 == 9 else {})}
                         for i, n in enumerate(names)],
                "apiCollections": names[::2],
            })  # fmt: skip
        plan = {"Api": {"pricingTier": "Standard", "subPlan": "P1"}}
        subs.append({"id": subscription_id(sub), "displayName": f"bench-{sub}", "pricings": plan, "services": svcs})
    return {"subscriptions": subs}


def subscription_id(number: int) -> str:
    return f"00000000-0000-0000-0000-{number:012d}"


def control(url: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
    """Call an /_emulator/ control endpoint: POST with a body, GET without."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}/_emulator/{path}", data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:  # loopback emulator only
        return json.loads(response.read() or b"{}")  # type: ignore[no-any-return]


def request_count(url: str) -> int:
    return int(str(control(url, "requests")["count"]))


def reset(url: str, latency_ms: int) -> None:
    control(url, "reset", {})
    control(url, "faults", {"latency_ms": latency_ms, "faults": []})


@contextmanager
def emulator_process(estate: dict[str, object], workdir: Path) -> Iterator[str]:
    """Run ``python -m emulator`` on the estate in its own process (its memory is not ours); yields its URL."""
    estate_file = workdir / "estate.json"
    estate_file.write_text(json.dumps(estate))
    cmd = [sys.executable, "-m", "emulator", "--estate", str(estate_file), "--port", "0"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    try:
        if "http://" not in line:
            raise SystemExit(f"emulator did not start: {line!r}")
        yield line.strip().rsplit(" ", 1)[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
