/** What the test API server's webhook token authenticator asks of each token format it accepts. */

export interface AuthenticatedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type VerifyResult = { ok: true; user: AuthenticatedUser } | { ok: false; reason: string };

/** Returns undefined when the token is not of this verifier's format, so the next one can try. */
export interface TokenVerifier {
  readonly name: string;
  verify(token: string, now: Date): Promise<VerifyResult | undefined>;
}

export function refuse(reason: string): VerifyResult {
  return { ok: false, reason };
}
