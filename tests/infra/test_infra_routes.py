"""Routed sinks in Azure (README.md, "Routes in Azure"): MONITOR_ROUTES is a plain setting that names other app
settings holding the webhook URLs; the template takes those URLs as one secure object parameter (routeUrls, from
MONITOR_ROUTE_URLS in the azd environment), stores each in Key Vault and makes the setting of that name a Key Vault
reference, as it does for the secret MONITOR_* settings. No URL reaches an output or a module parameter that is not
secure. The preprovision hook stops a provisioning whose routes name a setting without a URL."""

from __future__ import annotations

import json
import re
import string
import subprocess
from typing import Any

import pytest

from tests.infra.bicep import INFRA, bicep_files, decorators, module, render, source, template, variable
from tests.infra.expressions import evaluate
from tests.infra.test_infra_settings import code_settings

APP = "app.bicep"
MAIN = "main.bicep"
KEY_VAULT = "modules/keyvault.bicep"
FUNCTION_APP = "modules/functionapp.bicep"
HOOK = INFRA / "hooks" / "preprovision.sh"
SECRET_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,126}")  # Key Vault object names: 1-127 letters, digits, hyphens
URL = "https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=SECRET"


def _declaration(relative: str, name: str) -> str:
    return next(line for line in source(relative).splitlines() if line.startswith(f"var {name} = "))


def _parameters() -> dict[str, Any]:
    return json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]


# ---- the parameter ----


@pytest.mark.parametrize("relative", [APP, MAIN])
def test_route_urls_is_a_secure_object_with_no_routes_by_default(relative):
    param = template(relative)["parameters"]["routeUrls"]
    assert (param["type"], "secure" in decorators(param), param["default"]) == ("object", True, {})


def test_azd_passes_route_urls_from_the_environment_as_json():
    # azd 1.23.4 and later substitute the variable into an object parameter's string value and parse it as JSON;
    # unset, the parameter is left out and its default (no routes) applies.
    assert _parameters()["routeUrls"] == {"value": "${MONITOR_ROUTE_URLS}"}


def test_main_forwards_route_urls_to_the_app():
    assert module(MAIN, "app")["params"]["routeUrls"] == "routeUrls"


@pytest.mark.parametrize("relative", [APP, MAIN])
def test_monitor_routes_itself_is_a_plain_parameter(relative):
    param = template(relative)["parameters"]["routes"]
    assert (param["type"], "secure" in decorators(param)) == ("string", False)


def test_monitor_routes_is_a_plain_app_setting_from_the_azd_environment():
    assert (variable(APP, "monitorSettings")["MONITOR_ROUTES"], _parameters()["routes"]["value"]) == (
        "routes",
        "${MONITOR_ROUTES}",
    )


# ---- each URL a Key Vault secret, each setting a Key Vault reference ----


def _loop(relative: str, name: str) -> tuple[dict[str, str], dict[str, Any]]:
    """A variable's ``[for item in array: {...}]``: its loop (item_name, array_name) and its body."""
    value = variable(relative, name)
    return value["loop_type"]["detail"], value["config"]


def _property(relative: str, name: str, key: str) -> str:
    """The source text of ``key: ...`` in the body of a variable's loop."""
    lines = source(relative).splitlines()
    start = lines.index(next(line for line in lines if line.startswith(f"var {name} = ")))
    return next(line.strip() for line in lines[start:] if line.strip().startswith(f"{key}: "))


def test_each_route_setting_is_read_from_route_urls_by_name():
    detail, body = _loop(APP, "routeSecretNames")
    assert ((detail["item_name"], "routeUrls" in json.dumps(detail)), sorted(body)) == (
        ("entry", True),
        ["secret", "setting"],
    )


def test_each_route_url_becomes_a_secret_of_the_vault():
    detail, body = _loop(APP, "routeSecretEntries")
    assert (detail, render(body["name"]), variable(APP, "routeSecretValues")) == (
        {"item_name": "route", "array_name": "routeSecretNames"},
        "route.secret",
        {"entries": "routeSecretEntries"},
    )
    assert _property(APP, "routeSecretEntries", "value").startswith(
        "value: startsWith(toLower(trim(string(routeUrls[route.setting]))), 'https://') ? routeUrls[route.setting] : "
    )


def test_the_route_secrets_reach_the_vault_through_a_secure_parameter():
    assert (
        module(APP, "keyVault")["params"]["routeSecrets"],
        "secure" in decorators(template(KEY_VAULT)["parameters"]["routeSecrets"]),
    ) == ("routeSecretValues", True)


def test_the_vault_creates_the_route_secrets_with_the_others():
    assert _declaration(KEY_VAULT, "configuredSecrets") == (
        "var configuredSecrets = filter(concat(secrets.entries, routeSecrets.entries), secret => !empty(secret.value))"
    )


def test_each_route_setting_is_a_key_vault_reference_in_the_form_of_the_secret_settings():
    detail, body = _loop(FUNCTION_APP, "routeAppSettings")
    secret_form = render(variable(APP, "monitorSettings")["MONITOR_TEAMS_WEBHOOK_URL"]).split(" : ")[-1]
    assert (detail["array_name"], render(body["name"]), body["value"], secret_form) == (
        "routeSecretNames",
        "route.setting",
        "@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${route.secret}/)",
        "@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/monitor-teams-webhook-url/)",
    )


