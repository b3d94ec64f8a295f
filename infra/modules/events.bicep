// Event delivery for one monitored subscription, pointing at the one central function app: the subscription's
// Event Grid system topic (Microsoft.Resources.Subscriptions, location global, system-assigned identity) and a
// filtered event subscription to the OnApiEvent function, retrying for a day and dead-lettering to a blob container
// in the central storage account with the topic's own identity (no keys). Deploy it into any number of subscriptions.
//
// Nothing that exists is re-declared: a subscription has at most one system topic for its own events, so when it has
// one (existingSystemTopicId, the postdeploy hook finds it with az) the event subscription is added to it; and an
// existing resource group is referenced, not PUT again (a PUT with another location fails with
// InvalidResourceGroupLocation and replaces the group's tags). Each central app gets its own event subscription
// (named after the app), so a second environment or region never takes over the first one's events.
targetScope = 'subscription'

@description('Resource id of the central function app.')
param functionAppId string

@description('Resource id of the central storage account that holds the dead-letter container.')
param deadLetterStorageAccountId string

@description('Blob container for dead-lettered events.')
param deadLetterContainerName string = 'deadletter'

@description('Resource group (in this subscription) for a new system topic.')
param resourceGroupName string = 'rg-apim-defender-events'

@description('True when resourceGroupName exists already (az group exists): it is then referenced, never re-created.')
param resourceGroupExists bool = false

@description('Resource id of the subscription\'s existing Microsoft.Resources.Subscriptions system topic; empty = create one named systemTopicName in resourceGroupName.')
param existingSystemTopicId string = ''

@description('Region of a new resource group (the topic itself is global).')
param location string = deployment().location

@description('Name of a new system topic.')
param systemTopicName string = 'evgt-apim-defender-monitor'

@description('Tags for every new resource.')
param tags object = {
  application: 'apim-defender-monitor'
}

var useExistingTopic = !empty(existingSystemTopicId)
var topicParts = split(useExistingTopic ? existingSystemTopicId : '${subscription().id}/resourceGroups/${resourceGroupName}/providers/Microsoft.EventGrid/systemTopics/${systemTopicName}', '/')
var storageParts = split(deadLetterStorageAccountId, '/')
// Deployment names are unique per central app and monitored subscription: a fixed name is shared by every
// environment deploying here, and nested deployments of another app would overwrite each other's.
var nameSuffix = uniqueString(functionAppId, subscription().id)

resource newGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = if (!useExistingTopic && !resourceGroupExists) {
  name: resourceGroupName
  location: location
  tags: tags
}

resource eventsGroup 'Microsoft.Resources/resourceGroups@2024-03-01' existing = {
  name: topicParts[4]
}

module topic 'events-system-topic.bicep' = {
  name: 'apimdef-topic-${nameSuffix}'
  scope: eventsGroup
  params: {
    name: last(topicParts)
    create: !useExistingTopic
    tags: tags
  }
  dependsOn: [
    newGroup
  ]
}

// The topic's identity writes dead letters into the central container (another subscription, maybe).
module deadLetterAccess 'deadletter-access.bicep' = {
  name: 'apimdef-deadletter-${nameSuffix}'
  scope: resourceGroup(storageParts[2], storageParts[4])
  params: {
    storageAccountName: last(storageParts)
    containerName: deadLetterContainerName
    principalId: topic.outputs.principalId
  }
}

module functionSubscription 'events-function-subscription.bicep' = {
  name: 'apimdef-eventsub-${nameSuffix}'
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
