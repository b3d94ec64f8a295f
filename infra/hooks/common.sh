# Shared by the azd hooks (sourced, not run): which subscriptions are monitored and what of the wiring exists there.
# One copy of each rule, so the hook that wires a subscription and the one that unwires it agree.

# The monitored subscriptions, one per line: MONITORED_SUBSCRIPTION_IDS (comma list), default the azd subscription;
# nothing for "none".
monitored_subscriptions() {
  list="${MONITORED_SUBSCRIPTION_IDS:-${AZURE_SUBSCRIPTION_ID}}"
  if [ "$list" = "none" ]; then
    return 0
  fi
  printf '%s\n' "$list" | tr ',' '\n' | tr -d ' ' | grep -v '^$' || true
}

lower() {
  printf '%s' "$1" | tr '[:upper:]' '[:lower:]'
}

# system_topic SUBSCRIPTION: "ID<TAB>IDENTITY TYPE" of the subscription's system topic for its own events (type
# Microsoft.Resources.Subscriptions, source the subscription; there is at most one:
# https://learn.microsoft.com/azure/event-grid/system-topics), or nothing. Compared case-insensitively, as ARM does.
system_topic() {
  topics=$(az eventgrid system-topic list --subscription "$1" \
    --query "[].[id, topicType, source, identity.type]" --output tsv) || return 1
  printf '%s\n' "$topics" | awk -F '\t' -v source="$(lower "/subscriptions/$1")" \
    'tolower($2) == "microsoft.resources.subscriptions" && tolower($3) == source { print $1 "\t" $4; exit }'
}

# app_event_subscriptions TOPIC_ID: the names of the topic's event subscriptions that deliver to this function app
# (AZURE_FUNCTION_APP_ID), whatever they are called.
app_event_subscriptions() {
  subscription=$(printf '%s' "$1" | cut -d/ -f3)
  group=$(printf '%s' "$1" | cut -d/ -f5)
  deliveries=$(az eventgrid system-topic event-subscription list --subscription "$subscription" \
    --resource-group "$group" --system-topic-name "${1##*/}" \
    --query "[].[name, destination.resourceId]" --output tsv) || return 1
  printf '%s\n' "$deliveries" | awk -F '\t' -v app="$(lower "$AZURE_FUNCTION_APP_ID")/functions/" \
    'index(tolower($2), app) == 1 { print $1 }'
}

# delete_event_subscription TOPIC_ID NAME
delete_event_subscription() {
  az eventgrid system-topic event-subscription delete --subscription "$(printf '%s' "$1" | cut -d/ -f3)" \
    --resource-group "$(printf '%s' "$1" | cut -d/ -f5)" --system-topic-name "${1##*/}" --name "$2" --yes
}
