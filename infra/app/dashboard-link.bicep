// Links the Function App to the Static Web App as its /api backend and keeps it reachable for webhook callers.

param staticWebAppName string
param functionAppName string

@description('Region of the Function App (the linked backend records it).')
param functionAppLocation string

resource dashboard 'Microsoft.Web/staticSites@2023-12-01' existing = {
  name: staticWebAppName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource backend 'Microsoft.Web/staticSites/linkedBackends@2023-12-01' = {
  parent: dashboard
  name: 'api'
  properties: {
    backendResourceId: functionApp.id
    region: functionAppLocation
  }
}

// Linking turns on App Service authentication with "require authentication", which would also shut out
// Azure Monitor, Databricks, Jira and Slack. This keeps the dashboard as a trusted identity provider (and
// App Service authentication on, so x-ms-client-principal cannot be forged by direct callers) but lets
// unauthenticated requests reach the functions, which check function keys and webhook signatures themselves.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'authsettingsV2'
  dependsOn: [backend]
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    identityProviders: {
      azureStaticWebApps: {
        enabled: true
        registration: {
          clientId: dashboard.properties.defaultHostname
        }
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}
