#!/bin/sh
# azd postdeploy hook: wires each monitored subscription to the deployed function app with infra/subscription.bicep
# (least-privilege roles for the monitor's identity, Event Grid system topic + filtered event subscription).
# It runs after the code is deployed because Event Grid checks that the OnApiEvent function exists.
#
# azd environment values it reads (azd env set NAME VALUE):
#   MONITORED_SUBSCRIPTION_IDS   comma list of subscriptions to watch; default: the azd subscription; "none" skips
#   MONITORED_RESOURCE_GROUPS    grant on these resource groups instead of whole subscriptions; default: whole.
#                                "rg1,rg2"                   the same groups in every monitored subscription
#                                "SUB1:rg1,rg2;SUB2:rg3"     per subscription (subscription id, colon, groups)
#                                "rg1;SUB2:rg3"              an entry without "SUB:" is for the subscriptions not named
#                                A subscription named with no groups ("SUB2:") is granted whole. Naming a subscription
#                                that MONITORED_SUBSCRIPTION_IDS does not list is an error: a typo would otherwise
#                                widen the grant to the whole intended subscription.
#   MONITORED_EVENTS_RESOURCE_GROUP   resource group for a new system topic; default rg-apim-defender-events
#   MONITOR_AUTO_ONBOARD, MONITOR_AUTO_OFFBOARD_ORPHANS   the app's modes; "on" grants the write/delete roles,
#                                "approve" the onboarding role and the exemption role (tags/write)
# What exists is looked up with az and referenced, never re-created: the subscription's system topic for its own
# events (at most one per subscription; it must have its system-assigned identity on, which dead-letters) and the
# events resource group. The deployment is named per environment, app and region (at most 64 characters).
# Needs the Azure CLI, signed in (az login) with rights to create role definitions and assignments.
set -eu
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

subscriptions=$(monitored_subscriptions)
if [ -z "$subscriptions" ]; then
  echo "MONITORED_SUBSCRIPTION_IDS=none: no subscription wired"
  exit 0
fi
events_group="${MONITORED_EVENTS_RESOURCE_GROUP:-rg-apim-defender-events}"
spec=$(printf '%s' "${MONITORED_RESOURCE_GROUPS:-}" | tr -d ' ')

# Every "SUB:groups" entry must name a monitored subscription.
old_ifs=$IFS
IFS=';'
for entry in $spec; do
  case "$entry" in
    *:*)
      if ! printf '%s\n' "$subscriptions" | grep -qix -- "${entry%%:*}"; then
        echo "error: MONITORED_RESOURCE_GROUPS names subscription ${entry%%:*}, which MONITORED_SUBSCRIPTION_IDS does not list" >&2
        exit 1
      fi
      ;;
  esac
done
IFS=$old_ifs

# groups_for SUBSCRIPTION: the JSON array of resource groups to grant on there ([] = the whole subscription).
groups_for() {
  default=""
  named=""
  found=no
  old_ifs=$IFS
  IFS=';'
  for entry in $spec; do
    case "$entry" in
      *:*)
        if [ "$(lower "${entry%%:*}")" = "$(lower "$1")" ]; then
          named=${entry#*:}
          found=yes
        fi
        ;;
      *) default=$entry ;;
    esac
  done
  IFS=$old_ifs
  if [ "$found" = no ]; then
    named=$default
  fi
  printf '[%s]' "$(printf '%s' "$named" | sed 's/[^,][^,]*/"&"/g')"
}

# Subscription-scope deployments keep the location they were first created in, and names are at most 64
# characters: name this one per environment (cut to 40), app and region.
deployment_name="apimdef-wire-$(printf '%s' "$AZURE_ENV_NAME" | cut -c1-40)-$(printf '%s' "$AZURE_FUNCTION_APP_ID $AZURE_LOCATION" | cksum | cut -d' ' -f1)"

# A failed look-up stops the attempt: guessing "absent" would re-create what exists.
wire() {
  topic=$(system_topic "$1") || return 1
  topic_id=""
  group_exists=false
  if [ -n "$topic" ]; then
    topic_id=$(printf '%s' "$topic" | cut -f1)
    case "$(printf '%s' "$topic" | cut -f2)" in
      *SystemAssigned*) ;;
      *)
        echo "error: system topic $topic_id has no system-assigned identity, which dead-letters events; turn it on:" >&2
        echo "  az eventgrid system-topic update --ids $topic_id --identity systemassigned" >&2
        return 2
        ;;
    esac
  else
    exists=$(az group exists --name "$events_group" --subscription "$1") || return 1
    if [ "$exists" = "true" ]; then
      group_exists=true
    fi
  fi
  az deployment sub create \
    --subscription "$1" \
    --location "$AZURE_LOCATION" \
    --name "$deployment_name" \
    --template-file infra/subscription.bicep \
    --parameters \
      principalId="$AZURE_MONITOR_PRINCIPAL_ID" \
      functionAppId="$AZURE_FUNCTION_APP_ID" \
      deadLetterStorageAccountId="$AZURE_DEADLETTER_STORAGE_ACCOUNT_ID" \
      deadLetterContainerName="${AZURE_DEADLETTER_CONTAINER_NAME:-deadletter}" \
      autoOnboard="${MONITOR_AUTO_ONBOARD:-off}" \
      autoOffboardOrphans="${MONITOR_AUTO_OFFBOARD_ORPHANS:-off}" \
      resourceGroupNames="$(groups_for "$1")" \
      eventsResourceGroupName="$events_group" \
      eventsResourceGroupExists="$group_exists" \
      existingSystemTopicId="$topic_id" \
    --output none
}

# Before event subscriptions were named per app, this app's was "apim-defender-monitor": drop it once the new one
# exists, or every event would be delivered twice.
drop_legacy_event_subscription() {
  topic_id=$(system_topic "$1")
  topic_id=$(printf '%s' "$topic_id" | cut -f1)
  if [ -n "$topic_id" ] && app_event_subscriptions "$topic_id" | grep -qx 'apim-defender-monitor'; then
    echo "Removing the event subscription apim-defender-monitor of $topic_id (now named per app)"
    delete_event_subscription "$topic_id" apim-defender-monitor
  fi
}

for subscription in $subscriptions; do
  echo "Wiring subscription $subscription to $AZURE_FUNCTION_APP_NAME"
  # A freshly deployed app may take a minute to list OnApiEvent; Event Grid refuses the subscription until then.
  for attempt in 1 2 3 4; do
    status=0
    wire "$subscription" || status=$?
    if [ "$status" = 0 ]; then
      break
    fi
    if [ "$status" = 2 ] || [ "$attempt" = 4 ]; then
      echo "error: could not wire subscription $subscription" >&2
      exit 1
    fi
    echo "retrying in 30 s (attempt $attempt of 4 failed)"
    sleep 30
  done
  drop_legacy_event_subscription "$subscription"
done
