#!/bin/sh
# azd preprovision hook, three jobs before main.bicep is deployed (azd reloads the environment after a hook, so this
# provisioning already uses what the hook sets):
#
# 1. MONITOR_AUTO_ONBOARD=approve: the approval links are signed with MONITOR_APPROVAL_KEY. When the environment has no
#    key yet, the hook generates one, 32 random bytes in base64, and keeps it in the azd environment like the other
#    secrets (main.bicep stores it in Key Vault; the app setting is a Key Vault reference). Rotation: README.md,
#    "Approvals in Azure". Approvals also need the Entra app registration that signs approvers in
#    (AZURE_APPROVAL_CLIENT_ID) and who may approve (MONITOR_APPROVERS): without them the hook stops, since the app
#    would refuse its settings.
#
# 2. Gives the Key Vault a new name when this environment's last vault is soft-deleted. The vault has purge
#    protection, so after `azd down` its name stays reserved for the 90-day retention and `azd up` would fail on it
#    ("already exists in deleted state"; https://learn.microsoft.com/azure/key-vault/general/soft-delete-change).
#    AZURE_KEY_VAULT_NAME, the last provisioning's output that azd keeps in the environment, names that vault; when az
#    lists it among the deleted vaults, the hook sets a new AZURE_KEY_VAULT_NAME_SALT, which main.bicep mixes into the
#    vault name. The old vault purges itself after the retention. By hand:
#    azd env set AZURE_KEY_VAULT_NAME_SALT <any new value>.
#
# 3. MONITOR_ROUTES names the app settings that hold its webhook URLs; in Azure they come from MONITOR_ROUTE_URLS, a
#    JSON object {"SETTING": "https://..."} that main.bicep stores in Key Vault (README.md, "Routes in Azure"). The hook
#    stops before provisioning when MONITOR_ROUTE_URLS is not a JSON object (azd would print the value in its error)
#    or gives no URL to a setting that a route names (the app would refuse its settings). It never prints a URL. The
#    template checks the names themselves.
set -eu

if [ "${MONITOR_AUTO_ONBOARD:-off}" = "approve" ]; then
  missing=""
  [ -n "${AZURE_APPROVAL_CLIENT_ID:-}" ] || missing="$missing AZURE_APPROVAL_CLIENT_ID (the Entra app registration that signs approvers in)"
  [ -n "${MONITOR_APPROVERS:-}" ] || missing="$missing MONITOR_APPROVERS (e.g. role:Defender.Approver)"
  if [ -n "$missing" ]; then
    echo "error: MONITOR_AUTO_ONBOARD=approve needs:$missing; see README.md, \"Approvals in Azure\"" >&2
    exit 1
  fi
  if [ -z "${MONITOR_APPROVAL_KEY:-}" ]; then
    # 32 bytes from the kernel's CSPRNG, 44 characters of base64; never printed.
    key=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
    echo "MONITOR_APPROVAL_KEY: generated a new approval key (32 random bytes, base64)"
    azd env set MONITOR_APPROVAL_KEY "$key"
  fi
fi

route_urls=$(printf '%s' "${MONITOR_ROUTE_URLS:-}" | tr -d '\r\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
if [ -n "${MONITOR_ROUTE_URLS+set}" ]; then
  case "$route_urls" in
    \{*\}) ;;
    *)
      echo "error: MONITOR_ROUTE_URLS must be a JSON object, {\"SETTING\": \"https://...\"} ({} for none); value hidden, it holds secrets; see README.md, \"Routes in Azure\"" >&2
      exit 1
      ;;
  esac
fi
# The setting each route names: "tag=value -> kind:SETTING ...". The monitor's own MONITOR_* settings come from their
# own parameters; a malformed route is left to the app, whose error names it.
missing=""
for setting in $(printf '%s' "${MONITOR_ROUTES:-}" | tr ';' '\n' |
  sed -n 's/^[^>]*->[[:space:]]*[A-Za-z]*:\([A-Za-z_][A-Za-z0-9_]*\).*$/\1/p' | sort -u); do
  case "$setting" in
    MONITOR_*) continue ;;
  esac
  if ! printf '%s' "$route_urls" | grep -q "\"$setting\"[[:space:]]*:"; then
    missing="$missing $setting"
  fi
done
if [ -n "$missing" ]; then
  echo "error: MONITOR_ROUTES names app settings that MONITOR_ROUTE_URLS gives no URL:$missing; azd env set MONITOR_ROUTE_URLS '{\"SETTING\": \"https://...\"}', see README.md, \"Routes in Azure\"" >&2
  exit 1
fi

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
