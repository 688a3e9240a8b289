// Service Bus namespace (Standard: duplicate detection needs it) with the three stage queues. Key-less.

param name string
param location string
param tags object = {}

@description('The stage queues: enrich, analyze, notify (names come from main.bicep and reach the app as settings).')
param queueNames array

// The delivery contract the stages and host.json rely on, in one place for every queue.
var queueProperties = {
  // A stage finishes well inside a minute; the host renews the lock (maxAutoLockRenewalDuration) for slower work.
  lockDuration: 'PT1M'
  // After five failed deliveries the message moves to the dead-letter queue, where a DLQ trigger records it on the ticket.
  maxDeliveryCount: 5
  // Senders set message_id; the broker drops a repeat inside the window, so a retried send cannot double a stage.
  requiresDuplicateDetection: true
  duplicateDetectionHistoryTimeWindow: 'PT10M'
  // An expired message is dead-lettered, not silently dropped.
  deadLetteringOnMessageExpiration: true
  defaultMessageTimeToLive: 'P14D'
  requiresSession: false
  enablePartitioning: false
  maxSizeInMegabytes: 1024
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    // SAS keys off: senders and receivers authenticate with Entra ID (Data Sender / Data Receiver roles).
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for queue in queueNames: {
    parent: namespace
    name: queue
    properties: queueProperties
  }
]

output name string = namespace.name
// The host name alone (no scheme, no port), as ServiceBusConnection__fullyQualifiedNamespace expects.
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
