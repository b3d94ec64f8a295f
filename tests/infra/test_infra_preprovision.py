"""azd's preprovision hook (infra/hooks/preprovision.sh) gives the Key Vault a new name when the environment's last
vault is soft-deleted (purge protection keeps the name for 90 days), through AZURE_KEY_VAULT_NAME_SALT, and with
MONITOR_AUTO_ONBOARD=approve generates the approval links' signing key once and refuses to go on without the sign-in
registration and the approvers."""

from __future__ import annotations

import base64
import subprocess

import pytest
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


APPROVE = {
    "AZURE_SUBSCRIPTION_ID": "sub-host",
    "MONITOR_AUTO_ONBOARD": "approve",
    "AZURE_APPROVAL_CLIENT_ID": "00000000-0000-0000-0000-0000000000a1",
    "MONITOR_APPROVERS": "role:Defender.Approver",
}


def test_approve_without_a_key_gets_32_random_bytes_in_base64(az):
    az.run(HOOK, APPROVE)
    (call,) = az.calls("azd")
    assert (call[:3], len(base64.b64decode(call[3], validate=True))) == (["env", "set", "MONITOR_APPROVAL_KEY"], 32)


def test_two_generated_keys_differ(az):
    az.run(HOOK, APPROVE)
    az.run(HOOK, APPROVE)
    first, second = (call[3] for call in az.calls("azd"))
    assert first != second


def test_the_generated_key_is_never_printed(az):
    result = az.run(HOOK, APPROVE)
    (call,) = az.calls("azd")
    assert call[3] not in result.stdout + result.stderr


def test_an_existing_approval_key_is_kept(az):
    az.run(HOOK, {**APPROVE, "MONITOR_APPROVAL_KEY": "k" * 44})
    assert az.calls("azd") == []


@pytest.mark.parametrize("mode", ["off", "dry-run", "on"])
def test_no_approval_key_without_approve(az, mode):
    az.run(HOOK, {**APPROVE, "MONITOR_AUTO_ONBOARD": mode})
    assert az.calls("azd") == []


@pytest.mark.parametrize("missing", ["AZURE_APPROVAL_CLIENT_ID", "MONITOR_APPROVERS"])
def test_approve_stops_without_the_sign_in_registration_or_the_approvers(az, missing):
    values = {name: value for name, value in APPROVE.items() if name != missing}
    with pytest.raises(subprocess.CalledProcessError) as failure:
        az.run(HOOK, values)
    assert (missing in failure.value.stderr, az.calls("azd")) == (True, [])


def test_approve_still_renames_a_soft_deleted_vault(az):
    az.answer("keyvault list-deleted", "kv-apimdef-abcdefghijk")
    az.run(HOOK, {**APPROVE, "MONITOR_APPROVAL_KEY": "k" * 44, "AZURE_KEY_VAULT_NAME": "kv-apimdef-abcdefghijk"})
    assert [call[:3] for call in az.calls("azd")] == [["env", "set", "AZURE_KEY_VAULT_NAME_SALT"]]
