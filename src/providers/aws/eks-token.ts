/**
 * Bearer tokens for the EKS API server, in the aws-iam-authenticator v1 format: a presigned STS
 * GetCallerIdentity URL that the cluster replays to learn who signed it.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, QueryParameterBag } from '@smithy/types';

/** The version prefix of an aws-iam-authenticator token; the API server rejects tokens without it. */
export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** STS honours a presigned GetCallerIdentity URL for 15 minutes after X-Amz-Date, whatever X-Amz-Expires says. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60_000;
/** Renew a minute early, like aws-iam-authenticator, so a token never expires in flight. */
export const EKS_TOKEN_RENEW_AFTER_MS = 14 * 60_000;

const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
// STS ignores X-Amz-Expires here; aws-iam-authenticator 0.3 and older refuse anything but 0..60.
const PRESIGN_EXPIRES_SECONDS = 60;
const RENEW_MARGIN_MS = EKS_TOKEN_LIFETIME_MS - EKS_TOKEN_RENEW_AFTER_MS;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * What an EKS token is signed for: the cluster (sent as the signed `x-k8s-aws-id` header, which EKS checks
 * against its own name) and the region whose STS endpoint is presigned.
 */
export interface EksTokenRequest {
  clusterName: string;
  region: string;
  /** Defaults to the Node.js default provider chain (in Lambda, the execution role from the environment). */
  credentials?: AwsCredentialIdentityProvider;
  /** Signing time; defaults to the current time. */
  now?: Date;
}

/**
 * A bearer token for the EKS API server: `k8s-aws-v1.` then the base64url (unpadded) presigned STS
 * GetCallerIdentity URL, as aws-iam-authenticator defines it
 * (https://github.com/kubernetes-sigs/aws-iam-authenticator#api-authorization-from-outside-a-cluster).
 */
export interface EksToken {
  token: string;
  /** When the API server stops accepting the token: 15 minutes after signing, or earlier if the credentials expire first. */
  expiresAt: Date;
}

let defaultCredentials: AwsCredentialIdentityProvider | undefined;

/**
 * Signs a new token with SigV4 (query presigning,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-query-string-auth.html) against the
 * regional STS endpoint (`.amazonaws.com.cn` in China regions); STS itself is not called. Rejects for an
 * empty cluster name, a string that is not a region, or credentials that cannot be resolved.
 */
export async function createEksToken(request: EksTokenRequest): Promise<EksToken> {
  const { clusterName, region, now = new Date() } = request;
  if (clusterName === '') throw new Error('EKS token: cluster name is empty');
  if (!REGION_PATTERN.test(region)) throw new Error(`EKS token: "${region}" is not an AWS region`);

  const credentials = request.credentials ?? defaultCredentialChain();
  const identity = await credentials();
  const hostname = stsRegionalHostname(region);
  const signer = new SignatureV4({ service: 'sts', region, credentials: identity, sha256: Sha256 });
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, [CLUSTER_ID_HEADER]: clusterName },
    }),
    { signingDate: now, expiresIn: PRESIGN_EXPIRES_SECONDS },
  );

  const url = `https://${hostname}/?${formatQuery(presigned.query ?? {})}`;
  // X-Amz-Date has second precision; the 15 minutes run from that truncated time.
  const signedAtMs = Math.floor(now.getTime() / 1000) * 1000;
  const expiresAtMs = Math.min(
    signedAtMs + EKS_TOKEN_LIFETIME_MS,
    identity.expiration?.getTime() ?? Number.POSITIVE_INFINITY,
  );
  return {
    token: EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    expiresAt: new Date(expiresAtMs),
  };
}

/** An EksTokenRequest without `now`, plus how often to re-sign (ms, default 14 minutes) and the clock. */
export interface EksTokenProviderOptions extends Omit<EksTokenRequest, 'now'> {
  /** How long a token is reused before a new one is signed; at most the 15-minute lifetime. */
  renewAfterMs?: number;
  clock?: () => Date;
}

/** Returns a function that hands out a cached token and signs a new one before the old one expires. */
export function eksTokenProvider(options: EksTokenProviderOptions): () => Promise<string> {
  const { renewAfterMs = EKS_TOKEN_RENEW_AFTER_MS, clock = () => new Date(), ...request } = options;
  if (!(renewAfterMs > 0 && renewAfterMs <= EKS_TOKEN_LIFETIME_MS)) {
    throw new Error(`EKS token: renewAfterMs must be in (0, ${EKS_TOKEN_LIFETIME_MS}], got ${renewAfterMs}`);
  }

  let cached: { token: string; renewAtMs: number } | undefined;
  let signing: Promise<string> | undefined;

  const sign = async (now: Date): Promise<string> => {
    const { token, expiresAt } = await createEksToken({ ...request, now });
    cached = {
      token,
      renewAtMs: Math.min(now.getTime() + renewAfterMs, expiresAt.getTime() - RENEW_MARGIN_MS),
    };
    return token;
  };

  return () => {
    const now = clock();
    if (cached && now.getTime() < cached.renewAtMs) return Promise.resolve(cached.token);
    // Concurrent callers share one signing instead of each resolving credentials.
    signing ??= sign(now).finally(() => {
      signing = undefined;
    });
    return signing;
  };
}

function defaultCredentialChain(): AwsCredentialIdentityProvider {
  defaultCredentials ??= defaultProvider();
  return defaultCredentials;
}

function stsRegionalHostname(region: string): string {
  return region.startsWith('cn-') ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`;
}

function formatQuery(query: QueryParameterBag): string {
  return Object.keys(query)
    .sort()
    .flatMap((key) => {
      const value = query[key];
      const values = value == null ? [] : Array.isArray(value) ? value : [value];
      return values.map((v) => `${encodeRfc3986(key)}=${encodeRfc3986(v)}`);
    })
    .join('&');
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
