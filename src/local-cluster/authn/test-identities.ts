/**
 * The credential side of the test cluster's authentication: an AWS access key the EKS verifier knows,
 * and an Entra issuer whose tokens the AKS verifier trusts. All of it is plain JSON so the control
 * plane can write it into its state directory and the tests can read it back.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { z } from 'zod';
import type { EksTestIdentity } from './eks-verifier.ts';

/** The default ARN of test AWS identities: an assumed-role session of the drainer's Lambda role. */
export const TEST_AWS_ROLE_SESSION_ARN =
  'arn:aws:sts::111122223333:assumed-role/spot-drainer-lambda/spot-drainer';

/** An AWS access key (and the user it maps to) that local tokens are signed with. */
export type TestAwsIdentity = EksTestIdentity;

const ACCESS_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A long-term-style access key (AKIA…, no session token). Username defaults to the ARN, as EKS access entries map it. */
export function createTestAwsIdentity(
  overrides: Partial<Pick<TestAwsIdentity, 'arn' | 'username' | 'groups'>> = {},
): TestAwsIdentity {
  const arn = overrides.arn ?? TEST_AWS_ROLE_SESSION_ARN;
  const suffix = Array.from({ length: 16 }, () => ACCESS_KEY_ALPHABET[randomInt(ACCESS_KEY_ALPHABET.length)]);
  return {
    accessKeyId: `AKIA${suffix.join('')}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    arn,
    username: overrides.username ?? arn,
    groups: overrides.groups ?? [],
  };
}

/** The identity as an SDK credential provider, for createEksToken / eksTokenProvider. */
export function testAwsCredentials(identity: TestAwsIdentity): AwsCredentialIdentityProvider {
  const { accessKeyId, secretAccessKey, sessionToken } = identity;
  return () => Promise.resolve({ accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) });
}

const testAwsIdentitySchema = z.object({
  accessKeyId: z.string().min(16),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1).optional(),
  arn: z.string().startsWith('arn:'),
  username: z.string().min(1),
  groups: z.array(z.string()),
});

/** The identity as pretty-printed JSON (secret included: keep the file private). */
export function serializeTestAwsIdentity(identity: TestAwsIdentity): string {
  return JSON.stringify(identity, null, 2);
}

/** Parses serializeTestAwsIdentity output; throws a ZodError (or SyntaxError) when it does not fit. */
export function parseTestAwsIdentity(json: string): TestAwsIdentity {
  return testAwsIdentitySchema.parse(JSON.parse(json));
}

/** A stand-in Entra tenant: its v1 issuer URL and the RS256 key pair (as JWKs) its tokens are signed with. */
export interface TestEntraIssuer {
  tenantId: string;
  /** `https://sts.windows.net/<tenant>/`, the v1 issuer AKS tokens carry. */
  issuer: string;
  keyId: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** A new issuer with a fresh RS256 key pair and key id, for `tenantId` (a random UUID by default). */
export async function createTestEntraIssuer(options: { tenantId?: string } = {}): Promise<TestEntraIssuer> {
  const tenantId = options.tenantId ?? randomUUID();
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return {
    tenantId,
    issuer: `https://sts.windows.net/${tenantId}/`,
    keyId: randomUUID(),
    privateJwk: await exportJWK(privateKey),
    publicJwk: await exportJWK(publicKey),
  };
}

const jwkSchema = z.looseObject({ kty: z.literal('RSA'), n: z.string(), e: z.string() });
const testEntraIssuerSchema = z.object({
  tenantId: z.string().min(1),
  issuer: z.url(),
  keyId: z.string().min(1),
  privateJwk: jwkSchema.extend({ d: z.string() }),
  publicJwk: jwkSchema,
});

/** The issuer as pretty-printed JSON (private key included: keep the file private). */
export function serializeTestEntraIssuer(issuer: TestEntraIssuer): string {
  return JSON.stringify(issuer, null, 2);
}

/** Parses serializeTestEntraIssuer output; throws a ZodError (or SyntaxError) when it does not fit. */
export function parseTestEntraIssuer(json: string): TestEntraIssuer {
  return testEntraIssuerSchema.parse(JSON.parse(json));
}

/** Options of {@link TestTokenCredential}. */
export interface TestTokenCredentialOptions {
  issuer: TestEntraIssuer;
  /** The principal's object id, the `oid` claim. */
  objectId: string;
  /** Defaults to one hour, like Entra access tokens. */
  lifetimeMs?: number;
  /** Milliseconds since the epoch; lets a test issue tokens in the past. */
  clock?: () => number;
}

/**
 * An @azure/core-auth TokenCredential that issues Entra-shaped v1 access tokens itself: audience is
 * the requested scope without `/.default`, signed by the test issuer.
 */
export class TestTokenCredential implements TokenCredential {
  readonly #options: Required<TestTokenCredentialOptions>;
  #signingKey: ReturnType<typeof importJWK> | undefined;
  #issued = 0;

  constructor(options: TestTokenCredentialOptions) {
    this.#options = { lifetimeMs: 60 * 60_000, clock: Date.now, ...options };
  }

  /** How many tokens this credential has issued. */
  get issuedCount(): number {
    return this.#issued;
  }

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    const scopeList = typeof scopes === 'string' ? [scopes] : scopes;
    const [scope] = scopeList;
    if (scopeList.length !== 1 || !scope)
      throw new Error('TestTokenCredential issues tokens for exactly one scope');

    const { issuer, objectId, lifetimeMs, clock } = this.#options;
    const issuedAtMs = clock();
    const expiresOnTimestamp = issuedAtMs + lifetimeMs;
    this.#signingKey ??= importJWK(issuer.privateJwk, 'RS256');
    const token = await new SignJWT({ oid: objectId, tid: issuer.tenantId, ver: '1.0' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: issuer.keyId })
      .setIssuer(issuer.issuer)
      .setAudience(scope.replace(/\/\.default$/, ''))
      .setSubject(objectId)
      .setIssuedAt(Math.floor(issuedAtMs / 1000))
      .setNotBefore(Math.floor(issuedAtMs / 1000))
      .setExpirationTime(Math.floor(expiresOnTimestamp / 1000))
      .sign(await this.#signingKey);
    this.#issued += 1;
    return { token, expiresOnTimestamp, tokenType: 'Bearer' };
  }
}
