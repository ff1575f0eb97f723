/** What integration tests use to reach the run's control plane, as admin and as the drainer. */
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { createKubeClient, type KubeClient } from '../../src/kube/client.ts';
import { adminApisFor } from '../../src/local-cluster/admin-apis.ts';
import type { ClusterInfo } from '../../src/local-cluster/control-plane.ts';
import type { PoolApis } from '../../src/local-cluster/node-pool.ts';

export function clusterInfo(): ClusterInfo {
  return inject('cluster');
}

/** The admin API clients of the run's control plane. */
export type AdminApis = PoolApis;

/** Admin clients for the run's control plane (or `info`'s). */
export function adminApis(info = clusterInfo()): AdminApis {
  return adminApisFor(info);
}

/** The restricted identity, bound only by infra/kubernetes/rbac.yaml, through the production client. */
export function drainerClient(info = clusterInfo()): KubeClient {
  return createKubeClient({
    server: info.server,
    caPem: readFileSync(info.caFile, 'utf8'),
    token: async () => info.drainerToken,
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
