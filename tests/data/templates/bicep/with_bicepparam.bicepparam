using './with_bicepparam.bicep'

param serviceName = 'apim-${toLower('PARAMS')}'
param apiNames = [
  'inventory'
  'shipping'
]
param secret = readEnvironmentVariable('API_SECRET', '')
