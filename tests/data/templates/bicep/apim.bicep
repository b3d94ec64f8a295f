// An APIM service with the API shapes the rules tell apart (tests/templates/test_bicep.py).
param prefix string = 'contoso'
param location string = resourceGroup().location
param environment string = 'prod'
param regions array = [
  'weu'
  'neu'
]
param deployLegacy bool = false
param deployPreview bool

var serviceName = 'apim-${prefix}-${environment}'
var tagValues = {
  owner: 'team-apis'
  costCenter: toUpper('cc${environment}')
}

resource apim 'Microsoft.ApiManagement/service@2023-05-01-preview' = {
  name: serviceName
  location: location
  tags: tagValues
  sku: {
    name: 'Developer'
    capacity: 1
  }
  properties: {
    publisherEmail: 'apis@contoso.com'
    publisherName: 'Contoso'
  }

  resource workspace 'workspaces@2023-05-01-preview' = {
    name: 'sales'
    properties: {
      displayName: 'Sales'
    }

    resource workspaceApi 'apis@2023-05-01-preview' = {
      name: 'quotes'
      properties: {
        path: 'quotes'
      }
    }
  }
}

resource orders 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  parent: apim
  name: 'orders'
  properties: {
    displayName: format('{0} orders', prefix)
    path: 'orders'
    protocols: [
      'https'
    ]
  }
}

resource ordersRev2 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  parent: apim
  name: '${orders.name};rev=2'
  properties: {
    path: 'orders'
    apiRevision: '2'
  }
}

resource graph 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  parent: apim
  name: 'graph'
  properties: {
    apiType: 'graphql'
    path: 'graph'
  }
}

resource soap 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  name: '${apim.name}/soap'
  properties: {
    type: 'soap'
    path: 'soap'
    serviceUrl: 'https://${uniqueString(resourceGroup().id)}.example.com'
  }
}

resource ordersCollection 'Microsoft.Security/apiCollections@2023-11-15' = {
  scope: orders
  name: orders.name
}

resource regional 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = [for (region, i) in regions: {
  parent: apim
  name: 'stock-${region}'
  properties: {
    path: 'stock/${i}'
  }
}]

resource numbered 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = [for n in range(1, 2): {
  parent: apim
  name: concat('v', string(n))
}]

resource legacy 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = if (deployLegacy) {
  parent: apim
  name: 'legacy'
}

resource preview 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = if (deployPreview) {
  parent: apim
  name: 'preview'
}

resource shared 'Microsoft.ApiManagement/service@2023-05-01-preview' existing = {
  name: 'apim-shared'
}

resource sharedApi 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = {
  parent: shared
  name: toLower('Billing')
}

module payments 'modules/api.bicep' = {
  name: 'payments'
  params: {
    serviceName: apim.name
    apiName: 'payments'
  }
}

// Nested declarations reached with '::' (a reader test: Defender does not onboard workspace APIs).
resource quotesCollection 'Microsoft.Security/apiCollections@2023-11-15' = {
  scope: apim::workspace::workspaceApi
  name: apim::workspace::workspaceApi.name
}
