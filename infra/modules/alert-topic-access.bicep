// Lets the function identity publish alerts to an existing Event Grid topic with Entra auth
// (MONITOR_EVENTGRID_TOPIC_ENDPOINT set, MONITOR_EVENTGRID_TOPIC_KEY empty). Deployed into the topic's resource group.

@description('Name of the existing Event Grid topic, in this resource group.')
param topicName string

@description('Principal id of the function app identity.')
param principalId string

// EventGrid Data Sender
var eventGridDataSenderRoleId = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource topic 'Microsoft.EventGrid/topics@2022-06-15' existing = {
  name: topicName
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, principalId, eventGridDataSenderRoleId)
  scope: topic
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSenderRoleId)
  }
}
