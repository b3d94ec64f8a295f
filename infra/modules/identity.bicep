// The user-assigned managed identity the function app runs as: ARM reads and onboarding, storage, Key Vault
// references and Application Insights all authenticate with it (AZURE_CLIENT_ID), so its grants survive a
// re-created app and can be given to monitored subscriptions before the app exists.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
