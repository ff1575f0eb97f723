// spot-drainer on Azure: an Azure Function (Event Grid trigger `spotDrainer`) that cordons and drains
// AKS nodes when Azure evicts, preempts or takes down their virtual machines.
//
// Deployed at subscription scope, because the events come from subscription-wide system topics and
// the function's identity needs roles on AKS clusters in other resource groups:
//
//   az deployment sub create --location <region> --template-file infra/azure/main.bicep \
//     --parameters infra/azure/main.bicepparam
//
// What it creates (see infra/README.md for the full procedure):
//   resource group `resourceGroupName`
//     modules/app.bicep     storage (no shared keys) with the continuation queue, Log Analytics +
//                           Application Insights, the
//                           function's user-assigned identity, the Event Grid identity, the plan
//                           (Flex Consumption FC1 or Elastic Premium EP1) and the Function App
//     modules/events.bicep  Event Grid system topics on this subscription (Health Resources,
//                           Maintenance Resources, Resource Manager actions), one filtered event
//                           subscription per event kind with retries and blob dead-lettering, and
//                           alerts on dead-lettered or dropped events
//     modules/monitoring.bicep  the alert on missed drain deadlines and the workbook (createWorkbook)
//   per AKS cluster: modules/aks-access.bicep (roles on that one cluster)
//   optional: modules/keyvault-secret-access.bicep (read one kubeconfig secret)
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------------
// Placement
// ---------------------------------------------------------------------------------------------------

@description('Region of the resource group, the Function App and its resources.')
param location string

@description('Resource group created (or updated) for spot-drainer.')
param resourceGroupName string = 'rg-spot-drainer'

@description('Prefix of resource names: lowercase letters and digits, 3 to 11 characters.')
@minLength(3)
@maxLength(11)
param namePrefix string = 'spotdrain'

@description('Tags applied to every resource.')
param tags object = {}

// ---------------------------------------------------------------------------------------------------
// Hosting
// ---------------------------------------------------------------------------------------------------

@description('FC1: Flex Consumption (default). EP1: Elastic Premium (always-warm instances).')
@allowed([
  'FC1'
  'EP1'
])
param planSku string = 'FC1'

@description('''Subnet for VNet integration, needed to reach a private AKS API server. Empty = no VNet
integration. The subnet must be delegated to Microsoft.App/environments (FC1) or
Microsoft.Web/serverFarms (EP1), and resolve the cluster's private DNS zone.''')
param subnetId string = ''

