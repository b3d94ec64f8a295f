// The event subscription from the subscription's system topic to the central OnApiEvent function. The server-side
// filter keeps only the writes that can change a finding, by data.operationName (the RBAC action of the call:
// https://learn.microsoft.com/azure/event-grid/event-schema-subscriptions): APIs written or deleted in the service
// or in a workspace; Defender for APIs collections written or deleted by anyone (someone onboarding or offboarding
// by hand); the Defender plan; the APIM service itself (its tier, region and tags, the exemption tag among them);
// and tags set through the Tags API (Microsoft.Resources/tags/write on the service, which raises no service write:
// https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources). An API's child writes
// (operations, policies, schemas, revisions) raise events with other operation names and never reach the
// function. StringIn is case-insensitive and takes at most 25 values across all advanced filters
// (https://learn.microsoft.com/azure/event-grid/event-filtering#limitations).

@description('Name of the existing system topic in this resource group.')
param systemTopicName string

@description('Resource id of the central function app.')
param functionAppId string

@description('Name of the Event Grid triggered function (function_app.py).')
param functionName string = 'OnApiEvent'

@description('Resource id of the storage account holding the dead-letter container.')
param deadLetterStorageAccountId string

@description('Blob container for dead-lettered events.')
param deadLetterContainerName string = 'deadletter'

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

// One event subscription per central app (3-64 letters, digits and hyphens): under a fixed name a second
// environment's deployment would silently re-point the first one's subscription to itself.
resource functionSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'apim-defender-monitor-${uniqueString(functionAppId)}'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceDeleteSuccess'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: [
            'Microsoft.ApiManagement/service/apis/write'
            'Microsoft.ApiManagement/service/apis/delete'
            'Microsoft.ApiManagement/service/workspaces/apis/write'
            'Microsoft.ApiManagement/service/workspaces/apis/delete'
            'Microsoft.ApiManagement/service/write'
            'Microsoft.Security/apiCollections/write'
            'Microsoft.Security/apiCollections/delete'
            'Microsoft.Security/pricings/write'
            'Microsoft.Resources/tags/write'
          ]
        }
      ]
    }
    // Event Grid's maximum: 30 attempts over 24 hours, then the event is dead-lettered, never dropped.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output id string = functionSubscription.id
