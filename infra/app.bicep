// apim-defender-monitor, the central deployment into one resource group: the function app on Flex Consumption, its
// user-assigned identity, identity-only storage, Application Insights on Log Analytics and a Key Vault for the alert
// sinks' secrets. Every MONITOR_* setting the code reads is an app setting here, with the code's default
// (tests/infra/test_infra_settings.py derives the list from monitors/settings.py). main.bicep deploys this file for
// azd into a resource group it creates; deploy it yourself into an existing resource group with
//   az deployment group create --resource-group <rg> --template-file infra/app.bicep --parameters environmentName=<name>
// Access to monitored subscriptions (least-privilege custom roles) and the Event Grid wiring are deployed per
// subscription with subscription.bicep, after the code (Event Grid checks that the OnApiEvent function exists).
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd), used to derive unique resource names.')
param environmentName string

@description('Azure region for all resources; must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Resource id of an existing Event Grid topic that receives alerts with Entra auth (EventGrid Data Sender is granted); empty for none.')
param alertTopicResourceId string = ''

@description('Replication of the function storage account (AZURE_STORAGE_SKU). Standard_LRS works in every Flex Consumption region; Standard_ZRS / Standard_GZRS only where the region offers them.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param storageSkuName string = 'Standard_LRS'

@description('AZURE_KEY_VAULT_NAME_SALT: mixed into the Key Vault name; empty keeps the original name. Change it to get a new vault when the last one is soft-deleted (infra/hooks/preprovision.sh does it for azd).')
param keyVaultNameSalt string = ''

// ---- MONITOR_* settings (defaults are the code's; monitors/settings.py) ----

@description('MONITOR_ARM_ENDPOINT: ARM endpoint; empty = the resourceManager endpoint of the cloud this deploys to (environment()), without the trailing slash.')
param armEndpoint string = ''

@description('MONITOR_SUBSCRIPTIONS: comma list of subscriptions to sweep; empty = every subscription the identity can read.')
param monitorSubscriptions string = ''

@description('MONITOR_AUTO_ONBOARD: off, dry-run, on or approve (a person approves each onboarding from the alert; see the approval parameters). Also decides which write roles subscription.bicep grants.')
@allowed([
  'off'
  'dry-run'
  'on'
  'approve'
])
param autoOnboard string = 'off'

@description('MONITOR_AUTO_OFFBOARD_ORPHANS: off, dry-run or on; deletes apiCollections whose API is gone. Also decides whether the offboarding role is granted.')
@allowed([
  'off'
  'dry-run'
  'on'
])
param autoOffboardOrphans string = 'off'

@description('MONITOR_ONBOARD_MAX_PER_MINUTE: onboardings per APIM service per minute, the older name of the wave size; empty = 10, and a MONITOR_ONBOARD_WAVE_SIZE of any size.')
param onboardMaxPerMinute string = ''

@description('MONITOR_ONBOARD_WAVE_SIZE: onboardings per wave and APIM service; empty = MONITOR_ONBOARD_MAX_PER_MINUTE.')
param onboardWaveSize string = ''

@description('MONITOR_ONBOARD_WAVE_MINUTES: minutes between two waves; empty = derived from MONITOR_ONBOARD_MAX_PER_MINUTE (one-minute waves).')
param onboardWaveMinutes string = ''

@description('MONITOR_ONBOARD_CAPACITY_LIMIT: a service whose Capacity metric is above this percentage pauses its onboarding; 100 turns the check off.')
param onboardCapacityLimit string = '70'

@description('MONITOR_ONBOARD_TIMEOUT_SECONDS: how long to wait for an onboarding to finish.')
param onboardTimeoutSeconds string = '120'

@description('MONITOR_ONBOARD_POLL_SECONDS: polling interval when ARM does not say.')
param onboardPollSeconds string = '2'

@description('MONITOR_EXEMPT_TAG: name of the exemption tag on APIM services.')
param exemptTag string = 'defender-apis-exempt'

@description('MONITOR_SUPPORTED_REGIONS: regions Defender for APIs serves (Microsoft\'s list; keep it current).')
param supportedRegions string = 'Southeast Asia,East Asia,Australia East,Australia Southeast,Australia Central,Australia Central 2,Brazil South,Brazil Southeast,Canada Central,Canada East,West Europe,North Europe,France Central,France South,Germany West Central,Germany North,Central India,South India,West India,Italy North,Japan East,Japan West,Korea Central,Korea South,Norway East,Norway West,South Africa North,South Africa West,Sweden Central,Sweden South,Switzerland North,Switzerland West,UK South,UK West,East US,East US 2,West US,West US 2,West US 3,Central US,North Central US,South Central US,West Central US,East US 2 EUAP,Central US EUAP'

@description('MONITOR_SUPPORTED_TIERS: APIM SKUs Defender for APIs supports.')
param supportedTiers string = 'Developer,Basic,Standard,Premium'

@description('MONITOR_SELF_HOSTED: check, or skip to report APIs on self-hosted gateways as not applicable.')
@allowed([
  'check'
  'skip'
])
param selfHosted string = 'check'

@description('MONITOR_CACHE_SECONDS: how long a warm instance reuses service and plan facts.')
param cacheSeconds string = '300'

@description('MONITOR_PLAN_USAGE: on to read each APIM service\'s Requests metric and size the Defender for APIs sub-plan.')
@allowed([
  'on'
  'off'
])
param planUsage string = 'on'

@description('MONITOR_PLAN_TABLE: the sub-plans as NAME=CALLS:PRICE:OVERAGE,...; empty keeps Microsoft\'s list prices.')
param planTable string = ''

@description('MONITOR_PLAN_ALERT_SHARE: alert when the month\'s calls reach this share of the sub-plan\'s included calls.')
param planAlertShare string = '0.8'

@description('MONITOR_ARM_RETRIES: SDK retry count.')
param armRetries string = '4'

@description('MONITOR_ARM_RETRY_BACKOFF: SDK backoff factor, seconds.')
param armRetryBackoff string = '0.8'

@description('MONITOR_ARM_TIMEOUT_SECONDS: per-request timeout.')
param armTimeoutSeconds string = '30'

@description('MONITOR_ARM_MAX_RETRY_AFTER_SECONDS: a longer Retry-After ends the retries, so the host redelivers.')
param armMaxRetryAfterSeconds string = '10'

@description('MONITOR_ARM_READS_PER_SECOND: client-side budget of ARM reads per second (ARM throttles per identity).')
param armReadsPerSecond string = '20'


@description('MONITOR_RENOTIFY_HOURS: remind about a still-noncompliant API after this long.')
param renotifyHours string = '24'

@description('MONITOR_ALERT_MAX_ATTEMPTS: delivery attempts before an alert is parked.')
param alertMaxAttempts string = '8'

@description('MONITOR_ALERT_RETRY_SECONDS: first retry delay of an undelivered alert.')
param alertRetrySeconds string = '30'

@description('MONITOR_SWEEP_SCHEDULE: NCRONTAB schedule of the reconciling sweep (six fields, UTC).')
param sweepSchedule string = '0 0 * * * *'

@description('MONITOR_SWEEP_QUEUE: Storage queue the sweep fans out to (created in the function storage account).')
param sweepQueue string = 'apim-sweep'

@description('MONITOR_ONBOARD_QUEUE: Storage queue the event path hands onboardings to (created in the function storage account).')
param onboardQueue string = 'apim-onboard'

@description('MONITOR_OWNER_TAGS: tag names that name an API\'s owner, tried in order on the service, its resource group and its subscription.')
param ownerTags string = 'owner,team'

@description('MONITOR_ROUTES: owner routes (tag=value -> teams:SETTING ...); empty = every alert goes to the default sinks. A route names another app setting holding the URL.')
param routes string = ''

// ---- Approvals (MONITOR_AUTO_ONBOARD=approve): README.md, "Approvals in Azure" ----

@description('MONITOR_APPROVAL_URL: public URL of the Approve function; empty = https://<the function app\'s default host name>/api/approve when autoOnboard is approve. Set it when the app is reached under another name.')
param approvalUrl string = ''

@description('MONITOR_APPROVAL_HOURS: how long an Onboard or Exempt link stays valid.')
param approvalHours string = '72'

@description('MONITOR_EXEMPT_DAYS: how long an exemption granted from an alert lasts.')
param exemptDays string = '30'

@description('MONITOR_STATE_TTL_DAYS: seen-event rows and delivery markers older than this many days are pruned (at least 2, and at least MONITOR_APPROVAL_HOURS with approval links).')
param stateTtlDays string = '30'

@description('MONITOR_PRUNE_PAGE: rows the outbox timer prunes a page.')
param prunePage string = '100'

@description('MONITOR_PRUNE_SHARE: the share of the outbox timer\'s 5-minute period pruning may take in one run (above 0, at most 1).')
param pruneShare string = '0.2'

@description('MONITOR_APPROVERS: who may approve, as role:<app role value> or group:<group object id>, comma-separated (role:Defender.Approver). Required with approve.')
param approvers string = ''

@description('Application (client) id of the Entra app registration that signs approvers in (App Service authentication). Required with approve.')
param approvalClientId string = ''

@description('Entra tenant of that app registration; empty = the tenant of this deployment.')
param approvalTenantId string = ''

@description('OpenID issuer of that app registration; empty = <this cloud\'s login endpoint><approvalTenantId>/v2.0.')
param approvalIssuer string = ''

@description('Most instances the Flex Consumption app may scale out to (functionAppConfig.scaleAndConcurrency.maximumInstanceCount).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Hours an applicable API may stay unprotected before the SLO alert fires (AZURE_SLO_HOURS; a whole number). The workbook compares with it too.')
param sloHours string = '24'

@description('E-mail address the monitoring action group notifies when an alert fires (AZURE_ALERT_EMAIL); empty = the group has no receivers yet.')
param alertEmail string = ''

// Secrets (the settings the code keeps out of logs and reprs): stored in Key Vault, the app settings hold Key Vault
// references. Empty = not configured.

@secure()
@description('MONITOR_TEAMS_WEBHOOK_URL (Workflows webhook).')
param teamsWebhookUrl string = ''

@secure()
@description('MONITOR_SLACK_WEBHOOK_URL (incoming webhook).')
param slackWebhookUrl string = ''

@secure()
@description('MONITOR_WEBHOOK_URL (signed generic webhook); needs webhookSecret.')
param webhookUrl string = ''

@secure()
@description('MONITOR_WEBHOOK_SECRET (Standard Webhooks signing secret).')
param webhookSecret string = ''

@secure()
@description('MONITOR_EVENTGRID_TOPIC_ENDPOINT (alerts as CloudEvents).')
param eventGridTopicEndpoint string = ''

@secure()
@description('MONITOR_EVENTGRID_TOPIC_KEY; empty = Entra auth with the identity (grant it through alertTopicResourceId).')
param eventGridTopicKey string = ''

@secure()
@description('MONITOR_STATE: leave empty in Azure (Azure Tables in the function storage account, with the identity); it may hold a connection string.')
param state string = ''

@secure()
@description('MONITOR_APPROVAL_KEY: the key that signs approval links (at least 32 characters: 32 random bytes in base64). Required with approve; the azd preprovision hook generates one.')
param approvalKey string = ''

@secure()
@description('MONITOR_APPROVAL_KEY_PREVIOUS: the key before the last rotation; links it signed still verify until they expire. Empty after MONITOR_APPROVAL_HOURS.')
param approvalKeyPrevious string = ''

@secure()
@description('Route URLs, {"<SETTING>": "<https webhook URL>"}: one entry per app setting that MONITOR_ROUTES names (teams:PAYMENTS_TEAMS_URL). Each URL is stored in Key Vault (secret route-<setting in lower case, _ as ->) and the app setting of that name is a Key Vault reference. A name is ^[A-Z][A-Z0-9_]*$, at most 121 characters, not MONITOR_* and no name the platform uses (app.bicep, routeSettingReservedPrefixes). azd: MONITOR_ROUTE_URLS, as JSON (azd 1.23.4 or later).')
param routeUrls object = {}

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().name, environmentName))
var tags = {
  'azd-env-name': environmentName
  application: 'apim-defender-monitor'
}
var functionAppName = 'func-apimdef-${resourceToken}'
// Purge protection keeps a deleted vault's name for its 90-day retention: "You won't be able to reuse the name of a key
// vault ... that exists in the soft-deleted state" (https://learn.microsoft.com/azure/key-vault/general/soft-delete-change),
// so azd down then azd up under the same name fails. A salt gives the next vault another name; createMode 'recover'
// was the alternative, but it brings back the old secrets and needs the same look-up before every deployment. Empty
// keeps the name of vaults deployed before the salt existed. 3-24 characters: 11 + 11.
var keyVaultName = empty(keyVaultNameSalt) ? 'kv-apimdef-${take(resourceToken, 11)}' : 'kv-apimdef-${take(toLower(uniqueString(resourceToken, keyVaultNameSalt)), 11)}'
var deploymentContainerName = 'app-package-${take(resourceToken, 7)}'
var deadLetterContainerName = 'deadletter'
// This cloud's ARM endpoint without the trailing slash environment() gives it
// (https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-deployment#environment): no
// public-cloud literal, so sovereign clouds get theirs.
var cloudArmEndpoint = endsWith(environment().resourceManager, '/') ? take(environment().resourceManager, length(environment().resourceManager) - 1) : environment().resourceManager
// MONITOR_AUTO_ONBOARD=approve: alerts carry signed Onboard / Exempt links to the Approve function (route approve,
// anonymous function level), and App Service authentication signs approvers in with Entra
// (modules/approval-signin.bicep).
var approvalEnabled = autoOnboard == 'approve'
// The app's default host name is <name>.<the App Service domain of its cloud>. The regional
// <name>-<hash>.<region>-01 form is an option at creation ("newly created App Service apps will have the option to
// generate a unique default hostname",
// https://github.com/MicrosoftDocs/azure-docs/blob/main/articles/app-service/includes/regionalization-note.md), set
// with autoGeneratedDomainNameLabelScope, which this template does not set. The site's own defaultHostName cannot
// feed its app settings (a cycle), so the name is computed here, approvalUrl overrides it, and the output
// AZURE_FUNCTION_APP_HOST_NAME is the real one to compare with. Domains per cloud: "Azure Web Apps
// (Microsoft.Web/sites)" in https://learn.microsoft.com/azure/private-link/private-endpoint-dns.
var appServiceDomains = {
  AzureCloud: 'azurewebsites.net'
  AzureUSGovernment: 'azurewebsites.us'
  AzureChinaCloud: 'chinacloudsites.cn'
}
var appServiceDomain = contains(appServiceDomains, environment().name) ? appServiceDomains[environment().name] : appServiceDomains.AzureCloud
var defaultApprovalUrl = approvalEnabled ? 'https://${functionAppName}.${appServiceDomain}/api/approve' : ''
// Issuer of a single-tenant Entra registration: <login endpoint><tenant id>/v2.0
// (https://learn.microsoft.com/azure/app-service/configure-authentication-provider-aad, "Issuer Url"); loginEndpoint
// ends with a slash (https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-deployment#environment).
var approvalIssuerUrl = empty(approvalIssuer) ? '${environment().authentication.loginEndpoint}${empty(approvalTenantId) ? tenant().tenantId : approvalTenantId}/v2.0' : approvalIssuer
// ARM evaluates the scope of a module even when its condition is false: never split an empty id.
var alertTopicParts = split(empty(alertTopicResourceId) ? '${subscription().id}/resourceGroups/unused/providers/Microsoft.EventGrid/topics/unused' : alertTopicResourceId, '/')

