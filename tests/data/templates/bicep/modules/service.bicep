// A Consumption service; its name goes back to the caller as an output.
param prefix string

resource apim 'Microsoft.ApiManagement/service@2023-05-01-preview' = {
  name: 'apim-${prefix}'
  location: resourceGroup().location
  sku: {
    name: 'Consumption'
    capacity: 0
  }
  properties: {
    publisherEmail: 'apis@contoso.com'
    publisherName: 'Contoso'
  }
}

output name string = apim.name
output id string = apim.id
