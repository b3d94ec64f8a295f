// Key Vault for the alert sinks' secrets (webhook URLs, the webhook signing secret, the Event Grid topic key) and the
// keys that sign approval links.
// RBAC authorization only (no access policies), soft delete and purge protection on. The function app reads the
// secrets through Key Vault references resolved with its user-assigned identity (Key Vault Secrets User); only
// secrets that were given a value are created, so an unset sink stays an empty app setting.

@description('Name of the vault (3-24 characters, globally unique).')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object = {}

@description('Principal id of the function app identity (reads the secrets).')
param principalId string

@description('{ entries: [ { name, value } ] }: the secrets to store; entries with an empty value are skipped.')
@secure()
param secrets object

@description('{ entries: [ { name, value } ] }: the route URLs (app.bicep\'s routeUrls, secrets route-*), every one with a value.')
@secure()
param routeSecrets object

@description('Log Analytics workspace receiving the vault audit log.')
param workspaceId string

var configuredSecrets = filter(concat(secrets.entries, routeSecrets.entries), secret => !empty(secret.value))

// Key Vault Secrets User
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  //checkov:skip=CKV_AZURE_109:Flex Consumption without VNet integration resolves Key Vault references over the public endpoint; access is RBAC-only (Key Vault Secrets User for one identity).
  //checkov:skip=CKV_AZURE_189:Same reason as CKV_AZURE_109: disabling public network access would break the Key Vault references of a function app without VNet integration.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for entry in configuredSecrets: {
  //checkov:skip=CKV_AZURE_41:Webhook URLs and signing secrets have no natural expiry; they are rotated by the owner of the receiving sink (the approval key by the README's rotation steps), and an expired reference would silently stop alerts and approvals.
  parent: vault
  name: entry.name
  properties: {
    value: entry.value
    contentType: 'text/plain'
  }
}]

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
  }
}

resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'vault-audit'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