def test_the_function_app_gets_the_secret_names_and_the_vault_uri_only():
    params = module(APP, "functionApp")["params"]
    assert (params["routeSecretNames"], render(params["keyVaultUri"])) == ("routeSecretNames", "keyVault.outputs.uri")


def test_the_route_settings_become_app_settings_next_to_the_others():
    assert "      appSettings: concat(ownAppSettings, routeAppSettings)" in source(FUNCTION_APP).splitlines()


# ---- names ----


def _secret_name(setting: str) -> str:
    """app.bicep's secret name for a route setting, evaluated from its source text."""
    expression = _property(APP, "routeSecretNames", "secret").removeprefix("secret: ")
    bindings = {"entry": {"key": setting}, "replace": lambda text, old, new: text.replace(old, new)}
    return evaluate(expression, bindings, APP)


def _setting_rule() -> str:
    return _property(APP, "routeSecretNames", "setting")


def _reserved_prefixes() -> list[str]:
    return re.findall(r"startsWith\(entry\.key, '([^']*)'\)", _setting_rule())


def _allowed(setting: str) -> bool:
    """The name rule of app.bicep's routeSecretNames, from the template's own values."""
    letters = variable(APP, "routeSettingLetters")
    characters = set(evaluate(_declaration(APP, "routeSettingCharacters").split(" = ", 1)[1], {}, APP))
    longest = variable(APP, "routeSettingMaxLength")
    return (
        1 <= len(setting) <= longest
        and setting.upper() == setting
        and setting[0] in letters
        and set(setting) <= characters
        # ARM's startsWith compares without case
        and not any(setting.upper().startswith(prefix.upper()) for prefix in _reserved_prefixes())
    )


def test_the_name_rule_is_what_the_template_checks():
    rule = _setting_rule()
    checks = (
        "setting: length(entry.key) >= 1 && length(entry.key) <= routeSettingMaxLength && toUpper(entry.key) == "
        "entry.key && contains(routeSettingLetters, take(entry.key, 1)) && empty(join(split(entry.key, "
        "routeSettingCharacters), '')) ? ("
    )
    reserved = " || ".join(f"startsWith(entry.key, '{prefix}')" for prefix in _reserved_prefixes())
    assert (rule.startswith(checks), f"({reserved} ? any({{}})[" in rule, "'] : entry.key) : any({})['" in rule) == (
        True,
        True,
        True,
    )


def test_setting_names_are_upper_case_letters_digits_and_underscores_starting_with_a_letter():
    characters = evaluate(_declaration(APP, "routeSettingCharacters").split(" = ", 1)[1], {}, APP)
    expected = string.ascii_uppercase + string.digits + "_"
    assert (sorted(characters), variable(APP, "routeSettingLetters")) == (sorted(expected), string.ascii_uppercase)


@pytest.mark.parametrize(
    ("setting", "allowed"),
    [
        ("PAYMENTS_TEAMS_URL", True),
        ("BOB_SLACK_URL", True),
        ("A", True),
        ("A" * 121, True),
        ("A" * 122, False),
        ("", False),
        ("payments_teams_url", False),
        ("Payments_Url", False),
        ("1PAYMENTS", False),
        ("_PAYMENTS", False),
        ("PAYMENTS-URL", False),
        ("PAYMENTS.URL", False),
        (URL, False),
        ("MONITOR_TEAMS_WEBHOOK_URL", False),
        ("MONITOR_PAYMENTS_URL", False),
        ("AZURE_CLIENT_ID", False),
        ("AZUREWEBJOBSSTORAGE", False),
        ("FUNCTIONS_WORKER_RUNTIME", False),
        ("WEBSITE_RUN_FROM_PACKAGE", False),
        ("APPLICATIONINSIGHTS_CONNECTION_STRING", False),
    ],
)
def test_which_setting_names_a_deployment_accepts(setting, allowed):
    assert _allowed(setting) is allowed


@pytest.mark.parametrize("setting", ["PAYMENTS_TEAMS_URL", "A", "A1_", "A" * 121, "Z9" * 60])
def test_secret_names_are_key_vault_names(setting):
    assert SECRET_NAME.fullmatch(_secret_name(setting))


def test_secret_names_are_one_to_one_and_apart_from_the_monitor_secrets():
    settings = ["PAYMENTS_URL", "PAYMENTSURL", "PAYMENTS__URL", "PAYMENTS_URL_", "P1", "P_1"]
    names = [_secret_name(setting).lower() for setting in settings]  # Key Vault compares names without case
    monitor = {entry["name"] for entry in variable(APP, "secretValues")["entries"]}
    assert (len(set(names)), set(names) & monitor, all(name.startswith("route-") for name in names)) == (
        len(settings),
        set(),
        True,
    )


def test_the_longest_name_fills_a_secret_name():
    assert len(_secret_name("A" * variable(APP, "routeSettingMaxLength"))) == 127


