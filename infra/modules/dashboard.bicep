// The operator's view of the monitor, on the Application Insights component monitoring.bicep creates: a workbook
// (coverage over time, unprotected APIs by age, time-to-protect p50/p95, outbox health) and two log search alert
// rules wired to one action group: "an applicable API unprotected longer than sloHours" and "the outbox's oldest
// message older than an hour". Every query reads only the instruments of the telemetry contract
// (monitors/telemetry.py; README "Dashboard and alerts"); the workbook and the alert queries are files in
// infra/monitoring/ so tests read what deploys.
// Shapes: Microsoft.Insights/workbooks@2023-06-01, scheduledQueryRules@2023-12-01, actionGroups@2023-01-01
// (https://learn.microsoft.com/azure/templates/microsoft.insights/workbooks,
// https://learn.microsoft.com/azure/templates/microsoft.insights/scheduledqueryrules,
// https://learn.microsoft.com/azure/templates/microsoft.insights/actiongroups). The rules get no identity and no role:
// a rule scoped to the component reads its logs as Azure Monitor does for any log search alert.

@description('Name of the Application Insights component the monitor sends its telemetry to.')
param appInsightsName string

@description('Azure region of the workbook and the alert rules.')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Unique token of this deployment (names the workbook and the rules apart from another environment\'s).')
param resourceToken string

@description('Hours an applicable API may stay unprotected before the SLO alert fires (a whole number, at least 1).')
param sloHours string = '24'

@description('E-mail address the action group notifies; empty for none (the group exists without receivers, for other receivers to be added).')
param alertEmail string = ''

// An hour: the outbox timer runs every five minutes (function_app.py), so a message older than this has missed twelve.
var outboxMaxAgeSeconds = 3600
var sloSeconds = int(sloHours) * 3600

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-apimdef-${resourceToken}'
  // Action groups are global resources.
  location: 'global'
  tags: tags
  properties: {
    // At most 12 characters (the SMS sender name).
    groupShortName: 'apimdefmon'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// Unprotected longer than the SLO: the monitor reports monitor.unprotected.oldest_age per subscription after each sweep
// (hourly by default, MONITOR_SWEEP_SCHEDULE), so an hour's window holds the last sweep's reading. One alert per
// subscription (the dimension); it resolves itself once a sweep reports the subscription back under the SLO.
resource unprotectedRule 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'apimdef-unprotected-slo-${resourceToken}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'APIM Defender monitor: an applicable API unprotected longer than ${sloHours} hours'
    description: 'An API that Defender for APIs should cover has not been onboarded within the SLO (sloHours). See README, "Dashboard and alerts".'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: loadTextContent('../monitoring/unprotected-slo.kql')
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'oldest_age_seconds'
          dimensions: [
            {
              name: 'subscription'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: sloSeconds
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// The outbox falls behind: monitor.outbox.oldest_age, reported by the outbox timer every five minutes.
resource outboxRule 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'apimdef-outbox-age-${resourceToken}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'APIM Defender monitor: the alert outbox\'s oldest message is older than an hour'
    description: 'Alerts are not leaving the outbox: a sink keeps failing, or the outbox timer does not run. See README, "Dashboard and alerts".'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: loadTextContent('../monitoring/outbox-age.kql')
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'oldest_age_seconds'
          operator: 'GreaterThan'
          threshold: outboxMaxAgeSeconds
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// The workbook's JSON is infra/monitoring/workbook.json; two placeholders are filled here: the component it opens on
// (fallbackResourceIds) and the SLO its "over the SLO" table compares with.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name is a GUID.
  name: guid(resourceGroup().id, appInsights.id, 'apimdef-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'APIM Defender monitor (${resourceToken})'
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: appInsights.id
    serializedData: replace(replace(loadTextContent('../monitoring/workbook.json'), '__APP_INSIGHTS_ID__', appInsights.id), '__SLO_HOURS__', sloHours)
  }
}

output workbookId string = workbook.id
output actionGroupId string = actionGroup.id
