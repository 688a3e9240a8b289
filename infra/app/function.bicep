// Function App on Flex Consumption (Python 3.11) with a user-assigned identity, identity-based connections
// and every setting of the contract (ARCHITECTURE.md "Settings"); secrets are Key Vault references.

param name string
param planName string
param location string
param tags object = {}

param identityName string
param storageAccountName string
param deploymentContainer string
param serviceBusNamespace string
param signalRHostName string
param keyVaultName string
param appInsightsName string

@description('Stage queue names: { enrich, analyze, notify }.')
param queues object

param dashboardUrl string

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

// Integrations. Empty means "off", as the app reads it.
param databricksHost string = ''
param adfSubscriptionId string = ''
param adfResourceGroup string = ''
param adfFactoryName string = ''
@description('Synapse development endpoint template; empty = the app default https://{workspace}.dev.azuresynapse.net.')
param synapseEndpoint string = ''
param geminiModel string = 'gemini-2.5-flash'
param jiraBaseUrl string = ''
param jiraEmail string = ''
param jiraProjectKey string = ''
param jiraIssueType string = 'Task'
@description('Jira status name -> ticket status; empty keeps the app default.')
param jiraStatusMap object = {}
@description('Ticket status -> Jira transition name; empty keeps the app default.')
param jiraTransitions object = {}
param slackChannel string = ''

@description('Key Vault secret names that have been stored; only these become Key Vault references.')
param enabledSecrets array = []

// Behaviour; defaults equal the app's own (tests compare them with shared/config.py).
param slaSecondsP1 int = 900
param slaSecondsP2 int = 1800
param slaSecondsP3 int = 7200
param slaSecondsP4 int = 86400
@description('Fraction of the SLA after which a ticket is "at risk" (a decimal string; Bicep has no float).')
param slaWarningFraction string = '0.8'
param slackRepeatIntervalSeconds int = 300
param auditRepeatIntervalSeconds int = 60
@description('HTTP stack under the storage SDKs: pooled (http.client, less CPU) or requests (honours proxies).')
@allowed(['pooled', 'requests'])
param storageTransport string = 'pooled'
param resolveClosesTicket bool = false
param durationWarningsEnabled bool = true
param redriveAfterSeconds int = 900
param rcaCacheTtlSeconds int = 604800
@description('Team attribution rules: [{ "pattern": "<regex with named groups>", ... }].')
param teamRules array = []

@description('NCRONTAB (six fields, UTC) for the SLA monitor.')
param slaTimerSchedule string = '0 */1 * * * *'
@description('NCRONTAB (six fields, UTC) for re-driving stalled tickets.')
param redriveTimerSchedule string = '30 */5 * * * *'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd deploys the repository root to the resource carrying this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (there is no system-assigned one).
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Publishing with user names and passwords off: azd and the portal deploy with Entra ID tokens.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

var clientId = identity.properties.clientId

// The connection names the bindings use, in their identity-based form; no connection strings exist.
var connectionSettings = {
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: clientId
  ServiceBusConnection__fullyQualifiedNamespace: serviceBusNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: clientId
  AzureSignalRConnectionString__serviceUri: 'https://${signalRHostName}'
  AzureSignalRConnectionString__credential: 'managedidentity'
  AzureSignalRConnectionString__clientId: clientId
  // DefaultAzureCredential in the app (ADF lookups, Table/Blob/Service Bus clients) picks this identity.
  AZURE_CLIENT_ID: clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  // Local auth is off on Application Insights: telemetry is sent with the identity's token.
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${clientId};Authorization=AAD'
}

