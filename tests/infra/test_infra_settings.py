"""Every setting the code reads is an app setting of the template, with the code's default, and every secret one is a
Key Vault reference. The list of settings is derived from the code (one list, no drift): string literals of
monitors/settings.py that are setting names, plus the ``%MONITOR_...%`` binding expressions of function_app.py."""

from __future__ import annotations

import ast
import dataclasses
import json
import re

import pytest

from monitors.settings import Settings, load_settings
from tests.infra.bicep import INFRA, ROOT, decorators, render, template, variable

APP = "app.bicep"
FUNCTION_APP = "modules/functionapp.bicep"
SETTING = re.compile(r"MONITOR_[A-Z_]+")
BINDING = re.compile(r"%(MONITOR_[A-Z_]+)%")
SETTINGS_SOURCE = ROOT / "monitors" / "settings.py"
DEFAULTED = re.compile(r"empty\((?P<param>\w+)\) \? \w+ : (?P=param)")
KEY_VAULT_REFERENCE = re.compile(
    r"empty\((?P<param>\w+)\) \? '' : "
    r"@Microsoft\.KeyVault\(SecretUri=\$\{keyVault\.outputs\.uri\}secrets/(?P<secret>[a-z0-9-]+)/\)"
)

# Settings the template provides before monitors/settings.py reads them (the code change is in flight), with the
# reason; a test fails as soon as the code reads one, so the list empties itself. Keep it empty when it can be.
AHEAD_OF_THE_CODE: dict[str, str] = {}

# Settings the template pins to one value in Azure instead of offering a parameter, with the reason.
PINNED_IN_AZURE: dict[str, tuple[str, str]] = {
    "MONITOR_APPROVAL_LOCAL_USER": (
        "",
        "names a local approver without sign-in; in Azure, App Service authentication signs approvers in",
    ),
    "MONITOR_DEADLETTER_CONTAINER": (
        "",
        "empty: the code's default, the container every subscription dead-letters into",
    ),
    "MONITOR_DEADLETTER_ACCOUNT_URL": ("", "empty: the app's own storage account, which holds that container"),
    "MONITOR_OTEL": ("", "for CLI runs; in the app the Python worker sets up telemetry"),
}


