/**
 * Which AKS cluster a VM belongs to, and how to reach it: the cluster configured for the VM's node
 * resource group (SPOT_DRAINER_AKS_CLUSTERS), reached with a Microsoft Entra token of the managed
 * identity for the AKS server application (6dae42f8-…); or any cluster through a kubeconfig in Key Vault.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { AksClusterTarget, Config } from '../../config.ts';
import type { ClusterAccess } from '../../kube/client.ts';
import { clusterAccessFromSource } from '../../kube/kubeconfig-source.ts';
import type { SecretReaders } from '../../secrets.ts';
import { type AksCredentialsClient, getAksEndpoint } from './aks-cluster.ts';
import { aksTokenProvider } from './aks-token.ts';
import { resourceGroupScopeOf } from './resource-id.ts';

/** A cluster to connect to (client-cache key, display name, access), or why the VM is not ours. */
export type AksClusterChoice =
  | { key: string; name: string; access: () => Promise<ClusterAccess> }
  | { notOurs: string };

/** What reaching a cluster needs. */
export interface AksAccessOptions {
  config: Pick<Config, 'aksClusters' | 'kubeconfigSource' | 'clusterDisplayName'>;
  credential: () => TokenCredential;
  aksClient?: (subscriptionId: string) => AksCredentialsClient;
  readers: SecretReaders;
}

function endpointAccess(target: AksClusterTarget, options: AksAccessOptions): AksClusterChoice {
  const token = () => aksTokenProvider(options.credential());
  if ('server' in target) {
    return {
      key: `aks-endpoint:${target.server}`,
      name: target.server,
      access: async () => ({
        server: target.server,
        caPem: Buffer.from(target.caData, 'base64').toString('utf8'),
        token: token(),
      }),
    };
  }
  return {
    key: `aks:${target.subscriptionId}/${target.resourceGroup}/${target.name}`.toLowerCase(),
    name: target.name,
    access: async () => {
      const endpoint = await getAksEndpoint({
        subscriptionId: target.subscriptionId,
        resourceGroup: target.resourceGroup,
        clusterName: target.name,
        credential: options.credential(),
        client: options.aksClient?.(target.subscriptionId),
      });
      return {
        server: endpoint.server,
        caPem: Buffer.from(endpoint.caData, 'base64').toString('utf8'),
        token: token(),
      };
    },
  };
}

/**
 * The cluster for the VM `resourceId`, by its node resource group (case-insensitive, as ARM compares),
 * else the kubeconfig source; `notOurs` when neither is configured. Pure apart from the closures it returns.
 */
export function clusterForResourceGroup(resourceId: string, options: AksAccessOptions): AksClusterChoice {
  const scope = resourceGroupScopeOf(resourceId);
  const target = scope ? options.config.aksClusters[scope.resourceGroup.toLowerCase()] : undefined;
  if (target) return endpointAccess(target, options);
  const source = options.config.kubeconfigSource;
  if (source) {
    return {
      key: `kubeconfig:${source}`,
      name: options.config.clusterDisplayName ?? 'kubeconfig',
      access: () => clusterAccessFromSource(source, options.readers),
    };
  }
  return {
    notOurs: `no cluster is configured for node resource group ${scope?.resourceGroup ?? '(unknown)'}`,
  };
}