@description('FC1 only: the most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('FC1 only: memory of each instance.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Storage redundancy of the function\'s storage account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
param storageSku string = 'Standard_LRS'

@description('Log Analytics retention in days.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Action group notified when events are dead-lettered or dropped, or a drain misses its deadline. Empty = alerts without action.')
param actionGroupId string = ''

@description('Create the Azure Monitor workbook of interruptions, time to cordon and deadlines met or missed (modules/monitoring.bicep).')
param createWorkbook bool = true

// ---------------------------------------------------------------------------------------------------
// Clusters and their authorization
// ---------------------------------------------------------------------------------------------------

// Plain `array` rather than a user-defined type: checkov's Bicep parser (pycep) reads neither typed
// arrays nor decorators inside types, and every file must parse for checkov to check it.
@description('''The AKS clusters to protect, each an object:
  resourceGroup      resource group of the managed cluster resource
  name               name of the managed cluster
  nodeResourceGroup  node resource group (`az aks show --query nodeResourceGroup`), where its VMs live
  subscriptionId     optional; subscription of the cluster, default the deployment subscription
Their node pools must be in this subscription: the system topics only see this subscription's events.
Becomes SPOT_DRAINER_AKS_CLUSTERS (node resource group -> cluster).''')
@minLength(1)
@maxLength(15)
param aksClusters array

@description('''How the clusters authorize the function's identity:
kubernetes-rbac: Kubernetes RBAC; bind the identity's object id (output functionPrincipalId) as a `kind: User`
subject of the ClusterRoleBinding in infra/kubernetes/rbac.yaml.
azure-rbac: Azure RBAC for Kubernetes authorization; a custom role with exactly aksRbacDataActions is created
and assigned on each cluster (the built-in AKS RBAC roles are either too weak or far too broad).''')
@allowed([
  'kubernetes-rbac'
  'azure-rbac'
])
param aksAuthorization string = 'kubernetes-rbac'

@description('''azure-rbac only: the data actions of the custom role, covering the ClusterRole in
infra/kubernetes/rbac.yaml. AKS checks a request as <group>/<resource>/<read|write|delete>: get/list/watch
are read, create/update/patch are write, and a subresource other than pods/exec is checked as its parent
resource, so evicting a pod (create pods/eviction) needs pods/write. Only data actions that
Microsoft.ContainerService publishes (`az provider operation show --namespace Microsoft.ContainerService`)
are accepted in a custom role. No wildcards.''')
param aksRbacDataActions array = [
  'Microsoft.ContainerService/managedClusters/nodes/read'
  'Microsoft.ContainerService/managedClusters/nodes/write'
  'Microsoft.ContainerService/managedClusters/pods/read'
  'Microsoft.ContainerService/managedClusters/pods/write'
  'Microsoft.ContainerService/managedClusters/pods/delete'
  'Microsoft.ContainerService/managedClusters/policy/poddisruptionbudgets/read'
  'Microsoft.ContainerService/managedClusters/events/write'
  'Microsoft.ContainerService/managedClusters/events.k8s.io/events/write'
]

// ---------------------------------------------------------------------------------------------------
// Function settings (validated by the function at cold start)
// ---------------------------------------------------------------------------------------------------

@description('CLUSTER: name shown in notifications. Empty = the function names clusters itself.')
param clusterDisplayName string = ''

@description('SPOT_DRAINER_DRY_RUN: log what would be done, change nothing.')
param dryRun bool = false

@description('SPOT_DRAINER_DEADLINE_POLICY: what to do with pods still running when the deadline comes.')
@allowed([
  'respect-pdb'
  'force-delete'
])
param deadlinePolicy string = 'respect-pdb'

@description('SPOT_DRAINER_EVICT_DAEMONSET_PODS: evict DaemonSet pods too (kubectl drain leaves them).')
param evictDaemonSetPods bool = false

@description('SPOT_DRAINER_DELETE_EMPTYDIR_DATA: evict pods with emptyDir volumes, whose data is lost (kubectl drain --delete-emptydir-data).')
param deleteEmptyDirData bool = true

@description('SPOT_DRAINER_EVICTION_CONCURRENCY: eviction requests in flight at once.')
@minValue(1)
@maxValue(500)
param evictionConcurrency int = 50

@description('SPOT_DRAINER_EXCLUDE_FROM_LOAD_BALANCERS: label the node node.kubernetes.io/exclude-from-external-load-balancers so load balancers stop sending it traffic.')
param excludeFromLoadBalancers bool = true

@description('SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: with force-delete, how long before the deadline the pods a PodDisruptionBudget still holds are deleted; at or below the deadline safety margin plus 0.5 s (0 included), 0.5 s before the drain stops.')
@minValue(0)
param forceDeleteLeadSeconds int = 10

@description('SPOT_DRAINER_WAIT_FOR_EMPTY: after evicting, wait until the evicted pods have left the node.')
param waitForEmpty bool = true

@description('SPOT_DRAINER_POD_EVENTS: record a Kubernetes Event on each evicted pod too (the one Event on the node names them all).')
param podEvents bool = false

@description('SPOT_DRAINER_DEADLINE_SAFETY_SECONDS: stop working this long before the interruption deadline.')
@minValue(0)
param deadlineSafetySeconds int = 1

@description('SPOT_DRAINER_CORDON_ONLY: every kind of interruption only cordons and taints the node; nothing is evicted or deleted.')
param cordonOnly bool = false

@description('SPOT_DRAINER_TAINT_NODE: add the spot-drainer.io/<kind> NoSchedule taint with the cordon.')
param taintNode bool = true

@description('SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS: grace period sent with each eviction instead of the pod\'s own; -1 keeps the pod\'s own. Capped by the deadline either way.')
@minValue(-1)
@maxValue(7200)
param podTerminationGracePeriodSeconds int = -1

@description('SPOT_DRAINER_OUT_OF_SERVICE_TAINT: taint node.kubernetes.io/out-of-service once the cloud confirms the machine is gone (AWS only for now; see docs/reliability.md).')
param outOfServiceTaint bool = false

@description('SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS: how long a notification may take.')
@minValue(1)
@maxValue(60)
param notifyTimeoutSeconds int = 5

@description('SPOT_DRAINER_CONTINUATION_DELAY_SECONDS: how long a continuation of a drain that outlives one invocation waits on the queue.')
@minValue(0)
@maxValue(900)
param continuationDelaySeconds int = 10

@description('SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES: how many times one continuation is delivered before it is dead-lettered (the queue trigger\'s maxDequeueCount too).')
@minValue(1)
@maxValue(1000)
param continuationMaxDeliveries int = 3

@description('SPOT_DRAINER_MAINTENANCE_ACTION: what a scheduled Redeploy, Reboot or Freeze does to the node (Preempt and Terminate always drain).')
@allowed([
  'cordon'
  'drain'
  'ignore'
])
param maintenanceAction string = 'cordon'

@description('SPOT_DRAINER_KUBECONFIG_SOURCE (as keyvault:<url>): optional kubeconfig in Key Vault instead of AKS credentials, the secret URL, e.g. https://kv-ops.vault.azure.net/secrets/aks-kubeconfig. The vault must use Azure RBAC.')
param kubeconfigSecretUrl string = ''

@description('Resource group of that vault (in this subscription).')
param kubeconfigKeyVaultResourceGroup string = ''

@description('SLACK_URL (incoming webhook). Prefer a Key Vault reference: @Microsoft.KeyVault(SecretUri=...), readable by the function identity.')
@secure()
param slackUrl string = ''

@description('SLACK_CHANNEL: channel to post to, instead of the webhook\'s own.')
param slackChannel string = ''

@description('SPOT_DRAINER_WEBHOOK_URL: generic webhook (Microsoft Teams workflow, alerting...) notified after each drain. Prefer a Key Vault reference, as for slackUrl.')
@secure()
param webhookUrl string = ''

@description('SPOT_DRAINER_WEBHOOK_TEMPLATE: body of the generic webhook with {{placeholders}} (docs/configuration.md). Empty: the summary as JSON.')
param webhookTemplate string = ''

@description('SPOT_DRAINER_WEBHOOK_HEADERS: JSON object of extra webhook headers. Prefer a Key Vault reference: @Microsoft.KeyVault(SecretUri=...).')
@secure()
param webhookHeaders string = ''

@description('SPOT_DRAINER_WEBHOOK_PROXY: http(s) proxy URL for Slack and the webhook.')
@secure()
param webhookProxy string = ''

@description('LOG_LEVEL: least severe level logged.')
@allowed([
  'DEBUG'
  'INFO'
  'WARN'
  'ERROR'
])
param logLevel string = 'INFO'

// ---------------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------------

@description('''Create the event subscriptions. Event Grid checks that the function exists, so the first
deployment runs with false, the code is published, then the deployment runs again with true.''')
param deployEventSubscriptions bool = true

@description('Health Resources ResourceAnnotated: VirtualMachinePreempted, VirtualMachineDeallocationInitiated, VirtualMachineStopInitiatedByControlPlane.')
param enableResourceAnnotated bool = true

@description('Health Resources AvailabilityStatusChanged to Unavailable.')
param enableAvailabilityStatusChanged bool = true

@description('Maintenance Resources ScheduledEventEmitted: Preempt, Terminate, Redeploy, Reboot, Freeze.')
param enableScheduledEvents bool = true

@description('Resource Manager ResourceActionSuccess of simulateEviction (how operators test spot handling).')
param enableSimulateEviction bool = true

@description('''Resource ids of virtual machine scale sets (spot node pools you own, outside AKS-managed node
resource groups) to opt in to publishing Scheduled Events to Event Grid, which the scheduled-events
subscription needs for the proactive Preempt/Terminate drain. Needs the preview features
Microsoft.Compute/SendScheduledEventsPolicy and Microsoft.Maintenance/ScheduledEventsActivity registered.
AKS node pools: see infra/README.md (command, not this parameter).''')
param scheduledEventsScaleSetIds array = []

@description('Event Grid delivery attempts before an event is dead-lettered.')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 10

@description('Minutes Event Grid keeps retrying an event before it is dead-lettered.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 30

// ---------------------------------------------------------------------------------------------------
// Derived values
// ---------------------------------------------------------------------------------------------------

var suffix = take(uniqueString(subscription().id, resourceGroupName, namePrefix), 8)
var useKeyVaultKubeconfig = !empty(kubeconfigSecretUrl)
// https://<vault>.vault.azure.net/secrets/<name>[/<version>]
var kubeconfigUrlParts = split(useKeyVaultKubeconfig ? kubeconfigSecretUrl : 'https://unused.vault.azure.net/secrets/unused', '/')
var kubeconfigVaultName = split(kubeconfigUrlParts[2], '.')[0]
var kubeconfigSecretName = kubeconfigUrlParts[4]

// SPOT_DRAINER_AKS_CLUSTERS: node resource group -> the managed cluster that owns it, as JSON. Built
// from strings (resource group and cluster names cannot hold quotes or backslashes) and read back with
// json(), so a malformed entry fails the deployment instead of the function.
var aksClusterEntries = [
  for c in aksClusters: '"${c.nodeResourceGroup}":{"subscriptionId":"${c.?subscriptionId ?? subscription().subscriptionId}","resourceGroup":"${c.resourceGroup}","name":"${c.name}"}'
]
var aksClustersSetting = json('{${join(aksClusterEntries, ',')}}')

// Subscriptions of the clusters: where the custom AKS role may be assigned.
var clusterSubscriptionScopes = [for c in aksClusters: '/subscriptions/${c.?subscriptionId ?? subscription().subscriptionId}']

// Optional settings are left out rather than set to ''.
var clusterSetting = empty(clusterDisplayName) ? {} : { CLUSTER: clusterDisplayName }
var kubeconfigSetting = useKeyVaultKubeconfig ? { SPOT_DRAINER_KUBECONFIG_SOURCE: 'keyvault:${kubeconfigSecretUrl}' } : {}
var slackUrlSetting = empty(slackUrl) ? {} : { SLACK_URL: slackUrl }
var slackChannelSetting = empty(slackChannel) ? {} : { SLACK_CHANNEL: slackChannel }
var webhookUrlSetting = empty(webhookUrl) ? {} : { SPOT_DRAINER_WEBHOOK_URL: webhookUrl }
var webhookTemplateSetting = empty(webhookTemplate) ? {} : { SPOT_DRAINER_WEBHOOK_TEMPLATE: webhookTemplate }
var webhookHeadersSetting = empty(webhookHeaders) ? {} : { SPOT_DRAINER_WEBHOOK_HEADERS: webhookHeaders }
var webhookProxySetting = empty(webhookProxy) ? {} : { SPOT_DRAINER_WEBHOOK_PROXY: webhookProxy }

// Booleans are written as 'true'/'false' (ARM's string(true) would give 'True').
var requiredSettings = {
  SPOT_DRAINER_DRY_RUN: dryRun ? 'true' : 'false'
  SPOT_DRAINER_DEADLINE_POLICY: deadlinePolicy
  SPOT_DRAINER_EVICT_DAEMONSET_PODS: evictDaemonSetPods ? 'true' : 'false'
  SPOT_DRAINER_DELETE_EMPTYDIR_DATA: deleteEmptyDirData ? 'true' : 'false'
  SPOT_DRAINER_EVICTION_CONCURRENCY: string(evictionConcurrency)
  SPOT_DRAINER_EXCLUDE_FROM_LOAD_BALANCERS: excludeFromLoadBalancers ? 'true' : 'false'
  SPOT_DRAINER_MAINTENANCE_ACTION: maintenanceAction
  SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: string(forceDeleteLeadSeconds)
  SPOT_DRAINER_WAIT_FOR_EMPTY: waitForEmpty ? 'true' : 'false'
  SPOT_DRAINER_POD_EVENTS: podEvents ? 'true' : 'false'
  SPOT_DRAINER_DEADLINE_SAFETY_SECONDS: string(deadlineSafetySeconds)
  SPOT_DRAINER_CORDON_ONLY: cordonOnly ? 'true' : 'false'
  SPOT_DRAINER_TAINT_NODE: taintNode ? 'true' : 'false'
  SPOT_DRAINER_POD_TERMINATION_GRACE_PERIOD_SECONDS: string(podTerminationGracePeriodSeconds)
  SPOT_DRAINER_OUT_OF_SERVICE_TAINT: outOfServiceTaint ? 'true' : 'false'
  SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS: string(notifyTimeoutSeconds)
  SPOT_DRAINER_CONTINUATION_DELAY_SECONDS: string(continuationDelaySeconds)
  SPOT_DRAINER_CONTINUATION_MAX_DELIVERIES: string(continuationMaxDeliveries)
  // The same number for the host's queue trigger (overrides host.json extensions.queues.maxDequeueCount).
  AzureFunctionsJobHost__extensions__queues__maxDequeueCount: string(continuationMaxDeliveries)
  SPOT_DRAINER_AKS_CLUSTERS: string(aksClustersSetting)
  LOG_LEVEL: logLevel
}

var functionSettings = union(requiredSettings, clusterSetting, kubeconfigSetting, slackUrlSetting, slackChannelSetting, webhookUrlSetting, webhookTemplateSetting, webhookHeadersSetting, webhookProxySetting)

// ---------------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module app 'modules/app.bicep' = {
  name: 'spot-drainer-app'
  scope: rg
  params: {
    location: location
    namePrefix: namePrefix
    suffix: suffix
    tags: tags
    planSku: planSku
    subnetId: subnetId
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    storageSku: storageSku
    logRetentionInDays: logRetentionInDays
    functionSettings: functionSettings
  }
}

// Custom role for Azure RBAC for Kubernetes authorization: exactly the Kubernetes verbs spot-drainer
// uses. Assignable in the clusters' subscriptions (Azure recommends subscription, resource group or
// management group scopes: custom roles are limited per tenant, and a role listing single clusters
// would have to change with every cluster). It is assigned only on the clusters (modules/aks-access).
resource aksDrainerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (aksAuthorization == 'azure-rbac') {
  name: guid(subscription().id, namePrefix, 'spot-drainer-aks-rbac')
  properties: {
    roleName: 'spot-drainer AKS node drainer (${namePrefix})'
    description: 'Cordon, label and drain nodes: read and patch nodes, read, evict and delete pods, write events (infra/kubernetes/rbac.yaml).'
    type: 'CustomRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: aksRbacDataActions
        notDataActions: []
      }
    ]
    // union() also removes duplicates.
    assignableScopes: union([subscription().id], clusterSubscriptionScopes)
  }
}

