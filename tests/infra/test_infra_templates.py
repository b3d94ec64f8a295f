"""The central deployment (infra/main.bicep and its modules): Flex Consumption function app, identity-only storage,
Entra-authenticated Application Insights, Key Vault references, and the house rules for role assignments."""

from __future__ import annotations

import json
import re
import stat
from typing import Any

import pytest
import yaml

from tests.infra.bicep import (
    INFRA,
    ROOT,
    bicep_files,
    body,
    decorators,
    guid_literals,
    module,
    render,
    resource,
    resources_of_type,
    source,
    template,
    variable,
)

FUNCTION_APP = "modules/functionapp.bicep"
STORAGE = "modules/storage.bicep"
KEY_VAULT = "modules/keyvault.bicep"
MONITORING = "modules/monitoring.bicep"

# Built-in role definition ids used by the templates, with their names (learn.microsoft.com built-in roles).
BUILT_IN_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
    "d5a91429-5739-47e2-a06b-3470a27159e7": "EventGrid Data Sender",
}


def _assignment_rules(name: str, element: dict[str, Any]) -> tuple[str, str, str]:
    """(expected first guid() argument, actual name, rendered roleDefinitionId) of one role assignment."""
    relative = name.split(":")[0]
    config = body(element)
    if "scope" in config:
        scope = f"{render(config['scope'])}.id"
    elif template(relative).get("globals", {}).get("scope", {}).get("value") == "subscription":
        scope = "subscription().id"
    else:
        scope = "resourceGroup().id"
    return scope, render(config["name"]), render(config["properties"]["roleDefinitionId"])


@pytest.mark.parametrize("relative", bicep_files())
def test_every_bicep_file_parses(relative):
    assert template(relative)


@pytest.mark.parametrize(
    ("relative", "symbol"),
    [(r, s) for r in bicep_files() for s, m in template(r).get("modules", {}).items() if m["type"] == "local"],
)
def test_module_paths_exist(relative, symbol):
    path = template(relative)["modules"][symbol]["detail"]["path"]
    assert ((INFRA / relative).parent / path).is_file()


@pytest.mark.parametrize(
    "relative", ["main.bicep", "subscription.bicep", "modules/events.bicep", "modules/roles.bicep"]
)
def test_entry_points_and_subscription_modules_target_the_subscription(relative):
    assert template(relative)["globals"]["scope"]["value"] == "subscription"


def test_app_deploys_into_a_resource_group():
    assert template("app.bicep")["globals"]["scope"]["value"] == "resourceGroup"


@pytest.mark.parametrize("name", sorted(set(template("app.bicep")["parameters"]) - {"location"}))
def test_main_declares_every_app_parameter_unchanged(name):
    assert template("main.bicep")["parameters"][name] == template("app.bicep")["parameters"][name]


def test_main_passes_every_app_parameter_by_name():
    params = module("main.bicep", "app")["params"]
    assert params == {name: name for name in template("app.bicep")["parameters"]}


def test_main_forwards_every_app_output():
    outputs = template("main.bicep")["outputs"]
    forwarded = {name: render(outputs[name]["value"]) for name in template("app.bicep")["outputs"]}
    assert forwarded == {name: f"app.outputs.{name}" for name in template("app.bicep")["outputs"]}


def test_plan_is_flex_consumption_fc1():
    plan = resource(FUNCTION_APP, "plan")
    assert (plan["sku"], plan["properties"]["reserved"]) == ({"tier": "FlexConsumption", "name": "FC1"}, True)


def test_function_app_runtime_is_python_311():
    config = resource(FUNCTION_APP, "site")["properties"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}


def test_deployment_package_lives_in_a_blob_container_reached_with_the_identity():
    storage = resource(FUNCTION_APP, "site")["properties"]["functionAppConfig"]["deployment"]["storage"]
    assert (storage["type"], storage["authentication"]) == (
        "blobContainer",
        {"type": "UserAssignedIdentity", "userAssignedIdentityResourceId": "identityId"},
    )


def test_function_app_runs_as_the_user_assigned_identity():
    site = resource(FUNCTION_APP, "site")
    assert (site["identity"]["type"], list(site["identity"]["userAssignedIdentities"])) == (
        "UserAssigned",
        ["'${identityId}'"],
    )


def test_key_vault_references_resolve_with_the_user_assigned_identity():
    assert resource(FUNCTION_APP, "site")["properties"]["keyVaultReferenceIdentity"] == "identityId"


def test_function_app_is_https_only_with_tls_12():
    site = resource(FUNCTION_APP, "site")
    assert (site["properties"]["httpsOnly"], site["properties"]["siteConfig"]["minTlsVersion"]) == (True, "1.2")


def test_site_config_has_no_ftps_state_which_flex_consumption_rejects():
    assert "ftpsState" not in resource(FUNCTION_APP, "site")["properties"]["siteConfig"]


