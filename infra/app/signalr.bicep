// Azure SignalR Service in serverless mode: the Function App pushes ticket changes, browsers connect directly.

param name string
param location string
param tags object = {}

@allowed(['Free_F1', 'Standard_S1'])
param skuName string = 'Free_F1'

@description('Origins allowed to negotiate from a browser (the dashboard).')
param allowedOrigins array

resource signalR 'Microsoft.SignalRService/signalR@2024-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'SignalR'
  sku: {
    name: skuName
    tier: skuName == 'Free_F1' ? 'Free' : 'Standard'
    capacity: 1
  }
  properties: {
    features: [
      // No hub server: the Functions SignalR bindings talk to the service's REST API.
      {
        flag: 'ServiceMode'
        value: 'Serverless'
      }
      {
        flag: 'EnableConnectivityLogs'
        value: 'True'
      }
    ]
    cors: {
      allowedOrigins: allowedOrigins
    }
    // Access keys off: the app authenticates with its managed identity, clients with tokens the app issues.
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    tls: {
      clientCertEnabled: false
    }
  }
}

output name string = signalR.name
output hostName string = signalR.properties.hostName
