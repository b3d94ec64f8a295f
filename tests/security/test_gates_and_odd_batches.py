"""Items 6 and 11 as a pipeline sees them through the CLI: a typo in a gate setting fails the run with one line
instead of passing it with zero findings, and one odd item in a batch (not an object, only ``data_base64``, an
envelope that names two resources) is set aside with its own reason while the rest of the batch is still checked."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from monitors.cli import main
from tests.conftest import PROD

ROOT = Path(__file__).resolve().parents[2]
SERVICE = f"/subscriptions/{PROD}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"


@pytest.fixture
def cli(arm, monkeypatch, emulator_env):
    for key, value in emulator_env.items():
        monkeypatch.setenv(key, value)

    def run(*argv: str, **env: str) -> tuple[int, str, str]:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        out, err = io.StringIO(), io.StringIO()
        return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()

    return run


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("MONITOR_SUPPORTED_REGIONS", ""),
        ("MONITOR_SUPPORTED_REGIONS", "Mars North"),
        ("MONITOR_SUPPORTED_TIERS", " "),
        ("MONITOR_SUPPORTED_TIERS", "Gold"),
        ("MONITOR_SUBSCRIPTIONS", "prod-subscription"),
        ("MONITOR_EXEMPT_TAG", "bad<tag"),
        ("MONITOR_SWEEP_SCHEDULE", "0 */61 * * * *"),
    ],
)
def test_a_gate_setting_typo_fails_the_run_with_one_line(cli, setting, value) -> None:
    code, out, err = cli("scan", "--subscription", PROD, **{setting: value})
    assert (code, out, len(err.splitlines()), setting in err) == (2, "", 1, True)


def test_a_misspelt_setting_is_named_with_the_closest_one_and_the_run_goes_on(arm) -> None:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "MONITOR_ARM_ENDPOINT": arm.url,
           "MONITOR_AUTO_ONBOARDING": "on"}  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "monitors", "scan", "--subscription", PROD, "--format", "json"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    warnings = [line for line in run.stderr.splitlines() if "MONITOR_AUTO_ONBOARDING" in line]
    closest = re.search(r"did you mean (MONITOR_\w+)", warnings[0] if warnings else "")
    assert (run.returncode, len(warnings), closest and closest.group(1)) == (1, 1, "MONITOR_AUTO_ONBOARD")


def test_odd_items_of_a_batch_are_set_aside_one_by_one_and_the_rest_is_checked(cli, tmp_path) -> None:
    good: dict[str, Any] = {
        "id": "good-1",
        "subject": f"{SERVICE}/apis/orders",
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "data": {
            "resourceUri": f"{SERVICE}/apis/orders",
            "operationName": "Microsoft.ApiManagement/service/apis/write",
        },
    }
    disagreeing = {**good, "id": "two-names", "data": {**good["data"], "resourceUri": f"{SERVICE}/apis/billing"}}
    only_base64 = {"specversion": "1.0", "id": "b64-1", "source": "/x", "subject": f"{SERVICE}/apis/orders",
                   "type": "Microsoft.Resources.ResourceWriteSuccess", "data_base64": "e30="}  # fmt: skip
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps([good, 42, disagreeing, only_base64]))
    code, out, err = cli("handle-event", str(batch), "--format", "json")
    findings = json.loads(out)["findings"]
    assert ([f["api"] for f in findings], code) == (["orders"], 1)
    assert ("two-names" in err and "billing" in err, "b64-1" in err and "data_base64" in err) == (True, True)
    assert len(err.splitlines()) == 3  # one line per odd item, the non-object one included
