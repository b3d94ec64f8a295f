// The event subscription from the subscription's system topic to the central OnApiEvent function. The server-side
// filter keeps only API writes/deletes and Defender plan writes: an API's child writes (operations, policies,
// schemas, revisions) raise their own events with other operation names and never reach the function.

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

resource functionSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'apim-defender-monitor'
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
            'Microsoft.Security/pricings/write'
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
