// The Defender for APIs plan, declared at subscription scope.
targetScope = 'subscription'

param subPlan string = 'P1'

resource plan 'Microsoft.Security/pricings@2024-01-01' = {
  name: 'Api'
  properties: {
    pricingTier: 'Standard'
    subPlan: subPlan
  }
}