def test_checkov_ftp_check_is_skipped_with_the_flex_consumption_reason():
    skips = dict(re.findall(r"checkov:skip=([A-Z0-9_]+):(.*)", source(FUNCTION_APP)))
    assert "ftpsState" in skips.get("CKV_AZURE_78", "")


@pytest.mark.parametrize("symbol", ["ftpPublishing", "scmPublishing"])
def test_basic_publishing_credentials_are_disabled(symbol):
    policy = resource(FUNCTION_APP, symbol)
    assert (policy["parent"], policy["properties"]) == ("site", {"allow": False})


def test_publishing_policies_cover_ftp_and_scm():
    names = {resource(FUNCTION_APP, s)["name"] for s in ("ftpPublishing", "scmPublishing")}
    assert names == {"ftp", "scm"}


def test_function_app_is_tagged_for_azd_service_monitor():
    assert "'azd-service-name': 'monitor'" in source(FUNCTION_APP)


def test_app_settings_are_built_from_platform_and_monitor_settings():
    # pycep's tree for an items() loop differs between its versions; the source line does not.
    loop = "var ownAppSettings = [for setting in items(union(platformSettings, monitorSettings)): {"
    assert loop in source(FUNCTION_APP).splitlines()


def test_azure_client_id_is_the_identity_client_id():
    platform = variable(FUNCTION_APP, "platformSettings")
    wired = render(module("app.bicep", "functionApp")["params"]["identityClientId"])
    assert (platform["AZURE_CLIENT_ID"], wired) == ("identityClientId", "identity.outputs.clientId")


def test_host_storage_is_identity_based_by_service_uri():
    platform = variable(FUNCTION_APP, "platformSettings")
    storage = {k: render(v) for k, v in platform.items() if k.startswith("AzureWebJobsStorage")}
    assert storage == {
        "AzureWebJobsStorage__blobServiceUri": "storageEndpoints.blob",
        "AzureWebJobsStorage__queueServiceUri": "storageEndpoints.queue",
        "AzureWebJobsStorage__tableServiceUri": "storageEndpoints.table",
        "AzureWebJobsStorage__credential": "managedidentity",
        "AzureWebJobsStorage__clientId": "identityClientId",
    }


def test_storage_uris_come_from_the_accounts_primary_endpoints():
    passed = render(module("app.bicep", "functionApp")["params"]["storageEndpoints"])
    output = render(template(STORAGE)["outputs"]["primaryEndpoints"]["value"])
    assert (passed, output) == ("storage.outputs.primaryEndpoints", "storage.properties.primaryEndpoints")


@pytest.mark.parametrize("relative", [*bicep_files(), "main.parameters.json"])
def test_no_public_cloud_endpoint_literals(relative):
    text = (INFRA / relative).read_text(encoding="utf-8")
    assert re.findall(r"core\.windows\.net|https://management\.azure\.com", text) == []


def test_arm_endpoint_defaults_to_the_resource_manager_of_the_cloud_deployed_to():
    setting = render(variable("app.bicep", "monitorSettings")["MONITOR_ARM_ENDPOINT"])
    declaration = next(line for line in source("app.bicep").splitlines() if line.startswith("var cloudArmEndpoint = "))
    assert (setting, declaration) == (
        "empty(armEndpoint) ? cloudArmEndpoint : armEndpoint",
        "var cloudArmEndpoint = endsWith(environment().resourceManager, '/') ? take(environment().resourceManager, "
        "length(environment().resourceManager) - 1) : environment().resourceManager",
    )


def test_application_insights_uses_entra_auth_with_the_identity():
    platform = variable(FUNCTION_APP, "platformSettings")
    assert platform["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "ClientId=${identityClientId};Authorization=AAD"


def test_application_insights_is_workspace_based_without_local_auth():
    properties = resource(MONITORING, "appInsights")["properties"]
    assert (render(properties["WorkspaceResourceId"]), properties["DisableLocalAuth"]) == ("workspace.id", True)


def test_identity_may_publish_telemetry():
    assignment = resource(MONITORING, "publisher")
    assert (assignment["scope"], render(assignment["properties"]["roleDefinitionId"])) == (
        "appInsights",
        "subscriptionResourceId(Microsoft.Authorization/roleDefinitions, monitoringMetricsPublisherRoleId)",
    )


@pytest.mark.parametrize(
    "setting",
    ["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "AzureWebJobsStorage"],
)
def test_no_setting_that_flex_consumption_rejects_or_that_carries_a_key(setting):
    names = set(variable(FUNCTION_APP, "platformSettings")) | set(variable("app.bicep", "monitorSettings"))
    assert setting not in names


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("allowSharedKeyAccess", False, id="no-shared-keys"),
        pytest.param("allowBlobPublicAccess", False, id="no-public-blobs"),
        pytest.param("minimumTlsVersion", "TLS1_2", id="tls12"),
        pytest.param("supportsHttpsTrafficOnly", True, id="https-only"),
        pytest.param("defaultToOAuthAuthentication", True, id="entra-by-default"),
    ],
)
def test_storage_account_is_identity_only(key, expected):
    assert resource(STORAGE, "storage")["properties"][key] == expected


