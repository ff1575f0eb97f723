import type { TokenCredential } from '@azure/core-auth';
import { describe, expect, it } from 'vitest';
import { parseKeyVaultReference, readKeyVaultKubeconfig, type SecretReader } from './keyvault-kubeconfig.ts';

const VERSION = '0123456789abcdef0123456789abcdef';
const credential: TokenCredential = { getToken: async () => null };

describe('parseKeyVaultReference', () => {
  it('reads vault, secret and version', () => {
    expect(
      parseKeyVaultReference(
        `keyvault:https://kv-drainer.vault.azure.net/secrets/prod-kubeconfig/${VERSION}`,
      ),
    ).toEqual({
      vaultUrl: 'https://kv-drainer.vault.azure.net',
      secretName: 'prod-kubeconfig',
      version: VERSION,
    });
  });

  it('reads a reference without version, trailing slash allowed', () => {
    expect(
      parseKeyVaultReference('keyvault:https://kv-drainer.vault.azure.net/secrets/prod-kubeconfig/'),
    ).toEqual({
      vaultUrl: 'https://kv-drainer.vault.azure.net',
      secretName: 'prod-kubeconfig',
    });
  });

  it.each([
    ['another scheme', 'ssm:/spot-drainer/kubeconfig', /not a Key Vault reference/],
    ['not a URL', 'keyvault:kv-drainer/prod', /not a URL/],
    ['plain http', 'keyvault:http://kv-drainer.vault.azure.net/secrets/prod', /not an https Key Vault/],
    ['another host', 'keyvault:https://kv-drainer.example.com/secrets/prod', /not an https Key Vault/],
    [
      'host that only ends like a vault',
      'keyvault:https://evil.vault.azure.net.example.com/secrets/prod',
      /not an https/,
    ],
    ['keys instead of secrets', 'keyvault:https://kv-drainer.vault.azure.net/keys/prod', /names no secret/],
    ['no secret name', 'keyvault:https://kv-drainer.vault.azure.net/secrets/', /names no secret/],
    [
      'path past the version',
      `keyvault:https://kv-drainer.vault.azure.net/secrets/prod/${VERSION}/x`,
      /names no secret/,
    ],
    ['malformed version', 'keyvault:https://kv-drainer.vault.azure.net/secrets/prod/latest', /32-digit hex/],
    ['query string', 'keyvault:https://kv-drainer.vault.azure.net/secrets/prod?api-version=7.4', /query/],
  ])('refuses %s', (_case, ref, message) => {
    expect(() => parseKeyVaultReference(ref)).toThrow(message);
  });
});

describe('readKeyVaultKubeconfig', () => {
  function fakeVault(value: string | undefined, failure?: Error) {
    const requests: Array<{ vaultUrl: string; name: string; options?: { version?: string } }> = [];
    const createClient = (vaultUrl: string): SecretReader => ({
      getSecret: async (name, options) => {
        requests.push({ vaultUrl, name, ...(options ? { options } : {}) });
        if (failure) throw failure;
        return value === undefined ? {} : { value };
      },
    });
    return { createClient, requests };
  }

  it('reads the secret version the reference names', async () => {
    const { createClient, requests } = fakeVault('apiVersion: v1\n');

    const text = await readKeyVaultKubeconfig(
      `keyvault:https://kv-drainer.vault.azure.net/secrets/prod-kubeconfig/${VERSION}`,
      { credential, createClient },
    );

    expect(text).toBe('apiVersion: v1\n');
    expect(requests).toEqual([
      {
        vaultUrl: 'https://kv-drainer.vault.azure.net',
        name: 'prod-kubeconfig',
        options: { version: VERSION },
      },
    ]);
  });

  it('fails clearly on an empty secret', async () => {
    const { createClient } = fakeVault(undefined);

    await expect(
      readKeyVaultKubeconfig('keyvault:https://kv-drainer.vault.azure.net/secrets/prod', {
        credential,
        createClient,
      }),
    ).rejects.toThrow('Key Vault secret "prod" in https://kv-drainer.vault.azure.net has no value');
  });

  it('wraps a Key Vault failure with the secret it was reading', async () => {
    const forbidden = Object.assign(new Error('Caller is not authorized'), { statusCode: 403 });
    const { createClient } = fakeVault(undefined, forbidden);

    const attempt = readKeyVaultKubeconfig('keyvault:https://kv-drainer.vault.azure.net/secrets/prod', {
      credential,
      createClient,
    });

    await expect(attempt).rejects.toThrow(
      'Key Vault secret "prod" in https://kv-drainer.vault.azure.net could not be read',
    );
    await expect(attempt).rejects.toHaveProperty('cause', forbidden);
  });
});
