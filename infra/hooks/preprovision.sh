#!/bin/sh
# azd preprovision hook: gives the Key Vault a new name when this environment's last vault is soft-deleted.
# The vault has purge protection, so after `azd down` its name stays reserved for the 90-day retention and
# `azd up` would fail on it ("already exists in deleted state";
# https://learn.microsoft.com/azure/key-vault/general/soft-delete-change). AZURE_KEY_VAULT_NAME, the last
# provisioning's output that azd keeps in the environment, names that vault; when az lists it among the deleted
# vaults, the hook sets a new AZURE_KEY_VAULT_NAME_SALT, which main.bicep mixes into the vault name (azd reloads
# the environment after a hook, so this provisioning already uses it). The old vault purges itself after the
# retention. By hand: azd env set AZURE_KEY_VAULT_NAME_SALT <any new value>.
set -eu

if [ -z "${AZURE_KEY_VAULT_NAME:-}" ]; then
  exit 0
fi
deleted=$(az keyvault list-deleted --subscription "$AZURE_SUBSCRIPTION_ID" --resource-type vault \
  --query "[].name" --output tsv)
if printf '%s\n' "$deleted" | grep -qix -- "$AZURE_KEY_VAULT_NAME"; then
  salt=$(date -u +%Y%m%d%H%M%S)
  echo "Key Vault $AZURE_KEY_VAULT_NAME is soft-deleted (purge protection keeps its name): AZURE_KEY_VAULT_NAME_SALT=$salt"
  azd env set AZURE_KEY_VAULT_NAME_SALT "$salt"
fi
