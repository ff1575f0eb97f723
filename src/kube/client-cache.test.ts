import { afterEach, describe, expect, it } from 'vitest';
import { cachedKubeClient, closeCachedKubeClients } from './client-cache.ts';

describe('cachedKubeClient', () => {
  afterEach(() => closeCachedKubeClients());

  it('builds one client per cluster when many interruptions of that cluster arrive at once', async () => {
    let accesses = 0;
    const access = async () => {
      accesses += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { server: 'https://127.0.0.1:1', caPem: '', token: async () => 'token' };
    };
    const clients = await Promise.all(Array.from({ length: 20 }, () => cachedKubeClient('eks:prod', access)));
    expect(accesses).toBe(1);
    expect(new Set(clients).size).toBe(1);
    const other = await cachedKubeClient('eks:staging', access);
    expect(other).not.toBe(clients[0]);
    expect(accesses).toBe(2);
  });
});
