module service 'br/public:avm/res/api-management/service:0.9.0' = {
  name: 'service'
  params: {
    name: 'apim-registry'
  }
}

module spec 'ts:00000000-0000-0000-0000-000000000000/rg/spec:1.0' = {
  name: 'spec'
}

resource api 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  name: 'apim-registry/local'
}
