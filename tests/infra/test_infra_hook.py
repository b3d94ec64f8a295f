"""azd's postdeploy hook (infra/hooks/postdeploy.sh) deploys subscription.bicep into every monitored subscription with
the outputs of main.bicep; run here with a stand-in ``az`` on PATH that records its arguments and answers the
look-ups from canned output (see the ``az`` fixture in tests/infra/conftest.py)."""

from __future__ import annotations

import subprocess

import pytest

from tests.infra.bicep import INFRA, template

HOOK = INFRA / "hooks" / "postdeploy.sh"
APP_ID = "/subscriptions/sub-host/resourceGroups/rg/providers/Microsoft.Web/sites/func-apimdef-x"
TOPIC_ID = "/subscriptions/sub-a/resourceGroups/rg-shared/providers/Microsoft.EventGrid/systemTopics/sub-a-events"
AZD_ENVIRONMENT = {
    "AZURE_SUBSCRIPTION_ID": "sub-host",
    "AZURE_LOCATION": "eastus2",
    "AZURE_ENV_NAME": "apimdef-test",
    "AZURE_FUNCTION_APP_NAME": "func-apimdef-x",
    "AZURE_FUNCTION_APP_ID": APP_ID,
    "AZURE_MONITOR_PRINCIPAL_ID": "00000000-0000-0000-0000-0000000000aa",
    "AZURE_DEADLETTER_STORAGE_ACCOUNT_ID": "/subscriptions/sub-host/resourceGroups/rg/providers/"
    "Microsoft.Storage/storageAccounts/stapimdefx",
}


@pytest.fixture
def run_hook(az):
    """Run the hook with extra azd values; returns the ``az deployment sub create`` calls."""

    def run(**values: str) -> list[list[str]]:
        before = len(az.calls())
        az.run(HOOK, {**AZD_ENVIRONMENT, **values})
        return [call for call in az.calls()[before:] if call[:3] == ["deployment", "sub", "create"]]

    return run


def _parameters(call: list[str]) -> dict[str, str]:
    start = call.index("--parameters") + 1
    end = call.index("--output")
    return dict(arg.split("=", 1) for arg in call[start:end])


def _option(call: list[str], name: str) -> str:
    return call[call.index(name) + 1]


def test_hook_wires_every_listed_subscription(run_hook):
    calls = run_hook(MONITORED_SUBSCRIPTION_IDS="sub-a,sub-b")
    assert [_option(call, "--subscription") for call in calls] == ["sub-a", "sub-b"]


def test_hook_wires_the_azd_subscription_by_default(run_hook):
    calls = run_hook()
    assert [_option(call, "--subscription") for call in calls] == ["sub-host"]


def test_hook_skips_wiring_when_told_none(run_hook):
    assert run_hook(MONITORED_SUBSCRIPTION_IDS="none") == []


def test_hook_deploys_subscription_bicep_with_the_main_outputs_and_modes(run_hook):
    (call,) = run_hook(MONITOR_AUTO_ONBOARD="on", MONITORED_RESOURCE_GROUPS="rg-a, rg-b")
    assert (call[:3], _option(call, "--template-file"), _parameters(call)) == (
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
            "eventsResourceGroupName": "rg-apim-defender-events",
            "eventsResourceGroupExists": "false",
            "existingSystemTopicId": "",
        },
    )


def test_hook_passes_only_parameters_subscription_bicep_declares(run_hook):
    (call,) = run_hook()
    assert set(_parameters(call)) - set(template("subscription.bicep")["parameters"]) == set()


def test_hook_deployment_name_fits_64_characters_for_a_64_character_environment_name(run_hook):
    (call,) = run_hook(AZURE_ENV_NAME="e" * 64)
    assert len(_option(call, "--name")) <= 64


@pytest.mark.parametrize(
    "other",
    [
        pytest.param({"AZURE_LOCATION": "swedencentral"}, id="region"),
        pytest.param({"AZURE_FUNCTION_APP_ID": APP_ID + "2"}, id="app"),
        pytest.param({"AZURE_ENV_NAME": "apimdef-other"}, id="environment"),
    ],
)
def test_hook_deployment_name_differs_per_region_app_and_environment(run_hook, other):
    (first,) = run_hook()
    (second,) = run_hook(**other)
    assert _option(first, "--name") != _option(second, "--name")


