// Storage account for the Functions host, the ticket tables, the raw-alert archive and the audit trail. Key-less.

param name string
param location string
param tags object = {}

@description('Tables the app uses (the list lives in main.bicep).')
param tableNames array

@description('Blob container that archives every raw alert payload.')
param rawAlertsContainer string

@description('Blob container holding the append-only audit trail (append blobs).')
param auditContainer string

@description('Blob container Flex Consumption deploys the app package to.')
param deploymentContainer string

@minValue(1)
param rawAlertsCoolAfterDays int = 30

@minValue(2)
param rawAlertsDeleteAfterDays int = 365

@description('Days of time-based retention on the audit container; 0 = no policy. Append writes stay allowed.')
@minValue(0)
param auditImmutabilityDays int = 0

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    // Every caller (host, app, deployment) uses Entra ID; account keys would be a second, unaudited way in.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in [rawAlertsContainer, deploymentContainer]: {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource audit 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: auditContainer
  properties: {
    publicAccess: 'None'
  }
}

// Left unlocked so a platform team can try it and still delete the environment; lock it with
// `az storage container immutability-policy lock` once the retention period is agreed.
resource auditRetention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = if (auditImmutabilityDays > 0) {
  parent: audit
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: auditImmutabilityDays
    // The audit trail is made of append blobs: new entries must still be appendable under the policy.
    allowProtectedAppendWrites: true
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for table in tableNames: {
    parent: tableService
    name: table
  }
]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'raw-alerts-cool-then-delete'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${rawAlertsContainer}/']
            }
            actions: {
              baseBlob: {
                tierToCool: {
                  daysAfterModificationGreaterThan: rawAlertsCoolAfterDays
                }
                delete: {
                  daysAfterModificationGreaterThan: rawAlertsDeleteAfterDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
