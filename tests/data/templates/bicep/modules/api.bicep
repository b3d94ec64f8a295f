// One API on an existing service, with its Defender for APIs collection.
param serviceName string
param apiName string
param apiType string = 'http'

resource service 'Microsoft.ApiManagement/service@2023-05-01-preview' existing = {
  name: serviceName
}

resource api 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  parent: service
  name: apiName
  properties: {
    apiType: apiType
    path: apiName
  }
}

resource collection 'Microsoft.Security/apiCollections@2023-11-15' = {
  scope: api
  name: api.name
}
