// Roles of the spot-drainer identity on ONE AKS cluster. Deployed into the cluster's resource group by
// ../main.bicep, once per cluster; every assignment is scoped to the cluster resource itself.
targetScope = 'resourceGroup'

param clusterName string

@description('Object id of the function identity.')
param principalId string

@description('Custom role for Azure RBAC for Kubernetes authorization; empty when the cluster uses Kubernetes RBAC.')
param drainerRoleDefinitionId string = ''

// Azure Kubernetes Service Cluster User Role: managedClusters/read and listClusterUserCredential, i.e.
// the API server address and CA. It grants no Kubernetes permission by itself: on Entra ID clusters
// the identity signs in with its own token and Kubernetes RBAC (or Azure RBAC) decides.
var clusterUserRoleId = '4abbcc35-e782-43d8-92c5-2d3f1bd2253f'

resource cluster 'Microsoft.ContainerService/managedClusters@2026-06-01' existing = {
  name: clusterName
}

resource clusterUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(cluster.id, principalId, clusterUserRoleId)
  scope: cluster
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', clusterUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource drainer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(drainerRoleDefinitionId)) {
  name: guid(cluster.id, principalId, 'spot-drainer-aks-rbac')
  scope: cluster
  properties: {
    roleDefinitionId: drainerRoleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output clusterId string = cluster.id
