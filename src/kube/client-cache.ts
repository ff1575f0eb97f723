import { type ClusterAccess, createKubeClient, type KubeClient, type KubeClientOptions } from './client.ts';

/** Clients by cluster, kept across warm invocations so connections (and tokens) are reused. */
const clients = new Map<string, KubeClient>();

export async function cachedKubeClient(
  key: string,
  access: () => Promise<ClusterAccess>,
  options?: KubeClientOptions,
): Promise<KubeClient> {
  const existing = clients.get(key);
  if (existing) return existing;
  const client = createKubeClient(await access(), options);
  clients.set(key, client);
  return client;
}

export async function closeCachedKubeClients(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((client) => client.close()));
}
