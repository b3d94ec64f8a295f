"""azd's predown hook (infra/hooks/predown.sh) removes the postdeploy wiring from every monitored subscription: this
app's event subscriptions, the identity's role assignments and the custom roles nobody uses any more; run with the
stand-in ``az`` of tests/infra/conftest.py."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.infra.bicep import INFRA, ROOT

HOOK = INFRA / "hooks" / "predown.sh"
SUB = "/subscriptions/sub-a"
APP_ID = "/subscriptions/sub-host/resourceGroups/rg-app/providers/Microsoft.Web/sites/func-apimdef-x"
PRINCIPAL = "00000000-0000-0000-0000-0000000000aa"
OTHER = "00000000-0000-0000-0000-0000000000bb"
TOPIC_ID = f"{SUB}/resourceGroups/rg-shared/providers/Microsoft.EventGrid/systemTopics/sub-a-events"
READER_ROLE = "11111111-1111-1111-1111-111111111111"
ONBOARD_ROLE = "22222222-2222-2222-2222-222222222222"
FOREIGN_ROLE = "33333333-3333-3333-3333-333333333333"
ASSIGNMENT = f"{SUB}/providers/Microsoft.Authorization/roleAssignments"
AZD_ENVIRONMENT = {
    "AZURE_SUBSCRIPTION_ID": "sub-host",
    "MONITORED_SUBSCRIPTION_IDS": "sub-a",
    "AZURE_RESOURCE_GROUP": "rg-app",
    "AZURE_FUNCTION_APP_NAME": "func-apimdef-x",
    "AZURE_FUNCTION_APP_ID": APP_ID,
    "AZURE_MONITOR_PRINCIPAL_ID": PRINCIPAL,
}


def _role(guid: str) -> str:
    return f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


@pytest.fixture
def wired(az):
    """A subscription wired by two environments: ours and another app that shares the topic and the reader role."""
    az.answer("eventgrid system-topic list", f"{TOPIC_ID}\tMicrosoft.Resources.Subscriptions\t{SUB}\tSystemAssigned")
    az.answer(
        "eventgrid system-topic event-subscription list",
        "\n".join(
            [
                f"apim-defender-monitor-abc\t{APP_ID}/functions/OnApiEvent",
                f"apim-defender-monitor\t{APP_ID.upper()}/functions/OnApiEvent",
                f"apim-defender-monitor-def\t{APP_ID}2/functions/OnApiEvent",
            ]
        ),
    )
    az.answer(
        "role assignment list",
        "\n".join(
            [
                f"{ASSIGNMENT}/a1\t{PRINCIPAL}\t{_role(READER_ROLE)}",
                f"{SUB}/resourceGroups/rg-apis{ASSIGNMENT[len(SUB) :]}/a2\t{PRINCIPAL}\t{_role(ONBOARD_ROLE)}",
                f"{SUB}/resourceGroups/rg-app{ASSIGNMENT[len(SUB) :]}/a3\t{PRINCIPAL}\t{_role(FOREIGN_ROLE)}",
                f"{ASSIGNMENT}/b1\t{OTHER}\t{_role(READER_ROLE)}",
            ]
        ),
    )
    az.answer(
        "role definition list",
        "\n".join(
            [
                f"{READER_ROLE}\tAPIM Defender Monitor Reader (sub-a)",
                f"{ONBOARD_ROLE}\tAPIM Defender Monitor Onboarding (sub-a)",
                f"{FOREIGN_ROLE}\tSomeone Else's Role",
            ]
        ),
    )
    return az


def _deleted(az, *command: str) -> list[str]:
    """The ``--name`` or ``--ids`` of every ``az <command> delete`` call."""
    calls = [call for call in az.calls() if call[: len(command) + 1] == [*command, "delete"]]
    return [call[call.index("--name" if "--name" in call else "--ids") + 1] for call in calls]


def test_this_apps_event_subscriptions_are_deleted_whatever_their_name(wired):
    wired.run(HOOK, AZD_ENVIRONMENT)
    assert _deleted(wired, "eventgrid", "system-topic", "event-subscription") == [
        "apim-defender-monitor-abc",
        "apim-defender-monitor",
    ]


def test_event_subscriptions_are_deleted_without_a_prompt(wired):
    wired.run(HOOK, AZD_ENVIRONMENT)
    deletes = [
        call for call in wired.calls() if call[:4] == ["eventgrid", "system-topic", "event-subscription", "delete"]
    ]
    assert all("--yes" in call for call in deletes)


def test_the_identitys_role_assignments_are_deleted_outside_the_apps_own_resource_group(wired):
    wired.run(HOOK, AZD_ENVIRONMENT)
    assert _deleted(wired, "role", "assignment") == [
        f"{ASSIGNMENT}/a1",
        f"{SUB}/resourceGroups/rg-apis{ASSIGNMENT[len(SUB) :]}/a2",
    ]


def test_custom_roles_are_deleted_unless_another_principal_is_assigned_them(wired):
    wired.run(HOOK, AZD_ENVIRONMENT)
    assert _deleted(wired, "role", "definition") == [ONBOARD_ROLE]


def test_nothing_left_to_remove_is_a_clean_success(az):
    az.run(HOOK, AZD_ENVIRONMENT)
    assert [call for call in az.calls() if "delete" in call] == []


def test_none_monitored_touches_nothing(az):
    az.run(HOOK, {**AZD_ENVIRONMENT, "MONITORED_SUBSCRIPTION_IDS": "none"})
    assert az.calls() == []


def test_a_failed_step_fails_the_hook_so_azd_down_stops(wired):
    wired.answer("role assignment list", "", status=1)
    with pytest.raises(subprocess.CalledProcessError):
        wired.run(HOOK, AZD_ENVIRONMENT)


def test_a_failed_step_does_not_stop_the_others(wired):
    wired.answer("eventgrid system-topic event-subscription delete", "", status=1)
    with pytest.raises(subprocess.CalledProcessError):
        wired.run(HOOK, AZD_ENVIRONMENT)
    assert _deleted(wired, "role", "definition") == [ONBOARD_ROLE]


def test_azure_yaml_runs_the_hook_before_azd_down():
    config = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    assert config["hooks"]["predown"] == {
        "shell": "sh",
        "run": "./infra/hooks/predown.sh",
        "interactive": False,
        "continueOnError": False,
    }
