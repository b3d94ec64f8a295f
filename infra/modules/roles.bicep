// Least-privilege custom roles for the monitor's identity in one monitored subscription, holding exactly the ARM
// actions the code calls (tests/infra/test_roles.py checks them against the requests the code makes), and their
// assignments at the narrowest scope that works: the subscription, or each listed resource group.
//
// Custom role names are unique per tenant, so each subscription gets its own definitions, named after it.
// Turning onboarding or offboarding off later does not revoke a grant (deployments are incremental): delete the
// role assignment (az role assignment delete) when you switch a mode back to off (or from approve to on, for the
// exemption role).
targetScope = 'subscription'

@description('Principal id of the monitor\'s user-assigned identity.')
param principalId string

@description('MONITOR_AUTO_ONBOARD of the central app: the onboarding role (apiCollections/write) is granted when on or approve, the exemption role (tags/write) only when approve.')
@allowed([
  'off'
  'dry-run'
  'on'
  'approve'
])
param autoOnboard string = 'off'

@description('MONITOR_AUTO_OFFBOARD_ORPHANS of the central app: the offboarding role (apiCollections/delete) is granted only when on.')
@allowed([
  'off'
  'dry-run'
  'on'
])
param autoOffboardOrphans string = 'off'

@description('Resource groups holding the APIM services to watch; empty = the whole subscription.')
param resourceGroupNames array = []

// approve onboards too, once a person has approved it from the alert.
var grantOnboarding = autoOnboard == 'on' || autoOnboard == 'approve'
// Exempt (an approver's other answer) writes MONITOR_EXEMPT_TAG on the APIM service.
var grantExemption = autoOnboard == 'approve'
var grantOffboarding = autoOffboardOrphans == 'on'
var atSubscription = empty(resourceGroupNames)
var suffix = ' (${subscription().subscriptionId})'

var readerRoleName = guid(subscription().id, 'apim-defender-monitor-reader')
var onboardRoleName = guid(subscription().id, 'apim-defender-monitor-onboarding')
var offboardRoleName = guid(subscription().id, 'apim-defender-monitor-offboarding')
var exemptionRoleName = guid(subscription().id, 'apim-defender-monitor-exemption')
var subscriptionReaderRoleName = guid(subscription().id, 'apim-defender-monitor-subscription-reader')
var readerRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readerRoleName)
var onboardRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', onboardRoleName)
var offboardRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', offboardRoleName)
var exemptionRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', exemptionRoleName)
var subscriptionReaderRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', subscriptionReaderRoleName)

resource readerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: readerRoleName
  properties: {
    roleName: 'APIM Defender Monitor Reader${suffix}'
    description: 'Reads APIM services, APIs, workspaces and self-hosted gateways, Defender for APIs collections and plan, and Resource Graph: what apim-defender-monitor needs to check every API.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.ApiManagement/service/read'
          'Microsoft.ApiManagement/service/apis/read'
          'Microsoft.ApiManagement/service/workspaces/read'
          'Microsoft.ApiManagement/service/workspaces/apis/read'
          'Microsoft.ApiManagement/service/gateways/read'
          'Microsoft.ApiManagement/service/gateways/apis/read'
          'Microsoft.Security/apiCollections/read'
          'Microsoft.Security/pricings/read'
          'Microsoft.ResourceGraph/resources/read'
          'Microsoft.Resources/subscriptions/read'
          'Microsoft.Insights/metrics/read'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      subscription().id
    ]
  }
}

resource onboardRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (grantOnboarding) {
  name: onboardRoleName
  properties: {
    roleName: 'APIM Defender Monitor Onboarding${suffix}'
    description: 'Onboards APIM APIs to Defender for APIs (PUT apiCollections) when apim-defender-monitor runs with MONITOR_AUTO_ONBOARD=on, or approve once a person approved.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Security/apiCollections/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      subscription().id
    ]
  }
}

resource offboardRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (grantOffboarding) {
  name: offboardRoleName
  properties: {
    roleName: 'APIM Defender Monitor Offboarding${suffix}'
    description: 'Deletes apiCollections whose API is gone (DELETE apiCollections) when apim-defender-monitor runs with MONITOR_AUTO_OFFBOARD_ORPHANS=on.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Security/apiCollections/delete'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      subscription().id
    ]
  }
}

