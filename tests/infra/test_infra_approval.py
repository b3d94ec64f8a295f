"""MONITOR_AUTO_ONBOARD=approve in Azure (issue 12): App Service authentication with Entra on the function app, only
when approving, letting unauthenticated requests through to the code (Event Grid's webhook and the Approve function's
own redirect to /.auth/login/aad); the approval keys as Key Vault references; the Approve function's public URL."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import pytest

from tests.infra.bicep import (
    INFRA,
    ROOT,
    body,
    condition,
    decorators,
    module,
    render,
    resources_of_type,
    template,
    variable,
)

APP = "app.bicep"
FUNCTION_APP = "modules/functionapp.bicep"
SIGN_IN = "modules/approval-signin.bicep"


def auth() -> dict[str, Any]:
    return body(template(SIGN_IN)["resources"]["auth"])


def test_sign_in_is_configured_only_when_approving():
    element = template(APP)["modules"]["approvalSignIn"]
    assert (condition(element), render(variable(APP, "approvalEnabled"))) == (
        "approvalEnabled",
        "autoOnboard == approve",
    )


def test_sign_in_is_the_authsettings_v2_of_the_function_app_and_the_only_one():
    configs = resources_of_type("Microsoft.Web/sites/config")
    site = template(SIGN_IN)["resources"]["site"]
    passed = module(APP, "approvalSignIn")["params"]["siteName"]
    assert (
        {name: (body(c)["name"], body(c)["parent"]) for name, c in configs.items()},
        (site["existing"], body(site)["name"]),
        render(passed),
    ) == ({f"{SIGN_IN}:auth": ("authsettingsV2", "site")}, (True, "siteName"), "functionApp.outputs.name")


def test_unauthenticated_requests_reach_the_code():
    # AllowAnonymous: Event Grid's deliveries to /runtime/webhooks/eventgrid carry no Entra token, and the Approve
    # function redirects a signed-out approver itself; nothing is excluded because nothing is required.
    assert auth()["properties"]["globalValidation"] == {
        "requireAuthentication": False,
        "unauthenticatedClientAction": "AllowAnonymous",
    }


def test_the_authentication_module_is_on_and_https_only():
    properties = auth()["properties"]
    assert (properties["platform"], properties["httpSettings"]) == ({"enabled": True}, {"requireHttps": True})


def test_entra_is_the_only_provider_with_the_registration_from_the_parameters_and_no_secret():
    providers = auth()["properties"]["identityProviders"]
    assert providers == {
        "azureActiveDirectory": {
            "enabled": True,
            "registration": {"clientId": "clientId", "openIdIssuer": "issuer"},
        }
    }


def test_no_token_store():
    assert auth()["properties"]["login"] == {"tokenStore": {"enabled": False}}


def test_the_issuer_is_the_tenant_v2_endpoint_of_this_cloud_unless_given():
    passed = module(APP, "approvalSignIn")["params"]
    assert (passed["clientId"], passed["issuer"], render(variable(APP, "approvalIssuerUrl"))) == (
        "approvalClientId",
        "approvalIssuerUrl",
        "empty(approvalIssuer) ? ${environment().authentication.loginEndpoint}"
        "${empty(approvalTenantId) ? tenant().tenantId : approvalTenantId}/v2.0 : approvalIssuer",
    )


@pytest.mark.parametrize(
    ("param", "environment_value"),
    [
        ("approvalClientId", "${AZURE_APPROVAL_CLIENT_ID}"),
        ("approvalTenantId", "${AZURE_APPROVAL_TENANT_ID}"),
        ("approvalIssuer", "${AZURE_APPROVAL_ISSUER}"),
    ],
)
def test_azd_environment_values_name_the_sign_in_registration(param, environment_value):
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert (template(APP)["parameters"][param]["default"], parameters[param]["value"]) == ("", environment_value)


def test_the_approval_url_is_the_approve_route_on_the_apps_host_only_when_approving():
    settings = variable(APP, "monitorSettings")
    assert (render(settings["MONITOR_APPROVAL_URL"]), render(variable(APP, "defaultApprovalUrl"))) == (
        "empty(approvalUrl) ? defaultApprovalUrl : approvalUrl",
        "approvalEnabled ? https://${functionAppName}.${appServiceDomain}/api/approve : ''",
    )


def test_the_apps_host_is_in_the_app_service_domain_of_the_cloud_deployed_to():
    assert (variable(APP, "appServiceDomains"), render(variable(APP, "appServiceDomain"))) == (
        {
            "AzureCloud": "azurewebsites.net",
            "AzureUSGovernment": "azurewebsites.us",
            "AzureChinaCloud": "chinacloudsites.cn",
        },
        "contains(appServiceDomains, environment().name) ? appServiceDomains[environment().name]"
        " : appServiceDomains.AzureCloud",
    )


def test_the_real_host_name_is_an_output_to_check_the_computed_one_against():
    assert render(template(APP)["outputs"]["AZURE_FUNCTION_APP_HOST_NAME"]["value"]) == (
        "functionApp.outputs.defaultHostName"
    )


def _routes() -> list[str]:
    tree = ast.parse((ROOT / "function_app.py").read_text(encoding="utf-8"))
    return [
        keyword.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "route"
        for keyword in node.keywords
        if keyword.arg == "route" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str)
    ]


def test_the_approval_url_path_is_the_approve_functions_route_under_the_hosts_prefix():
    # host.json keeps the default HTTP route prefix, "api" (extensions.http.routePrefix).
    prefix = json.loads((ROOT / "host.json").read_text(encoding="utf-8")).get("extensions", {}).get("http", {})
    path = f"/{prefix.get('routePrefix', 'api')}/{_routes()[0]}"
    assert (_routes(), path) == (["approve"], "/api/approve")


@pytest.mark.parametrize(
    ("setting", "param", "secret"),
    [
        ("MONITOR_APPROVAL_KEY", "approvalKey", "monitor-approval-key"),
        ("MONITOR_APPROVAL_KEY_PREVIOUS", "approvalKeyPrevious", "monitor-approval-key-previous"),
    ],
)
def test_approval_keys_are_key_vault_references_to_secure_parameters(setting, param, secret):
    reference = render(variable(APP, "monitorSettings")[setting])
    entries = {entry["name"]: entry["value"] for entry in variable(APP, "secretValues")["entries"]}
    assert (reference, entries[secret], "secure" in decorators(template(APP)["parameters"][param])) == (
        f"empty({param}) ? '' : @Microsoft.KeyVault(SecretUri=${{keyVault.outputs.uri}}secrets/{secret}/)",
        param,
        True,
    )


@pytest.mark.parametrize(
    ("param", "default"),
    [
        ("approvalHours", "72"),
        ("exemptDays", "30"),
        ("approvers", ""),
        ("ownerTags", "owner,team"),
        ("routes", ""),
        ("onboardWaveSize", ""),
        ("onboardWaveMinutes", ""),
        ("onboardCapacityLimit", "70"),
        ("approvalUrl", ""),
    ],
)
def test_approval_and_wave_parameters_default_to_the_codes_defaults(param, default):
    assert template(APP)["parameters"][param]["default"] == default


def test_no_local_approver_in_azure():
    assert variable(APP, "monitorSettings")["MONITOR_APPROVAL_LOCAL_USER"] == ""


def test_checkov_skips_name_the_approve_route_and_its_sign_in():
    skips = dict(re.findall(r"checkov:skip=([A-Z0-9_]+):(.*)", (INFRA / FUNCTION_APP).read_text(encoding="utf-8")))
    assert ("Approve" in skips["CKV_AZURE_213"], "Entra" in skips["CKV_AZURE_17"]) == (True, True)
