// An existing Azure Databricks workspace (Premium tier, in its own resource group): its job and cluster logs go to the workspace.

param workspaceName string
param logAnalyticsWorkspaceId string

resource databricks 'Microsoft.Databricks/workspaces@2023-02-01' existing = {
  name: workspaceName
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'aiops-rca'
  scope: databricks
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      for category in ['jobs', 'clusters', 'accounts']: {
        category: category
        enabled: true
      }
    ]
  }
}

output workspaceUrl string = 'https://${databricks.properties.workspaceUrl}'
