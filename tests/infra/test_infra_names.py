"""Names that ARM keeps per scope: every nested deployment fits the 64 characters of a deployment name for the
longest azd environment name, and differs between the environments, central apps, regions and identities that
share a scope (a shared name re-points or overwrites another environment's deployment, and a subscription-scope
deployment keeps its first location: InvalidDeploymentLocation). Names are evaluated, not read: see expressions.py."""

from __future__ import annotations

import json
import re

import pytest

from tests.infra.bicep import INFRA, bicep_files, module, source, template
from tests.infra.expressions import evaluate, module_name_expressions

GUID = "0123abcd-0123-4567-89ab-0123456789ab"
# The longest value each input can take (azd environment names: 64 characters; resource groups: 90).
FUNCTION_APP_ID = f"/subscriptions/{GUID}/resourceGroups/{'g' * 90}/providers/Microsoft.Web/sites/{'f' * 60}"
WORST_CASE = {
    "environmentName": "e" * 64,
    "location": "germanywestcentral",
    "functionAppId": FUNCTION_APP_ID,
    "principalId": GUID,
    "name": "r" * 90,
    "subscription": lambda: {"id": f"/subscriptions/{GUID}", "subscriptionId": GUID},
    "resourceGroup": lambda: {"name": "g" * 90},
    "deployment": lambda: {"location": "germanywestcentral"},
}

# What must change a file's deployment names: the environment (main, app), the central app (per monitored
# subscription), the identity (resource-group grants).
OWNER = {
    "main.bicep": ("environmentName", "e" * 63 + "f"),
    "app.bicep": ("environmentName", "e" * 63 + "f"),
    "subscription.bicep": ("functionAppId", FUNCTION_APP_ID + "2"),
    "modules/events.bicep": ("functionAppId", FUNCTION_APP_ID + "2"),
    "modules/roles.bicep": ("principalId", GUID[:-1] + "c"),
}

MODULES = [(relative, symbol) for relative in bicep_files() for symbol in module_name_expressions(relative)]


def _name(relative: str, symbol: str, **overrides: object) -> str:
    return evaluate(module_name_expressions(relative)[symbol], {**WORST_CASE, **overrides}, relative)


@pytest.mark.parametrize("relative", bicep_files())
def test_every_module_name_can_be_read(relative):
    assert set(module_name_expressions(relative)) == set(template(relative).get("modules", {}))


@pytest.mark.parametrize(("relative", "symbol"), MODULES)
def test_deployment_name_fits_64_characters_for_a_64_character_environment_name(relative, symbol):
    assert len(_name(relative, symbol)) <= 64


@pytest.mark.parametrize(("relative", "symbol"), MODULES)
def test_deployment_name_uses_only_characters_arm_allows(relative, symbol):
    assert re.fullmatch(r"[\w().-]+", _name(relative, symbol))


@pytest.mark.parametrize(("relative", "symbol"), [(r, s) for r, s in MODULES if r in OWNER])
def test_deployment_name_differs_for_another_owner(relative, symbol):
    binding, other = OWNER[relative]
    assert _name(relative, symbol) != _name(relative, symbol, **{binding: other})


@pytest.mark.parametrize("symbol", sorted(module_name_expressions("subscription.bicep")))
def test_subscription_scope_deployment_name_differs_for_another_region(symbol):
    other = _name("subscription.bicep", symbol, deployment=lambda: {"location": "swedencentral"})
    assert _name("subscription.bicep", symbol) != other


@pytest.mark.parametrize("symbol", sorted(module_name_expressions("modules/events.bicep")))
def test_event_deployment_name_differs_for_another_monitored_subscription(symbol):
    other_guid = GUID.replace("0", "9")
    other = _name(
        "modules/events.bicep",
        symbol,
        subscription=lambda: {"id": f"/subscriptions/{other_guid}", "subscriptionId": other_guid},
    )
    assert _name("modules/events.bicep", symbol) != other


def _event_subscription_name(function_app_id: str) -> str:
    relative = "modules/events-function-subscription.bicep"
    text = re.search(r"resource functionSubscription [^\n]*\n\s+parent: \w+\n\s+name: (.+)$", source(relative), re.M)
    assert text is not None
    return evaluate(text[1], {**WORST_CASE, "functionAppId": function_app_id}, relative)


def test_event_subscription_is_named_per_central_app():
    first = _event_subscription_name(FUNCTION_APP_ID)
    assert first != _event_subscription_name(OWNER["subscription.bicep"][1])


def test_event_subscription_name_follows_event_grids_rules():
    assert re.fullmatch(r"[A-Za-z0-9-]{3,64}", _event_subscription_name(FUNCTION_APP_ID))


def _vault_name(salt: str) -> str:
    return evaluate("keyVaultName", {**WORST_CASE, "keyVaultNameSalt": salt}, "app.bicep")


def test_key_vault_name_without_salt_is_the_name_vaults_had_before_it():
    assert _vault_name("") == evaluate("'kv-apimdef-${take(resourceToken, 11)}'", WORST_CASE, "app.bicep")


def test_key_vault_name_changes_with_the_salt():
    assert _vault_name("20250101000000") != _vault_name("")


@pytest.mark.parametrize("salt", ["", "x", "s" * 200])
def test_key_vault_name_follows_key_vault_rules(salt):
    assert re.fullmatch(r"[a-z](?!.*--)[a-z0-9-]{1,22}[a-z0-9]", _vault_name(salt))


def test_key_vault_module_gets_the_salted_name():
    assert module("app.bicep", "keyVault")["params"]["name"] == "keyVaultName"


def test_azd_environment_value_azure_key_vault_name_salt_sets_the_salt():
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert parameters["keyVaultNameSalt"]["value"] == "${AZURE_KEY_VAULT_NAME_SALT}"
