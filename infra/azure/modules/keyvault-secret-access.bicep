// Lets the spot-drainer identity read ONE Key Vault secret (a kubeconfig). The role is assigned on the
// secret, not on the vault. The vault must use the Azure RBAC permission model.
targetScope = 'resourceGroup'

param vaultName string
param secretName string

@description('Object id of the function identity.')
param principalId string

var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: vaultName

  resource secret 'secrets' existing = {
    name: secretName
  }
}

resource secretReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault::secret.id, principalId, keyVaultSecretsUserRoleId)
  scope: vault::secret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