// A secret that has not been stored yet stays empty, so the app sees that integration as off rather
// than treating an unresolved "@Microsoft.KeyVault(...)" string as the secret.
var secretsUri = '${keyVault.properties.vaultUri}secrets/'
var secretSettings = {
  GEMINI_API_KEY: contains(enabledSecrets, 'gemini-api-key') ? '@Microsoft.KeyVault(SecretUri=${secretsUri}gemini-api-key/)' : ''
  JIRA_API_TOKEN: contains(enabledSecrets, 'jira-api-token') ? '@Microsoft.KeyVault(SecretUri=${secretsUri}jira-api-token/)' : ''
  JIRA_WEBHOOK_SECRET: contains(enabledSecrets, 'jira-webhook-secret') ? '@Microsoft.KeyVault(SecretUri=${secretsUri}jira-webhook-secret/)' : ''
  SLACK_BOT_TOKEN: contains(enabledSecrets, 'slack-bot-token') ? '@Microsoft.KeyVault(SecretUri=${secretsUri}slack-bot-token/)' : ''
  SLACK_SIGNING_SECRET: contains(enabledSecrets, 'slack-signing-secret') ? '@Microsoft.KeyVault(SecretUri=${secretsUri}slack-signing-secret/)' : ''
  DATABRICKS_TOKEN: contains(enabledSecrets, 'databricks-token') ? '@Microsoft.KeyVault(SecretUri=${secretsUri}databricks-token/)' : ''
}

// Deliberately empty: INGEST_API_KEY (in Azure the ingestion routes are protected by function keys,
// x-functions-key header or ?code=; the setting is only devhost's stand-in for them) and ARM_TOKEN (a static
// bearer token for local fakes; in Azure ARM calls use the managed identity).
var contractSettings = {
  INGEST_API_KEY: ''
  ARM_TOKEN: ''
  ENRICH_QUEUE: queues.enrich
  ANALYZE_QUEUE: queues.analyze
  NOTIFY_QUEUE: queues.notify
  DATABRICKS_HOST: databricksHost
  ADF_SUBSCRIPTION_ID: adfSubscriptionId
  ADF_RESOURCE_GROUP: adfResourceGroup
  ADF_FACTORY_NAME: adfFactoryName
  SYNAPSE_ENDPOINT: synapseEndpoint
  // The ARM endpoint of the cloud this is deployed to (public, sovereign), not a hard-coded one.
  ARM_BASE_URL: environment().resourceManager
  GEMINI_MODEL: geminiModel
  GEMINI_BASE_URL: ''
  JIRA_BASE_URL: jiraBaseUrl
  JIRA_EMAIL: jiraEmail
  JIRA_PROJECT_KEY: jiraProjectKey
  JIRA_ISSUE_TYPE: jiraIssueType
  SLACK_CHANNEL: slackChannel
  SLACK_API_BASE_URL: ''
  SLACK_REPEAT_INTERVAL_SECONDS: string(slackRepeatIntervalSeconds)
  AUDIT_REPEAT_INTERVAL_SECONDS: string(auditRepeatIntervalSeconds)
  STORAGE_TRANSPORT: storageTransport
  SLA_SECONDS_P1: string(slaSecondsP1)
  SLA_SECONDS_P2: string(slaSecondsP2)
  SLA_SECONDS_P3: string(slaSecondsP3)
  SLA_SECONDS_P4: string(slaSecondsP4)
  SLA_WARNING_FRACTION: slaWarningFraction
  DASHBOARD_URL: dashboardUrl
  RESOLVE_CLOSES_TICKET: resolveClosesTicket ? 'true' : 'false'
  DURATION_WARNINGS_ENABLED: durationWarningsEnabled ? 'true' : 'false'
  REDRIVE_AFTER_SECONDS: string(redriveAfterSeconds)
  RCA_CACHE_TTL_SECONDS: string(rcaCacheTtlSeconds)
  TEAM_RULES: string(teamRules)
  SLA_TIMER_SCHEDULE: slaTimerSchedule
  REDRIVE_TIMER_SCHEDULE: redriveTimerSchedule
}

// The two maps are JSON; an empty value would not parse, so each is only set when given.
var jiraStatusSetting = empty(jiraStatusMap) ? {} : { JIRA_STATUS_MAP: string(jiraStatusMap) }
var jiraTransitionSetting = empty(jiraTransitions) ? {} : { JIRA_TRANSITIONS: string(jiraTransitions) }

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(connectionSettings, secretSettings, contractSettings, jiraStatusSetting, jiraTransitionSetting)
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
