// An existing Data Factory (in its own resource group): its run logs go to the workspace, and the app may read its runs.

param factoryName string
param logAnalyticsWorkspaceId string

@description('Principal (object) id of the Function App identity, which looks up pipeline and activity runs.')
param principalId string


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

// Enrichment reads pipeline and activity runs. Reader is not enough: queryPipelineRuns and
// queryActivityruns are POST actions, which Reader's */read does not grant, and Data Factory
// Contributor could edit pipelines. So: a custom role with exactly the read and query actions.
resource runQueryRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'aiops-adf-run-reader')
  properties: {
    roleName: 'AIOps ADF run reader (${resourceGroup().name})'
    description: 'Read a Data Factory, its pipeline runs and activity runs (query actions included).'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.DataFactory/factories/read'
          'Microsoft.DataFactory/factories/pipelineruns/read'
          'Microsoft.DataFactory/factories/querypipelineruns/action'
          'Microsoft.DataFactory/factories/pipelineruns/queryactivityruns/action'
        ]
        notActions: []
      }
    ]
  }
}

resource runReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(factory.id, principalId, runQueryRole.id)
  scope: factory
  properties: {
    roleDefinitionId: runQueryRole.id
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
