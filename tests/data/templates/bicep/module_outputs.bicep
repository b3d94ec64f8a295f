// One module's output names the service another module deploys an API on, in another resource group.
module service 'modules/service.bicep' = {
  name: 'service'
  scope: resourceGroup('rg-apim')
  params: {
    prefix: 'out'
  }
}

module api 'modules/api.bicep' = {
  name: 'api'
  scope: resourceGroup('rg-apim')
  params: {
    serviceName: service.outputs.name
    apiName: 'from-outputs'
  }
}

resource local 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  name: '${service.outputs.name}/here'
  properties: {
    description: service.outputs.id
  }
}