def test_function_identity_gets_blob_owner_queue_and_table_contributor_on_the_storage_account():
    roles = {BUILT_IN_ROLES[variable(STORAGE, name)] for name in variable(STORAGE, "functionRoleIds")}
    assert roles == {"Storage Blob Data Owner", "Storage Queue Data Contributor", "Storage Table Data Contributor"}


def test_storage_role_assignments_loop_over_the_function_roles_on_the_account():
    element = template(STORAGE)["resources"]["functionAccess"]
    loop = element["config"]["loop_type"]["detail"]
    assert (loop["array_name"], body(element)["scope"], body(element)["properties"]["principalId"]) == (
        "functionRoleIds",
        "storage",
        "principalId",
    )


@pytest.mark.parametrize(
    ("symbol", "parent"),
    [
        pytest.param("deploymentContainer", "blobService", id="deployment-package"),
        pytest.param("deadLetterContainer", "blobService", id="dead-letters"),
        pytest.param("sweepQueue", "queueService", id="sweep-queue"),
        pytest.param("onboardQueue", "queueService", id="onboard-queue"),
    ],
)
def test_storage_holds_the_package_container_dead_letters_and_queues(symbol, parent):
    assert resource(STORAGE, symbol)["parent"] == parent


def test_onboard_queue_is_named_by_the_onboard_queue_setting():
    params = module("app.bicep", "storage")["params"]
    settings = variable("app.bicep", "monitorSettings")
    assert params["onboardQueueName"] == settings["MONITOR_ONBOARD_QUEUE"] == "onboardQueue"


def test_onboard_queue_defaults_to_apim_onboard():
    assert template("app.bicep")["parameters"]["onboardQueue"]["default"] == "apim-onboard"


def test_queue_data_role_is_granted_on_the_whole_account_so_it_covers_every_queue():
    access = body(template(STORAGE)["resources"]["functionAccess"])
    roles = {BUILT_IN_ROLES[variable(STORAGE, name)] for name in variable(STORAGE, "functionRoleIds")}
    assert (access["scope"], "Storage Queue Data Contributor" in roles) == ("storage", True)


def test_flex_scale_out_is_capped_by_the_parameter():
    scale = resource(FUNCTION_APP, "site")["properties"]["functionAppConfig"]["scaleAndConcurrency"]
    assert scale["maximumInstanceCount"] == "maximumInstanceCount"


def test_app_passes_its_maximum_instance_count_to_the_function_app():
    assert module("app.bicep", "functionApp")["params"]["maximumInstanceCount"] == "maximumInstanceCount"


@pytest.mark.parametrize(
    ("relative", "name"),
    [
        pytest.param(STORAGE, "skuName", id="storage-module"),
        pytest.param("app.bicep", "storageSkuName", id="app"),
        pytest.param("main.bicep", "storageSkuName", id="main"),
    ],
)
def test_storage_sku_defaults_to_lrs_which_every_region_offers(relative, name):
    assert template(relative)["parameters"][name]["default"] == "Standard_LRS"


def test_storage_sku_still_allows_zone_and_geo_zone_redundancy():
    allowed = next(
        d["argument"]
        for d in template("main.bicep")["parameters"]["storageSkuName"]["decorators"]
        if d["type"] == "allowed"
    )
    assert {"Standard_ZRS", "Standard_GZRS"} <= set(allowed)


def test_storage_account_takes_the_sku_parameter():
    assert (module("app.bicep", "storage")["params"]["skuName"], resource(STORAGE, "storage")["sku"]) == (
        "storageSkuName",
        {"name": "skuName"},
    )


def test_azd_environment_value_azure_storage_sku_sets_the_storage_sku():
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert parameters["storageSkuName"]["value"] == "${AZURE_STORAGE_SKU=Standard_LRS}"


def test_sweep_queue_is_named_by_the_sweep_queue_setting():
    params = module("app.bicep", "storage")["params"]
    settings = variable("app.bicep", "monitorSettings")
    assert params["sweepQueueName"] == settings["MONITOR_SWEEP_QUEUE"] == "sweepQueue"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("enableRbacAuthorization", True, id="rbac"),
        pytest.param("enablePurgeProtection", True, id="purge-protection"),
        pytest.param("enableSoftDelete", True, id="soft-delete"),
    ],
)
def test_key_vault_uses_rbac_with_soft_delete_and_purge_protection(key, expected):
    assert resource(KEY_VAULT, "vault")["properties"][key] == expected


