/** What integration tests use to reach the run's control plane, as admin and as the drainer. */
import { readFileSync } from 'node:fs';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { createKubeClient, type KubeClient } from '../../src/kube/client.ts';
import type { ClusterInfo } from '../../src/local-cluster/control-plane.ts';

export function clusterInfo(): ClusterInfo {
  return inject('cluster');
}

export interface AdminApis {
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
  batch: BatchV1Api;
}

export function adminApis(info = clusterInfo()): AdminApis {
  const config = new KubeConfig();
  config.loadFromFile(info.adminKubeconfig);
  return {
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    policy: config.makeApiClient(PolicyV1Api),
    batch: config.makeApiClient(BatchV1Api),
  };
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