// Key Vault secret names per secret setting (Key Vault names allow letters, digits and dashes). An object, because
// only string and object parameters can be @secure() in the vault module.
var secretValues = {
  entries: [
    {
      name: 'monitor-teams-webhook-url'
      value: teamsWebhookUrl
    }
    {
      name: 'monitor-slack-webhook-url'
      value: slackWebhookUrl
    }
    {
      name: 'monitor-webhook-url'
      value: webhookUrl
    }
    {
      name: 'monitor-webhook-secret'
      value: webhookSecret
    }
    {
      name: 'monitor-eventgrid-topic-endpoint'
      value: eventGridTopicEndpoint
    }
    {
      name: 'monitor-eventgrid-topic-key'
      value: eventGridTopicKey
    }
    {
      name: 'monitor-state'
      value: state
    }
    {
      name: 'monitor-approval-key'
      value: approvalKey
    }
    {
      name: 'monitor-approval-key-previous'
      value: approvalKeyPrevious
    }
  ]
}

// ---- Route URLs (README.md, "Routes in Azure") ----
// MONITOR_ROUTES carries no secret: each route names another app setting that holds its webhook URL, and routeUrls
// gives those settings their URLs. Every deployment rewrites the app settings, so a setting added by hand would be gone
// after the next one and the app would refuse its settings; these are deployed with the others instead. Each URL is a
// Key Vault secret named route-<setting name in lower case, _ as -> (secret names: 1-127 letters, digits and hyphens,
// compared without case, https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers):
// one to one for the names allowed here, and apart from the monitor-* secrets.
// A wrong entry stops the deployment with a message. Bicep's fail() would say it best
// (https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-flow-control), but the Bicep parser
// of checkov (.venv/checkov) knows neither fail() nor map() / toObject() and would skip this whole file; so the check
// asks an empty object for a property named by the message, which ARM refuses naming it ("The language expression
// property '<message>' doesn't exist"), and the names are checked with split() on the allowed characters (Bicep has
// no regular expressions). A message names a setting only once it has passed the character rule (a URL pasted as a
// name is never echoed), and never shows a URL.
var routeSettingLetters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
var routeSettingCharacters = split('A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q,R,S,T,U,V,W,X,Y,Z,0,1,2,3,4,5,6,7,8,9,_', ',')
// 127 characters of secret name less the six of 'route-'.
var routeSettingMaxLength = 121
// Each setting a route names, checked, with the name of its secret: names only, never a URL. Refused: other characters
// than ^[A-Z][A-Z0-9_]*$ and longer names, and the prefixes of the names the monitor (MONITOR_*, AZURE_CLIENT_ID), the
// Functions host and App Service own (https://learn.microsoft.com/azure/azure-functions/functions-app-settings,
// https://learn.microsoft.com/azure/app-service/reference-app-settings); startsWith() compares without case.
var routeSecretNames = [for entry in items(routeUrls): {
  setting: length(entry.key) >= 1 && length(entry.key) <= routeSettingMaxLength && toUpper(entry.key) == entry.key && contains(routeSettingLetters, take(entry.key, 1)) && empty(join(split(entry.key, routeSettingCharacters), '')) ? (startsWith(entry.key, 'MONITOR_') || startsWith(entry.key, 'AZURE_CLIENT_ID') || startsWith(entry.key, 'AZUREWEBJOBS') || startsWith(entry.key, 'AZURE_FUNCTIONS_') || startsWith(entry.key, 'FUNCTIONS_') || startsWith(entry.key, 'APPLICATIONINSIGHTS_') || startsWith(entry.key, 'APPINSIGHTS_') || startsWith(entry.key, 'WEBSITE') || startsWith(entry.key, 'SCM_') || startsWith(entry.key, 'APPSETTING_') || startsWith(entry.key, 'PYTHON_') ? any({})['routeUrls: ${entry.key} is a name the monitor or the platform uses (MONITOR_*, AZURE_CLIENT_ID, AzureWebJobs*, FUNCTIONS_*, WEBSITE*, APPLICATIONINSIGHTS_*, PYTHON_*, ...); give the route URL a setting name of its own'] : entry.key) : any({})['routeUrls: a setting name is not of the form ^[A-Z][A-Z0-9_]*$ with at most 121 characters (name hidden, it may be a URL pasted in its place); the keys are the NAMES of the settings MONITOR_ROUTES names, the values their URLs']
  secret: 'route-${toLower(replace(entry.key, '_', '-'))}'
}]
// The secrets, every one an https URL. An object, like secretValues: only string and object parameters can be
// @secure() in the vault module.
var routeSecretEntries = [for route in routeSecretNames: {
  name: route.secret
  value: startsWith(toLower(trim(string(routeUrls[route.setting]))), 'https://') ? routeUrls[route.setting] : any({})['routeUrls: ${route.setting} holds no https URL (value hidden, it is a secret)']
}]
var routeSecretValues = {
  entries: routeSecretEntries
}

