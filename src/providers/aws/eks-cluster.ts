import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import { createAsyncCache } from '../../async-cache.ts';

/**
 * What the function needs of EKS DescribeCluster's `cluster` to reach the API server; `status` as EKS reports
 * it (ACTIVE or UPDATING, the only ones describeEksCluster returns).
 */
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
const clusterCache = createAsyncCache<EksClusterEndpoint>();

/**
 * The endpoint and CA of EKS cluster `name` (DescribeCluster), once per cold start. Rejects when the
 * cluster is not found or not serving (status other than ACTIVE or UPDATING), or with the SDK's error.
 */
export async function describeEksCluster(client: EKSClient, name: string): Promise<EksClusterEndpoint> {
  const region = await client.config.region();
  return clusterCache.get(`${region}/${name}`, () => fetchClusterEndpoint(client, name, region));
}

/** Forgets every endpoint (tests). */
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
