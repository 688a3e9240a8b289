// Static Web App for the dashboard (Standard: linking the Function App as the /api backend needs it).

param name string
param location string
param tags object = {}

resource site 'Microsoft.Web/staticSites@2023-12-01' = {
  name: name
  location: location
  // azd deploys web/ to the resource carrying this tag.
  tags: union(tags, { 'azd-service-name': 'web' })
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    // Content arrives from `azd deploy` with the deployment token, not from a linked repository.
    provider: 'Custom'
    allowConfigFileUpdates: true
  }
}

output name string = site.name
output hostName string = site.properties.defaultHostname
output url string = 'https://${site.properties.defaultHostname}'