// Every MONITOR_* setting the code reads; tests/infra/test_infra_settings.py derives the list from monitors/settings.py.
var monitorSettings = {
  MONITOR_ARM_ENDPOINT: empty(armEndpoint) ? cloudArmEndpoint : armEndpoint
  MONITOR_SUBSCRIPTIONS: monitorSubscriptions
  MONITOR_AUTO_ONBOARD: autoOnboard
  MONITOR_AUTO_OFFBOARD_ORPHANS: autoOffboardOrphans
  MONITOR_ONBOARD_MAX_PER_MINUTE: onboardMaxPerMinute
  MONITOR_ONBOARD_WAVE_SIZE: onboardWaveSize
  MONITOR_ONBOARD_WAVE_MINUTES: onboardWaveMinutes
  MONITOR_ONBOARD_CAPACITY_LIMIT: onboardCapacityLimit
  MONITOR_ONBOARD_TIMEOUT_SECONDS: onboardTimeoutSeconds
  MONITOR_ONBOARD_POLL_SECONDS: onboardPollSeconds
  MONITOR_EXEMPT_TAG: exemptTag
  MONITOR_SUPPORTED_REGIONS: supportedRegions
  MONITOR_SUPPORTED_TIERS: supportedTiers
  MONITOR_SELF_HOSTED: selfHosted
  MONITOR_CACHE_SECONDS: cacheSeconds
  MONITOR_PLAN_USAGE: planUsage
  MONITOR_PLAN_TABLE: planTable
  MONITOR_PLAN_ALERT_SHARE: planAlertShare
  MONITOR_ARM_RETRIES: armRetries
  MONITOR_ARM_RETRY_BACKOFF: armRetryBackoff
  MONITOR_ARM_TIMEOUT_SECONDS: armTimeoutSeconds
  MONITOR_ARM_MAX_RETRY_AFTER_SECONDS: armMaxRetryAfterSeconds
  MONITOR_ARM_READS_PER_SECOND: armReadsPerSecond
  MONITOR_RENOTIFY_HOURS: renotifyHours
  MONITOR_ALERT_MAX_ATTEMPTS: alertMaxAttempts
  MONITOR_ALERT_RETRY_SECONDS: alertRetrySeconds
  MONITOR_SWEEP_SCHEDULE: sweepSchedule
  MONITOR_SWEEP_QUEUE: sweepQueue
  MONITOR_ONBOARD_QUEUE: onboardQueue
  MONITOR_OWNER_TAGS: ownerTags
  MONITOR_ROUTES: routes
  MONITOR_APPROVAL_URL: empty(approvalUrl) ? defaultApprovalUrl : approvalUrl
  MONITOR_APPROVAL_HOURS: approvalHours
  MONITOR_EXEMPT_DAYS: exemptDays
  MONITOR_STATE_TTL_DAYS: stateTtlDays
  MONITOR_PRUNE_PAGE: prunePage
  MONITOR_PRUNE_SHARE: pruneShare
  // Empty: the code's defaults, where every subscription's Event Grid dead-letters (deadLetterContainerName in the
  // app's own storage account), which is where replay --dead-letter then looks.
  MONITOR_DEADLETTER_CONTAINER: ''
  MONITOR_DEADLETTER_ACCOUNT_URL: ''
  // For CLI runs only: in the app, the Python worker sets up telemetry (PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY).
  MONITOR_OTEL: ''
  MONITOR_APPROVERS: approvers
  // Never in Azure: it names a local approver without sign-in, and the code accepts it only on loopback.
  MONITOR_APPROVAL_LOCAL_USER: ''
  MONITOR_TEAMS_WEBHOOK_URL: empty(teamsWebhookUrl) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/monitor-teams-webhook-url/)'
  MONITOR_SLACK_WEBHOOK_URL: empty(slackWebhookUrl) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/monitor-slack-webhook-url/)'
  MONITOR_WEBHOOK_URL: empty(webhookUrl) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/monitor-webhook-url/)'
  MONITOR_WEBHOOK_SECRET: empty(webhookSecret) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/monitor-webhook-secret/)'
  MONITOR_EVENTGRID_TOPIC_ENDPOINT: empty(eventGridTopicEndpoint) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/monitor-eventgrid-topic-endpoint/)'
  MONITOR_EVENTGRID_TOPIC_KEY: empty(eventGridTopicKey) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/monitor-eventgrid-topic-key/)'
  MONITOR_STATE: empty(state) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/monitor-state/)'
  MONITOR_APPROVAL_KEY: empty(approvalKey) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/monitor-approval-key/)'
  MONITOR_APPROVAL_KEY_PREVIOUS: empty(approvalKeyPrevious) ? '' : '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/monitor-approval-key-previous/)'
}

