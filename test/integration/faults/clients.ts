/** Clients and fixtures the fault and reliability tests share. */
import type { V1Pod } from '@kubernetes/client-node';
import { createKubeClient, type KubeClient, type KubeClientOptions } from '../../../src/kube/client.ts';
import type { ClusterInfo } from '../../../src/local-cluster/control-plane.ts';
import {
  type createDeployment,
  isPodReady,
  type PoolApis,
  type PoolNode,
  placeOnNode,
  podsOnNode,
  type SpotPool,
} from '../../../src/local-cluster/node-pool.ts';
import { eventually } from '../cluster.ts';
import type { FaultProxy } from './proxy.ts';

/** The restricted drainer identity (static token), reaching the API server through the proxy. */
export function drainerThroughProxy(
  proxy: FaultProxy,
  info: Pick<ClusterInfo, 'drainerToken'>,
  options: KubeClientOptions = {},
): KubeClient {
  return createKubeClient(
    { server: proxy.url, caPem: proxy.caPem, token: async () => info.drainerToken },
    options,
  );
}

/**
 * Starts `create` with only `target` open, then waits until `expected` pods of the pool run Ready on it
 * (and, for workloads with a PDB, until the disruption controller has seen them all healthy).
 */
export async function workloadOn(
  apis: PoolApis,
  pool: SpotPool,
  target: PoolNode,
  expected: number,
  create: () => ReturnType<typeof createDeployment>,
  pdb?: string,
): Promise<V1Pod[]> {
  await placeOnNode(apis, pool, target, expected, create);
  const pods = await eventually(`${expected} pods ready on ${target.name}`, async () => {
    const current = (await podsOnNode(apis.core, target.name)).filter(
      (pod) => pod.metadata?.namespace === pool.namespace,
    );
    return current.length === expected && current.every(isPodReady) ? current : undefined;
  });
  if (pdb) {
    await eventually(`PDB ${pdb} sees every pod healthy`, async () => {
      const budget = await apis.policy.readNamespacedPodDisruptionBudget({
        name: pdb,
        namespace: pool.namespace,
      });
      return (budget.status?.currentHealthy ?? 0) >= expected && budget.status?.observedGeneration;
    });
  }
  return pods;
}

export const podName = (pod: V1Pod) => pod.metadata?.name ?? '';
export const podUid = (pod: V1Pod) => pod.metadata?.uid ?? '';
