// The Function App and what it runs on: storage without shared keys, monitoring, identities, plan.
// Deployed into the spot-drainer resource group by ../main.bicep.
targetScope = 'resourceGroup'

// The rules of the parameters main.bicep passes on are repeated here (test/unit/infra/bicep-settings.test.ts
// keeps them equal), so a deployment of this module alone refuses what main.bicep refuses.
param location string

@minLength(3)
@maxLength(11)
param namePrefix string

param suffix string
param tags object

@allowed([
  'FC1'
  'EP1'
])
param planSku string

param subnetId string

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@allowed([
  2048
  4096
])
param instanceMemoryMB int

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
param storageSku string

@minValue(30)
@maxValue(730)
param logRetentionInDays int

@description('SPOT_DRAINER_* and the other settings the function reads, already as strings (may hold webhook URLs).')
@secure()
param functionSettings object

var isFlex = planSku == 'FC1'
var functionAppName = 'func-${namePrefix}-${suffix}'
var storageAccountName = toLower('st${namePrefix}${suffix}')
var deploymentContainerName = 'deployments'
var deadLetterContainerName = 'deadletter'
// Continuations of drains that outlive one invocation (functions/azure/handler.ts CONTINUATION_QUEUE_NAME)
// and its poison queue: dead letters the function sends (a continuation that failed for good, with its
// reason), and continuations the Functions host moves after maxDequeueCount failed dequeues.
var continuationQueueName = 'spot-drainer-continuations'
// EP1 runs the zip from this blob (no Azure Files share, which would need a shared key).
var packageBlobName = 'spot-drainer.zip'

// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  storageQueueDataReader: '19e7f393-937e-4f77-808e-94535e297925'
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  storageQueueDataMessageProcessor: '8a0f0c08-91a1-4084-bc3d-661d67233fed'
}

// ---------------------------------------------------------------------------------------------------
// Identities
// ---------------------------------------------------------------------------------------------------

// The function's identity: AKS credentials, Key Vault, storage for the Functions host, telemetry.
resource functionIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${namePrefix}-func-${suffix}'
  location: location
  tags: tags
}

// Event Grid's identity, used only to write undeliverable events to the dead-letter container.
resource eventGridIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${namePrefix}-evgt-${suffix}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------------
// Storage: Functions host state, the code package, dead-lettered events
// ---------------------------------------------------------------------------------------------------

// checkov findings suppressed here, with the reason (test/unit/infra/bicep.test.ts runs checkov):
resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  // checkov:skip=CKV_AZURE_35: The Functions host (FC1 without a VNet, or its platform deployment) and Event Grid dead-lettering reach this account over its public endpoint; access is Entra ID only (shared keys disabled), HTTPS/TLS 1.2, no public blobs.
  // checkov:skip=CKV_AZURE_59: Same reason as CKV_AZURE_35: public network access is needed without private endpoints; every request is authorized with Entra ID, none with a key or anonymously.
  // checkov:skip=CKV_AZURE_206: Replication is the storageSku parameter (Standard_ZRS allowed); LRS is the default because ZRS is not offered in every region, and the account holds only host leases, the code package and dead letters.
  // checkov:skip=CKV_AZURE_43: The name is computed ('st' + namePrefix + an 8-character suffix, lowercased: 13 to 21 letters and digits), which checkov cannot evaluate.
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: storageSku
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false // Entra ID (managed identities) only
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'
    properties: {
      deleteRetentionPolicy: {
        enabled: true
        days: 7
      }
    }

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    resource deadLetterContainer 'containers' = {
      name: deadLetterContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource continuationQueue 'queues' = {
      name: continuationQueueName
    }

    resource continuationPoisonQueue 'queues' = {
      name: '${continuationQueueName}-poison'
    }
  }
}

// The function sends itself continuations (Sender), and its queue trigger reads the queue's metadata
// (Reader) and receives and deletes them (Processor): on this one queue, not the account.
resource continuationSenderRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::queueService::continuationQueue.id, functionIdentity.id, roles.storageQueueDataMessageSender)
  scope: storage::queueService::continuationQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: functionIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource continuationReaderRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::queueService::continuationQueue.id, functionIdentity.id, roles.storageQueueDataReader)
  scope: storage::queueService::continuationQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataReader)
    principalId: functionIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource continuationProcessorRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::queueService::continuationQueue.id, functionIdentity.id, roles.storageQueueDataMessageProcessor)
  scope: storage::queueService::continuationQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageProcessor)
    principalId: functionIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The function sends a continuation that fails for good to the poison queue with its reason (a dead
// letter), and the host moves one whose invocations crashed or timed out maxDequeueCount times there.
resource continuationPoisonSenderRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::queueService::continuationPoisonQueue.id, functionIdentity.id, roles.storageQueueDataMessageSender)
  scope: storage::queueService::continuationPoisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: functionIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The Functions host keeps its leases and keys in blobs of this dedicated account, and reads the code
