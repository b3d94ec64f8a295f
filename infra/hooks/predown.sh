#!/bin/sh
# azd predown hook: removes what the postdeploy hook wired in each monitored subscription, before azd down deletes
# the app and its identity (afterwards the grants would be left pointing at a deleted principal):
#   - this app's event subscriptions on the subscription's system topic, found by their destination (the app's
#     functions), whatever their name; the topic itself stays, it may deliver to others;
#   - the role assignments of the monitor's identity (AZURE_MONITOR_PRINCIPAL_ID) at any scope in the subscription,
#     except in the app's own resource group, which azd down deletes with everything in it;
#   - the subscription's "APIM Defender Monitor" custom roles that nobody is assigned any more (another environment
#     monitoring the same subscription shares them, and ARM refuses to delete an assigned role).
# Idempotent: what is already gone is not found, so rerunning is safe. A failed az call is reported, the rest is still
# tried, and the hook then fails so that azd down stops while the identity still exists: fix the cause and rerun, or
# skip the clean-up with azd env set MONITORED_SUBSCRIPTION_IDS none.
# Reads MONITORED_SUBSCRIPTION_IDS like postdeploy.sh. Needs the Azure CLI, signed in with rights to delete role
# assignments and definitions and Event Grid event subscriptions.
set -eu
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/common.sh"

failures=0
warn() {
  echo "warning: $*" >&2
  failures=$((failures + 1))
}

unwire_events() {
  if ! topic=$(system_topic "$1"); then
    warn "could not list the system topics of subscription $1"
    return 0
  fi
  topic_id=$(printf '%s' "$topic" | cut -f1)
  if [ -z "$topic_id" ]; then
    return 0
  fi
  if ! names=$(app_event_subscriptions "$topic_id"); then
    warn "could not list the event subscriptions of $topic_id"
    return 0
  fi
  for name in $names; do
    echo "Deleting event subscription $name of $topic_id"
    delete_event_subscription "$topic_id" "$name" || warn "could not delete event subscription $name of $topic_id"
  done
}

unwire_roles() {
  if ! assignments=$(az role assignment list --subscription "$1" --all \
    --query "[].[id, principalId, roleDefinitionId]" --output tsv); then
    warn "could not list the role assignments of subscription $1"
    return 0
  fi
  principal=$(lower "$AZURE_MONITOR_PRINCIPAL_ID")
  ours=$(printf '%s\n' "$assignments" | awk -F '\t' -v principal="$principal" \
    -v inside="$(lower "/subscriptions/$1/")" -v app_group="$(lower "/subscriptions/$1/resourceGroups/${AZURE_RESOURCE_GROUP:-}/")" \
    'tolower($2) == principal && index(tolower($1), inside) == 1 && index(tolower($1), app_group) != 1 { print $1 }')
  for id in $ours; do
    echo "Deleting role assignment $id"
    az role assignment delete --ids "$id" || warn "could not delete role assignment $id"
  done

  if ! roles=$(az role definition list --subscription "$1" --scope "/subscriptions/$1" --custom-role-only true \
    --query "[].[name, roleName]" --output tsv); then
    warn "could not list the custom roles of subscription $1"
    return 0
  fi
  # Role definition ids (lower case) that a principal other than ours is still assigned.
  assigned=$(printf '%s\n' "$assignments" | awk -F '\t' -v principal="$principal" \
    'tolower($2) != principal { n = split(tolower($3), parts, "/"); print parts[n] }')
  for role in $(printf '%s\n' "$roles" | awk -F '\t' 'index($2, "APIM Defender Monitor ") == 1 { print $1 }'); do
    if printf '%s\n' "$assigned" | grep -qix -- "$role"; then
      echo "Keeping custom role $role: still assigned to another principal"
      continue
    fi
    echo "Deleting custom role $role"
    az role definition delete --subscription "$1" --scope "/subscriptions/$1" --name "$role" ||
      warn "could not delete custom role $role"
  done
}

subscriptions=$(monitored_subscriptions)
if [ -z "$subscriptions" ]; then
  echo "MONITORED_SUBSCRIPTION_IDS=none: nothing to unwire"
  exit 0
fi
for subscription in $subscriptions; do
  echo "Unwiring subscription $subscription from $AZURE_FUNCTION_APP_NAME"
  unwire_events "$subscription"
  unwire_roles "$subscription"
done
if [ "$failures" -gt 0 ]; then
  echo "error: $failures clean-up step(s) failed; fix and rerun azd down (the steps that worked are not repeated)" >&2
  exit 1
fi
