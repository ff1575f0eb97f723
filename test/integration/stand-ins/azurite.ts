/**
 * Azurite's queue service on loopback, over HTTPS with the cluster's serving certificate and Entra ID
 * (OAuth) checks on: the function's queue client reaches it with a bearer token from a TokenCredential,
 * as it reaches Azure Storage with its managed identity. Azurite is an npm devDependency.
 */

import { join, resolve } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { type StandIn, startStandIn } from './server.ts';

const root = resolve(import.meta.dirname, '../../..');

/** Azurite's built-in account, the first segment of its queue URLs. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';

/**
 * Starts azurite-queue with OAuth on, serving `serving.crt`/`serving.key` of `certDir`, and makes this
 * process trust `caPem` (as NODE_EXTRA_CA_CERTS would) so the SDK's HTTPS client accepts it.
 */
export async function startAzurite(certDir: string, caPem: string): Promise<StandIn> {
  setDefaultCACertificates([...getCACertificates('default'), caPem]);
  return startStandIn(
    'azurite',
    join(root, 'node_modules/.bin/azurite-queue'),
    [
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      '0',
      '--inMemoryPersistence',
      '--oauth',
      'basic',
      '--cert',
      join(certDir, 'serving.crt'),
      '--key',
      join(certDir, 'serving.key'),
      '--skipApiVersionCheck',
    ],
    /successfully listens on https:\/\/127\.0\.0\.1:(\d+)/,
  ).then((azurite) => ({ ...azurite, url: azurite.url.replace('http:', 'https:') }));
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A TokenCredential for Storage scopes as Microsoft Entra ID issues them to a managed identity (issuer
 * `https://sts.windows.net/<tenant>/`, audience `https://storage.azure.com`), which Azurite's `basic`
 * OAuth mode checks (it does not check signatures); other scopes go to `others`.
 */
export function storageTokenCredential(others: TokenCredential): TokenCredential {
  return {
    async getToken(scopes, options): Promise<AccessToken | null> {
      const list = [scopes].flat();
      if (!list.some((scope) => scope.startsWith('https://storage.azure.com')))
        return others.getToken(scopes, options);
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        aud: 'https://storage.azure.com',
        iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000001/',
        iat: now,
        nbf: now - 60,
        exp: now + 3600,
        oid: '00000000-0000-0000-0000-0000000000aa',
      };
      const token = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(claims)}.c2lnbmF0dXJl`;
      return { token, expiresOnTimestamp: (now + 3600) * 1000 };
    },
  };
}
