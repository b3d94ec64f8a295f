// The subscription's Event Grid system topic: ARM resource events of the whole subscription, with a
// system-assigned identity used to dead-letter without keys.

@description('Name of the system topic.')
param name string

@description('Tags for every resource.')
param tags object = {}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
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

output id string = systemTopic.id
output name string = systemTopic.name
output principalId string = systemTopic.identity.principalId
