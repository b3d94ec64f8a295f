// The function app's storage account, identity-based only (no shared keys): the Functions host (AzureWebJobsStorage),
// the Flex Consumption deployment package, the sweep and onboarding queues, the state tables (statuses, seen events,
// alert outbox) and the Event Grid dead-letter container all live here.

@description('Name of the storage account (3-24 lower-case letters and digits).')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object = {}

// Locally redundant by default because every region has it: ZRS and GZRS exist only in a subset of regions
// (https://learn.microsoft.com/azure/storage/common/redundancy-regions-zrs,
// https://learn.microsoft.com/azure/storage/common/redundancy-regions-gzrs), and a Flex Consumption region without
// them would fail the deployment. Choose ZRS/GZRS where the region offers it: the alert outbox and dead letters are state.
@description('Replication (AZURE_STORAGE_SKU). Standard_LRS works in every region; use Standard_ZRS or Standard_GZRS where the region offers them.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param skuName string = 'Standard_LRS'

@description('Blob container holding the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Blob container Event Grid dead-letters undeliverable events into.')
param deadLetterContainerName string = 'deadletter'

@description('Storage queue the timer sweep fans out to, one message per APIM service (MONITOR_SWEEP_QUEUE).')
param sweepQueueName string = 'apim-sweep'

@description('Storage queue the event path hands onboardings to (MONITOR_ONBOARD_QUEUE). Storage Queue Data Contributor on the account (functionRoleIds) covers it.')
param onboardQueueName string = 'apim-onboard'

@description('Principal id of the function app identity.')
param principalId string

@description('Log Analytics workspace receiving the storage audit logs.')
param workspaceId string

// Storage Blob Data Owner
var storageBlobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// Storage Queue Data Contributor
var storageQueueDataContributorRoleId = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
// Storage Table Data Contributor
var storageTableDataContributorRoleId = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'

var functionRoleIds = [
  storageBlobDataOwnerRoleId
  storageQueueDataContributorRoleId
  storageTableDataContributorRoleId
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  //checkov:skip=CKV_AZURE_59:Flex Consumption without VNet integration reaches its AzureWebJobsStorage and deployment container over the public endpoint; keys are disabled and only Entra identities with data roles get in.
  //checkov:skip=CKV_AZURE_206:The default is Standard_LRS because ZRS and GZRS exist only in some regions (see skuName); the replication is a parameter (AZURE_STORAGE_SKU) to raise where the region offers it.
  //checkov:skip=CKV_AZURE_35:Same reason as CKV_AZURE_59: a default-deny firewall would cut off the Flex Consumption host, which has no fixed outbound addresses without VNet integration.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    supportsHttpsTrafficOnly: true
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
        }
        file: {
          enabled: true
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource sweepQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: sweepQueueName
}

resource onboardQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: onboardQueueName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Audit who read and wrote the state, the queue and the dead letters.
resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'storage-audit'
  scope: queueService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'StorageRead'
        enabled: true
      }
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'storage-audit'
  scope: blobService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'storage-audit'
  scope: tableService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
  }
}

resource functionAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in functionRoleIds: {
  name: guid(storage.id, principalId, roleId)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
  }
}]

output id string = storage.id
output name string = storage.name
output primaryEndpoints object = storage.properties.primaryEndpoints
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
output deadLetterContainerName string = deadLetterContainer.name
output sweepQueueName string = sweepQueue.name
output onboardQueueName string = onboardQueue.name
