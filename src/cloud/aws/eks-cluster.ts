import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';

export interface EksClusterEndpoint {
  /** API server URL, `https://<id>.<suffix>.<region>.eks.amazonaws.com`. */
  endpoint: string;
  /** Cluster CA bundle as EKS returns it: base64 of the PEM, the kubeconfig `certificate-authority-data` form. */
  caData: string;
  status: string;
}

// An UPDATING cluster (version upgrade, config change) keeps serving its API; refusing it would stall
// drains during every control-plane upgrade.
const SERVING_STATUSES: ReadonlySet<string> = new Set(['ACTIVE', 'UPDATING']);

/** Endpoint and CA never change for a cluster's life, so warm invocations reuse them. Keyed by region/name. */
const clusterCache = new Map<string, Promise<EksClusterEndpoint>>();

export async function describeEksCluster(client: EKSClient, name: string): Promise<EksClusterEndpoint> {
  const region = await client.config.region();
  const key = `${region}/${name}`;
  const cached = clusterCache.get(key);
  if (cached) return cached;

  const lookup = fetchClusterEndpoint(client, name, region);
  clusterCache.set(key, lookup);
  lookup.catch(() => {
    if (clusterCache.get(key) === lookup) clusterCache.delete(key);
  });
  return lookup;
}

export function clearEksClusterCache(): void {
  clusterCache.clear();
}

async function fetchClusterEndpoint(
  client: EKSClient,
  name: string,
  region: string,
): Promise<EksClusterEndpoint> {
  const { cluster } = await client.send(new DescribeClusterCommand({ name }));
  const where = `EKS cluster "${name}" in ${region}`;
  if (!cluster) throw new Error(`${where}: DescribeCluster returned no cluster`);

  const status = cluster.status ?? 'UNKNOWN';
  if (!SERVING_STATUSES.has(status)) {
    throw new Error(`${where} is ${status}; its API server is not available (expected ACTIVE or UPDATING)`);
  }
  const endpoint = cluster.endpoint;
  if (!endpoint) throw new Error(`${where} has no API server endpoint`);
  const caData = cluster.certificateAuthority?.data;
  if (!caData) throw new Error(`${where} has no certificate authority data`);
  return { endpoint, caData, status };
}
