/** Entra ID bearer tokens for AKS clusters with Entra integration (the kubelogin token, without kubelogin). */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

/** The well-known Entra application every AKS API server accepts tokens for. */
export const AKS_SERVER_APP_ID = '6dae42f8-4368-4678-94ff-3960e28e3630';
/** The scope to request an AKS token for: the application's `.default` scope, as kubelogin requests it. */
export const AKS_SERVER_APP_SCOPE = `${AKS_SERVER_APP_ID}/.default`;

const DEFAULT_REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * Token caching: refresh `refreshBeforeMs` (default 5 minutes) before `expiresOnTimestamp`, or at the
 * credential's `refreshAfterTimestamp` if earlier; the clock is injectable for tests.
 */
export interface AksTokenProviderOptions {
  /** Get a new token this long before the current one expires. */
  refreshBeforeMs?: number;
  /** Milliseconds since the epoch. */
  clock?: () => number;
}

/** Returns a function that hands out a cached AKS token and gets a new one before it expires. */
export function aksTokenProvider(
  credential: TokenCredential,
  { refreshBeforeMs = DEFAULT_REFRESH_BEFORE_MS, clock = Date.now }: AksTokenProviderOptions = {},
): () => Promise<string> {
  let cached: { token: string; refreshAtMs: number } | undefined;
  let requesting: Promise<string> | undefined;

  const request = async (): Promise<string> => {
    const accessToken = await credential.getToken(AKS_SERVER_APP_SCOPE);
    if (!accessToken) throw new Error(`Azure credential returned no token for scope ${AKS_SERVER_APP_SCOPE}`);
    cached = { token: accessToken.token, refreshAtMs: refreshTime(accessToken, refreshBeforeMs) };
    return accessToken.token;
  };

  return () => {
    if (cached && clock() < cached.refreshAtMs) return Promise.resolve(cached.token);
    requesting ??= request().finally(() => {
      requesting = undefined;
    });
    return requesting;
  };
}

function refreshTime(token: AccessToken, refreshBeforeMs: number): number {
  return Math.min(
    token.expiresOnTimestamp - refreshBeforeMs,
    token.refreshAfterTimestamp ?? Number.POSITIVE_INFINITY,
  );
}

/**
 * The Function App's identity: the user-assigned managed identity named by AZURE_CLIENT_ID, else
 * DefaultAzureCredential. @azure/identity is loaded on first use to keep cold starts small.
 */
export function defaultAzureCredential(env: NodeJS.ProcessEnv = process.env): TokenCredential {
  const clientId = env.AZURE_CLIENT_ID;
  let credential: Promise<TokenCredential> | undefined;
  const load = async (): Promise<TokenCredential> => {
    const identity = await import('@azure/identity');
    return clientId
      ? new identity.ManagedIdentityCredential({ clientId })
      : new identity.DefaultAzureCredential();
  };
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      credential ??= load().catch((error: unknown) => {
        credential = undefined;
        throw error;
      });
      return (await credential).getToken(scopes, options);
    },
  };
}
