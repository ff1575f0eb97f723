/** What integration tests use to reach the run's control plane, as admin and as the drainer. */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, inject } from 'vitest';
import { createKubeClient, type KubeClient } from '../../src/kube/client.ts';
import { adminApisFor } from '../../src/local-cluster/admin-apis.ts';
import { type ClusterInfo, kubectl } from '../../src/local-cluster/control-plane.ts';
import {
  createSpotPool,
  deleteSpotPool,
  type PoolApis,
  type PoolCloud,
  type SpotPool,
} from '../../src/local-cluster/node-pool.ts';

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

/**
 * Grants `group` more than infra/kubernetes/rbac.yaml does: Role `extra` (get `resource`) and RoleBinding
 * `extra` to the group, in `namespace`, with kubectl as admin. Rejects with kubectl's error (e.g. when
 * they exist already); the caller deletes them, or the namespace.
 */
export async function grantExtraRole(
  info: ClusterInfo,
  grant: { namespace: string; group: string; resource: string },
): Promise<void> {
  const { namespace, group, resource } = grant;
  await kubectl(info, ['-n', namespace, 'create', 'role', 'extra', '--verb=get', `--resource=${resource}`]);
  await kubectl(info, [
    '-n',
    namespace,
    'create',
    'rolebinding',
    'extra',
    '--role=extra',
    `--group=${group}`,
  ]);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The spot pools of one test file: returns `create(nodes, cloud = 'aws')`, which creates a pool of `nodes`
 * nodes named `<prefix>-<random>`, and registers a hook that deletes every pool created so far after each
 * test (`deleteAfter: 'each'`) or after the file (`'all'`). Call it at the top level of the file; vitest
 * runs after-hooks in reverse order of registration, so hooks registered later run before the deletion.
 */
export function spotPools(
  prefix: string,
  deleteAfter: 'each' | 'all',
  apis: PoolApis = adminApis(),
): (nodes: number, cloud?: PoolCloud) => Promise<SpotPool> {
  const pools: SpotPool[] = [];
  (deleteAfter === 'each' ? afterEach : afterAll)(async () => {
    await Promise.all(pools.splice(0).map((pool) => deleteSpotPool(apis, pool)));
  });
  return async (nodes, cloud = 'aws') => {
    const created = await createSpotPool(apis, { cloud, nodes, id: uniqueName(prefix) });
    pools.push(created);
    return created;
  };
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
