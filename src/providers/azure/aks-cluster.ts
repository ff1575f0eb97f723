import type { CredentialResults } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';
import { createAsyncCache } from '../../async-cache.ts';
import { type KubeconfigEntry, kubeconfigEntry } from '../../kube/kubeconfig.ts';

/**
 * What the Function needs to reach an AKS API server, from the cluster's user kubeconfig (Managed Clusters -
 * List Cluster User Credentials).
 */
export interface AksEndpoint {
  /** API server URL from the cluster's user kubeconfig. */
  server: string;
  /** Cluster CA bundle, base64 of the PEM (kubeconfig `certificate-authority-data`). */
  caData: string;
}

/** The part of ContainerServiceClient this module calls, so tests can pass a fake. */
export interface AksCredentialsClient {
  managedClusters: {
    listClusterUserCredentials(resourceGroupName: string, resourceName: string): Promise<CredentialResults>;
  };
}

/**
 * The AKS managed cluster whose endpoint is wanted, and the identity that may list its user credentials
 * (Azure Kubernetes Service Cluster User Role, or any role with
 * `Microsoft.ContainerService/managedClusters/listClusterUserCredential/action`).
 */
export interface AksClusterRef {
  subscriptionId: string;
  resourceGroup: string;
  clusterName: string;
  credential: TokenCredential;
  /** Defaults to a ContainerServiceClient for the subscription. */
  client?: AksCredentialsClient;
}

/** Server and CA do not change for a cluster's life, so warm invocations reuse them. Keyed by cluster id. */
const endpointCache = createAsyncCache<AksEndpoint>();

/**
 * The API server and CA of an AKS cluster, read from its user kubeconfig. Only those two are kept: the
 * user entry (kubelogin exec, or a client credential on clusters with local accounts) is discarded.
 */
export async function getAksEndpoint(ref: AksClusterRef): Promise<AksEndpoint> {
  return endpointCache.get(clusterResourceId(ref).toLowerCase(), () => fetchEndpoint(ref));
}

/** Forgets every endpoint (tests). */
export function clearAksEndpointCache(): void {
  endpointCache.clear();
}

async function fetchEndpoint(ref: AksClusterRef): Promise<AksEndpoint> {
  const client = ref.client ?? (await createClient(ref.credential, ref.subscriptionId));
  const results = await client.managedClusters.listClusterUserCredentials(ref.resourceGroup, ref.clusterName);
  const where = `AKS cluster ${clusterResourceId(ref)}`;
  const kubeconfig = results.kubeconfigs?.find((entry) => entry.value && entry.value.length > 0)?.value;
  if (!kubeconfig) throw new Error(`${where}: listClusterUserCredentials returned no kubeconfig`);
  return endpointFromKubeconfig(new TextDecoder().decode(kubeconfig), where);
}

function endpointFromKubeconfig(text: string, where: string): AksEndpoint {
  let cluster: KubeconfigEntry['cluster'];
  try {
    ({ cluster } = kubeconfigEntry(text));
  } catch (error) {
    throw new Error(`${where}: the user kubeconfig could not be parsed: ${(error as Error).message}`);
  }
  if (!cluster['certificate-authority-data']) {
    throw new Error(`${where}: the user kubeconfig has no certificate-authority-data`);
  }
  return { server: cluster.server!, caData: cluster['certificate-authority-data'] };
}

async function createClient(
  credential: TokenCredential,
  subscriptionId: string,
): Promise<AksCredentialsClient> {
  const { ContainerServiceClient } = await import('@azure/arm-containerservice');
  return new ContainerServiceClient(credential, subscriptionId);
}

function clusterResourceId({ subscriptionId, resourceGroup, clusterName }: AksClusterRef): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${clusterName}`;
}
