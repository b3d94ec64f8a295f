#!/bin/sh
# azd postdeploy hook: wires each monitored subscription to the deployed function app with infra/subscription.bicep
# (least-privilege roles for the monitor's identity, Event Grid system topic + filtered event subscription).
# It runs after the code is deployed because Event Grid checks that the OnApiEvent function exists.
#
# azd environment values it reads (azd env set NAME VALUE):
#   MONITORED_SUBSCRIPTION_IDS   comma list of subscriptions to watch; default: the azd subscription; "none" skips
#   MONITORED_RESOURCE_GROUPS    comma list of resource groups (in each of those subscriptions); default: all
#   MONITOR_AUTO_ONBOARD, MONITOR_AUTO_OFFBOARD_ORPHANS   the app's modes; "on" grants the write/delete roles
# Needs the Azure CLI, signed in (az login) with rights to create role definitions and assignments.
set -eu

subscriptions="${MONITORED_SUBSCRIPTION_IDS:-${AZURE_SUBSCRIPTION_ID}}"
if [ "$subscriptions" = "none" ]; then
  echo "MONITORED_SUBSCRIPTION_IDS=none: no subscription wired"
  exit 0
fi

groups="[]"
if [ -n "${MONITORED_RESOURCE_GROUPS:-}" ]; then
  groups="[$(printf '%s' "$MONITORED_RESOURCE_GROUPS" | tr -d ' ' | sed 's/[^,][^,]*/"&"/g')]"
fi

wire() {
  az deployment sub create \
    --subscription "$1" \
    --location "$AZURE_LOCATION" \
    --name "apim-defender-monitor-$AZURE_ENV_NAME" \
    --template-file infra/subscription.bicep \
    --parameters \
      principalId="$AZURE_MONITOR_PRINCIPAL_ID" \
      functionAppId="$AZURE_FUNCTION_APP_ID" \
      deadLetterStorageAccountId="$AZURE_DEADLETTER_STORAGE_ACCOUNT_ID" \
      deadLetterContainerName="${AZURE_DEADLETTER_CONTAINER_NAME:-deadletter}" \
      autoOnboard="${MONITOR_AUTO_ONBOARD:-off}" \
      autoOffboardOrphans="${MONITOR_AUTO_OFFBOARD_ORPHANS:-off}" \
      resourceGroupNames="$groups" \
    --output none
}

for subscription in $(printf '%s' "$subscriptions" | tr ',' ' '); do
  echo "Wiring subscription $subscription to $AZURE_FUNCTION_APP_NAME"
  # A freshly deployed app may take a minute to list OnApiEvent; Event Grid refuses the subscription until then.
  for attempt in 1 2 3 4; do
    if wire "$subscription"; then
      break
    fi
    if [ "$attempt" = 4 ]; then
      echo "error: could not wire subscription $subscription" >&2
      exit 1
    fi
    echo "retrying in 30 s (attempt $attempt of 4 failed)"
    sleep 30
  done
done
