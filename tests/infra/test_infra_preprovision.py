"""azd's preprovision hook (infra/hooks/preprovision.sh) gives the Key Vault a new name when the environment's last
vault is soft-deleted (purge protection keeps the name for 90 days), through AZURE_KEY_VAULT_NAME_SALT."""

from __future__ import annotations

import yaml

from tests.infra.bicep import INFRA, ROOT

HOOK = INFRA / "hooks" / "preprovision.sh"
AZD_ENVIRONMENT = {"AZURE_SUBSCRIPTION_ID": "sub-host", "AZURE_KEY_VAULT_NAME": "kv-apimdef-abcdefghijk"}


def test_a_soft_deleted_vault_gets_the_next_provisioning_a_new_salt(az):
    az.answer("keyvault list-deleted", "kv-other\nkv-apimdef-abcdefghijk")
    az.run(HOOK, AZD_ENVIRONMENT)
    assert [call[:3] for call in az.calls("azd")] == [["env", "set", "AZURE_KEY_VAULT_NAME_SALT"]]


def test_deleted_vault_names_compare_without_case(az):
    az.answer("keyvault list-deleted", "KV-APIMDEF-ABCDEFGHIJK")
    az.run(HOOK, AZD_ENVIRONMENT)
    assert len(az.calls("azd")) == 1


def test_a_live_vault_keeps_its_name(az):
    az.answer("keyvault list-deleted", "kv-other")
    az.run(HOOK, AZD_ENVIRONMENT)
    assert az.calls("azd") == []


def test_a_first_provisioning_looks_nothing_up(az):
    az.run(HOOK, {"AZURE_SUBSCRIPTION_ID": "sub-host"})
    assert az.calls() == []


def test_the_look_up_is_in_the_azd_subscription(az):
    az.run(HOOK, AZD_ENVIRONMENT)
    (call,) = az.calls()
    assert call[call.index("--subscription") + 1] == "sub-host"


def test_azure_yaml_runs_the_hook_before_provisioning():
    config = yaml.safe_load((ROOT / "azure.yaml").read_text(encoding="utf-8"))
    assert config["hooks"]["preprovision"]["run"] == "./infra/hooks/preprovision.sh"
