// The function app on a Flex Consumption plan (FC1, Linux, Python 3.11), running as the user-assigned identity:
// identity-based AzureWebJobsStorage and deployment storage (no keys anywhere), Entra-authenticated Application
// Insights, Key Vault references resolved with the same identity, HTTPS only, TLS 1.2, FTP and basic publishing
// credentials off. Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION and the
// WEBSITE_* content settings: the runtime lives in functionAppConfig instead. It also rejects some siteConfig
// properties outright, ftpsState among them (ARM error 51021 "The following list of site configuration properties
// (Site.SiteConfig.FtpsState, ...) for Flex Consumption sites is invalid"), so FTP is closed by the ftp
// basicPublishingCredentialsPolicies below instead:
// https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
// (the error text: https://github.com/microsoft/azure-pipelines-tasks/issues/21032).

@description('Name of the function app (the azd service "monitor").')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region (must offer Flex Consumption).')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (AZURE_CLIENT_ID).')
param identityClientId string

@description('properties.primaryEndpoints of the storage account behind AzureWebJobsStorage (this cloud\'s blob, queue and table URIs).')
param storageEndpoints object

@description('URL of the blob container holding the deployment package.')
param deploymentContainerUrl string

@description('Application Insights connection string (not a secret: local auth is disabled on the component).')
param appInsightsConnectionString string

@description('The MONITOR_* app settings, secret ones already as Key Vault references.')
param monitorSettings object

@description('The app settings MONITOR_ROUTES names, [ { setting, secret } ]: each with the Key Vault secret holding its webhook URL (app.bicep\'s routeUrls). Names only, never a URL.')
param routeSecretNames array = []

@description('URI of the Key Vault holding those secrets (its vaultUri, with the trailing slash).')
param keyVaultUri string = ''

@description('Most instances Flex Consumption may scale out to; the ARM budget is shared through the state store, so any count stays under ARM limits.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// Identity-based host storage by service URI
// (https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity):
// __accountName makes the host build the URIs with the public cloud's storage DNS suffix; the URIs come from
// the account's own primaryEndpoints, right in every cloud. The code reads the queue and table URIs too.
var platformSettings = {
  AzureWebJobsStorage__blobServiceUri: storageEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storageEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storageEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // With host.json's telemetryMode OpenTelemetry, the Python worker sets up the Azure Monitor distro itself and
  // streams the app's OpenTelemetry (monitors/telemetry.py) to Application Insights.
  PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY: 'true'
}

// Each setting MONITOR_ROUTES names is a Key Vault reference, in the form of the secret MONITOR_* settings. Built from
// this module's parameters: a variable's loop takes no value known only during the deployment (a module output).
var routeAppSettings = [for route in routeSecretNames: {
  name: route.setting
  value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${route.secret}/)'
}]
var ownAppSettings = [for setting in items(union(platformSettings, monitorSettings)): {
  name: setting.key
  value: setting.value
}]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  //checkov:skip=CKV_AZURE_225:Zone redundancy for Flex Consumption is offered in some regions only; turning it on here would make the template fail elsewhere. Event Grid retries cover a zone outage.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  //checkov:skip=CKV_AZURE_222:Event Grid delivers to OnApiEvent over the app's public endpoint (authorised by the Functions system key), and approvers' browsers open the Approve links there; this deployment has no VNet or private endpoint.
  //checkov:skip=CKV_AZURE_17:Neither Event Grid nor an approver's browser presents a client certificate, so requiring one would reject every delivery and every approval; approvers sign in with Entra instead (authsettingsV2).
  //checkov:skip=CKV_AZURE_212:Flex Consumption scales out per execution; always-ready instances are an optional cost, and an event that meets a cold start is only delayed (Event Grid retries for 24 hours).
  //checkov:skip=CKV_AZURE_213:No side-effect-free HTTP endpoint to probe: the triggers are Event Grid, timers and a Storage queue, the one HTTP route (Approve) needs a signed link, and failures surface as retries and in Application Insights.
  //checkov:skip=CKV_AZURE_78:Flex Consumption rejects siteConfig.ftpsState (ARM error 51021, see the header); FTP stays off through the ftp basicPublishingCredentialsPolicies resource (allow false).
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'monitor'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      // app.bicep refuses a route setting named like a platform or MONITOR_* setting: no name twice.
      appSettings: concat(ownAppSettings, routeAppSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