def test_key_vault_has_no_access_policies():
    assert "accessPolicies" not in resource(KEY_VAULT, "vault")["properties"]


def test_function_identity_is_key_vault_secrets_user_on_the_vault():
    assignment = resource(KEY_VAULT, "reader")
    role = BUILT_IN_ROLES[variable(KEY_VAULT, "keyVaultSecretsUserRoleId")]
    assert (assignment["scope"], assignment["properties"]["principalId"], role) == (
        "vault",
        "principalId",
        "Key Vault Secrets User",
    )


def test_only_secrets_with_a_value_are_created():
    loop = template(KEY_VAULT)["resources"]["secret"]["config"]["loop_type"]["detail"]
    declaration = (
        "var configuredSecrets = filter(concat(secrets.entries, routeSecrets.entries), secret => !empty(secret.value))"
    )
    assert (loop["array_name"], declaration in source(KEY_VAULT).splitlines()) == ("configuredSecrets", True)


def test_secrets_parameter_of_the_vault_module_is_secure():
    assert "secure" in decorators(template(KEY_VAULT)["parameters"]["secrets"])


@pytest.mark.parametrize(("relative", "line", "guid"), [(r, i, g) for r in bicep_files() for i, g in guid_literals(r)])
def test_built_in_role_ids_are_named_variables_with_the_role_in_a_comment(relative, line, guid):
    lines = source(relative).splitlines()
    assert (re.match(r"var \w+RoleId = '", lines[line]) is not None, lines[line - 1]) == (
        True,
        f"// {BUILT_IN_ROLES[guid]}",
    )


@pytest.mark.parametrize(
    ("name", "element"), list(resources_of_type("Microsoft.Authorization/roleAssignments").items())
)
def test_role_assignments_are_named_guid_of_scope_principal_and_role(name, element):
    scope, actual, role_definition = _assignment_rules(name, element)
    role = actual.rsplit(", ", 1)[-1].rstrip(")")
    assert (actual, role in role_definition) == (f"guid({scope}, principalId, {role})", True)


@pytest.mark.parametrize(
    ("name", "element"), list(resources_of_type("Microsoft.Authorization/roleAssignments").items())
)
def test_role_assignments_name_a_service_principal(name, element):
    assert body(element)["properties"]["principalType"] == "ServicePrincipal"


@pytest.mark.parametrize("relative", bicep_files())
def test_every_checkov_skip_gives_a_reason(relative):
    skips = re.findall(r"checkov:skip=([A-Z0-9_]+)(:?)(.*)", source(relative))
    assert [check for check, colon, reason in skips if not colon or len(reason.strip()) < 30] == []


def test_azure_yaml_deploys_the_function_app_service_monitor_from_the_repository_root():
    config = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    assert config["services"]["monitor"] == {"project": ".", "language": "python", "host": "function"}


def test_azure_yaml_provisions_infra_main_bicep():
    config = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    assert config["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}


def test_azure_yaml_postdeploy_hook_is_an_executable_script_deploying_subscription_bicep():
    config = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    hook = ROOT / config["hooks"]["postdeploy"]["run"]
    assert (
        bool(hook.stat().st_mode & stat.S_IXUSR),
        "--template-file infra/subscription.bicep" in hook.read_text(),
    ) == (
        True,
        True,
    )


def test_azure_yaml_names_only_files_that_exist():
    text = re.sub(r"https?://\S+", "", (ROOT / "azure.yaml").read_text(encoding="utf-8"))
    paths = set(re.findall(r"(?:\./)?[\w.-]+(?:/[\w.-]+)*\.(?:bicep|json|md|sh|yaml)\b", text)) | {".funcignore"}
    assert sorted(path for path in paths if not (ROOT / path).exists()) == []


@pytest.mark.parametrize("hook", ["preprovision", "postdeploy", "predown"])
def test_azure_yaml_hooks_are_executable_scripts(hook):
    config = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    assert (ROOT / config["hooks"][hook]["run"]).stat().st_mode & stat.S_IXUSR


def test_no_worker_indexing_feature_flag_which_the_python_v2_model_needs_no_more():
    names = set(variable(FUNCTION_APP, "platformSettings")) | set(variable("app.bicep", "monitorSettings"))
    assert "AzureWebJobsFeatureFlags" not in names


def test_parameters_file_covers_every_parameter_without_a_default():
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    required = {name for name, p in template("main.bicep")["parameters"].items() if "default" not in p}
    assert required - set(parameters) == set()


def test_parameters_file_names_only_parameters_of_main_bicep():
    parameters = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert set(parameters) - set(template("main.bicep")["parameters"]) == set()
