// Adds one monitored subscription to a deployed apim-defender-monitor: least-privilege custom roles for the
// monitor's identity (subscription scope, or only the listed resource groups) and the Event Grid system topic with
// a filtered subscription to the central OnApiEvent function. Deploy once per subscription, after the function
// code is deployed (Event Grid checks that the function exists):
//   az deployment sub create --subscription <id> --location <region> --name <unique per app and region> \
//     --template-file infra/subscription.bicep \
//     --parameters principalId=... functionAppId=... deadLetterStorageAccountId=...
// If the subscription already has its system topic (az eventgrid system-topic list), pass existingSystemTopicId; if the
// events resource group exists, pass eventsResourceGroupExists=true. infra/hooks/postdeploy.sh does all of this.
targetScope = 'subscription'

@description('Principal id of the monitor\'s user-assigned identity (output AZURE_MONITOR_PRINCIPAL_ID of main.bicep).')
param principalId string

@description('Resource id of the central function app (output AZURE_FUNCTION_APP_ID).')
param functionAppId string

@description('Resource id of the central storage account for dead letters (output AZURE_DEADLETTER_STORAGE_ACCOUNT_ID).')
param deadLetterStorageAccountId string

@description('Dead-letter blob container in that account.')
param deadLetterContainerName string = 'deadletter'

@description('MONITOR_AUTO_ONBOARD of the central app; on grants apiCollections/write, approve also Microsoft.Resources/tags/write (exemptions).')
@allowed([
  'off'
  'dry-run'
  'on'
  'approve'
])
param autoOnboard string = 'off'

@description('MONITOR_AUTO_OFFBOARD_ORPHANS of the central app; on grants apiCollections/delete.')
@allowed([
  'off'
  'dry-run'
  'on'
])
param autoOffboardOrphans string = 'off'

@description('Resource groups holding the APIM services to watch; empty = the whole subscription.')
param resourceGroupNames array = []

@description('Wire Event Grid (system topic + event subscription); false grants the roles only (sweep-only monitoring).')
param deployEvents bool = true

@description('Resource group for a new system topic.')
param eventsResourceGroupName string = 'rg-apim-defender-events'

@description('True when eventsResourceGroupName exists already (az group exists): referenced, never re-created.')
param eventsResourceGroupExists bool = false

@description('Resource id of the subscription\'s existing Microsoft.Resources.Subscriptions system topic (a subscription has at most one); empty = create one.')
param existingSystemTopicId string = ''

@description('Name of a new system topic.')
param systemTopicName string = 'evgt-apim-defender-monitor'

@description('Region of a new events resource group.')
param location string = deployment().location

// Nested deployments at subscription scope keep the location they were first created in: under a fixed name a
// deployment from another region fails with InvalidDeploymentLocation, and a second environment overwrites the
// first one's. So the names carry the central app and the region, and stay within the 64 characters of a
// deployment name (https://learn.microsoft.com/azure/azure-resource-manager/bicep/deploy-to-subscription#deployment-location-and-name,
// https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftresources).
var nameSuffix = uniqueString(functionAppId, deployment().location)

module roles 'modules/roles.bicep' = {
  name: 'apimdef-roles-${nameSuffix}'
  params: {
    principalId: principalId
    autoOnboard: autoOnboard
    autoOffboardOrphans: autoOffboardOrphans
    resourceGroupNames: resourceGroupNames
  }
}

module events 'modules/events.bicep' = if (deployEvents) {
  name: 'apimdef-events-${nameSuffix}'
  params: {
    functionAppId: functionAppId
    deadLetterStorageAccountId: deadLetterStorageAccountId
    deadLetterContainerName: deadLetterContainerName
    resourceGroupName: eventsResourceGroupName
    resourceGroupExists: eventsResourceGroupExists
    existingSystemTopicId: existingSystemTopicId
    systemTopicName: systemTopicName
    location: location
  }
}
