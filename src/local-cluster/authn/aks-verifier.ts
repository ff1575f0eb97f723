/**
 * Verifies Entra ID access tokens the way an AKS API server with Entra integration does: signature,
 * issuer, the AKS server application audience and lifetime, then the `oid` claim names the user.
 */
import type { KeyObject } from 'node:crypto';
import { type CryptoKey, decodeProtectedHeader, errors, type JWK, jwtVerify } from 'jose';
import { type AuthenticatedUser, refuse, type TokenVerifier, type VerifyResult } from './verifier.ts';

/** A principal the AKS verifier accepts, keyed by its Entra object id. */
export interface AksTestUser {
  objectId: string;
  /** Defaults to the object id, which is what AKS uses for service principals and managed identities. */
  username?: string;
  groups: string[];
}

/** What an AKS-style verifier trusts: one issuer and key, one audience, and its known users. */
export interface AksVerifierConfig {
  /** `https://sts.windows.net/<tenant>/` */
  issuer: string;
  /** The AKS server application id, 6dae42f8-4368-4678-94ff-3960e28e3630. */
  audience: string;
  publicKey: CryptoKey | KeyObject | JWK;
  users: readonly AksTestUser[];
}

/**
 * A TokenVerifier for Entra access tokens (compact JWS, RS256): undefined for tokens that are not JWTs,
 * a refusal (with the jose error code) for a bad signature, issuer, audience or lifetime, a missing `oid`
 * or an unknown object id, else the user with `extra.oid` (and `extra.tid`). Never rejects for bad tokens.
 */
export function aksVerifier(config: AksVerifierConfig): TokenVerifier {
  const users = new Map(config.users.map((user) => [user.objectId.toLowerCase(), user]));

  return {
    name: 'aks',
    async verify(token: string, now: Date): Promise<VerifyResult | undefined> {
      if (!isJwt(token)) return undefined;
      let claims: Record<string, unknown>;
      try {
        ({ payload: claims } = await jwtVerify(token, config.publicKey, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: ['RS256'],
          requiredClaims: ['exp', 'oid'],
          currentDate: now,
        }));
      } catch (error) {
        if (error instanceof errors.JOSEError) return refuse(`${error.code}: ${error.message}`);
        throw error;
      }

      const objectId = claims.oid;
      if (typeof objectId !== 'string' || objectId === '') return refuse('the oid claim is not a string');
      const user = users.get(objectId.toLowerCase());
      if (!user) return refuse(`object id ${objectId} is not a known user`);
      return { ok: true, user: userOf(user, claims) };
    },
  };
}

/** A compact JWS whose header parses: anything else belongs to another verifier. */
function isJwt(token: string): boolean {
  if (token.split('.').length !== 3) return false;
  try {
    return typeof decodeProtectedHeader(token).alg === 'string';
  } catch {
    return false;
  }
}

function userOf(user: AksTestUser, claims: Record<string, unknown>): AuthenticatedUser {
  const extra: Record<string, string[]> = { oid: [user.objectId] };
  if (typeof claims.tid === 'string') extra.tid = [claims.tid];
  return { username: user.username ?? user.objectId, uid: user.objectId, groups: [...user.groups], extra };
}