def _string_literals(path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def code_settings() -> set[str]:
    """Setting names the code reads: MONITOR_* and AZURE_CLIENT_ID literals, and app settings named in bindings."""
    literals = _string_literals(SETTINGS_SOURCE)
    names = {text for text in literals if SETTING.fullmatch(text) or text == "AZURE_CLIENT_ID"}
    bindings = {m.group(1) for text in _string_literals(ROOT / "function_app.py") if (m := BINDING.fullmatch(text))}
    return names | bindings


def code_secret_settings() -> set[str]:
    """MONITOR_* names feeding a ``Settings`` field that the code keeps out of its repr (its notion of a secret)."""
    hidden = {f.name for f in dataclasses.fields(Settings) if not f.repr}
    tree = ast.parse(SETTINGS_SOURCE.read_text(encoding="utf-8"))
    helpers = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    call = next(
        node
        for node in ast.walk(helpers["load_settings"])
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Settings"
    )
    names: set[str] = set()
    for keyword in call.keywords:
        if keyword.arg in hidden:
            reached: list[ast.AST] = [keyword.value]
            reached += [
                helpers[n.func.id]
                for n in ast.walk(keyword.value)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in helpers
            ]
            names |= {
                n.value
                for node in reached
                for n in ast.walk(node)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and SETTING.fullmatch(n.value)
            }
    return names


def template_settings() -> dict[str, object]:
    """App setting name -> value expression, as the function app module receives them."""
    return {**variable(FUNCTION_APP, "platformSettings"), **variable(APP, "monitorSettings")}


def _parameter_backed() -> dict[str, str]:
    """MONITOR_* setting -> main.bicep parameter, for the settings that are a parameter, or a parameter that falls
    back to a computed value when empty (``empty(armEndpoint) ? cloudArmEndpoint : armEndpoint``)."""
    params = template(APP)["parameters"]
    backed = {}
    for name, value in variable(APP, "monitorSettings").items():
        match = DEFAULTED.fullmatch(render(value))
        param = match["param"] if match else value
        if isinstance(param, str) and param in params:
            backed[name] = param
    return backed


def _key_vault_backed() -> dict[str, re.Match[str]]:
    refs = {
        name: KEY_VAULT_REFERENCE.fullmatch(render(value)) for name, value in variable(APP, "monitorSettings").items()
    }
    return {name: match for name, match in refs.items() if match}


def test_the_code_reads_settings_we_can_find():
    assert {"MONITOR_AUTO_ONBOARD", "MONITOR_SWEEP_QUEUE", "AZURE_CLIENT_ID"} <= code_settings()


def test_every_setting_the_code_reads_is_an_app_setting():
    assert code_settings() - set(template_settings()) == set()


def test_the_template_sets_no_monitor_setting_the_code_does_not_read():
    monitor = {name for name in template_settings() if name.startswith("MONITOR_")}
    assert monitor - code_settings() - set(AHEAD_OF_THE_CODE) == set()


def test_settings_set_ahead_of_the_code_are_still_unread():
    assert code_settings() & set(AHEAD_OF_THE_CODE) == set(), "the code reads them now: drop them from the list"


def test_the_code_finds_its_queues_and_tables_through_the_template_storage_settings():
    services = {
        name: name.removeprefix("AzureWebJobsStorage__").removesuffix("ServiceUri")
        for name in template_settings()
        if name.endswith("ServiceUri")
    }
    settings = load_settings({name: f"https://account.{service}.example" for name, service in services.items()})
    assert (settings.queue_service_uri, settings.webjobs_storage) == (
        "https://account.queue.example",
        "https://account.table.example",
    )


def test_every_monitor_setting_is_a_parameter_or_a_key_vault_reference():
    monitor = set(variable(APP, "monitorSettings"))
    assert monitor - set(_parameter_backed()) - set(_key_vault_backed()) - set(PINNED_IN_AZURE) == set()


@pytest.mark.parametrize("setting", sorted(PINNED_IN_AZURE))
def test_pinned_settings_have_their_value_and_no_parameter(setting):
    value, _reason = PINNED_IN_AZURE[setting]
    assert (variable(APP, "monitorSettings")[setting], setting in _parameter_backed()) == (value, False)


def test_secret_settings_are_exactly_the_ones_the_code_keeps_secret():
    assert set(_key_vault_backed()) == code_secret_settings()


def test_the_code_has_secret_settings_we_can_find():
    assert {"MONITOR_TEAMS_WEBHOOK_URL", "MONITOR_WEBHOOK_SECRET"} <= code_secret_settings()


@pytest.mark.parametrize("setting", sorted(code_secret_settings()))
def test_secret_setting_parameter_is_secure(setting):
    param = _key_vault_backed()[setting]["param"]
    assert "secure" in decorators(template(APP)["parameters"][param])


@pytest.mark.parametrize("setting", sorted(code_secret_settings()))
def test_secret_setting_references_the_key_vault_secret_holding_its_parameter(setting):
    match = _key_vault_backed()[setting]
    secrets = {entry["name"]: entry["value"] for entry in variable(APP, "secretValues")["entries"]}
    assert secrets[match["secret"]] == match["param"]


def test_secret_values_reach_the_vault_module_only():
    assert template(APP)["modules"]["keyVault"]["config"]["params"]["secrets"] == "secretValues"


def test_template_defaults_are_the_code_defaults():
    params = template(APP)["parameters"]
    env = {setting: params[param]["default"] for setting, param in _parameter_backed().items()}
    env |= {setting: value for setting, (value, _reason) in PINNED_IN_AZURE.items()}
    assert load_settings(env) == load_settings({})


def test_the_template_defaults_let_a_deployment_choose_any_wave_size():
    """MONITOR_ONBOARD_MAX_PER_MINUTE caps the wave size when it is set, so the template leaves it empty."""
    params = template(APP)["parameters"]
    env = {setting: params[param]["default"] for setting, param in _parameter_backed().items()}
    assert load_settings({**env, "MONITOR_ONBOARD_WAVE_SIZE": "25"}).onboard_wave_size == 25


@pytest.mark.parametrize("setting", sorted(_parameter_backed()))
def test_azd_environment_value_has_the_setting_name_and_the_template_default(setting):
    param = _parameter_backed()[setting]
    default = template(APP)["parameters"][param]["default"]
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    expected = f"${{{setting}={default}}}" if default else f"${{{setting}}}"
    assert parameters[param]["value"] == expected


@pytest.mark.parametrize("setting", sorted(code_secret_settings()))
def test_azd_environment_value_of_a_secret_has_the_setting_name(setting):
    param = _key_vault_backed()[setting]["param"]
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert parameters[param]["value"] == f"${{{setting}}}"


def test_the_code_looks_for_dead_letters_where_the_template_sends_them():
    assert load_settings({}).deadletter_container == variable(APP, "deadLetterContainerName")
