// Example parameters for infra/azure/main.bicep. Copy per environment and adjust:
//   az deployment sub create --name spot-drainer --location westeurope \
//     --template-file infra/azure/main.bicep --parameters infra/azure/main.bicepparam \
//     --parameters deployEventSubscriptions=false      # first run only, before the code is published
using './main.bicep'

param location = 'westeurope'
param resourceGroupName = 'rg-spot-drainer-prod'
param namePrefix = 'spotdrain'
param tags = {
  app: 'spot-drainer'
  env: 'prod'
}

// Flex Consumption with VNet integration into a subnet delegated to Microsoft.App/environments that
// resolves the private AKS API server. Leave subnetId empty for public clusters.
param planSku = 'FC1'
param subnetId = ''

param aksClusters = [
  {
    resourceGroup: 'rg-shop'
    name: 'aks-shop'
    nodeResourceGroup: 'MC_rg-shop_aks-shop_westeurope'
  }
]

// Kubernetes RBAC: bind output functionPrincipalId as `kind: User` in infra/kubernetes/rbac.yaml.
param aksAuthorization = 'kubernetes-rbac'

param clusterDisplayName = 'aks-shop (prod)'
param dryRun = false
param deadlinePolicy = 'respect-pdb'
param maintenanceAction = 'cordon'
param logLevel = 'INFO'

// Secrets: a Key Vault reference resolved by the Functions platform with the function identity
// (grant it Key Vault Secrets User on that secret), so the URL never appears in the deployment.
param slackUrl = '' // e.g. '@Microsoft.KeyVault(SecretUri=https://kv-ops.vault.azure.net/secrets/slack-webhook)'
param slackChannel = '#platform-alerts'

// Scale sets you own (not AKS node pools, see infra/README.md) to opt in to publishing Scheduled
// Events to Event Grid: without it, no Preempt warning reaches the function (reactive cleanup only).
param scheduledEventsScaleSetIds = [
  // '/subscriptions/<sub>/resourceGroups/rg-batch/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-spot'
]

param maxDeliveryAttempts = 10
param eventTimeToLiveInMinutes = 30
param actionGroupId = ''
