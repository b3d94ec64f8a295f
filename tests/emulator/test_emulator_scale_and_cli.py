"""A 2,000-API service served through the real SDK, and the `python -m emulator` command line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from azure.mgmt.apimanagement import ApiManagementClient

from emulator import EmulatorServer, Estate
from tests.emulator.sdk_credential import NoCredential

REPO = Path(__file__).resolve().parents[2]
ESTATE = REPO / "tests" / "data" / "emulator_estate.json"


def _big_estate(count):
    apis = [{"name": f"api-{i:04d}", "displayName": f"API {i}", "path": f"p{i}"} for i in range(count)]
    service = {"resourceGroup": "rg", "name": "apim-big", "sku": "Premium", "apis": apis}
    return Estate.from_dict({"subscriptions": [{"id": "big", "services": [service]}]})


def test_lists_2000_apis_in_pages_of_100_quickly(sdk_options):
    with (
        EmulatorServer(_big_estate(2000)) as server,
        ApiManagementClient(NoCredential(), "big", **sdk_options(server)) as client,
    ):
        started = time.monotonic()
        # azure-mgmt-apimanagement types read-only fields by their initial None; the deserializer fills them in.
        names: list[str | None] = [api.name for api in client.api.list_by_service("rg", "apim-big")]
        elapsed = time.monotonic() - started

    assert (len(names), names[-1], server.request_count, elapsed < 5) == (2000, "api-1999", 20, True)


def test_cli_prints_the_url_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--estate", str(ESTATE), "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline().strip()
        with urllib.request.urlopen(line.removeprefix("emulator listening on ") + "/_emulator/health", timeout=5) as r:
            health = json.loads(r.read())
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=10)
        process.stdout.close()

    assert (line.startswith("emulator listening on http://127.0.0.1:"), health["status"], exit_code) == (True, "ok", 0)
