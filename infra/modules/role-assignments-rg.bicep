// Assigns the monitor's custom roles at one resource group (the narrow variant of roles.bicep).

@description('Principal id of the monitor\'s user-assigned identity.')
param principalId string

@description('Role definition resource ids to assign at this resource group.')
param roleDefinitionIds array

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in roleDefinitionIds: {
  name: guid(resourceGroup().id, principalId, roleId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: roleId
  }
}]
