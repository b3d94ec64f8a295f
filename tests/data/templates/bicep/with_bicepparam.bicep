param serviceName string
param apiNames array = []
param secret string = ''

resource apis 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = [for apiName in apiNames: {
  name: '${serviceName}/${apiName}'
  properties: {
    path: apiName
    description: secret
  }
}]
