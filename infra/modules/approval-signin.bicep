// App Service authentication (Easy Auth) with Entra on the function app, deployed only with MONITOR_AUTO_ONBOARD=approve
// (app.bicep): the Approve function learns who opened a link from the X-MS-CLIENT-PRINCIPAL header this module makes
// the platform set. A module of its own rather than a conditional resource in functionapp.bicep, so that checkov reads
// the configuration (its CKV_AZURE_70 check fails to parse a conditional sites/config resource).
//
// AllowAnonymous rather than RedirectToLoginPage + excludedPaths: every request still passes the authentication module, which signs approvers in
// at /.auth/login/aad, sets X-MS-CLIENT-PRINCIPAL on their requests and strips it from anyone else's ("External
// requests aren't allowed to set these headers, so they're present only if set by App Service",
// https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities), while requests without a
// session reach the code unchanged ("Allow unauthenticated requests: This option defers authorization of
// unauthenticated traffic to your application code",
// https://learn.microsoft.com/azure/app-service/overview-authentication-authorization#authorization-behavior). The
// Approve function redirects a signed-out GET to /.auth/login/aad and checks MONITOR_APPROVERS itself. Requiring
// authentication would also stop Event Grid: it delivers to /runtime/webhooks/eventgrid with the system key and no
// Entra token, and Microsoft's advice for an Entra-protected function is to give up the Event Grid trigger for a
// plain webhook (https://learn.microsoft.com/azure/event-grid/handler-functions, note); excludedPaths would have to
// list every platform path the host serves, and the docs promise nothing about those on Flex Consumption.
// Flex Consumption: built-in authentication works there (Microsoft's Flex Consumption MCP tutorial turns it on,
// https://learn.microsoft.com/azure/azure-functions/functions-mcp-tutorial), and the plan's list of unsupported features
// no longer names it (https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#considerations).
// No client secret: sign-in then uses the implicit flow and only an ID token comes back, which is all the code reads
// ("When the client secret is not set, implicit flow is used and only an ID token is returned",
// https://learn.microsoft.com/azure/app-service/configure-authentication-provider-aad); the registration must allow
// ID tokens. No token store: the code needs no tokens, only the X-MS-CLIENT-PRINCIPAL claims, which come with the
// session either way ("If you don't need to work with tokens in your app, you can disable the token store"), and a
// blob token store would need a SAS URL, which this key-less storage account cannot issue.
// Schema: https://learn.microsoft.com/azure/templates/microsoft.web/sites/config-authsettingsv2

@description('Name of the function app (modules/functionapp.bicep).')
param siteName string

@description('Application (client) id of the Entra app registration that signs approvers in.')
param clientId string

@description('OpenID issuer of that registration: <login endpoint><tenant id>/v2.0.')
param issuer string

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: siteName
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  //checkov:skip=CKV_AZURE_13:False positive: the check reads properties.enabled of the v1 authsettings schema; authsettingsV2 turns authentication on with platform.enabled, which is true here.
  //checkov:skip=CKV_AZURE_63:False positive: HTTP logging is a property of the site's web config (properties.httpLoggingEnabled), not of authsettingsV2.
  //checkov:skip=CKV_AZURE_65:False positive: detailed error messages are a property of the site's web config (properties.detailedErrorLoggingEnabled), not of authsettingsV2.
  //checkov:skip=CKV_AZURE_66:False positive: failed request tracing is a property of the site's web config (properties.requestTracingEnabled), not of authsettingsV2.
  //checkov:skip=CKV_AZURE_80:False positive: the .NET Framework version is a property of the site's web config; this is authsettingsV2 of a Python function app.
  //checkov:skip=CKV_AZURE_88:False positive: Azure Files mounts are the site's azurestorageaccounts config, not authsettingsV2; Flex Consumption reads its package from a blob container.
  //checkov:skip=CKV_AZURE_222:False positive on authsettingsV2 (no publicNetworkAccess here); the site's own public access is explained in functionapp.bicep: Event Grid and approvers' browsers reach it.
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          openIdIssuer: issuer
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}
