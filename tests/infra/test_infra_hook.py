"""azd's postdeploy hook (infra/hooks/postdeploy.sh) deploys subscription.bicep into every monitored subscription with
the outputs of main.bicep; run here with a stand-in ``az`` on PATH that records its arguments."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.infra.bicep import INFRA, ROOT, template

HOOK = INFRA / "hooks" / "postdeploy.sh"
AZD_ENVIRONMENT = {
    "AZURE_SUBSCRIPTION_ID": "sub-host",
    "AZURE_LOCATION": "eastus2",
    "AZURE_ENV_NAME": "apimdef-test",
    "AZURE_FUNCTION_APP_NAME": "func-apimdef-x",
    "AZURE_FUNCTION_APP_ID": "/subscriptions/sub-host/resourceGroups/rg/providers/Microsoft.Web/sites/func-apimdef-x",
    "AZURE_MONITOR_PRINCIPAL_ID": "00000000-0000-0000-0000-0000000000aa",
    "AZURE_DEADLETTER_STORAGE_ACCOUNT_ID": "/subscriptions/sub-host/resourceGroups/rg/providers/"
    "Microsoft.Storage/storageAccounts/stapimdefx",
}


@pytest.fixture
def run_hook(tmp_path):
    """Run the hook with extra azd values; returns the argument lists ``az`` was called with."""
    calls = tmp_path / "calls"
    fake = tmp_path / "az"
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\t" "$a"; done >> {calls}\necho >> {calls}\n')
    fake.chmod(0o755)

    def run(**values: str) -> list[list[str]]:
        env = {"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}", **AZD_ENVIRONMENT, **values}
        subprocess.run(["sh", str(HOOK)], cwd=ROOT, env=env, check=True, capture_output=True, timeout=30)
        lines = calls.read_text().splitlines() if calls.exists() else []
        return [line.rstrip("\t").split("\t") for line in lines]

    return run


def _parameters(call: list[str]) -> dict[str, str]:
    start = call.index("--parameters") + 1
    end = call.index("--output")
    return dict(arg.split("=", 1) for arg in call[start:end])


def test_hook_wires_every_listed_subscription(run_hook):
    calls = run_hook(MONITORED_SUBSCRIPTION_IDS="sub-a,sub-b")
    assert [call[call.index("--subscription") + 1] for call in calls] == ["sub-a", "sub-b"]


def test_hook_wires_the_azd_subscription_by_default(run_hook):
    calls = run_hook()
    assert [call[call.index("--subscription") + 1] for call in calls] == ["sub-host"]


def test_hook_skips_wiring_when_told_none(run_hook):
    assert run_hook(MONITORED_SUBSCRIPTION_IDS="none") == []


def test_hook_deploys_subscription_bicep_with_the_main_outputs_and_modes(run_hook):
    (call,) = run_hook(MONITOR_AUTO_ONBOARD="on", MONITORED_RESOURCE_GROUPS="rg-a, rg-b")
    assert (call[:3], call[call.index("--template-file") + 1], _parameters(call)) == (
        ["deployment", "sub", "create"],
        "infra/subscription.bicep",
        {
            "principalId": AZD_ENVIRONMENT["AZURE_MONITOR_PRINCIPAL_ID"],
            "functionAppId": AZD_ENVIRONMENT["AZURE_FUNCTION_APP_ID"],
            "deadLetterStorageAccountId": AZD_ENVIRONMENT["AZURE_DEADLETTER_STORAGE_ACCOUNT_ID"],
            "deadLetterContainerName": "deadletter",
            "autoOnboard": "on",
            "autoOffboardOrphans": "off",
            "resourceGroupNames": '["rg-a","rg-b"]',
        },
    )


def test_hook_passes_only_parameters_subscription_bicep_declares(run_hook):
    (call,) = run_hook()
    assert set(_parameters(call)) - set(template("subscription.bicep")["parameters"]) == set()