// Nested deployment names carry resourceToken: two environments sharing a resource group keep theirs apart.
module identity 'modules/identity.bicep' = {
  name: 'identity-${resourceToken}'
  params: {
    name: 'id-apimdef-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring-${resourceToken}'
  params: {
    workspaceName: 'log-apimdef-${resourceToken}'
    appInsightsName: 'appi-apimdef-${resourceToken}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage-${resourceToken}'
  params: {
    name: 'stapimdef${resourceToken}'
    location: location
    tags: tags
    skuName: storageSkuName
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    sweepQueueName: sweepQueue
    onboardQueueName: onboardQueue
    principalId: identity.outputs.principalId
    workspaceId: monitoring.outputs.workspaceId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault-${resourceToken}'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    secrets: secretValues
    routeSecrets: routeSecretValues
    workspaceId: monitoring.outputs.workspaceId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp-${resourceToken}'
  params: {
    name: functionAppName
    planName: 'plan-apimdef-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageEndpoints: storage.outputs.primaryEndpoints
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.connectionString
    monitorSettings: monitorSettings
    routeSecretNames: routeSecretNames
    keyVaultUri: keyVault.outputs.uri
    maximumInstanceCount: maximumInstanceCount
  }
}

// The workbook and the two alert rules (SLO, outbox) with their action group, on the component above.
module dashboard 'modules/dashboard.bicep' = {
  name: 'dashboard-${resourceToken}'
  params: {
    appInsightsName: monitoring.outputs.appInsightsName
    location: location
    tags: tags
    resourceToken: resourceToken
    sloHours: sloHours
    alertEmail: alertEmail
  }
}

// Approvers sign in with Entra (App Service authentication); only with MONITOR_AUTO_ONBOARD=approve.
module approvalSignIn 'modules/approval-signin.bicep' = if (approvalEnabled) {
  name: 'approval-signin-${resourceToken}'
  params: {
    siteName: functionApp.outputs.name
    clientId: approvalClientId
    issuer: approvalIssuerUrl
  }
}

module alertTopicAccess 'modules/alert-topic-access.bicep' = if (!empty(alertTopicResourceId)) {
  name: 'apimdef-alert-topic-access-${resourceToken}'
  scope: resourceGroup(alertTopicParts[2], alertTopicParts[4])
  params: {
    topicName: last(alertTopicParts)
    principalId: identity.outputs.principalId
  }
}

// main.bicep forwards these to azd; the postdeploy hook passes them to subscription.bicep.
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_ID string = functionApp.outputs.id
output AZURE_FUNCTION_APP_HOST_NAME string = functionApp.outputs.defaultHostName
output AZURE_MONITOR_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_MONITOR_CLIENT_ID string = identity.outputs.clientId
output AZURE_DEADLETTER_STORAGE_ACCOUNT_ID string = storage.outputs.id
output AZURE_DEADLETTER_CONTAINER_NAME string = storage.outputs.deadLetterContainerName
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