// package from it.
resource functionStorageRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionIdentity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: functionIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Event Grid may write to the dead-letter container and nowhere else.
resource eventGridDeadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobService::deadLetterContainer.id, eventGridIdentity.id, roles.storageBlobDataContributor)
  scope: storage::blobService::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: eventGridIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------------
// Monitoring
// ---------------------------------------------------------------------------------------------------

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: 'log-${namePrefix}-${suffix}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${namePrefix}-${suffix}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true // telemetry is sent with the function identity, no instrumentation key
  }
}

resource functionTelemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionIdentity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: functionIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------------
// Plan and Function App (Linux, Node.js 22, Functions v4)
// ---------------------------------------------------------------------------------------------------

var flexSku = {
  name: 'FC1'
  tier: 'FlexConsumption'
}

var premiumSku = {
  name: 'EP1'
  tier: 'ElasticPremium'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: Zone redundancy on EP1 needs at least 3 always-ready instances; the function is event-driven and Event Grid retries a failed delivery for 30 minutes, which covers a zone outage of the plan.
  name: 'asp-${namePrefix}-${suffix}'
  location: location
  tags: tags
  kind: isFlex ? 'functionapp' : 'elastic'
  sku: isFlex ? flexSku : premiumSku
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: isFlex ? null : 20
  }
}

var hostSettings = {
  // Functions host storage through the identity (no connection string, no key).
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: functionIdentity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${functionIdentity.properties.clientId};Authorization=AAD'
  // The identity DefaultAzureCredential / ManagedIdentityCredential use in the function.
  AZURE_CLIENT_ID: functionIdentity.properties.clientId
  // The continuation queue: where the function sends (SPOT_DRAINER_CONTINUATION_QUEUE_URL), and its
  // queue trigger's identity-based connection `ContinuationQueue`.
  SPOT_DRAINER_CONTINUATION_QUEUE_URL: '${storage.properties.primaryEndpoints.queue}${continuationQueueName}'
  // Where the function sends a continuation that fails for good, with its reason (the poison queue).
  SPOT_DRAINER_DEAD_LETTER_QUEUE_URL: '${storage.properties.primaryEndpoints.queue}${continuationQueueName}-poison'
  ContinuationQueue__queueServiceUri: storage.properties.primaryEndpoints.queue
  ContinuationQueue__credential: 'managedidentity'
  ContinuationQueue__clientId: functionIdentity.properties.clientId
}

// Flex Consumption sets runtime and package in functionAppConfig and rejects these settings.
var premiumOnlySettings = {
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'node'
  WEBSITE_RUN_FROM_PACKAGE: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}/${packageBlobName}'
  WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID: functionIdentity.id
}

var premiumSettings = isFlex ? {} : premiumOnlySettings

// Flex Consumption: runtime, package location and scale limits.
var flexConfig = {
  deployment: {
    storage: {
      type: 'blobContainer'
      value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
      authentication: {
        type: 'UserAssignedIdentity'
        userAssignedIdentityResourceId: functionIdentity.id
      }
    }
  }
  scaleAndConcurrency: {
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  runtime: {
    name: 'node'
    version: '22'
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: Event Grid delivers to the function over its public endpoint (the AzureFunction endpoint type cannot reach a private endpoint); the trigger accepts only Event Grid's authenticated calls.
  // checkov:skip=CKV_AZURE_17: Event Grid presents no client certificate; deliveries are authenticated by the platform (system key of the Event Grid extension).
  // checkov:skip=CKV_AZURE_212: Scale-to-zero is intended (FC1); Event Grid retries while an instance starts, and EP1 keeps one always-ready instance.
  // checkov:skip=CKV_AZURE_213: The app has no HTTP endpoint to probe (Event Grid trigger only); failures show as dead-lettered events and their alerts.
  name: functionAppName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${functionIdentity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: functionIdentity.id // for @Microsoft.KeyVault(...) settings
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    vnetRouteAllEnabled: !empty(subnetId) // private DNS of a private AKS API server resolves in the VNet
    siteConfig: {
      linuxFxVersion: isFlex ? null : 'Node|22'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        for setting in items(union(hostSettings, premiumSettings, functionSettings)): {
          name: setting.key
          value: setting.value
        }
      ]
    }
    functionAppConfig: isFlex ? flexConfig : null
  }
  dependsOn: [
    functionStorageRole
    functionTelemetryRole
    continuationReaderRole
    continuationProcessorRole
  ]
}

// Deployment needs Entra ID (az / func with a signed-in user); no FTP or basic-auth publishing.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output functionAppId string = functionApp.id
output functionAppName string = functionApp.name
output functionPrincipalId string = functionIdentity.properties.principalId
output functionClientId string = functionIdentity.properties.clientId
output eventGridIdentityId string = eventGridIdentity.id
output storageAccountId string = storage.id
output storageAccountName string = storage.name
output deploymentContainerName string = deploymentContainerName
output deadLetterContainerName string = deadLetterContainerName
output appInsightsName string = appInsights.name