def test_a_route_setting_can_clash_with_no_setting_the_template_sets():
    platform = set(variable(FUNCTION_APP, "platformSettings"))
    monitor = set(variable(APP, "monitorSettings"))
    assert sorted(name for name in platform | monitor if _allowed(name.upper())) == []


def test_a_route_setting_can_clash_with_no_setting_the_code_reads():
    # So the settings derived from the code (tests/infra/test_infra_settings.py) never include a route URL setting.
    assert sorted(name for name in code_settings() if _allowed(name.upper())) == []


# ---- no URL anywhere but Key Vault ----


def _messages() -> list[str]:
    """The messages of the checks: ARM refuses the property they name on an empty object, quoting it."""
    return re.findall(r"any\(\{\}\)\['((?:[^'\\]|\\.)*)'\]", source(APP))


def test_the_checks_stop_the_deployment_with_messages_that_show_no_url():
    messages = _messages()
    interpolated = [re.findall(r"\$\{([^}]*)\}", message) for message in messages]
    assert (len(messages), interpolated) == (3, [["entry.key"], [], ["route.setting"]])


def test_a_name_is_shown_only_once_it_passed_the_character_rule():
    # The character rule's message (the outer else) shows no name: a URL pasted as a name stays hidden.
    assert _setting_rule().endswith(f": any({{}})['{_messages()[1]}']")


def test_no_fail_function_the_checkov_parser_cannot_read():
    # checkov's Bicep parser (pycep 0.5) knows filter() as the only lambda function and no fail(): a file using
    # them is skipped whole, its checks unrun.
    code = [line for line in (source(APP) + source(FUNCTION_APP)).splitlines() if not line.lstrip().startswith("//")]
    assert re.findall(r"\b(fail|map|toObject|objectKeys|reduce|mapValues)\(", "\n".join(code)) == []


@pytest.mark.parametrize("relative", bicep_files())
def test_no_output_carries_a_route_url(relative):
    outputs = [line for line in source(relative).splitlines() if line.startswith("output ")]
    assert [line for line in outputs if "route" in line.lower()] == []


def test_route_urls_reach_modules_only_through_secure_parameters():
    carried = {
        (symbol, name)
        for symbol in template(APP)["modules"]
        for name, value in module(APP, symbol)["params"].items()
        if re.search(r"routeUrls|routeSecretValues|routeSecretEntries", json.dumps(value))
    }
    assert carried == {("keyVault", "routeSecrets")}


# ---- the preprovision hook ----

ROUTES = (
    "team=payments -> teams:PAYMENTS_TEAMS_URL @ana@contoso.com|Ana Diaz; owner=bob -> slack:BOB_SLACK_URL <@U0123>"
)
ENVIRONMENT = {"AZURE_SUBSCRIPTION_ID": "sub-host", "MONITOR_ROUTES": ROUTES}
BOTH = json.dumps({"PAYMENTS_TEAMS_URL": URL, "BOB_SLACK_URL": URL + "2"})


def _refused(az, values: dict[str, str]) -> str:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        az.run(HOOK, values)
    assert URL not in failure.value.stdout + failure.value.stderr
    return failure.value.stderr


def test_routes_with_a_url_for_every_setting_go_on(az):
    result = az.run(HOOK, {**ENVIRONMENT, "MONITOR_ROUTE_URLS": BOTH})
    assert URL not in result.stdout + result.stderr


def test_pretty_printed_route_urls_go_on(az):
    az.run(HOOK, {**ENVIRONMENT, "MONITOR_ROUTE_URLS": json.dumps(json.loads(BOTH), indent=2)})


def test_routes_without_route_urls_stop_the_provisioning(az):
    stderr = _refused(az, ENVIRONMENT)
    assert "PAYMENTS_TEAMS_URL BOB_SLACK_URL" in stderr or "BOB_SLACK_URL PAYMENTS_TEAMS_URL" in stderr


def test_a_route_whose_setting_has_no_url_is_named(az):
    stderr = _refused(az, {**ENVIRONMENT, "MONITOR_ROUTE_URLS": json.dumps({"PAYMENTS_TEAMS_URL": URL})})
    assert ("BOB_SLACK_URL" in stderr, "PAYMENTS_TEAMS_URL" in stderr) == (True, False)


@pytest.mark.parametrize("value", ["", URL, f'"{URL}"', f'["{URL}"]', f"PAYMENTS_TEAMS_URL={URL}"])
def test_route_urls_that_are_not_a_json_object_stop_the_provisioning_unprinted(az, value):
    assert "MONITOR_ROUTE_URLS must be a JSON object" in _refused(az, {**ENVIRONMENT, "MONITOR_ROUTE_URLS": value})


def test_a_route_to_a_monitor_setting_needs_no_route_url(az):
    az.run(HOOK, {"MONITOR_ROUTES": "team=ops -> teams:MONITOR_TEAMS_WEBHOOK_URL", "MONITOR_ROUTE_URLS": "{}"})


def test_no_routes_need_no_route_urls(az):
    az.run(HOOK, {"AZURE_SUBSCRIPTION_ID": "sub-host", "MONITOR_ROUTE_URLS": "{}"})
    assert az.calls() == []
