/**
 * API clients by cluster, kept across warm invocations so connections (and tokens) are reused. One
 * client per cluster even when many interruptions of one cluster arrive at once: they share its
 * connection pool instead of opening (and leaking) one HTTPS agent each.
 */
import { createAsyncCache } from '../async-cache.ts';
import { type ClusterAccess, createKubeClient, type KubeClient, type KubeClientOptions } from './client.ts';

const clients = createAsyncCache<KubeClient>();

/** The client for `key`, created from `access()` on first use. Rejects as `access` does. */
export function cachedKubeClient(
  key: string,
  access: () => Promise<ClusterAccess>,
  options?: KubeClientOptions,
): Promise<KubeClient> {
  return clients.get(key, async () => createKubeClient(await access(), options));
}

/** Closes and forgets every cached client (tests, and the CLI before it exits). */
export async function closeCachedKubeClients(): Promise<void> {
  const all = clients.values();
  clients.clear();
  await Promise.all(
    all.map((client) =>
      client.then(
        (c) => c.close(),
        () => undefined,
      ),
    ),
  );
}