@pytest.mark.parametrize(
    ("spec", "subscription", "expected"),
    [
        pytest.param("rg-a,rg-b", "sub-b", '["rg-a","rg-b"]', id="plain-list-for-every-subscription"),
        pytest.param("sub-a:rg-a,rg-b;sub-b:rg-c", "sub-b", '["rg-c"]', id="per-subscription"),
        pytest.param("SUB-B:rg-c;sub-a:rg-a", "sub-b", '["rg-c"]', id="subscription-ids-ignore-case"),
        pytest.param("rg-x;sub-a:rg-a", "sub-b", '["rg-x"]', id="default-for-unnamed"),
        pytest.param("sub-a:rg-a", "sub-b", "[]", id="unnamed-without-default-is-whole"),
        pytest.param("rg-x;sub-b:", "sub-b", "[]", id="named-without-groups-is-whole"),
    ],
)
def test_monitored_resource_groups_can_differ_per_subscription(run_hook, spec, subscription, expected):
    calls = run_hook(MONITORED_SUBSCRIPTION_IDS="sub-a,sub-b", MONITORED_RESOURCE_GROUPS=spec)
    groups = {_option(call, "--subscription"): _parameters(call)["resourceGroupNames"] for call in calls}
    assert groups[subscription] == expected


def test_hook_refuses_resource_groups_for_a_subscription_it_does_not_monitor(run_hook):
    with pytest.raises(subprocess.CalledProcessError):
        run_hook(MONITORED_SUBSCRIPTION_IDS="sub-a", MONITORED_RESOURCE_GROUPS="sub-typo:rg-a")


def test_hook_references_an_existing_events_resource_group(run_hook, az):
    az.answer("group exists", "true")
    (call,) = run_hook()
    assert _parameters(call)["eventsResourceGroupExists"] == "true"


def test_hook_adds_to_the_subscriptions_existing_system_topic(run_hook, az):
    az.answer(
        "eventgrid system-topic list",
        f"{TOPIC_ID}\tMicrosoft.Resources.Subscriptions\t/subscriptions/sub-a\tSystemAssigned",
    )
    (call,) = run_hook(MONITORED_SUBSCRIPTION_IDS="sub-a")
    assert _parameters(call)["existingSystemTopicId"] == TOPIC_ID


def test_hook_ignores_system_topics_of_other_sources(run_hook, az):
    storage = "/subscriptions/sub-a/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st"
    az.answer(
        "eventgrid system-topic list", f"{TOPIC_ID}\tMicrosoft.Storage.StorageAccounts\t{storage}\tSystemAssigned"
    )
    (call,) = run_hook(MONITORED_SUBSCRIPTION_IDS="sub-a")
    assert _parameters(call)["existingSystemTopicId"] == ""


def test_hook_refuses_an_existing_topic_without_a_system_assigned_identity(run_hook, az):
    az.answer(
        "eventgrid system-topic list", f"{TOPIC_ID}\tmicrosoft.resources.subscriptions\t/subscriptions/SUB-A\tNone"
    )
    with pytest.raises(subprocess.CalledProcessError):
        run_hook(MONITORED_SUBSCRIPTION_IDS="sub-a")


def test_hook_drops_this_apps_event_subscription_of_the_old_fixed_name(run_hook, az):
    az.answer(
        "eventgrid system-topic list",
        f"{TOPIC_ID}\tMicrosoft.Resources.Subscriptions\t/subscriptions/sub-a\tSystemAssigned",
    )
    az.answer("eventgrid system-topic event-subscription list", f"apim-defender-monitor\t{APP_ID}/functions/OnApiEvent")
    run_hook(MONITORED_SUBSCRIPTION_IDS="sub-a")
    deletes = [call for call in az.calls() if call[:4] == ["eventgrid", "system-topic", "event-subscription", "delete"]]
    assert [(_option(call, "--name"), "--yes" in call) for call in deletes] == [("apim-defender-monitor", True)]


def test_hook_keeps_another_apps_event_subscription_of_the_old_fixed_name(run_hook, az):
    az.answer(
        "eventgrid system-topic list",
        f"{TOPIC_ID}\tMicrosoft.Resources.Subscriptions\t/subscriptions/sub-a\tSystemAssigned",
    )
    az.answer(
        "eventgrid system-topic event-subscription list", f"apim-defender-monitor\t{APP_ID}2/functions/OnApiEvent"
    )
    run_hook(MONITORED_SUBSCRIPTION_IDS="sub-a")
    assert [call for call in az.calls() if "delete" in call] == []
