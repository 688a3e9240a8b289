// An existing Data Factory (in its own resource group): its run logs go to the workspace, and the app may read its runs.

param factoryName string
param logAnalyticsWorkspaceId string

@description('Principal (object) id of the Function App identity, which looks up pipeline and activity runs.')
param principalId string

var readerRole = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

resource factory 'Microsoft.DataFactory/factories@2018-06-01' existing = {
  name: factoryName
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'aiops-rca'
  scope: factory
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    // Resource-specific tables (ADFActivityRun, ADFPipelineRun, ADFTriggerRun), which the log alert queries.
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'ActivityRuns'
        enabled: true
      }
      {
        category: 'PipelineRuns'
        enabled: true
      }
      {
        category: 'TriggerRuns'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

// Enrichment reads pipeline and activity runs; Reader on this one factory is all it needs.
resource runReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(factory.id, principalId, readerRole)
  scope: factory
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readerRole)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
