param name string = 'apim'

resource apim 'Microsoft.ApiManagement/service@2023-05-01-preview' = {
  name: name
  properties: {
    publisherEmail: 'a@b.c'
  }
  this is not bicep
}
