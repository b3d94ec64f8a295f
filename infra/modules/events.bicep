// Event delivery for one monitored subscription, pointing at the one central function app: the subscription's
// Event Grid system topic (Microsoft.Resources.Subscriptions, location global, system-assigned identity) and a
// filtered event subscription to the OnApiEvent function, retrying for a day and dead-lettering to a blob container
// in the central storage account with the topic's own identity (no keys). Deploy it into any number of subscriptions.
//
// A subscription has at most one system topic for its own events: if one exists already, pass its name and resource
// group (systemTopicName, resourceGroupName) so the event subscription is added to it.
targetScope = 'subscription'

@description('Resource id of the central function app.')
param functionAppId string

@description('Resource id of the central storage account that holds the dead-letter container.')
param deadLetterStorageAccountId string

@description('Blob container for dead-lettered events.')
param deadLetterContainerName string = 'deadletter'

@description('Resource group (in this subscription) for the system topic; created if missing.')
param resourceGroupName string = 'rg-apim-defender-events'

@description('Region of that resource group (the topic itself is global).')
param location string = deployment().location

@description('Name of the subscription\'s system topic.')
param systemTopicName string = 'evgt-apim-defender-monitor'

@description('Tags for every resource.')
param tags object = {
  application: 'apim-defender-monitor'
}

var storageParts = split(deadLetterStorageAccountId, '/')

resource eventsGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module topic 'events-system-topic.bicep' = {
  name: 'apimdef-system-topic'
  scope: eventsGroup
  params: {
    name: systemTopicName
    tags: tags
  }
}

// The topic's identity writes dead letters into the central container (another subscription, maybe).
module deadLetterAccess 'deadletter-access.bicep' = {
  name: 'apimdef-deadletter-${subscription().subscriptionId}'
  scope: resourceGroup(storageParts[2], storageParts[4])
  params: {
    storageAccountName: last(storageParts)
    containerName: deadLetterContainerName
    principalId: topic.outputs.principalId
  }
}

module functionSubscription 'events-function-subscription.bicep' = {
  name: 'apimdef-event-subscription'
  scope: eventsGroup
  params: {
    systemTopicName: topic.outputs.name
    functionAppId: functionAppId
    deadLetterStorageAccountId: deadLetterStorageAccountId
    deadLetterContainerName: deadLetterContainerName
  }
  dependsOn: [
    deadLetterAccess
  ]
}

output systemTopicId string = topic.outputs.id
output eventSubscriptionId string = functionSubscription.outputs.id