// The Exempt answer of an approval merges the exemption tag into the APIM service's tags through the Tags API at the
// service's scope: PATCH {service id}/providers/Microsoft.Resources/tags/default?api-version=2021-04-01 with operation
// Merge (https://learn.microsoft.com/rest/api/resources/tags/update-at-scope). ARM authorises that with
// Microsoft.Resources/tags/write, "Updates the tags on a resource by replacing or merging existing tags with a new set
// of tags, or removing existing tags" (https://learn.microsoft.com/azure/role-based-access-control/permissions/management-and-governance#microsoftresources),
// and write access to Microsoft.Resources/tags "lets you tag any resource, even if you don't have access to the
// resource itself" (https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#required-access),
// so the role needs nothing else, and no write on the service. It reaches every resource in its scope: the code only
// ever merges MONITOR_EXEMPT_TAG into APIM services.
resource exemptionRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (grantExemption) {
  name: exemptionRoleName
  properties: {
    roleName: 'APIM Defender Monitor Exemption${suffix}'
    description: 'Writes the exemption tag on APIM services (Tags API, Merge) when a person exempts an API from an apim-defender-monitor alert (MONITOR_AUTO_ONBOARD=approve).'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Resources/tags/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      subscription().id
    ]
  }
}

// With resource-group scopes, the subscription-level reads still need a subscription-scope grant: the Defender plan
// lives at /subscriptions/{id}/providers/Microsoft.Security/pricings/Api, and listing subscriptions, querying
// Resource Graph and Azure Monitor's subscription-scope metrics (the APIM services' Requests) are not resource-group
// operations.
resource subscriptionReaderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (!atSubscription) {
  name: subscriptionReaderRoleName
  properties: {
    roleName: 'APIM Defender Monitor Subscription Reader${suffix}'
    description: 'Subscription-level reads of apim-defender-monitor when its APIM access is limited to resource groups: the Defender for APIs plan, the subscription, Resource Graph, the Requests metric.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Security/pricings/read'
          'Microsoft.Resources/subscriptions/read'
          'Microsoft.ResourceGraph/resources/read'
          'Microsoft.Insights/metrics/read'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      subscription().id
    ]
  }
}

resource readerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (atSubscription) {
  name: guid(subscription().id, principalId, readerRoleId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: readerRoleId
  }
  dependsOn: [
    readerRole
  ]
}

resource onboardAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (atSubscription && grantOnboarding) {
  name: guid(subscription().id, principalId, onboardRoleId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: onboardRoleId
  }
  dependsOn: [
    onboardRole
  ]
}

resource offboardAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (atSubscription && grantOffboarding) {
  name: guid(subscription().id, principalId, offboardRoleId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: offboardRoleId
  }
  dependsOn: [
    offboardRole
  ]
}

resource exemptionAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (atSubscription && grantExemption) {
  name: guid(subscription().id, principalId, exemptionRoleId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: exemptionRoleId
  }
  dependsOn: [
    exemptionRole
  ]
}

resource subscriptionReaderAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!atSubscription) {
  name: guid(subscription().id, principalId, subscriptionReaderRoleId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionReaderRoleId
  }
  dependsOn: [
    subscriptionReaderRole
  ]
}

// Named per identity too: two environments granting in the same resource group must not share a deployment.
module resourceGroupAssignments 'role-assignments-rg.bicep' = [for name in resourceGroupNames: {
  name: 'apimdef-roles-${uniqueString(subscription().id, name, principalId)}'
  scope: resourceGroup(name)
  params: {
    principalId: principalId
    roleDefinitionIds: concat([
      readerRoleId
    ], grantOnboarding ? [
      onboardRoleId
    ] : [], grantOffboarding ? [
      offboardRoleId
    ] : [], grantExemption ? [
      exemptionRoleId
    ] : [])
  }
  dependsOn: [
    readerRole
    onboardRole
    offboardRole
    exemptionRole
  ]
}]

output readerRoleId string = readerRoleId
