// Everything `azd up` creates for the AIOps RCA Assistant: Azure Verified Modules for identity and monitoring,
// small modules in app/ for the rest. Key-less: every connection uses the Function App's managed identity.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region for everything but the Static Web App; it must offer Flex Consumption.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Static Web Apps exist in a few regions only; this is where the dashboard lives.')
@allowed(['centralus', 'eastasia', 'eastus2', 'westeurope', 'westus2'])
param staticWebAppLocation string = 'eastus2'

@description('Object id of whoever runs azd (azd fills it in); gets Key Vault Secrets Officer. Empty = none.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@description('Comma-separated names of the secrets stored in Key Vault (infra/hooks/set-secret.sh maintains it).')
param keyVaultSecrets string = ''

@description('Turned on by infra/hooks/postdeploy.sh once the function keys exist: action group webhook and alert rules.')
param alertWebhookEnabled bool = false

@description('Resource id of an existing Data Factory to watch. Empty = none.')
param dataFactoryResourceId string = ''

@description('Resource id of an existing Azure Databricks workspace (Premium) to collect logs from. Empty = none.')
param databricksWorkspaceResourceId string = ''

@description('Databricks workspace URL; when empty it is taken from databricksWorkspaceResourceId.')
param databricksHost string = ''

@description('Synapse development endpoint template for run lookups; empty = https://{workspace}.dev.azuresynapse.net.')
param synapseEndpoint string = ''

param jiraBaseUrl string = ''
param jiraEmail string = ''
param jiraProjectKey string = ''
param slackChannel string = ''
param geminiModel string = 'gemini-2.5-flash'

@description('Free_F1 (20 connections, 20,000 messages a day) is enough for a small team; see docs/DEPLOY.md.')
@allowed(['Free_F1', 'Standard_S1'])
param signalRSku string = 'Free_F1'

@minValue(0)
param auditImmutabilityDays int = 0

param keyVaultPurgeProtection bool = true

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var names = {
  resourceGroup: 'rg-${environmentName}'
  identity: 'id-aiops-${token}'
  logAnalytics: 'log-aiops-${token}'
  appInsights: 'appi-aiops-${token}'
  storage: 'staiops${token}'
  serviceBus: 'sb-aiops-${token}'
  signalR: 'sigr-aiops-${token}'
  keyVault: 'kv-aiops-${token}'
  plan: 'plan-aiops-${token}'
  functionApp: 'func-aiops-${token}'
  staticWebApp: 'stapp-aiops-${token}'
  actionGroup: 'ag-aiops-${token}'
}

// The queue names the code defaults to (ENRICH_QUEUE, ANALYZE_QUEUE, NOTIFY_QUEUE); this one object
// creates the queues and sets the app settings, so the two cannot disagree.
var queues = {
  enrich: 'alerts-enrich'
  analyze: 'alerts-analyze'
  notify: 'alerts-notify'
}

// Tables and containers the app uses (shared/adapters/names.py); add one here and the next provision creates it.
var tableNames = [
  'tickets'
  'ticketindex'
  'dedup'
  'rcacache'
  'webhookevents'
]
var rawAlertsContainer = 'raw-alerts'
var auditContainer = 'audit'
var deploymentContainer = 'app-package'

var enabledSecrets = filter(map(split(keyVaultSecrets, ','), s => trim(s)), s => !empty(s))

// Existing sources may live in other resource groups or subscriptions; their modules deploy there.
var adfOn = !empty(dataFactoryResourceId)
var adfSubscriptionId = adfOn ? split(dataFactoryResourceId, '/')[2] : subscription().subscriptionId
var adfResourceGroup = adfOn ? split(dataFactoryResourceId, '/')[4] : names.resourceGroup
var adfFactoryName = adfOn ? last(split(dataFactoryResourceId, '/')) : ''
var dbwOn = !empty(databricksWorkspaceResourceId)
var dbwSubscriptionId = dbwOn ? split(databricksWorkspaceResourceId, '/')[2] : subscription().subscriptionId
var dbwResourceGroup = dbwOn ? split(databricksWorkspaceResourceId, '/')[4] : names.resourceGroup

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
    enableTelemetry: false
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'log-analytics'
  scope: rg
  params: {
    name: names.logAnalytics
    location: location
    tags: tags
    dataRetention: 30
    enableTelemetry: false
  }
}

module appInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'app-insights'
  scope: rg
  params: {
    name: names.appInsights
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    // Instrumentation-key ingestion off: the app sends telemetry with its identity.
    disableLocalAuth: true
    enableTelemetry: false
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    tableNames: tableNames
    rawAlertsContainer: rawAlertsContainer
    auditContainer: auditContainer
    deploymentContainer: deploymentContainer
    auditImmutabilityDays: auditImmutabilityDays
  }
}

module serviceBus 'app/servicebus.bicep' = {
  name: 'servicebus'
  scope: rg
  params: {
    name: names.serviceBus
    location: location
    tags: tags
    queueNames: [queues.enrich, queues.analyze, queues.notify]
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: names.keyVault
    location: location
    tags: tags
    purgeProtection: keyVaultPurgeProtection
  }
}

module dashboard 'app/staticwebapp.bicep' = {
  name: 'dashboard'
  scope: rg
  params: {
    name: names.staticWebApp
    location: staticWebAppLocation
    tags: tags
  }
}

module signalR 'app/signalr.bicep' = {
  name: 'signalr'
  scope: rg
  params: {
    name: names.signalR
    location: location
    tags: tags
    skuName: signalRSku
    // The browser negotiates with SignalR from the dashboard's origin.
    allowedOrigins: [dashboard.outputs.url]
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusName: serviceBus.outputs.name
    queueNames: [queues.enrich, queues.analyze, queues.notify]
    signalRName: signalR.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: appInsights.outputs.name
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module databricksSource 'app/databricks-source.bicep' = if (dbwOn) {
  name: 'databricks-source'
  scope: resourceGroup(dbwSubscriptionId, dbwResourceGroup)
  params: {
    workspaceName: dbwOn ? last(split(databricksWorkspaceResourceId, '/')) : ''
    logAnalyticsWorkspaceId: logAnalytics.outputs.resourceId
  }
}

module functionApp 'app/function.bicep' = {
  name: 'function-app'
  scope: rg
  // Start the app only once its identity may reach storage, Service Bus, SignalR and Key Vault.
  dependsOn: [rbac]
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainer: deploymentContainer
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    signalRHostName: signalR.outputs.hostName
    keyVaultName: keyVault.outputs.name
    appInsightsName: appInsights.outputs.name
    queues: queues
    dashboardUrl: dashboard.outputs.url
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    databricksHost: !empty(databricksHost) ? databricksHost : (dbwOn ? databricksSource.outputs.workspaceUrl : '')
    adfSubscriptionId: adfOn ? adfSubscriptionId : ''
    adfResourceGroup: adfOn ? adfResourceGroup : ''
    adfFactoryName: adfFactoryName
    synapseEndpoint: synapseEndpoint
    geminiModel: geminiModel
    jiraBaseUrl: jiraBaseUrl
    jiraEmail: jiraEmail
    jiraProjectKey: jiraProjectKey
    slackChannel: slackChannel
    enabledSecrets: enabledSecrets
  }
}

module dashboardLink 'app/dashboard-link.bicep' = {
  name: 'dashboard-link'
  scope: rg
  params: {
    staticWebAppName: dashboard.outputs.name
    functionAppName: functionApp.outputs.name
    functionAppLocation: location
  }
}

module adfSource 'app/adf-source.bicep' = if (adfOn) {
  name: 'adf-source'
  scope: resourceGroup(adfSubscriptionId, adfResourceGroup)
  params: {
    factoryName: adfFactoryName
    logAnalyticsWorkspaceId: logAnalytics.outputs.resourceId
    principalId: identity.outputs.principalId
  }
}

module alerts 'app/alerts.bicep' = if (alertWebhookEnabled) {
  name: 'alerts'
  scope: rg
  params: {
    actionGroupName: names.actionGroup
    location: location
    tags: tags
    functionAppName: functionApp.outputs.name
    logAnalyticsWorkspaceName: logAnalytics.outputs.name
    dataFactoryResourceId: dataFactoryResourceId
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STATIC_WEB_APP_NAME string = dashboard.outputs.name
// Not AZURE_CLIENT_ID: azd hands its environment to hooks, and Azure SDK tools would take that for their own identity.
output AIOPS_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AIOPS_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output DASHBOARD_URL string = dashboard.outputs.url
output INGEST_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}/api/alerts'
