// Key Vault (RBAC mode) for the integration secrets; values are stored by people, never by this template.

param name string
param location string
param tags object = {}

@description('Purge protection cannot be turned off again; leave it on for anything but a throwaway environment.')
param purgeProtection bool = true

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC instead of access policies: Key Vault Secrets User for the app, Secrets Officer for the deployer.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // Sending `false` to a vault that already has it fails, so omit the property when it is off.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
