// A module called once per name; the service name comes from outside (unknown here).
param service string
param names array = [
  'alpha'
  'beta'
]
param things array

module apis 'modules/api.bicep' = [for apiName in names: {
  name: 'api-${apiName}'
  params: {
    serviceName: service
    apiName: apiName
    apiType: 'soap'
  }
}]

resource unknownLoop 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = [for thing in things: {
  name: 'apim/${thing}'
}]
