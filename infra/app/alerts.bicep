// Action group whose webhook is the ingestion function (common alert schema), and sample Data Factory alert rules.
// Deployed only after the code is: the function key it embeds exists once the Functions host has started
// (infra/hooks/postdeploy.sh creates it and then turns this module on).

param actionGroupName string
param location string
param tags object = {}

param functionAppName string
param logAnalyticsWorkspaceName string

@description('Resource id of an existing Data Factory; empty = no sample rules.')
param dataFactoryResourceId string = ''

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource functionHost 'Microsoft.Web/sites/host@2022-09-01' existing = {
  parent: functionApp
  name: 'default'
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: logAnalyticsWorkspaceName
}

var factoryName = empty(dataFactoryResourceId) ? '' : last(split(dataFactoryResourceId, '/'))

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'aiopsrca'
    enabled: true
    webhookReceivers: [
      {
        name: 'aiops-ingest'
        // The "azuremonitor" function key is read by Resource Manager at deployment time; it never passes
        // through parameters, outputs or the deployment history, only into this receiver.
        serviceUri: 'https://${functionApp.properties.defaultHostName}/api/alerts/azure-monitor?code=${functionHost.listKeys().functionKeys.azuremonitor}'
        // The ingestion route rejects anything else with 422.
        useCommonAlertSchema: true
        useAadAuth: false
      }
    ]
  }
}

// One alert per failing pipeline (split by the Name dimension), so two pipelines failing are two tickets.
resource pipelineFailedRuns 'Microsoft.Insights/metricAlerts@2018-03-01' = if (!empty(dataFactoryResourceId)) {
  name: 'adf-pipeline-failed-${factoryName}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Data Factory ${factoryName}: a pipeline run failed. Sent to the AIOps RCA Assistant.'
    severity: 1
    enabled: true
    scopes: [dataFactoryResourceId]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    // Resolved notices let the ticket record that the pipeline recovered.
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'PipelineFailedRuns'
          metricNamespace: 'Microsoft.DataFactory/factories'
          metricName: 'PipelineFailedRuns'
          dimensions: [
            {
              name: 'Name'
              operator: 'Include'
              values: ['*']
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Total'
        }
      ]
    }
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

// Activity-level detail (which activity, which error) from the diagnostic logs, one alert per pipeline run.
resource activityRunFailed 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = if (!empty(dataFactoryResourceId)) {
  name: 'adf-activity-failed-${factoryName}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'ADF activity run failed (${factoryName})'
    description: 'Failed activity runs of Data Factory ${factoryName} (ADFActivityRun). Sent to the AIOps RCA Assistant.'
    severity: 2
    enabled: true
    scopes: [workspace.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    // ADFActivityRun appears with the first diagnostic record; do not fail the deployment before that.
    skipQueryValidation: true
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: 'ADFActivityRun\n| where _ResourceId =~ "${dataFactoryResourceId}"\n| where Status == "Failed"\n| project TimeGenerated, PipelineName, PipelineRunId, ActivityName, ActivityRunId, ErrorCode, ErrorMessage'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'PipelineName'
              operator: 'Include'
              values: ['*']
            }
            {
              name: 'PipelineRunId'
              operator: 'Include'
              values: ['*']
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [actionGroup.id]
    }
  }
}

output actionGroupId string = actionGroup.id