module aksAccess 'modules/aks-access.bicep' = [
  for (c, i) in aksClusters: {
    name: 'spot-drainer-aks-${i}'
    scope: resourceGroup(c.?subscriptionId ?? subscription().subscriptionId, c.resourceGroup)
    params: {
      clusterName: c.name
      principalId: app.outputs.functionPrincipalId
      drainerRoleDefinitionId: aksAuthorization == 'azure-rbac' ? aksDrainerRole.id : ''
    }
  }
]

module kubeconfigAccess 'modules/keyvault-secret-access.bicep' = if (useKeyVaultKubeconfig) {
  name: 'spot-drainer-kubeconfig-secret'
  scope: resourceGroup(kubeconfigKeyVaultResourceGroup)
  params: {
    vaultName: kubeconfigVaultName
    secretName: kubeconfigSecretName
    principalId: app.outputs.functionPrincipalId
  }
}

// /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>
module scheduledEventsOptIn 'modules/scheduled-events-opt-in.bicep' = [
  for (id, i) in scheduledEventsScaleSetIds: {
    name: 'spot-drainer-scheduled-events-${i}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      scaleSetName: split(id, '/')[8]
    }
  }
]

module events 'modules/events.bicep' = if (deployEventSubscriptions) {
  name: 'spot-drainer-events'
  scope: rg
  params: {
    namePrefix: namePrefix
    tags: tags
    functionAppId: app.outputs.functionAppId
    storageAccountId: app.outputs.storageAccountId
    deadLetterContainerName: app.outputs.deadLetterContainerName
    eventGridIdentityId: app.outputs.eventGridIdentityId
    nodeResourceGroups: [for c in aksClusters: c.nodeResourceGroup]
    enableResourceAnnotated: enableResourceAnnotated
    enableAvailabilityStatusChanged: enableAvailabilityStatusChanged
    enableScheduledEvents: enableScheduledEvents
    enableSimulateEviction: enableSimulateEviction
    maxDeliveryAttempts: maxDeliveryAttempts
    eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    actionGroupId: actionGroupId
  }
}

// The missed-deadline alert and the workbook, over the function's metric lines in Application Insights.
module monitoring 'modules/monitoring.bicep' = {
  name: 'spot-drainer-monitoring'
  scope: rg
  params: {
    location: location
    namePrefix: namePrefix
    tags: tags
    appInsightsName: app.outputs.appInsightsName
    actionGroupId: actionGroupId
    createWorkbook: createWorkbook
  }
}

// ---------------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------------

output resourceGroupName string = rg.name
output functionAppName string = app.outputs.functionAppName
output storageAccountName string = app.outputs.storageAccountName
output deploymentContainerName string = app.outputs.deploymentContainerName
@description('Object id of the function identity: the `kind: User` subject for Kubernetes RBAC.')
output functionPrincipalId string = app.outputs.functionPrincipalId
output functionClientId string = app.outputs.functionClientId
