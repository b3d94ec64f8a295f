"""Two `python -m monitors handle-event` processes replay the same batch on one SQLite file at the same moment, round
after round: together they alert each API once, at every sink (a second digest went out in 2 of 33 rounds before
delivery claims)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from emulator.server import EmulatorServer
from tests.faults.harness import ROOT, SUB, Sinks, cli_env, duplicates, three_sinks, unprotected_estate

APIS = 20
ROUNDS = 6


@pytest.fixture(scope="module")
def arm() -> Iterator[EmulatorServer]:
    with EmulatorServer(unprotected_estate(1, APIS)) as server:
        yield server


def batch() -> list[dict[str, object]]:
    service = f"/subscriptions/{SUB}/resourceGroups/rg-faults/providers/Microsoft.ApiManagement/service/apim-fault-0"
    return [
        {
            "id": f"7c1a0000-0000-4000-8000-{n:012d}",
            "topic": f"/subscriptions/{SUB}",
            "subject": f"{service}/apis/api-{n:04d}",
            "eventType": "Microsoft.Resources.ResourceWriteSuccess",
            "eventTime": "2026-12-01T09:00:00Z",
            "data": {
                "resourceUri": f"{service}/apis/api-{n:04d}",
                "operationName": "Microsoft.ApiManagement/service/apis/write",
            },
            "dataVersion": "2",
            "metadataVersion": "1",
        }
        for n in range(APIS)
    ]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_two_clis_replaying_one_batch_on_one_sqlite_file_alert_each_api_once(arm, tmp_path, round_number) -> None:
    events = tmp_path / "batch.json"
    events.write_text(json.dumps(batch()))
    with three_sinks() as sinks:
        env = cli_env(MONITOR_ARM_ENDPOINT=arm.url, MONITOR_STATE=f"sqlite:{tmp_path / 'shared.sqlite'}", **sinks.env())
        command = [sys.executable, "-m", "monitors", "handle-event", str(events), "--format", "json"]
        clis = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                for _ in range(2)]  # fmt: skip
        errors = [cli.communicate(timeout=120)[1].decode() for cli in clis]
        assert [cli.returncode for cli in clis] == [1, 1], errors
        counted = _counts(sinks)
    assert counted == (APIS, {}, APIS, APIS)


def _counts(sinks: Sinks) -> tuple[int, dict[str, int], int, int]:
    webhook = sinks.webhook_alerts()
    return len(webhook), dict(duplicates(webhook)), sinks.alert_count("teams"), sinks.alert_count("slack")
