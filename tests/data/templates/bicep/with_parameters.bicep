param serviceName string
param apiName string = 'default-api'

resource api 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  name: '${serviceName}/${apiName}'
}
