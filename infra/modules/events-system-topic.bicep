// The subscription's Event Grid system topic: ARM resource events of the whole subscription, with a
// system-assigned identity used to dead-letter without keys. A subscription has at most one system topic for its
// own events ("Only one Azure Event Grid system topic is allowed per source",
// https://learn.microsoft.com/azure/event-grid/system-topics): when it exists already (create = false) it is only
// referenced, never re-PUT, so its tags and identities stay as they are; it must then have its system-assigned
// identity on (the postdeploy hook checks).

@description('Name of the system topic.')
param name string

@description('Create the topic (true) or reference the existing one of this name in this resource group (false).')
param create bool = true

@description('Tags for every resource.')
param tags object = {}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (create) {
  name: name
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource existingTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: name
}

// if() evaluates only the branch it returns, so the reference of the other one is never made
// (https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-logical#if).
output id string = create ? systemTopic.id : existingTopic.id
output name string = name
output principalId string = create ? systemTopic.identity.principalId : existingTopic.identity.principalId
