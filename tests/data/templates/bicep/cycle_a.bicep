module b 'cycle_b.bicep' = {
  name: 'b'
}

resource api 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  name: 'apim-a/a'
}
