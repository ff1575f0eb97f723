import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AKS_SERVER_APP_SCOPE, aksTokenProvider, defaultAzureCredential } from './aks-token.ts';

const identityCalls = vi.hoisted(() => ({ managed: [] as unknown[], default: 0 }));

vi.mock('@azure/identity', () => ({
  ManagedIdentityCredential: class {
    constructor(options: unknown) {
      identityCalls.managed.push(options);
    }
    getToken = async () => ({ token: 'managed-identity', expiresOnTimestamp: Date.now() + 3_600_000 });
  },
  DefaultAzureCredential: class {
    constructor() {
      identityCalls.default += 1;
    }
    getToken = async () => ({ token: 'default-chain', expiresOnTimestamp: Date.now() + 3_600_000 });
  },
}));

/** Issues `token-1`, `token-2`… expiring `lifetimeMs` after the test clock, and records each scope asked for. */
function countingCredential(clock: () => number, lifetimeMs: number, extra: Partial<AccessToken> = {}) {
  const scopes: Array<string | string[]> = [];
  const credential: TokenCredential = {
    getToken: async (scope) => {
      scopes.push(scope);
      return { token: `token-${scopes.length}`, expiresOnTimestamp: clock() + lifetimeMs, ...extra };
    },
  };
  return { credential, scopes };
}

describe('aksTokenProvider', () => {
  it('asks for the AKS server application scope', async () => {
    const { credential, scopes } = countingCredential(Date.now, 60 * 60_000);

    await aksTokenProvider(credential)();

    expect(scopes).toEqual(['6dae42f8-4368-4678-94ff-3960e28e3630/.default']);
  });

  it('reuses the token until refreshBeforeMs ahead of its expiry, then gets a new one', async () => {
    let now = 1_000_000;
    const { credential, scopes } = countingCredential(() => now, 60 * 60_000);
    const getToken = aksTokenProvider(credential, { refreshBeforeMs: 5 * 60_000, clock: () => now });

    const first = await getToken();
    now += 55 * 60_000 - 1;
    const cached = await getToken();
    now += 1;
    const refreshed = await getToken();

    expect(first).toBe('token-1');
    expect(cached).toBe('token-1');
    expect(refreshed).toBe('token-2');
    expect(scopes).toHaveLength(2);
  });

  it('refreshes earlier when the token says so with refreshAfterTimestamp', async () => {
    let now = 1_000_000;
    const { credential } = countingCredential(() => now, 60 * 60_000, {
      refreshAfterTimestamp: now + 30 * 60_000,
    });
    const getToken = aksTokenProvider(credential, { clock: () => now });

    await getToken();
    now += 30 * 60_000;

    await expect(getToken()).resolves.toBe('token-2');
  });

  it('shares one request between concurrent callers', async () => {
    const { credential, scopes } = countingCredential(Date.now, 60 * 60_000);
    const getToken = aksTokenProvider(credential);

    await Promise.all([getToken(), getToken(), getToken()]);

    expect(scopes).toHaveLength(1);
  });

  it('fails when the credential returns no token, and tries again next time', async () => {
    let calls = 0;
    const credential: TokenCredential = {
      getToken: async () =>
        ++calls === 1 ? null : { token: 'late', expiresOnTimestamp: Date.now() + 3_600_000 },
    };
    const getToken = aksTokenProvider(credential);

    await expect(getToken()).rejects.toThrow(
      `Azure credential returned no token for scope ${AKS_SERVER_APP_SCOPE}`,
    );
    await expect(getToken()).resolves.toBe('late');
  });
});

describe('defaultAzureCredential', () => {
  beforeEach(() => {
    identityCalls.managed.length = 0;
    identityCalls.default = 0;
  });

  it('loads nothing until a token is asked for', () => {
    defaultAzureCredential({ AZURE_CLIENT_ID: 'client-1' });

    expect(identityCalls.managed).toHaveLength(0);
    expect(identityCalls.default).toBe(0);
  });

  it('uses the user-assigned managed identity named by AZURE_CLIENT_ID, created once', async () => {
    const credential = defaultAzureCredential({ AZURE_CLIENT_ID: 'client-1' });

    const first = await credential.getToken(AKS_SERVER_APP_SCOPE);
    await credential.getToken(AKS_SERVER_APP_SCOPE);

    expect(first?.token).toBe('managed-identity');
    expect(identityCalls.managed).toEqual([{ clientId: 'client-1' }]);
    expect(identityCalls.default).toBe(0);
  });

  it('falls back to DefaultAzureCredential without AZURE_CLIENT_ID', async () => {
    const token = await defaultAzureCredential({}).getToken(AKS_SERVER_APP_SCOPE);

    expect(token?.token).toBe('default-chain');
    expect(identityCalls.managed).toHaveLength(0);
  });
});
