// apim-defender-monitor: the entry point `azd up` provisions. Creates the resource group and deploys app.bicep into
// it (the function app and everything it needs), forwarding every parameter unchanged; azd fills them from its
// environment through main.parameters.json (`azd env set MONITOR_AUTO_ONBOARD dry-run`). Plain CLI:
//   az deployment sub create --location <region> --template-file infra/main.bicep --parameters environmentName=<name> location=<region>
// Monitored subscriptions are wired afterwards with subscription.bicep (azd's postdeploy hook does it).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd), used to derive unique resource names.')
param environmentName string

@minLength(1)
@description('Azure region for all resources; must offer Flex Consumption.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create; default rg-<environmentName>.')
param resourceGroupName string = ''

// ---- Forwarded to app.bicep unchanged (tests/infra/test_infra_templates.py keeps the two lists equal) ----
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

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: {
    'azd-env-name': environmentName
    application: 'apim-defender-monitor'
  }
}

// Named per environment and region, within the 64 characters of a deployment name for any azd environment name
// (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftresources).
module app 'app.bicep' = {
  name: 'apimdef-app-${take(environmentName, 38)}-${uniqueString(environmentName, location)}'
  scope: rg
  params: {
    location: location
    environmentName: environmentName
    alertTopicResourceId: alertTopicResourceId
    storageSkuName: storageSkuName
    keyVaultNameSalt: keyVaultNameSalt
    armEndpoint: armEndpoint
    monitorSubscriptions: monitorSubscriptions
    autoOnboard: autoOnboard
    autoOffboardOrphans: autoOffboardOrphans
    onboardMaxPerMinute: onboardMaxPerMinute
    onboardWaveSize: onboardWaveSize
    onboardWaveMinutes: onboardWaveMinutes
    onboardCapacityLimit: onboardCapacityLimit
    onboardTimeoutSeconds: onboardTimeoutSeconds
    onboardPollSeconds: onboardPollSeconds
    exemptTag: exemptTag
    supportedRegions: supportedRegions
    supportedTiers: supportedTiers
    selfHosted: selfHosted
    cacheSeconds: cacheSeconds
    planUsage: planUsage
    planTable: planTable
    planAlertShare: planAlertShare
    armRetries: armRetries
    armRetryBackoff: armRetryBackoff
    armTimeoutSeconds: armTimeoutSeconds
    armMaxRetryAfterSeconds: armMaxRetryAfterSeconds
    armReadsPerSecond: armReadsPerSecond
    renotifyHours: renotifyHours
    alertMaxAttempts: alertMaxAttempts
    alertRetrySeconds: alertRetrySeconds
    sweepSchedule: sweepSchedule
    sweepQueue: sweepQueue
    onboardQueue: onboardQueue
    ownerTags: ownerTags
    routes: routes
    approvalUrl: approvalUrl
    approvalHours: approvalHours
    exemptDays: exemptDays
    stateTtlDays: stateTtlDays
    prunePage: prunePage
    pruneShare: pruneShare
    approvers: approvers
    approvalClientId: approvalClientId
    approvalTenantId: approvalTenantId
    approvalIssuer: approvalIssuer
    maximumInstanceCount: maximumInstanceCount
    sloHours: sloHours
    alertEmail: alertEmail
    teamsWebhookUrl: teamsWebhookUrl
    slackWebhookUrl: slackWebhookUrl
    webhookUrl: webhookUrl
    webhookSecret: webhookSecret
    eventGridTopicEndpoint: eventGridTopicEndpoint
    eventGridTopicKey: eventGridTopicKey
    state: state
    approvalKey: approvalKey
    approvalKeyPrevious: approvalKeyPrevious
    routeUrls: routeUrls
  }
}

// azd stores these in its environment; the postdeploy hook passes them to subscription.bicep.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.AZURE_FUNCTION_APP_NAME
output AZURE_FUNCTION_APP_ID string = app.outputs.AZURE_FUNCTION_APP_ID
output AZURE_FUNCTION_APP_HOST_NAME string = app.outputs.AZURE_FUNCTION_APP_HOST_NAME
output AZURE_MONITOR_PRINCIPAL_ID string = app.outputs.AZURE_MONITOR_PRINCIPAL_ID
output AZURE_MONITOR_CLIENT_ID string = app.outputs.AZURE_MONITOR_CLIENT_ID
output AZURE_DEADLETTER_STORAGE_ACCOUNT_ID string = app.outputs.AZURE_DEADLETTER_STORAGE_ACCOUNT_ID
output AZURE_DEADLETTER_CONTAINER_NAME string = app.outputs.AZURE_DEADLETTER_CONTAINER_NAME
output AZURE_KEY_VAULT_NAME string = app.outputs.AZURE_KEY_VAULT_NAME
